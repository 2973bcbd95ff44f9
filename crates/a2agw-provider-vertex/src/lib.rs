//! Provider adapter for Vertex AI Agent Engine (reasoning engines deployed with the ADK
//! template): A2A tasks run as Agent Engine sessions and `:streamQuery` (or `:query`) calls
//! over HTTPS (REST on reqwest, a Google OAuth bearer token with scope `cloud-platform`
//! from a `gcp_auth::TokenProvider` on every call).
//!
//! This crate sits at level L2: it depends only on `a2agw-types`, `a2agw-provider` and its
//! platform crates (`gcp_auth` for tokens, `reqwest`). It must never depend on the engine
//! (`a2agw-task`), the server, the binary or another provider crate.
//!
//! # Mapping
//!
//! | A2A | Vertex AI Agent Engine (ADK) |
//! |---|---|
//! | the task and its context | an ADK session, one per context for the same caller. A new task continues the session of [`TaskContext::context_data`] (what this provider saved with the caller's latest completed task of the context) with its user id, and no session is created; it is saved with the task (`SaveData {session_id, user_id}`) once the query is accepted. If Agent Engine answers that query HTTP 404 (the session expired or was deleted), or the data is unreadable or names no session and user, or there is none (a first task), a new session: `:query` `{"classMethod": "async_create_session", "input": {"user_id"}}`, saved with `SaveData {session_id, user_id}`. The task's later messages use its saved session (`ctx.provider_data`). The engine hands context data only to the caller who saved it, so two callers naming the same context id never share a session |
//! | the ADK `user_id` | [`VertexConfig::user_id`]: one fixed value per configured agent (default `a2a-gateway`). Every A2A caller of this agent is the same ADK user, so ADK `user:` state and memory are shared between them; give agents that must not share them different user ids |
//! | a message | `POST …/reasoningEngines/{id}:streamQuery?alt=sse` `{"classMethod": "async_stream_query", "input": {"message": <genai Content>, "user_id", "session_id", "run_config": {"streaming_mode": "sse"}}}` (`run_config` only for the ADK methods `async_stream_query` / `stream_query`). Text parts become `text` parts, data parts JSON text, URL parts `file_data`; inline bytes are refused (send a URL) |
//! | HTTP 200 on the query | WORKING |
//! | stream lines | NDJSON or SSE `data:` lines, both accepted (one ADK event per line; `:` comments and `event:`/`id:` lines are skipped) |
//! | event text (`content.parts[].text`, thoughts skipped) | artifact chunks named `answer`, the artifact id being the ADK event id of the first chunk: `partial: true` events are token deltas (`append` from the second chunk); the later non-partial event repeats the whole text and only closes the artifact (`lastChunk`), adding what the deltas missed, or replacing the artifact if it differs. A non-partial event without deltas is one whole artifact |
//! | `function_call` / `function_response` of ordinary tools | not surfaced (the task stays WORKING) |
//! | a `function_call` whose id is in `long_running_tool_ids` | at the end of the stream: `SaveData {session_id, user_id, pending}`, INPUT_REQUIRED with a text part (what to send) and a data part `{"pending_calls": [{"id", "name", "kind", "args"}]}` |
//! | `actions.requested_tool_confirmations` (the `adk_request_confirmation` call ADK adds) | the same, `kind: "confirmation"` with the tool's `hint` |
//! | `actions.requested_auth_configs` (the `adk_request_credential` call ADK adds) | AUTH_REQUIRED, `kind: "auth"`, with the auth config (secrets such as client secrets are shown as `[redacted]`) and its `auth_uri`; the full config is kept in the saved data |
//! | the next message on an INPUT_REQUIRED / AUTH_REQUIRED task | a new query on the same session whose `message` is a Content of `function_response {id, name, response}` parts, one per pending call (see *Replies*) |
//! | an event with `error_code` / `error_message` | FAILED, message `The Vertex AI agent reported an error: <code>: <message>`, metadata `vertexErrorCode` |
//! | the stream ends | COMPLETED, unless calls are pending |
//! | A2A cancel | Agent Engine has no cancel API for a query: dropping the stream (which the engine does) closes the connection and stops it; [`Provider::cancel`] returns `Ok` |
//! | recover (the instance driving the task died) | a `:streamQuery` response cannot be reattached: `Ok(None)`, and the engine fails the task with its reason |
//!
//! With [`VertexConfig::streaming`] `false` the message goes to `:query` with
//! [`VertexConfig::query_method`] (default `query`) and the same input (without
//! `run_config`); its `output` may be a list of ADK events (handled as above), one event,
//! a string (the answer), or any other JSON value (the answer, as a data part). The ADK
//! template itself registers no non-streaming query method: this mode is for custom
//! templates whose `query` returns the events (or a result).
//!
//! # Replies
//!
//! The reply to INPUT_REQUIRED / AUTH_REQUIRED is read as follows:
//! - a data part (or a text that is a JSON object) keyed by call id: `{"<call id>":
//!   <response>}`; or `{"responses": [{"id", "response"}]}` (or that array alone); with a
//!   single pending call, any other object is its response;
//! - plain text: `yes` / `no` (also `approve`, `confirm`, `deny`, `reject`, …) answer
//!   every pending confirmation; with a single pending tool call the text is its result;
//!   with a single pending auth request the text is the URL the browser was redirected to
//!   after signing in;
//! - a tool's response that is not an object is sent as `{"result": <value>}`; a
//!   confirmation as `{"confirmed": <bool>}` (from `true`/`false`, `yes`/`no`, or an object
//!   with `confirmed`); an auth response is merged into the saved auth config (a text sets
//!   its `exchangedAuthCredential.oauth2.authResponseUri`).
//!
//! A reply that does not answer every pending call, names an unknown call, or is not a
//! valid confirmation is asked again (WORKING, then the interrupted state again), and
//! nothing is sent upstream.
//!
//! # Errors
//!
//! - HTTP 400/404 before the query ran (session creation, a new query) → `Rejected` with
//!   Google's message (`{"error": {"code", "message", "status"}}`), except a 404 on the
//!   session carried over from the context (a new session instead, see *Mapping*); on a
//!   resumed query → `Other` (the task fails: the session may have expired);
//! - 401/403 → `Unavailable` with a hint about the credential and the role
//!   `roles/aiplatform.user`;
//! - 429 and 503 → retried (`Retry-After`, else a growing backoff; at most `max_retries`),
//!   then `Unavailable`; other 5xx and network errors → `Unavailable`;
//! - an ADK error event → FAILED with its code and message; a Google error object in the
//!   stream → `Unavailable` (5xx/429) or `Other`;
//! - a line that is not JSON, or a stream that breaks off or ends inside a line →
//!   `Malformed`;
//! - no bytes for `idle_timeout` (the stream, or the whole `:query` in non-streaming mode)
//!   → `Timeout`;
//! - no token from the credential → `Unavailable`, naming the credential kind but never
//!   key material or tokens.
//!
//! Every provider id (session id, user id, pending call ids, the pending auth config) is
//! in the saved provider data, so any gateway instance can resume a task.

