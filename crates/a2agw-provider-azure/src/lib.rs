//! Provider adapter for Azure AI Foundry Agent Service ("classic" agents): A2A tasks run
//! as Azure threads, messages and streamed runs over HTTPS (REST on reqwest, `api-version`
//! on every call, a Microsoft Entra bearer token from an
//! `azure_core::credentials::TokenCredential` fetched for every request).
//!
//! This crate sits at level L2: it depends only on `a2agw-types`, `a2agw-provider` and its
//! platform crates (`azure_core` and `azure_identity` for the credentials, `reqwest`,
//! `eventsource-stream`; `axum` for the fake). It must never depend on the engine
//! (`a2agw-task`), the server, the binary or another provider crate.
//!
//! # Credentials
//!
//! [`AzureAgentsProvider::new`] takes any `TokenCredential`; [`AzureCredentialConfig`]
//! builds one of `azure_identity` 1.0's credentials from configuration: `ClientSecret`,
//! `ManagedIdentity`, `WorkloadIdentity` or `AzureCli` (1.0 has no
//! `DefaultAzureCredential` chain, and its `ClientCertificateCredential` needs openssl,
//! which the workspace bans). An `authority_host` overrides the Entra login endpoint
//! (sovereign clouds); `azure_identity` accepts only `https://` hosts, and this crate also
//! accepts `http://` for a loopback address (a local token endpoint such as the fake's).
//!
//! # Features
//!
//! | feature | what it adds |
//! |---|---|
//! | `fake` | [`fake`]: a local fake Agent Service and Entra token endpoint, for this crate's tests and the gateway's end-to-end tests (axum, tokio `net`) |
//!
//! # Mapping
//!
//! | A2A | Azure |
//! |---|---|
//! | the conversation of a context (per caller) | a thread. A new task continues the thread saved with the same caller's last completed task of the context (`ctx.context_data`; its run and tool calls are ignored); with no context data, unreadable data, or a thread that cannot take the message (404: gone; 400/409: a run of another task is active on it) a new thread is created (metadata `a2a_context_id`). Its id is saved with `SaveData {thread_id}` and reused from `ctx.provider_data` for the task's later messages. Never shared between callers: the engine hands a task only its own caller's context data |
//! | a message | `POST /threads/{thread}/messages` (text parts, data parts as JSON text), then `POST /threads/{thread}/runs` with `stream: true` |
//! | the first `thread.run.*` event | `SaveData {thread_id, run_id}` (so that any instance can cancel), then WORKING |
//! | `thread.message.delta` | artifact chunks of the artifact whose id is the Azure message id, name `answer`: `append` from the second chunk, `lastChunk` on the last one (at `thread.message.completed`, or when the run ends) |
//! | `thread.message.completed` without deltas | the whole message as one artifact |
//! | `thread.run.completed` | `SaveData {thread_id}`, COMPLETED |
//! | `thread.run.failed` | FAILED, message `The Azure agent run failed: <code>: <message>`, metadata `azureErrorCode` |
//! | `thread.run.cancelled` | CANCELED |
//! | `thread.run.expired`, `thread.run.incomplete` | FAILED with the reason |
//! | `thread.run.requires_action` | `SaveData {thread_id, run_id, tool_call_ids, action}`, INPUT_REQUIRED with a text part (what to send) and a data part `{"action", "run_id", "tool_calls": [{"id", "type", "name", "arguments"}]}` |
//! | the next message on an INPUT_REQUIRED task | `POST …/runs/{run}/submit_tool_outputs` (streamed) with the outputs read from the reply: a data part `{"tool_outputs": [{"tool_call_id", "output"}]}`, or `[{"tool_call_id", "output"}]`, or `{"<tool_call_id>": output}`; plain text when one call is pending (non-string outputs are sent as JSON text). For `submit_tool_approval` (MCP): `{"tool_approvals": [{"tool_call_id", "approve"}]}` or the text `approve` / `deny`. A reply that does not cover every pending call is asked again (WORKING, then INPUT_REQUIRED) |
//! | `error` event | the run fails with Azure's code and message |
//! | A2A cancel | `POST …/runs/{run}/cancel` with the run id from the saved data |
//! | [`Provider::recover`] (the instance driving a WORKING task died) | with the saved `{thread_id, run_id}`: `GET …/runs/{run}` every `poll_interval` while `queued` / `in_progress` / `cancelling` (at most `recover_timeout`, then the run is cancelled and the task fails with `Timeout`); `completed` → the run's assistant messages (`GET /threads/{thread}/messages?run_id=…&order=asc`) as whole `answer` artifacts, then as `thread.run.completed`; `requires_action`, `failed`, `cancelled`, `expired`, `incomplete` → the same events as the live stream. No saved run → `None` (the engine fails the task) |
//!
//! # Errors
//!
//! - HTTP 400/404/409 before any run exists (thread, message, run creation) → `Rejected`
//!   (except on the message to the context's earlier thread: a new thread then);
//!   other 4xx after that (submitting tool outputs) → `Other` (the task fails);
//! - 401/403 → `Unavailable` with a hint about the credential and the role on the project;
//! - 429 → retried (`Retry-After`, at most `max_retries`), then `Unavailable`;
//! - 5xx and network errors → `Unavailable`;
//! - an invalid event, a stream that breaks off or ends before the run finished → `Malformed`;
//! - no event for `idle_timeout` → `Timeout` (the run is cancelled upstream first).
//!
//! Messages never contain a token or a URL with its query.

