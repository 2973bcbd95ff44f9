//! The conformance checklist of shared/docs/spec.md §13: one test per item that rest.rs,
//! grpc.rs and jsonrpc.rs do not cover (or cover on only some of the bindings the item
//! concerns), named `cNN_…` after the item and run on every binding it concerns through
//! one harness ([`Gw`]) that speaks JSON-RPC, HTTP+JSON and gRPC (tonic's client, as in
//! grpc.rs) and reads every answer back into the 1.0 ProtoJSON form, so that one
//! assertion checks all three. Items whose feature does not exist yet are `#[ignore]`d
//! with the reason; `docs/conformance.md` maps all 80 items to their tests.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support::{SseReader, TestServer, message_id, server};
use a2agw_proto::rpc::{BadRequest, ErrorInfo, Status as RpcStatus};
use a2agw_proto::v1;
use a2agw_proto::v1::a2a_service_client::A2aServiceClient;
use a2agw_server::{http_status, rpc_code};
use a2agw_types::{self as t, ERROR_DOMAIN, ErrorCode, Method, binding};
use prost::Message as _;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tonic::metadata::{MetadataKey, MetadataValue};
use tonic::transport::Channel;

// ---------------------------------------------------------------------------------------
// The harness: one call, three bindings.
// ---------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Binding {
    JsonRpc,
    Rest,
    Grpc,
}

use Binding::{Grpc, JsonRpc, Rest};

const ALL: [Binding; 3] = [JsonRpc, Rest, Grpc];
const HTTP: [Binding; 2] = [JsonRpc, Rest];

/// The interfaces the `a2a-gateway` binary declares (crates/a2agw `with_grpc`).
const SERVED: [(&str, &str); 5] = [
    (binding::JSONRPC, "1.0"),
    (binding::HTTP_JSON, "1.0"),
    (binding::GRPC, "1.0"),
    (binding::JSONRPC, "0.3"),
    (binding::HTTP_JSON, "0.3"),
];

/// An error as a binding reported it.
#[derive(Debug)]
struct Failure {
    binding: Binding,
    /// The error kind: the JSON-RPC code, else the `ErrorInfo` reason, else what the
    /// transport status says (`None` for authentication failures and other HTTP refusals).
    kind: Option<ErrorCode>,
    /// HTTP status (JSON-RPC, HTTP+JSON) or gRPC code.
    status: i32,
    /// `ErrorInfo.reason` (empty when none).
    reason: String,
    /// `ErrorInfo.domain`.
    domain: String,
    /// `BadRequest` field violations.
    fields: Vec<String>,
    /// The answer as received (JSON text, or the gRPC status).
    raw: String,
}

impl Failure {
    /// Asserts the error kind, its wire mapping on this binding (JSON-RPC: HTTP 200 and the
    /// code; HTTP+JSON: the mapped status; gRPC: the mapped code) and, for A2A errors, the
    /// `ErrorInfo` reason in domain `a2a-protocol.org`.
    #[track_caller]
    fn assert_is(&self, want: ErrorCode) {
        assert_eq!(self.kind, Some(want), "{self:#?}");
        let status = match self.binding {
            JsonRpc => 200,
            Rest => i32::from(http_status(want).as_u16()),
            Grpc => rpc_code(want).number(),
        };
        assert_eq!(self.status, status, "{self:#?}");
        if want.is_a2a() {
            assert_eq!(self.reason, want.reason(), "{self:#?}");
            assert_eq!(self.domain, ERROR_DOMAIN, "{self:#?}");
        }
    }

    /// Asserts -32602 / 400 / INVALID_ARGUMENT with a `BadRequest` naming `field`.
    #[track_caller]
    fn assert_invalid(&self, field: &str) {
        self.assert_is(ErrorCode::InvalidParams);
        assert!(
            self.fields.iter().any(|f| f == field),
            "{field} not in {:?}: {self:#?}",
            self.fields
        );
    }

    /// Asserts an authentication failure: HTTP 401 or gRPC UNAUTHENTICATED.
    #[track_caller]
    fn assert_unauthenticated(&self) {
        let want = if self.binding == Grpc { 16 } else { 401 };
        assert_eq!(self.status, want, "{self:#?}");
    }
}

/// The `ErrorInfo` (reason, domain) and `BadRequest` fields of a `details` array.
fn details_of(details: Option<&Value>) -> (String, String, Vec<String>) {
    let items = details
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let info = items
        .iter()
        .find(|d| d["@type"] == t::ERROR_INFO_TYPE)
        .cloned()
        .unwrap_or_default();
    let fields = items
        .iter()
        .filter(|d| d["@type"] == t::BAD_REQUEST_TYPE)
        .flat_map(|d| d["fieldViolations"].as_array().cloned().unwrap_or_default())
        .filter_map(|v| v["field"].as_str().map(str::to_owned))
        .collect();
    let s = |k: &str| info[k].as_str().unwrap_or_default().to_owned();
    (s("reason"), s("domain"), fields)
}

fn jsonrpc_failure(status: u16, body: &Value, raw: String) -> Failure {
    let (reason, domain, fields) = details_of(body["error"].get("data"));
    let kind = if status == 200 {
        body["error"]["code"]
            .as_i64()
            .and_then(|c| ErrorCode::from_code(i32::try_from(c).ok()?))
    } else {
        None
    };
    Failure {
        binding: JsonRpc,
        kind,
        status: i32::from(status),
        reason,
        domain,
        fields,
        raw,
    }
}

fn rest_failure(status: u16, body: &Value, raw: String) -> Failure {
    let (reason, domain, fields) = details_of(body["error"].get("details"));
    let kind = ErrorCode::from_reason(&reason).or(match body["error"]["status"].as_str() {
        Some("INVALID_ARGUMENT") if status == 400 => Some(ErrorCode::InvalidParams),
        Some("NOT_FOUND") => Some(ErrorCode::MethodNotFound),
        _ => None,
    });
    Failure {
        binding: Rest,
        kind,
        status: i32::from(status),
        reason,
        domain,
        fields,
        raw,
    }
}

fn grpc_failure(s: &tonic::Status) -> Failure {
    let details = RpcStatus::decode(s.details()).unwrap_or_default();
    let info = details
        .details
        .iter()
        .find(|a| a.type_url.ends_with("/google.rpc.ErrorInfo"))
        .map(|a| ErrorInfo::decode(a.value.as_slice()).unwrap())
        .unwrap_or_default();
    let fields = details
        .details
        .iter()
        .filter(|a| a.type_url.ends_with("/google.rpc.BadRequest"))
        .flat_map(|a| {
            BadRequest::decode(a.value.as_slice())
                .unwrap()
                .field_violations
        })
        .map(|v| v.field)
        .collect();
    let kind = ErrorCode::from_reason(&info.reason).or(match s.code() {
        tonic::Code::InvalidArgument => Some(ErrorCode::InvalidParams),
        tonic::Code::Unimplemented => Some(ErrorCode::MethodNotFound),
        tonic::Code::Internal => Some(ErrorCode::InternalError),
        _ => None,
    });
    Failure {
        binding: Grpc,
        kind,
        status: s.code() as i32,
        reason: info.reason,
        domain: info.domain,
        fields,
        raw: format!("{s:?}"),
    }
}

fn pct(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `?k=v&…` from the members of `params` (all but `skip`).
fn query(params: &Value, skip: &[&str]) -> String {
    let pairs: Vec<String> = params
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(k, _)| !skip.contains(&k.as_str()))
        .map(|(k, v)| {
            let v = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            format!("{}={}", pct(k), pct(&v))
        })
        .collect();
    if pairs.is_empty() {
        String::new()
    } else {
        format!("?{}", pairs.join("&"))
    }
}

/// The HTTP+JSON route of a 1.0 call: verb, path (under `/{tenant}` when the params name
/// one) and body.
fn rest_route(method: Method, params: &Value) -> (reqwest::Method, String, Option<Value>) {
    use reqwest::Method as M;
    let s = |k: &str| pct(params[k].as_str().unwrap_or_default());
    let mut body = params.clone();
    if let Some(o) = body.as_object_mut() {
        o.remove("tenant");
    }
    let tenant = params["tenant"].as_str().unwrap_or_default();
    let prefix = if tenant.is_empty() {
        String::new()
    } else {
        format!("/{}", pct(tenant))
    };
    let (verb, path, body) = match method {
        Method::SendMessage => (M::POST, "/message:send".to_owned(), Some(body)),
        Method::SendStreamingMessage => (M::POST, "/message:stream".to_owned(), Some(body)),
        Method::GetTask => (
            M::GET,
            format!("/tasks/{}{}", s("id"), query(params, &["id", "tenant"])),
            None,
        ),
        Method::ListTasks => (
            M::GET,
            format!("/tasks{}", query(params, &["tenant"])),
            None,
        ),
        Method::CancelTask => {
            if let Some(o) = body.as_object_mut() {
                o.remove("id");
            }
            (M::POST, format!("/tasks/{}:cancel", s("id")), Some(body))
        }
        Method::SubscribeToTask => (M::POST, format!("/tasks/{}:subscribe", s("id")), None),
        Method::CreateTaskPushNotificationConfig => (
            M::POST,
            format!("/tasks/{}/pushNotificationConfigs", s("taskId")),
            Some(body),
        ),
        Method::GetTaskPushNotificationConfig => (
            M::GET,
            format!("/tasks/{}/pushNotificationConfigs/{}", s("taskId"), s("id")),
            None,
        ),
        Method::ListTaskPushNotificationConfigs => (
            M::GET,
            format!(
                "/tasks/{}/pushNotificationConfigs{}",
                s("taskId"),
                query(params, &["taskId", "tenant"])
            ),
            None,
        ),
        Method::DeleteTaskPushNotificationConfig => (
            M::DELETE,
            format!("/tasks/{}/pushNotificationConfigs/{}", s("taskId"), s("id")),
            None,
        ),
        Method::GetExtendedAgentCard => (M::GET, "/extendedAgentCard".to_owned(), None),
    };
    (verb, format!("{prefix}{path}"), body)
}

fn dec<T: DeserializeOwned>(params: Value) -> T {
    t::from_value(params).unwrap_or_else(|e| panic!("params for gRPC: {e}"))
}

fn js<T: Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap()
}

fn grpc_request<T>(msg: T, md: &[(&str, &str)]) -> tonic::Request<T> {
    let mut req = tonic::Request::new(msg);
    for (k, v) in md {
        let key = MetadataKey::from_bytes(k.to_ascii_lowercase().as_bytes()).unwrap();
        req.metadata_mut()
            .insert(key, MetadataValue::try_from(*v).unwrap());
    }
    req
}

/// The events of an open stream, in the 1.0 ProtoJSON form of `StreamResponse`.
enum Events {
    /// JSON-RPC (`jsonrpc: true`: each event a JSON-RPC response) or HTTP+JSON SSE.
    Sse { reader: SseReader, jsonrpc: bool },
    /// gRPC server streaming.
    Grpc(tonic::Streaming<v1::StreamResponse>),
}

impl std::fmt::Debug for Events {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Events")
    }
}

