//! A fake LangGraph Agent Server on loopback (feature `fake`), speaking the real wire format
//! (providers.md §5.6): `POST /threads`, `POST /threads/{tid}/runs/stream` (SSE with
//! `metadata` / `messages` / `values` / `updates` / `error` / `end` and a
//! `Content-Location` header), `GET /threads/{tid}/runs/{rid}`,
//! `GET /threads/{tid}/runs/{rid}/stream` (join), `GET /threads/{tid}/state` and
//! `POST /threads/{tid}/runs/{rid}/cancel`. Every call must carry `x-api-key:` [`API_KEY`].
//! Runs are numbered `run-1`, `run-2`, … per server; their status and the thread state are
//! kept, so that polling and recovery see what the stream said.
//!
//! The scenario is chosen by the assistant id the adapter is configured with:
//!
//! | assistant id | the run |
//! |---|---|
//! | `plain` | streams `echo: <the user's text>` in two tokens, then ends (`success`) |
//! | `input` | a token `Checking`, then the interrupt `{"question": "What is your name?"}`; the resume value `X` (`command.resume`) then streams `got: X` |
//! | `values-only` | no `Content-Location`, no tokens: the answer `From values` only in the final `values` |
//! | `chunks` | ten tokens `w0 ` … `w9 `, one write each |
//! | `slow` | a token `Working`, then waits for a cancel and closes without `end` (run `interrupted`) |
//! | `error-event` | an `error` event (`ValueError: boom`) |
//! | `malformed`, `truncated`, `broken`, `closed-early`, `stall` | an unreadable event; a stream cut mid-event; a connection reset; a close without `end` while the run is `running`; silence |
//! | `busy`, `missing`, `boom`, `hang` | HTTP 409, 404, 503; no answer for 30 s |
//! | `detach` | a token, then the stream stalls (as if the gateway died) while the run goes on; joining the run streams the rest and the final answer `Finished while you were away` |
//! | `detach-input` | same, and the joined stream ends in the interrupt of `input` |
//! | `detach-done` | same, but the run is already over (`success`, the answer in the thread state) |
//! | `detach-input-done` | same, the run is over and the thread waits on the interrupt of `input` |
//! | `detach-error` | same, the run ended in `error` |
//! | `detach-nojoin` | same, the join route answers 404 and the run succeeds after two more polls |
//! | anything else | HTTP 404 `unknown assistant` |
//!
//! Like the server with `multitask_strategy: reject`, a run on a thread whose earlier run
//! is still `pending` / `running` answers HTTP 409.

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use futures::StreamExt;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;
use tokio::sync::{Notify, watch};

/// The API key (`x-api-key`) every route requires.
pub const API_KEY: &str = "lg-fake-api-key-7f3a";

/// The fake server; it shuts down when dropped.
pub struct FakeServer {
    addr: SocketAddr,
    inner: Arc<Inner>,
    shutdown: watch::Sender<bool>,
}

