//! Messages, parts, tasks, artifacts, stream events and the oneof responses.

use super::error::{At, ConvertError};
use super::json::{json_to_value, value_to_json};
use super::{
    into_vec, metadata_from, metadata_into, role_from, task_state_from, timestamp_from,
    timestamp_into, try_opt, try_req, try_vec,
};
use crate::v1;
use a2agw_types as t;

impl From<t::TaskState> for v1::TaskState {
    fn from(s: t::TaskState) -> Self {
        match s {
            t::TaskState::Unspecified => v1::TaskState::Unspecified,
            t::TaskState::Submitted => v1::TaskState::Submitted,
            t::TaskState::Working => v1::TaskState::Working,
            t::TaskState::Completed => v1::TaskState::Completed,
            t::TaskState::Failed => v1::TaskState::Failed,
            t::TaskState::Canceled => v1::TaskState::Canceled,
            t::TaskState::InputRequired => v1::TaskState::InputRequired,
            t::TaskState::Rejected => v1::TaskState::Rejected,
            t::TaskState::AuthRequired => v1::TaskState::AuthRequired,
        }
    }
}

/// Infallible: the generated enum only holds defined values (an unknown
/// number sits in the `i32` field and fails there, see [`ConvertError::EnumOutOfRange`]).
impl From<v1::TaskState> for t::TaskState {
    fn from(s: v1::TaskState) -> Self {
        match s {
            v1::TaskState::Unspecified => t::TaskState::Unspecified,
            v1::TaskState::Submitted => t::TaskState::Submitted,
            v1::TaskState::Working => t::TaskState::Working,
            v1::TaskState::Completed => t::TaskState::Completed,
            v1::TaskState::Failed => t::TaskState::Failed,
            v1::TaskState::Canceled => t::TaskState::Canceled,
            v1::TaskState::InputRequired => t::TaskState::InputRequired,
            v1::TaskState::Rejected => t::TaskState::Rejected,
            v1::TaskState::AuthRequired => t::TaskState::AuthRequired,
        }
    }
}

impl From<t::Role> for v1::Role {
    fn from(r: t::Role) -> Self {
        match r {
            t::Role::Unspecified => v1::Role::Unspecified,
            t::Role::User => v1::Role::User,
            t::Role::Agent => v1::Role::Agent,
        }
    }
}

/// Infallible, as for [`t::TaskState`].
impl From<v1::Role> for t::Role {
    fn from(r: v1::Role) -> Self {
        match r {
            v1::Role::Unspecified => t::Role::Unspecified,
            v1::Role::User => t::Role::User,
            v1::Role::Agent => t::Role::Agent,
        }
    }
}

impl From<t::Part> for v1::Part {
    fn from(p: t::Part) -> Self {
        let content = match p.content {
            t::PartContent::Text(s) => v1::part::Content::Text(s),
            t::PartContent::Raw(b) => v1::part::Content::Raw(b),
            t::PartContent::Url(u) => v1::part::Content::Url(u),
            t::PartContent::Data(v) => v1::part::Content::Data(json_to_value(v)),
        };
        v1::Part {
            content: Some(content),
            metadata: metadata_into(p.metadata),
            filename: p.filename,
            media_type: p.media_type,
        }
    }
}

impl TryFrom<v1::Part> for t::Part {
    type Error = ConvertError;
    fn try_from(p: v1::Part) -> Result<Self, ConvertError> {
        let content = match p.content {
            None => return Err(ConvertError::missing_oneof("content")),
            Some(v1::part::Content::Text(s)) => t::PartContent::Text(s),
            Some(v1::part::Content::Raw(b)) => t::PartContent::Raw(b),
            Some(v1::part::Content::Url(u)) => t::PartContent::Url(u),
            Some(v1::part::Content::Data(v)) => t::PartContent::Data(value_to_json(v).at("data")?),
        };
        Ok(t::Part {
            content,
            metadata: metadata_from(p.metadata, "metadata")?,
            filename: p.filename,
            media_type: p.media_type,
        })
    }
}