impl Events {
    /// The next event, or `None` once the server ended the stream (10 s at most).
    async fn next(&mut self) -> Option<Value> {
        match self {
            Events::Sse { reader, jsonrpc } => {
                let e = reader.next().await?;
                assert!(e.event.is_none(), "an error event: {}", e.data);
                let v = e.json();
                if *jsonrpc {
                    assert!(v.get("error").is_none(), "an error event: {v}");
                    Some(v["result"].clone())
                } else {
                    Some(v)
                }
            }
            Events::Grpc(s) => tokio::time::timeout(Duration::from_secs(10), s.message())
                .await
                .expect("no stream event within 10 s")
                .unwrap_or_else(|e| panic!("stream error {e:?}"))
                .map(|e| js(&t::StreamResponse::try_from(e).unwrap())),
        }
    }

    /// Every remaining event, until the server ends the stream.
    async fn collect(mut self) -> Vec<Value> {
        let mut out = Vec::new();
        while let Some(e) = self.next().await {
            out.push(e);
        }
        out
    }
}

/// A test gateway and a gRPC client for it.
struct Gw {
    srv: TestServer,
    grpc: A2aServiceClient<Channel>,
}

async fn gw(builder: crate::support::ServerBuilder) -> Gw {
    let srv = builder.start().await;
    let channel = Channel::from_shared(srv.base.clone())
        .unwrap()
        .connect()
        .await
        .unwrap();
    Gw {
        srv,
        grpc: A2aServiceClient::new(channel),
    }
}

impl Gw {
    /// An HTTP request with `A2A-Version: 1.0` (unless `md` names a version) and `md`.
    fn http(
        &self,
        verb: reqwest::Method,
        path: &str,
        body: Option<&Value>,
        md: &[(&str, &str)],
    ) -> reqwest::RequestBuilder {
        let mut req = self.srv.http.request(verb, self.srv.url(path));
        if !md
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("a2a-version"))
        {
            req = req.header("a2a-version", "1.0");
        }
        for (k, v) in md {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req
                .header("content-type", "application/json")
                .body(b.to_string());
        }
        req
    }

    /// A 1.0 unary call on `b`.
    async fn call(&self, b: Binding, method: Method, params: Value) -> Result<Value, Failure> {
        self.call_md(b, method, params, &[]).await
    }

    /// A 1.0 unary call on `b` with service parameters / credentials `md`.
    async fn call_md(
        &self,
        b: Binding,
        method: Method,
        params: Value,
        md: &[(&str, &str)],
    ) -> Result<Value, Failure> {
        assert!(!method.is_streaming(), "use stream()");
        match b {
            JsonRpc => {
                let body =
                    json!({"jsonrpc": "2.0", "id": 1, "method": method.name(), "params": params});
                let resp = self
                    .http(reqwest::Method::POST, "/", Some(&body), md)
                    .send()
                    .await
                    .unwrap();
                let status = resp.status().as_u16();
                let raw = resp.text().await.unwrap();
                let v: Value = serde_json::from_str(&raw)
                    .unwrap_or_else(|e| panic!("not JSON ({e}), {status}: {raw}"));
                if status == 200 && v.get("error").is_none() {
                    assert_eq!(v["id"], 1, "{v}");
                    Ok(v["result"].clone())
                } else {
                    Err(jsonrpc_failure(status, &v, raw))
                }
            }
            Rest => {
                let (verb, path, body) = rest_route(method, &params);
                let resp = self
                    .http(verb, &path, body.as_ref(), md)
                    .send()
                    .await
                    .unwrap();
                let status = resp.status().as_u16();
                let raw = resp.text().await.unwrap();
                let v: Value = serde_json::from_str(&raw)
                    .unwrap_or_else(|e| panic!("not JSON ({e}), {status}: {raw}"));
                if status == 200 {
                    Ok(v)
                } else {
                    Err(rest_failure(status, &v, raw))
                }
            }
            Grpc => self.grpc_call(method, params, md).await,
        }
    }

    async fn grpc_call(
        &self,
        method: Method,
        params: Value,
        md: &[(&str, &str)],
    ) -> Result<Value, Failure> {
        let mut c = self.grpc.clone();
        let r = match method {
            Method::SendMessage => c
                .send_message(grpc_request(
                    v1::SendMessageRequest::from(dec::<t::SendMessageRequest>(params)),
                    md,
                ))
                .await
                .map(|r| js(&t::SendMessageResponse::try_from(r.into_inner()).unwrap())),
            Method::GetTask => c
                .get_task(grpc_request(
                    v1::GetTaskRequest::from(dec::<t::GetTaskRequest>(params)),
                    md,
                ))
                .await
                .map(|r| js(&t::Task::try_from(r.into_inner()).unwrap())),
            Method::ListTasks => c
                .list_tasks(grpc_request(
                    v1::ListTasksRequest::from(dec::<t::ListTasksRequest>(params)),
                    md,
                ))
                .await
                .map(|r| js(&t::ListTasksResponse::try_from(r.into_inner()).unwrap())),
            Method::CancelTask => c
                .cancel_task(grpc_request(
                    v1::CancelTaskRequest::from(dec::<t::CancelTaskRequest>(params)),
                    md,
                ))
                .await
                .map(|r| js(&t::Task::try_from(r.into_inner()).unwrap())),
            Method::CreateTaskPushNotificationConfig => c
                .create_task_push_notification_config(grpc_request(
                    v1::TaskPushNotificationConfig::from(dec::<t::TaskPushNotificationConfig>(
                        params,
                    )),
                    md,
                ))
                .await
                .map(|r| js(&t::TaskPushNotificationConfig::try_from(r.into_inner()).unwrap())),
            Method::GetTaskPushNotificationConfig => c
                .get_task_push_notification_config(grpc_request(
                    v1::GetTaskPushNotificationConfigRequest::from(dec::<
                        t::GetTaskPushNotificationConfigRequest,
                    >(params)),
                    md,
                ))
                .await
                .map(|r| js(&t::TaskPushNotificationConfig::try_from(r.into_inner()).unwrap())),
            Method::ListTaskPushNotificationConfigs => c
                .list_task_push_notification_configs(grpc_request(
                    v1::ListTaskPushNotificationConfigsRequest::from(dec::<
                        t::ListTaskPushNotificationConfigsRequest,
                    >(params)),
                    md,
                ))
                .await
                .map(|r| {
                    js(
                        &t::ListTaskPushNotificationConfigsResponse::try_from(r.into_inner())
                            .unwrap(),
                    )
                }),
            Method::DeleteTaskPushNotificationConfig => c
                .delete_task_push_notification_config(grpc_request(
                    v1::DeleteTaskPushNotificationConfigRequest::from(dec::<
                        t::DeleteTaskPushNotificationConfigRequest,
                    >(params)),
                    md,
                ))
                .await
                .map(|_| json!({})),
            Method::GetExtendedAgentCard => c
                .get_extended_agent_card(grpc_request(
                    v1::GetExtendedAgentCardRequest::from(dec::<t::GetExtendedAgentCardRequest>(
                        params,
                    )),
                    md,
                ))
                .await
                .map(|r| js(&t::AgentCard::try_from(r.into_inner()).unwrap())),
            Method::SendStreamingMessage | Method::SubscribeToTask => unreachable!(),
        };
        r.map_err(|s| grpc_failure(&s))
    }

    /// Opens a 1.0 stream call on `b`.
    async fn stream(
        &self,
        b: Binding,
        method: Method,
        params: Value,
        md: &[(&str, &str)],
    ) -> Result<Events, Failure> {
        assert!(method.is_streaming());
        match b {
            JsonRpc | Rest => {
                let req = if b == JsonRpc {
                    let body = json!({"jsonrpc": "2.0", "id": "s", "method": method.name(), "params": params});
                    self.http(reqwest::Method::POST, "/", Some(&body), md)
                } else {
                    let (verb, path, body) = rest_route(method, &params);
                    self.http(verb, &path, body.as_ref(), md)
                };
                let resp = req.send().await.unwrap();
                let status = resp.status().as_u16();
                let ct = resp
                    .headers()
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                if status == 200 && ct.starts_with("text/event-stream") {
                    return Ok(Events::Sse {
                        reader: SseReader::new(resp),
                        jsonrpc: b == JsonRpc,
                    });
                }
                let raw = resp.text().await.unwrap();
                let v: Value = serde_json::from_str(&raw)
                    .unwrap_or_else(|e| panic!("not JSON ({e}), {status}: {raw}"));
                Err(if b == JsonRpc {
                    jsonrpc_failure(status, &v, raw)
                } else {
                    rest_failure(status, &v, raw)
                })
            }
            Grpc => {
                let mut c = self.grpc.clone();
                let r = if method == Method::SendStreamingMessage {
                    c.send_streaming_message(grpc_request(
                        v1::SendMessageRequest::from(dec::<t::SendMessageRequest>(params)),
                        md,
                    ))
                    .await
                } else {
                    c.subscribe_to_task(grpc_request(
                        v1::SubscribeToTaskRequest::from(dec::<t::SubscribeToTaskRequest>(params)),
                        md,
                    ))
                    .await
                };
                r.map(|s| Events::Grpc(s.into_inner()))
                    .map_err(|s| grpc_failure(&s))
            }
        }
    }

    /// Sends `text` (blocking) on `b`; the task.
    async fn send(&self, b: Binding, text: &str) -> Value {
        let r = self
            .call(b, Method::SendMessage, json!({"message": msg(text)}))
            .await
            .unwrap_or_else(|f| panic!("{f:#?}"));
        r["task"].clone()
    }

    /// Sends `text` with `returnImmediately` on `b`; the task as created.
    async fn start(&self, b: Binding, text: &str) -> Value {
        let params = json!({"message": msg(text), "configuration": {"returnImmediately": true}});
        let r = self
            .call(b, Method::SendMessage, params)
            .await
            .unwrap_or_else(|f| panic!("{f:#?}"));
        r["task"].clone()
    }

    async fn get(&self, b: Binding, id: &str) -> Value {
        self.call(b, Method::GetTask, json!({"id": id}))
            .await
            .unwrap_or_else(|f| panic!("{f:#?}"))
    }

    async fn list(&self, b: Binding, params: Value) -> Value {
        self.call(b, Method::ListTasks, params)
            .await
            .unwrap_or_else(|f| panic!("{f:#?}"))
    }

    /// The agent card served at the well-known path.
    async fn card(&self) -> Value {
        let resp = self
            .srv
            .get("/.well-known/agent-card.json")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        resp.json().await.unwrap()
    }

    /// The card as a client of `version` asks for it (`A2A-Version`).
    async fn card_for(&self, version: &str) -> Value {
        let resp = self
            .srv
            .get("/.well-known/agent-card.json")
            .header("A2A-Version", version)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        resp.json().await.unwrap()
    }
}

/// A 1.0 user message with one text part.
fn msg(text: &str) -> Value {
    json!({"messageId": message_id(), "role": "ROLE_USER", "parts": [{"text": text}]})
}

/// `msg(text)` continuing task `task_id`.
fn msg_for(task_id: &str, text: &str) -> Value {
    let mut m = msg(text);
    m["taskId"] = task_id.into();
    m
}

fn id_of(task: &Value) -> String {
    task["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id: {task}"))
        .to_owned()
}

fn state_of(task: &Value) -> &str {
    task["status"]["state"].as_str().unwrap_or_default()
}

/// The one member of a `StreamResponse` / `SendMessageResponse`.
#[track_caller]
fn kind(v: &Value) -> &str {
    let o = v
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"));
    assert_eq!(o.len(), 1, "exactly one member: {v}");
    o.keys().next().unwrap()
}

