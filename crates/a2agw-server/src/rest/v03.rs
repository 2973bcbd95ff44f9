//! The 0.3 REST surface (`/v1/…`): request and result shapes.
//!
//! # Which shapes
//! The 0.3 specification left the REST payloads loosely defined. The official Python SDK —
//! its 0.3 releases (`a2a.server.apps.rest`, `RESTHandler`) and the 0.3 compatibility layer
//! of its 1.0 releases (`a2a.compat.v0_3.rest_handler`) alike — reads and writes the
//! **ProtoJSON of the 0.3 gRPC proto** (`package a2a.v1`), the `google.api.http`
//! transcoding of that proto; its 0.3 REST *client* parses our answers with protobuf's
//! `ParseDict`, which refuses unknown fields. So results are written in that form:
//!
//! - `message:send` → `SendMessageResponse` `{"task": {…}}` or `{"message": {…}}`; stream
//!   events → `StreamResponse` `{"task"|"message"|"statusUpdate"|"artifactUpdate": {…}}`
//!   (status updates keep `final`);
//! - messages carry their parts in `content`, roles are `ROLE_USER`/`ROLE_AGENT`, parts are
//!   `{"text"}`, `{"file": {"fileWithUri"|"fileWithBytes", "mimeType", "name"}}` or
//!   `{"data": {"data": {…}}}`; no `kind` anywhere; states are `TASK_STATE_*` with the 0.3
//!   spelling `TASK_STATE_CANCELLED`; `referenceTaskIds` (not in the 0.3 proto) is dropped;
//! - push configs are `{"name": "tasks/{taskId}/pushNotificationConfigs/{id}",
//!   "pushNotificationConfig": {…}}`, a list is `{"configs": […]}`, a delete `{}`;
//! - `GET /v1/card` is the authenticated extended card in the 0.3 JSON form (as both Python
//!   SDKs serve it there).
//!
//! Requests are read leniently: the proto form above, and also the 0.3 JSON-RPC shapes
//! (`MessageSendParams` with `kind`-tagged parts and `"user"` roles, which other 0.3 SDKs
//! sent). Proto semantics apply where they differ: `historyLength: 0` means "unset" (0.3
//! gRPC), and in a proto-form body (parts in `content`) a `configuration` without
//! `blocking` is non-blocking (a proto3 bool left out because it is false), while a body
//! without any `configuration` blocks, as the 0.3 SDKs do. The request is then decoded exactly as a 0.3 JSON-RPC request would be
//! (same conversion to 1.0, same validation, errors naming the field).

use super::{Op, PathIds, RestCall, body_object, json_type_name};
use a2agw_types::{A2aError, A2aRequest, A2aResponse, ConversionError, ErrorCode, JsonRpcRequest};
use serde_json::{Map, Value, json};

/// Renames the proto's snake_case field names (which ProtoJSON parsers accept) to camelCase.
fn camel_keys(obj: &mut Map<String, Value>, names: &[(&str, &str)]) {
    for (snake, camel) in names {
        if !obj.contains_key(*camel)
            && let Some(v) = obj.remove(*snake)
        {
            obj.insert((*camel).to_owned(), v);
        }
    }
}

/// A part of a proto-form message (or a JSON-RPC part without `kind`) as a 0.3 JSON-RPC part.
fn part_in(v: Value, proto: bool) -> Value {
    let Value::Object(mut p) = v else { return v };
    if p.contains_key("kind") {
        return Value::Object(p);
    }
    let kind = if p.contains_key("text") {
        "text"
    } else if let Some(Value::Object(file)) = p.get_mut("file") {
        camel_keys(
            file,
            &[
                ("file_with_uri", "fileWithUri"),
                ("file_with_bytes", "fileWithBytes"),
                ("mime_type", "mimeType"),
            ],
        );
        if let Some(uri) = file.remove("fileWithUri") {
            file.insert("uri".into(), uri);
        }
        if let Some(bytes) = file.remove("fileWithBytes") {
            file.insert("bytes".into(), bytes);
        }
        "file"
    } else if p.contains_key("data") {
        // Proto `DataPart` is `{"data": Struct}`, so the part reads `{"data": {"data": …}}`.
        if proto && let Some(Value::Object(mut d)) = p.remove("data") {
            let inner = match d.remove("data") {
                Some(inner) if d.is_empty() => inner,
                Some(inner) => {
                    d.insert("data".into(), inner);
                    Value::Object(d)
                }
                None => Value::Object(d),
            };
            p.insert("data".into(), inner);
        }
        "data"
    } else {
        return Value::Object(p);
    };
    p.insert("kind".into(), kind.into());
    Value::Object(p)
}

