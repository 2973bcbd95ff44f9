//! Spec-example goldens: one data-driven test over `tests/data/v1/*.json`.
//!
//! Each file holds one case, taken from the A2A 1.0 specification's own examples
//! (`docs/specification.md`, `docs/topics/*.md`, `docs/whats-new-v1.md` of `a2aproject/A2A`)
//! or hand-written from `a2a.proto` where the spec has no example:
//!
//! | member | meaning |
//! |---|---|
//! | `source` | where the example comes from (file and section heading) |
//! | `type` | a type of this crate, `JsonRpcRequest`, `JsonRpcResponse` or `JsonRpcError` |
//! | `input` | the JSON as the spec shows it (edits needed to make it JSON are listed in `deviations`) |
//! | `output` | the canonical re-serialization, when it differs from `input` |
//! | `invalid` | the field paths [`Validate`] must report, exactly (absent: the value is valid) |
//! | `decode_error` | `input` must fail to decode, with a [`DecodeError`] at this path |
//! | `rejected` | `JsonRpcRequest` only: `decode_request` must refuse it with `{code, fields?}` |
//! | `resultType` | `JsonRpcResponse` only: the type of `result` |
//! | `deviations`, `notes` | free text: where the example departs from the spec, and why the output is what it is |
//! | `known_bug`, `bug` | a library bug reproduced by the case: it is run, reported and not counted as a failure |
//!
//! A typed case decodes `input` with [`from_value`], re-serializes it (it must equal `output`,
//! or `input`, and be a fixed point), validates it, and checks the output against the official
//! 1.0 JSON Schema. `JsonRpcRequest` cases go through [`decode_request`]: method, id and
//! [`A2aRequest::params_json`] must match (`output` is then the whole canonical request), and the
//! params are also checked on their own as the method's request message. An `invalid` or
//! `decode_error` request must be refused with -32602 naming exactly those fields.
//! `JsonRpcResponse` cases check the envelope and then the `result` as `resultType`, or the
//! error object: a known code, `data` an array of `@type`d objects, an `ErrorInfo` with the
//! code's reason for A2A codes, and [`A2aError`] reproducing the object exactly.

use crate::support::errors_v1;
use a2agw_types::*;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;

/// Fewer cases than this means the data directory went missing, not that all is well.
const MIN_CASES: usize = 20;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    source: String,
    #[serde(rename = "type")]
    ty: String,
    input: Value,
    output: Option<Value>,
    invalid: Option<Vec<String>>,
    decode_error: Option<String>,
    rejected: Option<Rejected>,
    #[serde(rename = "resultType")]
    result_type: Option<String>,
    // For readers of the data files; the test does not interpret them.
    #[serde(default)]
    #[allow(dead_code)]
    deviations: Vec<String>,
    #[serde(default)]
    #[allow(dead_code)]
    notes: Vec<String>,
    #[serde(default)]
    known_bug: bool,
    bug: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Rejected {
    code: i32,
    fields: Option<Vec<String>>,
}

/// What one typed value must do.
struct Expect<'a> {
    input: &'a Value,
    output: &'a Value,
    invalid: Option<&'a [String]>,
    decode_error: Option<&'a str>,
}

type Violations<T> = fn(&T) -> Vec<String>;

#[test]
fn spec_examples() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/v1");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(
        files.len() >= MIN_CASES,
        "only {} golden cases in {}",
        files.len(),
        dir.display()
    );

    let mut failures = Vec::new();
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(path).unwrap();
        let case: Case = match serde_json::from_str(&text) {
            Ok(c) => c,
            Err(e) => {
                failures.push(format!("{name}: not a golden case: {e}"));
                continue;
            }
        };
        let mut fails = Vec::new();
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| run(&case, &mut fails))) {
            let msg = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("(no message)");
            fails.push(format!("panicked: {msg}"));
        }
        if case.known_bug {
            let bug = case.bug.as_deref().unwrap_or("(no `bug` description)");
            if fails.is_empty() {
                eprintln!("note: {name}: known bug no longer reproduces, drop `known_bug`: {bug}");
            } else {
                eprintln!(
                    "note: {name}: skipped, known library bug: {bug}\n  {}",
                    fails.join("\n  ")
                );
            }
            continue;
        }
        failures.extend(
            fails
                .into_iter()
                .map(|f| format!("{name} [{}]: {f}", case.source)),
        );
    }
    assert!(
        failures.is_empty(),
        "{} golden failure(s) in {} cases:\n\n{}",
        failures.len(),
        files.len(),
        failures.join("\n\n")
    );
}