fn event_state(e: &Value) -> Option<&str> {
    e.get("task")
        .or_else(|| e.get("statusUpdate"))
        .and_then(|x| x["status"]["state"].as_str())
}

fn is_terminal(state: &str) -> bool {
    matches!(
        state,
        "TASK_STATE_COMPLETED"
            | "TASK_STATE_FAILED"
            | "TASK_STATE_CANCELED"
            | "TASK_STATE_REJECTED"
    )
}

fn history_len(task: &Value) -> usize {
    task.get("history")
        .and_then(Value::as_array)
        .map_or(0, Vec::len)
}

fn text_of(parts: &Value) -> String {
    parts
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["text"].as_str())
        .collect()
}

// ---------------------------------------------------------------------------------------
// Discovery and card (items 1–7)
// ---------------------------------------------------------------------------------------

const CARD_FIELDS: [&str; 13] = [
    "name",
    "description",
    "supportedInterfaces",
    "provider",
    "version",
    "documentationUrl",
    "capabilities",
    "securitySchemes",
    "securityRequirements",
    "defaultInputModes",
    "defaultOutputModes",
    "skills",
    "signatures",
];
/// The 0.3 card's discovery fields, which the 1.0 card never carries.
const V03_FIELDS: [&str; 5] = [
    "protocolVersion",
    "url",
    "preferredTransport",
    "additionalInterfaces",
    "supportsAuthenticatedExtendedCard",
];

#[tokio::test]
async fn c01_the_agent_card_reads_as_a_1_0_agent_card() {
    let gw = gw(server().interfaces(SERVED.to_vec())).await;
    // A request that names no version, or names 1.0 (also on the ≤0.2 path, which serves
    // the 0.3 card otherwise: `c80_…`), gets the strict 1.0 card (decision 34).
    let asks = [
        ("/.well-known/agent-card.json", None),
        ("/.well-known/agent-card.json", Some("1.0")),
        ("/.well-known/agent-card.json?A2A-Version=1.0", None),
        ("/.well-known/agent.json", Some("1.0")),
    ];
    for (path, version) in asks {
        let mut req = gw.srv.get(path);
        if let Some(v) = version {
            req = req.header("A2A-Version", v);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), 200, "{path}");
        assert!(
            resp.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json")
        );
        let body: Value = resp.json().await.unwrap();
        // A ProtoJSON reader that ignores unknown members reads it as a 1.0 AgentCard ...
        let card: t::AgentCard =
            t::from_value(body.clone()).unwrap_or_else(|e| panic!("{path}: {e}: {body}"));
        assert_eq!(card.name, body["name"].as_str().unwrap());
        assert_eq!(
            card.supported_interfaces.len(),
            body["supportedInterfaces"].as_array().unwrap().len()
        );
        // ... which is the proto message: the protobuf form carries the same card.
        let proto = v1::AgentCard::from(card.clone());
        assert_eq!(t::AgentCard::try_from(proto).unwrap(), card);
        // Every member is a 1.0 AgentCard field: the 1.0 JSON Schema allows no other
        // (`additionalProperties: false`; the TCK's CARD-STRUCT-001).
        for key in body.as_object().unwrap().keys() {
            assert!(
                CARD_FIELDS.contains(&key.as_str()),
                "{path} {version:?}: unexpected member `{key}`"
            );
        }
    }
}

/// Asserts the REQUIRED members of a 1.0 AgentCard (JSON).
#[track_caller]
fn assert_card_complete(card: &Value) {
    for k in ["name", "description", "version"] {
        assert!(
            card[k].as_str().is_some_and(|s| !s.is_empty()),
            "{k}: {card}"
        );
    }
    assert!(card["capabilities"].is_object(), "{card}");
    for k in [
        "supportedInterfaces",
        "defaultInputModes",
        "defaultOutputModes",
        "skills",
    ] {
        assert!(
            card[k].as_array().is_some_and(|a| !a.is_empty()),
            "{k} is a non-empty array: {card}"
        );
    }
    for skill in card["skills"].as_array().unwrap() {
        for k in ["id", "name", "description"] {
            assert!(
                skill[k].as_str().is_some_and(|s| !s.is_empty()),
                "skill {k}: {skill}"
            );
        }
        assert!(
            skill["tags"].as_array().is_some_and(|a| !a.is_empty()),
            "skill tags: {skill}"
        );
    }
    if let Some(p) = card.get("provider") {
        assert!(p["url"].is_string() && p["organization"].is_string(), "{p}");
    }
}

#[tokio::test]
async fn c02_the_card_has_every_required_field() {
    let builder = server()
        .interfaces(SERVED.to_vec())
        .api_key("k", "alice")
        .anonymous(true);
    let mut extended = builder.card();
    extended.name = "Extended".into();
    let gw = gw(builder.extended_card(extended)).await;
    assert_card_complete(&gw.card().await);
    // The extended card too, on the HTTP bindings (gRPC: the ignored test below).
    for b in HTTP {
        let card = gw
            .call_md(
                b,
                Method::GetExtendedAgentCard,
                json!({}),
                &[("x-api-key", "k")],
            )
            .await
            .unwrap_or_else(|f| panic!("{f:#?}"));
        assert_eq!(card["name"], "Extended", "{b:?}");
        assert_card_complete(&card);
    }
}

#[tokio::test]
async fn c02_the_extended_card_over_grpc_has_every_required_field() {
    let builder = server()
        .interfaces(SERVED.to_vec())
        .api_key("k", "alice")
        .anonymous(true);
    let mut extended = builder.card();
    extended.name = "Extended".into();
    let gw = gw(builder.extended_card(extended)).await;
    let card = gw
        .call_md(
            Grpc,
            Method::GetExtendedAgentCard,
            json!({}),
            &[("x-api-key", "k")],
        )
        .await
        .unwrap_or_else(|f| panic!("{f:#?}"));
    assert_eq!(card["name"], "Extended");
    assert_card_complete(&card);
    // The same interfaces as over JSON-RPC.
    let rpc = gw
        .call_md(
            JsonRpc,
            Method::GetExtendedAgentCard,
            json!({}),
            &[("x-api-key", "k")],
        )
        .await
        .unwrap();
    assert_eq!(card["supportedInterfaces"], rpc["supportedInterfaces"]);
}

#[tokio::test]
async fn c03_every_interface_has_a_url_a_binding_and_a_major_minor_version() {
    let gw = gw(server().interfaces(SERVED.to_vec())).await;
    let card = gw.card().await;
    let interfaces = card["supportedInterfaces"].as_array().unwrap();
    assert_eq!(interfaces.len(), SERVED.len());
    for i in interfaces {
        let url = i["url"].as_str().unwrap_or_default();
        let b = i["protocolBinding"].as_str().unwrap_or_default();
        let v = i["protocolVersion"].as_str().unwrap_or_default();
        assert!(!url.is_empty() && !b.is_empty(), "{i}");
        let parts: Vec<&str> = v.split('.').collect();
        assert!(
            parts.len() == 2 && parts.iter().all(|p| p.parse::<u32>().is_ok()),
            "Major.Minor without patch: {i}"
        );
        if b == binding::GRPC {
            assert!(!url.contains("://"), "gRPC is host:port: {i}");
            assert!(
                url.rsplit_once(':').unwrap().1.parse::<u16>().is_ok(),
                "{i}"
            );
        } else {
            assert!(
                url.starts_with("http://") || url.starts_with("https://"),
                "{i}"
            );
        }
        assert!(i.get("tenant").is_none(), "{i}");
    }
}

#[tokio::test]
async fn c04_every_declared_interface_answers_task_not_found_and_every_served_binding_is_declared()
{
    let gw = gw(server().interfaces(SERVED.to_vec())).await;
    let card = gw.card().await;
    let mut declared = Vec::new();
    for i in card["supportedInterfaces"].as_array().unwrap() {
        let url = i["url"].as_str().unwrap();
        let b = i["protocolBinding"].as_str().unwrap();
        let v = i["protocolVersion"].as_str().unwrap();
        declared.push((b.to_owned(), v.to_owned()));
        let http = &gw.srv.http;
        match (b, v) {
            (binding::JSONRPC, _) => {
                let method = if v == "0.3" { "tasks/get" } else { "GetTask" };
                let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": {"id": "no-such-task"}});
                let resp = http
                    .post(url)
                    .header("content-type", "application/json")
                    .header("a2a-version", v)
                    .body(body.to_string())
                    .send()
                    .await
                    .unwrap();
                assert_eq!(resp.status(), 200);
                let body: Value = resp.json().await.unwrap();
                assert_eq!(body["error"]["code"], -32001, "{i}: {body}");
            }
            (binding::HTTP_JSON, _) => {
                let path = if v == "0.3" { "/v1/tasks" } else { "/tasks" };
                let resp = http
                    .get(format!("{url}{path}/no-such-task"))
                    .header("a2a-version", v)
                    .send()
                    .await
                    .unwrap();
                let status = resp.status().as_u16();
                let body: Value = resp.json().await.unwrap();
                let f = rest_failure(status, &body, body.to_string());
                f.assert_is(ErrorCode::TaskNotFound);
            }
            (binding::GRPC, "1.0") => {
                let channel = Channel::from_shared(format!("http://{url}"))
                    .unwrap()
                    .connect()
                    .await
                    .unwrap();
                let err = A2aServiceClient::new(channel)
                    .get_task(v1::GetTaskRequest {
                        id: "no-such-task".into(),
                        ..v1::GetTaskRequest::default()
                    })
                    .await
                    .unwrap_err();
                grpc_failure(&err).assert_is(ErrorCode::TaskNotFound);
            }
            other => panic!("an interface the gateway does not serve: {other:?}"),
        }
    }
    // Served: JSON-RPC 1.0 and 0.3, HTTP+JSON 1.0 and 0.3 (/v1), gRPC 1.0 (`lf.a2a.v1`).
    let mut served: Vec<(String, String)> = SERVED
        .iter()
        .map(|(b, v)| ((*b).to_owned(), (*v).to_owned()))
        .collect();
    served.sort();
    declared.sort();
    assert_eq!(declared, served);
}

/// JSON answers of every kind from the HTTP bindings (JSON-RPC results and errors, REST
/// bodies and errors, stream events, the card and the extended card).
async fn http_outputs() -> Vec<Value> {
    let builder = server().api_key("k", "alice").anonymous(true);
    let mut extended = builder.card();
    extended.name = "Extended".into();
    let gw = gw(builder.extended_card(extended)).await;
    let mut out = vec![gw.card().await];
    for b in HTTP {
        let task = gw.send(b, "hello").await;
        let id = id_of(&task);
        out.push(task);
        out.push(gw.send(b, "need input").await);
        out.push(gw.send(b, "please fail").await);
        out.push(
            gw.call(b, Method::SendMessage, json!({"message": msg("reply")}))
                .await
                .unwrap(),
        );
        out.push(gw.get(b, &id).await);
        out.push(gw.list(b, json!({"includeArtifacts": true})).await);
        let cfg = json!({"taskId": id, "url": "https://example.com/h", "token": "t",
            "authentication": {"scheme": "Bearer", "credentials": "c"}});
        out.push(
            gw.call(b, Method::CreateTaskPushNotificationConfig, cfg)
                .await
                .unwrap(),
        );
        out.push(
            gw.call(
                b,
                Method::ListTaskPushNotificationConfigs,
                json!({"taskId": id}),
            )
            .await
            .unwrap(),
        );
        out.push(
            gw.call_md(
                b,
                Method::GetExtendedAgentCard,
                json!({}),
                &[("x-api-key", "k")],
            )
            .await
            .unwrap(),
        );
        let running = gw.start(b, "slow 5").await;
        out.push(running.clone());
        out.extend(
            gw.stream(
                b,
                Method::SendStreamingMessage,
                json!({"message": msg("chunks 2")}),
                &[],
            )
            .await
            .unwrap()
            .collect()
            .await,
        );
        out.extend(
            gw.stream(
                b,
                Method::SubscribeToTask,
                json!({"id": id_of(&running)}),
                &[],
            )
            .await
            .unwrap()
            .collect()
            .await,
        );
        for (method, params) in [
            (Method::GetTask, json!({"id": "no-such-task"})),
            (Method::ListTasks, json!({"pageSize": 0})),
            (Method::CancelTask, json!({"id": id})),
        ] {
            let f = gw.call(b, method, params).await.unwrap_err();
            out.push(serde_json::from_str(&f.raw).unwrap());
        }
    }
    out
}

