//! Stream events and the oneof responses of `SendMessage` / `SendStreamingMessage`.

use crate::serde_util;
use crate::{Artifact, Message, Metadata, Task, TaskStatus};
use serde::{Deserialize, Serialize};

/// A change of a task's status, sent on streams and to webhooks.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskStatusUpdateEvent {
    /// REQUIRED.
    #[serde(
        alias = "task_id",
        default,
        deserialize_with = "serde_util::null_default"
    )]
    pub task_id: String,
    /// REQUIRED.
    #[serde(
        alias = "context_id",
        default,
        deserialize_with = "serde_util::null_default"
    )]
    pub context_id: String,
    /// The new status. REQUIRED.
    #[serde(default, deserialize_with = "serde_util::null_default")]
    pub status: TaskStatus,
    /// Extension and custom data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
}

/// A new or updated artifact (possibly one chunk of it).
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskArtifactUpdateEvent {
    /// REQUIRED.
    #[serde(
        alias = "task_id",
        default,
        deserialize_with = "serde_util::null_default"
    )]
    pub task_id: String,
    /// REQUIRED.
    #[serde(
        alias = "context_id",
        default,
        deserialize_with = "serde_util::null_default"
    )]
    pub context_id: String,
    /// The artifact (or chunk). REQUIRED.
    #[serde(default, deserialize_with = "serde_util::null_default")]
    pub artifact: Artifact,
    /// Append these parts to the earlier artifact with the same id.
    #[serde(
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "serde_util::is_false"
    )]
    pub append: bool,
    /// This is the last chunk of the artifact.
    #[serde(
        alias = "last_chunk",
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "serde_util::is_false"
    )]
    pub last_chunk: bool,
    /// Extension and custom data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
}

/// Defines a oneof wrapper (`{"task": …}` or `{"message": …}` …): exactly one member,
/// unknown members ignored, a clear error for none or several.
macro_rules! oneof_wrapper {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident($ty:ty) => $json:literal $(| $alias:literal)?, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Serialize)]
        #[allow(clippy::derive_partial_eq_without_eq)]
        #[serde(rename_all = "camelCase")]
        pub enum $name {
            $( $(#[$vmeta])* $variant($ty), )+
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                use serde::de::Error as _;
                #[derive(Deserialize)]
                #[serde(rename_all = "camelCase")]
                #[allow(non_snake_case)]
                struct Members {
                    $( #[serde(default $(, alias = $alias)?)] $variant: Option<$ty>, )+
                }
                let m = Members::deserialize(d)?;
                let mut found: Vec<$name> = Vec::with_capacity(1);
                $( if let Some(v) = m.$variant { found.push($name::$variant(v)); } )+
                if found.len() > 1 {
                    return Err(D::Error::custom(concat!(
                        stringify!($name), " holds exactly one of ",
                        $( "`", $json, "` ", )+ "; several were given"
                    )));
                }
                found.pop().ok_or_else(|| D::Error::custom(concat!(
                    stringify!($name), " needs one of ", $( "`", $json, "` ", )+
                )))
            }
        }
    };
}
pub(crate) use oneof_wrapper;

oneof_wrapper! {
    /// One event of a stream (proto `StreamResponse`, oneof `payload`).
    pub enum StreamResponse {
        /// The task as a whole (the first event of a task stream).
        Task(Task) => "task",
        /// A message (the only event of a message stream).
        Message(Message) => "message",
        /// A status change.
        StatusUpdate(TaskStatusUpdateEvent) => "statusUpdate" | "status_update",
        /// An artifact update.
        ArtifactUpdate(TaskArtifactUpdateEvent) => "artifactUpdate" | "artifact_update",
    }
}

oneof_wrapper! {
    /// The result of `SendMessage`: a task or a direct message.
    pub enum SendMessageResponse {
        /// The task created or continued.
        Task(Task) => "task",
        /// A stateless reply.
        Message(Message) => "message",
    }
}

impl StreamResponse {
    /// The id of the task this event concerns, if any.
    pub fn task_id(&self) -> Option<&str> {
        match self {
            StreamResponse::Task(t) => Some(&t.id),
            StreamResponse::Message(m) => (!m.task_id.is_empty()).then_some(m.task_id.as_str()),
            StreamResponse::StatusUpdate(e) => Some(&e.task_id),
            StreamResponse::ArtifactUpdate(e) => Some(&e.task_id),
        }
    }
}

impl From<SendMessageResponse> for StreamResponse {
    fn from(r: SendMessageResponse) -> Self {
        match r {
            SendMessageResponse::Task(t) => StreamResponse::Task(t),
            SendMessageResponse::Message(m) => StreamResponse::Message(m),
        }
    }
}
