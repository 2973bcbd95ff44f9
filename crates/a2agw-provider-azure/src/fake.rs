//! A fake Azure AI Foundry Agent Service and Microsoft Entra token endpoint on loopback
//! (feature `fake`), speaking the real wire format (providers.md §4.6): threads, messages,
//! streamed runs, `submit_tool_outputs`, run polling, message listing and cancel under
//! [`PROJECT_PATH`], each call checked for `Authorization: Bearer` [`TOKEN`] and
//! `api-version=v1`; and `POST /{tenant}/oauth2/v2.0/token` at [`FakeServer::authority_host`],
//! which gives [`TOKEN`] to the client secret ([`TENANT_ID`], [`CLIENT_ID`],
//! [`CLIENT_SECRET`]) or the workload identity assertion ([`FEDERATED_TOKEN`]).
//!
//! The scenario is chosen by the agent id the adapter is configured with:
//!
//! | agent id | the run |
//! |---|---|
//! | `plain` | streams `echo: <the user's text>` in two deltas, then completes |
//! | `input` | `requires_action`: one function call `ask_user` (`{"question": "What is your name?"}`); the tool output `X` then streams `got: X` and completes |
//! | `asst_whole` | one whole `thread.message.completed` (`All at once`), no deltas |
//! | `asst_stream` | twenty deltas `w0 ` … `w19 ` |
//! | `asst_tools` | `requires_action` with two calls `call_a` (`get_weather`) and `call_b` (`get_time`); outputs for both stream `Sunny, at noon` |
//! | `asst_failed` | `thread.run.failed` with `rate_limit_exceeded` |
//! | `asst_slow` | one delta (`Thinking`), then waits for a cancel and ends `cancelled` |
//! | `asst_hang` | `thread.run.created`, then silence |
//! | `asst_malformed`, `asst_truncated` | an invalid event; a stream cut in the middle of an event |
//! | `asst_5xx` | HTTP 500 on run creation |
//! | `asst_detach` | the stream stops after `in_progress` (as if the gateway died) while the run goes on: the first poll says `in_progress`, the next `completed` with the answer `Finished while you were away` |
//! | `asst_detach_done` | same, but the run is already `completed` at the first poll |
//! | `asst_detach_tools` | same, the run ends in `requires_action` (`call_a`, `call_b`) |
//! | `asst_detach_failed` | same, the run ends `failed` (`server_error`) |
//! | `asst_detach_stuck` | same, the run stays `in_progress` until cancelled |
//! | anything else | HTTP 404 `No assistant found` |
//!
//! Like the service, adding a message to a thread that does not exist answers HTTP 404,
//! and to a thread with a run that has not ended (queued, in progress, waiting for tool
//! outputs, cancelling) HTTP 400.

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use tokio::sync::{Notify, mpsc, watch};

/// The bearer token the agent routes accept, and the one the token endpoint issues.
pub const TOKEN: &str = "fake-entra-token";
/// The tenant the token endpoint serves.
pub const TENANT_ID: &str = "fake-tenant";
/// The client (application) id the token endpoint accepts.
pub const CLIENT_ID: &str = "fake-client-id";
/// The client secret the token endpoint accepts with [`CLIENT_ID`].
pub const CLIENT_SECRET: &str = "fake-client-secret";
/// The federated (workload identity) token the endpoint accepts as a client assertion.
pub const FEDERATED_TOKEN: &str = "fake-federated-token";
/// The path of the project under the server's base URL.
pub const PROJECT_PATH: &str = "/api/projects/fake-project";

const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The fake server; it shuts down when dropped.
pub struct FakeServer {
    addr: SocketAddr,
    state: Arc<FakeState>,
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
        let state = Arc::new(FakeState {
            log: Mutex::default(),
            bodies: Mutex::default(),
            token_requests: Mutex::default(),
            store: Mutex::default(),
            cancelled: Notify::new(),
            stop: stop.clone(),
        });
        let p = PROJECT_PATH;
        let app = axum::Router::new()
            .route("/{tenant}/oauth2/v2.0/token", post(token))
            .route(&format!("{p}/threads"), post(create_thread))
            .route(
                &format!("{p}/threads/{{t}}/messages"),
                post(add_message).get(list_messages),
            )
            .route(&format!("{p}/threads/{{t}}/runs"), post(create_run))
            .route(&format!("{p}/threads/{{t}}/runs/{{r}}"), get(get_run))
            .route(
                &format!("{p}/threads/{{t}}/runs/{{r}}/submit_tool_outputs"),
                post(submit),
            )
            .route(
                &format!("{p}/threads/{{t}}/runs/{{r}}/cancel"),
                post(cancel),
            )
            .with_state(state.clone());
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
            state,
            shutdown,
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The project endpoint to configure the adapter with (`base_url` + [`PROJECT_PATH`]).
    pub fn endpoint(&self) -> String {
        format!("{}{PROJECT_PATH}", self.base_url())
    }

