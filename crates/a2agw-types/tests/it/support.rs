//! Shared helpers: locating `../shared/spec` and schema validation.

use serde_json::{Map, Value};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

/// `<workspace>/../shared/spec`, or `None` (skip) when absent outside CI. Panics in CI.
pub(crate) fn spec_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/spec");
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var_os("CI").is_some() {
        panic!(
            "../shared/spec not found at {} and CI is set: schema tests must run in CI",
            dir.display()
        );
    }
    eprintln!("skipped: ../shared/spec not found at {}", dir.display());
    None
}

/// The 1.0 `a2a.json` made usable: definitions re-keyed by title without spaces under
/// `$defs`, and every `lf.a2a.v1.X.jsonschema.json` / `google.protobuf.X.jsonschema.json`
/// `$ref` pointed at `#/$defs/X` (see shared/spec/SOURCE.md for why).
fn v1_defs() -> Option<&'static Map<String, Value>> {
    static DEFS: OnceLock<Option<Map<String, Value>>> = OnceLock::new();
    DEFS.get_or_init(|| {
        let dir = spec_dir()?;
        let raw = std::fs::read_to_string(dir.join("a2a.json")).expect("read a2a.json");
        let schema: Value = serde_json::from_str(&raw).expect("a2a.json is JSON");
        let defs = schema["definitions"].as_object().expect("definitions");
        let mut out = Map::new();
        for (title, def) in defs {
            let mut def = def.clone();
            fix_refs(&mut def);
            if let Some(o) = def.as_object_mut() {
                o.remove("$schema");
            }
            out.insert(title.replace(' ', ""), def);
        }
        Some(out)
    })
    .as_ref()
}

fn fix_refs(v: &mut Value) {
    match v {
        Value::Object(o) => {
            if let Some(Value::String(r)) = o.get_mut("$ref") {
                let name = r
                    .strip_suffix(".jsonschema.json")
                    .and_then(|s| s.rsplit('.').next())
                    .unwrap_or_else(|| panic!("unexpected $ref {r}"));
                *r = format!("#/$defs/{name}");
            }
            o.values_mut().for_each(fix_refs);
        }
        Value::Array(a) => a.iter_mut().for_each(fix_refs),
        _ => {}
    }
}

/// Validates `instance` against definition `def` (e.g. `Task`, `AgentCard`) of the 1.0
/// schema, with formats (date-time) checked. Returns `false` when the schema is absent
/// (skipped); panics with every error when invalid.
pub(crate) fn assert_valid_v1(def: &str, instance: &Value) -> bool {
    let Some(errors) = errors_v1(def, instance) else {
        return false;
    };
    assert!(
        errors.is_empty(),
        "{def} does not validate against a2a.json:\n{}\ninstance: {instance:#}",
        errors.join("\n")
    );
    true
}

/// The schema errors of `instance` as definition `def`; `None` when the schema is absent.
pub(crate) fn errors_v1(def: &str, instance: &Value) -> Option<Vec<String>> {
    let defs = v1_defs()?;
    assert!(defs.contains_key(def), "no definition {def} in a2a.json");
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<jsonschema::Validator>>>> = OnceLock::new();
    let validator = CACHE
        .get_or_init(Default::default)
        .lock()
        .unwrap()
        .entry(def.to_owned())
        .or_insert_with(|| {
            let schema = serde_json::json!({
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "$ref": format!("#/$defs/{def}"),
                "$defs": defs,
            });
            Arc::new(
                jsonschema::options()
                    .should_validate_formats(true)
                    .build(&schema)
                    .expect("schema compiles"),
            )
        })
        .clone();
    Some(
        validator
            .iter_errors(instance)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect(),
    )
}