mod auth;
mod http;
mod resume;
mod stream;

#[cfg(feature = "fake")]
pub mod fake;

pub use auth::VertexCredentials;

use a2agw_provider::{
    EventStream, Provider, ProviderError, ProviderErrorKind, ProviderEvent, Result, TaskContext,
};
use a2agw_types::{Message, PartContent, TaskState};
use gcp_auth::TokenProvider;
use http::{Client, Phase, Tokens};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;
use stream::{Out, Stop, Turn, drive_stream, status};

/// The OAuth scope of every token.
pub const SCOPE: &str = "https://www.googleapis.com/auth/cloud-platform";
/// The default API version.
pub const DEFAULT_API_VERSION: &str = "v1";
/// The ADK template's streaming class method.
pub const DEFAULT_STREAM_METHOD: &str = "async_stream_query";
/// The class method of the non-streaming mode (the default of `:query`).
pub const DEFAULT_QUERY_METHOD: &str = "query";
/// The ADK user id of the gateway's sessions unless configured.
pub const DEFAULT_USER_ID: &str = "a2a-gateway";
/// The ADK template's class method that creates a session.
pub const CREATE_SESSION_METHOD: &str = "async_create_session";

/// How to reach one Agent Engine (reasoning engine).
#[derive(Clone, Debug, PartialEq)]
pub struct VertexConfig {
    /// The Google Cloud project id (or number).
    pub project: String,
    /// The region of the engine, e.g. `us-central1`.
    pub location: String,
    /// The reasoning engine id (the last segment of its resource name).
    pub engine_id: String,
    /// The API endpoint; `None` means `https://{location}-aiplatform.googleapis.com`.
    pub base_url: Option<String>,
    /// `v1` (or `v1beta1`).
    pub api_version: String,
    /// `true`: `:streamQuery?alt=sse` with [`Self::stream_method`]; `false`: `:query` with
    /// [`Self::query_method`].
    pub streaming: bool,
    /// The streaming class method (ADK: `async_stream_query`).
    pub stream_method: String,
    /// The non-streaming class method (`query`; the ADK template has none, see the crate
    /// docs).
    pub query_method: String,
    /// The ADK user id of the sessions (see the crate docs on how it is shared).
    pub user_id: String,
    /// The longest wait for the next bytes of a stream (and for its headers); in
    /// non-streaming mode, for the whole `:query`.
    pub idle_timeout: Duration,
    /// The total timeout of the other calls (session creation).
    pub request_timeout: Duration,
    /// How many times a 429 or 503 answer is retried.
    pub max_retries: u32,
}

