//! A fake Amazon Bedrock Agents runtime on 127.0.0.1 (feature `fake`), for this crate's
//! tests and the gateway's end-to-end tests (providers.md §2.6).
//!
//! It serves `POST /agents/{agentId}/agentAliases/{agentAliasId}/sessions/{sessionId}/text`
//! as Bedrock does: it accepts only SigV4-signed requests (`AWS4-HMAC-SHA256`, service
//! `bedrock`) whose credential scope names [`FAKE_ACCESS_KEY_ID`] (the signature itself is
//! not recomputed), and answers with real AWS event-stream frames
//! (`application/vnd.amazon.eventstream`) or restJson1 errors (`x-amzn-errortype`). Every
//! request is recorded ([`FakeServer::requests`]). A request with `endSession: true`
//! answers with an empty stream, whatever the agent.
//!
//! The scenario is chosen by the agent id:
//!
//! | agent id | answer |
//! |---|---|
//! | `plain` | chunks `echo: ` and the input text |
//! | `stream` | 20 chunks `w0 ` … `w19 ` |
//! | `traces` | with `enableTrace`: a pre-processing rationale, the model input (a prompt that must never be shown), a long orchestration rationale, an action group call and its observation; then chunks `It is ` and `sunny in Paris.` |
//! | `ask_user` | with `enableTrace`: an `ASK_USER` observation; then the chunk `Which date?` |
//! | `failure` | with `enableTrace`: a `failureTrace`; no answer |
//! | `files` | a chunk, then a `files` event with `out.csv` |
//! | `input` | returnControl `inv-input-1`: function `ask_user` (action group `clarify`, parameter `question`); resumed with its result, answers `got: <result>` |
//! | `tools` | returnControl `inv-tools-1`: function `book_table` (action group `booking`) and API `GET /weather` (action group `weather`); resumed with both results, answers `Booked: <r1>; weather: <r2>` |
//! | `confirm` | returnControl `inv-confirm-1`: function `delete_file` (action group `files`) with `USER_CONFIRMATION`; resumed, answers `Deleted.` (CONFIRM) or `Kept the file.` (DENY) |
//! | `slow` | the chunk `Thinking`, then nothing until the client hangs up |
//! | `hang` | the chunk `partial`, then nothing until the client hangs up |
//! | `silent` | no response at all |
//! | `midstream` | a chunk, then a `throttlingException` frame |
//! | `dependency` | a `dependencyFailedException` frame |
//! | `malformed` | a `chunk` frame whose payload is not JSON |
//! | `corrupt` | a frame with a wrong CRC |
//! | `truncated` | a chunk, then half a frame |
//! | `validation` | HTTP 400 `ValidationException` |
//! | `denied` | HTTP 403 `AccessDeniedException` |
//! | `busy` | HTTP 409 `ConflictException` |
//! | `throttled` | HTTP 429 `ThrottlingException`, always |
//! | `broken` | HTTP 500 `InternalServerException`, always |
//! | `flaky` | HTTP 503 on the first request, then as `plain` |
//! | anything else | HTTP 404 `ResourceNotFoundException` |
//!
//! A resumed call whose `sessionState` does not carry the expected `invocationId` and
//! results gets HTTP 400 `ValidationException`. A call in a session where a `slow` or
//! `hang` call is still streaming gets HTTP 409 `ConflictException`, as on Bedrock.

use aws_sdk_bedrockagentruntime::config::{
    BehaviorVersion, Credentials, Region, SharedCredentialsProvider,
};
use aws_smithy_types::event_stream::{Header, HeaderValue, Message};
use aws_smithy_types::retry::RetryConfig;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Notify, mpsc, watch};

/// The access key id the fake accepts (in the SigV4 credential scope).
pub const FAKE_ACCESS_KEY_ID: &str = "AKIDFAKEBEDROCK00001";
/// A secret access key to sign with (any secret is accepted with [`FAKE_ACCESS_KEY_ID`]).
pub const FAKE_SECRET_ACCESS_KEY: &str = "fakeBedrockSecretAccessKey/DoNotUse00000";
/// The region of [`sdk_config`].
pub const FAKE_REGION: &str = "us-east-1";

