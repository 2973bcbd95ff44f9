//! Provider adapter for Amazon Bedrock Agents: A2A tasks run as `InvokeAgent` calls on the
//! official AWS SDK (`aws-sdk-bedrockagentruntime`, SigV4 with the standard AWS credential
//! chain of `aws-config`), whose event-stream responses are turned into A2A task events.
//!
//! This crate sits at level L2: it depends only on `a2agw-types`, `a2agw-provider` and its
//! platform crates (the AWS SDK, `aws-config`, and `axum` for the `fake` feature). It must
//! never depend on the engine (`a2agw-task`), the server, the binary or another provider
//! crate.
//!
//! # Mapping
//!
//! | A2A | Amazon Bedrock Agents |
//! |---|---|
//! | the task and its context | a Bedrock `sessionId`, one per context for the same caller: a new task continues the session in [`TaskContext::context_data`] (what this provider saved with the caller's latest completed task of the context; only its `sessionId` carries over, and data without a valid one is ignored); without it (a first task, or unreadable data), a session of its own: the task id when Bedrock accepts it (`[0-9a-zA-Z._:-]+`, at most 100 characters; the gateway's UUIDs always are), else `a2a-` + the SHA-256 of the task id in lowercase hex (68 characters), so every instance derives the same session. Never keyed on the context id itself: clients choose context ids, and the engine hands context data only to the caller who saved it, so two callers naming the same context never share a conversation. A task whose context session is busy with another running task of the context (`ConflictException`) opens its own session instead (a new conversation) |
//! | a message | `POST /agents/{agentId}/agentAliases/{agentAliasId}/sessions/{sessionId}/text` (InvokeAgent) with `inputText` = the text parts (data parts as JSON text, URL parts as `(file: …)`); `enableTrace` = `traces_as_status` |
//! | the response stream opens | `SaveData {"sessionId"}`, then WORKING |
//! | `chunk` events | chunks of one artifact named `answer` (a new id per call): `append` from the second chunk, `lastChunk` on the last (each chunk is held back until the next arrives) |
//! | `files` event | an artifact named `files` with one raw part per file (`filename`, `mediaType`) |
//! | `trace` events | with `traces_as_status`: WORKING status updates with a one-line summary (rationale, action group or knowledge base called, observation, guardrail, failure; at most 300 characters; never the model's prompts or raw output); ignored otherwise |
//! | the stream ends | COMPLETED; INPUT_REQUIRED with the answer as the question when a trace said `ASK_USER` (needs `traces_as_status`); FAILED when a `failureTrace` came and no answer |
//! | `returnControl` | `SaveData {"sessionId", "invocationId", "invocationInputs"}`, then INPUT_REQUIRED with a text part (what is asked, what to send) and a data part `{"invocationId", "invocationInputs": [{"type": "function" \| "api", "actionGroup", "function" \| "apiPath" + "httpMethod", "parameters": [{"name", "type", "value"}], "requestBody", "actionInvocationType", "agentId", "collaboratorName"}]}` |
//! | the next message on that INPUT_REQUIRED task | InvokeAgent on the same `sessionId` with `sessionState.invocationId` and `returnControlInvocationResults` read from the reply: a data part `{"results": [{"function" \| "apiPath", "body", "confirmationState", "responseState", "httpStatusCode"}]}`, a data part keyed by function name / API path, or plain text when one input is pending (see *Replying to returnControl*). A reply that does not give exactly one usable result per input is asked again (WORKING, then INPUT_REQUIRED with why, no call) |
//! | an exception frame in the stream | FAILED with `Amazon Bedrock stopped the agent with <type>: <message>` and metadata `bedrockErrorCode` |
//! | A2A cancel | dropping the run's stream closes the connection (InvokeAgent has no cancel operation); then an InvokeAgent call with `endSession: true` on the task's saved session, which ends its conversation (with agent memory on, Bedrock summarises the session into memory); for a task that continued its context's session, that is the context's conversation, and a later task of the context continues the same `sessionId` without it. A task that saved no session yet has nothing to end |
//! | recovery after an instance died | none: a response stream cannot be reattached and calling again would repeat the agent's actions, so [`Provider::recover`] returns `None` and the engine fails the task with a reason. An INPUT_REQUIRED task needs no recovery: its invocation is saved and any instance resumes it |
//!
//! Every id needed to resume or cancel a task (session, pending invocation and its inputs)
//! is in its saved data, never only in memory.
//!
//! # Replying to returnControl
//!
//! The next A2A message on the task carries one result per pending invocation input:
//! - a data part `{"results": [{…}, …]}` (or the bare list), each entry naming its input
//!   with `function` (function inputs) or `apiPath` (API inputs), plus `actionGroup` /
//!   `httpMethod` when the name alone is ambiguous; the name may be left out when one input
//!   is pending. Fields: `body` (or `result`): a string, or any JSON (sent as JSON text);
//!   `confirmationState`: `CONFIRM` / `DENY`, for inputs whose `actionInvocationType` asks
//!   for a confirmation; `responseState`: `FAILURE` / `REPROMPT`; `httpStatusCode` (API
//!   inputs). Function results go to Bedrock as `responseBody.TEXT`, API results as
//!   `responseBody["application/json"]`;
//! - or a data part keyed by function name or API path, `{"book_table": "booked",
//!   "/weather": {"temp": 21}}`: a value that is an object with any of the fields above is
//!   an entry, any other value is the body;
//! - or, when one input is pending, plain text: the body, verbatim; for a confirmation
//!   `confirm` / `yes` / `ok` or `deny` / `no` (any case); for a confirmation with a result,
//!   the text is the result and counts as confirmed unless it is one of the denial words.
//!
//! Text that is itself a JSON object or list is read like a data part.
//!
//! # Configuration and credentials
//!
//! [`BedrockProvider::from_env`] loads the standard AWS chain with `aws-config`
//! (environment `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` / `AWS_SESSION_TOKEN`, the
//! shared config and credentials files with `profile` or `AWS_PROFILE`, SSO and
//! `credential_process` profiles, web identity (EKS), ECS container and EC2 instance
//! credentials) and the region from `region`, else `AWS_REGION` or the profile. The SDK
//! signs with SigV4 (service `bedrock`); it also takes a Bedrock API key from
//! `AWS_BEARER_TOKEN_BEDROCK`. `endpoint_url` replaces
//! `https://bedrock-agent-runtime.<region>.amazonaws.com`. `max_retries` replaces the
//! retry count of the environment (`AWS_MAX_ATTEMPTS`); the retry mode and backoff stay.
//!
//! # Errors
//!
//! Before the stream (after the SDK's retries: throttling, 5xx and timeouts are retried
//! `max_retries` times with the SDK's backoff):
//! - `ValidationException`, `ResourceNotFoundException` (with the agent, alias and region
//!   to check), `ConflictException` and other 4xx → `Rejected` for a new message, `Other`
//!   (the task fails) when sending invocation results;
//! - `AccessDeniedException` → `Unavailable`, naming the IAM permission
//!   `bedrock:InvokeAgent` on the agent alias; rejected or missing credentials →
//!   `Unavailable` with what to check;
//! - `ThrottlingException`, `ServiceQuotaExceededException`, `DependencyFailedException`,
//!   `ModelNotReadyException`, 5xx and network failures → `Unavailable`;
//! - no response within `request_timeout` → `Timeout`.
//!
//! In the stream: an exception frame fails the task with Bedrock's message (above); a frame
//! that cannot be decoded (bad CRC, invalid payload) or a stream cut off mid-frame →
//! `Malformed`; no event for `idle_timeout` → `Timeout`. Messages never contain
//! credentials; the SDK's request and event types are never logged.
//!
//! # Features
//!
//! | feature | what |
//! |---|---|
//! | `fake` | `pub mod fake`: a local fake of the Bedrock Agents runtime on 127.0.0.1 (SigV4-signed requests, real event-stream frames, scenarios by agent id) for tests |