impl From<t::Message> for v1::Message {
    fn from(m: t::Message) -> Self {
        v1::Message {
            message_id: m.message_id,
            context_id: m.context_id,
            task_id: m.task_id,
            role: v1::Role::from(m.role).into(),
            parts: into_vec(m.parts),
            metadata: metadata_into(m.metadata),
            extensions: m.extensions,
            reference_task_ids: m.reference_task_ids,
        }
    }
}

impl TryFrom<v1::Message> for t::Message {
    type Error = ConvertError;
    fn try_from(m: v1::Message) -> Result<Self, ConvertError> {
        Ok(t::Message {
            message_id: m.message_id,
            context_id: m.context_id,
            task_id: m.task_id,
            role: role_from(m.role, "role")?,
            parts: try_vec(m.parts, "parts")?,
            metadata: metadata_from(m.metadata, "metadata")?,
            extensions: m.extensions,
            reference_task_ids: m.reference_task_ids,
        })
    }
}

impl From<t::TaskStatus> for v1::TaskStatus {
    fn from(s: t::TaskStatus) -> Self {
        v1::TaskStatus {
            state: v1::TaskState::from(s.state).into(),
            message: s.message.map(Into::into),
            timestamp: s.timestamp.map(timestamp_into),
        }
    }
}

impl TryFrom<v1::TaskStatus> for t::TaskStatus {
    type Error = ConvertError;
    fn try_from(s: v1::TaskStatus) -> Result<Self, ConvertError> {
        Ok(t::TaskStatus {
            state: task_state_from(s.state, "state")?,
            message: try_opt(s.message, "message")?,
            timestamp: s
                .timestamp
                .map(|ts| timestamp_from(ts, "timestamp"))
                .transpose()?,
        })
    }
}

impl From<t::Artifact> for v1::Artifact {
    fn from(a: t::Artifact) -> Self {
        v1::Artifact {
            artifact_id: a.artifact_id,
            name: a.name,
            description: a.description,
            parts: into_vec(a.parts),
            metadata: metadata_into(a.metadata),
            extensions: a.extensions,
        }
    }
}

impl TryFrom<v1::Artifact> for t::Artifact {
    type Error = ConvertError;
    fn try_from(a: v1::Artifact) -> Result<Self, ConvertError> {
        Ok(t::Artifact {
            artifact_id: a.artifact_id,
            name: a.name,
            description: a.description,
            parts: try_vec(a.parts, "parts")?,
            metadata: metadata_from(a.metadata, "metadata")?,
            extensions: a.extensions,
        })
    }
}

/// `artifacts: None` and `Some(vec![])` both become an empty repeated field
/// (protobuf cannot tell them apart).
impl From<t::Task> for v1::Task {
    fn from(task: t::Task) -> Self {
        v1::Task {
            id: task.id,
            context_id: task.context_id,
            status: Some(task.status.into()),
            artifacts: task.artifacts.map(into_vec).unwrap_or_default(),
            history: into_vec(task.history),
            metadata: metadata_into(task.metadata),
        }
    }
}

/// An empty `artifacts` becomes `None` (absent in JSON); an absent `status`
/// becomes the default status (`TASK_STATE_UNSPECIFIED`), as in the JSON reader.
impl TryFrom<v1::Task> for t::Task {
    type Error = ConvertError;
    fn try_from(task: v1::Task) -> Result<Self, ConvertError> {
        Ok(t::Task {
            id: task.id,
            context_id: task.context_id,
            status: try_req(task.status, "status")?,
            artifacts: if task.artifacts.is_empty() {
                None
            } else {
                Some(try_vec(task.artifacts, "artifacts")?)
            },
            history: try_vec(task.history, "history")?,
            metadata: metadata_from(task.metadata, "metadata")?,
        })
    }
}

impl From<t::TaskStatusUpdateEvent> for v1::TaskStatusUpdateEvent {
    fn from(e: t::TaskStatusUpdateEvent) -> Self {
        v1::TaskStatusUpdateEvent {
            task_id: e.task_id,
            context_id: e.context_id,
            status: Some(e.status.into()),
            metadata: metadata_into(e.metadata),
        }
    }
}

