//! A fake Vertex AI Agent Engine on 127.0.0.1 (providers.md §3.7), for this crate's tests
//! and the gateway's end-to-end tests (feature `fake`).
//!
//! It serves `POST /{v1|v1beta1}/projects/{p}/locations/{l}/reasoningEngines/{id}:query`
//! (`async_create_session` / `create_session`, and `query` for the non-streaming mode) and
//! `…:streamQuery` (SSE `data:` lines with `?alt=sse`, NDJSON without), checking the bearer
//! token on every call; and `POST /token`, an OAuth token endpoint that accepts the
//! JWT-bearer assertions of [`service_account_json`] (signature, issuer, audience, scope
//! checked) and the refresh token of [`authorized_user_json`]. The tokens it issues, and
//! [`TOKEN`], are the only ones the engine routes accept.
//!
//! The scenario is the engine id:
//!
//! | engine id | what it does |
//! |---|---|
//! | `plain` | one event with the text `echo: <user text>` |
//! | `stream` | 20 token deltas (`partial`, when the query asks for `streaming_mode: sse`) and the repeated whole text `w0 … w19 `, an ordinary tool call and response, then `It is noon.` (two deltas and the whole text) |
//! | `ndjson` | like `plain`, in deltas and NDJSON framing even with `alt=sse` |
//! | `input` | `I need your approval first.`, then the long-running tool call `ask_approval` (id `fc-approve`); the resume with its `function_response` answers `got: <reply>` (`response.result` when it is a string, else the response as JSON) |
//! | `confirm` | the tool `transfer_money` asks for a confirmation (`actions.requested_tool_confirmations`, then `adk_request_confirmation` id `adk-confirm-1`); `{"confirmed": true}` answers `Transferred 100 EUR to Bob.`, anything else `The transfer was cancelled.` |
//! | `auth` | the tool `list_events` asks for OAuth (`actions.requested_auth_configs`, then `adk_request_credential` id `adk-auth-1`, client secret [`OAUTH_CLIENT_SECRET`]); a response with `exchangedAuthCredential.oauth2.authResponseUri` and the client secret answers `Signed in: you have 3 events today.` |
//! | `error` | a delta, then an event with `error_code: SAFETY` |
//! | `malformed` | an event, then a `data:` line that is not JSON |
//! | `truncated` | a delta, then half an event and the end of the body |
//! | `hang` | a delta, then nothing (until the server is dropped) |
//! | `slow` | a delta, then SSE comments until the client goes away ([`FakeServer::wait_disconnected`]) |
//! | `busy` | HTTP 429 `RESOURCE_EXHAUSTED` (`Retry-After: 0`) on every query |
//! | `flaky` | HTTP 503 `UNAVAILABLE` (`Retry-After: 0`) on the first query, then like `plain` |
//! | `broken` | HTTP 500 `INTERNAL` on every query |
//! | `forbidden` | HTTP 403 `PERMISSION_DENIED` on every query |
//! | anything else | HTTP 404 `NOT_FOUND` (also for session creation) |
//!
//! Only the streaming class methods `async_stream_query` / `stream_query` and the
//! non-streaming `query` exist; others answer 400 `INVALID_ARGUMENT`.
//!
//! The key in `src/fake/test_key.pem` is a throwaway test key: it grants access to nothing.

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Form, Json};
use base64::Engine;
use gcp_auth::{Token, TokenProvider};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::convert::Infallible;
use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::{Notify, mpsc, watch};

/// The static token every engine route accepts (see [`token_provider`]).
pub const TOKEN: &str = "ya29.fake-vertex-token";
/// The client email of [`service_account_json`].
pub const SERVICE_ACCOUNT_EMAIL: &str = "a2a-gateway-test@fake-project.iam.gserviceaccount.com";
/// The project of the fake credentials.
pub const PROJECT: &str = "fake-project";
/// The OAuth client id of [`authorized_user_json`].
pub const USER_CLIENT_ID: &str = "fake-client.apps.googleusercontent.com";
/// The OAuth client secret of [`authorized_user_json`] (test-only).
pub const USER_CLIENT_SECRET: &str = "fake-user-client-secret";
/// The refresh token of [`authorized_user_json`] (test-only).
pub const USER_REFRESH_TOKEN: &str = "fake-refresh-token";
/// The client secret inside the `auth` scenario's auth config (must come back on resume,
/// and never be shown to the user).
pub const OAUTH_CLIENT_SECRET: &str = "fake-oauth-client-secret";
/// The URL the `auth` scenario asks the user to open.
pub const OAUTH_AUTH_URI: &str = "https://accounts.example/auth?client_id=cal-client&state=xyz";