/// A message in proto form (`content`, `ROLE_USER`) or 0.3 JSON-RPC form, as the latter.
fn message_in(v: Value) -> Value {
    let Value::Object(mut m) = v else { return v };
    camel_keys(
        &mut m,
        &[
            ("message_id", "messageId"),
            ("context_id", "contextId"),
            ("task_id", "taskId"),
            ("reference_task_ids", "referenceTaskIds"),
        ],
    );
    let role = match m.get("role") {
        Some(Value::String(s)) if s == "ROLE_USER" => Some("user"),
        Some(Value::String(s)) if s == "ROLE_AGENT" => Some("agent"),
        Some(Value::Number(n)) if n.as_u64() == Some(1) => Some("user"),
        Some(Value::Number(n)) if n.as_u64() == Some(2) => Some("agent"),
        _ => None,
    };
    let proto = role.is_some() || m.contains_key("content");
    if let Some(r) = role {
        m.insert("role".into(), r.into());
    }
    let parts = match m.remove("content") {
        Some(c) if !m.contains_key("parts") => Some(c),
        _ => m.remove("parts"),
    };
    if let Some(parts) = parts {
        let parts = match parts {
            Value::Array(a) => Value::Array(a.into_iter().map(|p| part_in(p, proto)).collect()),
            other => other,
        };
        m.insert("parts".into(), parts);
    }
    m.entry("kind").or_insert_with(|| "message".into());
    Value::Object(m)
}

fn push_config_in(v: Value) -> Value {
    let Value::Object(mut c) = v else { return v };
    if let Some(Value::Object(auth)) = c.get_mut("authentication") {
        // A 0.3 JSON-RPC client might send one `scheme`; the proto has `schemes`.
        if let Some(s) = auth.remove("scheme") {
            auth.entry("schemes").or_insert_with(|| json!([s]));
        }
    }
    Value::Object(c)
}

/// `SendMessageRequest` (proto form) or `MessageSendParams` as 0.3 JSON-RPC params.
fn send_params(mut body: Map<String, Value>) -> Value {
    let mut out = Map::new();
    // `message` is the proto field's json_name; `request` its field name.
    let message = body.remove("message").or_else(|| body.remove("request"));
    // The proto form carries parts in `content` (the JSON-RPC form in `parts`, with `kind`).
    let proto_form = message.as_ref().is_some_and(|m| m.get("content").is_some());
    if let Some(m) = message {
        out.insert("message".into(), message_in(m));
    }
    if let Some(mut config) = body.remove("configuration") {
        if let Value::Object(c) = &mut config {
            // Proto3 bool: ProtoJSON writers omit `blocking: false`, so in the proto form a
            // configuration without `blocking` is non-blocking (the official 0.3 REST client
            // and server read it so); the JSON-RPC form keeps the SDKs' default (blocking).
            if proto_form && !c.contains_key("blocking") {
                c.insert("blocking".into(), Value::Bool(false));
            }
            camel_keys(
                c,
                &[
                    ("accepted_output_modes", "acceptedOutputModes"),
                    ("push_notification", "pushNotification"),
                    ("push_notification_config", "pushNotificationConfig"),
                    ("history_length", "historyLength"),
                ],
            );
            if let Some(p) = c.remove("pushNotification") {
                c.entry("pushNotificationConfig").or_insert(p);
            }
            if let Some(p) = c.remove("pushNotificationConfig") {
                c.insert("pushNotificationConfig".into(), push_config_in(p));
            }
            // 0.3 proto: an int32 of 0 is indistinguishable from unset, and meant "no limit".
            if c.get("historyLength").and_then(Value::as_i64) == Some(0) {
                c.remove("historyLength");
            }
        }
        out.insert("configuration".into(), config);
    }
    if let Some(md) = body.remove("metadata") {
        out.insert("metadata".into(), md);
    }
    Value::Object(out)
}