/// An SDK configuration for the fake: static credentials ([`FAKE_ACCESS_KEY_ID`],
/// [`FAKE_SECRET_ACCESS_KEY`]), region [`FAKE_REGION`], and a short retry backoff
/// (10–50 ms) so that retry tests stay fast. The endpoint is set through
/// `BedrockConfig::endpoint_url`.
pub fn sdk_config() -> aws_types::SdkConfig {
    aws_types::SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(FAKE_REGION))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            FAKE_ACCESS_KEY_ID,
            FAKE_SECRET_ACCESS_KEY,
            None,
            None,
            "a2agw-bedrock-fake",
        )))
        .retry_config(
            RetryConfig::standard()
                .with_initial_backoff(Duration::from_millis(10))
                .with_max_backoff(Duration::from_millis(50)),
        )
        .build()
}

/// One request the fake accepted.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordedRequest {
    /// The agent id of the path.
    pub agent_id: String,
    /// The agent alias id of the path.
    pub agent_alias_id: String,
    /// The session id of the path.
    pub session_id: String,
    /// The access key id of the SigV4 credential scope.
    pub access_key_id: String,
    /// The region of the SigV4 credential scope.
    pub region: String,
    /// The JSON body (`Null` when it was not JSON).
    pub body: Value,
}

#[derive(Debug)]
struct FakeState {
    requests: Mutex<Vec<RecordedRequest>>,
    dropped: AtomicUsize,
    dropped_notify: Notify,
    shutdown: watch::Receiver<bool>,
    /// Sessions with a call still streaming (`slow`, `hang`): Bedrock refuses another call
    /// in them with `ConflictException`.
    active: Mutex<std::collections::HashSet<String>>,
}

impl FakeState {
    fn record(&self, r: RecordedRequest) -> usize {
        match self.requests.lock() {
            Ok(mut l) => {
                let agent = r.agent_id.clone();
                l.push(r);
                l.iter().filter(|x| x.agent_id == agent).count()
            }
            Err(_) => 0,
        }
    }

    fn stream_dropped(&self) {
        self.dropped.fetch_add(1, Ordering::SeqCst);
        self.dropped_notify.notify_waiters();
    }

    fn set_active(&self, session: &str, active: bool) {
        if let Ok(mut set) = self.active.lock() {
            if active {
                set.insert(session.to_owned());
            } else {
                set.remove(session);
            }
        }
    }

    fn is_active(&self, session: &str) -> bool {
        self.active.lock().is_ok_and(|set| set.contains(session))
    }
}

/// The fake server; it shuts down when dropped.
#[derive(Debug)]
pub struct FakeServer {
    addr: SocketAddr,
    state: Arc<FakeState>,
    shutdown: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl FakeServer {
    /// Binds 127.0.0.1 on a free port and serves until dropped.
    pub async fn start() -> std::io::Result<FakeServer> {
        let (shutdown, shutdown_rx) = watch::channel(false);
        let state = Arc::new(FakeState {
            requests: Mutex::new(Vec::new()),
            dropped: AtomicUsize::new(0),
            dropped_notify: Notify::new(),
            shutdown: shutdown_rx.clone(),
            active: Mutex::new(std::collections::HashSet::new()),
        });
        let app = axum::Router::new()
            .route(
                "/agents/{agent}/agentAliases/{alias}/sessions/{session}/text",
                post(invoke_agent),
            )
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let mut stop = shutdown_rx;
        let task = tokio::spawn(async move {
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
            task,
        })
    }

    /// `http://127.0.0.1:PORT`: the `endpoint_url` to configure.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every accepted request, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state
            .requests
            .lock()
            .map(|l| l.clone())
            .unwrap_or_default()
    }

    /// The accepted requests for `agent_id`, in order.
    pub fn requests_for(&self, agent_id: &str) -> Vec<RecordedRequest> {
        self.requests()
            .into_iter()
            .filter(|r| r.agent_id == agent_id)
            .collect()
    }

    /// How many response streams the client closed before they ended.
    pub fn streams_dropped(&self) -> usize {
        self.state.dropped.load(Ordering::SeqCst)
    }