/// A throwaway RSA key (test-only, see `src/fake/README.md`).
const TEST_KEY: &str = include_str!("fake/test_key.pem");
const TEST_PUBLIC_KEY: &str = include_str!("fake/test_key.pub.pem");
const SCOPE: &str = crate::SCOPE;
const AGENT: &str = "root_agent";

/// A token provider that always returns the same token.
pub struct StaticToken(String);

impl StaticToken {
    /// A provider of `token`.
    pub fn new(token: impl Into<String>) -> Self {
        StaticToken(token.into())
    }
}

impl fmt::Debug for StaticToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StaticToken(****)")
    }
}

#[async_trait::async_trait]
impl TokenProvider for StaticToken {
    async fn token(&self, _scopes: &[&str]) -> Result<Arc<Token>, gcp_auth::Error> {
        serde_json::from_value::<Token>(json!({"access_token": self.0, "expires_in": 3600}))
            .map(Arc::new)
            .map_err(|e| gcp_auth::Error::Json("fake token", e))
    }

    async fn project_id(&self) -> Result<Arc<str>, gcp_auth::Error> {
        Ok(Arc::from(PROJECT))
    }
}

/// A provider of [`TOKEN`].
pub fn token_provider() -> Arc<dyn TokenProvider> {
    Arc::new(StaticToken::new(TOKEN))
}

/// A service account key file (JSON) with the test key, whose `token_uri` is `token_uri`
/// (e.g. [`FakeServer::token_uri`]).
pub fn service_account_json(token_uri: &str) -> String {
    json!({
        "type": "service_account",
        "project_id": PROJECT,
        "private_key_id": "fake-test-key",
        "private_key": TEST_KEY,
        "client_email": SERVICE_ACCOUNT_EMAIL,
        "client_id": "100000000000000000000",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": token_uri,
    })
    .to_string()
}

/// A gcloud user credentials file (`authorized_user` JSON) whose `token_uri` is
/// `token_uri`.
pub fn authorized_user_json(token_uri: &str) -> String {
    json!({
        "type": "authorized_user",
        "client_id": USER_CLIENT_ID,
        "client_secret": USER_CLIENT_SECRET,
        "refresh_token": USER_REFRESH_TOKEN,
        "quota_project_id": PROJECT,
        "token_uri": token_uri,
    })
    .to_string()
}

/// One call to an engine route, as received (after the token check).
#[derive(Clone, Debug, PartialEq)]
pub struct RecordedRequest {
    /// `query` or `streamQuery`.
    pub action: String,
    /// `v1` or `v1beta1`.
    pub api_version: String,
    /// The project in the path.
    pub project: String,
    /// The location in the path.
    pub location: String,
    /// The engine id in the path.
    pub engine_id: String,
    /// The `alt` query parameter.
    pub alt: Option<String>,
    /// The JSON body.
    pub body: Value,
}

impl RecordedRequest {
    /// The body's `classMethod`.
    pub fn class_method(&self) -> &str {
        self.body
            .get("classMethod")
            .or_else(|| self.body.get("class_method"))
            .and_then(Value::as_str)
            .unwrap_or("")
    }
}

#[derive(Clone, Debug)]
struct FakeSession {
    user_id: String,
    engine: String,
    /// `(call id, function name)` the agent waits for.
    pending: Option<(String, String)>,
}

