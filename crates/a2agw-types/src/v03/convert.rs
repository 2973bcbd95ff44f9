//! Conversions between the 0.3 types and the 1.0 ones.
//!
//! 0.3 → 1.0 is `From` where every 0.3 value has a 1.0 counterpart and `TryFrom` where
//! some do not; 1.0 → 0.3 is `TryFrom` almost everywhere. Every [`ConversionError`] names
//! the offending field by its path in the *source* value (1.0 camelCase names when
//! converting to 0.3, 0.3 names when converting to 1.0).

use super::card::{
    AgentCapabilities, AgentCard, AgentCardSignature, AgentExtension, AgentInterface,
    AgentProvider, AgentSkill, ApiKeyLocation, ApiKeySecurityScheme, AuthorizationCodeOAuthFlow,
    ClientCredentialsOAuthFlow, HttpAuthSecurityScheme, ImplicitOAuthFlow, MutualTlsSecurityScheme,
    OAuth2SecurityScheme, OAuthFlows, OpenIdConnectSecurityScheme, PROTOCOL_VERSION,
    PasswordOAuthFlow, SecurityRequirement, SecurityScheme,
};
use super::de::join_path;
use super::model::{
    Artifact, ArtifactUpdateKind, DataPart, DeleteTaskPushNotificationConfigParams, FileContent,
    FilePart, FileWithBytes, FileWithUri, GetTaskPushNotificationConfigParams,
    ListTaskPushNotificationConfigParams, Message, MessageKind, MessageSendConfiguration,
    MessageSendParams, Part, PushNotificationAuthenticationInfo, PushNotificationConfig, Role,
    SendMessageResult, StatusUpdateKind, StreamEvent, Task, TaskArtifactUpdateEvent, TaskIdParams,
    TaskKind, TaskPushNotificationConfig, TaskQueryParams, TaskState, TaskStatus,
    TaskStatusUpdateEvent, TextPart,
};
use crate as v1;
use crate::ConversionError;
use crate::jsonrpc::json_type_name;
use serde_json::Value;

type Result<T, E = ConversionError> = std::result::Result<T, E>;

/// The `protocolVersion` of 1.0 `AgentInterface` entries that stand for 0.3 endpoints.
pub(crate) const INTERFACE_VERSION: &str = "0.3";

/// Prefixes the field path of a conversion error with `prefix`.
pub(crate) fn at(prefix: impl AsRef<str>) -> impl FnOnce(ConversionError) -> ConversionError {
    move |mut e| {
        e.field = join_path(prefix.as_ref(), &e.field);
        e
    }
}

pub(crate) fn try_vec<A, B>(items: Vec<A>, field: &str) -> Result<Vec<B>>
where
    B: TryFrom<A, Error = ConversionError>,
{
    items
        .into_iter()
        .enumerate()
        .map(|(i, a)| B::try_from(a).map_err(at(format!("{field}[{i}]"))))
        .collect()
}

fn map_vec<A, B: From<A>>(items: Vec<A>) -> Vec<B> {
    items.into_iter().map(B::from).collect()
}

/// 0.3 has no tenants: a request (or config) that carries one cannot be expressed.
pub(crate) fn no_tenant(tenant: &str) -> Result<()> {
    if tenant.is_empty() {
        Ok(())
    } else {
        Err(ConversionError::to_v03(
            "tenant",
            "0.3 has no tenants; only an empty tenant can be sent to a 0.3 agent",
        ))
    }
}

// ---------------------------------------------------------------- enums

impl From<Role> for v1::Role {
    fn from(r: Role) -> Self {
        match r {
            Role::User => v1::Role::User,
            Role::Agent => v1::Role::Agent,
        }
    }
}

impl TryFrom<v1::Role> for Role {
    type Error = ConversionError;
    fn try_from(r: v1::Role) -> Result<Self> {
        match r {
            v1::Role::User => Ok(Role::User),
            v1::Role::Agent => Ok(Role::Agent),
            v1::Role::Unspecified => Err(ConversionError::to_v03(
                "",
                "0.3 has no unspecified role (only `user`, `agent`)",
            )),
        }
    }
}

impl From<TaskState> for v1::TaskState {
    fn from(s: TaskState) -> Self {
        match s {
            TaskState::Submitted => v1::TaskState::Submitted,
            TaskState::Working => v1::TaskState::Working,
            TaskState::InputRequired => v1::TaskState::InputRequired,
            TaskState::Completed => v1::TaskState::Completed,
            TaskState::Canceled => v1::TaskState::Canceled,
            TaskState::Failed => v1::TaskState::Failed,
            TaskState::Rejected => v1::TaskState::Rejected,
            TaskState::AuthRequired => v1::TaskState::AuthRequired,
            TaskState::Unknown => v1::TaskState::Unspecified,
        }
    }
}

impl From<v1::TaskState> for TaskState {
    fn from(s: v1::TaskState) -> Self {
        match s {
            v1::TaskState::Submitted => TaskState::Submitted,
            v1::TaskState::Working => TaskState::Working,
            v1::TaskState::InputRequired => TaskState::InputRequired,
            v1::TaskState::Completed => TaskState::Completed,
            v1::TaskState::Canceled => TaskState::Canceled,
            v1::TaskState::Failed => TaskState::Failed,
            v1::TaskState::Rejected => TaskState::Rejected,
            v1::TaskState::AuthRequired => TaskState::AuthRequired,
            v1::TaskState::Unspecified => TaskState::Unknown,
        }
    }
}

