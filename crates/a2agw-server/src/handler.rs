//! The one internal handler every binding calls: capability gates, owner scoping through
//! the engine, blocking vs immediate sends, and the stream-closing rules.

use crate::auth::Principal;
use crate::push::{PushPolicy, check_webhook_url};
use a2agw_registry::{AgentRecord, Registry, Snapshot};
use a2agw_task::{Engine, Scope, SendOutcome, TaskEventStream};
use a2agw_types::{
    A2aError, A2aRequest, A2aResponse, ErrorCode, FieldViolation,
    ListTaskPushNotificationConfigsResponse, ProtocolVersion, SendMessageRequest,
    SendMessageResponse, StreamResponse, TaskState,
};
use futures::StreamExt;
use futures::stream::BoxStream;
use std::sync::Arc;

/// Who is calling, and how: everything a binding learns besides the request itself.
#[derive(Clone, Debug)]
pub struct Caller {
    /// Who is calling: the owner ([`Principal::owner`]) of the tasks it creates;
    /// [`Principal::Anonymous`] when anonymous access is allowed and no credential came.
    pub principal: Principal,
    /// [`Principal::owner`] of `principal`, computed once.
    pub owner: String,
    /// The protocol version the request speaks.
    pub version: ProtocolVersion,
    /// Extensions the client asked to activate (`A2A-Extensions`).
    pub extensions: Vec<String>,
    /// `Last-Event-ID` of a reconnecting SSE client.
    pub last_event_id: Option<u64>,
    /// The binding the request came in on (`jsonrpc`, `rest`, `grpc`), for metrics and logs.
    pub binding: &'static str,
    /// The agent the request's path addresses (`/agents/{name}/…`); `None` at the gateway's
    /// root, where a `tenant` naming an agent selects it, and the root agent serves
    /// otherwise ([`Handler::resolve`]).
    pub agent: Option<String>,
}

impl Caller {
    /// An anonymous 1.0 caller.
    pub fn anonymous() -> Self {
        Caller::new(Principal::Anonymous)
    }

    /// A 1.0 caller on JSON-RPC at the root.
    pub fn new(principal: Principal) -> Self {
        Caller {
            owner: principal.owner(),
            principal,
            version: ProtocolVersion::V1_0,
            extensions: Vec::new(),
            last_event_id: None,
            binding: "jsonrpc",
            agent: None,
        }
    }

    /// Whether this caller may use `agent` (its [`a2agw_registry::Access`]).
    pub fn may_use(&self, agent: &AgentRecord) -> bool {
        agent.access.allows(&self.owner, self.principal.roles())
    }
}

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// A protocol error, in the binding's error form.
    #[error(transparent)]
    A2a(#[from] A2aError),
    /// The operation needs credentials the caller did not present (HTTP 401 / UNAUTHENTICATED).
    #[error("{0}")]
    Unauthenticated(String),
    /// The caller holds as many streams open as it may ([`crate::Limits`]): HTTP 429,
    /// or RESOURCE_EXHAUSTED on gRPC. Only the application's call path answers it.
    #[error("Too many open streams for this client; close one and retry")]
    TooManyStreams,
}

/// One event of a stream, ready for a binding.
#[derive(Clone, Debug, PartialEq)]
pub struct StreamItem {
    /// The task event's sequence number (SSE `id`), 0 for a message-only stream.
    pub seq: u64,
    /// The event.
    pub event: StreamResponse,
    /// The stream ends after this event (0.3 writes it as `final: true`).
    pub last: bool,
}

/// A stream of events for a binding; an error ends it.
pub type ItemStream = BoxStream<'static, Result<StreamItem, A2aError>>;

/// What a call produces.
// Built once per request and consumed at once: boxing would only add an allocation.
#[allow(clippy::large_enum_variant)]
pub enum Reply {
    /// One result.
    Unary(A2aResponse),
    /// A stream of events.
    Stream(ItemStream),
}