impl fmt::Debug for FakeServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeServer")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl FakeServer {
    /// Starts the server on `127.0.0.1` with a free port.
    pub async fn start() -> std::io::Result<FakeServer> {
        let (shutdown, stop) = watch::channel(false);
        let inner = Arc::new(Inner {
            calls: Mutex::default(),
            canceled: Notify::new(),
            store: Mutex::default(),
            stop: stop.clone(),
        });
        let app = Router::new()
            .route("/threads", post(create_thread))
            .route("/threads/{tid}/state", get(thread_state))
            .route("/threads/{tid}/runs/stream", post(stream_run))
            .route("/threads/{tid}/runs/{rid}", get(get_run))
            .route("/threads/{tid}/runs/{rid}/stream", get(join_run))
            .route("/threads/{tid}/runs/{rid}/cancel", post(cancel_run))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let mut stop = stop;
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stop.wait_for(|s| *s).await;
                })
                .await;
        });
        Ok(FakeServer {
            addr,
            inner,
            shutdown,
        })
    }

    /// `http://127.0.0.1:PORT`, the base URL to configure the adapter with.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `("METHOD /path?query", json body or null)` of every authorised call, in order.
    pub fn calls(&self) -> Vec<(String, Value)> {
        lock(&self.inner.calls).clone()
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

struct Inner {
    calls: Mutex<Vec<(String, Value)>>,
    canceled: Notify,
    store: Mutex<Store>,
    stop: watch::Receiver<bool>,
}

impl Inner {
    fn record(&self, call: String, body: Value) {
        lock(&self.calls).push((call, body));
    }

    /// Resolves when the server shuts down.
    async fn stopped(&self) {
        let mut stop = self.stop.clone();
        let _ = stop.wait_for(|s| *s).await;
    }
}

#[derive(Default)]
struct Store {
    next_run: u32,
    runs: HashMap<String, RunRec>,
    threads: HashMap<String, ThreadRec>,
}

impl Store {
    fn thread(&mut self, tid: &str) -> &mut ThreadRec {
        self.threads.entry(tid.to_owned()).or_default()
    }

    fn set_status(&mut self, rid: &str, status: &str) {
        if let Some(r) = self.runs.get_mut(rid) {
            r.status = status.to_owned();
        }
    }
}

struct RunRec {
    thread_id: String,
    status: String,
    /// What joining the run's stream gives; `None`: the join route answers 404.
    join: Option<Join>,
    /// Polls still answered with the current status before `later` applies.
    polls_left: u32,
    later: Option<Later>,
}

/// The rest of a detached run, streamed to whoever joins it.
struct Join {
    events: Vec<String>,
    /// The run's status once joined.
    status: &'static str,
    values: Value,
    interrupts: Vec<Value>,
}

/// How a detached run ends after its polls.
struct Later {
    status: &'static str,
    values: Value,
}

#[derive(Default)]
struct ThreadRec {
    values: Value,
    interrupts: Vec<Value>,
}

fn authorised(headers: &HeaderMap) -> bool {
    headers.get("x-api-key").and_then(|v| v.to_str().ok()) == Some(API_KEY)
}

fn detail(status: StatusCode, detail: &str) -> Response {
    (status, axum::Json(json!({"detail": detail}))).into_response()
}

fn unauthorised() -> Response {
    detail(StatusCode::UNAUTHORIZED, "Invalid API key")
}

fn parse(body: &Bytes) -> Result<Value, String> {
    serde_json::from_slice(body).map_err(|e| format!("invalid JSON: {e}"))
}

async fn create_thread(
    State(inner): State<Arc<Inner>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !authorised(&headers) {
        return unauthorised();
    }
    let body = match parse(&body) {
        Ok(b) => b,
        Err(e) => return detail(StatusCode::UNPROCESSABLE_ENTITY, &e),
    };
    inner.record("POST /threads".into(), body.clone());
    let tid = body["thread_id"].as_str().unwrap_or("t-new").to_owned();
    lock(&inner.store).thread(&tid);
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

fn state_values(user: &str, answer: Option<&str>) -> Value {
    let mut messages = vec![json!({"type": "human", "content": user})];
    if let Some(a) = answer {
        messages.push(json!({"type": "ai", "content": a}));
    }
    json!({ "messages": messages })
}

fn values(user: &str, answer: &str) -> String {
    ev("values", &state_values(user, Some(answer)))
}

fn end() -> String {
    "event: end\ndata: null\n\n".into()
}

/// The interrupt of the `input` scenario.
fn question() -> Value {
    json!([{"value": {"question": "What is your name?"}, "id": "int-1"}])
}

/// The events that end a run in the `input` interrupt.
fn interrupt_events(user: &str) -> Vec<String> {
    let int = question();
    let mut v = state_values(user, None);
    v["__interrupt__"] = int.clone();
    vec![
        ev("updates", &json!({"__interrupt__": int})),
        ev("values", &v),
        end(),
    ]
}

fn sse(tid: &str, run: Option<&str>, body: Body) -> Response {
    let mut resp = Response::new(body);
    let h = resp.headers_mut();
    h.insert(
        "content-type",
        HeaderValue::from_static("text/event-stream"),
    );
    if let Some(loc) =
        run.and_then(|r| HeaderValue::from_str(&format!("/threads/{tid}/runs/{r}")).ok())
    {
        h.insert("content-location", loc);
    }
    resp
}

fn whole(parts: &[String]) -> Body {
    Body::from(parts.concat())
}

/// A body that sends `parts`, then stays open until the server shuts down.
fn stalled(inner: &Arc<Inner>, parts: Vec<String>) -> Body {
    let inner = inner.clone();
    let rest = futures::stream::once(async move {
        inner.stopped().await;
        String::new()
    });
    Body::from_stream(
        futures::stream::iter(parts)
            .chain(rest)
            .map(Ok::<_, std::io::Error>),
    )
}

/// The resume value as text: a string as is, anything else as JSON.
fn resume_text(resume: &Value) -> String {
    resume
        .as_str()
        .map_or_else(|| resume.to_string(), str::to_owned)
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
    let body = match parse(&body) {
        Ok(b) => b,
        Err(e) => return detail(StatusCode::UNPROCESSABLE_ENTITY, &e),
    };
    inner.record(format!("POST /threads/{tid}/runs/stream"), body.clone());
    let assistant = body["assistant_id"].as_str().unwrap_or_default().to_owned();
    let user = body["input"]["messages"][0]["content"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let t = tid.as_str();
    match assistant.as_str() {
        "busy" => return detail(StatusCode::CONFLICT, "Thread is busy"),
        "missing" => return detail(StatusCode::NOT_FOUND, "Assistant not found"),
        "boom" => return detail(StatusCode::SERVICE_UNAVAILABLE, "overloaded"),
        "hang" => {
            tokio::select! {
                () = tokio::time::sleep(Duration::from_secs(30)) => {}
                () = inner.stopped() => {}
            }
            return StatusCode::GATEWAY_TIMEOUT.into_response();
        }
        "plain" | "input" | "values-only" | "chunks" | "slow" | "error-event" | "malformed"
        | "truncated" | "closed-early" | "broken" | "stall" | "detach" | "detach-input"
        | "detach-done" | "detach-input-done" | "detach-error" | "detach-nojoin" => {}
        other => {
            return detail(StatusCode::NOT_FOUND, &format!("unknown assistant {other}"));
        }
    }
    let mut store = lock(&inner.store);
    let busy = store
        .runs
        .values()
        .any(|r| r.thread_id == tid && matches!(r.status.as_str(), "pending" | "running"));
    if busy && body["multitask_strategy"] == "reject" {
        return detail(
            StatusCode::CONFLICT,
            "Thread is already running a task. Wait for it to finish or choose a different \
             multitask strategy.",
        );
    }
    store.next_run += 1;
    let run = format!("run-{}", store.next_run);
    let answer = |store: &mut Store, status: &str, values: Value, interrupts: Vec<Value>| {
        store.set_status(&run, status);
        let th = store.thread(t);
        th.values = values;
        th.interrupts = interrupts;
    };
    store.runs.insert(
        run.clone(),
        RunRec {
            thread_id: tid.clone(),
            status: "running".into(),
            join: None,
            polls_left: 0,
            later: None,
        },
    );
    let r = Some(run.as_str());
    match assistant.as_str() {
        "plain" => {
            let text = format!("echo: {user}");
            answer(
                &mut store,
                "success",
                state_values(&user, Some(&text)),
                vec![],
            );
            sse(
                t,
                r,
                whole(&[
                    meta(&run),
                    token("echo: "),
                    token(&user),
                    values(&user, &text),
                    end(),
                ]),
            )
        }
        "input" => {
            if let Some(resume) = body["command"].get("resume") {
                if store.thread(t).interrupts.is_empty() {
                    return detail(
                        StatusCode::BAD_REQUEST,
                        "there is no pending interrupt to resume",
                    );
                }
                let got = resume_text(resume);
                let text = format!("got: {got}");
                answer(&mut store, "success", state_values("", Some(&text)), vec![]);
                return sse(
                    t,
                    r,
                    whole(&[
                        meta(&run),
                        token("got: "),
                        token(&got),
                        values("", &text),
                        end(),
                    ]),
                );
            }
            answer(
                &mut store,
                "success",
                state_values(&user, None),
                question().as_array().cloned().unwrap_or_default(),
            );
            let mut parts = vec![meta(&run), token("Checking")];
            parts.extend(interrupt_events(&user));
            sse(t, r, whole(&parts))
        }
        "values-only" => {
            answer(
                &mut store,
                "success",
                state_values(&user, Some("From values")),
                vec![],
            );
            sse(
                t,
                None,
                whole(&[meta(&run), values(&user, "From values"), end()]),
            )
        }
        "chunks" => {
            let mut parts = vec![meta(&run)];
            let mut all = String::new();
            for i in 0..10 {
                let w = format!("w{i} ");
                all.push_str(&w);
                parts.push(token(&w));
            }
            parts.push(values(&user, &all));
            parts.push(end());
            answer(
                &mut store,
                "success",
                state_values(&user, Some(&all)),
                vec![],
            );
            // One write per event, so the client sees them arrive separately.
            let stream = futures::stream::iter(parts).then(|p| async move {
                tokio::time::sleep(Duration::from_millis(2)).await;
                Ok::<_, std::io::Error>(p)
            });
            sse(t, r, Body::from_stream(stream))
        }
        "slow" => {
            drop(store);
            let first = futures::stream::iter([meta(&run), token("Working")]);
            let inner2 = inner.clone();
            // Waits for the cancel call, then closes without `end` (as the JS server does).
            let rest = futures::stream::once(async move {
                tokio::select! {
                    () = inner2.canceled.notified() => {}
                    () = inner2.stopped() => {}
                }
                String::new()
            });
            let stream = first.chain(rest).map(Ok::<_, std::io::Error>);
            sse(t, r, Body::from_stream(stream))
        }
        "error-event" => {
            store.set_status(&run, "error");
            sse(
                t,
                r,
                whole(&[
                    meta(&run),
                    ev("error", &json!({"error": "ValueError", "message": "boom"})),
                ]),
            )
        }
        "malformed" => sse(
            t,
            r,
            whole(&[
                meta(&run),
                "event: messages\ndata: {not json\n\n".into(),
                end(),
            ]),
        ),
        "truncated" => sse(
            t,
            r,
            whole(&[
                meta(&run),
                token("Hel"),
                "event: messages\ndata: [{\"type\":\"AIMess".into(),
            ]),
        ),
        // The run stays `running`: the stream closed early.
        "closed-early" => sse(t, r, whole(&[meta(&run), token("Hel")])),
        "broken" => {
            // The error comes after the headers and the first event are out.
            let stream = futures::stream::iter([Ok(meta(&run)), Ok(token("Hel"))]).chain(
                futures::stream::once(async {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    Err(std::io::Error::other("connection reset"))
                }),
            );
            sse(t, r, Body::from_stream(stream))
        }
        "stall" => {
            drop(store);
            sse(t, r, stalled(&inner, vec![meta(&run)]))
        }
        // The detached scenarios: the stream stalls after a token; the run goes on.
        detached => {
            let done = state_values(&user, Some("Finished while you were away"));
            let rec = store.runs.get_mut(&run);
            if let Some(rec) = rec {
                match detached {
                    "detach" => {
                        rec.join = Some(Join {
                            events: vec![
                                token("ignored "),
                                token("partial"),
                                ev("values", &done),
                                end(),
                            ],
                            status: "success",
                            values: done.clone(),
                            interrupts: vec![],
                        });
                    }
                    "detach-input" => {
                        let mut events = vec![token("Checking")];
                        events.extend(interrupt_events(&user));
                        rec.join = Some(Join {
                            events,
                            status: "success",
                            values: state_values(&user, None),
                            interrupts: question().as_array().cloned().unwrap_or_default(),
                        });
                    }
                    "detach-nojoin" => {
                        rec.polls_left = 2;
                        rec.later = Some(Later {
                            status: "success",
                            values: done.clone(),
                        });
                    }
                    _ => {}
                }
            }
            match detached {
                "detach-done" => answer(&mut store, "success", done, vec![]),
                "detach-input-done" => answer(
                    &mut store,
                    "success",
                    state_values(&user, None),
                    question().as_array().cloned().unwrap_or_default(),
                ),
                "detach-error" => store.set_status(&run, "error"),
                _ => {}
            }
            drop(store);
            sse(t, r, stalled(&inner, vec![meta(&run), token("Work")]))
        }
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
    inner.record(format!("GET /threads/{tid}/runs/{rid}"), Value::Null);
    let mut store = lock(&inner.store);
    let Some(rec) = store.runs.get_mut(&rid).filter(|r| r.thread_id == tid) else {
        return detail(StatusCode::NOT_FOUND, "Run not found");
    };
    if rec.polls_left > 0 {
        rec.polls_left -= 1;
    } else if let Some(later) = rec.later.take() {
        rec.status = later.status.to_owned();
        let status = rec.status.clone();
        store.thread(&tid).values = later.values;
        return axum::Json(json!({"run_id": rid, "thread_id": tid, "status": status}))
            .into_response();
    }
    let status = rec.status.clone();
    axum::Json(json!({"run_id": rid, "thread_id": tid, "status": status})).into_response()
}

async fn join_run(
    State(inner): State<Arc<Inner>>,
    Path((tid, rid)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if !authorised(&headers) {
        return unauthorised();
    }
    inner.record(format!("GET /threads/{tid}/runs/{rid}/stream"), Value::Null);
    let mut store = lock(&inner.store);
    let Some(rec) = store.runs.get_mut(&rid).filter(|r| r.thread_id == tid) else {
        return detail(StatusCode::NOT_FOUND, "Run not found");
    };
    let Some(join) = rec.join.take() else {
        return detail(StatusCode::NOT_FOUND, "Not Found");
    };
    rec.status = join.status.to_owned();
    let th = store.thread(&tid);
    th.values = join.values;
    th.interrupts = join.interrupts;
    sse(&tid, None, whole(&join.events))
}

async fn thread_state(
    State(inner): State<Arc<Inner>>,
    Path(tid): Path<String>,
    headers: HeaderMap,
) -> Response {
    if !authorised(&headers) {
        return unauthorised();
    }
    inner.record(format!("GET /threads/{tid}/state"), Value::Null);
    let mut store = lock(&inner.store);
    let th = store.thread(&tid);
    let tasks: Vec<Value> = if th.interrupts.is_empty() {
        vec![]
    } else {
        vec![json!({"id": "task-1", "name": "ask", "error": null, "interrupts": th.interrupts})]
    };
    axum::Json(json!({
        "values": th.values,
        "next": if th.interrupts.is_empty() { json!([]) } else { json!(["ask"]) },
        "tasks": tasks,
        "interrupts": th.interrupts,
        "metadata": {},
        "created_at": "2026-11-24T00:00:00Z",
    }))
    .into_response()
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
    inner.record(
        format!("POST /threads/{tid}/runs/{rid}/cancel{q}"),
        Value::Null,
    );
    lock(&inner.store).set_status(&rid, "interrupted");
    inner.canceled.notify_one();
    StatusCode::NO_CONTENT.into_response()
}