impl VertexConfig {
    /// A configuration for the engine with the defaults: API `v1`, streaming with
    /// `async_stream_query`, user id `a2a-gateway`, idle timeout 300 s, request timeout
    /// 30 s, 2 retries.
    pub fn new(
        project: impl Into<String>,
        location: impl Into<String>,
        engine_id: impl Into<String>,
    ) -> Self {
        VertexConfig {
            project: project.into(),
            location: location.into(),
            engine_id: engine_id.into(),
            base_url: None,
            api_version: DEFAULT_API_VERSION.into(),
            streaming: true,
            stream_method: DEFAULT_STREAM_METHOD.into(),
            query_method: DEFAULT_QUERY_METHOD.into(),
            user_id: DEFAULT_USER_ID.into(),
            idle_timeout: Duration::from_secs(300),
            request_timeout: Duration::from_secs(30),
            max_retries: 2,
        }
    }
}

/// What the driver needs besides the HTTP client.
#[derive(Clone, Debug)]
struct Settings {
    streaming: bool,
    stream_method: String,
    query_method: String,
    user_id: String,
}

/// The provider: one Agent Engine.
#[derive(Clone)]
pub struct VertexProvider {
    client: Arc<Client>,
    settings: Arc<Settings>,
}

impl fmt::Debug for VertexProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VertexProvider")
            .field("engine", &self.client.engine)
            .field("base_url", &self.client.base_url)
            .field("streaming", &self.settings.streaming)
            .field("stream_method", &self.settings.stream_method)
            .field("query_method", &self.settings.query_method)
            .field("user_id", &self.settings.user_id)
            .finish_non_exhaustive()
    }
}

fn config_error(message: impl Into<String>) -> ProviderError {
    ProviderError::new(ProviderErrorKind::Other, message)
}