mod client;
mod reply;
mod session;
mod stream;
mod trace;

#[cfg(feature = "fake")]
pub mod fake;

use a2agw_provider::{EventStream, Provider, ProviderError, Result, TaskContext};
use a2agw_types::{Message, PartContent, TaskState};
use aws_sdk_bedrockagentruntime::types::SessionState;
use client::{Phase, Upstream};
use session::SessionData;
use std::sync::Arc;
use std::time::Duration;
use stream::{Out, Pump, Stop, input_required, status};

/// How to reach one Bedrock agent alias.
#[derive(Clone, Debug, PartialEq)]
pub struct BedrockConfig {
    /// The agent id (`AGENT12345`).
    pub agent_id: String,
    /// The agent alias id (`ALIAS12345`, or `TSTALIASID` for the working draft).
    pub agent_alias_id: String,
    /// The AWS region; `None`: from the environment / profile (`AWS_REGION`).
    pub region: Option<String>,
    /// Another endpoint than `https://bedrock-agent-runtime.<region>.amazonaws.com`
    /// (VPC endpoints, tests).
    pub endpoint_url: Option<String>,
    /// The AWS profile to read credentials and region from (`None`: `AWS_PROFILE` or
    /// `default`); used by [`BedrockProvider::from_env`].
    pub profile: Option<String>,
    /// Sends `enableTrace` and reports trace events as WORKING status messages.
    pub traces_as_status: bool,
    /// The longest wait for the next event of a response stream.
    pub idle_timeout: Duration,
    /// The longest wait to connect and for the response to start (per attempt).
    pub request_timeout: Duration,
    /// How many times the SDK retries throttling, 5xx and timeouts before the stream starts.
    pub max_retries: u32,
}