mod credential;
#[cfg(feature = "fake")]
pub mod fake;
mod http;
mod stream;

pub use credential::{AzureCredentialConfig, Secret};

use a2agw_provider::{EventStream, Provider, ProviderError, ProviderEvent, Result, TaskContext};
use a2agw_types::{Message, Part, PartContent, Role, TaskState};
use azure_core::credentials::TokenCredential;
use http::{Client, Phase};
use reqwest::{Method, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use stream::{Out, Pump, Stop, status};

/// The GA `api-version` of the Agent Service.
pub const DEFAULT_API_VERSION: &str = "v1";
/// The token scope used by Foundry (older deployments use
/// `https://cognitiveservices.azure.com/.default`).
pub const DEFAULT_SCOPE: &str = "https://ai.azure.com/.default";

/// How to reach one Azure agent.
#[derive(Clone, Debug, PartialEq)]
pub struct AzureAgentsConfig {
    /// The project endpoint,
    /// `https://<resource>.services.ai.azure.com/api/projects/<project>`.
    pub endpoint: String,
    /// The agent (assistant) id, `asst_…`.
    pub agent_id: String,
    /// The `api-version` query parameter of every call.
    pub api_version: String,
    /// The Entra token scope.
    pub scope: String,
    /// The longest wait for the next event of a run stream (and for its headers).
    pub idle_timeout: Duration,
    /// The total timeout of the other calls.
    pub request_timeout: Duration,
    /// How many times a 429 answer is retried.
    pub max_retries: u32,
    /// How often a recovered task's run is polled ([`Provider::recover`]).
    pub poll_interval: Duration,
    /// How long a recovery waits for a run that stays queued or in progress before it
    /// cancels the run and fails the task.
    pub recover_timeout: Duration,
}

impl AzureAgentsConfig {
    /// A configuration with the default version, scope and timeouts.
    pub fn new(endpoint: impl Into<String>, agent_id: impl Into<String>) -> Self {
        AzureAgentsConfig {
            endpoint: endpoint.into(),
            agent_id: agent_id.into(),
            api_version: DEFAULT_API_VERSION.into(),
            scope: DEFAULT_SCOPE.into(),
            idle_timeout: Duration::from_secs(120),
            request_timeout: Duration::from_secs(30),
            max_retries: 2,
            poll_interval: Duration::from_secs(1),
            recover_timeout: Duration::from_secs(600),
        }
    }
}

/// The provider: one Azure agent.
#[derive(Clone, Debug)]
pub struct AzureAgentsProvider {
    client: Arc<Client>,
    agent_id: String,
}

impl AzureAgentsProvider {
    /// A provider for `config`, authenticating with `credential`.
    pub fn new(config: AzureAgentsConfig, credential: Arc<dyn TokenCredential>) -> Result<Self> {
        if config.endpoint.trim().is_empty() || config.agent_id.trim().is_empty() {
            return Err(ProviderError::new(
                a2agw_provider::ProviderErrorKind::Other,
                "the Azure agent needs a project endpoint and an agent id",
            ));
        }
        let http = reqwest::Client::builder()
            .connect_timeout(config.request_timeout)
            .build()
            .map_err(|e| {
                ProviderError::unavailable(format!("could not build the HTTP client: {e}"))
            })?;
        Ok(AzureAgentsProvider {
            client: Arc::new(Client {
                http,
                endpoint: config.endpoint,
                api_version: config.api_version,
                scope: config.scope,
                credential,
                request_timeout: config.request_timeout,
                idle_timeout: config.idle_timeout,
                max_retries: config.max_retries,
                poll_interval: config.poll_interval,
                recover_timeout: config.recover_timeout,
            }),
            agent_id: config.agent_id,
        })
    }
}

/// What the provider saves with a task (`ProviderEvent::SaveData`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct SessionData {
    pub(crate) thread_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) run_id: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) tool_call_ids: Vec<String>,
    /// `submit_tool_outputs` or `submit_tool_approval` while the run waits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) action: Option<String>,
}