/// Calls `f(key, value)` for every member of every object in `v`, except inside free-form
/// maps (`metadata`, `params`, `data`).
fn walk(v: &Value, f: &mut impl FnMut(&str, &Value)) {
    match v {
        Value::Object(o) => {
            for (k, x) in o {
                f(k, x);
                if !matches!(k.as_str(), "metadata" | "params" | "data") {
                    walk(x, f);
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| walk(x, f)),
        _ => {}
    }
}

#[tokio::test]
async fn c05_json_uses_camel_case_names_and_proto_enum_names() {
    let outputs = http_outputs().await;
    let (mut states, mut roles) = (0, 0);
    for v in &outputs {
        walk(v, &mut |k, x| {
            let camel = k.chars().next().is_some_and(|c| c.is_ascii_lowercase())
                && k.chars().all(|c| c.is_ascii_alphanumeric());
            assert!(camel || k == "@type", "`{k}` is not lowerCamelCase in {v}");
            match k {
                "state" => {
                    states += 1;
                    assert!(
                        x.as_str().is_some_and(|s| s.starts_with("TASK_STATE_")),
                        "{x}"
                    );
                }
                "role" => {
                    roles += 1;
                    assert!(x.as_str().is_some_and(|s| s.starts_with("ROLE_")), "{x}");
                }
                _ => {}
            }
        });
    }
    assert!(states > 20 && roles > 20, "{states} states, {roles} roles");
}

#[tokio::test]
async fn c06_every_timestamp_is_utc_ending_in_z() {
    let outputs = http_outputs().await;
    let mut n = 0;
    for v in &outputs {
        walk(v, &mut |k, x| {
            if k == "timestamp" || k.ends_with("Timestamp") || k.ends_with("Time") {
                n += 1;
                let s = x.as_str().unwrap_or_else(|| panic!("{k}: {x}"));
                assert!(s.ends_with('Z'), "{k}: {s}");
                let ok = s.len() >= 20
                    && s.as_bytes()[4] == b'-'
                    && s.as_bytes()[10] == b'T'
                    && s.as_bytes()[13] == b':';
                assert!(ok, "ISO 8601: {s}");
                let parsed: t::Timestamp =
                    t::from_value(x.clone()).unwrap_or_else(|e| panic!("{s}: {e}"));
                assert_eq!(js(&parsed), *x, "written canonically");
            }
        });
    }
    assert!(n > 20, "{n} timestamps");
}

#[tokio::test]
async fn c07_the_card_declares_no_signatures() {
    // Item 7 applies "if the card declares signatures": the gateway does not sign its
    // card, so it declares none (and the check of item 7 is vacuous until it does).
    let gw = gw(server()).await;
    let card = gw.card().await;
    assert!(card.get("signatures").is_none(), "{card}");
}

#[tokio::test]
#[ignore = "needs card signing: the gateway declares no `signatures` to verify"]
async fn c07_card_signatures_verify_over_the_jcs_canonical_card() {
    let gw = gw(server()).await;
    let card = gw.card().await;
    let signatures = card["signatures"].as_array().cloned().unwrap_or_default();
    assert!(!signatures.is_empty(), "no signatures: {card}");
    for s in signatures {
        assert!(
            s["protected"].is_string() && s["signature"].is_string(),
            "{s}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// SendMessage (items 11, 14–24)
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn c11_invalid_messages_are_invalid_params_on_every_binding() {
    let gw = gw(server()).await;
    for b in ALL {
        for (m, field) in [
            (
                json!({"messageId": "m", "role": "ROLE_USER", "parts": []}),
                "message.parts",
            ),
            (
                json!({"messageId": "m", "role": "ROLE_USER"}),
                "message.parts",
            ),
            (
                json!({"role": "ROLE_USER", "parts": [{"text": "x"}]}),
                "message.messageId",
            ),
            (
                json!({"messageId": "m", "role": "ROLE_UNSPECIFIED", "parts": [{"text": "x"}]}),
                "message.role",
            ),
            (
                json!({"messageId": "m", "parts": [{"text": "x"}]}),
                "message.role",
            ),
        ] {
            for method in [Method::SendMessage, Method::SendStreamingMessage] {
                let params = json!({"message": m});
                let f = if method.is_streaming() {
                    gw.stream(b, method, params, &[]).await.unwrap_err()
                } else {
                    gw.call(b, method, params).await.unwrap_err()
                };
                f.assert_invalid(field);
            }
        }
        assert_eq!(gw.list(b, json!({})).await["totalSize"], 0, "{b:?}");
    }
}

#[tokio::test]
async fn c14_a_send_result_has_exactly_one_of_task_or_message() {
    let gw = gw(server()).await;
    for b in ALL {
        let r = gw
            .call(b, Method::SendMessage, json!({"message": msg("hello")}))
            .await
            .unwrap();
        assert_eq!(kind(&r), "task", "{b:?}");
        let r = gw
            .call(b, Method::SendMessage, json!({"message": msg("reply now")}))
            .await
            .unwrap();
        assert_eq!(kind(&r), "message", "{b:?}");
    }
}

#[tokio::test]
async fn c15_a_returned_task_has_server_ids_and_a_specified_state() {
    let gw = gw(server()).await;
    let mut ids = Vec::new();
    for b in ALL {
        for text in ["hello", "need input", "please fail"] {
            let task = gw.send(b, text).await;
            assert!(!id_of(&task).is_empty(), "{task}");
            assert!(
                task["contextId"].as_str().is_some_and(|c| !c.is_empty()),
                "{task}"
            );
            let state = state_of(&task);
            assert!(
                state.starts_with("TASK_STATE_") && state != "TASK_STATE_UNSPECIFIED",
                "{task}"
            );
            ids.push(id_of(&task));
        }
        let task = gw.start(b, "slow 5").await;
        assert!(
            !matches!(state_of(&task), "" | "TASK_STATE_UNSPECIFIED"),
            "{task}"
        );
        ids.push(id_of(&task));
    }
    let n = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), n, "every task gets its own id");
}

#[tokio::test]
async fn c16_a_message_without_context_id_gets_a_server_generated_one() {
    let gw = gw(server()).await;
    for b in ALL {
        let task = gw.send(b, "hello").await;
        let ctx = task["contextId"].as_str().unwrap_or_default();
        assert!(!ctx.is_empty(), "{task}");
        assert!(
            task["history"]
                .as_array()
                .unwrap()
                .iter()
                .all(|m| m["contextId"] == ctx),
            "{task}"
        );
        let reply = gw
            .call(b, Method::SendMessage, json!({"message": msg("reply")}))
            .await
            .unwrap();
        assert!(
            reply["message"]["contextId"]
                .as_str()
                .is_some_and(|c| !c.is_empty()),
            "{reply}"
        );
        // A client's own contextId is kept.
        let mut m = msg("hello");
        m["contextId"] = "ctx-of-the-client".into();
        let r = gw
            .call(b, Method::SendMessage, json!({"message": m}))
            .await
            .unwrap();
        assert_eq!(r["task"]["contextId"], "ctx-of-the-client");
    }
}

#[tokio::test]
async fn c17_a_message_for_an_unknown_task_is_task_not_found_and_creates_nothing() {
    let gw = gw(server()).await;
    for b in ALL {
        let params = json!({"message": msg_for("no-such-task", "hello")});
        gw.call(b, Method::SendMessage, params.clone())
            .await
            .unwrap_err()
            .assert_is(ErrorCode::TaskNotFound);
        gw.stream(b, Method::SendStreamingMessage, params, &[])
            .await
            .unwrap_err()
            .assert_is(ErrorCode::TaskNotFound);
        assert_eq!(gw.list(b, json!({})).await["totalSize"], 0, "{b:?}");
    }
}

#[tokio::test]
async fn c18_a_message_for_a_completed_task_is_unsupported_operation() {
    let gw = gw(server()).await;
    for b in ALL {
        let id = id_of(&gw.send(b, "hello").await);
        let before = gw.get(b, &id).await;
        let params = json!({"message": msg_for(&id, "more please")});
        gw.call(b, Method::SendMessage, params.clone())
            .await
            .unwrap_err()
            .assert_is(ErrorCode::UnsupportedOperation);
        gw.stream(b, Method::SendStreamingMessage, params, &[])
            .await
            .unwrap_err()
            .assert_is(ErrorCode::UnsupportedOperation);
        assert_eq!(gw.get(b, &id).await, before, "{b:?}: unchanged");
    }
}

#[tokio::test]
async fn c19_a_context_id_other_than_the_tasks_is_rejected() {
    let gw = gw(server()).await;
    for b in ALL {
        let id = id_of(&gw.send(b, "need input").await);
        let before = gw.get(b, &id).await;
        let mut m = msg_for(&id, "my name is Ada");
        m["contextId"] = "some-other-context".into();
        // Decision 9: -32602 naming `message.contextId`.
        gw.call(b, Method::SendMessage, json!({"message": m}))
            .await
            .unwrap_err()
            .assert_invalid("message.contextId");
        assert_eq!(gw.get(b, &id).await, before, "{b:?}: unchanged");
        assert_eq!(state_of(&before), "TASK_STATE_INPUT_REQUIRED");
    }
}

#[tokio::test]
async fn c20_a_message_with_only_the_task_id_continues_an_input_required_task() {
    let gw = gw(server()).await;
    for b in ALL {
        let task = gw.send(b, "need input").await;
        assert_eq!(state_of(&task), "TASK_STATE_INPUT_REQUIRED");
        let id = id_of(&task);
        let r = gw
            .call(
                b,
                Method::SendMessage,
                json!({"message": msg_for(&id, "my name is Ada")}),
            )
            .await
            .unwrap();
        let cont = &r["task"];
        assert_eq!(cont["id"], id.as_str(), "{b:?}: {r}");
        assert_eq!(cont["contextId"], task["contextId"], "{b:?}");
        assert_eq!(state_of(cont), "TASK_STATE_COMPLETED");
        let texts: Vec<String> = cont["history"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["role"] == "ROLE_USER")
            .map(|m| text_of(&m["parts"]))
            .collect();
        assert_eq!(texts, ["need input", "my name is Ada"], "{b:?}");
    }
}

#[tokio::test]
async fn c21_a_blocking_send_returns_a_settled_task() {
    let gw = gw(server()).await;
    for b in ALL {
        for (text, want) in [
            ("hello", "TASK_STATE_COMPLETED"),
            ("please fail", "TASK_STATE_FAILED"),
            ("reject this", "TASK_STATE_REJECTED"),
            ("need input", "TASK_STATE_INPUT_REQUIRED"),
            ("auth please", "TASK_STATE_AUTH_REQUIRED"),
            ("slow 5", "TASK_STATE_COMPLETED"),
        ] {
            let task = gw.send(b, text).await;
            assert_eq!(state_of(&task), want, "{b:?} {text}");
        }
    }
}

#[tokio::test]
async fn c23_send_history_length_0_and_1() {
    let gw = gw(server()).await;
    for b in ALL {
        let send = |n: i64| {
            gw.call(
                b,
                Method::SendMessage,
                json!({"message": msg("hello"), "configuration": {"historyLength": n}}),
            )
        };
        let none = send(0).await.unwrap();
        assert_eq!(history_len(&none["task"]), 0, "{b:?}: {none}");
        let one = send(1).await.unwrap();
        let task = &one["task"];
        assert_eq!(history_len(task), 1, "{b:?}: {one}");
        let full = gw.get(b, &id_of(task)).await;
        assert!(history_len(&full) > 1);
        assert_eq!(
            task["history"][0],
            *full["history"].as_array().unwrap().last().unwrap(),
            "{b:?}: the most recent entry"
        );
    }
}

#[tokio::test]
async fn c24_a_push_config_in_send_message_is_registered_for_the_task() {
    // The registration half of item 24; delivery is the ignored test below.
    let gw = gw(server()).await;
    for b in ALL {
        let params = json!({"message": msg("hello"), "configuration": {
            "taskPushNotificationConfig": {"url": "https://example.com/hook", "token": "tok"}}});
        let task = gw
            .call(b, Method::SendMessage, params)
            .await
            .unwrap_or_else(|f| panic!("{f:#?}"))["task"]
            .clone();
        let list = gw
            .call(
                b,
                Method::ListTaskPushNotificationConfigs,
                json!({"taskId": id_of(&task)}),
            )
            .await
            .unwrap();
        let configs = list["configs"].as_array().unwrap();
        assert_eq!(configs.len(), 1, "{b:?}: {list}");
        assert_eq!(configs[0]["url"], "https://example.com/hook");
        assert_eq!(configs[0]["taskId"], id_of(&task).as_str());
    }
}

/// The test setting that lets webhooks point at the loopback receiver ([`webhook`]).
const PRIVATE_TARGETS_ALLOWED: a2agw_server::PushPolicy = a2agw_server::PushPolicy {
    allow_private_targets: true,
};

/// One request a [`Webhook`] received.
#[derive(Clone, Debug)]
struct Received {
    request_line: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Received {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// A local webhook receiver answering 200 to every request (HTTP/1.1, `Content-Length`).
struct Webhook {
    url: String,
    received: Arc<Mutex<Vec<Received>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Webhook {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn take_request(buf: &mut Vec<u8>) -> Option<Received> {
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let request_line = lines.next()?.to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let len: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    if buf.len() < end + 4 + len {
        return None;
    }
    let body = buf[end + 4..end + 4 + len].to_vec();
    buf.drain(..end + 4 + len);
    Some(Received {
        request_line,
        headers,
        body,
    })
}

async fn webhook() -> Webhook {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let received: Arc<Mutex<Vec<Received>>> = Arc::default();
    let log = Arc::clone(&received);
    let task = tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let log = Arc::clone(&log);
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0_u8; 8192];
                loop {
                    let n = match sock.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => n,
                    };
                    buf.extend_from_slice(&chunk[..n]);
                    while let Some(r) = take_request(&mut buf) {
                        log.lock().unwrap().push(r);
                        let ok = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n";
                        if sock.write_all(ok).await.is_err() {
                            return;
                        }
                    }
                }
            });
        }
    });
    Webhook {
        url,
        received,
        task,
    }
}