    /// The Entra authority host serving `POST /{tenant}/oauth2/v2.0/token` (the base URL;
    /// plain http on loopback, which the adapter accepts for loopback hosts only).
    pub fn authority_host(&self) -> String {
        self.base_url()
    }

    /// `METHOD /path` (below the project, without the query) of every authorised agent
    /// call, in order.
    pub fn requests(&self) -> Vec<String> {
        lock(&self.state.log).clone()
    }

    /// The JSON bodies of those calls (`null` when there is none), in the same order.
    pub fn bodies(&self) -> Vec<Value> {
        lock(&self.state.bodies).clone()
    }

    /// Deletes a thread (as `DELETE /threads/{id}` or its expiry would): later calls on
    /// it answer HTTP 404.
    pub fn delete_thread(&self, id: &str) {
        lock(&self.state.store).threads.remove(id);
    }

    /// The form fields of every token request, without `client_secret` and
    /// `client_assertion`.
    pub fn token_requests(&self) -> Vec<BTreeMap<String, String>> {
        lock(&self.state.token_requests).clone()
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

struct FakeState {
    log: Mutex<Vec<String>>,
    bodies: Mutex<Vec<Value>>,
    token_requests: Mutex<Vec<BTreeMap<String, String>>>,
    store: Mutex<Store>,
    cancelled: Notify,
    stop: watch::Receiver<bool>,
}

impl FakeState {
    fn record(&self, line: String, body: Value) {
        lock(&self.log).push(line);
        lock(&self.bodies).push(body);
    }

    /// Resolves when the server shuts down.
    async fn stopped(&self) {
        let mut stop = self.stop.clone();
        let _ = stop.wait_for(|s| *s).await;
    }
}

#[derive(Default)]
struct Store {
    /// The last number given to ids of each prefix (`thread`, `run`, `msg`).
    counters: HashMap<&'static str, u32>,
    /// Thread id → its messages, oldest first.
    threads: HashMap<String, Vec<Msg>>,
    runs: HashMap<String, RunRec>,
}

impl Store {
    fn id(&mut self, prefix: &'static str) -> String {
        let n = self.counters.entry(prefix).or_default();
        *n += 1;
        format!("{prefix}_{n}")
    }

    fn add_message(&mut self, thread: &str, role: &str, text: &str, run: Option<&str>) -> String {
        let id = self.id("msg");
        self.threads
            .entry(thread.to_owned())
            .or_default()
            .push(Msg {
                id: id.clone(),
                role: role.to_owned(),
                text: text.to_owned(),
                run_id: run.map(str::to_owned),
            });
        id
    }

    fn last_user_text(&self, thread: &str) -> String {
        self.threads
            .get(thread)
            .and_then(|m| m.iter().rev().find(|m| m.role == "user"))
            .map(|m| m.text.clone())
            .unwrap_or_default()
    }

    /// A run of `thread` that has not ended (the service refuses new messages then).
    fn active_run(&self, thread: &str) -> Option<String> {
        self.runs.iter().find_map(|(id, r)| {
            let active = matches!(
                r.run["status"].as_str(),
                Some("queued" | "in_progress" | "requires_action" | "cancelling")
            );
            (active && r.run["thread_id"] == json!(thread)).then(|| id.clone())
        })
    }

    fn set_status(&mut self, run: &str, status: &str) {
        if let Some(r) = self.runs.get_mut(run) {
            r.run["status"] = json!(status);
        }
    }
}

struct Msg {
    id: String,
    role: String,
    text: String,
    run_id: Option<String>,
}

impl Msg {
    fn to_json(&self, thread: &str) -> Value {
        message_json(
            thread,
            &self.id,
            &self.role,
            "completed",
            &self.text,
            self.run_id.as_deref(),
        )
    }
}

struct RunRec {
    /// The run object as the service returns it now.
    run: Value,
    agent: String,
    /// For the detached scenarios: polls still answered `in_progress`, then the run's end.
    later: Option<Later>,
}

struct Later {
    polls_left: u32,
    /// `None`: stays in progress until cancelled.
    end: Option<End>,
}

enum End {
    Completed(String),
    RequiresAction(Value),
    Failed(Value),
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

fn entra_error(status: StatusCode, error: &str, code: u32, description: &str) -> Response {
    (
        status,
        Json(json!({
            "error": error,
            "error_description": format!("AADSTS{code}: {description}"),
            "error_codes": [code],
        })),
    )
        .into_response()
}

/// `POST /{tenant}/oauth2/v2.0/token`: the client-credentials grant, with a secret or a
/// client assertion.
async fn token(
    State(s): State<Arc<FakeState>>,
    Path(tenant): Path<String>,
    body: Bytes,
) -> Response {
    let form: BTreeMap<String, String> = reqwest::Url::parse("http://form.invalid/")
        .map(|mut u| {
            u.set_query(Some(&String::from_utf8_lossy(&body)));
            u.query_pairs().into_owned().collect()
        })
        .unwrap_or_default();
    let field = |k: &str| form.get(k).map(String::as_str).unwrap_or_default();
    let mut recorded = form.clone();
    recorded.remove("client_secret");
    recorded.remove("client_assertion");
    recorded.insert("tenant".into(), tenant.clone());
    lock(&s.token_requests).push(recorded);
    if tenant != TENANT_ID {
        return entra_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            90002,
            &format!("Tenant '{tenant}' not found."),
        );
    }
    if field("grant_type") != "client_credentials" || field("scope").is_empty() {
        return entra_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900144,
            "The request body must contain grant_type and scope.",
        );
    }
    if field("client_id") != CLIENT_ID {
        return entra_error(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700016,
            "Application not found in the directory.",
        );
    }
    let ok = if field("client_assertion_type") == JWT_BEARER {
        field("client_assertion") == FEDERATED_TOKEN
    } else {
        field("client_secret") == CLIENT_SECRET
    };
    if !ok {
        return entra_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000215,
            "Invalid client secret provided.",
        );
    }
    Json(json!({
        "token_type": "Bearer",
        "expires_in": 3599,
        "ext_expires_in": 3599,
        "access_token": TOKEN,
    }))
    .into_response()
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
    let id = {
        let mut store = lock(&s.store);
        let id = store.id("thread");
        store.threads.insert(id.clone(), Vec::new());
        id
    };
    Json(json!({"id": id, "object": "thread", "created_at": 1, "metadata": {}})).into_response()
}

