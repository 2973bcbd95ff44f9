//! The 0.3 messages, tasks, stream events, push configs and method parameters.

use super::de::{self, kind_marker};
use crate::Metadata;
use crate::serde_util;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

kind_marker! {
    /// `"kind": "task"`.
    TaskKind = "task"
}
kind_marker! {
    /// `"kind": "message"`.
    MessageKind = "message"
}
kind_marker! {
    /// `"kind": "status-update"`.
    StatusUpdateKind = "status-update"
}
kind_marker! {
    /// `"kind": "artifact-update"`.
    ArtifactUpdateKind = "artifact-update"
}

/// Who sent a message (`"user"` or `"agent"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Client to server.
    #[default]
    User,
    /// Server to client.
    Agent,
}

/// The lifecycle state of a task, in its 0.3 spelling.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TaskState {
    /// `submitted`.
    Submitted,
    /// `working`.
    Working,
    /// `input-required`.
    InputRequired,
    /// `completed`.
    Completed,
    /// `canceled`.
    Canceled,
    /// `failed`.
    Failed,
    /// `rejected`.
    Rejected,
    /// `auth-required`.
    AuthRequired,
    /// `unknown` (1.0 `TASK_STATE_UNSPECIFIED`).
    #[default]
    Unknown,
}

/// A piece of content: `TextPart | FilePart | DataPart`, told apart by `kind`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Part {
    /// `{"kind": "text", …}`.
    Text(TextPart),
    /// `{"kind": "file", …}`.
    File(FilePart),
    /// `{"kind": "data", …}`.
    Data(DataPart),
}

impl<'de> Deserialize<'de> for Part {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let (kind, value) = de::tagged_object(d, "kind")?;
        match kind.as_str() {
            "text" => de::nested(value).map(Part::Text),
            "file" => de::nested(value).map(Part::File),
            "data" => de::nested(value).map(Part::Data),
            other => Err(de::unknown_tag("kind", other, &["text", "file", "data"])),
        }
    }
}

/// Text content.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
pub struct TextPart {
    /// The text. REQUIRED.
    pub text: String,
    /// Extension and custom data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
}

/// File content, inline or by URI.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FilePart {
    /// The file. REQUIRED.
    pub file: FileContent,
    /// Extension and custom data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
}

/// Structured content.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
pub struct DataPart {
    /// A JSON object. REQUIRED.
    pub data: Metadata,
    /// Extension and custom data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
}

/// `FileWithBytes | FileWithUri`: exactly one of `bytes` and `uri`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum FileContent {
    /// Inline content.
    Bytes(FileWithBytes),
    /// A reference.
    Uri(FileWithUri),
}

impl<'de> Deserialize<'de> for FileContent {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let map = Metadata::deserialize(d)?;
        let has = |k: &str| map.get(k).is_some_and(|v| !v.is_null());
        match (has("bytes"), has("uri")) {
            (true, true) => Err(serde::de::Error::custom(
                "a file holds exactly one of `bytes` and `uri`; both were given",
            )),
            (false, false) => Err(serde::de::Error::custom("a file needs `bytes` or `uri`")),
            (true, false) => de::nested(Value::Object(map)).map(FileContent::Bytes),
            (false, true) => de::nested(Value::Object(map)).map(FileContent::Uri),
        }
    }
}

/// A file given inline (base64 in JSON).
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileWithBytes {
    /// The content. REQUIRED.
    #[serde(
        serialize_with = "serde_util::ser_b64",
        deserialize_with = "de::de_b64"
    )]
    pub bytes: Vec<u8>,
    /// Media type (empty = absent).
    #[serde(
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub mime_type: String,
    /// File name (empty = absent).
    #[serde(
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub name: String,
}

/// A file given by URI.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileWithUri {
    /// Where the content is. REQUIRED.
    pub uri: String,
    /// Media type (empty = absent).
    #[serde(
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub mime_type: String,
    /// File name (empty = absent).
    #[serde(
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub name: String,
}

/// One unit of communication (`kind: "message"`).
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    /// The discriminator. REQUIRED.
    pub kind: MessageKind,
    /// Unique id. REQUIRED.
    pub message_id: String,
    /// The context (empty = absent).
    #[serde(
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub context_id: String,
    /// The task (empty = absent).
    #[serde(
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub task_id: String,
    /// Sender. REQUIRED.
    pub role: Role,
    /// Content. REQUIRED.
    pub parts: Vec<Part>,
    /// Extension and custom data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
    /// URIs of extensions that contributed.
    #[serde(
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub extensions: Vec<String>,
    /// Related task ids.
    #[serde(
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub reference_task_ids: Vec<String>,
}