impl SessionData {
    pub(crate) fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    fn from_ctx(ctx: &TaskContext) -> Result<Option<Self>> {
        match &ctx.provider_data {
            None | Some(Value::Null) => Ok(None),
            Some(v) => serde_json::from_value::<SessionData>(v.clone())
                .map(|d| (!d.thread_id.is_empty()).then_some(d))
                .map_err(|e| {
                    ProviderError::new(
                        a2agw_provider::ProviderErrorKind::Other,
                        format!("the saved Azure session data of this task is unreadable: {e}"),
                    )
                }),
        }
    }
}

use a2agw_provider::drive::drive_stream;

impl AzureAgentsProvider {
    async fn new_turn(
        client: Arc<Client>,
        agent_id: String,
        ctx: TaskContext,
        saved: Option<SessionData>,
        message: Message,
        mut out: Out,
    ) -> Result<(), Stop> {
        let content = azure_content(&message)?;
        let body = json!({"role": "user", "content": content});
        let thread_id = match saved {
            Some(d) => {
                Self::add_message(&client, &d.thread_id, &body).await?;
                d.thread_id
            }
            None => {
                let continued = match context_thread(&ctx) {
                    Some(id) => Self::continue_thread(&client, id, &body, &mut out).await?,
                    None => None,
                };
                match continued {
                    Some(id) => id,
                    None => {
                        let id = Self::create_thread(&client, &ctx, &mut out).await?;
                        Self::add_message(&client, &id, &body).await?;
                        id
                    }
                }
            }
        };
        let body = json!({"assistant_id": agent_id, "stream": true});
        let resp = client
            .send(
                Method::POST,
                &format!("/threads/{thread_id}/runs"),
                Some(&body),
                "starting the run",
                Phase::Before,
                true,
            )
            .await?;
        Pump::new(&client, thread_id, None)
            .run(resp, &mut out)
            .await
    }