impl Webhook {
    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Waits up to `secs` for at least `n` requests.
    async fn wait_for(&self, n: usize, secs: u64) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        loop {
            let got = self.received();
            if got.len() >= n || tokio::time::Instant::now() >= deadline {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

#[tokio::test]
async fn c24_a_push_config_in_send_message_causes_webhook_deliveries() {
    let gw = gw(server().push_policy(PRIVATE_TARGETS_ALLOWED).push_delivery(
        a2agw_server::PushSettings {
            allow_private_targets: true,
            initial_backoff: std::time::Duration::from_millis(20),
            ..Default::default()
        },
    ))
    .await;
    for b in ALL {
        let hook = webhook().await;
        let params = json!({"message": msg("hello"), "configuration": {
            "taskPushNotificationConfig": {"url": hook.url, "token": "tok"}}});
        let task = gw.call(b, Method::SendMessage, params).await.unwrap()["task"].clone();
        let got = hook.wait_for(1, 5).await;
        assert!(!got.is_empty(), "{b:?}: no delivery");
        assert!(got.iter().all(|r| r.request_line.starts_with("POST /hook")));
        let about_task = got.iter().any(|r| {
            let e = r.json();
            let k = kind(&e).to_owned();
            e[&k]["taskId"] == id_of(&task) || e[&k]["id"] == id_of(&task)
        });
        assert!(about_task, "{b:?}: {got:?}");
    }
}

// ---------------------------------------------------------------------------------------
// ListTasks (items 28–33)
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn c28_list_tasks_shows_only_the_callers_tasks() {
    let gw = gw(server().api_key("k-alice", "alice").api_key("k-bob", "bob")).await;
    let alice = [("x-api-key", "k-alice")];
    let bob = [("x-api-key", "k-bob")];
    let send = |md: &'static [(&'static str, &'static str)]| {
        let gw = &gw;
        async move {
            gw.call_md(
                JsonRpc,
                Method::SendMessage,
                json!({"message": msg("hello")}),
                md,
            )
            .await
            .unwrap()["task"]
                .clone()
        }
    };
    const ALICE: &[(&str, &str)] = &[("x-api-key", "k-alice")];
    const BOB: &[(&str, &str)] = &[("x-api-key", "k-bob")];
    let a1 = send(ALICE).await;
    let a2 = send(ALICE).await;
    let b1 = send(BOB).await;
    for b in ALL {
        let mine = gw
            .call_md(b, Method::ListTasks, json!({}), &alice)
            .await
            .unwrap();
        let mut ids: Vec<String> = mine["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .map(id_of)
            .collect();
        ids.sort();
        let mut want = vec![id_of(&a1), id_of(&a2)];
        want.sort();
        assert_eq!(ids, want, "{b:?}");
        assert_eq!(mine["totalSize"], 2);
        let theirs = gw
            .call_md(b, Method::ListTasks, json!({}), &bob)
            .await
            .unwrap();
        let ids: Vec<String> = theirs["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .map(id_of)
            .collect();
        assert_eq!(ids, [id_of(&b1)], "{b:?}");
        // A filter naming another caller's context finds nothing.
        let other = gw
            .call_md(
                b,
                Method::ListTasks,
                json!({"contextId": a1["contextId"]}),
                &bob,
            )
            .await
            .unwrap();
        assert_eq!(other["totalSize"], 0, "{b:?}");
    }
}

#[tokio::test]
async fn c29_list_tasks_is_ordered_by_status_timestamp_newest_first() {
    let gw = gw(server()).await;
    let waiting = gw.send(JsonRpc, "need input").await;
    tokio::time::sleep(Duration::from_millis(5)).await;
    let second = gw.send(JsonRpc, "hello").await;
    tokio::time::sleep(Duration::from_millis(5)).await;
    let third = gw.send(JsonRpc, "hello").await;
    tokio::time::sleep(Duration::from_millis(5)).await;
    // Continuing the oldest task makes its status the newest.
    let id = id_of(&waiting);
    gw.call(
        JsonRpc,
        Method::SendMessage,
        json!({"message": msg_for(&id, "Ada")}),
    )
    .await
    .unwrap();
    for b in ALL {
        let list = gw.list(b, json!({})).await;
        let tasks = list["tasks"].as_array().unwrap();
        let ids: Vec<String> = tasks.iter().map(id_of).collect();
        assert_eq!(ids, [id.clone(), id_of(&third), id_of(&second)], "{b:?}");
        let millis: Vec<i64> = tasks
            .iter()
            .map(|t| {
                t::from_value::<t::Timestamp>(t["status"]["timestamp"].clone())
                    .unwrap()
                    .unix_millis()
            })
            .collect();
        assert!(millis.windows(2).all(|w| w[0] >= w[1]), "{b:?}: {millis:?}");
    }
}

#[tokio::test]
async fn c30_list_tasks_pages_visit_every_task_once() {
    let gw = gw(server()).await;
    let mut want = Vec::new();
    for _ in 0..5 {
        want.push(id_of(&gw.send(JsonRpc, "hello").await));
    }
    want.sort();
    for b in ALL {
        let mut seen = Vec::new();
        let mut token = String::new();
        let mut sizes = Vec::new();
        loop {
            let page = gw.list(b, json!({"pageSize": 2, "pageToken": token})).await;
            for k in ["tasks", "nextPageToken", "pageSize", "totalSize"] {
                assert!(page.get(k).is_some(), "{b:?}: {k} in {page}");
            }
            assert_eq!(page["pageSize"], 2, "{b:?}");
            assert_eq!(page["totalSize"], 5, "{b:?}");
            let tasks = page["tasks"].as_array().unwrap();
            sizes.push(tasks.len());
            seen.extend(tasks.iter().map(id_of));
            token = page["nextPageToken"].as_str().unwrap().to_owned();
            if token.is_empty() {
                break;
            }
            assert!(sizes.len() < 5, "{b:?}: paging does not end");
        }
        assert_eq!(sizes, [2, 2, 1], "{b:?}");
        seen.sort();
        assert_eq!(seen, want, "{b:?}: every task exactly once");
    }
}

#[tokio::test]
async fn c31_list_tasks_out_of_range_values_are_invalid_params_on_every_binding() {
    let gw = gw(server()).await;
    for b in ALL {
        for (params, field) in [
            (json!({"pageSize": 0}), "pageSize"),
            (json!({"pageSize": 101}), "pageSize"),
            (json!({"pageSize": -1}), "pageSize"),
            (json!({"historyLength": -1}), "historyLength"),
        ] {
            gw.call(b, Method::ListTasks, params)
                .await
                .unwrap_err()
                .assert_invalid(field);
        }
    }
}

#[tokio::test]
async fn c32_list_tasks_has_artifacts_only_when_asked() {
    let gw = gw(server()).await;
    gw.send(JsonRpc, "hello").await;
    gw.send(JsonRpc, "chunks 2").await;
    for b in ALL {
        for params in [json!({}), json!({"includeArtifacts": false})] {
            let list = gw.list(b, params).await;
            assert!(
                list["tasks"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(|t| t.get("artifacts").is_none()),
                "{b:?}: {list}"
            );
        }
        let list = gw.list(b, json!({"includeArtifacts": true})).await;
        for task in list["tasks"].as_array().unwrap() {
            let artifacts = task["artifacts"].as_array();
            assert!(artifacts.is_some_and(|a| !a.is_empty()), "{b:?}: {task}");
        }
    }
}

#[tokio::test]
async fn c33_list_tasks_filters_return_exactly_the_matching_tasks() {
    let gw = gw(server()).await;
    let first = gw.send(JsonRpc, "hello").await;
    let ctx = first["contextId"].as_str().unwrap().to_owned();
    let mut tasks = vec![first];
    for text in ["please fail", "hello", "reject this"] {
        tokio::time::sleep(Duration::from_millis(5)).await;
        let mut m = msg(text);
        if text != "reject this" {
            m["contextId"] = ctx.clone().into();
        }
        tasks.push(
            gw.call(JsonRpc, Method::SendMessage, json!({"message": m}))
                .await
                .unwrap()["task"]
                .clone(),
        );
    }
    let ids = |list: &Value| -> Vec<String> {
        let mut v: Vec<String> = list["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .map(id_of)
            .collect();
        v.sort();
        v
    };
    let sorted = |v: &[&Value]| -> Vec<String> {
        let mut v: Vec<String> = v.iter().map(|t| id_of(t)).collect();
        v.sort();
        v
    };
    // The status timestamp of the second task, exactly: the filter is inclusive.
    let pivot = gw.get(JsonRpc, &id_of(&tasks[1])).await["status"]["timestamp"].clone();
    for b in ALL {
        let in_ctx = gw.list(b, json!({"contextId": ctx})).await;
        assert_eq!(
            ids(&in_ctx),
            sorted(&[&tasks[0], &tasks[1], &tasks[2]]),
            "{b:?}"
        );
        let failed = gw.list(b, json!({"status": "TASK_STATE_FAILED"})).await;
        assert_eq!(ids(&failed), sorted(&[&tasks[1]]), "{b:?}");
        let done = gw
            .list(
                b,
                json!({"status": "TASK_STATE_COMPLETED", "contextId": ctx}),
            )
            .await;
        assert_eq!(ids(&done), sorted(&[&tasks[0], &tasks[2]]), "{b:?}");
        let after = gw.list(b, json!({"statusTimestampAfter": pivot})).await;
        assert_eq!(
            ids(&after),
            sorted(&[&tasks[1], &tasks[2], &tasks[3]]),
            "{b:?}: from {pivot} on, inclusive"
        );
    }
}

// ---------------------------------------------------------------------------------------
// CancelTask (item 35)
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn c35_cancel_of_a_completed_failed_or_rejected_task_is_not_cancelable() {
    let gw = gw(server()).await;
    for b in ALL {
        for text in ["hello", "please fail", "reject this"] {
            let id = id_of(&gw.send(b, text).await);
            let before = gw.get(b, &id).await;
            assert!(is_terminal(state_of(&before)));
            gw.call(b, Method::CancelTask, json!({"id": id}))
                .await
                .unwrap_err()
                .assert_is(ErrorCode::TaskNotCancelable);
            assert_eq!(gw.get(b, &id).await, before, "{b:?} {text}: unchanged");
        }
    }
}

// ---------------------------------------------------------------------------------------
// Streams (items 39–41, 44, 46)
// ---------------------------------------------------------------------------------------

/// Asserts the first event is the task and every later one an update of that task.
#[track_caller]
fn assert_events_of_one_task(events: &[Value], b: Binding) {
    assert_eq!(kind(&events[0]), "task", "{b:?}: {}", events[0]);
    let task = &events[0]["task"];
    for e in &events[1..] {
        let k = kind(e);
        assert!(k == "statusUpdate" || k == "artifactUpdate", "{b:?}: {e}");
        assert_eq!(e[k]["taskId"], task["id"], "{b:?}: {e}");
        assert_eq!(e[k]["contextId"], task["contextId"], "{b:?}: {e}");
    }
}

#[tokio::test]
async fn c39_stream_events_after_the_task_carry_its_task_and_context_ids() {
    let gw = gw(server()).await;
    for b in ALL {
        let events = gw
            .stream(
                b,
                Method::SendStreamingMessage,
                json!({"message": msg("chunks 3")}),
                &[],
            )
            .await
            .unwrap()
            .collect()
            .await;
        assert_events_of_one_task(&events, b);
        assert!(events.len() >= 5, "{b:?}: {events:?}");
        let running = gw.start(b, "slow 5").await;
        let events = gw
            .stream(
                b,
                Method::SubscribeToTask,
                json!({"id": id_of(&running)}),
                &[],
            )
            .await
            .unwrap()
            .collect()
            .await;
        assert_events_of_one_task(&events, b);
        assert_eq!(events[0]["task"]["id"], running["id"]);
    }
}

#[tokio::test]
async fn c40_streams_end_after_any_terminal_state_on_every_binding() {
    let gw = gw(server()).await;
    for b in ALL {
        for (text, want) in [
            ("please fail", "TASK_STATE_FAILED"),
            ("reject this", "TASK_STATE_REJECTED"),
        ] {
            let events = gw
                .stream(
                    b,
                    Method::SendStreamingMessage,
                    json!({"message": msg(text)}),
                    &[],
                )
                .await
                .unwrap()
                .collect()
                .await;
            assert_eq!(event_state(events.last().unwrap()), Some(want), "{b:?}");
        }
        // A canceled task ends its subscribers' streams.
        let id = id_of(&gw.start(b, "slow 200").await);
        let mut sub = gw
            .stream(b, Method::SubscribeToTask, json!({"id": id}), &[])
            .await
            .unwrap();
        assert_eq!(kind(&sub.next().await.unwrap()), "task");
        gw.call(b, Method::CancelTask, json!({"id": id}))
            .await
            .unwrap();
        let rest = sub.collect().await;
        assert_eq!(
            event_state(rest.last().unwrap()),
            Some("TASK_STATE_CANCELED"),
            "{b:?}: {rest:?}"
        );
    }
}

#[tokio::test]
async fn c40_d17_streams_close_after_input_required_on_every_binding() {
    let gw = gw(server()).await;
    for b in ALL {
        let events = gw
            .stream(
                b,
                Method::SendStreamingMessage,
                json!({"message": msg("need input")}),
                &[],
            )
            .await
            .unwrap()
            .collect()
            .await;
        assert_eq!(
            event_state(events.last().unwrap()),
            Some("TASK_STATE_INPUT_REQUIRED"),
            "{b:?}"
        );
    }
}

#[tokio::test]
async fn c41_concurrent_subscribers_see_the_same_events() {
    let gw = gw(server()).await;
    for b in ALL {
        // A task waiting for input is idle: three subscriptions see the same snapshot.
        let id = id_of(&gw.send(b, "need input").await);
        let open = || gw.stream(b, Method::SubscribeToTask, json!({"id": id}), &[]);
        let mut one = open().await.unwrap();
        let mut two = open().await.unwrap();
        let mut three = open().await.unwrap();
        let first = one.next().await.unwrap();
        assert_eq!(two.next().await.unwrap(), first, "{b:?}");
        assert_eq!(three.next().await.unwrap(), first, "{b:?}");
        assert_eq!(event_state(&first), Some("TASK_STATE_INPUT_REQUIRED"));
        // Closing one affects no other.
        drop(three);
        gw.call(
            b,
            Method::SendMessage,
            json!({"message": msg_for(&id, "Ada"), "configuration": {"returnImmediately": true}}),
        )
        .await
        .unwrap();
        let rest_one = one.collect().await;
        let rest_two = two.collect().await;
        assert!(!rest_one.is_empty());
        assert_eq!(rest_one, rest_two, "{b:?}");
        assert_eq!(
            event_state(rest_one.last().unwrap()),
            Some("TASK_STATE_COMPLETED"),
            "{b:?}"
        );
    }
}

#[tokio::test]
async fn c44_stream_methods_need_the_streaming_capability() {
    let gw = gw(server().streaming(false)).await;
    for b in ALL {
        let running = id_of(&gw.start(b, "slow 20").await);
        gw.stream(
            b,
            Method::SendStreamingMessage,
            json!({"message": msg("hello")}),
            &[],
        )
        .await
        .unwrap_err()
        .assert_is(ErrorCode::UnsupportedOperation);
        gw.stream(b, Method::SubscribeToTask, json!({"id": running}), &[])
            .await
            .unwrap_err()
            .assert_is(ErrorCode::UnsupportedOperation);
    }
    // Only the three `returnImmediately` tasks exist: the refused stream created none.
    assert_eq!(gw.list(JsonRpc, json!({})).await["totalSize"], 3);
}

#[tokio::test]
async fn c46_artifact_chunks_make_one_artifact_in_get_task() {
    let gw = gw(server()).await;
    for b in ALL {
        let text = "abcdefghijklmnop chunks 4";
        let events = gw
            .stream(
                b,
                Method::SendStreamingMessage,
                json!({"message": msg(text)}),
                &[],
            )
            .await
            .unwrap()
            .collect()
            .await;
        let chunks: Vec<&Value> = events
            .iter()
            .filter_map(|e| e.get("artifactUpdate"))
            .collect();
        assert_eq!(chunks.len(), 4, "{b:?}");
        let artifact_id = &chunks[0]["artifact"]["artifactId"];
        for (i, c) in chunks.iter().enumerate() {
            assert_eq!(&c["artifact"]["artifactId"], artifact_id);
            assert_eq!(c["append"].as_bool().unwrap_or(false), i > 0, "{b:?}: {c}");
            assert_eq!(
                c["lastChunk"].as_bool().unwrap_or(false),
                i == 3,
                "{b:?}: {c}"
            );
        }
        let streamed: String = chunks
            .iter()
            .map(|c| text_of(&c["artifact"]["parts"]))
            .collect();
        assert_eq!(streamed, text);
        let id = id_of(&events[0]["task"]);
        let task = gw.get(b, &id).await;
        let artifacts = task["artifacts"].as_array().unwrap();
        assert_eq!(artifacts.len(), 1, "{b:?}: {task}");
        assert_eq!(&artifacts[0]["artifactId"], artifact_id);
        let parts: Vec<Value> = chunks
            .iter()
            .flat_map(|c| c["artifact"]["parts"].as_array().unwrap().clone())
            .collect();
        assert_eq!(
            artifacts[0]["parts"],
            json!(parts),
            "{b:?}: all parts, in order"
        );
        assert_eq!(text_of(&artifacts[0]["parts"]), text);
    }
}

// ---------------------------------------------------------------------------------------
// Push notification configs and delivery (items 49–54)
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn c49_deleting_a_push_config_twice_succeeds_on_every_binding() {
    let gw = gw(server()).await;
    for b in ALL {
        let task_id = id_of(&gw.send(b, "hello").await);
        let created = gw
            .call(
                b,
                Method::CreateTaskPushNotificationConfig,
                json!({"taskId": task_id, "url": "https://example.com/hook"}),
            )
            .await
            .unwrap();
        let ids = json!({"taskId": task_id, "id": created["id"]});
        for _ in 0..2 {
            let r = gw
                .call(b, Method::DeleteTaskPushNotificationConfig, ids.clone())
                .await
                .unwrap_or_else(|f| panic!("{f:#?}"));
            assert_eq!(r, json!({}), "{b:?}");
        }
        gw.call(b, Method::GetTaskPushNotificationConfig, ids)
            .await
            .unwrap_err()
            .assert_is(ErrorCode::TaskNotFound);
    }
}

/// The four push-config operations on `task_id` (config id `cfg`).
fn push_ops(task_id: &str, cfg: &str) -> [(Method, Value); 4] {
    [
        (
            Method::CreateTaskPushNotificationConfig,
            json!({"taskId": task_id, "url": "https://example.com/hook"}),
        ),
        (
            Method::GetTaskPushNotificationConfig,
            json!({"taskId": task_id, "id": cfg}),
        ),
        (
            Method::ListTaskPushNotificationConfigs,
            json!({"taskId": task_id}),
        ),
        (
            Method::DeleteTaskPushNotificationConfig,
            json!({"taskId": task_id, "id": cfg}),
        ),
    ]
}

#[tokio::test]
async fn c50_push_config_operations_on_an_unknown_task_are_task_not_found() {
    let gw = gw(server()).await;
    for b in ALL {
        for (method, params) in push_ops("no-such-task", "cfg") {
            gw.call(b, method, params)
                .await
                .unwrap_err()
                .assert_is(ErrorCode::TaskNotFound);
        }
    }
}

#[tokio::test]
async fn c51_push_config_operations_need_the_push_capability() {
    let gw = gw(server().push_notifications(false)).await;
    for b in ALL {
        let task_id = id_of(&gw.send(b, "hello").await);
        for (method, params) in push_ops(&task_id, "cfg") {
            gw.call(b, method, params)
                .await
                .unwrap_err()
                .assert_is(ErrorCode::PushNotificationNotSupported);
        }
    }
}

#[tokio::test]
async fn c51_a_send_with_a_push_config_needs_the_push_capability() {
    let gw = gw(server().push_notifications(false)).await;
    for b in ALL {
        let params = json!({"message": msg("hello"), "configuration": {
            "taskPushNotificationConfig": {"url": "https://example.com/hook"}}});
        gw.call(b, Method::SendMessage, params)
            .await
            .unwrap_err()
            .assert_is(ErrorCode::PushNotificationNotSupported);
    }
}

#[tokio::test]
async fn c52_a_webhook_receives_stream_responses_with_the_configured_authorization() {
    let gw = gw(server().push_policy(PRIVATE_TARGETS_ALLOWED).push_delivery(
        a2agw_server::PushSettings {
            allow_private_targets: true,
            initial_backoff: std::time::Duration::from_millis(20),
            ..Default::default()
        },
    ))
    .await;
    for b in ALL {
        let hook = webhook().await;
        let id = id_of(&gw.send(b, "need input").await);
        gw.call(
            b,
            Method::CreateTaskPushNotificationConfig,
            json!({"taskId": id, "url": hook.url, "token": "tok",
                "authentication": {"scheme": "Bearer", "credentials": "secret"}}),
        )
        .await
        .unwrap();
        gw.call(
            b,
            Method::SendMessage,
            json!({"message": msg_for(&id, "Ada")}),
        )
        .await
        .unwrap();
        let got = hook.wait_for(1, 5).await;
        assert!(!got.is_empty(), "{b:?}: no delivery");
        for r in &got {
            assert!(r.request_line.starts_with("POST "), "{r:?}");
            assert_eq!(r.header("authorization"), Some("Bearer secret"), "{r:?}");
            assert_eq!(r.header("x-a2a-notification-token"), Some("tok"), "{r:?}");
            assert!(
                r.header("content-type")
                    .is_some_and(|c| c.starts_with("application/a2a+json")),
                "{r:?}"
            );
            let e = r.json();
            let k = kind(&e).to_owned();
            assert!(
                ["task", "message", "statusUpdate", "artifactUpdate"].contains(&k.as_str()),
                "{e}"
            );
        }
    }
}

#[tokio::test]
async fn c53_no_post_arrives_after_the_config_is_deleted() {
    let gw = gw(server().push_policy(PRIVATE_TARGETS_ALLOWED).push_delivery(
        a2agw_server::PushSettings {
            allow_private_targets: true,
            initial_backoff: std::time::Duration::from_millis(20),
            ..Default::default()
        },
    ))
    .await;
    for b in ALL {
        let hook = webhook().await;
        let id = id_of(&gw.send(b, "need input").await);
        let cfg = gw
            .call(
                b,
                Method::CreateTaskPushNotificationConfig,
                json!({"taskId": id, "url": hook.url}),
            )
            .await
            .unwrap();
        // Deliveries happen while the config exists ...
        let running = id_of(&gw.start(b, "slow 3").await);
        let cfg2 = gw
            .call(
                b,
                Method::CreateTaskPushNotificationConfig,
                json!({"taskId": running, "url": hook.url}),
            )
            .await
            .unwrap();
        assert!(!hook.wait_for(1, 5).await.is_empty(), "{b:?}: no delivery");
        gw.call(
            b,
            Method::DeleteTaskPushNotificationConfig,
            json!({"taskId": running, "id": cfg2["id"]}),
        )
        .await
        .unwrap();
        // ... and none after the delete.
        gw.call(
            b,
            Method::DeleteTaskPushNotificationConfig,
            json!({"taskId": id, "id": cfg["id"]}),
        )
        .await
        .unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        let before = hook.received().len();
        gw.call(
            b,
            Method::SendMessage,
            json!({"message": msg_for(&id, "Ada")}),
        )
        .await
        .unwrap();
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(hook.received().len(), before, "{b:?}");
    }
}

#[tokio::test]
async fn c54_webhook_urls_in_private_address_space_are_refused() {
    let gw = gw(server()).await;
    for b in ALL {
        let id = id_of(&gw.send(b, "hello").await);
        for url in [
            "http://127.0.0.1/hook",
            "http://localhost:8080/hook",
            "http://10.1.2.3/hook",
            "http://172.16.0.1/hook",
            "http://192.168.1.1/hook",
            "http://169.254.169.254/latest/meta-data",
            "http://[::1]/hook",
            "http://[fe80::1]/hook",
        ] {
            gw.call(
                b,
                Method::CreateTaskPushNotificationConfig,
                json!({"taskId": id, "url": url}),
            )
            .await
            .unwrap_err()
            .assert_invalid("url");
            // Inline with a message too; no task is created.
            let params = json!({"message": msg("hello"), "configuration": {
                "taskPushNotificationConfig": {"url": url}}});
            gw.call(b, Method::SendMessage, params)
                .await
                .unwrap_err()
                .assert_invalid("configuration.taskPushNotificationConfig.url");
        }
        let list = gw
            .call(
                b,
                Method::ListTaskPushNotificationConfigs,
                json!({"taskId": id}),
            )
            .await
            .unwrap();
        assert!(
            list["configs"].as_array().is_none_or(Vec::is_empty),
            "{b:?}: {list}"
        );
    }
    assert_eq!(gw.list(JsonRpc, json!({})).await["totalSize"], 3);
    // With the private-target test setting on, the same URLs are accepted.
    let gw = self::gw(server().push_policy(PRIVATE_TARGETS_ALLOWED)).await;
    for b in ALL {
        let id = id_of(&gw.send(b, "hello").await);
        gw.call(
            b,
            Method::CreateTaskPushNotificationConfig,
            json!({"taskId": id, "url": "http://127.0.0.1:9/hook"}),
        )
        .await
        .unwrap_or_else(|f| panic!("{b:?}: {f:#?}"));
    }
}

// ---------------------------------------------------------------------------------------
// Extended card (item 57), errors across bindings (items 58, 60)
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn c57_an_extended_card_declared_but_not_configured_is_not_configured() {
    let gw = gw(server().api_key("k", "alice").declare_extended_card(true)).await;
    let card = gw.card().await;
    assert_eq!(card["capabilities"]["extendedAgentCard"], true);
    for b in ALL {
        gw.call_md(
            b,
            Method::GetExtendedAgentCard,
            json!({}),
            &[("x-api-key", "k")],
        )
        .await
        .unwrap_err()
        .assert_is(ErrorCode::ExtendedAgentCardNotConfigured);
        // Without credentials the caller learns nothing but that it must authenticate.
        gw.call(b, Method::GetExtendedAgentCard, json!({}))
            .await
            .unwrap_err()
            .assert_unauthenticated();
    }
}

/// Decision 33 (the TCK's CARD-EXT-001): a gateway whose card declares no security scheme
/// (anonymous callers only) has nothing to authenticate the extended card request with,
/// so every caller gets the extended card, on every binding, with its interfaces.
#[tokio::test]
async fn c56_without_a_declared_scheme_every_caller_gets_the_extended_card() {
    let builder = server();
    let mut extended = builder.card();
    extended.name = "Demo agent (extended)".into();
    let gw = gw(builder.extended_card(extended)).await;
    let card = gw.card().await;
    assert_eq!(card["capabilities"]["extendedAgentCard"], true);
    assert!(card.get("securitySchemes").is_none(), "{card}");
    for b in ALL {
        let got = gw
            .call(b, Method::GetExtendedAgentCard, json!({}))
            .await
            .unwrap_or_else(|e| panic!("{b:?}: {e:?}"));
        assert_eq!(got["name"], "Demo agent (extended)", "{b:?}: {got}");
        assert!(
            got["supportedInterfaces"]
                .as_array()
                .is_some_and(|i| !i.is_empty()),
            "{b:?}: {got}"
        );
    }
}

#[tokio::test]
async fn c58_rest_errors_have_the_mapped_status_and_a_status_body() {
    const EXT: &str = "https://example.com/ext/required/v1";
    let gw = gw(server()
        .api_key("k", "alice")
        .declare_extended_card(true)
        .extension(EXT, true))
    .await;
    let key = ("x-api-key", "k");
    let ext = ("a2a-extensions", EXT);
    let done = gw
        .call_md(
            Rest,
            Method::SendMessage,
            json!({"message": msg("hello")}),
            &[key, ext],
        )
        .await
        .unwrap()["task"]
        .clone();
    let done = id_of(&done);
    let no_push = crate::checklist::gw(server().push_notifications(false)).await;
    let cases: Vec<(Failure, ErrorCode)> = vec![
        (
            gw.call_md(Rest, Method::GetTask, json!({"id": "nope"}), &[key])
                .await
                .unwrap_err(),
            ErrorCode::TaskNotFound,
        ),
        (
            gw.call_md(Rest, Method::CancelTask, json!({"id": done}), &[key])
                .await
                .unwrap_err(),
            ErrorCode::TaskNotCancelable,
        ),
        (
            no_push
                .call(
                    Rest,
                    Method::ListTaskPushNotificationConfigs,
                    json!({"taskId": "x"}),
                )
                .await
                .unwrap_err(),
            ErrorCode::PushNotificationNotSupported,
        ),
        (
            gw.stream(Rest, Method::SubscribeToTask, json!({"id": done}), &[key])
                .await
                .unwrap_err(),
            ErrorCode::UnsupportedOperation,
        ),
        (
            gw.call_md(Rest, Method::GetExtendedAgentCard, json!({}), &[key])
                .await
                .unwrap_err(),
            ErrorCode::ExtendedAgentCardNotConfigured,
        ),
        (
            gw.call_md(
                Rest,
                Method::SendMessage,
                json!({"message": msg("hi")}),
                &[key],
            )
            .await
            .unwrap_err(),
            ErrorCode::ExtensionSupportRequired,
        ),
        (
            gw.call_md(
                Rest,
                Method::ListTasks,
                json!({}),
                &[key, ("a2a-version", "99.0")],
            )
            .await
            .unwrap_err(),
            ErrorCode::VersionNotSupported,
        ),
        (
            gw.call_md(Rest, Method::ListTasks, json!({"pageSize": 0}), &[key])
                .await
                .unwrap_err(),
            ErrorCode::InvalidParams,
        ),
    ];
    for (f, want) in cases {
        f.assert_is(want);
        let body: Value = serde_json::from_str(&f.raw).unwrap();
        let e = body["error"].as_object().unwrap();
        let mut keys: Vec<&str> = e.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["code", "details", "message", "status"], "{body}");
        assert_eq!(body["error"]["code"], f.status, "{body}");
        assert_eq!(body["error"]["status"], rpc_code(want).name(), "{body}");
        assert!(
            body["error"]["details"]
                .as_array()
                .unwrap()
                .iter()
                .all(|d| d["@type"].is_string())
        );
    }
}

#[tokio::test]
async fn c60_the_same_scenario_gives_the_same_results_on_every_binding() {
    let gw = gw(server()).await;
    let mut outcomes: Vec<Vec<String>> = Vec::new();
    for b in ALL {
        let mut o = Vec::new();
        for text in [
            "hello",
            "please fail",
            "reject this",
            "need input",
            "auth please",
        ] {
            o.push(state_of(&gw.send(b, text).await).to_owned());
        }
        let reply = gw
            .call(b, Method::SendMessage, json!({"message": msg("reply")}))
            .await
            .unwrap();
        o.push(kind(&reply).to_owned());
        let running = id_of(&gw.start(b, "slow 200").await);
        let canceled = gw
            .call(b, Method::CancelTask, json!({"id": running}))
            .await
            .unwrap();
        o.push(state_of(&canceled).to_owned());
        let done = id_of(&gw.send(b, "hello").await);
        let errors = [
            gw.call(b, Method::GetTask, json!({"id": "nope"})).await,
            gw.call(b, Method::CancelTask, json!({"id": done})).await,
            gw.call(
                b,
                Method::SendMessage,
                json!({"message": msg_for(&done, "more")}),
            )
            .await,
            gw.call(b, Method::ListTasks, json!({"pageSize": 500}))
                .await,
            gw.call(
                b,
                Method::GetTaskPushNotificationConfig,
                json!({"taskId": done, "id": "nope"}),
            )
            .await,
            gw.call(b, Method::GetExtendedAgentCard, json!({})).await,
        ];
        for e in errors {
            let f = e.unwrap_err();
            let k = f.kind.unwrap_or_else(|| panic!("{f:#?}"));
            f.assert_is(k);
            o.push(k.spec_name().to_owned());
        }
        let f = gw
            .stream(b, Method::SubscribeToTask, json!({"id": done}), &[])
            .await
            .unwrap_err();
        o.push(
            f.kind
                .map(ErrorCode::spec_name)
                .unwrap_or_default()
                .to_owned(),
        );
        outcomes.push(o);
    }
    assert_eq!(outcomes[0], outcomes[1], "JSON-RPC vs HTTP+JSON");
    assert_eq!(outcomes[0], outcomes[2], "JSON-RPC vs gRPC");
    assert_eq!(
        outcomes[0],
        [
            "TASK_STATE_COMPLETED",
            "TASK_STATE_FAILED",
            "TASK_STATE_REJECTED",
            "TASK_STATE_INPUT_REQUIRED",
            "TASK_STATE_AUTH_REQUIRED",
            "message",
            "TASK_STATE_CANCELED",
            "TaskNotFoundError",
            "TaskNotCancelableError",
            "UnsupportedOperationError",
            "InvalidParamsError",
            "TaskNotFoundError",
            "UnsupportedOperationError",
            "UnsupportedOperationError",
        ]
    );
}

// ---------------------------------------------------------------------------------------
// Extensions and tenancy (items 70–73)
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn c70_a_required_extension_must_be_activated() {
    const EXT: &str = "https://example.com/ext/required/v1";
    let gw = gw(server().extension(EXT, true)).await;
    for b in ALL {
        let send = json!({"message": msg("hello")});
        gw.call(b, Method::SendMessage, send.clone())
            .await
            .unwrap_err()
            .assert_is(ErrorCode::ExtensionSupportRequired);
        gw.stream(b, Method::SendStreamingMessage, send.clone(), &[])
            .await
            .unwrap_err()
            .assert_is(ErrorCode::ExtensionSupportRequired);
        let other = gw
            .call_md(
                b,
                Method::SendMessage,
                send.clone(),
                &[("a2a-extensions", "https://example.com/other/v1")],
            )
            .await
            .unwrap_err();
        other.assert_is(ErrorCode::ExtensionSupportRequired);
        let list = format!("https://example.com/other/v1, {EXT}");
        for header in ["a2a-extensions", "x-a2a-extensions"] {
            let r = gw
                .call_md(b, Method::SendMessage, send.clone(), &[(header, &list)])
                .await
                .unwrap_or_else(|f| panic!("{b:?} {header}: {f:#?}"));
            assert_eq!(state_of(&r["task"]), "TASK_STATE_COMPLETED");
        }
    }
}

#[tokio::test]
async fn c71_an_unknown_extension_is_ignored() {
    let gw = gw(server().extension("https://example.com/ext/optional/v1", false)).await;
    for b in ALL {
        for ext in [
            "https://example.com/unknown/v1",
            "https://example.com/unknown/v1,https://example.com/ext/optional/v1",
            "not even a uri",
        ] {
            let md = [("a2a-extensions", ext)];
            let r = gw
                .call_md(
                    b,
                    Method::SendMessage,
                    json!({"message": msg("hello")}),
                    &md,
                )
                .await
                .unwrap_or_else(|f| panic!("{b:?} {ext}: {f:#?}"));
            assert_eq!(state_of(&r["task"]), "TASK_STATE_COMPLETED");
            gw.call_md(b, Method::ListTasks, json!({}), &md)
                .await
                .unwrap();
        }
    }
}

#[tokio::test]
async fn c72_a_response_lists_the_activated_extensions() {
    const EXT: &str = "https://example.com/ext/optional/v1";
    let gw = gw(server().extension(EXT, false)).await;
    for (path, body) in [
        (
            "/",
            json!({"jsonrpc": "2.0", "id": 1, "method": "SendMessage", "params": {"message": msg("hi")}}),
        ),
        ("/message:send", json!({"message": msg("hi")})),
    ] {
        let resp = gw
            .srv
            .post_json(path, &body)
            .header("a2a-version", "1.0")
            .header(
                "a2a-extensions",
                format!("{EXT}, https://example.com/unknown/v1"),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        let activated = resp
            .headers()
            .get("a2a-extensions")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert!(activated.contains(EXT), "{path}: `{activated}`");
        assert!(!activated.contains("unknown"), "{path}: `{activated}`");
    }
    let resp = gw
        .grpc
        .clone()
        .send_message(grpc_request(
            v1::SendMessageRequest::from(dec::<t::SendMessageRequest>(
                json!({"message": msg("hi")}),
            )),
            &[("a2a-extensions", EXT)],
        ))
        .await
        .unwrap();
    let activated = resp
        .metadata()
        .get("a2a-extensions")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(activated.contains(EXT), "gRPC: `{activated}`");
}

#[tokio::test]
async fn c73_no_interface_declares_a_tenant() {
    // Item 73 is about interfaces with a `tenant`: the gateway declares none (one agent,
    // no tenant routing), so a `tenant` in a request is carried but not routed on.
    let gw = gw(server().interfaces(SERVED.to_vec())).await;
    let card = gw.card().await;
    for i in card["supportedInterfaces"].as_array().unwrap() {
        assert!(i.get("tenant").is_none(), "{i}");
    }
}

/// With several agents (decision 26), a tenant that names none of them reaches none: the
/// request fails as for a missing task, on every binding.
#[tokio::test]
async fn c73_an_unknown_tenant_never_reaches_an_agent() {
    let gw = gw(server().agent("beta")).await;
    for b in ALL {
        let id = id_of(&gw.send(b, "hello").await);
        let f = gw
            .call(
                b,
                Method::GetTask,
                json!({"tenant": "no-such-tenant", "id": id}),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(
                f.kind,
                Some(ErrorCode::TaskNotFound | ErrorCode::InvalidParams)
            ),
            "{b:?}: {f:#?}"
        );
        let f = gw
            .call(
                b,
                Method::SendMessage,
                json!({"tenant": "no-such-tenant", "message": msg("hello")}),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(
                f.kind,
                Some(ErrorCode::TaskNotFound | ErrorCode::InvalidParams)
            ),
            "{b:?}: {f:#?}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// 0.3 compatibility (item 80)
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn c80_a_0_3_client_reaches_0_3_endpoints_through_the_0_3_card() {
    let gw = gw(server().interfaces(SERVED.to_vec())).await;
    // A 0.3 client asks for the 0.3 card (decision 34): `A2A-Version: 0.3`, the query
    // parameter, or the ≤0.2 path without a header; all three give the same card.
    let raw = gw.card_for("0.3").await;
    for path in [
        "/.well-known/agent-card.json?A2A-Version=0.3",
        "/.well-known/agent.json",
    ] {
        let other: Value = gw.srv.get(path).send().await.unwrap().json().await.unwrap();
        assert_eq!(other, raw, "{path}");
    }
    // Only 0.3 members: a strict 0.3 parser sees no 1.0-only field.
    assert!(raw.get("supportedInterfaces").is_none(), "{raw}");
    for field in V03_FIELDS {
        assert!(raw.get(field).is_some(), "{field}: {raw}");
    }
    // What a 0.3 client reads (its own parser: `url`, `preferredTransport`, …).
    let card: t::v03::AgentCard = serde_json::from_value(raw.clone())
        .unwrap_or_else(|e| panic!("a 0.3 parser refuses the card: {e}: {raw}"));
    assert_eq!(card.protocol_version, "0.3.0");
    assert_eq!(card.preferred_transport, "JSONRPC");
    assert_eq!(card.url, format!("{}/", gw.srv.base));
    // The preferred endpoint speaks 0.3 JSON-RPC without any A2A-Version header.
    let send = json!({"jsonrpc": "2.0", "id": 1, "method": "message/send", "params": {"message":
        {"kind": "message", "messageId": message_id(), "role": "user",
         "parts": [{"kind": "text", "text": "hello old client"}]}}});
    let resp: Value = gw
        .srv
        .http
        .post(&card.url)
        .header("content-type", "application/json")
        .body(send.to_string())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let task = &resp["result"];
    assert_eq!(task["kind"], "task", "{resp}");
    assert_eq!(task["status"]["state"], "completed", "{resp}");
    let get =
        json!({"jsonrpc": "2.0", "id": 2, "method": "tasks/get", "params": {"id": task["id"]}});
    let resp: Value = gw
        .srv
        .http
        .post(&card.url)
        .header("content-type", "application/json")
        .body(get.to_string())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(resp["result"]["id"], task["id"], "{resp}");
    // The additional interfaces are 0.3 ones too: HTTP+JSON at `{url}/v1/…`.
    assert!(!card.additional_interfaces.is_empty());
    for i in &card.additional_interfaces {
        assert_eq!(i.transport, "HTTP+JSON", "{i:?}");
        let resp = gw
            .srv
            .http
            .get(format!(
                "{}/v1/tasks/{}",
                i.url,
                task["id"].as_str().unwrap()
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{i:?}");
    }
}
