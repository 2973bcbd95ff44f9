//! `TaskStore`: the durable home of tasks, their event logs, push configs and leases.
//!
//! Backends: [`MemoryStore`] (feature `memory`), `SqliteStore` (feature `sqlite`, the
//! embedded default), `PostgresStore` (feature `postgres`, several gateway instances).
//! All pass one conformance suite (`tests/it/conformance.rs`).
//!
//! # Invariants every backend keeps
//! - An event and the snapshot it produces are written in one transaction; the snapshot
//!   always equals the fold of the log ([`crate::machine::fold`]).
//! - Sequence numbers are per task, start at 1 and have no gaps.
//! - [`TaskStore::append`] applies each event through [`crate::machine::apply`]; if any is
//!   illegal nothing is written.
//! - Reads on behalf of a client name a [`Scope`] (owner and agent) and return nothing
//!   for a task of another owner or another agent.
//! - A task's route (its agent) is written with it by [`TaskStore::create`], in the
//!   `Created` event, and never changes.
//! - Every successful append is announced on [`TaskStore::watch`] after it is durable,
//!   on every instance sharing the store.
//! - Every push config has a delivery cursor ([`TaskStore::set_push_cursor`]): the
//!   sequence number of the last event of its task handled by push delivery. It starts at 0
//!   (so a config given with the message that created the task still gets the task's first
//!   events), only moves forward, never past the task's last event, survives restarts, is
//!   kept when the config is replaced and goes with the config when it is deleted.
//! - A push config has at most one live delivery claim ([`TaskStore::try_claim_push`]),
//!   so that instances sharing the store never deliver one config at the same time. Like a
//!   task lease it expires (by the database's clock where there is one), is taken or
//!   renewed in one atomic step, is kept when the config is replaced and goes with the
//!   config when it is deleted.
//! - Agents registered at run time ([`TaskStore::put_agent`]) are kept by name, each with
//!   a version: 1 when created, +1 on every update. A create of an existing name fails with
//!   [`StoreError::AlreadyExists`], an update or a delete naming another version than the
//!   stored one with [`StoreError::Conflict`], so of writers racing on one name with the
//!   same expectation exactly one wins. The document is stored as given (compact JSON) and
//!   never interpreted.
//! - The registry revision ([`TaskStore::agents_revision`]) increases with every successful
//!   agent write or delete, in the same transaction as it, on every instance sharing the
//!   store; reads and refused or no-op writes (a delete that finds nothing) leave it
//!   unchanged. [`TaskStore::list_agents`] returns the agents with the revision they were
//!   read at, from one consistent read: a reader that then polls the revision and sees it
//!   unchanged has missed no write.

use crate::machine::{TaskEvent, TaskRecord, TransitionError};
use a2agw_provider::Route;
use a2agw_types::{
    ListTasksRequest, ListTasksResponse, Task, TaskPushNotificationConfig, TaskState, Timestamp,
};
use std::fmt::Debug;
use std::time::Duration;
use tokio::sync::broadcast;

#[cfg(feature = "memory")]
mod memory;
mod page;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "sqlite")]
mod sqlite;
#[cfg(feature = "memory")]
pub use memory::MemoryStore;
pub use page::{PageCursor, shape_task};
#[cfg(feature = "postgres")]
pub use postgres::{PostgresOptions, PostgresStore};
#[cfg(feature = "sqlite")]
pub use sqlite::{SqliteStore, Synchronous};

/// Whose tasks, at which agent: every read on behalf of a client names both, and a task
/// of another owner or of another agent is indistinguishable from a missing one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scope<'a> {
    /// The principal that created the tasks.
    pub owner: &'a str,
    /// The agent that runs them.
    pub agent: &'a str,
}

impl<'a> Scope<'a> {
    /// `owner`'s tasks at `agent`.
    pub fn new(owner: &'a str, agent: &'a str) -> Self {
        Scope { owner, agent }
    }
}

/// Who a task belongs to (internal reads: recovery, push delivery, subscriptions).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskOwner {
    /// The principal that created it.
    pub owner: String,
    /// The agent that runs it.
    pub agent: String,
}

impl TaskOwner {
    /// The scope that reads the task.
    pub fn scope(&self) -> Scope<'_> {
        Scope::new(&self.owner, &self.agent)
    }
}

/// One event of a task's log with its sequence number.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredEvent {
    /// Per-task sequence number, from 1.
    pub seq: u64,
    /// The event.
    pub event: TaskEvent,
}