/// The status of a task.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskStatus {
    /// The state. REQUIRED.
    pub state: TaskState,
    /// An agent message about the state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<Message>,
    /// ISO 8601 time the state was entered (empty = absent). Kept as sent; converted to a
    /// 1.0 `Timestamp` (an offset-less time is read as UTC).
    #[serde(
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub timestamp: String,
}

/// An output of a task.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Artifact {
    /// Unique within the task. REQUIRED.
    pub artifact_id: String,
    /// Human-readable name (empty = absent).
    #[serde(
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub name: String,
    /// Human-readable description (empty = absent).
    #[serde(
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub description: String,
    /// Content. REQUIRED.
    pub parts: Vec<Part>,
    /// Extension and custom data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
    /// URIs of extensions that contributed.
    #[serde(
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub extensions: Vec<String>,
}

/// A unit of work (`kind: "task"`).
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Task {
    /// The discriminator. REQUIRED.
    pub kind: TaskKind,
    /// Task id. REQUIRED.
    pub id: String,
    /// Context id. REQUIRED (always written, possibly `""`).
    pub context_id: String,
    /// Current status. REQUIRED.
    pub status: TaskStatus,
    /// Outputs (`None` = absent, `Some([])` = `[]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifacts: Option<Vec<Artifact>>,
    /// Messages exchanged, oldest first.
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

/// A status change (`kind: "status-update"`).
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskStatusUpdateEvent {
    /// The discriminator. REQUIRED.
    pub kind: StatusUpdateKind,
    /// REQUIRED.
    pub task_id: String,
    /// REQUIRED.
    pub context_id: String,
    /// The new status. REQUIRED.
    pub status: TaskStatus,
    /// The last event of the stream. REQUIRED.
    pub r#final: bool,
    /// Extension and custom data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
}

/// An artifact (chunk) (`kind: "artifact-update"`).
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskArtifactUpdateEvent {
    /// The discriminator. REQUIRED.
    pub kind: ArtifactUpdateKind,
    /// REQUIRED.
    pub task_id: String,
    /// REQUIRED.
    pub context_id: String,
    /// The artifact. REQUIRED.
    pub artifact: Artifact,
    /// Append to the earlier artifact with the same id.
    #[serde(
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "serde_util::is_false"
    )]
    pub append: bool,
    /// The last chunk of the artifact.
    #[serde(
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "serde_util::is_false"
    )]
    pub last_chunk: bool,
    /// Extension and custom data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
}

/// The `message/send` result: a task or a message, told apart by `kind`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum SendMessageResult {
    /// `kind: "task"`.
    Task(Task),
    /// `kind: "message"`.
    Message(Message),
}

impl<'de> Deserialize<'de> for SendMessageResult {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let (kind, value) = de::tagged_object(d, "kind")?;
        match kind.as_str() {
            TaskKind::VALUE => de::nested(value).map(SendMessageResult::Task),
            MessageKind::VALUE => de::nested(value).map(SendMessageResult::Message),
            other => Err(de::unknown_tag(
                "kind",
                other,
                &[TaskKind::VALUE, MessageKind::VALUE],
            )),
        }
    }
}

/// One `message/stream` / `tasks/resubscribe` event, told apart by `kind`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum StreamEvent {
    /// `kind: "task"`.
    Task(Task),
    /// `kind: "message"`.
    Message(Message),
    /// `kind: "status-update"`.
    StatusUpdate(TaskStatusUpdateEvent),
    /// `kind: "artifact-update"`.
    ArtifactUpdate(TaskArtifactUpdateEvent),
}

impl<'de> Deserialize<'de> for StreamEvent {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let (kind, value) = de::tagged_object(d, "kind")?;
        match kind.as_str() {
            TaskKind::VALUE => de::nested(value).map(StreamEvent::Task),
            MessageKind::VALUE => de::nested(value).map(StreamEvent::Message),
            StatusUpdateKind::VALUE => de::nested(value).map(StreamEvent::StatusUpdate),
            ArtifactUpdateKind::VALUE => de::nested(value).map(StreamEvent::ArtifactUpdate),
            other => Err(de::unknown_tag(
                "kind",
                other,
                &[
                    TaskKind::VALUE,
                    MessageKind::VALUE,
                    StatusUpdateKind::VALUE,
                    ArtifactUpdateKind::VALUE,
                ],
            )),
        }
    }
}