impl TryFrom<v1::TaskStatusUpdateEvent> for t::TaskStatusUpdateEvent {
    type Error = ConvertError;
    fn try_from(e: v1::TaskStatusUpdateEvent) -> Result<Self, ConvertError> {
        Ok(t::TaskStatusUpdateEvent {
            task_id: e.task_id,
            context_id: e.context_id,
            status: try_req(e.status, "status")?,
            metadata: metadata_from(e.metadata, "metadata")?,
        })
    }
}

impl From<t::TaskArtifactUpdateEvent> for v1::TaskArtifactUpdateEvent {
    fn from(e: t::TaskArtifactUpdateEvent) -> Self {
        v1::TaskArtifactUpdateEvent {
            task_id: e.task_id,
            context_id: e.context_id,
            artifact: Some(e.artifact.into()),
            append: e.append,
            last_chunk: e.last_chunk,
            metadata: metadata_into(e.metadata),
        }
    }
}

impl TryFrom<v1::TaskArtifactUpdateEvent> for t::TaskArtifactUpdateEvent {
    type Error = ConvertError;
    fn try_from(e: v1::TaskArtifactUpdateEvent) -> Result<Self, ConvertError> {
        Ok(t::TaskArtifactUpdateEvent {
            task_id: e.task_id,
            context_id: e.context_id,
            artifact: try_req(e.artifact, "artifact")?,
            append: e.append,
            last_chunk: e.last_chunk,
            metadata: metadata_from(e.metadata, "metadata")?,
        })
    }
}

impl From<t::StreamResponse> for v1::StreamResponse {
    fn from(r: t::StreamResponse) -> Self {
        use v1::stream_response::Payload;
        let payload = match r {
            t::StreamResponse::Task(x) => Payload::Task(x.into()),
            t::StreamResponse::Message(x) => Payload::Message(x.into()),
            t::StreamResponse::StatusUpdate(x) => Payload::StatusUpdate(x.into()),
            t::StreamResponse::ArtifactUpdate(x) => Payload::ArtifactUpdate(x.into()),
        };
        v1::StreamResponse {
            payload: Some(payload),
        }
    }
}

impl TryFrom<v1::StreamResponse> for t::StreamResponse {
    type Error = ConvertError;
    fn try_from(r: v1::StreamResponse) -> Result<Self, ConvertError> {
        use v1::stream_response::Payload;
        Ok(match r.payload {
            None => return Err(ConvertError::missing_oneof("payload")),
            Some(Payload::Task(x)) => t::StreamResponse::Task(x.try_into().at("task")?),
            Some(Payload::Message(x)) => t::StreamResponse::Message(x.try_into().at("message")?),
            Some(Payload::StatusUpdate(x)) => {
                t::StreamResponse::StatusUpdate(x.try_into().at("statusUpdate")?)
            }
            Some(Payload::ArtifactUpdate(x)) => {
                t::StreamResponse::ArtifactUpdate(x.try_into().at("artifactUpdate")?)
            }
        })
    }
}

impl From<t::SendMessageResponse> for v1::SendMessageResponse {
    fn from(r: t::SendMessageResponse) -> Self {
        use v1::send_message_response::Payload;
        let payload = match r {
            t::SendMessageResponse::Task(x) => Payload::Task(x.into()),
            t::SendMessageResponse::Message(x) => Payload::Message(x.into()),
        };
        v1::SendMessageResponse {
            payload: Some(payload),
        }
    }
}

impl TryFrom<v1::SendMessageResponse> for t::SendMessageResponse {
    type Error = ConvertError;
    fn try_from(r: v1::SendMessageResponse) -> Result<Self, ConvertError> {
        use v1::send_message_response::Payload;
        Ok(match r.payload {
            None => return Err(ConvertError::missing_oneof("payload")),
            Some(Payload::Task(x)) => t::SendMessageResponse::Task(x.try_into().at("task")?),
            Some(Payload::Message(x)) => {
                t::SendMessageResponse::Message(x.try_into().at("message")?)
            }
        })
    }
}