/// Announcement of an append: the task and its new last sequence number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Appended {
    /// The task.
    pub task_id: String,
    /// Its last sequence number after the append.
    pub last_seq: u64,
}

/// A push config whose delivery cursor is behind its task's log
/// ([`TaskStore::push_backlog`]).
#[derive(Clone, Debug, PartialEq)]
pub struct PushBacklog {
    /// The config (with its secrets: never log it other than through `Debug`, which
    /// redacts them).
    pub config: TaskPushNotificationConfig,
    /// Its cursor: events with a sequence number up to this one were handled.
    pub delivered_seq: u64,
    /// The task's last sequence number (greater than `delivered_seq`).
    pub last_seq: u64,
}

/// An agent registered at run time (the admin API), as the store keeps it. The store does
/// not interpret `doc`.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredAgent {
    /// Its name (primary key).
    pub name: String,
    /// 1 when created, +1 on every update (optimistic concurrency).
    pub version: i64,
    /// The registration document: a JSON object, opaque to the store.
    pub doc: serde_json::Value,
    /// When it was created (Unix milliseconds; the database clock where there is one, else
    /// the process clock).
    pub created_ms: i64,
    /// When it was last written (Unix milliseconds, the same clock as `created_ms`).
    pub updated_ms: i64,
}

/// Store failures.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// No such task (for this caller).
    #[error("task `{0}` not found")]
    NotFound(String),
    /// A task with this id exists already.
    #[error("task `{0}` already exists")]
    AlreadyExists(String),
    /// The state machine refused an event; nothing was written.
    #[error("task `{task_id}`: {source}")]
    Transition {
        /// The task.
        task_id: String,
        /// Why.
        #[source]
        source: TransitionError,
    },
    /// A write expected another version of the record than the stored one (optimistic
    /// concurrency: someone else wrote it meanwhile); nothing was written.
    #[error("conflict: {0}")]
    Conflict(String),
    /// A `ListTasks` page token that this store did not issue.
    #[error("invalid page token")]
    InvalidPageToken,
    /// The backend failed (I/O, connection, corruption).
    #[error("storage backend: {0}")]
    Backend(String),
}

/// [`StoreError::NotFound`] for a push config: reads "task `t` push config `c` not found".
#[cfg_attr(
    not(any(feature = "memory", feature = "sqlite", feature = "postgres")),
    allow(dead_code)
)]
pub(crate) fn push_config_not_found(task_id: &str, config_id: &str) -> StoreError {
    StoreError::NotFound(format!("{task_id}` push config `{config_id}"))
}

/// [`StoreError::Conflict`] for an agent written or deleted at a version it no longer has.
#[cfg_attr(
    not(any(feature = "memory", feature = "sqlite", feature = "postgres")),
    allow(dead_code)
)]
pub(crate) fn agent_conflict(name: &str, expected: i64, stored: i64) -> StoreError {
    StoreError::Conflict(format!(
        "agent `{name}` is at version {stored}, not the expected version {expected}"
    ))
}

/// A new task's log — its `Created` event (recording `route`), then `events` — each
/// applied through the state machine, and the record after it. Nothing is written; an
/// illegal event is the error.
pub(crate) fn fold_created(
    route: &Route,
    task: Task,
    events: &[TaskEvent],
) -> StoreResult<(Vec<TaskEvent>, TaskRecord)> {
    let id = task.id.clone();
    let mut log = Vec::with_capacity(1 + events.len());
    log.push(TaskEvent::created(task, route));
    log.extend(events.iter().cloned());
    let mut record = TaskRecord::default();
    for e in &log {
        record = crate::machine::apply(&record, e).map_err(|source| StoreError::Transition {
            task_id: id.clone(),
            source,
        })?;
    }
    Ok((log, record))
}

/// The result type of stores.
pub type StoreResult<T> = std::result::Result<T, StoreError>;

