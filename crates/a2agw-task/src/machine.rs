//! The task state machine: `apply(record, event) -> Result<record>`. Pure: no I/O, no clock.
//!
//! # Legal transitions
//!
//! | from | to |
//! |---|---|
//! | (new) | SUBMITTED, WORKING |
//! | SUBMITTED | WORKING, INPUT_REQUIRED, AUTH_REQUIRED, COMPLETED, FAILED, CANCELED, REJECTED |
//! | WORKING | WORKING (progress), INPUT_REQUIRED, AUTH_REQUIRED, COMPLETED, FAILED, CANCELED, REJECTED |
//! | INPUT_REQUIRED | WORKING, CANCELED, FAILED, REJECTED |
//! | AUTH_REQUIRED | WORKING, CANCELED, FAILED, REJECTED |
//! | COMPLETED, FAILED, CANCELED, REJECTED | nothing: terminal states are final |
//!
//! Other rules:
//! - A user message ([`TaskEvent::UserMessage`]) is accepted only while the task is not
//!   terminal; it is appended to the history and does not change the state.
//! - A status message is appended to the history (agent messages are part of the exchange).
//! - An artifact update with `append: false` adds the artifact or replaces the one with the
//!   same id; with `append: true` its parts are appended to the existing artifact with that
//!   id, which must exist. Artifacts cannot change once the task is terminal.
//! - Provider data may be saved while the task is not terminal. A task is assigned to its
//!   agent when it is created (`Created` carries the route); an `Assigned` event (logs
//!   written before that) is accepted only by a task that has no agent yet.

use a2agw_provider::Route;
use a2agw_types::{
    Artifact, Message, Metadata, StreamResponse, Task, TaskArtifactUpdateEvent, TaskState,
    TaskStatus, TaskStatusUpdateEvent,
};
use serde::{Deserialize, Serialize};

/// One change to a task, as stored in its event log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum TaskEvent {
    /// The task was created; always sequence number 1. It records where the task runs
    /// (its [`Route`]), so the agent is never missing from a task that exists.
    Created {
        /// The initial task (SUBMITTED or WORKING, with the first user message in its history).
        task: Task,
        /// The agent that runs it (empty in logs written before routes were recorded at
        /// creation: those carry an [`TaskEvent::Assigned`] event next).
        #[serde(default, skip_serializing_if = "String::is_empty")]
        agent: String,
        /// The upstream instance of the agent that holds it (empty: the agent's only one).
        #[serde(default, skip_serializing_if = "String::is_empty")]
        upstream: String,
    },
    /// A follow-up message from the client.
    UserMessage {
        /// The message.
        message: Message,
    },
    /// A status change.
    Status {
        /// The new status.
        status: TaskStatus,
        /// Event metadata.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        metadata: Option<Metadata>,
    },
    /// An artifact update.
    Artifact {
        /// The artifact or chunk.
        artifact: Artifact,
        /// Append to the artifact with the same id.
        #[serde(default)]
        append: bool,
        /// Last chunk of the artifact.
        #[serde(default)]
        last_chunk: bool,
        /// Event metadata.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        metadata: Option<Metadata>,
    },
    /// The task was assigned to an agent (the provider that drives it); not sent to clients.
    /// New tasks carry their route in [`TaskEvent::Created`]; this event is read in logs
    /// written before that, and moves a task to another route.
    Assigned {
        /// The agent's name in the gateway's configuration.
        agent: String,
        /// The upstream instance.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        upstream: String,
    },
    /// Provider session data saved with the task (never sent to clients).
    ProviderData {
        /// The data (replaces what was saved before).
        data: serde_json::Value,
    },
}