impl BedrockConfig {
    /// A configuration with the region, endpoint and credentials from the environment, no
    /// traces, a 300 s idle timeout, a 60 s request timeout and 2 retries.
    pub fn new(agent_id: impl Into<String>, agent_alias_id: impl Into<String>) -> Self {
        BedrockConfig {
            agent_id: agent_id.into(),
            agent_alias_id: agent_alias_id.into(),
            region: None,
            endpoint_url: None,
            profile: None,
            traces_as_status: false,
            idle_timeout: Duration::from_secs(300),
            request_timeout: Duration::from_secs(60),
            max_retries: 2,
        }
    }
}

/// The provider: one Bedrock agent alias. Its `Debug` shows the agent, region and
/// endpoint, never credentials.
#[derive(Clone)]
pub struct BedrockProvider {
    up: Arc<Upstream>,
}

impl std::fmt::Debug for BedrockProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.up.fmt(f)
    }
}

impl BedrockProvider {
    /// Loads the standard AWS credential chain (env, profile, web identity, IMDS…) with the
    /// config's region/profile/endpoint.
    pub async fn from_env(config: BedrockConfig) -> Result<Self> {
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
        if let Some(region) = config.region.clone().filter(|r| !r.trim().is_empty()) {
            loader = loader.region(aws_config::Region::new(region));
        }
        if let Some(profile) = config.profile.as_deref().filter(|p| !p.trim().is_empty()) {
            loader = loader.profile_name(profile);
        }
        // `endpoint_url` is applied to the Bedrock client only (in `with_sdk_config`), not
        // to the loader, whose credential providers (STS, SSO) need their own endpoints.
        let sdk = loader.load().await;
        Self::with_sdk_config(config, &sdk)
    }

    /// With an explicit SDK config (tests: static credentials).
    pub fn with_sdk_config(config: BedrockConfig, sdk: &aws_types::SdkConfig) -> Result<Self> {
        Ok(BedrockProvider {
            up: Arc::new(Upstream::new(config, sdk)?),
        })
    }
}

use a2agw_provider::drive::drive_stream;

/// The `inputText` of an A2A message: its text parts, data parts as JSON text and file URLs,
/// separated by blank lines.
fn input_text(message: &Message) -> Result<String> {
    let mut pieces = Vec::new();
    for p in &message.parts {
        match &p.content {
            PartContent::Text(t) if !t.trim().is_empty() => pieces.push(t.clone()),
            PartContent::Data(v) => pieces.push(v.to_string()),
            PartContent::Url(u) => pieces.push(format!("(file: {u})")),
            _ => {}
        }
    }
    if pieces.is_empty() {
        return Err(ProviderError::rejected(
            "the Bedrock agent takes text or data parts; this message has neither",
        ));
    }
    Ok(pieces.join("\n\n"))
}