struct FakeState {
    token_uri: String,
    requests: Mutex<Vec<RecordedRequest>>,
    sessions: Mutex<HashMap<String, FakeSession>>,
    next_session: AtomicUsize,
    issued: Mutex<Vec<String>>,
    flaky_failed: AtomicBool,
    gone: AtomicBool,
    gone_notify: Notify,
    shutdown: watch::Receiver<bool>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The fake upstream; it stops when dropped.
pub struct FakeServer {
    addr: SocketAddr,
    state: Arc<FakeState>,
    shutdown: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl fmt::Debug for FakeServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeServer")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl FakeServer {
    /// Starts the fake on `127.0.0.1:0`.
    pub async fn start() -> std::io::Result<FakeServer> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (shutdown, shutdown_rx) = watch::channel(false);
        let state = Arc::new(FakeState {
            token_uri: format!("http://{addr}/token"),
            requests: Mutex::new(Vec::new()),
            sessions: Mutex::new(HashMap::new()),
            next_session: AtomicUsize::new(1),
            issued: Mutex::new(Vec::new()),
            flaky_failed: AtomicBool::new(false),
            gone: AtomicBool::new(false),
            gone_notify: Notify::new(),
            shutdown: shutdown_rx.clone(),
        });
        let app = axum::Router::new()
            .route(
                "/{version}/projects/{project}/locations/{location}/reasoningEngines/{target}",
                post(engine_call),
            )
            .route("/token", post(token))
            .with_state(state.clone());
        let mut stop = shutdown_rx;
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stop.wait_for(|v| *v).await;
                })
                .await;
        });
        Ok(FakeServer {
            addr,
            state,
            shutdown,
            task,
        })
    }

    /// `http://127.0.0.1:PORT`: the `base_url` of the adapter's configuration.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://127.0.0.1:PORT/token`: the `token_uri` for [`service_account_json`] and
    /// [`authorized_user_json`].
    pub fn token_uri(&self) -> String {
        self.state.token_uri.clone()
    }

    /// The engine calls received so far (with a valid token), oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.state.requests).clone()
    }

    /// How many tokens `/token` issued.
    pub fn issued_tokens(&self) -> usize {
        lock(&self.state.issued).len()
    }

    /// Resolves once a `slow` stream noticed that its client went away.
    pub async fn wait_disconnected(&self) {
        while !self.state.gone.load(Ordering::SeqCst) {
            self.state.gone_notify.notified().await;
        }
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        self.task.abort();
    }
}

fn google_error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(json!({"error": {"code": status.as_u16(), "message": message, "status": code}})),
    )
        .into_response()
}

fn with_retry_after(mut resp: Response) -> Response {
    resp.headers_mut()
        .insert(header::RETRY_AFTER, header::HeaderValue::from_static("0"));
    resp
}

fn authorized(s: &FakeState, headers: &HeaderMap) -> bool {
    let Some(token) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return false;
    };
    token == TOKEN || lock(&s.issued).iter().any(|t| t == token)
}

const SCENARIOS: &[&str] = &[
    "plain",
    "stream",
    "ndjson",
    "input",
    "confirm",
    "auth",
    "error",
    "malformed",
    "truncated",
    "hang",
    "slow",
    "busy",
    "flaky",
    "broken",
    "forbidden",
];