impl std::fmt::Debug for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reply::Unary(r) => f.debug_tuple("Unary").field(r).finish(),
            Reply::Stream(_) => f.write_str("Stream(..)"),
        }
    }
}

/// Yields the items of `stream` up to and including the first for which `is_last` holds,
/// then ends at once, without waiting for the inner stream to produce another item (an
/// interrupted task produces none until the client replies).
pub(crate) fn through_last<S, T>(
    stream: S,
    is_last: impl Fn(&T) -> bool + Send + 'static,
) -> impl futures::Stream<Item = T> + Send
where
    S: futures::Stream<Item = T> + Send + Unpin + 'static,
    T: Send + 'static,
{
    futures::stream::unfold(
        (stream, false, is_last),
        |(mut inner, done, is_last)| async move {
            if done {
                return None;
            }
            let item = inner.next().await?;
            let done = is_last(&item);
            Some((item, (inner, done, is_last)))
        },
    )
}

/// Stream-closing policy for interrupted states (spec digest §1.3 item 4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamPolicy {
    /// Close the stream after an INPUT_REQUIRED status (the client's reply opens a new one).
    pub close_on_input_required: bool,
    /// Close the stream after an AUTH_REQUIRED status (credentials may arrive out of band,
    /// so it stays open by default).
    pub close_on_auth_required: bool,
}

impl Default for StreamPolicy {
    fn default() -> Self {
        StreamPolicy {
            close_on_input_required: true,
            close_on_auth_required: false,
        }
    }
}

/// The handler of every agent the gateway serves.
#[derive(Clone, Debug)]
pub struct Handler {
    engine: Arc<Engine>,
    /// The agents served: the first of its snapshot at the gateway's root, every one at
    /// `/agents/{name}`; the engine's [`a2agw_provider::Upstreams`] too.
    registry: Arc<Registry>,
    policy: StreamPolicy,
    blocking_timeout: std::time::Duration,
    push_policy: PushPolicy,
}

impl Handler {
    /// A handler for the agents of `registry` on `engine` (which must start tasks through
    /// the same registry: [`Engine::with_upstreams`]).
    pub fn new(engine: Arc<Engine>, registry: Arc<Registry>, policy: StreamPolicy) -> Self {
        Handler {
            engine,
            registry,
            policy,
            blocking_timeout: std::time::Duration::from_secs(300),
            push_policy: PushPolicy::default(),
        }
    }

    /// Where webhooks may point: checked (with DNS resolution) when a push config is
    /// created, by `CreateTaskPushNotificationConfig` or inline with `SendMessage`, before
    /// the engine sees it; a refused URL is `-32602` naming the field. The default refuses
    /// loopback, private and link-local targets (see [`PushPolicy`]).
    #[must_use]
    pub fn with_push_policy(mut self, policy: PushPolicy) -> Self {
        self.push_policy = policy;
        self
    }