/// A project, location or engine id that fits in one URL path segment.
fn check_segment(what: &str, value: &str) -> Result<()> {
    if value.trim().is_empty() {
        return Err(config_error(format!("the Vertex AI agent needs a {what}")));
    }
    if value.contains(['/', ':', '?', '#', ' ']) {
        return Err(config_error(format!(
            "the Vertex AI {what} `{value}` must be a plain id (no `/`, `:`, `?`, `#` or space)"
        )));
    }
    Ok(())
}

impl VertexProvider {
    /// A provider for `config`, authenticating with `tokens` (see
    /// [`VertexCredentials::token_provider`]).
    pub fn new(config: VertexConfig, tokens: Arc<dyn TokenProvider>) -> Result<Self> {
        check_segment("project", &config.project)?;
        check_segment("location", &config.location)?;
        check_segment("engine id", &config.engine_id)?;
        check_segment("API version", &config.api_version)?;
        if config.user_id.trim().is_empty() {
            return Err(config_error("the Vertex AI agent needs a user id"));
        }
        let method = if config.streaming {
            &config.stream_method
        } else {
            &config.query_method
        };
        if method.trim().is_empty() {
            return Err(config_error(
                "the Vertex AI agent needs the class method to query",
            ));
        }
        let base_url = config
            .base_url
            .clone()
            .unwrap_or_else(|| format!("https://{}-aiplatform.googleapis.com", config.location));
        let base_url = base_url.trim_end_matches('/').to_owned();
        if reqwest::Url::parse(&base_url).is_err() {
            return Err(config_error(format!(
                "the Vertex AI base URL `{base_url}` is not a valid URL"
            )));
        }
        let engine = format!(
            "projects/{}/locations/{}/reasoningEngines/{}",
            config.project, config.location, config.engine_id
        );
        let http = reqwest::Client::builder()
            .connect_timeout(config.request_timeout)
            .build()
            .map_err(|e| {
                ProviderError::unavailable(format!("could not build the HTTP client: {e}"))
            })?;
        Ok(VertexProvider {
            client: Arc::new(Client {
                http,
                base_url,
                api_version: config.api_version,
                project: config.project,
                engine,
                tokens: Tokens(tokens),
                request_timeout: config.request_timeout,
                idle_timeout: config.idle_timeout,
                max_retries: config.max_retries,
            }),
            settings: Arc::new(Settings {
                streaming: config.streaming,
                stream_method: config.stream_method,
                query_method: config.query_method,
                user_id: config.user_id,
            }),
        })
    }
}

/// What a pending function call waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum CallKind {
    /// A long-running tool: its result.
    Tool,
    /// `adk_request_confirmation`: yes or no.
    Confirmation,
    /// `adk_request_credential`: the user's authorization.
    Auth,
}

/// A function call the agent waits for, as saved with the task.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct PendingCall {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) kind: CallKind,
    /// For `Auth`: the requested auth config, unredacted, to send back completed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) auth_config: Option<Value>,
}

/// What the provider saves with a task (`ProviderEvent::SaveData`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct SessionData {
    pub(crate) session_id: String,
    pub(crate) user_id: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) pending: Vec<PendingCall>,
}

impl SessionData {
    pub(crate) fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// The same session without pending calls.
    pub(crate) fn settled(&self) -> Self {
        SessionData {
            session_id: self.session_id.clone(),
            user_id: self.user_id.clone(),
            pending: Vec::new(),
        }
    }

    /// The session a new task continues: the one in what this provider saved with the
    /// caller's latest completed task of the context ([`TaskContext::context_data`]), with
    /// its user id, without pending calls (they belong to their own task). Data that is
    /// not readable, or names no session or user, is ignored: the task gets a new session.
    fn from_context(ctx: &TaskContext) -> Option<Self> {
        let data = ctx.context_data.as_ref()?;
        match serde_json::from_value::<SessionData>(data.clone()) {
            Ok(d) if !d.session_id.is_empty() && !d.user_id.is_empty() => Some(d.settled()),
            Ok(_) => {
                tracing::debug!(
                    task_id = %ctx.task_id,
                    "vertex: the context data names no session; a new session"
                );
                None
            }
            Err(e) => {
                tracing::debug!(
                    task_id = %ctx.task_id,
                    error = %e,
                    "vertex: unreadable context data; a new session"
                );
                None
            }
        }
    }