/// How the server authenticates to a webhook.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PushNotificationAuthenticationInfo {
    /// Accepted schemes (e.g. `Bearer`). REQUIRED.
    pub schemes: Vec<String>,
    /// Credentials (empty = absent).
    #[serde(
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub credentials: String,
}

impl std::fmt::Debug for PushNotificationAuthenticationInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PushNotificationAuthenticationInfo")
            .field("schemes", &self.schemes)
            .field(
                "credentials",
                &if self.credentials.is_empty() {
                    ""
                } else {
                    "<redacted>"
                },
            )
            .finish()
    }
}

/// A webhook.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PushNotificationConfig {
    /// The config's id (empty = absent).
    #[serde(
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub id: String,
    /// The webhook URL. REQUIRED.
    pub url: String,
    /// A client-chosen secret (empty = absent).
    #[serde(
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub token: String,
    /// How to authenticate to the webhook.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authentication: Option<PushNotificationAuthenticationInfo>,
}

impl std::fmt::Debug for PushNotificationConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PushNotificationConfig")
            .field("id", &self.id)
            .field("url", &self.url)
            .field(
                "token",
                &if self.token.is_empty() {
                    ""
                } else {
                    "<redacted>"
                },
            )
            .field("authentication", &self.authentication)
            .finish()
    }
}

/// A webhook registered for a task (`tasks/pushNotificationConfig/set` params and the
/// result of `set`, `get` and (as array items) `list`).
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskPushNotificationConfig {
    /// The task. REQUIRED.
    pub task_id: String,
    /// The webhook. REQUIRED.
    pub push_notification_config: PushNotificationConfig,
}

/// `message/send` / `message/stream` configuration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageSendConfiguration {
    /// Media types the client accepts.
    #[serde(
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub accepted_output_modes: Vec<String>,
    /// Wait for the task to settle (absent = `true`, as in the 0.3 SDKs; always written).
    #[serde(default = "default_true", deserialize_with = "true_if_null")]
    pub blocking: bool,
    /// How many recent history messages to return.
    #[serde(
        default,
        deserialize_with = "serde_util::int32::option::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    pub history_length: Option<i32>,
    /// A webhook to register for the task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub push_notification_config: Option<PushNotificationConfig>,
}

impl Default for MessageSendConfiguration {
    fn default() -> Self {
        MessageSendConfiguration {
            accepted_output_modes: Vec::new(),
            blocking: true,
            history_length: None,
            push_notification_config: None,
        }
    }
}

fn default_true() -> bool {
    true
}

fn true_if_null<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(Option::<bool>::deserialize(d)?.unwrap_or(true))
}

/// `message/send` / `message/stream` params.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageSendParams {
    /// The message. REQUIRED.
    pub message: Message,
    /// Behaviour.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configuration: Option<MessageSendConfiguration>,
    /// Extension and custom data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
}

/// `tasks/get` params.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskQueryParams {
    /// The task id. REQUIRED.
    pub id: String,
    /// How many recent history messages to return.
    #[serde(
        default,
        deserialize_with = "serde_util::int32::option::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    pub history_length: Option<i32>,
    /// Extension and custom data (1.0 `GetTaskRequest` has none: dropped).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
}

/// `tasks/cancel` and `tasks/resubscribe` params.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskIdParams {
    /// The task id. REQUIRED.
    pub id: String,
    /// Extension and custom data (kept for `tasks/cancel`; dropped for `tasks/resubscribe`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
}

/// `tasks/pushNotificationConfig/get` params (also accepts plain `TaskIdParams`).
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetTaskPushNotificationConfigParams {
    /// The task id. REQUIRED.
    pub id: String,
    /// The config id (empty = absent: the task's only config).
    #[serde(
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub push_notification_config_id: String,
    /// Extension and custom data (dropped in 1.0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
}

/// `tasks/pushNotificationConfig/list` params.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListTaskPushNotificationConfigParams {
    /// The task id. REQUIRED.
    pub id: String,
    /// Extension and custom data (dropped in 1.0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
}

/// `tasks/pushNotificationConfig/delete` params.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeleteTaskPushNotificationConfigParams {
    /// The task id. REQUIRED.
    pub id: String,
    /// The config id. REQUIRED.
    pub push_notification_config_id: String,
    /// Extension and custom data (dropped in 1.0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
}
