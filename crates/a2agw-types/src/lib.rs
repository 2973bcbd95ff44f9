//! The A2A 1.0 data model in its exact ProtoJSON form, the JSON-RPC 2.0 envelope, the
//! A2A error codes and the 0.3 compatibility mapping.
//!
//! This is the protocol core every other crate speaks in. It is plain data: it must never
//! depend on tokio, hyper, axum, reqwest or any I/O.
//!
//! # JSON form
//! Serialization follows ProtoJSON of `lf.a2a.v1` (the official `a2a.proto`): camelCase
//! names, enum value names (`TASK_STATE_COMPLETED`), oneofs as one member
//! (`{"task": …}`), `Struct`/`Value` as JSON, `Timestamp` as RFC 3339 UTC, `bytes` as
//! base64. Default values are omitted, except REQUIRED fields and fields with explicit
//! presence (`Option`), which are always written when set. Reading ignores unknown
//! fields, accepts snake_case names, enum numbers and `null` for absent.
//!
//! REQUIRED fields read leniently (missing = default); [`Validate`] checks them, so a
//! server can answer with the spec's `-32602` naming each field.
//!
//! # Features
//! | feature | what it adds |
//! |---|---|
//! | `arbitrary` | proptest strategies for every type (module `arbitrary`) |

mod card;
mod error;
mod error_code;
mod events;
mod jsonrpc;
mod message;
mod push;
mod requests;
mod security;
mod serde_util;
mod task;
mod timestamp;
mod validate;

#[cfg(feature = "arbitrary")]
pub mod arbitrary;
pub mod v03;

/// A `google.protobuf.Struct`: string keys, any JSON values.
pub type Metadata = serde_json::Map<String, serde_json::Value>;

pub use card::{
    AgentCapabilities, AgentCard, AgentCardSignature, AgentExtension, AgentInterface,
    AgentProvider, AgentSkill, binding,
};
pub use error::{
    ConversionError, DecodeError, DecodeErrorKind, Error, FieldViolation, Result, ValidationError,
    from_json, from_value,
};
pub use error_code::{A2aError, BAD_REQUEST_TYPE, ERROR_DOMAIN, ERROR_INFO_TYPE, ErrorCode};
pub use events::{
    SendMessageResponse, StreamResponse, TaskArtifactUpdateEvent, TaskStatusUpdateEvent,
};
pub use jsonrpc::{
    A2aRequest, A2aResponse, DecodedRequest, JSONRPC_VERSION, JsonRpcError, JsonRpcRequest,
    JsonRpcResponse, Method, ProtocolVersion, RejectedRequest, RequestId, decode_request,
    json_type_name,
};
pub use message::{Message, Part, PartContent, Role};
pub use push::{AuthenticationInfo, TaskPushNotificationConfig};
pub use requests::{
    CancelTaskRequest, DeleteTaskPushNotificationConfigRequest, Empty, GetExtendedAgentCardRequest,
    GetTaskPushNotificationConfigRequest, GetTaskRequest, ListTaskPushNotificationConfigsRequest,
    ListTaskPushNotificationConfigsResponse, ListTasksRequest, ListTasksResponse,
    SendMessageConfiguration, SendMessageRequest, SubscribeToTaskRequest,
};
pub use security::{
    ApiKeySecurityScheme, AuthorizationCodeOAuthFlow, ClientCredentialsOAuthFlow,
    DeviceCodeOAuthFlow, HttpAuthSecurityScheme, ImplicitOAuthFlow, MutualTlsSecurityScheme,
    OAuth2SecurityScheme, OAuthFlows, OpenIdConnectSecurityScheme, PasswordOAuthFlow, Scopes,
    SecurityRequirement, SecurityScheme, StringList,
};
pub use task::{Artifact, Task, TaskState, TaskStatus};
pub use timestamp::{Timestamp, TimestampError};
pub use validate::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Validate};
