//! A fake Azure AI Foundry Agent Service (providers.md §4.6): threads, messages, streamed
//! runs, submit_tool_outputs and cancel under `/api/projects/{project}`, checking the
//! bearer token and `api-version=v1` on every call. The scenario is chosen by the agent id.

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use tokio::sync::{Notify, mpsc};

pub const TOKEN: &str = "fake-entra-token";

#[derive(Default)]
pub struct FakeState {
    /// `METHOD path` of every accepted call, in order.
    pub log: Mutex<Vec<String>>,
    /// The JSON bodies, in the same order.
    pub bodies: Mutex<Vec<Value>>,
    pub cancelled: Notify,
}

impl FakeState {
    pub fn log(&self) -> Vec<String> {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }
    pub fn bodies(&self) -> Vec<Value> {
        self.bodies.lock().map(|l| l.clone()).unwrap_or_default()
    }
    fn record(&self, line: String, body: Value) {
        if let Ok(mut l) = self.log.lock() {
            l.push(line);
        }
        if let Ok(mut b) = self.bodies.lock() {
            b.push(body);
        }
    }
}

pub struct Fake {
    /// The project endpoint.
    pub endpoint: String,
    pub state: Arc<FakeState>,
}

pub async fn start() -> Fake {
    let state = Arc::new(FakeState::default());
    let app = axum::Router::new()
        .route("/api/projects/{p}/threads", post(create_thread))
        .route("/api/projects/{p}/threads/{t}/messages", post(add_message))
        .route("/api/projects/{p}/threads/{t}/runs", post(create_run))
        .route(
            "/api/projects/{p}/threads/{t}/runs/{r}/submit_tool_outputs",
            post(submit),
        )
        .route(
            "/api/projects/{p}/threads/{t}/runs/{r}/cancel",
            post(cancel),
        )
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Fake {
        endpoint: format!("http://{addr}/api/projects/proj1"),
        state,
    }
}

type Q = Query<HashMap<String, String>>;

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(json!({"error": {"code": code, "message": message}})),
    )
        .into_response()
}

/// Rejects a call without the fake token or the api-version.
fn check(headers: &HeaderMap, q: &Q) -> Option<Response> {
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if auth != Some(&format!("Bearer {TOKEN}")) {
        return Some(error(
            StatusCode::UNAUTHORIZED,
            "PermissionDenied",
            "The principal lacks the required data action.",
        ));
    }
    if q.get("api-version").map(String::as_str) != Some("v1") {
        return Some(error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "Missing or unsupported api-version",
        ));
    }
    None
}

async fn create_thread(
    State(s): State<Arc<FakeState>>,
    headers: HeaderMap,
    q: Q,
    Json(body): Json<Value>,
) -> Response {
    if let Some(r) = check(&headers, &q) {
        return r;
    }
    s.record("POST /threads".into(), body);
    Json(json!({"id": "thread_1", "object": "thread", "created_at": 1, "metadata": {}}))
        .into_response()
}

async fn add_message(
    State(s): State<Arc<FakeState>>,
    Path((_p, t)): Path<(String, String)>,
    headers: HeaderMap,
    q: Q,
    Json(body): Json<Value>,
) -> Response {
    if let Some(r) = check(&headers, &q) {
        return r;
    }
    let content = body["content"].as_str().unwrap_or_default().to_owned();
    s.record(format!("POST /threads/{t}/messages"), body);
    Json(json!({
        "id": "msg_u1", "object": "thread.message", "thread_id": t, "role": "user",
        "content": [{"type": "text", "text": {"value": content, "annotations": []}}]
    }))
    .into_response()
}

pub fn run(status: &str) -> Value {
    json!({
        "id": "run_1", "object": "thread.run", "thread_id": "thread_1",
        "assistant_id": "asst_1", "status": status
    })
}

pub fn delta(msg: &str, text: &str) -> Value {
    json!({
        "id": msg, "object": "thread.message.delta",
        "delta": {"content": [{"index": 0, "type": "text", "text": {"value": text, "annotations": []}}]}
    })
}

fn message(msg: &str, status: &str, text: &str) -> Value {
    json!({
        "id": msg, "object": "thread.message", "thread_id": "thread_1", "role": "assistant",
        "status": status, "run_id": "run_1",
        "content": [{"type": "text", "text": {"value": text, "annotations": []}}]
    })
}

/// One SSE frame.
pub fn frame(event: &str, data: &Value) -> String {
    format!("event: {event}\ndata: {data}\n\n")
}

const DONE: &str = "event: done\ndata: [DONE]\n\n";

fn sse_body(body: impl Into<Body>) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/event-stream")],
        body.into(),
    )
        .into_response()
}

/// A streamed body fed by `produce` on its own task.
fn sse_live<F, Fut>(produce: F) -> Response
where
    F: FnOnce(mpsc::Sender<String>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let (tx, rx) = mpsc::channel::<String>(16);
    tokio::spawn(produce(tx));
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|s| (Ok::<_, Infallible>(Bytes::from(s)), rx))
    });
    sse_body(Body::from_stream(stream))
}