    /// Creates a thread for the task and saves its id.
    async fn create_thread(
        client: &Client,
        ctx: &TaskContext,
        out: &mut Out,
    ) -> Result<String, Stop> {
        let body = json!({"metadata": {"a2a_context_id": ctx.context_id}});
        let thread = client
            .json(
                Method::POST,
                "/threads",
                Some(&body),
                "creating a thread",
                Phase::Before,
            )
            .await?;
        let id = stream::str_at(&thread, "id")
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                ProviderError::malformed("Azure AI Foundry created a thread without an id")
            })?
            .to_owned();
        let data = SessionData {
            thread_id: id.clone(),
            ..SessionData::default()
        };
        out.emit(ProviderEvent::SaveData(data.to_value())).await?;
        Ok(id)
    }

    /// `POST /threads/{thread}/messages`.
    async fn add_message(client: &Client, thread_id: &str, body: &Value) -> Result<(), Stop> {
        client
            .json(
                Method::POST,
                &format!("/threads/{thread_id}/messages"),
                Some(body),
                "adding the message to the thread",
                Phase::Before,
            )
            .await?;
        Ok(())
    }

    /// Adds the message of a new task to the thread of its context (the caller's earlier
    /// task) and saves the thread for the task. `None` when that thread cannot take it:
    /// deleted or expired (404), or busy with a run of another task (400/409); the task
    /// then starts a new thread.
    async fn continue_thread(
        client: &Client,
        thread_id: String,
        body: &Value,
        out: &mut Out,
    ) -> Result<Option<String>, Stop> {
        let answer = client
            .json_unless(
                Method::POST,
                &format!("/threads/{thread_id}/messages"),
                Some(body),
                "adding the message to the thread of the context",
                Phase::Before,
                &[
                    StatusCode::BAD_REQUEST,
                    StatusCode::NOT_FOUND,
                    StatusCode::CONFLICT,
                ],
            )
            .await?;
        if let Err((status, detail)) = answer {
            tracing::info!(
                thread_id,
                status = status.as_u16(),
                detail,
                "azure: the thread of the context cannot take the message (gone or busy); \
                 starting a new thread"
            );
            return Ok(None);
        }
        let data = SessionData {
            thread_id: thread_id.clone(),
            ..SessionData::default()
        };
        out.emit(ProviderEvent::SaveData(data.to_value())).await?;
        Ok(Some(thread_id))
    }

    async fn resume(
        client: Arc<Client>,
        saved: SessionData,
        message: Message,
        mut out: Out,
    ) -> Result<(), Stop> {
        let run_id = saved.run_id.clone().unwrap_or_default();
        let approval = saved.action.as_deref() == Some("submit_tool_approval");
        let parsed = if approval {
            approvals(&message, &saved.tool_call_ids)
        } else {
            tool_outputs(&message, &saved.tool_call_ids)
        };
        let body = match parsed {
            Ok(b) => b,
            Err(why) => {
                // Ask again: the run still waits for the outputs.
                out.emit(status(TaskState::Working, None)).await?;
                let question = Message {
                    message_id: a2agw_provider::new_id(),
                    role: Role::Agent,
                    parts: vec![
                        Part::text(format!(
                            "{why}. The agent still waits for: {}.",
                            saved.tool_call_ids.join(", ")
                        )),
                        Part::data(json!({
                            "action": saved.action.as_deref().unwrap_or("submit_tool_outputs"),
                            "run_id": run_id,
                            "tool_call_ids": saved.tool_call_ids,
                        })),
                    ],
                    ..Message::default()
                };
                out.emit(status(TaskState::InputRequired, Some(question)))
                    .await?;
                return Ok(());
            }
        };
        let mut body = body;
        body["stream"] = json!(true);
        let resp = client
            .send(
                Method::POST,
                &format!(
                    "/threads/{}/runs/{run_id}/submit_tool_outputs",
                    saved.thread_id
                ),
                Some(&body),
                if approval {
                    "submitting the tool approvals"
                } else {
                    "submitting the tool outputs"
                },
                Phase::After,
                true,
            )
            .await?;
        Pump::new(&client, saved.thread_id, Some(run_id))
            .run(resp, &mut out)
            .await
    }
}

impl AzureAgentsProvider {
    /// Follows a run that an earlier gateway instance started: polls it until it ends,
    /// then reports what the live stream would have (the answer read from the thread).
    async fn recover_run(
        client: Arc<Client>,
        thread_id: String,
        run_id: String,
        mut out: Out,
    ) -> Result<(), Stop> {
        let path = format!("/threads/{thread_id}/runs/{run_id}");
        let started = tokio::time::Instant::now();
        let mut pump = Pump::recovered(&client, thread_id.clone(), run_id.clone());
        loop {
            let run = client
                .json(
                    Method::GET,
                    &path,
                    None,
                    "reading the run of a task taken over from another gateway instance",
                    Phase::After,
                )
                .await?;
            let status = stream::str_at(&run, "status")
                .unwrap_or_default()
                .to_owned();
            match status.as_str() {
                "queued" | "in_progress" | "cancelling" => {
                    if started.elapsed() >= client.recover_timeout {
                        let cancelled = pump.cancel_after_timeout().await;
                        return Err(ProviderError::timeout(format!(
                            "the Azure agent run was still `{status}` after {} s of waiting for \
                             it to finish{}; the task was stopped. Send the request again, or \
                             raise the recovery timeout if the agent's runs are this slow",
                            client.recover_timeout.as_secs_f32(),
                            if cancelled {
                                " (the run was cancelled)"
                            } else {
                                ""
                            }
                        ))
                        .into());
                    }
                    tokio::time::sleep(client.poll_interval).await;
                }
                "completed" => {
                    let list = client
                        .json_query(
                            Method::GET,
                            &format!("/threads/{thread_id}/messages"),
                            &[("run_id", &run_id), ("order", "asc"), ("limit", "100")],
                            None,
                            "reading the answer of the run",
                            Phase::After,
                        )
                        .await?;
                    let messages = list.get("data").and_then(Value::as_array);
                    for m in messages.into_iter().flatten() {
                        let of_run = stream::str_at(m, "run_id").is_none_or(|r| r == run_id);
                        if stream::str_at(m, "role") != Some("assistant") || !of_run {
                            continue;
                        }
                        let text = stream::message_text(m);
                        if text.is_empty() {
                            continue;
                        }
                        let id = stream::str_at(m, "id")
                            .filter(|id| !id.is_empty())
                            .map_or_else(a2agw_provider::new_id, str::to_owned);
                        out.emit(stream::chunk(&id, text, false, true)).await?;
                    }
                    pump.on_run("completed", &run, &mut out).await?;
                    return Ok(());
                }
                "requires_action" | "failed" | "cancelled" | "expired" | "incomplete" => {
                    pump.on_run(&status, &run, &mut out).await?;
                    return Ok(());
                }
                other => {
                    return Err(ProviderError::malformed(format!(
                        "Azure AI Foundry reported the run in an unknown status `{other}`"
                    ))
                    .into());
                }
            }
        }
    }
}