/// The push config of a create body: `CreateTaskPushNotificationConfigRequest`
/// `{parent, configId, config: {name, pushNotificationConfig}}` (the Python 0.3 client),
/// `TaskPushNotificationConfig` `{name | taskId, pushNotificationConfig}` (the proto's
/// `body: "config"`, or 0.3 JSON-RPC params), or a bare `PushNotificationConfig` `{url, …}`.
fn push_create_params(task_id: &str, mut body: Map<String, Value>) -> Value {
    camel_keys(
        &mut body,
        &[
            ("config_id", "configId"),
            ("push_notification_config", "pushNotificationConfig"),
        ],
    );
    let config_id = match body.get("configId") {
        Some(Value::String(s)) => s.clone(),
        _ => String::new(),
    };
    let mut outer = match body.remove("config") {
        Some(Value::Object(c)) => c,
        _ => body,
    };
    camel_keys(
        &mut outer,
        &[("push_notification_config", "pushNotificationConfig")],
    );
    let mut config = match outer.remove("pushNotificationConfig") {
        Some(c) => c,
        None => Value::Object(outer),
    };
    if let Value::Object(c) = &mut config {
        let no_id = c.get("id").is_none_or(|v| v.as_str() == Some(""));
        if no_id && !config_id.is_empty() {
            c.insert("id".into(), config_id.into());
        }
    }
    json!({"taskId": task_id, "pushNotificationConfig": push_config_in(config)})
}

/// Decodes a `/v1/…` request into the 1.0 request, through the 0.3 JSON-RPC decoder.
pub(super) fn decode(op: Op, ids: &PathIds, call: &RestCall) -> Result<A2aRequest, A2aError> {
    let id = ids.id.as_deref().unwrap_or_default();
    let config_id = ids.config_id.as_deref().unwrap_or_default();
    let params = match op {
        Op::Send | Op::Stream => send_params(body_object(&call.body, true)?),
        Op::Get => {
            let q = super::QueryParams { pairs: &call.query };
            let mut obj = Map::new();
            obj.insert("id".into(), id.into());
            q.copy(
                &mut obj,
                "historyLength",
                "history_length",
                super::QueryType::Int,
            )?;
            if obj.get("historyLength").and_then(Value::as_i64) == Some(0) {
                obj.remove("historyLength");
            }
            Value::Object(obj)
        }
        // The proto's `CancelTaskRequest` / `TaskSubscriptionRequest` carry only the name,
        // which is in the path; a body is ignored (the 0.3 servers ignored it too).
        Op::Cancel | Op::Subscribe | Op::PushList => json!({"id": id}),
        Op::PushCreate => {
            let body = body_object(&call.body, true)?;
            push_create_params(id, body)
        }
        Op::PushGet | Op::PushDelete => json!({"id": id, "pushNotificationConfigId": config_id}),
        Op::ExtendedCard => json!({}),
        Op::List => {
            return Err(A2aError::new(
                ErrorCode::MethodNotFound,
                "A2A 0.3 has no ListTasks operation; use `GET /tasks` with A2A 1.0",
            ));
        }
    };
    let method = op
        .method()
        .name_v03()
        .ok_or_else(|| A2aError::internal("an operation without a 0.3 name"))?;
    let envelope = JsonRpcRequest::new(0_i64, method, params);
    let bytes = serde_json::to_vec(&envelope).map_err(|e| A2aError::internal(e.to_string()))?;
    a2agw_types::decode_request(&bytes)
        .map(|d| d.request)
        .map_err(|r| r.error)
}

// ---------------------------------------------------------------------------------------
// Results: 0.3 JSON-RPC JSON → 0.3 proto JSON
// ---------------------------------------------------------------------------------------

fn state_out(s: &str) -> &'static str {
    match s {
        "submitted" => "TASK_STATE_SUBMITTED",
        "working" => "TASK_STATE_WORKING",
        "input-required" => "TASK_STATE_INPUT_REQUIRED",
        "completed" => "TASK_STATE_COMPLETED",
        "canceled" => "TASK_STATE_CANCELLED",
        "failed" => "TASK_STATE_FAILED",
        "rejected" => "TASK_STATE_REJECTED",
        "auth-required" => "TASK_STATE_AUTH_REQUIRED",
        _ => "TASK_STATE_UNSPECIFIED",
    }
}