async fn create_run(
    State(s): State<Arc<FakeState>>,
    Path((_p, t)): Path<(String, String)>,
    headers: HeaderMap,
    q: Q,
    Json(body): Json<Value>,
) -> Response {
    if let Some(r) = check(&headers, &q) {
        return r;
    }
    let agent = body["assistant_id"].as_str().unwrap_or_default().to_owned();
    s.record(format!("POST /threads/{t}/runs"), body.clone());
    if body["stream"] != json!(true) {
        return error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "this fake only streams",
        );
    }
    let started = frame("thread.run.created", &run("queued"))
        + &frame("thread.run.queued", &run("queued"))
        + &frame("thread.run.in_progress", &run("in_progress"));
    match agent.as_str() {
        "asst_plain" => sse_body(
            started
                + &frame(
                    "thread.run.step.created",
                    &json!({"id": "step_1", "object": "thread.run.step"}),
                )
                + &frame(
                    "thread.message.created",
                    &message("msg_1", "in_progress", ""),
                )
                + &frame("thread.message.delta", &delta("msg_1", "Hello from Azure"))
                + &frame(
                    "thread.message.completed",
                    &message("msg_1", "completed", "Hello from Azure"),
                )
                + &frame("thread.run.completed", &run("completed"))
                + DONE,
        ),
        "asst_whole" => sse_body(
            started
                + &frame(
                    "thread.message.completed",
                    &message("msg_1", "completed", "All at once"),
                )
                + &frame("thread.run.completed", &run("completed"))
                + DONE,
        ),
        "asst_stream" => {
            let mut b = started;
            for i in 0..20 {
                b += &frame("thread.message.delta", &delta("msg_1", &format!("w{i} ")));
            }
            sse_body(b + &frame("thread.run.completed", &run("completed")) + DONE)
        }
        "asst_tools" => {
            let mut ra = run("requires_action");
            ra["required_action"] = json!({
                "type": "submit_tool_outputs",
                "submit_tool_outputs": {"tool_calls": [
                    {"id": "call_a", "type": "function",
                     "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}},
                    {"id": "call_b", "type": "function",
                     "function": {"name": "get_time", "arguments": "{}"}}
                ]}
            });
            sse_body(started + &frame("thread.run.requires_action", &ra) + DONE)
        }
        "asst_failed" => {
            let mut f = run("failed");
            f["last_error"] =
                json!({"code": "rate_limit_exceeded", "message": "Rate limit is exceeded."});
            sse_body(started + &frame("thread.run.failed", &f) + DONE)
        }
        "asst_slow" => {
            let state = s.clone();
            sse_live(move |tx| async move {
                let _ = tx.send(started).await;
                let _ = tx
                    .send(frame("thread.message.delta", &delta("msg_1", "Thinking")))
                    .await;
                state.cancelled.notified().await;
                let _ = tx
                    .send(frame("thread.run.cancelling", &run("cancelling")))
                    .await;
                let _ = tx
                    .send(frame("thread.run.cancelled", &run("cancelled")) + DONE)
                    .await;
            })
        }
        "asst_hang" => sse_live(move |tx| async move {
            let _ = tx.send(frame("thread.run.created", &run("queued"))).await;
            std::future::pending::<()>().await;
            drop(tx);
        }),
        "asst_malformed" => sse_body(
            frame("thread.run.created", &run("queued"))
                + "event: thread.message.delta\ndata: {not json\n\n"
                + DONE,
        ),
        "asst_truncated" => sse_body(
            started
                + &frame("thread.message.delta", &delta("msg_1", "partial"))
                + "event: thread.message.delta\ndata: {\"id\":\"msg_1\",\"del",
        ),
        "asst_5xx" => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "Something went wrong.",
        ),
        _ => error(
            StatusCode::NOT_FOUND,
            "not_found",
            &format!("No assistant found with id '{agent}'."),
        ),
    }
}

async fn submit(
    State(s): State<Arc<FakeState>>,
    Path((_p, t, r)): Path<(String, String, String)>,
    headers: HeaderMap,
    q: Q,
    Json(body): Json<Value>,
) -> Response {
    if let Some(resp) = check(&headers, &q) {
        return resp;
    }
    s.record(
        format!("POST /threads/{t}/runs/{r}/submit_tool_outputs"),
        body.clone(),
    );
    let mut ids: Vec<&str> = body["tool_outputs"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|o| o["tool_call_id"].as_str())
                .collect()
        })
        .unwrap_or_default();
    ids.sort_unstable();
    if ids != ["call_a", "call_b"] || body["stream"] != json!(true) {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "tool outputs do not match the pending tool calls",
        );
    }
    sse_body(
        frame("thread.run.in_progress", &run("in_progress"))
            + &frame("thread.message.delta", &delta("msg_2", "Sunny, "))
            + &frame("thread.message.delta", &delta("msg_2", "at noon"))
            + &frame(
                "thread.message.completed",
                &message("msg_2", "completed", "Sunny, at noon"),
            )
            + &frame("thread.run.completed", &run("completed"))
            + DONE,
    )
}

async fn cancel(
    State(s): State<Arc<FakeState>>,
    Path((_p, t, r)): Path<(String, String, String)>,
    headers: HeaderMap,
    q: Q,
) -> Response {
    if let Some(resp) = check(&headers, &q) {
        return resp;
    }
    s.record(format!("POST /threads/{t}/runs/{r}/cancel"), Value::Null);
    s.cancelled.notify_one();
    Json(run("cancelling")).into_response()
}