impl TaskEvent {
    /// A short name for logs and errors.
    pub fn kind(&self) -> &'static str {
        match self {
            TaskEvent::Created { .. } => "created",
            TaskEvent::UserMessage { .. } => "user message",
            TaskEvent::Status { .. } => "status",
            TaskEvent::Artifact { .. } => "artifact",
            TaskEvent::Assigned { .. } => "assigned",
            TaskEvent::ProviderData { .. } => "provider data",
        }
    }

    /// The event as clients see it on a stream, given the task it was applied to
    /// (`None` for events that are not streamed: user messages, provider data).
    ///
    /// For `Created` it is the task as created.
    pub fn to_stream_response(&self, task_id: &str, context_id: &str) -> Option<StreamResponse> {
        match self {
            TaskEvent::Created { task, .. } => Some(StreamResponse::Task(task.clone())),
            TaskEvent::Status { status, metadata } => {
                Some(StreamResponse::StatusUpdate(TaskStatusUpdateEvent {
                    task_id: task_id.to_owned(),
                    context_id: context_id.to_owned(),
                    status: status.clone(),
                    metadata: metadata.clone(),
                }))
            }
            TaskEvent::Artifact {
                artifact,
                append,
                last_chunk,
                metadata,
            } => Some(StreamResponse::ArtifactUpdate(TaskArtifactUpdateEvent {
                task_id: task_id.to_owned(),
                context_id: context_id.to_owned(),
                artifact: artifact.clone(),
                append: *append,
                last_chunk: *last_chunk,
                metadata: metadata.clone(),
            })),
            TaskEvent::UserMessage { .. }
            | TaskEvent::Assigned { .. }
            | TaskEvent::ProviderData { .. } => None,
        }
    }

    /// The state this event moves the task to, if it is a status change.
    pub fn new_state(&self) -> Option<TaskState> {
        match self {
            TaskEvent::Created { task, .. } => Some(task.status.state),
            TaskEvent::Status { status, .. } => Some(status.state),
            _ => None,
        }
    }
}

/// A task as the engine keeps it: the A2A task plus the provider's session data.
/// It is always the fold of the task's event log.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TaskRecord {
    /// The A2A task.
    pub task: Task,
    /// The agent driving the task (empty only in tasks created before routes were
    /// recorded at creation, until their `Assigned` event).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub agent: String,
    /// The upstream instance of the agent that holds the task (empty: its only one).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub upstream: String,
    /// Session data saved by the provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_data: Option<serde_json::Value>,
    /// Sequence number of the last event applied (0 before creation).
    pub last_seq: u64,
}

impl TaskRecord {
    /// Where the task runs.
    pub fn route(&self) -> Route {
        Route {
            agent: self.agent.clone(),
            upstream: self.upstream.clone(),
        }
    }
}

impl TaskEvent {
    /// The `Created` event of `task`, run at `route`.
    pub fn created(task: Task, route: &Route) -> Self {
        TaskEvent::Created {
            task,
            agent: route.agent.clone(),
            upstream: route.upstream.clone(),
        }
    }
}

/// An event that the state machine refuses.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TransitionError {
    /// The task is in a terminal state and cannot change.
    #[error("task is {state} (terminal) and cannot change ({event})")]
    Terminal {
        /// The terminal state.
        state: TaskState,
        /// The refused event's kind.
        event: &'static str,
    },
    /// The state change is not in the transition table.
    #[error("illegal transition {from} -> {to}")]
    Illegal {
        /// Current state.
        from: TaskState,
        /// Requested state.
        to: TaskState,
    },
    /// A task can only be created once, in SUBMITTED or WORKING.
    #[error("invalid creation: {0}")]
    InvalidCreation(String),
    /// `append: true` for an artifact the task does not have.
    #[error("artifact `{0}` to append to does not exist")]
    UnknownArtifact(String),
}

/// Whether `from -> to` is in the transition table.
pub fn is_legal(from: TaskState, to: TaskState) -> bool {
    use TaskState::*;
    match from {
        Submitted => matches!(
            to,
            Working | InputRequired | AuthRequired | Completed | Failed | Canceled | Rejected
        ),
        Working => matches!(
            to,
            Working | InputRequired | AuthRequired | Completed | Failed | Canceled | Rejected
        ),
        InputRequired | AuthRequired => matches!(to, Working | Canceled | Failed | Rejected),
        Completed | Failed | Canceled | Rejected | Unspecified => false,
    }
}