async fn engine_call(
    State(s): State<Arc<FakeState>>,
    Path((version, project, location, target)): Path<(String, String, String, String)>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !authorized(&s, &headers) {
        return google_error(
            StatusCode::UNAUTHORIZED,
            "UNAUTHENTICATED",
            "Request had invalid authentication credentials. Expected OAuth 2 access token, \
             login cookie or other valid authentication credential.",
        );
    }
    let Some((engine, action)) = target.split_once(':') else {
        return google_error(StatusCode::NOT_FOUND, "NOT_FOUND", "Unknown method.");
    };
    if !matches!(version.as_str(), "v1" | "v1beta1") || !matches!(action, "query" | "streamQuery") {
        return google_error(StatusCode::NOT_FOUND, "NOT_FOUND", "Unknown method.");
    }
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return google_error(
            StatusCode::BAD_REQUEST,
            "INVALID_ARGUMENT",
            "Invalid JSON payload received.",
        );
    };
    let recorded = RecordedRequest {
        action: action.to_owned(),
        api_version: version,
        project: project.clone(),
        location: location.clone(),
        engine_id: engine.to_owned(),
        alt: query.get("alt").cloned(),
        body: body.clone(),
    };
    let class_method = recorded.class_method().to_owned();
    lock(&s.requests).push(recorded);
    let engine = engine.to_owned();
    if !SCENARIOS.contains(&engine.as_str()) {
        return google_error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            &format!(
                "Reasoning Engine resource [projects/{project}/locations/{location}/\
                 reasoningEngines/{engine}] does not exist."
            ),
        );
    }
    let input = body.get("input").cloned().unwrap_or(Value::Null);
    if action == "query"
        && matches!(
            class_method.as_str(),
            "async_create_session" | "create_session"
        )
    {
        return create_session(&s, &engine, &input);
    }
    let streaming = action == "streamQuery";
    let known = if streaming {
        matches!(class_method.as_str(), "async_stream_query" | "stream_query")
    } else {
        class_method == "query"
    };
    if !known {
        return google_error(
            StatusCode::BAD_REQUEST,
            "INVALID_ARGUMENT",
            &format!(
                "Failed to invoke class method `{class_method}`: the reasoning engine has no \
                 such {} method.",
                if streaming {
                    "streaming"
                } else {
                    "non-streaming"
                }
            ),
        );
    }
    match engine.as_str() {
        "busy" => {
            return with_retry_after(google_error(
                StatusCode::TOO_MANY_REQUESTS,
                "RESOURCE_EXHAUSTED",
                "Quota exceeded for aiplatform.googleapis.com/reasoning_engine_service_stream_query_requests.",
            ));
        }
        "flaky" if !s.flaky_failed.swap(true, Ordering::SeqCst) => {
            return with_retry_after(google_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "UNAVAILABLE",
                "The service is currently unavailable.",
            ));
        }
        "broken" => {
            return google_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL",
                "Internal error encountered.",
            );
        }
        "forbidden" => {
            return google_error(
                StatusCode::FORBIDDEN,
                "PERMISSION_DENIED",
                &format!(
                    "Permission 'aiplatform.reasoningEngines.query' denied on resource \
                     '//aiplatform.googleapis.com/projects/{project}/locations/{location}/\
                     reasoningEngines/forbidden' (or it may not exist)."
                ),
            );
        }
        _ => {}
    }
    let user_id = input.get("user_id").and_then(Value::as_str).unwrap_or("");
    let session_id = input
        .get("session_id")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let session = lock(&s.sessions).get(&session_id).cloned();
    let Some(session) = session.filter(|x| x.user_id == user_id && x.engine == engine) else {
        return google_error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            &format!("Session not found: `{session_id}` for user `{user_id}`."),
        );
    };
    let message = input.get("message").cloned().unwrap_or(Value::Null);
    let (text, responses) = read_message(&message);
    let partials = input
        .get("run_config")
        .and_then(|r| r.get("streaming_mode"))
        .and_then(Value::as_str)
        == Some("sse");
    let events = if responses.is_empty() {
        let (events, pending) = match turn_events(&engine, &text, partials) {
            Turn::Events(events, pending) => (events, pending),
            Turn::Live if streaming => {
                let sse = query.get("alt").map(String::as_str) == Some("sse");
                return live(&s, &engine, sse);
            }
            Turn::Live => {
                return google_error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "INTERNAL",
                    "This scenario only streams.",
                );
            }
        };
        set_pending(&s, &session_id, pending);
        events
    } else {
        let Some((id, name)) = session.pending.clone() else {
            return google_error(
                StatusCode::BAD_REQUEST,
                "INVALID_ARGUMENT",
                "The session has no pending function call.",
            );
        };
        let Some(response) = responses
            .iter()
            .find(|r| r.get("id").and_then(Value::as_str) == Some(id.as_str()))
            .filter(|r| r.get("name").and_then(Value::as_str) == Some(name.as_str()))
            .and_then(|r| r.get("response"))
        else {
            return google_error(
                StatusCode::BAD_REQUEST,
                "INVALID_ARGUMENT",
                &format!("No function_response for the pending call `{id}` (`{name}`)."),
            );
        };
        set_pending(&s, &session_id, None);
        resume_events(&engine, response)
    };
    if !streaming {
        return Json(json!({"output": events})).into_response();
    }
    let sse = query.get("alt").map(String::as_str) == Some("sse") && engine != "ndjson";
    let mut out = String::new();
    for e in &events {
        out.push_str(&frame(e, sse));
    }
    stream_response(sse, Body::from(out))
}