    /// Waits until at least `n` response streams were closed by the client, at most
    /// `timeout`; whether they were.
    pub async fn wait_streams_dropped(&self, n: usize, timeout: Duration) -> bool {
        let wait = async {
            loop {
                let notified = self.state.dropped_notify.notified();
                if self.streams_dropped() >= n {
                    return;
                }
                notified.await;
            }
        };
        tokio::time::timeout(timeout, wait).await.is_ok()
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        self.task.abort();
    }
}

/// An AWS restJson1 error.
fn aws_error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::HeaderName::from_static("x-amzn-errortype"), code),
        ],
        json!({ "message": message }).to_string(),
    )
        .into_response()
}

/// One event-stream frame.
fn frame(headers: &[(&str, &str)], payload: Vec<u8>) -> Bytes {
    let mut message = Message::new(payload);
    for (name, value) in headers {
        message = message.add_header(Header::new(
            name.to_string(),
            HeaderValue::String(value.to_string().into()),
        ));
    }
    let mut buf = Vec::new();
    if aws_smithy_eventstream::frame::write_message_to(&message, &mut buf).is_err() {
        buf.clear();
    }
    buf.into()
}

/// An event frame.
pub fn event_frame(event_type: &str, payload: &Value) -> Bytes {
    frame(
        &[
            (":message-type", "event"),
            (":event-type", event_type),
            (":content-type", "application/json"),
        ],
        payload.to_string().into_bytes(),
    )
}

/// A `chunk` event frame with `text`.
pub fn chunk_frame(text: &str) -> Bytes {
    event_frame(
        "chunk",
        &json!({ "bytes": aws_smithy_types::base64::encode(text) }),
    )
}

/// An exception frame.
pub fn exception_frame(exception_type: &str, message: &str) -> Bytes {
    frame(
        &[
            (":message-type", "exception"),
            (":exception-type", exception_type),
            (":content-type", "application/json"),
        ],
        json!({ "message": message }).to_string().into_bytes(),
    )
}

fn trace_frame(trace: &Value) -> Bytes {
    event_frame(
        "trace",
        &json!({
            "agentId": "traces", "agentAliasId": "alias", "agentVersion": "1",
            "sessionId": "s", "trace": trace
        }),
    )
}

fn stream_response(session_id: &str, body: Body) -> Response {
    let mut resp = (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/vnd.amazon.eventstream"),
            (
                header::HeaderName::from_static("x-amzn-bedrock-agent-content-type"),
                "application/json",
            ),
        ],
        body,
    )
        .into_response();
    if let Ok(v) = header::HeaderValue::from_str(session_id) {
        resp.headers_mut().insert(
            header::HeaderName::from_static("x-amz-bedrock-agent-session-id"),
            v,
        );
    }
    resp
}

/// A response whose frames are all known.
fn frames(session_id: &str, frames: Vec<Bytes>) -> Response {
    let stream = futures::stream::iter(frames.into_iter().map(Ok::<_, Infallible>));
    stream_response(session_id, Body::from_stream(stream))
}

/// A response that sends `first`, then nothing until the client hangs up (recorded) or
/// the fake shuts down.
fn then_hang(state: &Arc<FakeState>, session_id: &str, first: Vec<Bytes>) -> Response {
    let (tx, rx) = mpsc::channel::<Bytes>(16);
    let state = state.clone();
    let mut shutdown = state.shutdown.clone();
    let session = session_id.to_owned();
    state.set_active(&session, true);
    tokio::spawn(async move {
        for f in first {
            if tx.send(f).await.is_err() {
                state.set_active(&session, false);
                state.stream_dropped();
                return;
            }
        }
        tokio::select! {
            () = tx.closed() => {
                state.set_active(&session, false);
                state.stream_dropped();
            }
            _ = shutdown.wait_for(|s| *s) => {}
        }
    });
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|b| (Ok::<_, Infallible>(b), rx))
    });
    stream_response(session_id, Body::from_stream(stream))
}

/// Why a request is refused: status, error type, message.
type Refusal = (StatusCode, &'static str, &'static str);

