//! The engine: runs messages through providers, drives each provider's event stream
//! through the state machine into the store, and serves reads, cancels and streams.
//!
//! - A new message (no `taskId`) starts the agent's provider. If the provider's first event
//!   is a direct reply, the caller gets that message and no task exists. Otherwise the task
//!   is created (SUBMITTED, the message in its history), assigned to the agent, leased by
//!   this instance, and a driver task consumes the provider's stream.
//! - A message for an INPUT_REQUIRED or AUTH_REQUIRED task resumes it: the message and the
//!   move to WORKING are appended together, then the provider runs again with the task's
//!   history and saved session data.
//! - Every provider event becomes a [`TaskEvent`] appended through the state machine; an
//!   illegal one, a provider error, an idle timeout or a stream that ends while the task is
//!   still active ends the task FAILED (REJECTED for a refusal) with a status message that
//!   says what happened.
//! - The driver holds a lease on the task and renews it; [`Engine::recover_orphans`] (run
//!   periodically by [`Engine::start`]) takes over tasks whose lease expired: it resumes them
//!   when the provider can ([`Provider::recover`]) and fails them otherwise.

use crate::machine::{TaskEvent, TaskRecord, TransitionError};
use crate::store::{Scope, StoreError, StoredEvent, TaskStore, status_millis};
use crate::subscribe::subscribe;
use a2agw_provider::{
    EventStream, Provider, ProviderErrorKind, ProviderEvent, StaticUpstreams, TaskContext,
    Upstreams, agent_text, new_id,
};
use a2agw_types::{
    A2aError, CancelTaskRequest, ErrorCode, FieldViolation, GetTaskRequest, ListTasksRequest,
    ListTasksResponse, Message, Role, SendMessageRequest, StreamResponse, Task,
    TaskPushNotificationConfig, TaskState, TaskStatus, Timestamp,
};
use futures::stream::BoxStream;
use futures::{FutureExt, StreamExt};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::task::AbortHandle;
use tracing::Instrument;

/// Engine settings.
#[derive(Clone, Debug)]
pub struct EngineConfig {
    /// This instance's identity in leases (unique per process).
    pub instance_id: String,
    /// How long a lease lasts without renewal.
    pub lease_ttl: Duration,
    /// How long the provider may stay silent before the task fails.
    pub idle_timeout: Duration,
    /// How often [`Engine::start`] looks for orphaned tasks.
    pub recovery_interval: Duration,
    /// How long to wait for a provider's first event before creating the task anyway.
    pub first_event_wait: Duration,
    /// How long a message answering INPUT_REQUIRED / AUTH_REQUIRED waits for the provider
    /// run that asked to finish (a client may answer as soon as it sees the question,
    /// while the upstream stream is still closing).
    pub resume_wait: Duration,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            instance_id: format!("gw-{}", new_id()),
            lease_ttl: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(300),
            recovery_interval: Duration::from_secs(5),
            first_event_wait: Duration::from_millis(500),
            resume_wait: Duration::from_secs(10),
        }
    }
}

/// The outcome of a `SendMessage`.
#[derive(Clone, Debug, PartialEq)]
// Returned once per request and matched at once: boxing would only add an allocation.
#[allow(clippy::large_enum_variant)]
pub enum SendOutcome {
    /// The agent answered directly; no task exists.
    Message(Message),
    /// The task created or resumed, as stored right after; follow its events after `last_seq`.
    Task(TaskRecord),
}

/// A stream of a task's events as clients see them, each with its sequence number.
pub type TaskEventStream = BoxStream<'static, Result<(u64, StreamResponse), A2aError>>;

/// The task engine. Cheap to share (`Arc`); one per gateway instance.
#[derive(Debug)]
pub struct Engine {
    store: Arc<dyn TaskStore>,
    upstreams: Arc<dyn Upstreams>,
    config: EngineConfig,
    running: Mutex<HashMap<String, AbortHandle>>,
    /// Woken whenever a driver ends (see [`Engine::wait_driver`]).
    driver_done: tokio::sync::Notify,
}

/// Maps a store failure to the protocol error a client gets (backend details are logged, not sent).
pub fn store_error(e: StoreError) -> A2aError {
    match e {
        StoreError::NotFound(id) => A2aError::task_not_found(&id),
        StoreError::InvalidPageToken => A2aError::invalid_params(vec![FieldViolation::new(
            "pageToken",
            "is not a token this server issued",
        )]),
        StoreError::Transition { task_id, source } => {
            A2aError::unsupported(format!("task `{task_id}` cannot change: {source}"))
                .with_metadata("taskId", task_id)
        }
        other => {
            tracing::error!(error = %other, "task store failure");
            A2aError::internal("The task store failed; try again later")
        }
    }
}

fn agent_message(task_id: &str, context_id: &str, text: impl Into<String>) -> Message {
    Message {
        task_id: task_id.to_owned(),
        context_id: context_id.to_owned(),
        ..agent_text(text)
    }
}

fn status_event(state: TaskState, message: Option<Message>) -> TaskEvent {
    TaskEvent::Status {
        status: TaskStatus {
            state,
            message,
            timestamp: Some(Timestamp::now()),
        },
        metadata: None,
    }
}