fn set_pending(s: &FakeState, session_id: &str, pending: Option<(String, String)>) {
    if let Some(session) = lock(&s.sessions).get_mut(session_id) {
        session.pending = pending;
    }
}

fn create_session(s: &FakeState, engine: &str, input: &Value) -> Response {
    let Some(user_id) = input
        .get("user_id")
        .and_then(Value::as_str)
        .filter(|u| !u.is_empty())
    else {
        return google_error(
            StatusCode::BAD_REQUEST,
            "INVALID_ARGUMENT",
            "Failed to invoke class method `async_create_session`: missing a required argument: 'user_id'.",
        );
    };
    let id = format!("sess-{}", s.next_session.fetch_add(1, Ordering::SeqCst));
    lock(&s.sessions).insert(
        id.clone(),
        FakeSession {
            user_id: user_id.to_owned(),
            engine: engine.to_owned(),
            pending: None,
        },
    );
    Json(json!({"output": {
        "id": id, "app_name": "fake-app", "user_id": user_id, "state": {}, "events": [],
        "last_update_time": 1.7e9
    }}))
    .into_response()
}

/// The user's text and `function_response`s of a genai Content (or a plain string).
fn read_message(message: &Value) -> (String, Vec<Value>) {
    if let Some(s) = message.as_str() {
        return (s.to_owned(), Vec::new());
    }
    let mut text = String::new();
    let mut responses = Vec::new();
    for part in message
        .get("parts")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        if let Some(t) = part.get("text").and_then(Value::as_str) {
            text.push_str(t);
        }
        if let Some(r) = part
            .get("function_response")
            .or_else(|| part.get("functionResponse"))
        {
            responses.push(r.clone());
        }
    }
    (text, responses)
}

fn frame(event: &Value, sse: bool) -> String {
    if sse {
        format!("data: {event}\n\n")
    } else {
        format!("{event}\n")
    }
}

fn stream_response(sse: bool, body: Body) -> Response {
    let content_type = if sse {
        "text/event-stream"
    } else {
        "application/json"
    };
    (StatusCode::OK, [(header::CONTENT_TYPE, content_type)], body).into_response()
}

fn text_event(id: &str, text: &str, partial: bool) -> Value {
    let mut e = json!({
        "author": AGENT, "invocation_id": "e-1", "id": id, "timestamp": 1.7e9,
        "content": {"role": "model", "parts": [{"text": text}]},
    });
    if partial {
        e["partial"] = json!(true);
    } else {
        e["actions"] = json!({"state_delta": {}, "artifact_delta": {}});
    }
    e
}

fn call_event(id: &str, call_id: &str, name: &str, args: &Value, long_running: bool) -> Value {
    let mut e = json!({
        "author": AGENT, "invocation_id": "e-1", "id": id, "timestamp": 1.7e9,
        "content": {"role": "model", "parts": [
            {"function_call": {"id": call_id, "name": name, "args": args}}
        ]},
        "actions": {"state_delta": {}, "artifact_delta": {}},
    });
    if long_running {
        e["long_running_tool_ids"] = json!([call_id]);
    }
    e
}

fn response_event(id: &str, call_id: &str, name: &str, response: &Value, actions: &Value) -> Value {
    json!({
        "author": AGENT, "invocation_id": "e-1", "id": id, "timestamp": 1.7e9,
        "content": {"role": "user", "parts": [
            {"function_response": {"id": call_id, "name": name, "response": response}}
        ]},
        "actions": actions,
    })
}