fn run(case: &Case, fails: &mut Vec<String>) {
    if case.known_bug && case.bug.is_none() {
        fails.push("`known_bug` needs a `bug` description".into());
    }
    if case.rejected.is_some() && case.ty != "JsonRpcRequest" {
        fails.push("`rejected` applies to JsonRpcRequest cases only".into());
    }
    if case.result_type.is_some() && case.ty != "JsonRpcResponse" {
        fails.push("`resultType` applies to JsonRpcResponse cases only".into());
    }
    match case.ty.as_str() {
        "JsonRpcRequest" => check_request(case, fails),
        "JsonRpcResponse" => check_response(case, fails),
        "JsonRpcError" => match from_value::<JsonRpcError>(case.input.clone()) {
            Ok(e) => {
                same_json("re-serialization", &case.input, &to_json(&e), fails);
                check_error(&e, fails);
            }
            Err(e) => fails.push(format!("not a JSON-RPC error object: {e}")),
        },
        ty => check_typed(
            ty,
            &expect(
                case,
                &case.input,
                case.output.as_ref().unwrap_or(&case.input),
            ),
            fails,
        ),
    }
}

fn expect<'a>(case: &'a Case, input: &'a Value, output: &'a Value) -> Expect<'a> {
    Expect {
        input,
        output,
        invalid: case.invalid.as_deref(),
        decode_error: case.decode_error.as_deref(),
    }
}

/// Decodes, re-encodes, validates and schema-checks one value of the named type.
fn check_typed(ty: &str, e: &Expect<'_>, fails: &mut Vec<String>) {
    macro_rules! validated {
        ($t:ty) => {
            check::<$t>(
                e,
                Some((|v: &$t| fields(v.validate())) as Violations<$t>),
                Some(stringify!($t)),
                fails,
            )
        };
    }
    macro_rules! plain {
        ($t:ty) => {
            check::<$t>(e, None, Some(stringify!($t)), fails)
        };
    }
    match ty {
        "AgentCard" => validated!(AgentCard),
        "AgentInterface" => validated!(AgentInterface),
        "AgentSkill" => validated!(AgentSkill),
        "AgentCapabilities" => plain!(AgentCapabilities),
        "AgentCardSignature" => plain!(AgentCardSignature),
        "SecurityScheme" => validated!(SecurityScheme),
        "SecurityRequirement" => plain!(SecurityRequirement),
        "Task" => validated!(Task),
        "TaskStatus" => validated!(TaskStatus),
        "Message" => validated!(Message),
        "Artifact" => validated!(Artifact),
        "Part" => plain!(Part),
        "StreamResponse" => validated!(StreamResponse),
        "SendMessageResponse" => validated!(SendMessageResponse),
        "TaskStatusUpdateEvent" => validated!(TaskStatusUpdateEvent),
        "TaskArtifactUpdateEvent" => validated!(TaskArtifactUpdateEvent),
        "SendMessageRequest" => validated!(SendMessageRequest),
        "SendMessageConfiguration" => validated!(SendMessageConfiguration),
        "GetTaskRequest" => validated!(GetTaskRequest),
        "ListTasksRequest" => validated!(ListTasksRequest),
        "ListTasksResponse" => {
            check::<ListTasksResponse>(e, Some(list_tasks_violations), Some(ty), fails)
        }
        "CancelTaskRequest" => validated!(CancelTaskRequest),
        "SubscribeToTaskRequest" => validated!(SubscribeToTaskRequest),
        "TaskPushNotificationConfig" => validated!(TaskPushNotificationConfig),
        "GetTaskPushNotificationConfigRequest" => validated!(GetTaskPushNotificationConfigRequest),
        "ListTaskPushNotificationConfigsRequest" => {
            validated!(ListTaskPushNotificationConfigsRequest)
        }
        "ListTaskPushNotificationConfigsResponse" => {
            check::<ListTaskPushNotificationConfigsResponse>(
                e,
                Some(list_configs_violations),
                Some(ty),
                fails,
            );
        }
        "DeleteTaskPushNotificationConfigRequest" => {
            validated!(DeleteTaskPushNotificationConfigRequest)
        }
        "GetExtendedAgentCardRequest" => plain!(GetExtendedAgentCardRequest),
        // `google.protobuf.Empty` has no definition in a2a.json.
        "Empty" => check::<Empty>(e, None, None, fails),
        other => fails.push(format!("unknown type `{other}`")),
    }
}

