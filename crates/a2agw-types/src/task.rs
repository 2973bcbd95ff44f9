//! `Task`, `TaskStatus`, `TaskState` and `Artifact`.

use crate::serde_util::{self, proto_enum};
use crate::{Message, Metadata, Part, Timestamp};
use serde::{Deserialize, Serialize};

proto_enum! {
    /// The lifecycle state of a task.
    pub enum TaskState {
        /// Not set; never valid for a real task.
        #[default]
        Unspecified = 0 => "TASK_STATE_UNSPECIFIED",
        /// Acknowledged, not yet started.
        Submitted = 1 => "TASK_STATE_SUBMITTED",
        /// Being worked on.
        Working = 2 => "TASK_STATE_WORKING",
        /// Finished successfully (terminal).
        Completed = 3 => "TASK_STATE_COMPLETED",
        /// Finished with an error (terminal).
        Failed = 4 => "TASK_STATE_FAILED",
        /// Canceled (terminal).
        Canceled = 5 => "TASK_STATE_CANCELED",
        /// Waiting for the client to send more input (interrupted).
        InputRequired = 6 => "TASK_STATE_INPUT_REQUIRED",
        /// The agent declined the task (terminal).
        Rejected = 7 => "TASK_STATE_REJECTED",
        /// Waiting for authentication (interrupted).
        AuthRequired = 8 => "TASK_STATE_AUTH_REQUIRED",
    }
}

impl TaskState {
    /// COMPLETED, FAILED, CANCELED or REJECTED: the task never changes again.
    pub const fn is_terminal(self) -> bool {
        matches!(
            self,
            TaskState::Completed | TaskState::Failed | TaskState::Canceled | TaskState::Rejected
        )
    }

    /// INPUT_REQUIRED or AUTH_REQUIRED: the task waits on the client.
    pub const fn is_interrupted(self) -> bool {
        matches!(self, TaskState::InputRequired | TaskState::AuthRequired)
    }
}

/// The current state of a task, with an optional explanatory message.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskStatus {
    /// The state. REQUIRED.
    #[serde(default, deserialize_with = "serde_util::null_default")]
    pub state: TaskState,
    /// An agent message explaining the state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<Message>,
    /// When the state was entered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Timestamp>,
}

impl TaskStatus {
    /// A status in `state`, stamped now, with no message.
    pub fn now(state: TaskState) -> Self {
        TaskStatus {
            state,
            message: None,
            timestamp: Some(Timestamp::now()),
        }
    }
}

/// A unit of work the agent performs for a client.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Task {
    /// Server-generated id. REQUIRED.
    #[serde(default, deserialize_with = "serde_util::null_default")]
    pub id: String,
    /// The context the task belongs to.
    #[serde(
        alias = "context_id",
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub context_id: String,
    /// Current status. REQUIRED.
    #[serde(default, deserialize_with = "serde_util::null_default")]
    pub status: TaskStatus,
    /// Outputs.
    ///
    /// `None` is "absent" and `Some(vec![])` is `[]`: `ListTasks` must omit the key
    /// unless `includeArtifacts` is set, and emit it (possibly empty) when it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifacts: Option<Vec<Artifact>>,
    /// The messages exchanged, oldest first.
    #[serde(
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub history: Vec<Message>,
    /// Extension and custom data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
}

impl Task {
    /// Keeps only the `n` most recent history entries (`historyLength` semantics;
    /// `None` keeps everything, negative values are refused before this is called).
    pub fn truncate_history(&mut self, history_length: Option<i32>) {
        if let Some(n) = history_length {
            let n = usize::try_from(n).unwrap_or(0);
            if self.history.len() > n {
                self.history.drain(..self.history.len() - n);
            }
        }
    }

    /// The artifacts, or an empty slice when absent.
    pub fn artifacts(&self) -> &[Artifact] {
        self.artifacts.as_deref().unwrap_or(&[])
    }
}

/// An output of a task.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Artifact {
    /// Unique within the task. REQUIRED.
    #[serde(
        alias = "artifact_id",
        default,
        deserialize_with = "serde_util::null_default"
    )]
    pub artifact_id: String,
    /// Human-readable name.
    #[serde(
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub name: String,
    /// Human-readable description.
    #[serde(
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub description: String,
    /// Content. REQUIRED, at least one.
    #[serde(default, deserialize_with = "serde_util::null_default")]
    pub parts: Vec<Part>,
    /// Extension and custom data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
    /// URIs of extensions that contributed to this artifact.
    #[serde(
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub extensions: Vec<String>,
}