/// The auth config of the `auth` scenario (camelCase, as ADK's request call carries it).
fn auth_config() -> Value {
    json!({
        "authScheme": {"type": "oauth2", "flows": {"authorizationCode": {
            "authorizationUrl": "https://accounts.example/auth",
            "tokenUrl": "https://accounts.example/token",
            "scopes": {"calendar.readonly": "read your calendar"}
        }}},
        "rawAuthCredential": {"authType": "oauth2", "oauth2": {
            "clientId": "cal-client", "clientSecret": OAUTH_CLIENT_SECRET
        }},
        "exchangedAuthCredential": {"authType": "oauth2", "oauth2": {
            "clientId": "cal-client", "clientSecret": OAUTH_CLIENT_SECRET,
            "authUri": OAUTH_AUTH_URI, "state": "xyz"
        }},
        "credentialKey": "calendar-oauth"
    })
}

enum Turn {
    /// The events, and the call left pending.
    Events(Vec<Value>, Option<(String, String)>),
    /// A scenario with a hand-written, live body.
    Live,
}

fn deltas(prefix: &str, pieces: &[&str]) -> Vec<Value> {
    pieces
        .iter()
        .enumerate()
        .map(|(i, p)| text_event(&format!("{prefix}{i}"), p, true))
        .collect()
}

fn turn_events(engine: &str, text: &str, partials: bool) -> Turn {
    let echo = format!("echo: {text}");
    let events = match engine {
        "plain" | "flaky" => vec![text_event("ev-1", &echo, false)],
        "ndjson" => {
            let mut v = if partials {
                deltas("ev-d", &["echo: ", text])
            } else {
                Vec::new()
            };
            v.push(text_event("ev-1", &echo, false));
            v
        }
        "stream" => {
            let words: Vec<String> = (0..20).map(|i| format!("w{i} ")).collect();
            let mut v = Vec::new();
            if partials {
                let pieces: Vec<&str> = words.iter().map(String::as_str).collect();
                v.extend(deltas("ev-s", &pieces));
            }
            v.push(text_event("ev-s-final", &words.concat(), false));
            v.push(call_event("ev-c", "fc-time", "get_time", &json!({}), false));
            v.push(response_event(
                "ev-r",
                "fc-time",
                "get_time",
                &json!({"time": "12:00"}),
                &json!({}),
            ));
            if partials {
                v.extend(deltas("ev-t", &["It is ", "noon."]));
            }
            v.push(text_event("ev-t-final", "It is noon.", false));
            v
        }
        "input" => {
            return Turn::Events(
                vec![
                    text_event("ev-1", "I need your approval first.", false),
                    call_event(
                        "ev-2",
                        "fc-approve",
                        "ask_approval",
                        &json!({"amount": 100, "purpose": "travel"}),
                        true,
                    ),
                    response_event(
                        "ev-3",
                        "fc-approve",
                        "ask_approval",
                        &json!({"status": "pending"}),
                        &json!({}),
                    ),
                ],
                Some(("fc-approve".into(), "ask_approval".into())),
            );
        }
        "confirm" => {
            let args = json!({"amount": 100, "to": "Bob"});
            let confirmation =
                json!({"hint": "Confirm the transfer of 100 EUR to Bob.", "confirmed": false});
            return Turn::Events(
                vec![
                    call_event("ev-1", "fc-tx", "transfer_money", &args, false),
                    response_event(
                        "ev-2",
                        "fc-tx",
                        "transfer_money",
                        &json!({"error": "This tool call requires confirmation, please approve or reject."}),
                        &json!({"requested_tool_confirmations": {"fc-tx": confirmation}}),
                    ),
                    call_event(
                        "ev-3",
                        "adk-confirm-1",
                        "adk_request_confirmation",
                        &json!({
                            "originalFunctionCall": {"id": "fc-tx", "name": "transfer_money", "args": args},
                            "toolConfirmation": confirmation,
                        }),
                        true,
                    ),
                ],
                Some(("adk-confirm-1".into(), "adk_request_confirmation".into())),
            );
        }
        "auth" => {
            return Turn::Events(
                vec![
                    call_event(
                        "ev-1",
                        "fc-cal",
                        "list_events",
                        &json!({"day": "today"}),
                        false,
                    ),
                    response_event(
                        "ev-2",
                        "fc-cal",
                        "list_events",
                        &json!({"pending": true}),
                        &json!({"requested_auth_configs": {"fc-cal": {
                            "auth_scheme": {"type": "oauth2"},
                            "raw_auth_credential": {"auth_type": "oauth2", "oauth2": {
                                "client_id": "cal-client", "client_secret": OAUTH_CLIENT_SECRET
                            }}
                        }}}),
                    ),
                    call_event(
                        "ev-3",
                        "adk-auth-1",
                        "adk_request_credential",
                        &json!({"functionCallId": "fc-cal", "authConfig": auth_config()}),
                        true,
                    ),
                ],
                Some(("adk-auth-1".into(), "adk_request_credential".into())),
            );
        }
        "error" => {
            let mut v = if partials {
                deltas("ev-d", &["Let me check"])
            } else {
                Vec::new()
            };
            v.push(json!({
                "author": AGENT, "invocation_id": "e-1", "id": "ev-err", "timestamp": 1.7e9,
                "error_code": "SAFETY",
                "error_message": "The response was blocked because it may contain unsafe content.",
            }));
            v
        }
        _ => return Turn::Live,
    };
    Turn::Events(events, None)
}