/// Applies `event` to `record`, returning the new record or why the event is illegal.
/// `last_seq` is advanced by one.
pub fn apply(record: &TaskRecord, event: &TaskEvent) -> Result<TaskRecord, TransitionError> {
    let state = record.task.status.state;
    if let (
        TaskEvent::Created {
            task,
            agent,
            upstream,
        },
        0,
    ) = (event, record.last_seq)
    {
        if !matches!(task.status.state, TaskState::Submitted | TaskState::Working) {
            return Err(TransitionError::InvalidCreation(format!(
                "a task starts SUBMITTED or WORKING, not {}",
                task.status.state
            )));
        }
        if task.id.is_empty() {
            return Err(TransitionError::InvalidCreation(
                "the task has no id".into(),
            ));
        }
        return Ok(TaskRecord {
            task: task.clone(),
            agent: agent.clone(),
            upstream: upstream.clone(),
            last_seq: 1,
            ..TaskRecord::default()
        });
    }
    if record.last_seq == 0 {
        return Err(TransitionError::InvalidCreation(format!(
            "{} before the task was created",
            event.kind()
        )));
    }
    if state.is_terminal() {
        return Err(TransitionError::Terminal {
            state,
            event: event.kind(),
        });
    }
    let mut next = record.clone();
    next.last_seq += 1;
    match event {
        TaskEvent::Created { .. } => {
            return Err(TransitionError::InvalidCreation(
                "the task already exists".into(),
            ));
        }
        TaskEvent::UserMessage { message } => next.task.history.push(message.clone()),
        TaskEvent::Status { status, .. } => {
            if !is_legal(state, status.state) {
                return Err(TransitionError::Illegal {
                    from: state,
                    to: status.state,
                });
            }
            if let Some(m) = &status.message {
                next.task.history.push(m.clone());
            }
            next.task.status = status.clone();
        }
        TaskEvent::Artifact {
            artifact, append, ..
        } => {
            let artifacts = next.task.artifacts.get_or_insert_with(Vec::new);
            let existing = artifacts
                .iter_mut()
                .find(|a| a.artifact_id == artifact.artifact_id);
            match (existing, append) {
                (Some(a), true) => {
                    a.parts.extend(artifact.parts.iter().cloned());
                    if artifact.metadata.is_some() {
                        a.metadata.clone_from(&artifact.metadata);
                    }
                    for ext in &artifact.extensions {
                        if !a.extensions.contains(ext) {
                            a.extensions.push(ext.clone());
                        }
                    }
                }
                (None, true) => {
                    return Err(TransitionError::UnknownArtifact(
                        artifact.artifact_id.clone(),
                    ));
                }
                (Some(a), false) => *a = artifact.clone(),
                (None, false) => artifacts.push(artifact.clone()),
            }
        }
        // The route is fixed once set (stores keep it in a column for scoped reads):
        // `Assigned` only completes a task created before routes were recorded at creation.
        TaskEvent::Assigned { .. } if !record.agent.is_empty() => {
            return Err(TransitionError::InvalidCreation(format!(
                "the task already runs at agent `{}`",
                record.agent
            )));
        }
        TaskEvent::Assigned { agent, upstream } => {
            next.agent.clone_from(agent);
            next.upstream.clone_from(upstream);
        }
        TaskEvent::ProviderData { data } => next.provider_data = Some(data.clone()),
    }
    Ok(next)
}

/// Folds a whole event log into a record (what a store's snapshot must always equal).
pub fn fold<'a>(
    events: impl IntoIterator<Item = &'a TaskEvent>,
) -> Result<TaskRecord, TransitionError> {
    events
        .into_iter()
        .try_fold(TaskRecord::default(), |r, e| apply(&r, e))
}

#[cfg(test)]
mod tests;