/// A new InvokeAgent call on `session_id`. With `own` (the session was the context's, taken
/// over from an earlier task), a session busy with another task of the context is left to
/// it: the call goes to the task's own session `own` instead (a new conversation), rather
/// than being refused.
async fn new_turn(
    up: Arc<Upstream>,
    session_id: String,
    own: Option<String>,
    message: Message,
    mut out: Out,
) -> Result<(), Stop> {
    let text = input_text(&message)?;
    let request = up.request(&session_id).input_text(text.clone());
    let Some(own) = own.filter(|own| *own != session_id) else {
        let output = up.send(request, Phase::Start).await?;
        return Pump::new(&up, session_id).run(output, &mut out).await;
    };
    if let Some(output) = up.send_unless_busy(request, Phase::Start).await? {
        return Pump::new(&up, session_id).run(output, &mut out).await;
    }
    tracing::info!(
        "bedrock: the context's session is busy with another task; this task opens its own"
    );
    let request = up.request(&own).input_text(text);
    let output = up.send(request, Phase::Start).await?;
    Pump::new(&up, own).run(output, &mut out).await
}

async fn resume(
    up: Arc<Upstream>,
    saved: SessionData,
    message: Message,
    mut out: Out,
) -> Result<(), Stop> {
    let Some((invocation_id, inputs)) = saved.pending() else {
        return new_turn(up, saved.session_id, None, message, out).await;
    };
    let results = match reply::parse_reply(&message, inputs) {
        Ok(r) => r,
        Err(why) => {
            // Ask again: the agent still waits for the same invocation.
            out.emit(status(TaskState::Working, None)).await?;
            out.emit(input_required(invocation_id, inputs, Some(&why)))
                .await?;
            return Ok(());
        }
    };
    let state = SessionState::builder()
        .invocation_id(invocation_id)
        .set_return_control_invocation_results(Some(reply::to_sdk(inputs, &results)?))
        .build();
    let request = up.request(&saved.session_id).session_state(state);
    let output = up.send(request, Phase::Resume).await?;
    Pump::new(&up, saved.session_id.clone())
        .run(output, &mut out)
        .await
}

#[async_trait::async_trait]
impl Provider for BedrockProvider {
    fn kind(&self) -> &'static str {
        "bedrock"
    }

    async fn run(&self, ctx: TaskContext, message: Message) -> Result<EventStream> {
        let saved = SessionData::from_ctx(&ctx)?;
        let up = self.up.clone();
        if ctx.state.is_interrupted()
            && let Some(saved) = saved.clone().filter(|d| d.pending().is_some())
        {
            return Ok(drive_stream(move |out| resume(up, saved, message, out)));
        }
        let session_id = SessionData::session_id_of(&ctx, saved.as_ref());
        // Continuing the context's session: the task's own session is the way out when
        // another task of the context is running in it.
        let own = saved
            .is_none()
            .then(|| session::session_id_for(&ctx.task_id));
        Ok(drive_stream(move |out| {
            new_turn(up, session_id, own, message, out)
        }))
    }

    /// Ends the task's Bedrock session (`endSession: true`); the run's stream, which the
    /// engine drops, closes the connection of a running call.
    async fn cancel(&self, ctx: TaskContext) -> Result<()> {
        let Some(saved) = SessionData::from_ctx(&ctx).ok().flatten() else {
            // No session was opened for this task: nothing to end.
            return Ok(());
        };
        let up = &self.up;
        let request = up.request(&saved.session_id).end_session(true);
        let call = async {
            let mut output = up.send(request, Phase::Start).await?;
            // Read what Bedrock answers to the end of the session, and drop it.
            while let Ok(Some(_)) = output.completion.recv().await {}
            Ok::<(), ProviderError>(())
        };
        match tokio::time::timeout(up.request_timeout, call).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) if e.kind == a2agw_provider::ProviderErrorKind::Rejected => {
                // The session is unknown or already ended: nothing left to end.
                tracing::debug!(error = %e, "bedrock: endSession refused");
                Ok(())
            }
            Ok(Err(e)) => Err(e),
            Err(_) => Err(ProviderError::timeout(
                "Amazon Bedrock did not answer the endSession call in time",
            )),
        }
    }

    /// `None`: an InvokeAgent response stream cannot be reattached, and calling again would
    /// repeat the agent's actions; the engine fails the task with a reason.
    async fn recover(&self, ctx: TaskContext) -> Result<Option<EventStream>> {
        let _ = ctx;
        Ok(None)
    }
}