fn resume_events(engine: &str, response: &Value) -> Vec<Value> {
    match engine {
        "input" => {
            let reply = match response.get("result") {
                Some(Value::String(s)) => s.clone(),
                _ => response.to_string(),
            };
            vec![text_event("ev-4", &format!("got: {reply}"), false)]
        }
        "confirm" => {
            let yes = response.get("confirmed").and_then(Value::as_bool) == Some(true);
            let text = if yes {
                "Transferred 100 EUR to Bob."
            } else {
                "The transfer was cancelled."
            };
            vec![text_event("ev-4", text, false)]
        }
        "auth" => {
            let oauth2 = response
                .get("exchangedAuthCredential")
                .and_then(|c| c.get("oauth2"));
            let uri = oauth2
                .and_then(|o| o.get("authResponseUri"))
                .and_then(Value::as_str);
            let secret = oauth2
                .and_then(|o| o.get("clientSecret"))
                .and_then(Value::as_str);
            if uri.is_some() && secret == Some(OAUTH_CLIENT_SECRET) {
                vec![text_event(
                    "ev-4",
                    "Signed in: you have 3 events today.",
                    false,
                )]
            } else {
                vec![json!({
                    "author": AGENT, "invocation_id": "e-1", "id": "ev-4",
                    "error_code": "AUTH_FAILED",
                    "error_message": "the auth response has no authResponseUri or no client secret",
                })]
            }
        }
        _ => vec![text_event("ev-4", "Nothing was pending.", false)],
    }
}

/// A body fed by `produce` on its own task.
fn live_body<F, Fut>(produce: F) -> Body
where
    F: FnOnce(mpsc::Sender<Bytes>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let (tx, rx) = mpsc::channel::<Bytes>(16);
    tokio::spawn(produce(tx));
    Body::from_stream(futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|b| (Ok::<_, Infallible>(b), rx))
    }))
}

fn live(s: &Arc<FakeState>, engine: &str, sse: bool) -> Response {
    let first = frame(&text_event("ev-1", "Thinking", true), sse);
    let mut shutdown = s.shutdown.clone();
    let body = match engine {
        "malformed" => Body::from(
            first
                + if sse {
                    "data: {not json\n\n"
                } else {
                    "{not json\n"
                },
        ),
        "truncated" => Body::from(
            first
                + if sse { "data: " } else { "" }
                + r#"{"author":"root_agent","content":{"role":"model","parts":[{"text":"a ti"#,
        ),
        "hang" => live_body(move |tx| async move {
            let _ = tx.send(Bytes::from(first)).await;
            let _ = shutdown.wait_for(|v| *v).await;
            drop(tx);
        }),
        _ => {
            // slow: keep-alive comments until the client goes away.
            let state = s.clone();
            live_body(move |tx| async move {
                let _ = tx.send(Bytes::from(first)).await;
                loop {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    if *shutdown.borrow_and_update() {
                        return;
                    }
                    if tx
                        .send(Bytes::from_static(b": keep-alive\n\n"))
                        .await
                        .is_err()
                    {
                        break;
                    }
                }
                state.gone.store(true, Ordering::SeqCst);
                state.gone_notify.notify_one();
            })
        }
    };
    stream_response(sse, body)
}