/// Checks the SigV4 `Authorization` header; the credential scope (access key id, region)
/// on success.
fn check_sigv4(headers: &HeaderMap) -> Result<(String, String), Refusal> {
    let Some(auth) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return Err((
            StatusCode::FORBIDDEN,
            "MissingAuthenticationTokenException",
            "Missing Authentication Token",
        ));
    };
    let invalid = || {
        (
            StatusCode::FORBIDDEN,
            "InvalidSignatureException",
            "The request signature we calculated does not match the signature you provided.",
        )
    };
    let Some(rest) = auth.strip_prefix("AWS4-HMAC-SHA256 ") else {
        return Err(invalid());
    };
    let field = |name: &str| {
        rest.split(',')
            .map(str::trim)
            .find_map(|kv| kv.strip_prefix(name))
            .map(str::to_owned)
    };
    let (Some(credential), Some(signed), Some(signature)) = (
        field("Credential="),
        field("SignedHeaders="),
        field("Signature="),
    ) else {
        return Err(invalid());
    };
    let scope: Vec<&str> = credential.split('/').collect();
    let well_formed = scope.len() == 5
        && scope[1].len() == 8
        && scope[1].bytes().all(|b| b.is_ascii_digit())
        && scope[3] == "bedrock"
        && scope[4] == "aws4_request"
        && signed.split(';').any(|h| h == "host")
        && signed.split(';').any(|h| h == "x-amz-date")
        && headers.contains_key("x-amz-date")
        && signature.len() == 64
        && signature.bytes().all(|b| b.is_ascii_hexdigit());
    if !well_formed {
        return Err(invalid());
    }
    if scope[0] != FAKE_ACCESS_KEY_ID {
        return Err((
            StatusCode::FORBIDDEN,
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
        ));
    }
    Ok((scope[0].to_owned(), scope[2].to_owned()))
}