fn map_array(v: &mut Map<String, Value>, key: &str, f: fn(Value) -> Value) {
    if let Some(Value::Array(items)) = v.remove(key) {
        v.insert(
            key.to_owned(),
            Value::Array(items.into_iter().map(f).collect()),
        );
    }
}

fn part_out(v: Value) -> Value {
    let Value::Object(mut p) = v else { return v };
    let kind = p.remove("kind");
    match kind.as_ref().and_then(Value::as_str) {
        Some("file") => {
            if let Some(Value::Object(f)) = p.get_mut("file") {
                if let Some(uri) = f.remove("uri") {
                    f.insert("fileWithUri".into(), uri);
                }
                if let Some(bytes) = f.remove("bytes") {
                    f.insert("fileWithBytes".into(), bytes);
                }
            }
        }
        Some("data") => {
            if let Some(d) = p.remove("data") {
                p.insert("data".into(), json!({ "data": d }));
            }
        }
        _ => {}
    }
    Value::Object(p)
}

fn message_out(v: Value) -> Value {
    let Value::Object(mut m) = v else { return v };
    m.remove("kind");
    m.remove("referenceTaskIds");
    if let Some(Value::String(role)) = m.get("role") {
        let r = if role == "agent" {
            "ROLE_AGENT"
        } else {
            "ROLE_USER"
        };
        m.insert("role".into(), r.into());
    }
    if let Some(Value::Array(parts)) = m.remove("parts") {
        m.insert(
            "content".into(),
            Value::Array(parts.into_iter().map(part_out).collect()),
        );
    }
    Value::Object(m)
}

fn status_out(v: Value) -> Value {
    let Value::Object(mut s) = v else { return v };
    if let Some(Value::String(state)) = s.get("state") {
        let state = state_out(state);
        s.insert("state".into(), state.into());
    }
    if let Some(m) = s.remove("message") {
        s.insert("message".into(), message_out(m));
    }
    Value::Object(s)
}

fn artifact_out(v: Value) -> Value {
    let Value::Object(mut a) = v else { return v };
    map_array(&mut a, "parts", part_out);
    Value::Object(a)
}

fn task_out(v: Value) -> Value {
    let Value::Object(mut t) = v else { return v };
    t.remove("kind");
    if let Some(s) = t.remove("status") {
        t.insert("status".into(), status_out(s));
    }
    map_array(&mut t, "artifacts", artifact_out);
    map_array(&mut t, "history", message_out);
    Value::Object(t)
}

/// A `kind`-tagged 0.3 object as the proto oneof member it is (`SendMessageResponse`,
/// `StreamResponse`).
fn oneof_out(v: Value) -> Result<Value, ConversionError> {
    let kind = v
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let (key, body) = match kind.as_str() {
        "task" => ("task", task_out(v)),
        "message" => ("message", message_out(v)),
        "status-update" => {
            let Value::Object(mut e) = v else {
                return Err(ConversionError::to_v03("", "an event is an object"));
            };
            e.remove("kind");
            if let Some(s) = e.remove("status") {
                e.insert("status".into(), status_out(s));
            }
            ("statusUpdate", Value::Object(e))
        }
        "artifact-update" => {
            let Value::Object(mut e) = v else {
                return Err(ConversionError::to_v03("", "an event is an object"));
            };
            e.remove("kind");
            if let Some(a) = e.remove("artifact") {
                e.insert("artifact".into(), artifact_out(a));
            }
            ("artifactUpdate", Value::Object(e))
        }
        other => {
            return Err(ConversionError::to_v03(
                "kind",
                format!("unexpected 0.3 object kind `{other}`"),
            ));
        }
    };
    let mut o = Map::new();
    o.insert(key.into(), body);
    Ok(Value::Object(o))
}