/// `POST /token`: JWT-bearer assertions (form) and refresh tokens (form or JSON).
async fn token(State(s): State<Arc<FakeState>>, req: Request) -> Response {
    let form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let params: HashMap<String, String> = if form {
        match Form::<HashMap<String, String>>::from_request(req, &()).await {
            Ok(Form(p)) => p,
            Err(e) => return oauth_error("invalid_request", &e.to_string()),
        }
    } else {
        match Json::<HashMap<String, Value>>::from_request(req, &()).await {
            Ok(Json(p)) => p
                .into_iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k, v.to_owned())))
                .collect(),
            Err(e) => return oauth_error("invalid_request", &e.to_string()),
        }
    };
    let grant = params.get("grant_type").map(String::as_str).unwrap_or("");
    let prefix = match grant {
        "urn:ietf:params:oauth:grant-type:jwt-bearer" => {
            let assertion = params.get("assertion").map(String::as_str).unwrap_or("");
            if let Err(why) = verify_assertion(assertion, &s.token_uri) {
                return oauth_error("invalid_grant", &why);
            }
            "sa"
        }
        "refresh_token" => {
            let ok = params.get("client_id").map(String::as_str) == Some(USER_CLIENT_ID)
                && params.get("client_secret").map(String::as_str) == Some(USER_CLIENT_SECRET)
                && params.get("refresh_token").map(String::as_str) == Some(USER_REFRESH_TOKEN);
            if !ok {
                return oauth_error("invalid_grant", "Bad Request");
            }
            "user"
        }
        _ => return oauth_error("unsupported_grant_type", "Invalid grant_type."),
    };
    let token = {
        let mut issued = lock(&s.issued);
        let token = format!("ya29.fake-{prefix}-{}", issued.len() + 1);
        issued.push(token.clone());
        token
    };
    Json(json!({"access_token": token, "expires_in": 3599, "token_type": "Bearer"})).into_response()
}

fn oauth_error(code: &str, description: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"error": code, "error_description": description})),
    )
        .into_response()
}

/// Checks a JWT-bearer assertion: RS256 signature by the test key, issuer, audience,
/// scope and expiry.
fn verify_assertion(jwt: &str, token_uri: &str) -> Result<(), String> {
    let (message, signature) = jwt.rsplit_once('.').ok_or("not a JWT")?;
    let key = jsonwebtoken::DecodingKey::from_rsa_pem(TEST_PUBLIC_KEY.as_bytes())
        .map_err(|e| format!("the test public key: {e}"))?;
    // gcp_auth pads its base64: the signature is decoded without padding.
    let valid = jsonwebtoken::crypto::verify(
        signature.trim_end_matches('='),
        message.as_bytes(),
        &key,
        jsonwebtoken::Algorithm::RS256,
    )
    .map_err(|e| format!("the signature: {e}"))?;
    if !valid {
        return Err("invalid JWT signature".into());
    }
    let claims = message.split('.').nth(1).ok_or("not a JWT")?;
    let claims = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(claims.trim_end_matches('='))
        .map_err(|e| format!("the claims: {e}"))?;
    let claims: Value = serde_json::from_slice(&claims).map_err(|e| format!("the claims: {e}"))?;
    if claims.get("iss").and_then(Value::as_str) != Some(SERVICE_ACCOUNT_EMAIL) {
        return Err("unknown issuer".into());
    }
    if claims.get("aud").and_then(Value::as_str) != Some(token_uri) {
        return Err(format!("the audience must be {token_uri}"));
    }
    let scopes = claims.get("scope").and_then(Value::as_str).unwrap_or("");
    if !scopes.split(' ').any(|x| x == SCOPE) {
        return Err(format!("the scope must include {SCOPE}"));
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    if claims.get("exp").and_then(Value::as_u64).unwrap_or(0) <= now {
        return Err("the assertion has expired".into());
    }
    Ok(())
}