/// The span of a task's run: its driver's, or the write of a task created finished.
fn task_span(ctx: &TaskContext, agent: &str, provider: &dyn Provider) -> tracing::Span {
    tracing::info_span!(
        "task",
        task_id = %ctx.task_id,
        agent = %agent,
        provider = provider.kind()
    )
}

fn is_settled(state: TaskState) -> bool {
    state.is_terminal() || state.is_interrupted()
}

impl Engine {
    /// An engine over `store` with a fixed set of agents (agent name → provider).
    pub fn new(
        store: Arc<dyn TaskStore>,
        providers: HashMap<String, Arc<dyn Provider>>,
        config: EngineConfig,
    ) -> Arc<Self> {
        Self::with_upstreams(store, Arc::new(StaticUpstreams::new(providers)), config)
    }

    /// An engine over `store` that asks `upstreams` which provider runs each new task and
    /// which one owns each existing task (by the route recorded with it).
    pub fn with_upstreams(
        store: Arc<dyn TaskStore>,
        upstreams: Arc<dyn Upstreams>,
        config: EngineConfig,
    ) -> Arc<Self> {
        Arc::new(Engine {
            store,
            upstreams,
            config,
            running: Mutex::new(HashMap::new()),
            driver_done: tokio::sync::Notify::new(),
        })
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn TaskStore> {
        &self.store
    }

    /// The settings.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    fn running(&self) -> std::sync::MutexGuard<'_, HashMap<String, AbortHandle>> {
        // Only inserts and removes happen under this lock: a poisoned map is still consistent.
        self.running
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Appends through the store and counts the status transitions it made
    /// (`a2agw_task_transitions_total{state}`).
    async fn append(&self, task_id: &str, events: &[TaskEvent]) -> Result<TaskRecord, StoreError> {
        let rec = self.store.append(task_id, events).await?;
        for state in events.iter().filter_map(TaskEvent::new_state) {
            metrics::counter!("a2agw_task_transitions_total", "state" => state.as_str())
                .increment(1);
        }
        Ok(rec)
    }

    /// The provider that owns `record`: the one its recorded route names.
    fn owner_of(&self, record: &TaskRecord) -> Result<Arc<dyn Provider>, A2aError> {
        self.upstreams.resolve(&record.route()).ok_or_else(|| {
            A2aError::internal(format!(
                "the agent `{}` that runs task `{}` is not configured any more",
                record.agent, record.task.id
            ))
        })
    }

    async fn record(&self, scope: Scope<'_>, task_id: &str) -> Result<TaskRecord, A2aError> {
        self.store
            .get(scope, task_id)
            .await
            .map_err(store_error)?
            .ok_or_else(|| A2aError::task_not_found(task_id))
    }

    /// `SendMessage` for `owner` to `agent`: starts a new task, resumes an interrupted one,
    /// or returns the agent's direct reply. The request must have been validated.
    ///
    /// A new task is created with whatever the agent has ready at once (one write; an agent
    /// that answers at once gives a task that is already terminal).
    pub async fn send(
        self: &Arc<Self>,
        owner: &str,
        agent: &str,
        request: SendMessageRequest,
    ) -> Result<SendOutcome, A2aError> {
        self.send_with(owner, agent, request, true).await
    }

    /// `SendStreamingMessage`: [`Engine::send`], except that a new task is returned as
    /// created (SUBMITTED), and everything the agent sends reaches the stream as its own
    /// event after it.
    pub async fn send_streaming(
        self: &Arc<Self>,
        owner: &str,
        agent: &str,
        request: SendMessageRequest,
    ) -> Result<SendOutcome, A2aError> {
        self.send_with(owner, agent, request, false).await
    }

    async fn send_with(
        self: &Arc<Self>,
        owner: &str,
        agent: &str,
        request: SendMessageRequest,
        fold: bool,
    ) -> Result<SendOutcome, A2aError> {
        let scope = Scope::new(owner, agent);
        let outcome = if request.message.task_id.is_empty() {
            self.start_task(scope, request.clone(), fold).await?
        } else {
            // The task's own route, never the agent the request named: a task id of
            // another agent is not found in this scope.
            self.resume_task(scope, request.clone()).await?
        };
        if let (SendOutcome::Task(rec), Some(cfg)) = (
            &outcome,
            request
                .configuration
                .as_ref()
                .and_then(|c| c.task_push_notification_config.clone()),
        ) {
            self.create_push_config(
                scope,
                TaskPushNotificationConfig {
                    task_id: rec.task.id.clone(),
                    ..cfg
                },
            )
            .await?;
        }
        Ok(outcome)
    }

    async fn start_task(
        self: &Arc<Self>,
        scope: Scope<'_>,
        request: SendMessageRequest,
        fold: bool,
    ) -> Result<SendOutcome, A2aError> {
        let task_id = new_id();
        let mut message = request.message;
        let context_data = if message.context_id.is_empty() {
            message.context_id = new_id();
            None
        } else {
            self.context_data(scope, &message.context_id).await
        };
        let context_id = message.context_id.clone();
        message.task_id.clone_from(&task_id);
        let ctx = TaskContext {
            task_id: task_id.clone(),
            context_id: context_id.clone(),
            history: Vec::new(),
            state: TaskState::Unspecified,
            provider_data: None,
            context_data,
            accepted_output_modes: request
                .configuration
                .map(|c| c.accepted_output_modes)
                .unwrap_or_default(),
            metadata: request.metadata,
        };
        let agent = scope.agent;
        let (route, provider) = self
            .upstreams
            .start(agent, &ctx)
            .ok_or_else(|| A2aError::internal(format!("no agent named `{agent}` is configured")))?;
        // Run the provider first: a direct reply creates no task.
        let started = std::time::Instant::now();
        let (stream, first) = match provider.run(ctx.clone(), message.clone()).await {
            Ok(mut stream) => {
                let first = tokio::time::timeout(self.config.first_event_wait, stream.next())
                    .await
                    .ok()
                    .flatten();
                if first.is_some() {
                    metrics::histogram!("a2agw_provider_first_event_seconds", "provider" => provider.kind())
                        .record(started.elapsed().as_secs_f64());
                }
                if let Some(Ok(ProviderEvent::Reply(mut reply))) = first {
                    reply.context_id = context_id;
                    reply.task_id.clear();
                    if reply.message_id.is_empty() {
                        reply.message_id = new_id();
                    }
                    reply.role = Role::Agent;
                    return Ok(SendOutcome::Message(reply));
                }
                (Some(stream), first)
            }
            Err(e) => (None, Some(Err(e))),
        };
        let task = Task {
            id: task_id.clone(),
            context_id: context_id.clone(),
            status: TaskStatus::now(TaskState::Submitted),
            history: vec![message],
            ..Task::default()
        };
        let mut stream: EventStream = match stream {
            Some(s) => s,
            None => futures::stream::empty().boxed(),
        };
        // What the provider has ready now is written with the task, in the same commit:
        // an agent that answers at once costs one write, and no driver at all.
        let mut ready = Vec::new();
        let mut ended = false;
        let mut failed = None;
        match first {
            Some(Ok(first)) => {
                let last = matches!(
                    &first,
                    ProviderEvent::Status { state, .. } if state.is_terminal()
                );
                ready.push(first);
                while !last && ready.len() < 64 {
                    // A provider bug that panics here is the driver's to report: it gets
                    // the panic back as the stream's next item (and fails the task).
                    let next = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        stream.next().now_or_never()
                    }));
                    let next = match next {
                        Ok(next) => next,
                        Err(panic) => {
                            stream =
                                futures::stream::once(
                                    async move { std::panic::resume_unwind(panic) },
                                )
                                .boxed();
                            break;
                        }
                    };
                    match next {
                        Some(Some(Ok(ev))) => {
                            // What follows a final answer is dropped, as a driver drops it.
                            let last = matches!(&ev, ProviderEvent::Reply(_))
                                || matches!(
                                    &ev,
                                    ProviderEvent::Status { state, .. } if state.is_terminal()
                                );
                            ready.push(ev);
                            if last {
                                break;
                            }
                        }
                        Some(Some(Err(e))) => {
                            failed = Some(e);
                            break;
                        }
                        Some(None) => {
                            ended = true;
                            break;
                        }
                        None => break,
                    }
                }
            }
            Some(Err(e)) => failed = Some(e),
            None => {}
        }
        if ended {
            // Never polled again after its end (not every stream is fused).
            stream = futures::stream::empty().boxed();
        }
        if let Some(e) = failed {
            stream = futures::stream::iter([Err(e)]).chain(stream).boxed();
        }
        // Converted up front (only when they are to be written with the task); one that is
        // invalid leaves them all to the driver, which ends the task with the reason.
        let events: Vec<TaskEvent> = if fold {
            ready
                .iter()
                .map_while(|ev| self.to_task_events(&ctx, ev.clone()).ok())
                .collect()
        } else {
            Vec::new()
        };
        // The route is written with the task, in its `Created` event; the task is created
        // with this instance's lease and what the agent had ready, in one write.
        let folded = if events.is_empty() || events.len() < ready.len() {
            None
        } else {
            match self
                .store
                .create_leased(
                    scope.owner,
                    &route,
                    task.clone(),
                    &self.config.instance_id,
                    self.config.lease_ttl,
                    &events,
                )
                .instrument(task_span(&ctx, &route.agent, &*provider))
                .await
            {
                Ok(record) => Some(record),
                // One of them is illegal: nothing was written; the driver applies them in
                // its own batches and ends the task with the reason.
                Err(StoreError::Transition { .. }) => None,
                Err(e) => return Err(store_error(e)),
            }
        };
        let record = match folded {
            Some(record) => {
                for state in events.iter().filter_map(TaskEvent::new_state) {
                    metrics::counter!("a2agw_task_transitions_total", "state" => state.as_str())
                        .increment(1);
                }
                let state = record.task.status.state;
                if state.is_terminal() {
                    // Done already: nothing to drive (what else the stream holds is dropped,
                    // as a driver drops it after a terminal append).
                    metrics::histogram!("a2agw_provider_run_seconds", "provider" => provider.kind())
                        .record(started.elapsed().as_secs_f64());
                    return Ok(SendOutcome::Task(record));
                }
                self.spawn_driver(ctx, &route.agent, provider, stream, state);
                return Ok(SendOutcome::Task(record));
            }
            None => {
                stream = futures::stream::iter(ready.into_iter().map(Ok))
                    .chain(stream)
                    .boxed();
                self.store
                    .create_leased(
                        scope.owner,
                        &route,
                        task,
                        &self.config.instance_id,
                        self.config.lease_ttl,
                        &[],
                    )
                    .await
                    .map_err(store_error)?
            }
        };
        self.spawn_driver(ctx, &route.agent, provider, stream, TaskState::Submitted);
        Ok(SendOutcome::Task(record))
    }

    /// What the provider saved with the scope's latest COMPLETED task in `context_id`: the
    /// upstream conversation a new task of that context continues. Scoped (another
    /// caller's tasks, and other agents' tasks, are never looked at); a store failure only
    /// means a fresh conversation.
    async fn context_data(&self, scope: Scope<'_>, context_id: &str) -> Option<serde_json::Value> {
        let request = ListTasksRequest {
            context_id: context_id.to_owned(),
            status: TaskState::Completed,
            page_size: Some(1),
            ..ListTasksRequest::default()
        };
        let latest = match self.store.list(scope, &request).await {
            Ok(page) => page.tasks.into_iter().next()?,
            Err(e) => {
                tracing::warn!(error = %e, "reading the context's latest task failed; starting a new conversation");
                return None;
            }
        };
        self.store.get(scope, &latest.id).await.ok()??.provider_data
    }

    async fn resume_task(
        self: &Arc<Self>,
        scope: Scope<'_>,
        request: SendMessageRequest,
    ) -> Result<SendOutcome, A2aError> {
        let mut message = request.message;
        let mut record = self.record(scope, &message.task_id).await?;
        if record.task.status.state.is_interrupted() && self.wait_driver(&record.task.id).await {
            // The run that asked has finished meanwhile: read what it left.
            record = self.record(scope, &message.task_id).await?;
        }
        // Resumed where it runs: the upstream that holds the task's session.
        let provider = self.owner_of(&record)?;
        let task = &record.task;
        if !message.context_id.is_empty() && message.context_id != task.context_id {
            return Err(A2aError::invalid_params(vec![FieldViolation::new(
                "message.contextId",
                format!(
                    "`{}` is not the context of task `{}`",
                    message.context_id, task.id
                ),
            )]));
        }
        let state = task.status.state;
        if state.is_terminal() {
            return Err(A2aError::unsupported(format!(
                "Task `{}` is {state} and cannot be continued; send a new message without `taskId` \
                 (same `contextId`) to start a new task",
                task.id
            ))
            .with_metadata("taskId", task.id.clone()));
        }
        if !state.is_interrupted() || self.running().contains_key(&task.id) {
            return Err(A2aError::unsupported(format!(
                "Task `{}` is {state}: it accepts a message only when it asks for input or authorization",
                task.id
            ))
            .with_metadata("taskId", task.id.clone()));
        }
        if !self
            .store
            .try_lease(&task.id, &self.config.instance_id, self.config.lease_ttl)
            .await
            .map_err(store_error)?
        {
            return Err(A2aError::unsupported(format!(
                "Task `{}` is being resumed by another request",
                task.id
            )));
        }
        message.context_id.clone_from(&task.context_id);
        let ctx = TaskContext {
            task_id: task.id.clone(),
            context_id: task.context_id.clone(),
            history: task.history.clone(),
            state,
            provider_data: record.provider_data.clone(),
            context_data: None,
            accepted_output_modes: request
                .configuration
                .map(|c| c.accepted_output_modes)
                .unwrap_or_default(),
            metadata: request.metadata,
        };
        let resumed = self
            .append(
                &task.id,
                &[
                    TaskEvent::UserMessage {
                        message: message.clone(),
                    },
                    status_event(TaskState::Working, None),
                ],
            )
            .await;
        let resumed = match resumed {
            Ok(r) => r,
            Err(e) => {
                // Changed meanwhile (e.g. canceled): give the lease back, nothing runs.
                let _ = self
                    .store
                    .release_lease(&task.id, &self.config.instance_id)
                    .await;
                return Err(store_error(e));
            }
        };
        let stream = match provider.run(ctx.clone(), message).await {
            Ok(s) => s,
            Err(e) => futures::stream::iter([Err(e)]).boxed(),
        };
        let state = resumed.task.status.state;
        self.spawn_driver(ctx, &record.agent, provider, stream, state);
        Ok(SendOutcome::Task(resumed))
    }

    /// When a driver of `task_id` is running here, waits (at most `resume_wait`) for it to
    /// end; true if one was running and has ended.
    async fn wait_driver(&self, task_id: &str) -> bool {
        let deadline = tokio::time::Instant::now() + self.config.resume_wait;
        let mut waited = false;
        loop {
            // Created before the check, so a driver ending in between still wakes it.
            let ended = self.driver_done.notified();
            if !self.running().contains_key(task_id) {
                return waited;
            }
            waited = true;
            if tokio::time::timeout_at(deadline, ended).await.is_err() {
                return false;
            }
        }
    }

    fn spawn_driver(
        self: &Arc<Self>,
        ctx: TaskContext,
        agent: &str,
        provider: Arc<dyn Provider>,
        stream: EventStream,
        state: TaskState,
    ) {
        let engine = Arc::clone(self);
        let task_id = ctx.task_id.clone();
        // Hold the map lock across spawn + insert so the driver's own removal comes after.
        let mut running = self.running();
        let span = task_span(&ctx, agent, &*provider);
        let handle = tokio::spawn(async move {
            let id = ctx.task_id.clone();
            let kind = provider.kind();
            let started = std::time::Instant::now();
            let mut reached = state;
            let driven = std::panic::AssertUnwindSafe(
                engine
                    .drive(ctx.clone(), provider, stream, &mut reached)
                    .instrument(span),
            )
            .catch_unwind()
            .await;
            if driven.is_err() {
                // A bug in a provider (or here) must not wedge the task: it fails, and the
                // lease and the running slot are given back below.
                tracing::error!(task_id = %id, "the task driver panicked");
                engine
                    .finish(
                        &ctx,
                        TaskState::Failed,
                        "The gateway hit an internal error while running the agent".into(),
                    )
                    .await;
            }
            metrics::histogram!("a2agw_provider_run_seconds", "provider" => kind)
                .record(started.elapsed().as_secs_f64());
            // An append that ended the task gave its lease up with it (`TaskStore::append`).
            if driven.is_err() || !reached.is_terminal() {
                let _ = engine
                    .store
                    .release_lease(&id, &engine.config.instance_id)
                    .await;
            }
            engine.running().remove(&id);
            engine.driver_done.notify_waiters();
        });
        running.insert(task_id, handle.abort_handle());
    }

    /// Ends the task in `state` with an explanatory agent message, unless it already ended.
    async fn finish(&self, ctx: &TaskContext, state: TaskState, text: String) {
        tracing::info!(task_id = %ctx.task_id, %state, reason = %text, "task ended by the engine");
        let msg = agent_message(&ctx.task_id, &ctx.context_id, text);
        match self
            .append(&ctx.task_id, &[status_event(state, Some(msg))])
            .await
        {
            Ok(_) | Err(StoreError::Transition { .. }) => {}
            Err(e) => {
                tracing::error!(task_id = %ctx.task_id, error = %e, "could not record the end of a task")
            }
        }
    }

    fn to_task_events(&self, ctx: &TaskContext, event: ProviderEvent) -> Result<TaskEvent, String> {
        Ok(match event {
            ProviderEvent::Status { state, message } => {
                let message = message.map(|mut m| {
                    m.task_id.clone_from(&ctx.task_id);
                    m.context_id.clone_from(&ctx.context_id);
                    if m.message_id.is_empty() {
                        m.message_id = new_id();
                    }
                    if m.role == Role::Unspecified {
                        m.role = Role::Agent;
                    }
                    m
                });
                status_event(state, message)
            }
            ProviderEvent::Artifact {
                artifact,
                append,
                last_chunk,
            } => {
                if artifact.artifact_id.is_empty() {
                    return Err("an artifact update without an artifactId".into());
                }
                TaskEvent::Artifact {
                    artifact,
                    append,
                    last_chunk,
                    metadata: None,
                }
            }
            // A direct reply after the task exists completes it with that message.
            ProviderEvent::Reply(m) => {
                let m = Message {
                    task_id: ctx.task_id.clone(),
                    context_id: ctx.context_id.clone(),
                    role: Role::Agent,
                    ..m
                };
                status_event(TaskState::Completed, Some(m))
            }
            ProviderEvent::SaveData(data) => TaskEvent::ProviderData { data },
        })
    }

    /// Ends the task after a provider error: REJECTED for a refusal (where legal), FAILED
    /// otherwise, with what happened.
    async fn fail_with(
        &self,
        ctx: &TaskContext,
        state: TaskState,
        e: a2agw_provider::ProviderError,
    ) {
        let (st, what) = match e.kind {
            ProviderErrorKind::Rejected => (TaskState::Rejected, "The agent refused the task"),
            ProviderErrorKind::Timeout => (TaskState::Failed, "The agent timed out"),
            ProviderErrorKind::Unavailable => (TaskState::Failed, "The agent is unavailable"),
            ProviderErrorKind::Malformed => {
                (TaskState::Failed, "The agent sent an invalid response")
            }
            _ => (TaskState::Failed, "The agent failed"),
        };
        let st = if crate::machine::is_legal(state, st) {
            st
        } else {
            TaskState::Failed
        };
        self.finish(ctx, st, format!("{what}: {e}")).await;
    }

    /// Runs the provider's stream into the task's log; `reached` is the state of the last
    /// successful append.
    async fn drive(
        &self,
        ctx: TaskContext,
        provider: Arc<dyn Provider>,
        stream: EventStream,
        reached: &mut TaskState,
    ) {
        // Fused: the batching below may see the end first, and the loop then asks again.
        let mut stream = stream.fuse();
        let ttl = self.config.lease_ttl;
        // The first renewal a third of the lease from now. Not `interval()` + a first
        // `tick().await`: tokio rounds a timer up to its next millisecond tick, so that
        // "immediate" first tick parked every task's driver for up to 1 ms before its
        // first event (measured: most of a blocking SendMessage's latency).
        let mut heartbeat =
            tokio::time::interval_at(tokio::time::Instant::now() + ttl / 3, ttl / 3);
        heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut state = *reached;
        // An error the batching below took from the stream, handled as the next item.
        let mut carried = None;
        loop {
            if let Some(e) = carried.take() {
                self.fail_with(&ctx, state, e).await;
                return;
            }
            let item = tokio::select! {
                item = tokio::time::timeout(self.config.idle_timeout, stream.next()) => item,
                _ = heartbeat.tick() => {
                    match self.store.try_lease(&ctx.task_id, &self.config.instance_id, ttl).await {
                        Ok(true) => {}
                        Ok(false) => {
                            tracing::warn!(task_id = %ctx.task_id, "lease taken over by another instance; stopping");
                            return;
                        }
                        Err(e) => tracing::warn!(task_id = %ctx.task_id, error = %e, "lease renewal failed"),
                    }
                    continue;
                }
            };
            let first = match item {
                Err(_) => {
                    let _ = provider.cancel(ctx.clone()).await;
                    let secs = self.config.idle_timeout.as_secs();
                    self.finish(
                        &ctx,
                        TaskState::Failed,
                        format!("The agent sent nothing for {secs} s; the task was stopped"),
                    )
                    .await;
                    return;
                }
                Ok(None) => {
                    if crate::store::is_active(state) {
                        self.finish(
                            &ctx,
                            TaskState::Failed,
                            "The agent stopped before the task reached a final state".into(),
                        )
                        .await;
                    }
                    return;
                }
                Ok(Some(Err(e))) => {
                    self.fail_with(&ctx, state, e).await;
                    return;
                }
                Ok(Some(Ok(ev))) => ev,
            };
            // Batch whatever else is ready into the same append.
            let mut events = Vec::with_capacity(8);
            let mut pending = Some(first);
            while let Some(ev) = pending.take() {
                match self.to_task_events(&ctx, ev) {
                    Ok(te) => events.push(te),
                    Err(why) => {
                        self.finish(
                            &ctx,
                            TaskState::Failed,
                            format!("The agent sent an invalid update: {why}"),
                        )
                        .await;
                        return;
                    }
                }
                // A terminal event ends the batch, as it ends the task: what follows it
                // is dropped, as it would be event by event.
                if events
                    .last()
                    .and_then(TaskEvent::new_state)
                    .is_some_and(TaskState::is_terminal)
                {
                    break;
                }
                if events.len() < 64 {
                    match stream.next().now_or_never() {
                        Some(Some(Ok(next))) => pending = Some(next),
                        // Reported after the batch is written, as the next item.
                        Some(Some(Err(e))) => carried = Some(e),
                        _ => {}
                    }
                }
            }
            match self.append(&ctx.task_id, &events).await {
                Ok(rec) => {
                    state = rec.task.status.state;
                    *reached = state;
                }
                Err(StoreError::Transition {
                    source: TransitionError::Terminal { .. },
                    ..
                }) => {
                    // Canceled (or ended) meanwhile, possibly by another instance.
                    let _ = provider.cancel(ctx.clone()).await;
                    return;
                }
                Err(StoreError::Transition { source, .. }) => {
                    let _ = provider.cancel(ctx.clone()).await;
                    self.finish(
                        &ctx,
                        TaskState::Failed,
                        format!("The agent sent an invalid update: {source}"),
                    )
                    .await;
                    return;
                }
                Err(e) => {
                    tracing::error!(task_id = %ctx.task_id, error = %e, "append failed; stopping the task");
                    let _ = provider.cancel(ctx.clone()).await;
                    self.finish(
                        &ctx,
                        TaskState::Failed,
                        "The gateway could not record the agent's progress".into(),
                    )
                    .await;
                    return;
                }
            }
            if state.is_terminal() {
                return;
            }
        }
    }

    /// `GetTask`.
    pub async fn get_task(
        &self,
        scope: Scope<'_>,
        request: &GetTaskRequest,
    ) -> Result<Task, A2aError> {
        let mut task = self.record(scope, &request.id).await?.task;
        task.truncate_history(request.history_length);
        Ok(task)
    }

    /// `ListTasks` (the request must have been validated).
    pub async fn list_tasks(
        &self,
        scope: Scope<'_>,
        request: &ListTasksRequest,
    ) -> Result<ListTasksResponse, A2aError> {
        self.store.list(scope, request).await.map_err(store_error)
    }

    /// `CancelTask`: stops the provider and ends the task CANCELED. Canceling a canceled
    /// task returns it unchanged; any other terminal state is `TaskNotCancelable`.
    pub async fn cancel_task(
        &self,
        scope: Scope<'_>,
        request: &CancelTaskRequest,
    ) -> Result<Task, A2aError> {
        let record = self.record(scope, &request.id).await?;
        let state = record.task.status.state;
        if state == TaskState::Canceled {
            return Ok(record.task);
        }
        let not_cancelable = |state: TaskState| {
            A2aError::new(
                ErrorCode::TaskNotCancelable,
                format!("Task `{}` is {state} and cannot be canceled", request.id),
            )
            .with_metadata("taskId", request.id.clone())
        };
        if state.is_terminal() {
            return Err(not_cancelable(state));
        }
        if let Some(h) = self.running().remove(&request.id) {
            h.abort();
        }
        let ctx = TaskContext {
            task_id: record.task.id.clone(),
            context_id: record.task.context_id.clone(),
            history: record.task.history.clone(),
            state,
            provider_data: record.provider_data.clone(),
            ..TaskContext::default()
        };
        if let Ok(p) = self.owner_of(&record)
            && let Err(e) = p.cancel(ctx).await
        {
            tracing::warn!(task_id = %request.id, error = %e, "provider cancel failed; canceling the task anyway");
        }
        let msg = agent_message(
            &record.task.id,
            &record.task.context_id,
            "Canceled at the client's request",
        );
        let result = self
            .append(&request.id, &[status_event(TaskState::Canceled, Some(msg))])
            .await;
        let _ = self
            .store
            .release_lease(&request.id, &self.config.instance_id)
            .await;
        match result {
            Ok(rec) => Ok(rec.task),
            Err(StoreError::Transition { .. }) => {
                let now = self.record(scope, &request.id).await?.task;
                if now.status.state == TaskState::Canceled {
                    Ok(now)
                } else {
                    Err(not_cancelable(now.status.state))
                }
            }
            Err(e) => Err(store_error(e)),
        }
    }

    /// The task's client-visible events after `after_seq` (replayed, then live), ending
    /// after a terminal status, each with the task's ids (`context_id` is the task's).
    /// The caller must own the task.
    pub fn follow(&self, task_id: &str, context_id: &str, after_seq: u64) -> TaskEventStream {
        let (task_id, context_id) = (task_id.to_owned(), context_id.to_owned());
        subscribe(Arc::clone(&self.store), &task_id, after_seq)
            .filter_map(move |r| {
                let response = match r {
                    Ok(StoredEvent { seq, event }) => event
                        .to_stream_response(&task_id, &context_id)
                        .map(|e| Ok((seq, e))),
                    Err(e) => Some(Err(store_error(e))),
                };
                futures::future::ready(response)
            })
            .boxed()
    }

    /// The stream of a `SendStreamingMessage`: the task as created or resumed, then its
    /// later events.
    pub fn stream_after_send(&self, record: &TaskRecord) -> TaskEventStream {
        let snapshot = futures::stream::iter([Ok((
            record.last_seq,
            StreamResponse::Task(record.task.clone()),
        ))]);
        snapshot
            .chain(self.follow(&record.task.id, &record.task.context_id, record.last_seq))
            .boxed()
    }

    /// `SubscribeToTask`: the current task first, then its later events. With
    /// `last_event_id` (a reconnecting SSE client), the events after it instead.
    pub async fn subscribe_task(
        &self,
        scope: Scope<'_>,
        task_id: &str,
        last_event_id: Option<u64>,
    ) -> Result<TaskEventStream, A2aError> {
        let record = self.record(scope, task_id).await?;
        match last_event_id {
            Some(after) if after < record.last_seq || !record.task.status.state.is_terminal() => {
                Ok(self.follow(task_id, &record.task.context_id, after))
            }
            Some(_) => Ok(futures::stream::empty().boxed()),
            None => {
                let state = record.task.status.state;
                if state.is_terminal() {
                    return Err(A2aError::unsupported(format!(
                        "Task `{task_id}` is {state}: there is nothing to subscribe to; use GetTask"
                    ))
                    .with_metadata("taskId", task_id));
                }
                Ok(self.stream_after_send(&record))
            }
        }
    }

    /// Waits until the task is terminal or interrupted (blocking `SendMessage`), then
    /// returns it with `history_length` applied.
    pub async fn wait_settled(
        &self,
        scope: Scope<'_>,
        record: &TaskRecord,
        history_length: Option<i32>,
    ) -> Result<Task, A2aError> {
        let id = &record.task.id;
        // Subscribed before the first read: an append after it wakes us up. Only the
        // task's snapshot is read (once now, once per append announced), not its log.
        let mut rx = self.store.watch();
        let mut current = if is_settled(record.task.status.state) {
            record.clone()
        } else {
            self.record(scope, id).await?
        };
        while !is_settled(current.task.status.state) {
            let deadline = tokio::time::sleep(crate::subscribe::POLL_INTERVAL);
            tokio::pin!(deadline);
            loop {
                tokio::select! {
                    r = rx.recv() => match r {
                        Ok(a) if a.task_id == *id && a.last_seq > current.last_seq => break,
                        Ok(_) => {}
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => break,
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => {
                            (&mut deadline).await;
                            break;
                        }
                    },
                    () = &mut deadline => break,
                }
            }
            current = self.record(scope, id).await?;
        }
        let mut task = current.task;
        task.truncate_history(history_length);
        Ok(task)
    }

    /// `CreateTaskPushNotificationConfig`: assigns an id when absent.
    pub async fn create_push_config(
        &self,
        scope: Scope<'_>,
        mut config: TaskPushNotificationConfig,
    ) -> Result<TaskPushNotificationConfig, A2aError> {
        self.record(scope, &config.task_id).await?;
        if config.id.is_empty() {
            config.id = new_id();
        }
        self.store
            .put_push_config(&config)
            .await
            .map_err(store_error)?;
        Ok(config)
    }

    /// `GetTaskPushNotificationConfig`; an empty `id` (0.3 callers) means the task's first config.
    pub async fn get_push_config(
        &self,
        scope: Scope<'_>,
        task_id: &str,
        id: &str,
    ) -> Result<TaskPushNotificationConfig, A2aError> {
        self.record(scope, task_id).await?;
        let found = if id.is_empty() {
            self.store
                .list_push_configs(task_id)
                .await
                .map_err(store_error)?
                .into_iter()
                .next()
        } else {
            self.store
                .get_push_config(task_id, id)
                .await
                .map_err(store_error)?
        };
        found.ok_or_else(|| {
            A2aError::new(
                ErrorCode::TaskNotFound,
                format!("Push notification config `{id}` not found for task `{task_id}`"),
            )
            .with_metadata("taskId", task_id)
            .with_metadata("configId", id)
        })
    }

    /// `ListTaskPushNotificationConfigs`.
    pub async fn list_push_configs(
        &self,
        scope: Scope<'_>,
        task_id: &str,
    ) -> Result<Vec<TaskPushNotificationConfig>, A2aError> {
        self.record(scope, task_id).await?;
        self.store
            .list_push_configs(task_id)
            .await
            .map_err(store_error)
    }

    /// `DeleteTaskPushNotificationConfig` (idempotent: deleting twice succeeds).
    pub async fn delete_push_config(
        &self,
        scope: Scope<'_>,
        task_id: &str,
        id: &str,
    ) -> Result<(), A2aError> {
        self.record(scope, task_id).await?;
        self.store
            .delete_push_config(task_id, id)
            .await
            .map_err(store_error)?;
        Ok(())
    }

    /// Takes over tasks that no live instance drives (lease expired or never taken, and
    /// older than a lease): resumes them when their provider can, fails them otherwise.
    /// Returns how many were taken over.
    pub async fn recover_orphans(self: &Arc<Self>) -> Result<usize, A2aError> {
        let ids = self.store.orphaned(64).await.map_err(store_error)?;
        let now = Timestamp::now().unix_millis();
        let ttl_ms = i64::try_from(self.config.lease_ttl.as_millis()).unwrap_or(i64::MAX);
        let mut taken = 0;
        for id in ids {
            if self.running().contains_key(&id) {
                continue;
            }
            let Some(owner) = self.store.owner(&id).await.map_err(store_error)? else {
                continue;
            };
            let Some(record) = self
                .store
                .get(owner.scope(), &id)
                .await
                .map_err(store_error)?
            else {
                continue;
            };
            if now.saturating_sub(status_millis(&record.task)) < ttl_ms {
                continue; // just created: its creator is about to lease it
            }
            if !self
                .store
                .try_lease(&id, &self.config.instance_id, self.config.lease_ttl)
                .await
                .map_err(store_error)?
            {
                continue;
            }
            taken += 1;
            let ctx = TaskContext {
                task_id: id.clone(),
                context_id: record.task.context_id.clone(),
                history: record.task.history.clone(),
                state: record.task.status.state,
                provider_data: record.provider_data.clone(),
                ..TaskContext::default()
            };
            let stream = match self.owner_of(&record) {
                Ok(p) => match p.recover(ctx.clone()).await {
                    Ok(Some(s)) => Some((p, s)),
                    Ok(None) => None,
                    Err(e) => {
                        tracing::warn!(task_id = %id, error = %e, "provider could not recover the task");
                        None
                    }
                },
                Err(_) => None,
            };
            match stream {
                Some((p, s)) => {
                    tracing::info!(task_id = %id, "resuming a task whose gateway instance stopped");
                    self.spawn_driver(ctx, &record.agent, p, s, record.task.status.state);
                }
                None => {
                    self.finish(
                        &ctx,
                        TaskState::Failed,
                        "The gateway instance running this task stopped before it finished, and the agent cannot \
                         resume it; send the request again"
                            .into(),
                    )
                    .await;
                    let _ = self
                        .store
                        .release_lease(&id, &self.config.instance_id)
                        .await;
                }
            }
        }
        Ok(taken)
    }

    /// Starts the background recovery loop (first pass at once). Stops when the engine is dropped.
    pub fn start(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let weak = Arc::downgrade(self);
        let every = self.config.recovery_interval;
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                let Some(engine) = weak.upgrade() else { return };
                if let Err(e) = engine.recover_orphans().await {
                    tracing::warn!(error = %e, "orphan recovery pass failed");
                }
            }
        })
    }

    /// Number of tasks this instance is driving now.
    pub fn running_count(&self) -> usize {
        self.running().len()
    }
}