async fn invoke_agent(
    State(state): State<Arc<FakeState>>,
    Path((agent, alias, session)): Path<(String, String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (access_key_id, region) = match check_sigv4(&headers) {
        Ok(scope) => scope,
        Err((status, code, message)) => return aws_error(status, code, message),
    };
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let attempt = state.record(RecordedRequest {
        agent_id: agent.clone(),
        agent_alias_id: alias,
        session_id: session.clone(),
        access_key_id,
        region,
        body: body.clone(),
    });
    if body["endSession"] == json!(true) {
        return frames(&session, Vec::new());
    }
    if state.is_active(&session) {
        return aws_error(
            StatusCode::CONFLICT,
            "ConflictException",
            "A request is already in progress for this session.",
        );
    }
    let traces = body["enableTrace"] == json!(true);
    let input = body["inputText"].as_str().unwrap_or_default();
    let results = body["sessionState"]["returnControlInvocationResults"]
        .as_array()
        .cloned();
    let invocation_id = body["sessionState"]["invocationId"]
        .as_str()
        .unwrap_or_default();
    match agent.as_str() {
        "plain" => frames(&session, vec![chunk_frame("echo: "), chunk_frame(input)]),
        "flaky" if attempt == 1 => aws_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceUnavailableException",
            "Service is temporarily unavailable.",
        ),
        "flaky" => frames(&session, vec![chunk_frame("echo: "), chunk_frame(input)]),
        "stream" => frames(
            &session,
            (0..20).map(|i| chunk_frame(&format!("w{i} "))).collect(),
        ),
        "traces" => {
            let mut f = Vec::new();
            if traces {
                f.push(trace_frame(&json!({"preProcessingTrace": {"modelInvocationOutput": {
                    "traceId": "t-1",
                    "parsedResponse": {"rationale": "The user asks about the weather.", "isValid": true}
                }}})));
                f.push(trace_frame(
                    &json!({"orchestrationTrace": {"modelInvocationInput": {
                        "traceId": "t-1", "type": "ORCHESTRATION",
                        "text": "SECRET PROMPT: You are a weather agent."
                    }}}),
                ));
                f.push(trace_frame(&json!({"orchestrationTrace": {"rationale": {
                    "traceId": "t-1",
                    "text": "I need to find the weather in Paris. ".repeat(20)
                }}})));
                f.push(trace_frame(&json!({"orchestrationTrace": {"invocationInput": {
                    "traceId": "t-1", "invocationType": "ACTION_GROUP",
                    "actionGroupInvocationInput": {"actionGroupName": "weather", "function": "get_weather",
                        "parameters": [{"name": "city", "type": "string", "value": "Paris"}]}
                }}})));
                f.push(trace_frame(&json!({"orchestrationTrace": {"observation": {
                    "traceId": "t-1", "type": "ACTION_GROUP",
                    "actionGroupInvocationOutput": {"text": "sunny"}
                }}})));
                f.push(trace_frame(&json!({"orchestrationTrace": {"observation": {
                    "traceId": "t-1", "type": "FINISH",
                    "finalResponse": {"text": "It is sunny in Paris."}
                }}})));
            }
            f.push(chunk_frame("It is "));
            f.push(chunk_frame("sunny in Paris."));
            frames(&session, f)
        }
        "ask_user" => {
            let mut f = Vec::new();
            if traces {
                f.push(trace_frame(&json!({"orchestrationTrace": {"observation": {
                    "traceId": "t-1", "type": "ASK_USER",
                    "finalResponse": {"text": "Which date?"}
                }}})));
            }
            f.push(chunk_frame("Which date?"));
            frames(&session, f)
        }
        "failure" => {
            let mut f = Vec::new();
            if traces {
                f.push(trace_frame(&json!({"failureTrace": {
                    "traceId": "t-1", "failureCode": 424,
                    "failureReason": "The Lambda function of action group booking timed out"
                }})));
            }
            frames(&session, f)
        }
        "files" => frames(
            &session,
            vec![
                chunk_frame("Here is the file."),
                event_frame(
                    "files",
                    &json!({"files": [{"name": "out.csv", "type": "text/csv",
                        "bytes": aws_smithy_types::base64::encode("a,b\n1,2\n")}]}),
                ),
            ],
        ),
        "input" => match results {
            None => frames(
                &session,
                vec![event_frame(
                    "returnControl",
                    &json!({"invocationId": "inv-input-1", "invocationInputs": [
                        {"functionInvocationInput": {
                            "actionGroup": "clarify", "function": "ask_user",
                            "actionInvocationType": "RESULT",
                            "parameters": [{"name": "question", "type": "string",
                                "value": "What should I echo?"}]
                        }}
                    ]}),
                )],
            ),
            Some(results) => {
                let body = function_body(&results, "clarify", "ask_user");
                match (invocation_id, body) {
                    ("inv-input-1", Some(b)) => {
                        frames(&session, vec![chunk_frame("got: "), chunk_frame(&b)])
                    }
                    _ => mismatch("inv-input-1"),
                }
            }
        },
        "tools" => match results {
            None => frames(
                &session,
                vec![
                    chunk_frame("Let me check."),
                    event_frame(
                        "returnControl",
                        &json!({"invocationId": "inv-tools-1", "invocationInputs": [
                            {"functionInvocationInput": {
                                "actionGroup": "booking", "function": "book_table",
                                "actionInvocationType": "RESULT",
                                "parameters": [
                                    {"name": "date", "type": "string", "value": "2026-12-24"},
                                    {"name": "people", "type": "integer", "value": "4"}
                                ]
                            }},
                            {"apiInvocationInput": {
                                "actionGroup": "weather", "apiPath": "/weather", "httpMethod": "GET",
                                "parameters": [{"name": "city", "type": "string", "value": "Paris"}]
                            }}
                        ]}),
                    ),
                ],
            ),
            Some(results) => {
                let booked = function_body(&results, "booking", "book_table");
                let weather = results.iter().find_map(|r| {
                    let a = &r["apiResult"];
                    (a["actionGroup"] == "weather"
                        && a["apiPath"] == "/weather"
                        && a["httpMethod"] == "GET")
                        .then(|| a["responseBody"]["application/json"]["body"].as_str())
                        .flatten()
                        .map(str::to_owned)
                });
                match (invocation_id, booked, weather, results.len()) {
                    ("inv-tools-1", Some(b), Some(w), 2) => frames(
                        &session,
                        vec![chunk_frame(&format!("Booked: {b}; weather: {w}"))],
                    ),
                    _ => mismatch("inv-tools-1"),
                }
            }
        },
        "confirm" => match results {
            None => frames(
                &session,
                vec![event_frame(
                    "returnControl",
                    &json!({"invocationId": "inv-confirm-1", "invocationInputs": [
                        {"functionInvocationInput": {
                            "actionGroup": "files", "function": "delete_file",
                            "actionInvocationType": "USER_CONFIRMATION",
                            "parameters": [{"name": "path", "type": "string", "value": "/tmp/report.txt"}]
                        }}
                    ]}),
                )],
            ),
            Some(results) => {
                let state = results
                    .iter()
                    .find(|r| {
                        r["functionResult"]["actionGroup"] == "files"
                            && r["functionResult"]["function"] == "delete_file"
                    })
                    .and_then(|r| r["functionResult"]["confirmationState"].as_str());
                match (invocation_id, state) {
                    ("inv-confirm-1", Some("CONFIRM")) => {
                        frames(&session, vec![chunk_frame("Deleted.")])
                    }
                    ("inv-confirm-1", Some("DENY")) => {
                        frames(&session, vec![chunk_frame("Kept the file.")])
                    }
                    _ => mismatch("inv-confirm-1"),
                }
            }
        },
        "slow" => then_hang(&state, &session, vec![chunk_frame("Thinking")]),
        "hang" => then_hang(&state, &session, vec![chunk_frame("partial")]),
        "silent" => {
            let mut shutdown = state.shutdown.clone();
            let _ = shutdown.wait_for(|s| *s).await;
            aws_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "ServiceUnavailableException",
                "shutting down",
            )
        }
        "midstream" => frames(
            &session,
            vec![
                chunk_frame("Working on it"),
                exception_frame(
                    "throttlingException",
                    "Your request rate is too high. Reduce the frequency of requests.",
                ),
            ],
        ),
        "dependency" => frames(
            &session,
            vec![exception_frame(
                "dependencyFailedException",
                "The Lambda function of action group booking returned an error.",
            )],
        ),
        "malformed" => frames(
            &session,
            vec![frame(
                &[
                    (":message-type", "event"),
                    (":event-type", "chunk"),
                    (":content-type", "application/json"),
                ],
                b"{not json".to_vec(),
            )],
        ),
        "corrupt" => {
            let good = chunk_frame("hello");
            let mut bad = good.to_vec();
            if let Some(last) = bad.last_mut() {
                *last ^= 0xff;
            }
            frames(&session, vec![bad.into()])
        }
        "truncated" => {
            let next = chunk_frame("the rest of the answer");
            frames(
                &session,
                vec![chunk_frame("partial "), next.slice(..next.len() / 2)],
            )
        }
        "validation" => aws_error(
            StatusCode::BAD_REQUEST,
            "ValidationException",
            "1 validation error detected: Value at 'agentAliasId' failed to satisfy constraint",
        ),
        "denied" => aws_error(
            StatusCode::FORBIDDEN,
            "AccessDeniedException",
            "User: arn:aws:iam::123456789012:user/gateway is not authorized to perform: \
             bedrock:InvokeAgent",
        ),
        "busy" => aws_error(
            StatusCode::CONFLICT,
            "ConflictException",
            "A request is already in progress for this session.",
        ),
        "throttled" => aws_error(
            StatusCode::TOO_MANY_REQUESTS,
            "ThrottlingException",
            "Rate exceeded",
        ),
        "broken" => aws_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerException",
            "Internal server error",
        ),
        _ => aws_error(
            StatusCode::NOT_FOUND,
            "ResourceNotFoundException",
            "Failed to retrieve resource because it doesn't exist. Retry the request with a \
             different resource identifier.",
        ),
    }
}

/// The `TEXT` body of the function result for `action_group` / `function`.
fn function_body(results: &[Value], action_group: &str, function: &str) -> Option<String> {
    results.iter().find_map(|r| {
        let f = &r["functionResult"];
        (f["actionGroup"] == action_group && f["function"] == function)
            .then(|| f["responseBody"]["TEXT"]["body"].as_str())
            .flatten()
            .map(str::to_owned)
    })
}

fn mismatch(invocation_id: &str) -> Response {
    aws_error(
        StatusCode::BAD_REQUEST,
        "ValidationException",
        &format!(
            "The returnControlInvocationResults do not match the pending invocation \
             {invocation_id}"
        ),
    )
}