    fn from_ctx(ctx: &TaskContext) -> Result<Option<Self>> {
        match &ctx.provider_data {
            None | Some(Value::Null) => Ok(None),
            Some(v) => serde_json::from_value::<SessionData>(v.clone())
                .map(|d| (!d.session_id.is_empty()).then_some(d))
                .map_err(|e| {
                    config_error(format!(
                        "the saved Vertex AI session data of this task is unreadable: {e}"
                    ))
                }),
        }
    }
}

/// The session a new turn runs on.
enum Start {
    /// The task's own saved session.
    Saved(SessionData),
    /// The session carried over from an earlier task of the context.
    Context(SessionData),
    /// None yet: create one.
    New,
}

impl VertexProvider {
    async fn new_turn(
        client: Arc<Client>,
        settings: Arc<Settings>,
        start: Start,
        message: Message,
        mut out: Out,
    ) -> Result<(), Stop> {
        let content = genai_content(&message)?;
        let session = match start {
            Start::Saved(d) => d,
            Start::Context(d) => {
                let ran = Self::query(
                    &client,
                    &settings,
                    d,
                    content.clone(),
                    Phase::Continued,
                    &mut out,
                )
                .await?;
                if ran {
                    return Ok(());
                }
                // The context's session is gone upstream: go on in a new one.
                Self::create_session(&client, &settings, &mut out).await?
            }
            Start::New => Self::create_session(&client, &settings, &mut out).await?,
        };
        Self::query(
            &client,
            &settings,
            session,
            content,
            Phase::Before,
            &mut out,
        )
        .await
        .map(drop)
    }

    /// Creates a session for the configured user and saves it with the task.
    async fn create_session(
        client: &Client,
        settings: &Settings,
        out: &mut Out,
    ) -> Result<SessionData, Stop> {
        let session_id = client.create_session(&settings.user_id).await?;
        let data = SessionData {
            session_id,
            user_id: settings.user_id.clone(),
            pending: Vec::new(),
        };
        out.emit(ProviderEvent::SaveData(data.to_value())).await?;
        Ok(data)
    }

    async fn resume(
        client: Arc<Client>,
        settings: Arc<Settings>,
        saved: SessionData,
        message: Message,
        mut out: Out,
    ) -> Result<(), Stop> {
        match resume::reply_content(&message, &saved.pending) {
            Ok(content) => Self::query(&client, &settings, saved, content, Phase::After, &mut out)
                .await
                .map(drop),
            Err(why) => {
                // Ask again: the agent still waits for the same calls.
                out.emit(status(TaskState::Working, None)).await?;
                let (state, question) = resume::ask_again(&why, &saved.pending);
                out.emit(status(state, Some(question))).await?;
                Ok(())
            }
        }
    }

    /// The query was accepted: a session carried over from the context is saved with the
    /// task (`save`), then WORKING.
    async fn accepted(save: Option<Value>, out: &mut Out) -> Result<(), Stop> {
        if let Some(data) = save {
            out.emit(ProviderEvent::SaveData(data)).await?;
        }
        out.emit(status(TaskState::Working, None)).await?;
        Ok(())
    }

