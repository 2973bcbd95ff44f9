//! Deserialization helpers for the 0.3 shapes: `kind`/`type` discriminators, base64, and
//! error paths that reach inside discriminated unions.
//!
//! A union is read by buffering its object, looking at the discriminator and then decoding
//! the variant from the buffer. Buffering loses `serde_path_to_error`'s path below the
//! union, so errors from inside it carry their sub-path in the message as
//! ``at `sub.path`: message``; [`decode`] moves that sub-path back into the error's path.

use crate::jsonrpc::json_type_name;
use crate::{DecodeError, Metadata};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use std::fmt::Display;

/// Joins two error paths: `a` + `b.c` → `a.b.c`, `a` + `[0]` → `a[0]`.
pub(crate) fn join_path(a: &str, b: &str) -> String {
    if a.is_empty() {
        b.to_owned()
    } else if b.is_empty() {
        a.to_owned()
    } else if b.starts_with('[') {
        format!("{a}{b}")
    } else {
        format!("{a}.{b}")
    }
}

/// Splits ``at `path`: message`` into its path and message (`""` and the whole message otherwise).
fn split_sub_path(msg: &str) -> (&str, &str) {
    msg.strip_prefix("at `")
        .and_then(|rest| rest.split_once("`: "))
        .unwrap_or(("", msg))
}

/// A serde error about the field at `path` below the value being read.
pub(crate) fn error_at<E: serde::de::Error>(path: &str, msg: impl Display) -> E {
    if path.is_empty() {
        E::custom(msg)
    } else {
        E::custom(format_args!("at `{path}`: {msg}"))
    }
}

/// Deserializes `T` from a buffered value, keeping the path of an error inside it.
pub(crate) fn nested<T: DeserializeOwned, E: serde::de::Error>(value: Value) -> Result<T, E> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let path = if path == "." { String::new() } else { path };
        let msg = e.into_inner().to_string();
        let (sub, msg) = split_sub_path(&msg);
        error_at(&join_path(&path, sub), msg)
    })
}

/// Decodes a 0.3 value; the error names the full path of the offending field (a missing
/// REQUIRED field is named itself, described as "is required").
pub(crate) fn decode<T: DeserializeOwned>(value: Value) -> Result<T, DecodeError> {
    crate::from_value(value).map_err(|mut e| {
        let (sub, msg) = split_sub_path(&e.message);
        let (sub, msg) = (sub.to_owned(), msg.to_owned());
        e.path = join_path(&e.path, &sub);
        match msg
            .strip_prefix("missing field `")
            .and_then(|r| r.strip_suffix('`'))
        {
            Some(field) => {
                e.path = join_path(&e.path, field);
                e.message = "is required".to_owned();
            }
            None => e.message = msg,
        }
        e
    })
}

/// Reads the object of a discriminated union: its discriminator (`tag`) and the whole object.
pub(crate) fn tagged_object<'de, D: Deserializer<'de>>(
    d: D,
    tag: &str,
) -> Result<(String, Value), D::Error> {
    let map = Metadata::deserialize(d)?;
    let kind = match map.get(tag) {
        None | Some(Value::Null) => {
            return Err(error_at("", format_args!("missing field `{tag}`")));
        }
        Some(Value::String(s)) => s.clone(),
        Some(other) => {
            return Err(error_at(
                tag,
                format_args!("must be a string, got {}", json_type_name(other)),
            ));
        }
    };
    Ok((kind, Value::Object(map)))
}

/// The error for an unknown discriminator value.
pub(crate) fn unknown_tag<E: serde::de::Error>(tag: &str, value: &str, expected: &[&str]) -> E {
    let expected: Vec<String> = expected.iter().map(|e| format!("`{e}`")).collect();
    error_at(
        tag,
        format_args!(
            "unknown {tag} `{value}`, expected one of {}",
            expected.join(", ")
        ),
    )
}

/// Reads standard or URL-safe base64, padded or not.
pub(crate) fn de_b64<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
    let s = String::deserialize(d)?;
    crate::serde_util::decode_b64(&s)
        .map_err(|e| serde::de::Error::custom(format_args!("invalid base64: {e}")))
}

/// Defines a unit type that stands for a constant discriminator (`"kind": "task"`): written
/// as the constant, read only from it.
macro_rules! kind_marker {
    ($(#[$meta:meta])* $name:ident = $value:literal) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
        pub struct $name;

        impl $name {
            /// The discriminator's value on the wire.
            pub const VALUE: &'static str = $value;
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str($value)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                if s == $value {
                    Ok($name)
                } else {
                    Err(serde::de::Error::custom(format_args!(concat!("must be `", $value, "`, got `{}`"), s)))
                }
            }
        }
    };
}
pub(crate) use kind_marker;