// ---------------------------------------------------------------- parts and messages

impl From<Part> for v1::Part {
    fn from(p: Part) -> Self {
        match p {
            Part::Text(t) => v1::Part {
                content: v1::PartContent::Text(t.text),
                metadata: t.metadata,
                ..v1::Part::default()
            },
            Part::Data(d) => v1::Part {
                content: v1::PartContent::Data(Value::Object(d.data)),
                metadata: d.metadata,
                ..v1::Part::default()
            },
            Part::File(f) => {
                let (content, media_type, filename) = match f.file {
                    FileContent::Bytes(b) => (v1::PartContent::Raw(b.bytes), b.mime_type, b.name),
                    FileContent::Uri(u) => (v1::PartContent::Url(u.uri), u.mime_type, u.name),
                };
                v1::Part {
                    content,
                    metadata: f.metadata,
                    filename,
                    media_type,
                }
            }
        }
    }
}

/// 0.3 text and data parts have no file name or media type: only empty ones convert.
fn no_file_fields(filename: &str, media_type: &str, kind: &str) -> Result<()> {
    if !media_type.is_empty() {
        return Err(ConversionError::to_v03(
            "mediaType",
            format!("a 0.3 {kind} part has no media type (only file parts carry `mimeType`)"),
        ));
    }
    if !filename.is_empty() {
        return Err(ConversionError::to_v03(
            "filename",
            format!("a 0.3 {kind} part has no file name (only file parts carry `name`)"),
        ));
    }
    Ok(())
}

impl TryFrom<v1::Part> for Part {
    type Error = ConversionError;
    fn try_from(p: v1::Part) -> Result<Self> {
        let v1::Part {
            content,
            metadata,
            filename,
            media_type,
        } = p;
        Ok(match content {
            v1::PartContent::Text(text) => {
                no_file_fields(&filename, &media_type, "text")?;
                Part::Text(TextPart { text, metadata })
            }
            v1::PartContent::Data(Value::Object(data)) => {
                no_file_fields(&filename, &media_type, "data")?;
                Part::Data(DataPart { data, metadata })
            }
            v1::PartContent::Data(other) => {
                return Err(ConversionError::to_v03(
                    "data",
                    format!(
                        "0.3 DataPart.data must be a JSON object, got {}",
                        json_type_name(&other)
                    ),
                ));
            }
            v1::PartContent::Raw(bytes) => Part::File(FilePart {
                file: FileContent::Bytes(FileWithBytes {
                    bytes,
                    mime_type: media_type,
                    name: filename,
                }),
                metadata,
            }),
            v1::PartContent::Url(uri) => Part::File(FilePart {
                file: FileContent::Uri(FileWithUri {
                    uri,
                    mime_type: media_type,
                    name: filename,
                }),
                metadata,
            }),
        })
    }
}

impl From<Message> for v1::Message {
    fn from(m: Message) -> Self {
        v1::Message {
            message_id: m.message_id,
            context_id: m.context_id,
            task_id: m.task_id,
            role: m.role.into(),
            parts: map_vec(m.parts),
            metadata: m.metadata,
            extensions: m.extensions,
            reference_task_ids: m.reference_task_ids,
        }
    }
}

impl TryFrom<v1::Message> for Message {
    type Error = ConversionError;
    fn try_from(m: v1::Message) -> Result<Self> {
        Ok(Message {
            kind: MessageKind,
            message_id: m.message_id,
            context_id: m.context_id,
            task_id: m.task_id,
            role: Role::try_from(m.role).map_err(at("role"))?,
            parts: try_vec(m.parts, "parts")?,
            metadata: m.metadata,
            extensions: m.extensions,
            reference_task_ids: m.reference_task_ids,
        })
    }
}

// ---------------------------------------------------------------- tasks

/// Reads a 0.3 timestamp: RFC 3339, or an ISO 8601 date-time without offset taken as UTC.
fn parse_timestamp(s: &str) -> Result<Option<v1::Timestamp>> {
    if s.is_empty() {
        return Ok(None);
    }
    v1::Timestamp::parse(s)
        .or_else(|e| v1::Timestamp::parse(&format!("{s}Z")).map_err(|_| e))
        .map(Some)
        .map_err(|e| ConversionError::to_v1("timestamp", e.to_string()))
}

impl TryFrom<TaskStatus> for v1::TaskStatus {
    type Error = ConversionError;
    fn try_from(s: TaskStatus) -> Result<Self> {
        Ok(v1::TaskStatus {
            state: s.state.into(),
            message: s.message.map(v1::Message::from),
            timestamp: parse_timestamp(&s.timestamp)?,
        })
    }
}

impl TryFrom<v1::TaskStatus> for TaskStatus {
    type Error = ConversionError;
    fn try_from(s: v1::TaskStatus) -> Result<Self> {
        Ok(TaskStatus {
            state: s.state.into(),
            message: s
                .message
                .map(Message::try_from)
                .transpose()
                .map_err(at("message"))?,
            timestamp: s.timestamp.map(|t| t.to_string()).unwrap_or_default(),
        })
    }
}

impl From<Artifact> for v1::Artifact {
    fn from(a: Artifact) -> Self {
        v1::Artifact {
            artifact_id: a.artifact_id,
            name: a.name,
            description: a.description,
            parts: map_vec(a.parts),
            metadata: a.metadata,
            extensions: a.extensions,
        }
    }
}