#[async_trait::async_trait]
impl Provider for AzureAgentsProvider {
    fn kind(&self) -> &'static str {
        "azure"
    }

    async fn run(&self, ctx: TaskContext, message: Message) -> Result<EventStream> {
        let saved = SessionData::from_ctx(&ctx)?;
        let client = self.client.clone();
        let pending = saved
            .as_ref()
            .filter(|d| d.run_id.is_some() && !d.tool_call_ids.is_empty())
            .cloned();
        if ctx.state.is_interrupted()
            && let Some(pending) = pending
        {
            return Ok(drive_stream(move |out| {
                Self::resume(client, pending, message, out)
            }));
        }
        let agent_id = self.agent_id.clone();
        Ok(drive_stream(move |out| {
            Self::new_turn(client, agent_id, ctx, saved, message, out)
        }))
    }

    async fn recover(&self, ctx: TaskContext) -> Result<Option<EventStream>> {
        let Some(saved) = SessionData::from_ctx(&ctx)? else {
            return Ok(None);
        };
        let Some(run_id) = saved.run_id.filter(|r| !r.is_empty()) else {
            // No run was started (or it already ended): nothing to follow upstream.
            return Ok(None);
        };
        let client = self.client.clone();
        let thread_id = saved.thread_id;
        Ok(Some(drive_stream(move |out| {
            Self::recover_run(client, thread_id, run_id, out)
        })))
    }

    async fn cancel(&self, ctx: TaskContext) -> Result<()> {
        let Some(saved) = SessionData::from_ctx(&ctx)? else {
            return Ok(());
        };
        let Some(run_id) = saved.run_id else {
            // No run was started: nothing works upstream.
            return Ok(());
        };
        let path = format!("/threads/{}/runs/{run_id}/cancel", saved.thread_id);
        match self
            .client
            .send(
                Method::POST,
                &path,
                None,
                "cancelling the run",
                Phase::After,
                false,
            )
            .await
        {
            Ok(_) => Ok(()),
            // The run already ended (or expired): nothing left to stop.
            Err(e) if e.kind == a2agw_provider::ProviderErrorKind::Other => {
                tracing::debug!(run_id, error = %e, "azure: cancel of a run that already ended");
                Ok(())
            }
            Err(e) => Err(e),
        }
    }
}

/// The thread to continue for a new task: the one saved with the caller's earlier task of
/// the context ([`TaskContext::context_data`]); its run and tool calls are not this task's.
fn context_thread(ctx: &TaskContext) -> Option<String> {
    let data = ctx.context_data.as_ref()?;
    let id = data.get("thread_id").and_then(Value::as_str).filter(|id| {
        !id.is_empty()
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    });
    if id.is_none() {
        tracing::debug!("azure: the context data has no usable thread id; starting a new thread");
    }
    id.map(str::to_owned)
}

