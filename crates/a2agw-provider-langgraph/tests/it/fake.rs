//! A fake LangGraph Agent Server (providers.md §5.6).

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use futures::StreamExt;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;

#[derive(Default)]
struct Inner {
    calls: Mutex<Vec<(String, Value)>>,
    canceled: Notify,
}

pub struct Fake {
    pub url: String,
    inner: Arc<Inner>,
}

impl Fake {
    pub async fn start() -> Fake {
        let inner = Arc::new(Inner::default());
        let app = Router::new()
            .route("/threads", post(create_thread))
            .route("/threads/{tid}/runs/stream", post(stream_run))
            .route("/threads/{tid}/runs/{rid}", get(get_run))
            .route("/threads/{tid}/runs/{rid}/cancel", post(cancel_run))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Fake { url, inner }
    }

    /// `("METHOD /path?query", json body)` of every authorised call, in order.
    pub fn calls(&self) -> Vec<(String, Value)> {
        self.inner.calls.lock().unwrap().clone()
    }
}

fn authorised(headers: &HeaderMap) -> bool {
    headers.get("x-api-key").and_then(|v| v.to_str().ok()) == Some("test")
}

fn unauthorised() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        axum::Json(json!({"detail": "Invalid API key"})),
    )
        .into_response()
}

fn record(inner: &Inner, call: String, body: Value) {
    inner.calls.lock().unwrap().push((call, body));
}

async fn create_thread(
    State(inner): State<Arc<Inner>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !authorised(&headers) {
        return unauthorised();
    }
    let body: Value = serde_json::from_slice(&body).unwrap();
    record(&inner, "POST /threads".into(), body.clone());
    let tid = body["thread_id"].as_str().unwrap_or("t-new").to_owned();
    axum::Json(json!({
        "thread_id": tid, "created_at": "2026-11-24T00:00:00Z",
        "updated_at": "2026-11-24T00:00:00Z", "metadata": body["metadata"],
        "status": "idle", "values": null, "interrupts": {}
    }))
    .into_response()
}

fn ev(name: &str, data: &Value) -> String {
    format!("event: {name}\ndata: {data}\n\n")
}

fn meta(run: &str) -> String {
    ev("metadata", &json!({"run_id": run, "attempt": 1}))
}

fn token(text: &str) -> String {
    ev(
        "messages",
        &json!([
            {"type": "AIMessageChunk", "content": text, "id": "run--1"},
            {"langgraph_node": "agent"}
        ]),
    )
}

fn values(answer: &str) -> String {
    ev(
        "values",
        &json!({"messages": [
            {"type": "human", "content": "hi"},
            {"type": "ai", "content": answer}
        ]}),
    )
}

fn end() -> String {
    "event: end\ndata: null\n\n".into()
}

fn sse(tid: &str, run: Option<&str>, body: Body) -> Response {
    let mut resp = Response::new(body);
    let h = resp.headers_mut();
    h.insert("content-type", "text/event-stream".parse().unwrap());
    if let Some(run) = run {
        h.insert(
            "content-location",
            format!("/threads/{tid}/runs/{run}").parse().unwrap(),
        );
    }
    resp
}

fn whole(parts: &[String]) -> Body {
    Body::from(parts.concat())
}