fn check<T: Serialize + DeserializeOwned>(
    e: &Expect<'_>,
    violations: Option<Violations<T>>,
    schema: Option<&str>,
    fails: &mut Vec<String>,
) {
    let value: T = match (from_value::<T>(e.input.clone()), e.decode_error) {
        (Ok(v), None) => v,
        (Ok(_), Some(path)) => {
            fails.push(format!(
                "decoded, but a decode error at `{path}` was expected"
            ));
            return;
        }
        (Err(err), Some(path)) => {
            if err.path != path {
                fails.push(format!(
                    "decode error at `{}`, expected at `{path}`: {err}",
                    err.path
                ));
            }
            return;
        }
        (Err(err), None) => {
            fails.push(format!("does not decode: {err}"));
            return;
        }
    };

    let json = to_json(&value);
    same_json("re-serialization", e.output, &json, fails);
    match from_value::<T>(json.clone()) {
        Ok(again) => same_json("second re-serialization", &json, &to_json(&again), fails),
        Err(err) => fails.push(format!("its own output does not decode: {err}")),
    }

    let want = sorted(e.invalid.unwrap_or_default().to_vec());
    match violations {
        Some(f) => {
            let got = sorted(f(&value));
            if got != want {
                fails.push(format!("Validate reports {got:?}, expected {want:?}"));
            }
        }
        None if !want.is_empty() => {
            fails.push("`invalid` given for a type without Validate".into())
        }
        None => {}
    }

    if let Some(def) = schema {
        let def = schema_name(def);
        if let Some(errors) = errors_v1(def, &json).filter(|e| !e.is_empty()) {
            fails.push(format!(
                "output does not validate as {def}:\n  {}\n  output: {json}",
                errors.join("\n  ")
            ));
        }
    }
}

/// The a2a.json definition of a type, where its name differs from the Rust one.
fn schema_name(ty: &str) -> &str {
    match ty {
        "ApiKeySecurityScheme" => "APIKeySecurityScheme",
        "HttpAuthSecurityScheme" => "HTTPAuthSecurityScheme",
        other => other,
    }
}