impl TryFrom<v1::Artifact> for Artifact {
    type Error = ConversionError;
    fn try_from(a: v1::Artifact) -> Result<Self> {
        Ok(Artifact {
            artifact_id: a.artifact_id,
            name: a.name,
            description: a.description,
            parts: try_vec(a.parts, "parts")?,
            metadata: a.metadata,
            extensions: a.extensions,
        })
    }
}

impl TryFrom<Task> for v1::Task {
    type Error = ConversionError;
    fn try_from(t: Task) -> Result<Self> {
        Ok(v1::Task {
            id: t.id,
            context_id: t.context_id,
            status: v1::TaskStatus::try_from(t.status).map_err(at("status"))?,
            artifacts: t.artifacts.map(map_vec),
            history: map_vec(t.history),
            metadata: t.metadata,
        })
    }
}

impl TryFrom<v1::Task> for Task {
    type Error = ConversionError;
    fn try_from(t: v1::Task) -> Result<Self> {
        Ok(Task {
            kind: TaskKind,
            id: t.id,
            context_id: t.context_id,
            status: TaskStatus::try_from(t.status).map_err(at("status"))?,
            artifacts: t.artifacts.map(|a| try_vec(a, "artifacts")).transpose()?,
            history: try_vec(t.history, "history")?,
            metadata: t.metadata,
        })
    }
}

// ---------------------------------------------------------------- events

impl TaskStatusUpdateEvent {
    /// The 0.3 form of a 1.0 status update; `is_final` becomes `final` (1.0 marks the end
    /// of a stream by closing it).
    pub fn from_v1(e: v1::TaskStatusUpdateEvent, is_final: bool) -> Result<Self> {
        Ok(TaskStatusUpdateEvent {
            kind: StatusUpdateKind,
            task_id: e.task_id,
            context_id: e.context_id,
            status: TaskStatus::try_from(e.status).map_err(at("status"))?,
            r#final: is_final,
            metadata: e.metadata,
        })
    }