async fn stream_run(
    State(inner): State<Arc<Inner>>,
    Path(tid): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !authorised(&headers) {
        return unauthorised();
    }
    let body: Value = serde_json::from_slice(&body).unwrap();
    record(
        &inner,
        format!("POST /threads/{tid}/runs/stream"),
        body.clone(),
    );
    let assistant = body["assistant_id"].as_str().unwrap_or_default().to_owned();
    let t = tid.as_str();
    match assistant.as_str() {
        "plain" => sse(
            t,
            Some("run-1"),
            whole(&[meta("run-1"), token("Hello"), values("Hello"), end()]),
        ),
        "values-only" => sse(
            t,
            None,
            whole(&[meta("run-v"), values("From values"), end()]),
        ),
        "chunks" => {
            let mut parts = vec![meta("run-1")];
            let mut all = String::new();
            for i in 0..10 {
                let w = format!("w{i} ");
                all.push_str(&w);
                parts.push(token(&w));
            }
            parts.push(values(&all));
            parts.push(end());
            // One write per event, so the client sees them arrive separately.
            let stream = futures::stream::iter(parts).then(|p| async move {
                tokio::time::sleep(Duration::from_millis(2)).await;
                Ok::<_, std::io::Error>(p)
            });
            sse(t, Some("run-1"), Body::from_stream(stream))
        }
        "interrupt" => {
            if let Some(resume) = body["command"].get("resume") {
                // The fake checks the resume payload and answers only to the right one.
                assert_eq!(resume, &json!("yes"));
                return sse(
                    t,
                    Some("run-2"),
                    whole(&[
                        meta("run-2"),
                        token("Approved: yes"),
                        values("Approved: yes"),
                        end(),
                    ]),
                );
            }
            let int = json!([{"value": {"question": "approve?"}, "id": "int-1"}]);
            sse(
                t,
                Some("run-1"),
                whole(&[
                    meta("run-1"),
                    token("Checking"),
                    ev("updates", &json!({"__interrupt__": int})),
                    ev(
                        "values",
                        &json!({"messages": [{"type": "human", "content": "deploy"}], "__interrupt__": int}),
                    ),
                    end(),
                ]),
            )
        }
        "slow" => {
            let first = futures::stream::iter([meta("run-1"), token("Working")]);
            let inner2 = inner.clone();
            // Waits for the cancel call, then closes without `end` (as the JS server does).
            let rest = futures::stream::once(async move {
                inner2.canceled.notified().await;
                String::new()
            });
            let stream = first.chain(rest).map(Ok::<_, std::io::Error>);
            sse(t, Some("run-1"), Body::from_stream(stream))
        }
        "busy" => (
            StatusCode::CONFLICT,
            axum::Json(json!({"detail": "Thread is busy"})),
        )
            .into_response(),
        "missing" => (
            StatusCode::NOT_FOUND,
            axum::Json(json!({"detail": "Assistant not found"})),
        )
            .into_response(),
        "boom" => (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(json!({"detail": "overloaded"})),
        )
            .into_response(),
        "error-event" => sse(
            t,
            Some("run-1"),
            whole(&[
                meta("run-1"),
                ev("error", &json!({"error": "ValueError", "message": "boom"})),
            ]),
        ),
        "malformed" => sse(
            t,
            Some("run-1"),
            whole(&[
                meta("run-1"),
                "event: messages\ndata: {not json\n\n".into(),
                end(),
            ]),
        ),
        "truncated" => sse(
            t,
            Some("run-1"),
            whole(&[
                meta("run-1"),
                token("Hel"),
                "event: messages\ndata: [{\"type\":\"AIMess".into(),
            ]),
        ),
        "closed-early" => sse(
            t,
            Some("run-running"),
            whole(&[meta("run-running"), token("Hel")]),
        ),
        "broken" => {
            // The error comes after the headers and the first event are out.
            let stream = futures::stream::iter([Ok(meta("run-1")), Ok(token("Hel"))]).chain(
                futures::stream::once(async {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    Err(std::io::Error::other("connection reset"))
                }),
            );
            sse(t, Some("run-1"), Body::from_stream(stream))
        }
        "stall" => {
            let stream = futures::stream::iter([Ok::<_, std::io::Error>(meta("run-1"))])
                .chain(futures::stream::pending());
            sse(t, Some("run-1"), Body::from_stream(stream))
        }
        "hang" => {
            tokio::time::sleep(Duration::from_secs(30)).await;
            StatusCode::GATEWAY_TIMEOUT.into_response()
        }
        other => (
            StatusCode::NOT_FOUND,
            axum::Json(json!({"detail": format!("unknown assistant {other}")})),
        )
            .into_response(),
    }
}

async fn get_run(
    State(inner): State<Arc<Inner>>,
    Path((tid, rid)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if !authorised(&headers) {
        return unauthorised();
    }
    record(
        &inner,
        format!("GET /threads/{tid}/runs/{rid}"),
        Value::Null,
    );
    let status = if rid == "run-running" {
        "running"
    } else {
        "interrupted"
    };
    axum::Json(json!({"run_id": rid, "thread_id": tid, "status": status})).into_response()
}

async fn cancel_run(
    State(inner): State<Arc<Inner>>,
    Path((tid, rid)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    if !authorised(&headers) {
        return unauthorised();
    }
    let q = query.map(|q| format!("?{q}")).unwrap_or_default();
    record(
        &inner,
        format!("POST /threads/{tid}/runs/{rid}/cancel{q}"),
        Value::Null,
    );
    inner.canceled.notify_one();
    StatusCode::NO_CONTENT.into_response()
}