    /// Runs one query on `session` and reports its events. On a session carried over from
    /// the context ([`Phase::Continued`]) the session is saved with the task once the query
    /// is accepted; `Ok(false)` when that session is gone upstream (nothing was reported).
    async fn query(
        client: &Client,
        settings: &Settings,
        session: SessionData,
        content: Value,
        phase: Phase,
        out: &mut Out,
    ) -> Result<bool, Stop> {
        let mut input = json!({
            "message": content,
            "user_id": session.user_id,
            "session_id": session.session_id,
        });
        let save = (phase == Phase::Continued).then(|| session.settled().to_value());
        let mut turn = Turn::new(session);
        if settings.streaming {
            if matches!(
                settings.stream_method.as_str(),
                "async_stream_query" | "stream_query"
            ) {
                input["run_config"] = json!({"streaming_mode": "sse"});
            }
            let body = json!({"classMethod": settings.stream_method, "input": input});
            let Some(resp) = client.stream_query(&body, phase).await? else {
                return Ok(false);
            };
            Self::accepted(save, out).await?;
            if turn.pump(resp, client.idle_timeout, out).await? {
                return Ok(true);
            }
        } else {
            let body = json!({"classMethod": settings.query_method, "input": input});
            let Some(answer) = client.query(&body, phase).await? else {
                return Ok(false);
            };
            Self::accepted(save, out).await?;
            let output = answer.get("output").cloned().unwrap_or(Value::Null);
            if turn.on_output(output, out).await? {
                return Ok(true);
            }
        }
        turn.finish(out).await.map(|()| true)
    }
}

#[async_trait::async_trait]
impl Provider for VertexProvider {
    fn kind(&self) -> &'static str {
        "vertex"
    }

    async fn run(&self, ctx: TaskContext, message: Message) -> Result<EventStream> {
        let saved = SessionData::from_ctx(&ctx)?;
        let client = self.client.clone();
        let settings = self.settings.clone();
        if ctx.state.is_interrupted()
            && let Some(saved) = saved.clone().filter(|d| !d.pending.is_empty())
        {
            return Ok(drive_stream(move |out| {
                Self::resume(client, settings, saved, message, out)
            }));
        }
        let start = match saved {
            Some(d) => Start::Saved(d),
            None => SessionData::from_context(&ctx).map_or(Start::New, Start::Context),
        };
        Ok(drive_stream(move |out| {
            Self::new_turn(client, settings, start, message, out)
        }))
    }

    /// Agent Engine has no cancel API for a running query: the engine drops the run's
    /// stream, which closes the connection and stops the query. Nothing to do here.
    async fn cancel(&self, ctx: TaskContext) -> Result<()> {
        tracing::debug!(task_id = %ctx.task_id, "vertex: cancel drops the stream; no upstream call");
        Ok(())
    }

    /// A `:streamQuery` response cannot be reattached from another instance: `None`, and
    /// the engine fails the task with its reason.
    async fn recover(&self, ctx: TaskContext) -> Result<Option<EventStream>> {
        tracing::debug!(task_id = %ctx.task_id, "vertex: a query stream cannot be recovered");
        Ok(None)
    }
}

/// The genai `Content` for an A2A message: text parts, data parts as JSON text, URL
/// parts as `file_data`.
fn genai_content(message: &Message) -> Result<Value> {
    let mut parts = Vec::new();
    for p in &message.parts {
        match &p.content {
            PartContent::Text(t) if !t.is_empty() => parts.push(json!({"text": t})),
            PartContent::Text(_) => {}
            PartContent::Data(v) => parts.push(json!({"text": v.to_string()})),
            PartContent::Url(u) => {
                let mime = if p.media_type.is_empty() {
                    "application/octet-stream"
                } else {
                    p.media_type.as_str()
                };
                parts.push(json!({"file_data": {"file_uri": u, "mime_type": mime}}));
            }
            PartContent::Raw(_) => {
                return Err(ProviderError::rejected(
                    "the Vertex AI agent does not take inline file bytes: send the file as a \
                     URL part (for example a gs:// or https:// URL the agent can read)",
                ));
            }
        }
    }
    if parts.is_empty() {
        return Err(ProviderError::rejected(
            "the Vertex AI agent takes text, data or URL parts; this message has none",
        ));
    }
    Ok(json!({"role": "user", "parts": parts}))
}