async fn add_message(
    State(s): State<Arc<FakeState>>,
    Path(t): Path<String>,
    headers: HeaderMap,
    q: Q,
    Json(body): Json<Value>,
) -> Response {
    if let Some(r) = check(&headers, &q) {
        return r;
    }
    let content = body["content"].as_str().unwrap_or_default().to_owned();
    s.record(format!("POST /threads/{t}/messages"), body);
    let mut store = lock(&s.store);
    if !store.threads.contains_key(&t) {
        return error(
            StatusCode::NOT_FOUND,
            "not_found",
            &format!("No thread found with id '{t}'."),
        );
    }
    if let Some(run) = store.active_run(&t) {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            &format!("Can't add messages to {t} while a run {run} is active."),
        );
    }
    let id = store.add_message(&t, "user", &content, None);
    Json(message_json(&t, &id, "user", "completed", &content, None)).into_response()
}

async fn list_messages(
    State(s): State<Arc<FakeState>>,
    Path(t): Path<String>,
    headers: HeaderMap,
    q: Q,
) -> Response {
    if let Some(r) = check(&headers, &q) {
        return r;
    }
    s.record(format!("GET /threads/{t}/messages"), Value::Null);
    let store = lock(&s.store);
    let Some(messages) = store.threads.get(&t) else {
        return error(
            StatusCode::NOT_FOUND,
            "not_found",
            &format!("No thread found with id '{t}'."),
        );
    };
    let run = q.get("run_id");
    let mut data: Vec<Value> = messages
        .iter()
        .filter(|m| run.is_none() || m.run_id.as_ref() == run)
        .map(|m| m.to_json(&t))
        .collect();
    // The service lists newest first unless asked otherwise.
    if q.get("order").map(String::as_str) != Some("asc") {
        data.reverse();
    }
    let limit = q
        .get("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .unwrap_or(20);
    data.truncate(limit);
    Json(json!({"object": "list", "data": data, "has_more": false})).into_response()
}

fn run_json(thread: &str, run: &str, agent: &str, status: &str) -> Value {
    json!({
        "id": run, "object": "thread.run", "thread_id": thread,
        "assistant_id": agent, "status": status
    })
}

fn delta(msg: &str, text: &str) -> Value {
    json!({
        "id": msg, "object": "thread.message.delta",
        "delta": {"content": [{"index": 0, "type": "text", "text": {"value": text, "annotations": []}}]}
    })
}

fn message_json(
    thread: &str,
    msg: &str,
    role: &str,
    status: &str,
    text: &str,
    run: Option<&str>,
) -> Value {
    json!({
        "id": msg, "object": "thread.message", "thread_id": thread, "role": role,
        "status": status, "run_id": run,
        "content": [{"type": "text", "text": {"value": text, "annotations": []}}]
    })
}

/// One SSE frame.
fn frame(event: &str, data: &Value) -> String {
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

fn tool_call(id: &str, name: &str, arguments: &Value) -> Value {
    json!({"id": id, "type": "function",
           "function": {"name": name, "arguments": arguments.to_string()}})
}

fn two_tools() -> Value {
    json!({
        "type": "submit_tool_outputs",
        "submit_tool_outputs": {"tool_calls": [
            tool_call("call_a", "get_weather", &json!({"city": "Paris"})),
            tool_call("call_b", "get_time", &json!({})),
        ]}
    })
}

fn ask_user() -> Value {
    json!({
        "type": "submit_tool_outputs",
        "submit_tool_outputs": {"tool_calls": [
            tool_call("call_input", "ask_user", &json!({"question": "What is your name?"})),
        ]}
    })
}

/// The events of an answer streamed as deltas, then the run's completion; the answer is
/// stored on the thread.
fn answer_frames(s: &FakeState, thread: &str, run: &str, agent: &str, deltas: &[&str]) -> String {
    let text: String = deltas.concat();
    let msg = {
        let mut store = lock(&s.store);
        let msg = store.add_message(thread, "assistant", &text, Some(run));
        store.set_status(run, "completed");
        msg
    };
    let mut b = frame(
        "thread.message.created",
        &message_json(thread, &msg, "assistant", "in_progress", "", Some(run)),
    );
    for d in deltas {
        b += &frame("thread.message.delta", &delta(&msg, d));
    }
    b += &frame(
        "thread.message.completed",
        &message_json(thread, &msg, "assistant", "completed", &text, Some(run)),
    );
    b + &frame(
        "thread.run.completed",
        &run_json(thread, run, agent, "completed"),
    ) + DONE
}

async fn create_run(
    State(s): State<Arc<FakeState>>,
    Path(t): Path<String>,
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
    let known = [
        "plain",
        "input",
        "asst_whole",
        "asst_stream",
        "asst_tools",
        "asst_failed",
        "asst_slow",
        "asst_hang",
        "asst_malformed",
        "asst_truncated",
        "asst_detach",
        "asst_detach_done",
        "asst_detach_tools",
        "asst_detach_failed",
        "asst_detach_stuck",
    ];
    if agent == "asst_5xx" {
        return error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "Something went wrong.",
        );
    }
    if !known.contains(&agent.as_str()) {
        return error(
            StatusCode::NOT_FOUND,
            "not_found",
            &format!("No assistant found with id '{agent}'."),
        );
    }
    let (run, user_text) = {
        let mut store = lock(&s.store);
        let run = store.id("run");
        let later = |polls_left, end| Some(Later { polls_left, end });
        let later = match agent.as_str() {
            "asst_detach" => later(
                1,
                Some(End::Completed("Finished while you were away".into())),
            ),
            "asst_detach_done" => later(
                0,
                Some(End::Completed("Finished while you were away".into())),
            ),
            "asst_detach_tools" => later(0, Some(End::RequiresAction(two_tools()))),
            "asst_detach_failed" => later(
                0,
                Some(End::Failed(
                    json!({"code": "server_error", "message": "The model crashed."}),
                )),
            ),
            "asst_detach_stuck" => later(0, None),
            _ => None,
        };
        store.runs.insert(
            run.clone(),
            RunRec {
                run: run_json(&t, &run, &agent, "in_progress"),
                agent: agent.clone(),
                later,
            },
        );
        let text = store.last_user_text(&t);
        (run, text)
    };
    let r = |status: &str| run_json(&t, &run, &agent, status);
    let started = frame("thread.run.created", &r("queued"))
        + &frame("thread.run.queued", &r("queued"))
        + &frame("thread.run.in_progress", &r("in_progress"));
    match agent.as_str() {
        "plain" => sse_body(
            started
                + &frame(
                    "thread.run.step.created",
                    &json!({"id": "step_1", "object": "thread.run.step"}),
                )
                + &answer_frames(&s, &t, &run, &agent, &["echo: ", &user_text]),
        ),
        "input" | "asst_tools" => {
            let action = if agent == "input" {
                ask_user()
            } else {
                two_tools()
            };
            let mut ra = r("requires_action");
            ra["required_action"] = action;
            if let Some(rec) = lock(&s.store).runs.get_mut(&run) {
                rec.run = ra.clone();
            }
            sse_body(started + &frame("thread.run.requires_action", &ra) + DONE)
        }
        "asst_whole" => {
            let msg = {
                let mut store = lock(&s.store);
                store.set_status(&run, "completed");
                store.add_message(&t, "assistant", "All at once", Some(&run))
            };
            sse_body(
                started
                    + &frame(
                        "thread.message.completed",
                        &message_json(
                            &t,
                            &msg,
                            "assistant",
                            "completed",
                            "All at once",
                            Some(&run),
                        ),
                    )
                    + &frame("thread.run.completed", &r("completed"))
                    + DONE,
            )
        }
        "asst_stream" => {
            let words: Vec<String> = (0..20).map(|i| format!("w{i} ")).collect();
            let words: Vec<&str> = words.iter().map(String::as_str).collect();
            let msg = {
                let mut store = lock(&s.store);
                store.set_status(&run, "completed");
                store.add_message(&t, "assistant", &words.concat(), Some(&run))
            };
            let mut b = started;
            for w in &words {
                b += &frame("thread.message.delta", &delta(&msg, w));
            }
            sse_body(b + &frame("thread.run.completed", &r("completed")) + DONE)
        }
        "asst_failed" => {
            let mut f = r("failed");
            f["last_error"] =
                json!({"code": "rate_limit_exceeded", "message": "Rate limit is exceeded."});
            if let Some(rec) = lock(&s.store).runs.get_mut(&run) {
                rec.run = f.clone();
            }
            sse_body(started + &frame("thread.run.failed", &f) + DONE)
        }
        "asst_slow" => {
            let state = s.clone();
            let cancelling = r("cancelling");
            let cancelled = r("cancelled");
            let msg = lock(&s.store).id("msg");
            sse_live(move |tx| async move {
                let _ = tx.send(started).await;
                let _ = tx
                    .send(frame("thread.message.delta", &delta(&msg, "Thinking")))
                    .await;
                tokio::select! {
                    () = state.cancelled.notified() => {}
                    () = state.stopped() => return,
                }
                let _ = tx.send(frame("thread.run.cancelling", &cancelling)).await;
                let _ = tx
                    .send(frame("thread.run.cancelled", &cancelled) + DONE)
                    .await;
            })
        }
        "asst_hang" => {
            let state = s.clone();
            let created = frame("thread.run.created", &r("queued"));
            sse_live(move |tx| async move {
                let _ = tx.send(created).await;
                state.stopped().await;
            })
        }
        "asst_malformed" => sse_body(
            frame("thread.run.created", &r("queued"))
                + "event: thread.message.delta\ndata: {not json\n\n"
                + DONE,
        ),
        "asst_truncated" => sse_body(
            started
                + &frame("thread.message.delta", &delta("msg_partial", "partial"))
                + "event: thread.message.delta\ndata: {\"id\":\"msg_1\",\"del",
        ),
        // The detached scenarios: the stream stops after `in_progress`; the run goes on.
        _ => {
            let state = s.clone();
            sse_live(move |tx| async move {
                let _ = tx.send(started).await;
                state.stopped().await;
            })
        }
    }
}

async fn get_run(
    State(s): State<Arc<FakeState>>,
    Path((t, r)): Path<(String, String)>,
    headers: HeaderMap,
    q: Q,
) -> Response {
    if let Some(resp) = check(&headers, &q) {
        return resp;
    }
    s.record(format!("GET /threads/{t}/runs/{r}"), Value::Null);
    let mut store = lock(&s.store);
    let Some(rec) = store.runs.get_mut(&r) else {
        return error(
            StatusCode::NOT_FOUND,
            "not_found",
            &format!("No run found with id '{r}'."),
        );
    };
    let mut answer = None;
    if let Some(later) = &mut rec.later {
        if later.polls_left > 0 {
            later.polls_left -= 1;
        } else if let Some(end) = later.end.take() {
            match end {
                End::Completed(text) => {
                    rec.run["status"] = json!("completed");
                    answer = Some(text);
                }
                End::RequiresAction(action) => {
                    rec.run["status"] = json!("requires_action");
                    rec.run["required_action"] = action;
                }
                End::Failed(last_error) => {
                    rec.run["status"] = json!("failed");
                    rec.run["last_error"] = last_error;
                }
            }
            rec.later = None;
        }
    }
    let run = rec.run.clone();
    if let Some(text) = answer {
        store.add_message(&t, "assistant", &text, Some(&r));
    }
    Json(run).into_response()
}

async fn submit(
    State(s): State<Arc<FakeState>>,
    Path((t, r)): Path<(String, String)>,
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
    let (agent, pending) = {
        let store = lock(&s.store);
        let Some(rec) = store.runs.get(&r) else {
            return error(
                StatusCode::NOT_FOUND,
                "not_found",
                &format!("No run found with id '{r}'."),
            );
        };
        let mut pending: Vec<String> =
            rec.run["required_action"]["submit_tool_outputs"]["tool_calls"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|c| c["id"].as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
        pending.sort_unstable();
        if rec.run["status"] != json!("requires_action") {
            return error(
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                "Runs in status other than requires_action do not accept tool outputs.",
            );
        }
        (rec.agent.clone(), pending)
    };
    let outputs: Vec<(String, String)> = body["tool_outputs"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|o| {
                    Some((
                        o["tool_call_id"].as_str()?.to_owned(),
                        o["output"].as_str().unwrap_or_default().to_owned(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    let mut ids: Vec<String> = outputs.iter().map(|(id, _)| id.clone()).collect();
    ids.sort_unstable();
    if ids != pending || body["stream"] != json!(true) {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "tool outputs do not match the pending tool calls",
        );
    }
    if let Some(rec) = lock(&s.store).runs.get_mut(&r) {
        rec.run["status"] = json!("in_progress");
        if let Some(o) = rec.run.as_object_mut() {
            o.remove("required_action");
        }
    }
    let start = frame(
        "thread.run.in_progress",
        &run_json(&t, &r, &agent, "in_progress"),
    );
    let answer = if agent == "input" {
        let output = outputs.first().map(|(_, o)| o.clone()).unwrap_or_default();
        answer_frames(&s, &t, &r, &agent, &["got: ", &output])
    } else {
        answer_frames(&s, &t, &r, &agent, &["Sunny, ", "at noon"])
    };
    sse_body(start + &answer)
}

async fn cancel(
    State(s): State<Arc<FakeState>>,
    Path((t, r)): Path<(String, String)>,
    headers: HeaderMap,
    q: Q,
) -> Response {
    if let Some(resp) = check(&headers, &q) {
        return resp;
    }
    s.record(format!("POST /threads/{t}/runs/{r}/cancel"), Value::Null);
    s.cancelled.notify_one();
    let mut store = lock(&s.store);
    let Some(rec) = store.runs.get_mut(&r) else {
        return error(
            StatusCode::NOT_FOUND,
            "not_found",
            &format!("No run found with id '{r}'."),
        );
    };
    rec.later = None;
    rec.run["status"] = json!("cancelling");
    let mut answer = rec.run.clone();
    rec.run["status"] = json!("cancelled");
    answer["status"] = json!("cancelling");
    Json(answer).into_response()
}