/// Durable storage of tasks. See the module docs for the invariants.
#[async_trait::async_trait]
pub trait TaskStore: Send + Sync + Debug + 'static {
    /// Creates `task` for `owner`, run at `route`; its `Created` event, which records the
    /// route, gets sequence number 1.
    async fn create(&self, owner: &str, route: &Route, task: Task) -> StoreResult<TaskRecord>;

    /// [`TaskStore::create`] with `holder` holding the new task's lease for `ttl`, and
    /// `events` appended after the `Created` event, all in one write (what the engine does
    /// for every task it starts: when the agent answers at once, one commit per task).
    /// Each event is applied through the state machine; if one is illegal, nothing is
    /// written. Events that end the task give the lease up, as [`TaskStore::append`] does.
    ///
    /// The default validates everything first, then creates and appends (two writes);
    /// the built-in stores do it in one.
    async fn create_leased(
        &self,
        owner: &str,
        route: &Route,
        task: Task,
        holder: &str,
        ttl: Duration,
        events: &[TaskEvent],
    ) -> StoreResult<TaskRecord> {
        fold_created(route, task.clone(), events)?;
        let record = self.create(owner, route, task).await?;
        self.try_lease(&record.task.id, holder, ttl).await?;
        if events.is_empty() {
            return Ok(record);
        }
        self.append(&record.task.id, events).await
    }

    /// Appends `events` to the task's log in one transaction, each applied through the
    /// state machine, and returns the new snapshot. Nothing is written if one is illegal.
    /// An append that ends the task (a terminal state) also gives its lease up, in the same
    /// write: nobody drives a finished task.
    async fn append(&self, task_id: &str, events: &[TaskEvent]) -> StoreResult<TaskRecord>;

    /// The task, if it exists in `scope` (its owner and agent).
    async fn get(&self, scope: Scope<'_>, task_id: &str) -> StoreResult<Option<TaskRecord>>;

    /// The owner and agent of a task (internal use: recovery, push delivery).
    async fn owner(&self, task_id: &str) -> StoreResult<Option<TaskOwner>>;

    /// The tasks of `scope` matching the request's filters, most recent status first, one
    /// page. `historyLength` and `includeArtifacts` are applied; the request must be
    /// validated.
    async fn list(
        &self,
        scope: Scope<'_>,
        request: &ListTasksRequest,
    ) -> StoreResult<ListTasksResponse>;

    /// Events of the task with sequence number > `after_seq`, in order, at most `limit`.
    async fn events_after(
        &self,
        task_id: &str,
        after_seq: u64,
        limit: usize,
    ) -> StoreResult<Vec<StoredEvent>>;

    /// A receiver of every append announcement (all tasks), from this and other instances.
    ///
    /// This instance's own appends are announced exactly once each, in commit order, before
    /// `append`/`create` returns (so a receiver opened after an append returned never sees
    /// it). Other instances' appends arrive as they are notified; notifications lost while a
    /// backend's listener reconnects are not replayed, so subscribers also re-read the log
    /// periodically (see [`crate::subscribe`](mod@crate::subscribe)).
    fn watch(&self) -> broadcast::Receiver<Appended>;

    /// Stores a push config (the id must be set; an existing one with the same id is replaced).
    async fn put_push_config(&self, config: &TaskPushNotificationConfig) -> StoreResult<()>;

    /// One push config of a task.
    async fn get_push_config(
        &self,
        task_id: &str,
        id: &str,
    ) -> StoreResult<Option<TaskPushNotificationConfig>>;

    /// All push configs of a task, ordered by id.
    async fn list_push_configs(
        &self,
        task_id: &str,
    ) -> StoreResult<Vec<TaskPushNotificationConfig>>;

    /// Deletes a push config (and its delivery cursor); `false` when there was none.
    async fn delete_push_config(&self, task_id: &str, id: &str) -> StoreResult<bool>;

    /// Moves the delivery cursor of push config `config_id` of `task_id` to
    /// `delivered_seq`: push delivery has handled (delivered, given up on, or skipped as
    /// not client-visible) every event up to it.
    ///
    /// The cursor is monotonic: a value below the current one leaves it unchanged (two
    /// deliverers racing cannot move it back), and a value past the task's last sequence
    /// number is lowered to it (a cursor can never skip events not yet written).
    /// [`StoreError::NotFound`] when the config does not exist (deleted meanwhile).
    ///
    /// A new config's cursor is 0, not the task's last sequence number at creation: a
    /// config given inline with the `SendMessage` that created the task is stored after the
    /// task's first events, and must still receive them (conformance checklist item 24);
    /// a config created later on a running task receives the task's history the same way.
    /// Replacing a config ([`TaskStore::put_push_config`] with an existing id) keeps its
    /// cursor.
    async fn set_push_cursor(
        &self,
        task_id: &str,
        config_id: &str,
        delivered_seq: u64,
    ) -> StoreResult<()>;

    /// Push configs whose cursor is behind their task's last sequence number and that
    /// `holder` may deliver — no live claim of another holder ([`TaskStore::try_claim_push`]):
    /// unclaimed, claimed by `holder`, or whose claim has expired —, ordered by task id then
    /// config id (byte-wise), at most `limit`: the work of `holder`'s push delivery. (Pass a
    /// holder nobody uses to see only the configs no one is delivering.)
    async fn push_backlog(&self, holder: &str, limit: usize) -> StoreResult<Vec<PushBacklog>>;

    /// Takes or renews, for `holder`, the delivery claim on push config `config_id` of
    /// `task_id`, valid for `ttl` from now (the database's clock where there is one), and
    /// returns the config's delivery cursor read in the same atomic step:
    /// `Some(delivered_seq)` when `holder` holds the claim now, `None` when another holder's
    /// claim has not expired (nothing changes then).
    ///
    /// One claim per config, so instances sharing the store never deliver the same config
    /// at once; the returned cursor is where the new holder starts (a backlog read before
    /// the claim may be stale: the previous holder may have moved the cursor since). While
    /// the claim is held only its holder moves the cursor, so a renewal returning another
    /// value than the one its holder last wrote means the claim lapsed meanwhile and someone
    /// else delivered (or the config was deleted and re-created).
    ///
    /// [`StoreError::NotFound`] when the config does not exist (never created, or deleted
    /// meanwhile: delivery of it is over). Replacing the config
    /// ([`TaskStore::put_push_config`] with its id) keeps the claim; deleting it drops the
    /// claim with the config.
    async fn try_claim_push(
        &self,
        task_id: &str,
        config_id: &str,
        holder: &str,
        ttl: Duration,
    ) -> StoreResult<Option<u64>>;

    /// Gives the delivery claim on a push config up (no-op when `holder` does not hold it,
    /// or the config does not exist).
    async fn release_push_claim(
        &self,
        task_id: &str,
        config_id: &str,
        holder: &str,
    ) -> StoreResult<()>;

    /// Takes or renews the lease on a task for `holder`, valid for `ttl`. `false` when
    /// another holder has an unexpired lease.
    async fn try_lease(&self, task_id: &str, holder: &str, ttl: Duration) -> StoreResult<bool>;

    /// Gives the lease up (no-op when `holder` does not hold it).
    async fn release_lease(&self, task_id: &str, holder: &str) -> StoreResult<()>;

    /// Tasks that are SUBMITTED or WORKING and whose lease has expired or that have none:
    /// work that no live instance is driving.
    async fn orphaned(&self, limit: usize) -> StoreResult<Vec<String>>;

    /// The registry revision: a number that changes (increases) with every successful
    /// [`TaskStore::put_agent`] / [`TaskStore::delete_agent`], on every instance sharing the
    /// store. A single cheap read (it is polled about once a second by every instance). 0
    /// for a store where no agent was ever written.
    async fn agents_revision(&self) -> StoreResult<i64>;

    /// Every registered agent, by name (byte-wise), with the revision they were read at: one
    /// consistent read, so the revision and the rows belong together and a reader that then
    /// polls the revision never misses a change.
    async fn list_agents(&self) -> StoreResult<(i64, Vec<StoredAgent>)>;

    /// One agent.
    async fn get_agent(&self, name: &str) -> StoreResult<Option<StoredAgent>>;

    /// Writes an agent and bumps the revision, in one transaction. `expected_version: None`
    /// creates it ([`StoreError::AlreadyExists`] with the name when it exists); `Some(v)`
    /// replaces the doc only if the stored version is `v` ([`StoreError::Conflict`] when it
    /// differs, [`StoreError::NotFound`] with the name when there is none). Returns the
    /// stored agent (new version, timestamps). The doc is stored as compact JSON, of any
    /// size (limits are the caller's). Nothing is written, and the revision is unchanged,
    /// when it fails.
    async fn put_agent(
        &self,
        name: &str,
        doc: &serde_json::Value,
        expected_version: Option<i64>,
    ) -> StoreResult<StoredAgent>;

    /// Deletes an agent and bumps the revision, in one transaction; `expected_version:
    /// Some(v)` deletes only at that version ([`StoreError::Conflict`] otherwise). `false`
    /// when there was none (then the revision is unchanged).
    async fn delete_agent(&self, name: &str, expected_version: Option<i64>) -> StoreResult<bool>;

    /// Waits until every write accepted before the call is durable (shutdown). Backends
    /// that commit each write before answering have nothing to wait for.
    async fn flush(&self) -> StoreResult<()> {
        Ok(())
    }
}

/// States a task has while an instance must be driving it (and so holds a lease).
pub fn is_active(state: TaskState) -> bool {
    matches!(state, TaskState::Submitted | TaskState::Working)
}

/// The status timestamp used for ordering and filtering (`0` when absent).
pub fn status_millis(task: &Task) -> i64 {
    task.status.timestamp.map_or(0, Timestamp::unix_millis)
}