fn check_request(case: &Case, fails: &mut Vec<String>) {
    let input = &case.input;
    let expected = case.output.as_ref().unwrap_or(input);
    // Absent (or null) params read as an empty request message.
    let params = input
        .get("params")
        .filter(|p| !p.is_null())
        .cloned()
        .unwrap_or_else(|| json!({}));
    let want_params = expected.get("params").cloned().unwrap_or_else(|| json!({}));
    let want_id = input.get("id").cloned().unwrap_or(Value::Null);
    let method_name = input
        .get("method")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let want_rejection = match (&case.rejected, &case.invalid, &case.decode_error) {
        (Some(r), _, _) => Some((r.code, r.fields.clone())),
        (None, Some(invalid), _) => Some((ErrorCode::InvalidParams.code(), Some(invalid.clone()))),
        (None, None, Some(path)) => {
            Some((ErrorCode::InvalidParams.code(), Some(vec![path.clone()])))
        }
        (None, None, None) => None,
    };

    let body = input.to_string().into_bytes();
    match (decode_request(&body), want_rejection) {
        (Ok(d), None) => {
            same_json("id", &want_id, &to_json(&d.id), fails);
            if d.request.method().name() != method_name {
                fails.push(format!(
                    "decoded as method {}, sent {method_name}",
                    d.request.method()
                ));
            }
            if d.version != ProtocolVersion::V1_0 {
                fails.push(format!("decoded as version {}, expected 1.0", d.version));
            }
            same_json(
                "params re-encoding",
                &want_params,
                &d.request.params_json(),
                fails,
            );
            same_json(
                "envelope",
                expected,
                &to_json(&JsonRpcRequest::new(
                    d.id,
                    method_name,
                    d.request.params_json(),
                )),
                fails,
            );
        }
        (Ok(d), Some((code, _))) => {
            fails.push(format!(
                "accepted as {}, expected a rejection with {code}",
                d.request.method()
            ));
        }
        (Err(r), None) => fails.push(format!("rejected: {} {:?}", r.error, r.error.violations)),
        (Err(r), Some((code, want_fields))) => {
            if r.error.code.code() != code {
                fails.push(format!("rejected with {}, expected {code}", r.error));
            }
            same_json("error id", &want_id, &to_json(&r.id), fails);
            if let Some(want) = want_fields {
                let got = sorted(r.error.violations.iter().map(|v| v.field.clone()).collect());
                if got != sorted(want.clone()) {
                    fails.push(format!(
                        "rejection names {got:?}, expected {want:?}: {}",
                        r.error
                    ));
                }
            }
        }
    }

    // The params on their own, as the method's request message.
    if let Some((method, ProtocolVersion::V1_0)) = Method::from_name(method_name) {
        check_typed(
            params_type(method),
            &expect(case, &params, &want_params),
            fails,
        );
    } else if case.rejected.is_none() {
        fails.push(format!("`{method_name}` is no 1.0 method"));
    }
}

/// The request message of each method (the a2a.json definition of its params).
fn params_type(method: Method) -> &'static str {
    match method {
        Method::SendMessage | Method::SendStreamingMessage => "SendMessageRequest",
        Method::GetTask => "GetTaskRequest",
        Method::ListTasks => "ListTasksRequest",
        Method::CancelTask => "CancelTaskRequest",
        Method::SubscribeToTask => "SubscribeToTaskRequest",
        Method::CreateTaskPushNotificationConfig => "TaskPushNotificationConfig",
        Method::GetTaskPushNotificationConfig => "GetTaskPushNotificationConfigRequest",
        Method::ListTaskPushNotificationConfigs => "ListTaskPushNotificationConfigsRequest",
        Method::DeleteTaskPushNotificationConfig => "DeleteTaskPushNotificationConfigRequest",
        Method::GetExtendedAgentCard => "GetExtendedAgentCardRequest",
    }
}

fn check_response(case: &Case, fails: &mut Vec<String>) {
    let response: JsonRpcResponse = match from_value(case.input.clone()) {
        Ok(r) => r,
        Err(e) => {
            fails.push(format!("not a JSON-RPC response: {e}"));
            return;
        }
    };
    same_json(
        "envelope re-serialization",
        &case.input,
        &to_json(&response),
        fails,
    );
    match &response.outcome {
        Ok(result) => {
            let Some(ty) = case.result_type.as_deref() else {
                fails.push("a `result` response needs `resultType`".into());
                return;
            };
            let want = case
                .output
                .as_ref()
                .and_then(|o| o.get("result"))
                .unwrap_or(result);
            check_typed(ty, &expect(case, result, want), fails);
        }
        Err(error) => {
            if case.result_type.is_some() || case.invalid.is_some() || case.decode_error.is_some() {
                fails.push("an error response has no result to type, validate or decode".into());
            }
            check_error(error, fails);
        }
    }
}