    /// The 1.0 status update and the `final` flag.
    pub fn into_v1(self) -> Result<(v1::TaskStatusUpdateEvent, bool)> {
        let e = v1::TaskStatusUpdateEvent {
            task_id: self.task_id,
            context_id: self.context_id,
            status: v1::TaskStatus::try_from(self.status).map_err(at("status"))?,
            metadata: self.metadata,
        };
        Ok((e, self.r#final))
    }
}

impl From<TaskArtifactUpdateEvent> for v1::TaskArtifactUpdateEvent {
    fn from(e: TaskArtifactUpdateEvent) -> Self {
        v1::TaskArtifactUpdateEvent {
            task_id: e.task_id,
            context_id: e.context_id,
            artifact: e.artifact.into(),
            append: e.append,
            last_chunk: e.last_chunk,
            metadata: e.metadata,
        }
    }
}

impl TryFrom<v1::TaskArtifactUpdateEvent> for TaskArtifactUpdateEvent {
    type Error = ConversionError;
    fn try_from(e: v1::TaskArtifactUpdateEvent) -> Result<Self> {
        Ok(TaskArtifactUpdateEvent {
            kind: ArtifactUpdateKind,
            task_id: e.task_id,
            context_id: e.context_id,
            artifact: Artifact::try_from(e.artifact).map_err(at("artifact"))?,
            append: e.append,
            last_chunk: e.last_chunk,
            metadata: e.metadata,
        })
    }
}

impl TryFrom<SendMessageResult> for v1::SendMessageResponse {
    type Error = ConversionError;
    fn try_from(r: SendMessageResult) -> Result<Self> {
        Ok(match r {
            SendMessageResult::Task(t) => v1::SendMessageResponse::Task(t.try_into()?),
            SendMessageResult::Message(m) => v1::SendMessageResponse::Message(m.into()),
        })
    }
}

impl TryFrom<v1::SendMessageResponse> for SendMessageResult {
    type Error = ConversionError;
    fn try_from(r: v1::SendMessageResponse) -> Result<Self> {
        Ok(match r {
            v1::SendMessageResponse::Task(t) => {
                SendMessageResult::Task(Task::try_from(t).map_err(at("task"))?)
            }
            v1::SendMessageResponse::Message(m) => {
                SendMessageResult::Message(Message::try_from(m).map_err(at("message"))?)
            }
        })
    }
}

impl StreamEvent {
    /// The 0.3 form of a 1.0 stream event; `last` becomes `final` on a status update (the
    /// other 0.3 events have no such flag).
    pub fn from_v1(event: v1::StreamResponse, last: bool) -> Result<Self> {
        Ok(match event {
            v1::StreamResponse::Task(t) => {
                StreamEvent::Task(Task::try_from(t).map_err(at("task"))?)
            }
            v1::StreamResponse::Message(m) => {
                StreamEvent::Message(Message::try_from(m).map_err(at("message"))?)
            }
            v1::StreamResponse::StatusUpdate(e) => StreamEvent::StatusUpdate(
                TaskStatusUpdateEvent::from_v1(e, last).map_err(at("statusUpdate"))?,
            ),
            v1::StreamResponse::ArtifactUpdate(e) => StreamEvent::ArtifactUpdate(
                TaskArtifactUpdateEvent::try_from(e).map_err(at("artifactUpdate"))?,
            ),
        })
    }

    /// The 1.0 event and whether it ends the stream (a status update's `final`; `false` for
    /// the other kinds, which carry no such flag).
    pub fn into_v1(self) -> Result<(v1::StreamResponse, bool)> {
        Ok(match self {
            StreamEvent::Task(t) => (v1::StreamResponse::Task(t.try_into()?), false),
            StreamEvent::Message(m) => (v1::StreamResponse::Message(m.into()), false),
            StreamEvent::StatusUpdate(e) => {
                let (e, last) = e.into_v1()?;
                (v1::StreamResponse::StatusUpdate(e), last)
            }
            StreamEvent::ArtifactUpdate(e) => (v1::StreamResponse::ArtifactUpdate(e.into()), false),
        })
    }
}

// ---------------------------------------------------------------- push notification configs

impl From<v1::AuthenticationInfo> for PushNotificationAuthenticationInfo {
    fn from(a: v1::AuthenticationInfo) -> Self {
        PushNotificationAuthenticationInfo {
            schemes: vec![a.scheme],
            credentials: a.credentials,
        }
    }
}

impl TryFrom<PushNotificationAuthenticationInfo> for v1::AuthenticationInfo {
    type Error = ConversionError;
    fn try_from(a: PushNotificationAuthenticationInfo) -> Result<Self> {
        let n = a.schemes.len();
        let mut schemes = a.schemes.into_iter();
        match (schemes.next(), n) {
            (Some(scheme), 1) => Ok(v1::AuthenticationInfo {
                scheme,
                credentials: a.credentials,
            }),
            (None, _) => Err(ConversionError::to_v1(
                "schemes",
                "1.0 needs exactly one scheme; none was given",
            )),
            _ => Err(ConversionError::to_v1(
                "schemes",
                format!(
                    "1.0 holds exactly one scheme; {n} were given and picking one would drop the others"
                ),
            )),
        }
    }
}

fn auth_to_v1(
    a: Option<PushNotificationAuthenticationInfo>,
) -> Result<Option<v1::AuthenticationInfo>> {
    a.map(v1::AuthenticationInfo::try_from)
        .transpose()
        .map_err(at("authentication"))
}

/// The webhook part of a 1.0 config; `taskId` and `tenant` must be handled by the caller.
fn webhook_v03(c: v1::TaskPushNotificationConfig) -> PushNotificationConfig {
    PushNotificationConfig {
        id: c.id,
        url: c.url,
        token: c.token,
        authentication: c
            .authentication
            .map(PushNotificationAuthenticationInfo::from),
    }
}

/// A webhook inside `configuration` (no `taskId`: the task is the one being sent to).
impl TryFrom<PushNotificationConfig> for v1::TaskPushNotificationConfig {
    type Error = ConversionError;
    fn try_from(c: PushNotificationConfig) -> Result<Self> {
        Ok(v1::TaskPushNotificationConfig {
            tenant: String::new(),
            id: c.id,
            task_id: String::new(),
            url: c.url,
            token: c.token,
            authentication: auth_to_v1(c.authentication)?,
        })
    }
}

/// A webhook inside `configuration`: 0.3 has no `taskId` or `tenant` there.
impl TryFrom<v1::TaskPushNotificationConfig> for PushNotificationConfig {
    type Error = ConversionError;
    fn try_from(c: v1::TaskPushNotificationConfig) -> Result<Self> {
        no_tenant(&c.tenant)?;
        if !c.task_id.is_empty() {
            return Err(ConversionError::to_v03(
                "taskId",
                "a 0.3 PushNotificationConfig has no task id (the task is the one the message goes to)",
            ));
        }
        Ok(webhook_v03(c))
    }
}

impl TryFrom<TaskPushNotificationConfig> for v1::TaskPushNotificationConfig {
    type Error = ConversionError;
    fn try_from(c: TaskPushNotificationConfig) -> Result<Self> {
        let mut out = v1::TaskPushNotificationConfig::try_from(c.push_notification_config)
            .map_err(at("pushNotificationConfig"))?;
        out.task_id = c.task_id;
        Ok(out)
    }
}

impl TryFrom<v1::TaskPushNotificationConfig> for TaskPushNotificationConfig {
    type Error = ConversionError;
    fn try_from(mut c: v1::TaskPushNotificationConfig) -> Result<Self> {
        no_tenant(&c.tenant)?;
        let task_id = std::mem::take(&mut c.task_id);
        Ok(TaskPushNotificationConfig {
            task_id,
            push_notification_config: webhook_v03(c),
        })
    }
}

// ---------------------------------------------------------------- method parameters

impl TryFrom<MessageSendConfiguration> for v1::SendMessageConfiguration {
    type Error = ConversionError;
    fn try_from(c: MessageSendConfiguration) -> Result<Self> {
        Ok(v1::SendMessageConfiguration {
            accepted_output_modes: c.accepted_output_modes,
            task_push_notification_config: c
                .push_notification_config
                .map(v1::TaskPushNotificationConfig::try_from)
                .transpose()
                .map_err(at("pushNotificationConfig"))?,
            history_length: c.history_length,
            return_immediately: !c.blocking,
        })
    }
}

impl TryFrom<v1::SendMessageConfiguration> for MessageSendConfiguration {
    type Error = ConversionError;
    fn try_from(c: v1::SendMessageConfiguration) -> Result<Self> {
        Ok(MessageSendConfiguration {
            accepted_output_modes: c.accepted_output_modes,
            blocking: !c.return_immediately,
            history_length: c.history_length,
            push_notification_config: c
                .task_push_notification_config
                .map(PushNotificationConfig::try_from)
                .transpose()
                .map_err(at("taskPushNotificationConfig"))?,
        })
    }
}

impl TryFrom<MessageSendParams> for v1::SendMessageRequest {
    type Error = ConversionError;
    fn try_from(p: MessageSendParams) -> Result<Self> {
        Ok(v1::SendMessageRequest {
            tenant: String::new(),
            message: p.message.into(),
            configuration: p
                .configuration
                .map(v1::SendMessageConfiguration::try_from)
                .transpose()
                .map_err(at("configuration"))?,
            metadata: p.metadata,
        })
    }
}

impl TryFrom<v1::SendMessageRequest> for MessageSendParams {
    type Error = ConversionError;
    fn try_from(r: v1::SendMessageRequest) -> Result<Self> {
        no_tenant(&r.tenant)?;
        Ok(MessageSendParams {
            message: Message::try_from(r.message).map_err(at("message"))?,
            configuration: r
                .configuration
                .map(MessageSendConfiguration::try_from)
                .transpose()
                .map_err(at("configuration"))?,
            metadata: r.metadata,
        })
    }
}

/// `metadata` is dropped: 1.0 `GetTaskRequest` has no such field.
impl From<TaskQueryParams> for v1::GetTaskRequest {
    fn from(p: TaskQueryParams) -> Self {
        v1::GetTaskRequest {
            tenant: String::new(),
            id: p.id,
            history_length: p.history_length,
        }
    }
}

impl TryFrom<v1::GetTaskRequest> for TaskQueryParams {
    type Error = ConversionError;
    fn try_from(r: v1::GetTaskRequest) -> Result<Self> {
        no_tenant(&r.tenant)?;
        Ok(TaskQueryParams {
            id: r.id,
            history_length: r.history_length,
            metadata: None,
        })
    }
}

impl From<TaskIdParams> for v1::CancelTaskRequest {
    fn from(p: TaskIdParams) -> Self {
        v1::CancelTaskRequest {
            tenant: String::new(),
            id: p.id,
            metadata: p.metadata,
        }
    }
}

impl TryFrom<v1::CancelTaskRequest> for TaskIdParams {
    type Error = ConversionError;
    fn try_from(r: v1::CancelTaskRequest) -> Result<Self> {
        no_tenant(&r.tenant)?;
        Ok(TaskIdParams {
            id: r.id,
            metadata: r.metadata,
        })
    }
}

/// `metadata` is dropped: 1.0 `SubscribeToTaskRequest` has no such field.
impl From<TaskIdParams> for v1::SubscribeToTaskRequest {
    fn from(p: TaskIdParams) -> Self {
        v1::SubscribeToTaskRequest {
            tenant: String::new(),
            id: p.id,
        }
    }
}

impl TryFrom<v1::SubscribeToTaskRequest> for TaskIdParams {
    type Error = ConversionError;
    fn try_from(r: v1::SubscribeToTaskRequest) -> Result<Self> {
        no_tenant(&r.tenant)?;
        Ok(TaskIdParams {
            id: r.id,
            metadata: None,
        })
    }
}

/// An absent `pushNotificationConfigId` becomes an empty 1.0 `id`, which the server must
/// read as "the task's only (or first) config" (0.3 let the server pick). `metadata` is
/// dropped.
impl From<GetTaskPushNotificationConfigParams> for v1::GetTaskPushNotificationConfigRequest {
    fn from(p: GetTaskPushNotificationConfigParams) -> Self {
        v1::GetTaskPushNotificationConfigRequest {
            tenant: String::new(),
            task_id: p.id,
            id: p.push_notification_config_id,
        }
    }
}

impl TryFrom<v1::GetTaskPushNotificationConfigRequest> for GetTaskPushNotificationConfigParams {
    type Error = ConversionError;
    fn try_from(r: v1::GetTaskPushNotificationConfigRequest) -> Result<Self> {
        no_tenant(&r.tenant)?;
        Ok(GetTaskPushNotificationConfigParams {
            id: r.task_id,
            push_notification_config_id: r.id,
            metadata: None,
        })
    }
}

/// `metadata` is dropped.
impl From<ListTaskPushNotificationConfigParams> for v1::ListTaskPushNotificationConfigsRequest {
    fn from(p: ListTaskPushNotificationConfigParams) -> Self {
        v1::ListTaskPushNotificationConfigsRequest {
            tenant: String::new(),
            task_id: p.id,
            page_size: 0,
            page_token: String::new(),
        }
    }
}

/// 0.3 lists every config at once: a page size or token cannot be sent.
impl TryFrom<v1::ListTaskPushNotificationConfigsRequest> for ListTaskPushNotificationConfigParams {
    type Error = ConversionError;
    fn try_from(r: v1::ListTaskPushNotificationConfigsRequest) -> Result<Self> {
        no_tenant(&r.tenant)?;
        if r.page_size != 0 {
            return Err(ConversionError::to_v03(
                "pageSize",
                "0.3 has no paging: the list always holds every config",
            ));
        }
        if !r.page_token.is_empty() {
            return Err(ConversionError::to_v03(
                "pageToken",
                "0.3 has no paging: the list always holds every config",
            ));
        }
        Ok(ListTaskPushNotificationConfigParams {
            id: r.task_id,
            metadata: None,
        })
    }
}

/// `metadata` is dropped.
impl From<DeleteTaskPushNotificationConfigParams> for v1::DeleteTaskPushNotificationConfigRequest {
    fn from(p: DeleteTaskPushNotificationConfigParams) -> Self {
        v1::DeleteTaskPushNotificationConfigRequest {
            tenant: String::new(),
            task_id: p.id,
            id: p.push_notification_config_id,
        }
    }
}

impl TryFrom<v1::DeleteTaskPushNotificationConfigRequest>
    for DeleteTaskPushNotificationConfigParams
{
    type Error = ConversionError;
    fn try_from(r: v1::DeleteTaskPushNotificationConfigRequest) -> Result<Self> {
        no_tenant(&r.tenant)?;
        Ok(DeleteTaskPushNotificationConfigParams {
            id: r.task_id,
            push_notification_config_id: r.id,
            metadata: None,
        })
    }
}

// ---------------------------------------------------------------- security

impl TryFrom<OAuthFlows> for v1::OAuthFlows {
    type Error = ConversionError;
    fn try_from(f: OAuthFlows) -> Result<Self> {
        let set: Vec<&str> = [
            f.authorization_code.as_ref().map(|_| "authorizationCode"),
            f.client_credentials.as_ref().map(|_| "clientCredentials"),
            f.implicit.as_ref().map(|_| "implicit"),
            f.password.as_ref().map(|_| "password"),
        ]
        .into_iter()
        .flatten()
        .collect();
        match (
            f.authorization_code,
            f.client_credentials,
            f.implicit,
            f.password,
        ) {
            (Some(a), None, None, None) => Ok(v1::OAuthFlows::AuthorizationCode(
                v1::AuthorizationCodeOAuthFlow {
                    authorization_url: a.authorization_url,
                    token_url: a.token_url,
                    refresh_url: a.refresh_url,
                    scopes: a.scopes,
                    pkce_required: false,
                },
            )),
            (None, Some(c), None, None) => Ok(v1::OAuthFlows::ClientCredentials(
                v1::ClientCredentialsOAuthFlow {
                    token_url: c.token_url,
                    refresh_url: c.refresh_url,
                    scopes: c.scopes,
                },
            )),
            (None, None, Some(i), None) => Ok(v1::OAuthFlows::Implicit(v1::ImplicitOAuthFlow {
                authorization_url: i.authorization_url,
                refresh_url: i.refresh_url,
                scopes: i.scopes,
            })),
            (None, None, None, Some(p)) => Ok(v1::OAuthFlows::Password(v1::PasswordOAuthFlow {
                token_url: p.token_url,
                refresh_url: p.refresh_url,
                scopes: p.scopes,
            })),
            _ => {
                let what = if set.is_empty() {
                    "none was".to_owned()
                } else {
                    format!("{} were ({})", set.len(), set.join(", "))
                };
                Err(ConversionError::to_v1(
                    "",
                    format!(
                        "1.0 OAuthFlows holds exactly one flow; {what} given (declare one scheme per flow)"
                    ),
                ))
            }
        }
    }
}

impl TryFrom<v1::OAuthFlows> for OAuthFlows {
    type Error = ConversionError;
    fn try_from(f: v1::OAuthFlows) -> Result<Self> {
        let mut out = OAuthFlows::default();
        match f {
            v1::OAuthFlows::AuthorizationCode(a) => {
                if a.pkce_required {
                    return Err(ConversionError::to_v03(
                        "authorizationCode.pkceRequired",
                        "0.3 cannot say that PKCE is required",
                    ));
                }
                out.authorization_code = Some(AuthorizationCodeOAuthFlow {
                    authorization_url: a.authorization_url,
                    token_url: a.token_url,
                    refresh_url: a.refresh_url,
                    scopes: a.scopes,
                });
            }
            v1::OAuthFlows::ClientCredentials(c) => {
                out.client_credentials = Some(ClientCredentialsOAuthFlow {
                    token_url: c.token_url,
                    refresh_url: c.refresh_url,
                    scopes: c.scopes,
                });
            }
            v1::OAuthFlows::Implicit(i) => {
                out.implicit = Some(ImplicitOAuthFlow {
                    authorization_url: i.authorization_url,
                    refresh_url: i.refresh_url,
                    scopes: i.scopes,
                });
            }
            v1::OAuthFlows::Password(p) => {
                out.password = Some(PasswordOAuthFlow {
                    token_url: p.token_url,
                    refresh_url: p.refresh_url,
                    scopes: p.scopes,
                });
            }
            v1::OAuthFlows::DeviceCode(_) => {
                return Err(ConversionError::to_v03(
                    "deviceCode",
                    "0.3 has no device code flow",
                ));
            }
        }
        Ok(out)
    }
}

impl TryFrom<SecurityScheme> for v1::SecurityScheme {
    type Error = ConversionError;
    fn try_from(s: SecurityScheme) -> Result<Self> {
        Ok(match s {
            SecurityScheme::ApiKey(a) => {
                v1::SecurityScheme::ApiKeySecurityScheme(v1::ApiKeySecurityScheme {
                    description: a.description,
                    location: a.location.as_str().to_owned(),
                    name: a.name,
                })
            }
            SecurityScheme::Http(h) => {
                v1::SecurityScheme::HttpAuthSecurityScheme(v1::HttpAuthSecurityScheme {
                    description: h.description,
                    scheme: h.scheme,
                    bearer_format: h.bearer_format,
                })
            }
            SecurityScheme::OAuth2(o) => {
                v1::SecurityScheme::Oauth2SecurityScheme(v1::OAuth2SecurityScheme {
                    description: o.description,
                    flows: v1::OAuthFlows::try_from(o.flows).map_err(at("flows"))?,
                    oauth2_metadata_url: o.oauth2_metadata_url,
                })
            }
            SecurityScheme::OpenIdConnect(o) => {
                v1::SecurityScheme::OpenIdConnectSecurityScheme(v1::OpenIdConnectSecurityScheme {
                    description: o.description,
                    open_id_connect_url: o.open_id_connect_url,
                })
            }
            SecurityScheme::MutualTls(m) => {
                v1::SecurityScheme::MtlsSecurityScheme(v1::MutualTlsSecurityScheme {
                    description: m.description,
                })
            }
        })
    }
}

impl TryFrom<v1::SecurityScheme> for SecurityScheme {
    type Error = ConversionError;
    fn try_from(s: v1::SecurityScheme) -> Result<Self> {
        Ok(match s {
            v1::SecurityScheme::ApiKeySecurityScheme(a) => {
                let location = match a.location.as_str() {
                    "cookie" => ApiKeyLocation::Cookie,
                    "header" => ApiKeyLocation::Header,
                    "query" => ApiKeyLocation::Query,
                    other => {
                        return Err(ConversionError::to_v03(
                            "apiKeySecurityScheme.location",
                            format!("0.3 `in` is `cookie`, `header` or `query`, got `{other}`"),
                        ));
                    }
                };
                SecurityScheme::ApiKey(ApiKeySecurityScheme {
                    description: a.description,
                    location,
                    name: a.name,
                })
            }
            v1::SecurityScheme::HttpAuthSecurityScheme(h) => {
                SecurityScheme::Http(HttpAuthSecurityScheme {
                    description: h.description,
                    scheme: h.scheme,
                    bearer_format: h.bearer_format,
                })
            }
            v1::SecurityScheme::Oauth2SecurityScheme(o) => {
                SecurityScheme::OAuth2(OAuth2SecurityScheme {
                    description: o.description,
                    flows: OAuthFlows::try_from(o.flows)
                        .map_err(at("oauth2SecurityScheme.flows"))?,
                    oauth2_metadata_url: o.oauth2_metadata_url,
                })
            }
            v1::SecurityScheme::OpenIdConnectSecurityScheme(o) => {
                SecurityScheme::OpenIdConnect(OpenIdConnectSecurityScheme {
                    description: o.description,
                    open_id_connect_url: o.open_id_connect_url,
                })
            }
            v1::SecurityScheme::MtlsSecurityScheme(m) => {
                SecurityScheme::MutualTls(MutualTlsSecurityScheme {
                    description: m.description,
                })
            }
        })
    }
}

fn requirement_v1(r: SecurityRequirement) -> v1::SecurityRequirement {
    v1::SecurityRequirement {
        schemes: r
            .into_iter()
            .map(|(name, list)| (name, v1::StringList { list }))
            .collect(),
    }
}

fn requirement_v03(r: v1::SecurityRequirement) -> SecurityRequirement {
    r.schemes
        .into_iter()
        .map(|(name, scopes)| (name, scopes.list))
        .collect()
}

// ---------------------------------------------------------------- agent card

impl From<AgentProvider> for v1::AgentProvider {
    fn from(p: AgentProvider) -> Self {
        v1::AgentProvider {
            url: p.url,
            organization: p.organization,
        }
    }
}

impl From<v1::AgentProvider> for AgentProvider {
    fn from(p: v1::AgentProvider) -> Self {
        AgentProvider {
            organization: p.organization,
            url: p.url,
        }
    }
}

impl From<AgentExtension> for v1::AgentExtension {
    fn from(e: AgentExtension) -> Self {
        v1::AgentExtension {
            uri: e.uri,
            description: e.description,
            required: e.required,
            params: e.params,
        }
    }
}

impl From<v1::AgentExtension> for AgentExtension {
    fn from(e: v1::AgentExtension) -> Self {
        AgentExtension {
            uri: e.uri,
            description: e.description,
            required: e.required,
            params: e.params,
        }
    }
}

impl From<AgentSkill> for v1::AgentSkill {
    fn from(s: AgentSkill) -> Self {
        v1::AgentSkill {
            id: s.id,
            name: s.name,
            description: s.description,
            tags: s.tags,
            examples: s.examples,
            input_modes: s.input_modes,
            output_modes: s.output_modes,
            security_requirements: s.security.into_iter().map(requirement_v1).collect(),
        }
    }
}

impl From<v1::AgentSkill> for AgentSkill {
    fn from(s: v1::AgentSkill) -> Self {
        AgentSkill {
            id: s.id,
            name: s.name,
            description: s.description,
            tags: s.tags,
            examples: s.examples,
            input_modes: s.input_modes,
            output_modes: s.output_modes,
            security: s
                .security_requirements
                .into_iter()
                .map(requirement_v03)
                .collect(),
        }
    }
}

impl From<AgentCardSignature> for v1::AgentCardSignature {
    fn from(s: AgentCardSignature) -> Self {
        v1::AgentCardSignature {
            protected: s.protected,
            signature: s.signature,
            header: s.header,
        }
    }
}

impl From<v1::AgentCardSignature> for AgentCardSignature {
    fn from(s: v1::AgentCardSignature) -> Self {
        AgentCardSignature {
            protected: s.protected,
            signature: s.signature,
            header: s.header,
        }
    }
}

fn is_v03_interface(i: &v1::AgentInterface) -> bool {
    i.protocol_version == INTERFACE_VERSION || i.protocol_version.starts_with("0.3.")
}

/// The 0.3 `url` + `preferredTransport` and `additionalInterfaces` of 1.0 interfaces.
///
/// The main interface is the first entry with protocol version 0.3, else the first entry;
/// the others follow in order as `additionalInterfaces`. Entries with a `tenant` are left
/// out (a 0.3 client cannot send a tenant) and cannot be the main one. When the card
/// declares any 0.3 entry, only 0.3 entries are listed: a 0.3 client must not be sent to
/// an endpoint that speaks only 1.0 (e.g. a `lf.a2a.v1` gRPC service).
pub(crate) fn interfaces_v03(
    interfaces: &[v1::AgentInterface],
) -> Result<(AgentInterface, Vec<AgentInterface>)> {
    let any_v03 = interfaces
        .iter()
        .any(|i| i.tenant.is_empty() && is_v03_interface(i));
    let usable = |i: &v1::AgentInterface| i.tenant.is_empty() && (!any_v03 || is_v03_interface(i));
    let main = interfaces
        .iter()
        .position(|i| usable(i) && is_v03_interface(i))
        .or_else(|| interfaces.iter().position(usable))
        .ok_or_else(|| {
            let reason = if interfaces.is_empty() {
                "0.3 needs an interface for the card's `url`; none is declared"
            } else {
                "every interface has a tenant, which a 0.3 client cannot send"
            };
            ConversionError::to_v03("supportedInterfaces", reason)
        })?;
    let to_v03 = |i: &v1::AgentInterface| AgentInterface {
        url: i.url.clone(),
        transport: i.protocol_binding.clone(),
    };
    let mut rest = Vec::with_capacity(interfaces.len().saturating_sub(1));
    let mut primary = None;
    for (n, i) in interfaces.iter().enumerate() {
        if n == main {
            primary = Some(to_v03(i));
        } else if usable(i) {
            rest.push(to_v03(i));
        }
    }
    let primary = primary
        .ok_or_else(|| ConversionError::to_v03("supportedInterfaces", "no main interface"))?;
    Ok((primary, rest))
}

impl TryFrom<AgentCard> for v1::AgentCard {
    type Error = ConversionError;
    fn try_from(c: AgentCard) -> Result<Self> {
        let interface = |url: String, binding: String| v1::AgentInterface {
            url,
            protocol_binding: binding,
            tenant: String::new(),
            protocol_version: INTERFACE_VERSION.to_owned(),
        };
        let mut supported_interfaces = Vec::with_capacity(1 + c.additional_interfaces.len());
        supported_interfaces.push(interface(c.url, c.preferred_transport));
        supported_interfaces.extend(
            c.additional_interfaces
                .into_iter()
                .map(|i| interface(i.url, i.transport)),
        );
        let security_schemes = c
            .security_schemes
            .into_iter()
            .map(|(name, s)| {
                let path = format!("securitySchemes[{name:?}]");
                v1::SecurityScheme::try_from(s)
                    .map(|s| (name, s))
                    .map_err(at(path))
            })
            .collect::<Result<_>>()?;
        Ok(v1::AgentCard {
            name: c.name,
            description: c.description,
            supported_interfaces,
            provider: c.provider.map(Into::into),
            version: c.version,
            documentation_url: c.documentation_url,
            capabilities: v1::AgentCapabilities {
                streaming: c.capabilities.streaming,
                push_notifications: c.capabilities.push_notifications,
                extensions: map_vec(c.capabilities.extensions),
                extended_agent_card: c.supports_authenticated_extended_card,
            },
            security_schemes,
            security_requirements: c.security.into_iter().map(requirement_v1).collect(),
            default_input_modes: c.default_input_modes,
            default_output_modes: c.default_output_modes,
            skills: map_vec(c.skills),
            signatures: map_vec(c.signatures),
            icon_url: c.icon_url,
        })
    }
}

impl TryFrom<v1::AgentCard> for AgentCard {
    type Error = ConversionError;
    fn try_from(c: v1::AgentCard) -> Result<Self> {
        let (main, additional_interfaces) = interfaces_v03(&c.supported_interfaces)?;
        let security_schemes = c
            .security_schemes
            .into_iter()
            .map(|(name, s)| {
                let path = format!("securitySchemes[{name:?}]");
                SecurityScheme::try_from(s)
                    .map(|s| (name, s))
                    .map_err(at(path))
            })
            .collect::<Result<_>>()?;
        Ok(AgentCard {
            protocol_version: PROTOCOL_VERSION.to_owned(),
            name: c.name,
            description: c.description,
            url: main.url,
            preferred_transport: main.transport,
            additional_interfaces,
            icon_url: c.icon_url,
            provider: c.provider.map(Into::into),
            version: c.version,
            documentation_url: c.documentation_url,
            capabilities: AgentCapabilities {
                streaming: c.capabilities.streaming,
                push_notifications: c.capabilities.push_notifications,
                state_transition_history: None,
                extensions: map_vec(c.capabilities.extensions),
            },
            security_schemes,
            security: c
                .security_requirements
                .into_iter()
                .map(requirement_v03)
                .collect(),
            default_input_modes: c.default_input_modes,
            default_output_modes: c.default_output_modes,
            skills: map_vec(c.skills),
            supports_authenticated_extended_card: c.capabilities.extended_agent_card,
            signatures: map_vec(c.signatures),
        })
    }
}