    /// How long a blocking `SendMessage` waits for the task to settle before it answers
    /// with the task as it is then (still WORKING; the client can poll or subscribe).
    #[must_use]
    pub fn with_blocking_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.blocking_timeout = timeout;
        self
    }

    /// The registry of the agents served.
    pub fn registry(&self) -> &Arc<Registry> {
        &self.registry
    }

    /// The agent served at the gateway's root now, if any.
    pub fn root(&self) -> Option<Arc<AgentRecord>> {
        self.registry.snapshot().root().cloned()
    }

    /// The agent named `name` now, if served.
    pub fn agent_named(&self, name: &str) -> Option<Arc<AgentRecord>> {
        self.registry.snapshot().get(name).cloned()
    }

    /// The agent whose URLs a card answered to this request carries: `Some(name)` when the
    /// request reached a served agent through its path or a `tenant` naming it (the card
    /// then points at `/agents/{name}`), `None` for the root agent at the root.
    pub fn card_path(&self, caller: &Caller, request: &A2aRequest) -> Option<String> {
        self.route(caller, request).1
    }

    /// [`Handler::resolve`] and [`Handler::card_path`] from one snapshot of the registry.
    pub(crate) fn route(
        &self,
        caller: &Caller,
        request: &A2aRequest,
    ) -> (Option<Arc<AgentRecord>>, Option<String>) {
        let snapshot = self.registry.snapshot();
        let agent = Self::resolve_in(&snapshot, caller, request);
        let card_path = agent
            .as_ref()
            .filter(|agent| caller.agent.is_some() || !snapshot.is_root(&agent.name))
            .map(|agent| agent.name.clone());
        (agent, card_path)
    }

    /// The agent a request is for ([`Snapshot::resolve`]: the path's, else the tenant's,
    /// else the root agent), if the caller may use it: one it may not use is `None`, as
    /// one that is not served.
    pub fn resolve(&self, caller: &Caller, request: &A2aRequest) -> Option<Arc<AgentRecord>> {
        Self::resolve_in(&self.registry.snapshot(), caller, request)
    }

    fn resolve_in(
        snapshot: &Snapshot,
        caller: &Caller,
        request: &A2aRequest,
    ) -> Option<Arc<AgentRecord>> {
        snapshot
            .resolve(caller.agent.as_deref(), request.tenant())
            .filter(|agent| caller.may_use(agent))
            .cloned()
    }

    /// The engine.
    pub fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }

    fn closes_stream(&self, e: &StreamResponse) -> bool {
        match e {
            StreamResponse::Message(_) => true,
            StreamResponse::StatusUpdate(u) => match u.status.state {
                s if s.is_terminal() => true,
                TaskState::InputRequired => self.policy.close_on_input_required,
                TaskState::AuthRequired => self.policy.close_on_auth_required,
                _ => false,
            },
            StreamResponse::Task(t) => t.status.state.is_terminal(),
            StreamResponse::ArtifactUpdate(_) => false,
        }
    }

    /// Marks the closing event `last` and ends the stream after it (or after an error).
    fn items(&self, events: TaskEventStream) -> ItemStream {
        let this = self.clone();
        let items = events.map(move |r| {
            r.map(|(seq, event)| {
                let last = this.closes_stream(&event);
                StreamItem { seq, event, last }
            })
        });
        through_last(items, |r| r.as_ref().map_or(true, |i| i.last)).boxed()
    }

    /// The SSRF guard on a webhook URL given at `field`.
    async fn check_webhook(&self, url: &str, field: &str) -> Result<(), A2aError> {
        check_webhook_url(url, self.push_policy.allow_private_targets)
            .await
            .map_err(|why| A2aError::invalid_params(vec![FieldViolation::new(field, why)]))
    }

    /// The SSRF guard on a push config given inline with a message.
    async fn check_inline_push(&self, request: &SendMessageRequest) -> Result<(), A2aError> {
        match request
            .configuration
            .as_ref()
            .and_then(|c| c.task_push_notification_config.as_ref())
        {
            Some(config) => {
                self.check_webhook(&config.url, "configuration.taskPushNotificationConfig.url")
                    .await
            }
            None => Ok(()),
        }
    }

    fn check_extensions(agent: &AgentRecord, caller: &Caller) -> Result<(), A2aError> {
        for ext in &agent.card.capabilities.extensions {
            if ext.required && !caller.extensions.iter().any(|e| e == &ext.uri) {
                return Err(A2aError::new(
                    ErrorCode::ExtensionSupportRequired,
                    format!("This agent requires the extension `{}`; activate it with the A2A-Extensions header", ext.uri),
                )
                .with_metadata("extension", ext.uri.clone()));
            }
        }
        Ok(())
    }

    /// Serves one request: [`Handler::resolve`]s its agent, records it in the current
    /// span's `agent` field, and serves it (`Handler::call_agent`).
    ///
    /// The agent is [`Handler::resolve`]d from the caller and the request; one that is not
    /// served makes every operation fail as for a missing task (`TaskNotFound`), so an
    /// unknown agent and one the caller may not see look the same.
    pub async fn call(&self, caller: &Caller, request: A2aRequest) -> Result<Reply, CallError> {
        let agent = self.resolve(caller, &request);
        let agent_name = agent.as_ref().map_or("", |a| a.name.as_str());
        tracing::Span::current().record("agent", agent_name);
        self.call_agent(caller, agent, request).await
    }

    /// Serves one request for `agent` (resolved by the caller, `None` when none is served
    /// that the caller may use), counting it in
    /// `a2agw_requests_total{binding, method, outcome, agent}` (outcome: `ok`, the error's
    /// `ErrorInfo` reason, or `UNAUTHENTICATED`; agent: empty when none is served by that
    /// name).
    pub(crate) async fn call_agent(
        &self,
        caller: &Caller,
        agent: Option<Arc<AgentRecord>>,
        request: A2aRequest,
    ) -> Result<Reply, CallError> {
        let method = request.method();
        let agent_name = agent.as_ref().map_or("", |a| a.name.as_str()).to_owned();
        let result = match agent {
            Some(agent) => self.dispatch(caller, &agent, request).await,
            None => Err(A2aError::new(
                ErrorCode::TaskNotFound,
                format!(
                    "No agent named `{}` is served here",
                    caller.agent.as_deref().unwrap_or(request.tenant())
                ),
            )
            .into()),
        };
        let outcome = match &result {
            Ok(_) => "ok",
            Err(CallError::A2a(e)) => e.code.reason(),
            Err(CallError::Unauthenticated(_)) => "UNAUTHENTICATED",
            Err(CallError::TooManyStreams) => "TOO_MANY_STREAMS",
        };
        metrics::counter!(
            "a2agw_requests_total",
            "binding" => caller.binding,
            "method" => method.name(),
            "outcome" => outcome,
            "agent" => agent_name
        )
        .increment(1);
        result
    }

    async fn dispatch(
        &self,
        caller: &Caller,
        agent: &AgentRecord,
        request: A2aRequest,
    ) -> Result<Reply, CallError> {
        let caps = &agent.card.capabilities;
        let method = request.method();
        if method.is_streaming() && caps.streaming != Some(true) {
            return Err(A2aError::unsupported("This agent does not support streaming").into());
        }
        let inline_push = match &request {
            A2aRequest::SendMessage(r) | A2aRequest::SendStreamingMessage(r) => r
                .configuration
                .as_ref()
                .is_some_and(|c| c.task_push_notification_config.is_some()),
            _ => false,
        };
        if (method.is_push_config() || inline_push) && caps.push_notifications != Some(true) {
            return Err(A2aError::new(
                ErrorCode::PushNotificationNotSupported,
                "This agent does not support push notifications",
            )
            .into());
        }
        if matches!(
            request,
            A2aRequest::SendMessage(_) | A2aRequest::SendStreamingMessage(_)
        ) {
            Self::check_extensions(agent, caller)?;
        }
        let owner = caller.owner.as_str();
        // Every task operation is scoped by the caller and this agent: a task of another
        // owner or another agent looks like one that does not exist.
        let scope = Scope::new(owner, &agent.name);
        let engine = &self.engine;
        let reply = match request {
            A2aRequest::SendMessage(req) => {
                self.check_inline_push(&req).await?;
                let config = req.configuration.clone().unwrap_or_default();
                match engine.send(owner, &agent.name, req).await? {
                    SendOutcome::Message(m) => {
                        Reply::Unary(A2aResponse::SendMessage(SendMessageResponse::Message(m)))
                    }
                    SendOutcome::Task(rec) => {
                        let task = if config.return_immediately {
                            let mut t = rec.task;
                            t.truncate_history(config.history_length);
                            t
                        } else {
                            let wait = engine.wait_settled(scope, &rec, config.history_length);
                            match tokio::time::timeout(self.blocking_timeout, wait).await {
                                Ok(task) => task?,
                                Err(_) => {
                                    let get = a2agw_types::GetTaskRequest {
                                        id: rec.task.id.clone(),
                                        history_length: config.history_length,
                                        ..Default::default()
                                    };
                                    engine.get_task(scope, &get).await?
                                }
                            }
                        };
                        Reply::Unary(A2aResponse::SendMessage(SendMessageResponse::Task(task)))
                    }
                }
            }
            A2aRequest::SendStreamingMessage(req) => {
                self.check_inline_push(&req).await?;
                match engine.send_streaming(owner, &agent.name, req).await? {
                    SendOutcome::Message(m) => Reply::Stream(
                        futures::stream::iter([Ok(StreamItem {
                            seq: 0,
                            event: StreamResponse::Message(m),
                            last: true,
                        })])
                        .boxed(),
                    ),
                    SendOutcome::Task(rec) => {
                        Reply::Stream(self.items(engine.stream_after_send(&rec)))
                    }
                }
            }
            A2aRequest::GetTask(req) => {
                Reply::Unary(A2aResponse::Task(engine.get_task(scope, &req).await?))
            }
            A2aRequest::ListTasks(req) => Reply::Unary(A2aResponse::ListTasks(
                engine.list_tasks(scope, &req).await?,
            )),
            A2aRequest::CancelTask(req) => {
                Reply::Unary(A2aResponse::Task(engine.cancel_task(scope, &req).await?))
            }
            A2aRequest::SubscribeToTask(req) => Reply::Stream(
                self.items(
                    engine
                        .subscribe_task(scope, &req.id, caller.last_event_id)
                        .await?,
                ),
            ),
            A2aRequest::CreateTaskPushNotificationConfig(cfg) => {
                self.check_webhook(&cfg.url, "url").await?;
                Reply::Unary(A2aResponse::PushConfig(
                    engine.create_push_config(scope, cfg).await?,
                ))
            }
            A2aRequest::GetTaskPushNotificationConfig(req) => {
                Reply::Unary(A2aResponse::PushConfig(
                    engine.get_push_config(scope, &req.task_id, &req.id).await?,
                ))
            }
            A2aRequest::ListTaskPushNotificationConfigs(req) => {
                let configs = engine.list_push_configs(scope, &req.task_id).await?;
                Reply::Unary(A2aResponse::PushConfigs(
                    ListTaskPushNotificationConfigsResponse {
                        configs,
                        next_page_token: String::new(),
                    },
                ))
            }
            A2aRequest::DeleteTaskPushNotificationConfig(req) => {
                engine
                    .delete_push_config(scope, &req.task_id, &req.id)
                    .await?;
                Reply::Unary(A2aResponse::Empty)
            }
            A2aRequest::GetExtendedAgentCard(_) => {
                if caps.extended_agent_card != Some(true) {
                    return Err(A2aError::unsupported(
                        "This agent declares no extended agent card",
                    )
                    .into());
                }
                // The client authenticates with one of the schemes the public card
                // declares (§3.1.11); a card that declares none (a gateway that only
                // serves anonymous callers) leaves nothing to authenticate with, so every
                // caller it serves gets the extended card (decision 33).
                let needs_credentials = !agent.card.security_schemes.is_empty();
                if needs_credentials && caller.principal.is_anonymous() {
                    return Err(CallError::Unauthenticated(
                        "The extended agent card requires authentication".into(),
                    ));
                }
                let card = agent.extended_card.clone().ok_or_else(|| {
                    A2aError::new(
                        ErrorCode::ExtendedAgentCardNotConfigured,
                        "No extended agent card is configured",
                    )
                })?;
                Reply::Unary(A2aResponse::AgentCard(card))
            }
        };
        Ok(reply)
    }
}