fn push_config_out(v: Value) -> Value {
    let Value::Object(mut c) = v else { return v };
    let task_id = match c.remove("taskId") {
        Some(Value::String(s)) => s,
        _ => String::new(),
    };
    let config = c.remove("pushNotificationConfig").unwrap_or(Value::Null);
    let config_id = config.get("id").and_then(Value::as_str).unwrap_or_default();
    json!({
        "name": format!("tasks/{task_id}/pushNotificationConfigs/{config_id}"),
        "pushNotificationConfig": config,
    })
}

/// A result in the 0.3 REST form.
pub(super) fn encode(resp: &A2aResponse) -> Result<Value, ConversionError> {
    let v = resp.to_json(a2agw_types::ProtocolVersion::V0_3)?;
    Ok(match resp {
        A2aResponse::SendMessage(_) | A2aResponse::StreamEvent { .. } => oneof_out(v)?,
        A2aResponse::Task(_) => task_out(v),
        A2aResponse::PushConfig(_) => push_config_out(v),
        A2aResponse::PushConfigs(_) => {
            let configs = match v {
                Value::Array(items) => items.into_iter().map(push_config_out).collect(),
                other => {
                    return Err(ConversionError::to_v03(
                        "configs",
                        format!("expected a list, got {}", json_type_name(&other)),
                    ));
                }
            };
            json!({ "configs": Value::Array(configs) })
        }
        A2aResponse::Empty => json!({}),
        A2aResponse::AgentCard(_) | A2aResponse::ListTasks(_) => v,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proto_message_reads_as_json_rpc_message() {
        let m = message_in(json!({
            "messageId": "m1",
            "role": "ROLE_USER",
            "content": [
                {"text": "hi"},
                {"file": {"fileWithUri": "https://x/y", "mimeType": "text/plain"}},
                {"data": {"data": {"a": 1}}}
            ]
        }));
        assert_eq!(
            m,
            json!({
                "messageId": "m1",
                "role": "user",
                "parts": [
                    {"text": "hi", "kind": "text"},
                    {"file": {"mimeType": "text/plain", "uri": "https://x/y"}, "kind": "file"},
                    {"data": {"a": 1}, "kind": "data"}
                ],
                "kind": "message"
            })
        );
    }

    #[test]
    fn json_rpc_message_passes_through() {
        let v = json!({"kind": "message", "messageId": "m", "role": "user",
            "parts": [{"kind": "data", "data": {"data": 1}}]});
        assert_eq!(message_in(v.clone()), v);
    }

    #[test]
    fn results_take_the_proto_form() {
        let task = json!({
            "kind": "task", "id": "t", "contextId": "c",
            "status": {"state": "canceled", "message": {"kind": "message", "messageId": "m",
                "role": "agent", "parts": [{"kind": "text", "text": "x"}]}},
            "artifacts": [{"artifactId": "a", "parts": [{"kind": "data", "data": {"k": 1}}]}]
        });
        assert_eq!(
            oneof_out(task).unwrap_or_default(),
            json!({"task": {
                "id": "t", "contextId": "c",
                "status": {"state": "TASK_STATE_CANCELLED", "message": {"messageId": "m",
                    "role": "ROLE_AGENT", "content": [{"text": "x"}]}},
                "artifacts": [{"artifactId": "a", "parts": [{"data": {"data": {"k": 1}}}]}]
            }})
        );
        let cfg = push_config_out(
            json!({"taskId": "t", "pushNotificationConfig": {"id": "p", "url": "u"}}),
        );
        assert_eq!(cfg["name"], "tasks/t/pushNotificationConfigs/p");
    }

    #[test]
    fn push_create_bodies() {
        let python = json!({"parent": "tasks/t", "configId": "p",
            "config": {"name": "tasks/t/pushNotificationConfigs/p",
                "pushNotificationConfig": {"url": "https://h/w"}}});
        let Value::Object(python) = python else {
            return;
        };
        assert_eq!(
            push_create_params("t", python),
            json!({"taskId": "t", "pushNotificationConfig": {"url": "https://h/w", "id": "p"}})
        );
        let bare = json!({"url": "https://h/w", "token": "k"});
        let Value::Object(bare) = bare else { return };
        assert_eq!(
            push_create_params("t", bare),
            json!({"taskId": "t", "pushNotificationConfig": {"url": "https://h/w", "token": "k"}})
        );
    }
}