/// A 1.0 JSON-RPC error object: known code, `data` an array of `Any`, `ErrorInfo` for A2A codes.
fn check_error(error: &JsonRpcError, fails: &mut Vec<String>) {
    let Some(code) = ErrorCode::from_code(error.code) else {
        fails.push(format!("unknown error code {}", error.code));
        return;
    };
    let details: &[Value] = match &error.data {
        None => &[],
        Some(Value::Array(items)) => items,
        Some(other) => {
            fails.push(format!(
                "`data` must be an array of ProtoJSON Any objects, got {other}"
            ));
            return;
        }
    };
    for d in details {
        if d.get("@type").and_then(Value::as_str).is_none() {
            fails.push(format!("`data` element without a string `@type`: {d}"));
        }
    }
    if code.is_a2a() {
        let info = details
            .iter()
            .find(|d| d.get("@type").and_then(Value::as_str) == Some(ERROR_INFO_TYPE));
        match info {
            None => fails.push(format!("{code} carries no google.rpc.ErrorInfo")),
            Some(info) => {
                same_json(
                    "ErrorInfo.reason",
                    &json!(code.reason()),
                    &info["reason"],
                    fails,
                );
                same_json(
                    "ErrorInfo.domain",
                    &json!(ERROR_DOMAIN),
                    &info["domain"],
                    fails,
                );
            }
        }
    }
    let again = A2aError::from_jsonrpc(error).to_jsonrpc(ProtocolVersion::V1_0);
    same_json(
        "A2aError round trip",
        &to_json(error),
        &to_json(&again),
        fails,
    );
}

fn list_tasks_violations(r: &ListTasksResponse) -> Vec<String> {
    let mut out = Vec::new();
    for (i, t) in r.tasks.iter().enumerate() {
        t.validate_into(&format!("tasks[{i}]"), &mut out);
    }
    out.into_iter().map(|v| v.field).collect()
}

fn list_configs_violations(r: &ListTaskPushNotificationConfigsResponse) -> Vec<String> {
    let mut out = Vec::new();
    for (i, c) in r.configs.iter().enumerate() {
        c.validate_into(&format!("configs[{i}]"), &mut out);
    }
    out.into_iter().map(|v| v.field).collect()
}

fn fields(r: Result<(), ValidationError>) -> Vec<String> {
    r.err()
        .map(|e| e.violations.into_iter().map(|v| v.field).collect())
        .unwrap_or_default()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn to_json<T: Serialize>(v: &T) -> Value {
    // Plain data with string keys: serialization cannot fail (a panic is reported per case).
    serde_json::to_value(v).unwrap_or_else(|e| panic!("cannot serialize: {e}"))
}

/// Records a failure naming the first place where `actual` differs from `expected`.
fn same_json(what: &str, expected: &Value, actual: &Value, fails: &mut Vec<String>) {
    if expected != actual {
        let (path, want, got) = first_difference("", expected, actual);
        fails.push(format!(
            "{what} differs at `{path}`: expected {want}, got {got}\n  expected: {expected}\n  actual:   {actual}"
        ));
    }
}

fn first_difference(path: &str, a: &Value, b: &Value) -> (String, String, String) {
    let absent = || "(absent)".to_owned();
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, va) in x {
                let p = format!("{path}.{k}");
                match y.get(k) {
                    Some(vb) if va == vb => {}
                    Some(vb) => return first_difference(&p, va, vb),
                    None => return (p, va.to_string(), absent()),
                }
            }
            if let Some((k, vb)) = y.iter().find(|(k, _)| !x.contains_key(*k)) {
                return (format!("{path}.{k}"), absent(), vb.to_string());
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            if let Some(i) = (0..x.len()).find(|&i| x[i] != y[i]) {
                return first_difference(&format!("{path}[{i}]"), &x[i], &y[i]);
            }
        }
        _ => {}
    }
    (
        if path.is_empty() {
            ".".into()
        } else {
            path.into()
        },
        a.to_string(),
        b.to_string(),
    )
}
