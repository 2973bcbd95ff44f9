//! `google.protobuf.Struct` / `Value` ↔ `serde_json`.
//!
//! - A `number_value` that is integral and within ±2^53 becomes a JSON
//!   integer (`2.0` → `2`), so JSON → proto → JSON is the identity for every
//!   integer a `double` holds exactly. Other finite numbers stay floats.
//!   `-0.0` is integral and becomes `0`.
//! - NaN and ±infinity have no JSON form: [`ConvertError::NonFiniteNumber`]
//!   (ProtoJSON printers refuse them too), rather than a silent `null`.
//! - A `Value` with no `kind` set is read as `null` (what ProtoJSON printers
//!   such as prost-reflect write for it).
//! - JSON → proto is infallible; integers beyond ±2^53 lose precision in the
//!   `double`, as they do in any ProtoJSON implementation.

use super::error::ConvertError;
use a2agw_types::Metadata;
use prost_types::value::Kind;
use prost_types::{ListValue, NullValue, Struct, Value};

/// 2^53: every integer of at most this magnitude is exact in an `f64`.
const MAX_SAFE: f64 = 9_007_199_254_740_992.0;

/// A `google.protobuf.Struct` as a JSON object.
pub fn struct_to_json(s: Struct) -> Result<Metadata, ConvertError> {
    let mut map = Metadata::new();
    for (key, value) in s.fields {
        let v = value_to_json(value).map_err(|e| e.within(&key))?;
        map.insert(key, v);
    }
    Ok(map)
}

/// A JSON object as a `google.protobuf.Struct`.
pub fn json_to_struct(map: Metadata) -> Struct {
    Struct {
        fields: map
            .into_iter()
            .map(|(k, v)| (k, json_to_value(v)))
            .collect(),
    }
}

/// A `google.protobuf.Value` as a JSON value.
pub fn value_to_json(v: Value) -> Result<serde_json::Value, ConvertError> {
    Ok(match v.kind {
        None | Some(Kind::NullValue(_)) => serde_json::Value::Null,
        Some(Kind::BoolValue(b)) => serde_json::Value::Bool(b),
        Some(Kind::NumberValue(n)) => number_to_json(n)?,
        Some(Kind::StringValue(s)) => serde_json::Value::String(s),
        Some(Kind::StructValue(s)) => serde_json::Value::Object(struct_to_json(s)?),
        Some(Kind::ListValue(l)) => {
            let mut out = Vec::with_capacity(l.values.len());
            for (i, item) in l.values.into_iter().enumerate() {
                out.push(value_to_json(item).map_err(|e| e.within(&format!("[{i}]")))?);
            }
            serde_json::Value::Array(out)
        }
    })
}

/// A JSON value as a `google.protobuf.Value`.
pub fn json_to_value(v: serde_json::Value) -> Value {
    let kind = match v {
        serde_json::Value::Null => Kind::NullValue(NullValue::NullValue.into()),
        serde_json::Value::Bool(b) => Kind::BoolValue(b),
        // Always `Some` without serde_json's `arbitrary_precision`.
        serde_json::Value::Number(n) => Kind::NumberValue(n.as_f64().unwrap_or_default()),
        serde_json::Value::String(s) => Kind::StringValue(s),
        serde_json::Value::Array(items) => Kind::ListValue(ListValue {
            values: items.into_iter().map(json_to_value).collect(),
        }),
        serde_json::Value::Object(map) => Kind::StructValue(json_to_struct(map)),
    };
    Value { kind: Some(kind) }
}

fn number_to_json(n: f64) -> Result<serde_json::Value, ConvertError> {
    if !n.is_finite() {
        return Err(ConvertError::NonFiniteNumber {
            field: String::new(),
        });
    }
    if n.fract() == 0.0 && n.abs() <= MAX_SAFE {
        // Integral and within ±2^53: exact in an i64.
        #[allow(clippy::cast_possible_truncation)]
        return Ok(serde_json::Value::from(n as i64));
    }
    Ok(serde_json::Number::from_f64(n).map_or(serde_json::Value::Null, serde_json::Value::Number))
}