/// The Azure message content for an A2A message: its text parts, data parts as JSON text
/// and file URLs, separated by blank lines.
fn azure_content(message: &Message) -> Result<String> {
    let mut pieces = Vec::new();
    for p in &message.parts {
        match &p.content {
            PartContent::Text(t) if !t.is_empty() => pieces.push(t.clone()),
            PartContent::Data(v) => pieces.push(v.to_string()),
            PartContent::Url(u) => pieces.push(format!("(file: {u})")),
            _ => {}
        }
    }
    if pieces.is_empty() {
        return Err(ProviderError::rejected(
            "the Azure agent takes text or data parts; this message has neither",
        ));
    }
    Ok(pieces.join("\n\n"))
}

/// The JSON values a reply carries: its data parts, or its text when it is JSON.
fn reply_values(message: &Message) -> Vec<Value> {
    let data: Vec<Value> = message
        .parts
        .iter()
        .filter_map(|p| match &p.content {
            PartContent::Data(v) => Some(v.clone()),
            _ => None,
        })
        .collect();
    if !data.is_empty() {
        return data;
    }
    serde_json::from_str::<Value>(message.text_content().trim())
        .ok()
        .filter(|v| v.is_object() || v.is_array())
        .into_iter()
        .collect()
}

/// Entries `(tool_call_id, value)` from `{"<key>": [{"tool_call_id", field}]}`,
/// `[{"tool_call_id", field}]` or `{"<id>": value}`.
fn entries(values: &[Value], key: &str, field: &str) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for v in values {
        let list = v.get(key).unwrap_or(v);
        match list {
            Value::Array(items) => {
                for item in items {
                    if let Some(id) = item.get("tool_call_id").and_then(Value::as_str) {
                        out.push((
                            id.to_owned(),
                            item.get(field).cloned().unwrap_or(Value::Null),
                        ));
                    }
                }
            }
            Value::Object(map) => {
                for (k, v) in map {
                    out.push((k.clone(), v.clone()));
                }
            }
            _ => {}
        }
    }
    out
}

/// Checks that `found` covers exactly the pending ids.
fn check_ids(found: &BTreeMap<String, Value>, pending: &[String]) -> Result<(), String> {
    if let Some(unknown) = found.keys().find(|k| !pending.contains(k)) {
        return Err(format!("The reply names an unknown tool call `{unknown}`"));
    }
    let missing: Vec<&str> = pending
        .iter()
        .filter(|id| !found.contains_key(*id))
        .map(String::as_str)
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "The reply has no result for the tool call(s) {}",
            missing.join(", ")
        ))
    }
}

/// The `submit_tool_outputs` body for a reply.
fn tool_outputs(message: &Message, pending: &[String]) -> Result<Value, String> {
    let values = reply_values(message);
    let mut found: BTreeMap<String, Value> = entries(&values, "tool_outputs", "output")
        .into_iter()
        .collect();
    if found.is_empty() && pending.len() == 1 {
        let text = message.text_content();
        if !text.trim().is_empty() {
            found.insert(pending[0].clone(), Value::String(text));
        }
    }
    check_ids(&found, pending)?;
    let outputs: Vec<Value> = pending
        .iter()
        .map(|id| {
            let output = match &found[id] {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            json!({"tool_call_id": id, "output": output})
        })
        .collect();
    Ok(json!({"tool_outputs": outputs}))
}

/// The `submit_tool_outputs` body (with `tool_approvals`) for a reply to an MCP approval.
fn approvals(message: &Message, pending: &[String]) -> Result<Value, String> {
    let values = reply_values(message);
    let mut found: BTreeMap<String, Value> = entries(&values, "tool_approvals", "approve")
        .into_iter()
        .collect();
    if found.is_empty() {
        let text = message.text_content().trim().to_lowercase();
        let all = match text.as_str() {
            "approve" | "approved" | "yes" | "y" | "ok" => Some(true),
            "deny" | "denied" | "no" | "n" | "reject" => Some(false),
            _ => None,
        };
        if let Some(a) = all {
            found = pending.iter().map(|id| (id.clone(), json!(a))).collect();
        }
    }
    check_ids(&found, pending)?;
    let list: Vec<Value> = pending
        .iter()
        .map(|id| {
            let approve = found[id].as_bool().unwrap_or(false);
            json!({"tool_call_id": id, "approve": approve})
        })
        .collect();
    Ok(json!({"tool_approvals": list}))
}
