//! The gRPC binding over real sockets, with tonic's own client (`A2aServiceClient` over a
//! `Channel`, HTTP/2 cleartext): every RPC of `lf.a2a.v1.A2AService`, errors with their
//! `google.rpc.Status` details, metadata as service parameters, stream limits, garbage on
//! the port, and the same scenario over JSON-RPC and gRPC. The server is the one HTTP +
//! gRPC service of `a2agw_server::service` on one port. Tests named `cNN_…` cover item NN
//! of the conformance checklist (shared/docs/spec.md §13).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support::{ServerBuilder, eventually, json_of, message_id, server};
use a2agw_proto::rpc::{BadRequest, ErrorInfo, Status as RpcStatus};
use a2agw_proto::v1::a2a_service_client::A2aServiceClient;
use a2agw_proto::v1::{self, part, send_message_response, stream_response};
use a2agw_server::{AppState, Limits};
use a2agw_types::{ERROR_DOMAIN, ErrorCode};
use prost::Message as _;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tonic::transport::Channel;
use tonic::{Code, Request, Status, Streaming};

type Client = A2aServiceClient<Channel>;

/// A gateway serving HTTP and gRPC on one port (`a2agw_server::service`).
struct Gateway {
    addr: SocketAddr,
    state: AppState,
    http: reqwest::Client,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Gateway {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn start(builder: ServerBuilder) -> Gateway {
    let state = builder.state();
    let app = a2agw_server::service(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Gateway {
        addr,
        state,
        http: reqwest::Client::new(),
        task,
    }
}

impl Gateway {
    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    async fn channel(&self) -> Channel {
        Channel::from_shared(self.url(""))
            .unwrap()
            .connect()
            .await
            .unwrap()
    }

    async fn client(&self) -> Client {
        A2aServiceClient::new(self.channel().await)
    }

    /// One JSON-RPC 1.0 call; the whole response body.
    async fn jsonrpc(&self, method: &str, params: Value, md: &[(&str, &str)]) -> Value {
        let mut req = self
            .http
            .post(self.url("/"))
            .header("content-type", "application/json");
        if !md
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("a2a-version"))
        {
            req = req.header("a2a-version", "1.0");
        }
        for (k, v) in md {
            req = req.header(*k, *v);
        }
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let (status, body) = json_of(req.body(body.to_string()).send().await.unwrap()).await;
        assert_eq!(status, 200, "{body}");
        body
    }
}

/// `msg` with metadata entries.
fn with_md<T>(msg: T, md: &[(&'static str, &str)]) -> Request<T> {
    let mut req = Request::new(msg);
    for (k, v) in md {
        req.metadata_mut().insert(*k, v.parse().unwrap());
    }
    req
}

fn text_message(text: &str) -> v1::Message {
    v1::Message {
        message_id: message_id(),
        role: v1::Role::User as i32,
        parts: vec![v1::Part {
            content: Some(part::Content::Text(text.to_owned())),
            ..v1::Part::default()
        }],
        ..v1::Message::default()
    }
}

fn send_req(text: &str) -> v1::SendMessageRequest {
    v1::SendMessageRequest {
        message: Some(text_message(text)),
        ..v1::SendMessageRequest::default()
    }
}

fn send_now_req(text: &str) -> v1::SendMessageRequest {
    v1::SendMessageRequest {
        message: Some(text_message(text)),
        configuration: Some(v1::SendMessageConfiguration {
            return_immediately: true,
            ..v1::SendMessageConfiguration::default()
        }),
        ..v1::SendMessageRequest::default()
    }
}

fn task_of(resp: v1::SendMessageResponse) -> v1::Task {
    match resp.payload {
        Some(send_message_response::Payload::Task(t)) => t,
        other => panic!("expected a task, got {other:?}"),
    }
}

fn state(task: &v1::Task) -> v1::TaskState {
    v1::TaskState::try_from(task.status.as_ref().unwrap().state).unwrap()
}

/// Sends `text` blocking and returns the task.
async fn send(client: &mut Client, text: &str) -> v1::Task {
    task_of(
        client
            .send_message(send_req(text))
            .await
            .unwrap()
            .into_inner(),
    )
}

/// Sends `text` with `returnImmediately` and returns the task as created.
async fn start_task(client: &mut Client, text: &str) -> v1::Task {
    task_of(
        client
            .send_message(send_now_req(text))
            .await
            .unwrap()
            .into_inner(),
    )
}

async fn get(client: &mut Client, id: &str) -> v1::Task {
    client
        .get_task(v1::GetTaskRequest {
            id: id.to_owned(),
            ..v1::GetTaskRequest::default()
        })
        .await
        .unwrap()
        .into_inner()
}

/// Every event of a stream until the server ends it (10 s at most per event).
async fn collect(mut s: Streaming<v1::StreamResponse>) -> Result<Vec<v1::StreamResponse>, Status> {
    let mut out = Vec::new();
    loop {
        match tokio::time::timeout(Duration::from_secs(10), s.message())
            .await
            .expect("no stream event within 10 s")?
        {
            Some(e) => out.push(e),
            None => return Ok(out),
        }
    }
}

fn payload(e: &v1::StreamResponse) -> &stream_response::Payload {
    e.payload.as_ref().unwrap()
}

/// The state an event reports, if it reports one.
fn event_state(e: &v1::StreamResponse) -> Option<v1::TaskState> {
    let s = match payload(e) {
        stream_response::Payload::Task(t) => t.status.as_ref()?.state,
        stream_response::Payload::StatusUpdate(u) => u.status.as_ref()?.state,
        _ => return None,
    };
    v1::TaskState::try_from(s).ok()
}

fn is_terminal(s: v1::TaskState) -> bool {
    matches!(
        s,
        v1::TaskState::Completed
            | v1::TaskState::Failed
            | v1::TaskState::Canceled
            | v1::TaskState::Rejected
    )
}

/// The decoded `grpc-status-details-bin` of a status.
fn details(status: &Status) -> RpcStatus {
    RpcStatus::decode(status.details()).expect("grpc-status-details-bin is a google.rpc.Status")
}

fn error_info(status: &Status) -> Option<ErrorInfo> {
    details(status)
        .details
        .iter()
        .find(|a| a.type_url.ends_with("/google.rpc.ErrorInfo"))
        .map(|a| ErrorInfo::decode(a.value.as_slice()).unwrap())
}

fn bad_request_fields(status: &Status) -> Vec<String> {
    details(status)
        .details
        .iter()
        .filter(|a| a.type_url.ends_with("/google.rpc.BadRequest"))
        .flat_map(|a| {
            BadRequest::decode(a.value.as_slice())
                .unwrap()
                .field_violations
        })
        .map(|v| v.field)
        .collect()
}

/// Asserts the status code, and the `ErrorInfo` reason in domain `a2a-protocol.org`.
#[track_caller]
fn assert_a2a_error(status: &Status, code: Code, reason: &str) {
    assert_eq!(status.code(), code, "{status:?}");
    let info = error_info(status).unwrap_or_else(|| panic!("no ErrorInfo in {status:?}"));
    assert_eq!(info.reason, reason, "{status:?}");
    assert_eq!(info.domain, ERROR_DOMAIN);
    assert!(!status.message().is_empty());
    let d = details(status);
    assert_eq!(d.code, code as i32);
    assert_eq!(d.message, status.message());
}

/// The error kind a gRPC status carries (ErrorInfo reason, else the code's reading).
fn grpc_error_kind(status: &Status) -> ErrorCode {
    let fallback = match status.code() {
        Code::NotFound => ErrorCode::TaskNotFound,
        Code::InvalidArgument => ErrorCode::InvalidParams,
        Code::Unimplemented => ErrorCode::MethodNotFound,
        _ => ErrorCode::InternalError,
    };
    a2agw_proto::error_from_status(&details(status), fallback).code
}

/// The error kind of a JSON-RPC error response.
fn jsonrpc_error_kind(body: &Value) -> ErrorCode {
    let code = body["error"]["code"]
        .as_i64()
        .unwrap_or_else(|| panic!("not an error: {body}"));
    ErrorCode::from_code(i32::try_from(code).unwrap()).unwrap()
}

// ---------------------------------------------------------------------------------------
// Item 64: the service and its 11 RPCs.

#[tokio::test]
async fn c64_send_message_blocking_returns_the_completed_task() {
    let gw = start(server()).await;
    let mut c = gw.client().await;
    let task = send(&mut c, "hello grpc").await;
    assert_eq!(state(&task), v1::TaskState::Completed);
    assert!(!task.id.is_empty() && !task.context_id.is_empty());
    let text: String = task
        .artifacts
        .iter()
        .flat_map(|a| &a.parts)
        .filter_map(|p| match &p.content {
            Some(part::Content::Text(t)) => Some(t.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(text, "hello grpc");
    // A direct reply is a message, not a task.
    let resp = c.send_message(send_req("reply please")).await.unwrap();
    match resp.into_inner().payload {
        Some(send_message_response::Payload::Message(m)) => {
            assert_eq!(m.role, v1::Role::Agent as i32);
        }
        other => panic!("expected a message, got {other:?}"),
    }
}

#[tokio::test]
async fn c64_send_message_return_immediately_answers_before_the_task_settles() {
    let gw = start(server()).await;
    let mut c = gw.client().await;
    let task = start_task(&mut c, "slow 20").await;
    assert!(!is_terminal(state(&task)), "{task:?}");
    let id = task.id.clone();
    let c2 = c.clone();
    eventually(10, move || {
        let mut c = c2.clone();
        let id = id.clone();
        async move { state(&get(&mut c, &id).await) == v1::TaskState::Completed }
    })
    .await;
    drop(c);
}

#[tokio::test]
async fn c64_send_streaming_message_streams_task_first_then_ordered_events_terminal_last() {
    let gw = start(server()).await;
    let mut c = gw.client().await;
    let stream = c
        .send_streaming_message(send_req("stream me chunks 3"))
        .await
        .unwrap()
        .into_inner();
    let events = collect(stream).await.unwrap();
    assert!(events.len() >= 3, "{events:?}");
    let stream_response::Payload::Task(first) = payload(&events[0]) else {
        panic!("the first event is not the task: {:?}", events[0]);
    };
    // Every later event is about that task, artifact chunks come in order, and the last
    // event (only the last) is terminal.
    let mut chunks = Vec::new();
    for e in &events[1..] {
        match payload(e) {
            stream_response::Payload::StatusUpdate(u) => assert_eq!(u.task_id, first.id),
            stream_response::Payload::ArtifactUpdate(a) => {
                assert_eq!(a.task_id, first.id);
                chunks.push((a.append, a.last_chunk));
            }
            other => panic!("unexpected event {other:?}"),
        }
    }
    assert_eq!(chunks.len(), 3, "{events:?}");
    assert!(!chunks[0].0 && chunks[1].0 && chunks[2].0, "{chunks:?}");
    assert!(chunks[2].1 && !chunks[0].1, "{chunks:?}");
    let (last, before) = events.split_last().unwrap();
    assert_eq!(event_state(last), Some(v1::TaskState::Completed));
    assert!(
        before
            .iter()
            .filter_map(event_state)
            .all(|s| !is_terminal(s)),
        "{events:?}"
    );
    // A direct reply streams as one message.
    let events = collect(
        c.send_streaming_message(send_req("reply now"))
            .await
            .unwrap()
            .into_inner(),
    )
    .await
    .unwrap();
    assert_eq!(events.len(), 1);
    assert!(matches!(
        payload(&events[0]),
        stream_response::Payload::Message(_)
    ));
}

#[tokio::test]
async fn c64_get_task_honours_history_length() {
    let gw = start(server()).await;
    let mut c = gw.client().await;
    let task = send(&mut c, "remember me").await;
    let full = get(&mut c, &task.id).await;
    assert_eq!(full.id, task.id);
    assert_eq!(state(&full), v1::TaskState::Completed);
    assert!(!full.history.is_empty());
    for (n, max) in [(0, 0), (1, 1)] {
        let t = c
            .get_task(v1::GetTaskRequest {
                id: task.id.clone(),
                history_length: Some(n),
                ..v1::GetTaskRequest::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert!(t.history.len() <= max, "historyLength {n}: {t:?}");
    }
}

#[tokio::test]
async fn c64_list_tasks_lists_the_callers_tasks() {
    let gw = start(server()).await;
    let mut c = gw.client().await;
    let a = send(&mut c, "one").await;
    let b = send(&mut c, "two fail").await;
    let list = c
        .list_tasks(v1::ListTasksRequest::default())
        .await
        .unwrap()
        .into_inner();
    let ids: Vec<&str> = list.tasks.iter().map(|t| t.id.as_str()).collect();
    assert!(
        ids.contains(&a.id.as_str()) && ids.contains(&b.id.as_str()),
        "{ids:?}"
    );
    assert_eq!(list.total_size, 2);
    // Filtered by status.
    let failed = c
        .list_tasks(v1::ListTasksRequest {
            status: v1::TaskState::Failed as i32,
            ..v1::ListTasksRequest::default()
        })
        .await
        .unwrap()
        .into_inner();
    let ids: Vec<&str> = failed.tasks.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, [b.id.as_str()]);
}

#[tokio::test]
async fn c64_cancel_task_cancels_a_working_task() {
    let gw = start(server()).await;
    let mut c = gw.client().await;
    let task = start_task(&mut c, "slow 200").await;
    let canceled = c
        .cancel_task(v1::CancelTaskRequest {
            id: task.id.clone(),
            ..v1::CancelTaskRequest::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(canceled.id, task.id);
    assert_eq!(state(&canceled), v1::TaskState::Canceled);
    assert_eq!(state(&get(&mut c, &task.id).await), v1::TaskState::Canceled);
}

#[tokio::test]
async fn c59_cancel_of_a_completed_task_is_failed_precondition_task_not_cancelable() {
    let gw = start(server()).await;
    let mut c = gw.client().await;
    let task = send(&mut c, "done soon").await;
    let err = c
        .cancel_task(v1::CancelTaskRequest {
            id: task.id.clone(),
            ..v1::CancelTaskRequest::default()
        })
        .await
        .unwrap_err();
    assert_a2a_error(&err, Code::FailedPrecondition, "TASK_NOT_CANCELABLE");
    // Nothing changed.
    assert_eq!(
        state(&get(&mut c, &task.id).await),
        v1::TaskState::Completed
    );
}

#[tokio::test]
async fn c64_subscribe_to_task_streams_a_running_task_to_its_end() {
    let gw = start(server().step(Duration::from_millis(60))).await;
    let mut c = gw.client().await;
    let task = start_task(&mut c, "slow 8").await;
    let stream = c
        .subscribe_to_task(v1::SubscribeToTaskRequest {
            id: task.id.clone(),
            ..v1::SubscribeToTaskRequest::default()
        })
        .await
        .unwrap()
        .into_inner();
    let events = collect(stream).await.unwrap();
    let stream_response::Payload::Task(first) = payload(&events[0]) else {
        panic!("the first event is not the task: {:?}", events[0]);
    };
    assert_eq!(first.id, task.id);
    assert_eq!(
        event_state(events.last().unwrap()),
        Some(v1::TaskState::Completed),
        "{events:?}"
    );
    // Subscribing to a task that has ended is UNSUPPORTED_OPERATION.
    let err = c
        .subscribe_to_task(v1::SubscribeToTaskRequest {
            id: task.id.clone(),
            ..v1::SubscribeToTaskRequest::default()
        })
        .await
        .unwrap_err();
    assert_a2a_error(&err, Code::FailedPrecondition, "UNSUPPORTED_OPERATION");
}

#[tokio::test]
async fn c64_push_notification_config_create_get_list_delete() {
    let gw = start(server()).await;
    let mut c = gw.client().await;
    let task = start_task(&mut c, "slow 50").await;
    let created = c
        .create_task_push_notification_config(v1::TaskPushNotificationConfig {
            task_id: task.id.clone(),
            url: "https://example.com/hook".into(),
            token: "tok".into(),
            authentication: Some(v1::AuthenticationInfo {
                scheme: "Bearer".into(),
                credentials: "secret".into(),
            }),
            ..v1::TaskPushNotificationConfig::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!created.id.is_empty());
    assert_eq!(created.task_id, task.id);
    assert_eq!(created.url, "https://example.com/hook");
    let got = c
        .get_task_push_notification_config(v1::GetTaskPushNotificationConfigRequest {
            task_id: task.id.clone(),
            id: created.id.clone(),
            ..v1::GetTaskPushNotificationConfigRequest::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(got, created);
    let list = c
        .list_task_push_notification_configs(v1::ListTaskPushNotificationConfigsRequest {
            task_id: task.id.clone(),
            ..v1::ListTaskPushNotificationConfigsRequest::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(list.configs, std::slice::from_ref(&created));
    c.delete_task_push_notification_config(v1::DeleteTaskPushNotificationConfigRequest {
        task_id: task.id.clone(),
        id: created.id.clone(),
        ..v1::DeleteTaskPushNotificationConfigRequest::default()
    })
    .await
    .unwrap();
    let err = c
        .get_task_push_notification_config(v1::GetTaskPushNotificationConfigRequest {
            task_id: task.id.clone(),
            id: created.id.clone(),
            ..v1::GetTaskPushNotificationConfigRequest::default()
        })
        .await
        .unwrap_err();
    assert_a2a_error(&err, Code::NotFound, "TASK_NOT_FOUND");
    // Item 50: on an unknown task.
    let err = c
        .create_task_push_notification_config(v1::TaskPushNotificationConfig {
            task_id: "no-such-task".into(),
            url: "https://example.com/hook".into(),
            ..v1::TaskPushNotificationConfig::default()
        })
        .await
        .unwrap_err();
    assert_a2a_error(&err, Code::NotFound, "TASK_NOT_FOUND");
    // The config itself is validated: url and taskId are required.
    let err = c
        .create_task_push_notification_config(v1::TaskPushNotificationConfig::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    let fields = bad_request_fields(&err);
    assert!(
        fields.iter().any(|f| f == "taskId") && fields.iter().any(|f| f == "url"),
        "{fields:?}"
    );
}

#[tokio::test]
async fn c51_push_config_rpcs_without_the_capability_are_push_notification_not_supported() {
    let gw = start(server().push_notifications(false)).await;
    let mut c = gw.client().await;
    let task = send(&mut c, "hi").await;
    let err = c
        .list_task_push_notification_configs(v1::ListTaskPushNotificationConfigsRequest {
            task_id: task.id,
            ..v1::ListTaskPushNotificationConfigsRequest::default()
        })
        .await
        .unwrap_err();
    assert_a2a_error(
        &err,
        Code::FailedPrecondition,
        "PUSH_NOTIFICATION_NOT_SUPPORTED",
    );
}

#[tokio::test]
async fn c55_get_extended_agent_card_not_declared_is_unsupported_operation() {
    let gw = start(server()).await;
    let mut c = gw.client().await;
    let err = c
        .get_extended_agent_card(v1::GetExtendedAgentCardRequest::default())
        .await
        .unwrap_err();
    assert_a2a_error(&err, Code::FailedPrecondition, "UNSUPPORTED_OPERATION");
}

#[tokio::test]
async fn c56_c57_extended_agent_card_needs_credentials_and_returns_the_card() {
    let builder = server().api_key("k-alice", "alice").anonymous(true);
    let mut extended = builder.card();
    extended.name = "Demo agent (extended)".into();
    let gw = start(builder.extended_card(extended)).await;
    let mut c = gw.client().await;
    let err = c
        .get_extended_agent_card(v1::GetExtendedAgentCardRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated, "{err:?}");
    let card = c
        .get_extended_agent_card(with_md(
            v1::GetExtendedAgentCardRequest::default(),
            &[("x-api-key", "k-alice")],
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(card.name, "Demo agent (extended)");
}

#[tokio::test]
async fn c64_streaming_rpcs_without_the_capability_are_unsupported_operation() {
    let gw = start(server().streaming(false)).await;
    let mut c = gw.client().await;
    let err = c.send_streaming_message(send_req("hi")).await.unwrap_err();
    assert_a2a_error(&err, Code::FailedPrecondition, "UNSUPPORTED_OPERATION");
}

#[tokio::test]
async fn c64_reflection_lists_the_a2a_service() {
    use tonic_reflection::pb::v1::ServerReflectionRequest;
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
    let gw = start(server()).await;
    let mut r = ServerReflectionClient::new(gw.channel().await);
    let req = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut resp = r
        .server_reflection_info(futures::stream::iter([req]))
        .await
        .unwrap()
        .into_inner();
    let msg = resp.message().await.unwrap().unwrap();
    let Some(MessageResponse::ListServicesResponse(list)) = msg.message_response else {
        panic!("unexpected reflection answer {msg:?}");
    };
    let names: Vec<&str> = list.service.iter().map(|s| s.name.as_str()).collect();
    assert!(names.contains(&"lf.a2a.v1.A2AService"), "{names:?}");
}

// ---------------------------------------------------------------------------------------
// Item 59: errors with the mapped code and ErrorInfo; validation errors name the field.

#[tokio::test]
async fn c59_unknown_task_is_not_found_with_error_info() {
    let gw = start(server()).await;
    let mut c = gw.client().await;
    let err = c
        .get_task(v1::GetTaskRequest {
            id: "no-such-task".into(),
            ..v1::GetTaskRequest::default()
        })
        .await
        .unwrap_err();
    assert_a2a_error(&err, Code::NotFound, "TASK_NOT_FOUND");
    assert_eq!(
        error_info(&err)
            .unwrap()
            .metadata
            .get("taskId")
            .map(String::as_str),
        Some("no-such-task")
    );
    for err in [
        c.cancel_task(v1::CancelTaskRequest {
            id: "no-such-task".into(),
            ..v1::CancelTaskRequest::default()
        })
        .await
        .unwrap_err(),
        c.subscribe_to_task(v1::SubscribeToTaskRequest {
            id: "no-such-task".into(),
            ..v1::SubscribeToTaskRequest::default()
        })
        .await
        .unwrap_err(),
    ] {
        assert_a2a_error(&err, Code::NotFound, "TASK_NOT_FOUND");
    }
}

#[tokio::test]
async fn c59_invalid_params_are_invalid_argument_naming_the_field() {
    let gw = start(server()).await;
    let mut c = gw.client().await;
    // Validation (`Validate`): a message without id, role or parts.
    let err = c
        .send_message(v1::SendMessageRequest {
            message: Some(v1::Message::default()),
            ..v1::SendMessageRequest::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument, "{err:?}");
    let fields = bad_request_fields(&err);
    for f in ["message.messageId", "message.role", "message.parts"] {
        assert!(fields.iter().any(|x| x == f), "{f} not in {fields:?}");
    }
    // Conversion (`TryFrom`): a part without content.
    let mut msg = text_message("x");
    msg.parts[0].content = None;
    let err = c
        .send_message(v1::SendMessageRequest {
            message: Some(msg),
            ..v1::SendMessageRequest::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument, "{err:?}");
    assert_eq!(bad_request_fields(&err), ["message.parts[0].content"]);
    // An enum number the proto does not define.
    let err = c
        .list_tasks(v1::ListTasksRequest {
            status: 42,
            ..v1::ListTasksRequest::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument, "{err:?}");
    assert_eq!(bad_request_fields(&err), ["status"]);
    // A missing id.
    let err = c.get_task(v1::GetTaskRequest::default()).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument, "{err:?}");
    assert_eq!(bad_request_fields(&err), ["id"]);
    // A negative historyLength.
    let err = c
        .get_task(v1::GetTaskRequest {
            id: "x".into(),
            history_length: Some(-1),
            ..v1::GetTaskRequest::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument, "{err:?}");
    assert_eq!(bad_request_fields(&err), ["historyLength"]);
    // Nothing was created by any of these.
    let list = c
        .list_tasks(v1::ListTasksRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(list.tasks.is_empty(), "{list:?}");
}

// ---------------------------------------------------------------------------------------
// Items 65/66: metadata as service parameters.

#[tokio::test]
async fn c66_a2a_version_99_is_failed_precondition_version_not_supported() {
    let gw = start(server()).await;
    let mut c = gw.client().await;
    let md = [("a2a-version", "99.0")];
    let err = c
        .send_message(with_md(send_req("hi"), &md))
        .await
        .unwrap_err();
    assert_a2a_error(&err, Code::FailedPrecondition, "VERSION_NOT_SUPPORTED");
    let err = c
        .send_streaming_message(with_md(send_req("hi"), &md))
        .await
        .unwrap_err();
    assert_a2a_error(&err, Code::FailedPrecondition, "VERSION_NOT_SUPPORTED");
    let err = c
        .list_tasks(with_md(v1::ListTasksRequest::default(), &md))
        .await
        .unwrap_err();
    assert_a2a_error(&err, Code::FailedPrecondition, "VERSION_NOT_SUPPORTED");
    // 0.3 over gRPC is package `a2a.v1`, not served here.
    let err = c
        .list_tasks(with_md(
            v1::ListTasksRequest::default(),
            &[("a2a-version", "0.3")],
        ))
        .await
        .unwrap_err();
    assert_a2a_error(&err, Code::FailedPrecondition, "VERSION_NOT_SUPPORTED");
    // Nothing was created.
    let list = c
        .list_tasks(v1::ListTasksRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(list.tasks.is_empty());
}

#[tokio::test]
async fn c66_c67_a2a_version_1_0_and_1_0_1_and_absent_are_served() {
    let gw = start(server()).await;
    let mut c = gw.client().await;
    for v in [Some("1.0"), Some("1.0.1"), Some(""), None] {
        let req = match v {
            Some(v) => with_md(send_req("versioned"), &[("a2a-version", v)]),
            None => Request::new(send_req("versioned")),
        };
        let task = task_of(c.send_message(req).await.unwrap().into_inner());
        assert_eq!(state(&task), v1::TaskState::Completed, "{v:?}");
    }
}

#[tokio::test]
async fn c65_c70_a2a_extensions_metadata_activates_a_required_extension() {
    const EXT: &str = "https://example.com/ext/required/v1";
    let gw = start(server().extension(EXT, true)).await;
    let mut c = gw.client().await;
    let err = c.send_message(send_req("hi")).await.unwrap_err();
    assert_a2a_error(&err, Code::FailedPrecondition, "EXTENSION_SUPPORT_REQUIRED");
    let list = format!("https://example.com/other/v1, {EXT}");
    let task = task_of(
        c.send_message(with_md(send_req("hi"), &[("a2a-extensions", &list)]))
            .await
            .unwrap()
            .into_inner(),
    );
    assert_eq!(state(&task), v1::TaskState::Completed);
    let stream = c
        .send_streaming_message(with_md(send_req("hi"), &[("a2a-extensions", EXT)]))
        .await
        .unwrap()
        .into_inner();
    let events = collect(stream).await.unwrap();
    assert_eq!(
        event_state(events.last().unwrap()),
        Some(v1::TaskState::Completed)
    );
}

#[tokio::test]
async fn c65_c74_no_credentials_when_auth_is_required_is_unauthenticated() {
    let gw = start(server().api_key("k-alice", "alice")).await;
    let mut c = gw.client().await;
    let err = c.send_message(send_req("hi")).await.unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated, "{err:?}");
    assert!(
        err.metadata().get("www-authenticate").is_some(),
        "no challenge: {err:?}"
    );
    let err = c.send_streaming_message(send_req("hi")).await.unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated, "{err:?}");
    // A wrong key is refused the same way.
    let err = c
        .send_message(with_md(send_req("hi"), &[("x-api-key", "wrong")]))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated, "{err:?}");
    // `authorization` and the API-key header are read as over HTTP; nothing was created by
    // the refused calls.
    for md in [
        [("x-api-key", "k-alice")],
        [("authorization", "Bearer k-alice")],
    ] {
        let list = c
            .list_tasks(with_md(v1::ListTasksRequest::default(), &md))
            .await
            .unwrap()
            .into_inner();
        assert!(list.tasks.is_empty(), "{list:?}");
    }
    let task = task_of(
        c.send_message(with_md(
            send_req("hi"),
            &[("authorization", "Bearer k-alice")],
        ))
        .await
        .unwrap()
        .into_inner(),
    );
    assert_eq!(state(&task), v1::TaskState::Completed);
}

#[tokio::test]
async fn c75_another_principals_task_is_not_found() {
    let gw = start(server().api_key("k-alice", "alice").api_key("k-bob", "bob")).await;
    let mut c = gw.client().await;
    let alice = [("x-api-key", "k-alice")];
    let bob = [("x-api-key", "k-bob")];
    let task = task_of(
        c.send_message(with_md(send_now_req("slow 100"), &alice))
            .await
            .unwrap()
            .into_inner(),
    );
    let id = task.id.clone();
    let errors = [
        c.get_task(with_md(
            v1::GetTaskRequest {
                id: id.clone(),
                ..v1::GetTaskRequest::default()
            },
            &bob,
        ))
        .await
        .unwrap_err(),
        c.cancel_task(with_md(
            v1::CancelTaskRequest {
                id: id.clone(),
                ..v1::CancelTaskRequest::default()
            },
            &bob,
        ))
        .await
        .unwrap_err(),
        c.subscribe_to_task(with_md(
            v1::SubscribeToTaskRequest {
                id: id.clone(),
                ..v1::SubscribeToTaskRequest::default()
            },
            &bob,
        ))
        .await
        .unwrap_err(),
        c.create_task_push_notification_config(with_md(
            v1::TaskPushNotificationConfig {
                task_id: id.clone(),
                url: "https://example.com/hook".into(),
                ..v1::TaskPushNotificationConfig::default()
            },
            &bob,
        ))
        .await
        .unwrap_err(),
        c.list_task_push_notification_configs(with_md(
            v1::ListTaskPushNotificationConfigsRequest {
                task_id: id.clone(),
                ..v1::ListTaskPushNotificationConfigsRequest::default()
            },
            &bob,
        ))
        .await
        .unwrap_err(),
        c.get_task_push_notification_config(with_md(
            v1::GetTaskPushNotificationConfigRequest {
                task_id: id.clone(),
                id: "any".into(),
                ..v1::GetTaskPushNotificationConfigRequest::default()
            },
            &bob,
        ))
        .await
        .unwrap_err(),
        c.delete_task_push_notification_config(with_md(
            v1::DeleteTaskPushNotificationConfigRequest {
                task_id: id.clone(),
                id: "any".into(),
                ..v1::DeleteTaskPushNotificationConfigRequest::default()
            },
            &bob,
        ))
        .await
        .unwrap_err(),
    ];
    for err in &errors {
        assert_a2a_error(err, Code::NotFound, "TASK_NOT_FOUND");
    }
    let list = c
        .list_tasks(with_md(v1::ListTasksRequest::default(), &bob))
        .await
        .unwrap()
        .into_inner();
    assert!(list.tasks.is_empty(), "{list:?}");
    // Alice still sees her task, still running.
    let mine = c
        .get_task(with_md(
            v1::GetTaskRequest {
                id: id.clone(),
                ..v1::GetTaskRequest::default()
            },
            &alice,
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(!is_terminal(state(&mine)));
}

// ---------------------------------------------------------------------------------------
// Limits.

#[tokio::test]
async fn grpc_streams_count_against_the_per_client_stream_limit() {
    let limits = Limits::new(
        4 * 1024 * 1024,
        1,
        Duration::from_secs(15),
        Duration::from_secs(300),
    );
    let gw = start(server().limits(limits)).await;
    let mut c = gw.client().await;
    let task = start_task(&mut c, "slow 500").await;
    let sub = || v1::SubscribeToTaskRequest {
        id: task.id.clone(),
        ..v1::SubscribeToTaskRequest::default()
    };
    let mut first = c.subscribe_to_task(sub()).await.unwrap().into_inner();
    assert!(first.message().await.unwrap().is_some());
    assert_eq!(gw.state.limits.open_streams(), 1);
    let err = c.subscribe_to_task(sub()).await.unwrap_err();
    assert_eq!(err.code(), Code::ResourceExhausted, "{err:?}");
    let err = c.send_streaming_message(send_req("hi")).await.unwrap_err();
    assert_eq!(err.code(), Code::ResourceExhausted, "{err:?}");
    // Closing the stream gives the slot back.
    drop(first);
    let limits = gw.state.limits.clone();
    eventually(5, move || {
        let n = limits.open_streams();
        async move { n == 0 }
    })
    .await;
    let mut again = c.subscribe_to_task(sub()).await.unwrap().into_inner();
    assert!(again.message().await.unwrap().is_some());
}

#[tokio::test]
async fn grpc_request_messages_are_limited_to_the_body_limit() {
    let limits = Limits::new(1024, 64, Duration::from_secs(15), Duration::from_secs(300));
    let gw = start(server().limits(limits)).await;
    let mut c = gw.client().await;
    let err = c
        .send_message(send_req(&"x".repeat(4096)))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::OutOfRange, "{err:?}");
    let task = send(&mut c, "small").await;
    assert_eq!(state(&task), v1::TaskState::Completed);
}

// ---------------------------------------------------------------------------------------
// One port for HTTP and gRPC; garbage on it.

#[tokio::test]
async fn grpc_and_http_share_one_port() {
    let gw = start(server()).await;
    // HTTP/1.1: JSON-RPC, the card, health.
    let body = gw
        .jsonrpc(
            "SendMessage",
            json!({"message": crate::support::user_message("over http")}),
            &[],
        )
        .await;
    assert_eq!(
        body["result"]["task"]["status"]["state"],
        "TASK_STATE_COMPLETED"
    );
    let http_id = body["result"]["task"]["id"].as_str().unwrap().to_owned();
    let card = gw
        .http
        .get(gw.url("/.well-known/agent-card.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(card.status(), 200);
    let health = gw.http.get(gw.url("/healthz")).send().await.unwrap();
    assert_eq!(health.text().await.unwrap(), "ok");
    // HTTP/2 cleartext gRPC on the same port sees the same tasks.
    let mut c = gw.client().await;
    assert_eq!(
        state(&get(&mut c, &http_id).await),
        v1::TaskState::Completed
    );
    // An HTTP/2 request that is not gRPC still reaches the HTTP router.
    let h2 = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .unwrap();
    let health = h2.get(gw.url("/healthz")).send().await.unwrap();
    assert_eq!(health.version(), reqwest::Version::HTTP_2);
    assert_eq!(health.text().await.unwrap(), "ok");
}

/// A gRPC request with a raw body over HTTP/2 (reqwest); the `grpc-status` of the answer.
async fn raw_grpc(gw: &Gateway, path: &str, body: Vec<u8>) -> Option<String> {
    let h2 = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .unwrap();
    let resp = tokio::time::timeout(
        Duration::from_secs(10),
        h2.post(gw.url(path))
            .header("content-type", "application/grpc")
            .header("te", "trailers")
            .body(body)
            .send(),
    )
    .await
    .expect("no answer within 10 s")
    .unwrap();
    assert_eq!(resp.status(), 200);
    resp.headers()
        .get("grpc-status")
        .map(|v| v.to_str().unwrap().to_owned())
}

#[tokio::test]
async fn grpc_garbage_message_is_an_error_status_not_a_panic() {
    let gw = start(server()).await;
    // A frame whose payload is not a protobuf message.
    let mut body = vec![0, 0, 0, 0, 6];
    body.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    let status = raw_grpc(&gw, "/lf.a2a.v1.A2AService/GetTask", body).await;
    assert!(
        matches!(status.as_deref(), Some("3" | "13")),
        "grpc-status {status:?}"
    );
    // A frame that announces more bytes than it carries.
    let status = raw_grpc(
        &gw,
        "/lf.a2a.v1.A2AService/GetTask",
        vec![0, 0, 0, 0, 100, 1, 2],
    )
    .await;
    assert!(
        matches!(status.as_deref(), Some("3" | "13")),
        "grpc-status {status:?}"
    );
    // No message at all.
    let status = raw_grpc(&gw, "/lf.a2a.v1.A2AService/SendMessage", Vec::new()).await;
    assert!(
        matches!(status.as_deref(), Some("3" | "13")),
        "grpc-status {status:?}"
    );
    // An unknown method or service.
    let status = raw_grpc(&gw, "/lf.a2a.v1.A2AService/NoSuchRpc", vec![0, 0, 0, 0, 0]).await;
    assert_eq!(status.as_deref(), Some("12"));
    let status = raw_grpc(&gw, "/a2a.v1.A2AService/GetTask", vec![0, 0, 0, 0, 0]).await;
    assert_eq!(status.as_deref(), Some("12"));
    // The server is fine afterwards, and no task was created.
    let mut c = gw.client().await;
    let list = c
        .list_tasks(v1::ListTasksRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(list.tasks.is_empty());
}

#[tokio::test]
async fn grpc_port_garbage_bytes_close_the_connection() {
    let gw = start(server()).await;
    for garbage in [
        &b"\x00\x01\x02\x03garbage\xff\xfe\r\n\r\n"[..],
        // An HTTP/2 preface followed by nonsense frames.
        &b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"[..],
    ] {
        let mut sock = tokio::net::TcpStream::connect(gw.addr).await.unwrap();
        sock.write_all(garbage).await.unwrap();
        let mut buf = Vec::new();
        // The server answers (an HTTP 400 or an HTTP/2 GOAWAY) and closes, or just closes.
        let read = tokio::time::timeout(Duration::from_secs(10), sock.read_to_end(&mut buf))
            .await
            .expect("the connection stayed open after garbage");
        assert!(
            read.is_ok()
                || read
                    .as_ref()
                    .is_err_and(|e| e.kind() == std::io::ErrorKind::ConnectionReset),
            "{read:?}"
        );
    }
    // The server still serves both protocols.
    let mut c = gw.client().await;
    assert_eq!(
        state(&send(&mut c, "still here").await),
        v1::TaskState::Completed
    );
    let health = gw.http.get(gw.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
}

// ---------------------------------------------------------------------------------------
// Item 60: the same scenario over JSON-RPC and gRPC.

#[tokio::test]
async fn c60_jsonrpc_and_grpc_give_the_same_states_and_error_kinds() {
    let gw = start(server()).await;
    let mut c = gw.client().await;
    // Send: the same final states.
    for text in [
        "hello",
        "please fail",
        "reject this",
        "need input",
        "auth please",
    ] {
        let rpc = gw
            .jsonrpc(
                "SendMessage",
                json!({"message": crate::support::user_message(text)}),
                &[],
            )
            .await;
        let rpc_state = rpc["result"]["task"]["status"]["state"]
            .as_str()
            .unwrap_or_else(|| panic!("{rpc}"))
            .to_owned();
        let task = send(&mut c, text).await;
        assert_eq!(state(&task).as_str_name(), rpc_state, "{text}");
        // Each binding reads the other's task the same way.
        let rpc_id = rpc["result"]["task"]["id"].as_str().unwrap();
        let via_grpc = get(&mut c, rpc_id).await;
        assert_eq!(state(&via_grpc).as_str_name(), rpc_state);
        let via_rpc = gw.jsonrpc("GetTask", json!({"id": task.id}), &[]).await;
        assert_eq!(
            via_rpc["result"]["status"]["state"],
            state(&task).as_str_name()
        );
    }
    // Cancel: a running task is canceled on both.
    let rpc = gw
        .jsonrpc(
            "SendMessage",
            json!({
                "message": crate::support::user_message("slow 100"),
                "configuration": {"returnImmediately": true},
            }),
            &[],
        )
        .await;
    let rpc_id = rpc["result"]["task"]["id"].as_str().unwrap().to_owned();
    let rpc_cancel = gw.jsonrpc("CancelTask", json!({"id": rpc_id}), &[]).await;
    let grpc_task = start_task(&mut c, "slow 100").await;
    let grpc_cancel = c
        .cancel_task(v1::CancelTaskRequest {
            id: grpc_task.id.clone(),
            ..v1::CancelTaskRequest::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        rpc_cancel["result"]["status"]["state"],
        "TASK_STATE_CANCELED"
    );
    assert_eq!(state(&grpc_cancel), v1::TaskState::Canceled);

    // Errors: the same kind, and the gRPC code is the mapped one.
    let done = send(&mut c, "done").await;
    let cases: Vec<(&str, Value, Result<(), Status>, ErrorCode)> = vec![
        (
            "GetTask",
            json!({"id": "no-such-task"}),
            c.get_task(v1::GetTaskRequest {
                id: "no-such-task".into(),
                ..v1::GetTaskRequest::default()
            })
            .await
            .map(drop),
            ErrorCode::TaskNotFound,
        ),
        (
            "CancelTask",
            json!({"id": done.id}),
            c.cancel_task(v1::CancelTaskRequest {
                id: done.id.clone(),
                ..v1::CancelTaskRequest::default()
            })
            .await
            .map(drop),
            ErrorCode::TaskNotCancelable,
        ),
        (
            "GetTask",
            json!({}),
            c.get_task(v1::GetTaskRequest::default()).await.map(drop),
            ErrorCode::InvalidParams,
        ),
        (
            "SubscribeToTask",
            json!({"id": done.id}),
            c.subscribe_to_task(v1::SubscribeToTaskRequest {
                id: done.id.clone(),
                ..v1::SubscribeToTaskRequest::default()
            })
            .await
            .map(drop),
            ErrorCode::UnsupportedOperation,
        ),
        (
            "GetTaskPushNotificationConfig",
            json!({"taskId": done.id, "id": "nope"}),
            c.get_task_push_notification_config(v1::GetTaskPushNotificationConfigRequest {
                task_id: done.id.clone(),
                id: "nope".into(),
                ..v1::GetTaskPushNotificationConfigRequest::default()
            })
            .await
            .map(drop),
            ErrorCode::TaskNotFound,
        ),
        (
            "GetExtendedAgentCard",
            json!({}),
            c.get_extended_agent_card(v1::GetExtendedAgentCardRequest::default())
                .await
                .map(drop),
            ErrorCode::UnsupportedOperation,
        ),
    ];
    for (method, params, grpc, want) in cases {
        let rpc = gw.jsonrpc(method, params, &[]).await;
        let err = grpc.expect_err(method);
        assert_eq!(jsonrpc_error_kind(&rpc), want, "JSON-RPC {method}: {rpc}");
        assert_eq!(grpc_error_kind(&err), want, "gRPC {method}: {err:?}");
        assert_eq!(
            err.code() as i32,
            a2agw_server::rpc_code(want).number(),
            "{method}"
        );
    }
    // The version error, from the `A2A-Version` header / `a2a-version` metadata.
    let rpc = gw
        .jsonrpc("ListTasks", json!({}), &[("a2a-version", "99.0")])
        .await;
    let err = c
        .list_tasks(with_md(
            v1::ListTasksRequest::default(),
            &[("a2a-version", "99.0")],
        ))
        .await
        .unwrap_err();
    assert_eq!(
        jsonrpc_error_kind(&rpc),
        ErrorCode::VersionNotSupported,
        "{rpc}"
    );
    assert_eq!(grpc_error_kind(&err), ErrorCode::VersionNotSupported);
}
