//! A2A 0.3 wire shapes and their conversion to and from the 1.0 types.
//!
//! The 0.3 types follow the normative 0.3 JSON schema (`specification/json/a2a.json` of
//! v0.3.0): camelCase names, `kind` discriminators (`task`, `message`, `status-update`,
//! `artifact-update`, `text`, `file`, `data`), OpenAPI-style security schemes told apart
//! by `type`, lower/kebab-case enums (`input-required`, `canceled`, `unknown`). Fields the
//! schema lists as `required` are required when reading (a missing one is an error naming
//! it); unknown fields are ignored. Optional strings are `String` with "empty = absent",
//! as in the 1.0 types, so that both directions of conversion are identities on what
//! both versions express.
//!
//! The server side is reached through [`crate::decode_request`] (0.3 method names) and
//! [`crate::A2aResponse::to_json`] with [`crate::ProtocolVersion::V0_3`]; the client side
//! through [`request_to_params`] and [`decode_result`]; [`hybrid_card`] serves one card to
//! both generations.
//!
//! # What does not convert
//! A conversion never drops data silently except in the cases marked *dropped* below; the
//! others fail with a [`crate::ConversionError`] naming the field.
//!
//! | case | direction | outcome |
//! |---|---|---|
//! | `Part.data` that is not a JSON object | 1.0 → 0.3 | error at `…parts[i].data` (0.3 `DataPart.data` is an object) |
//! | `mediaType`/`filename` on a text or data part | 1.0 → 0.3 | error at `…mediaType` / `…filename` unless empty (0.3 has them on file parts only) |
//! | `raw` / `url` parts | both | ↔ `FileWithBytes` (base64) / `FileWithUri`; `filename` ↔ `name`, `mediaType` ↔ `mimeType` |
//! | file with both or neither of `bytes` and `uri` | 0.3 → 1.0 | decode error at `…file` |
//! | role `ROLE_UNSPECIFIED` | 1.0 → 0.3 | error at `…role` |
//! | state `unknown` ↔ `TASK_STATE_UNSPECIFIED` | both | mapped onto each other |
//! | `TaskStatus.timestamp` | 0.3 → 1.0 | RFC 3339 (any offset, normalized to UTC `Z`); an ISO date-time without offset is read as UTC; anything else is an error at `…status.timestamp` |
//! | `AuthenticationInfo.scheme` ↔ `schemes[]` | both | one scheme ↔ `[scheme]`; 0.3 with zero or several schemes is an error at `…authentication.schemes` |
//! | `configuration.blocking` | both | `blocking: false` ↔ `returnImmediately: true`; absent `blocking` = `true` (0.3 SDKs); always written |
//! | `tenant` (any request, push config) | 1.0 → 0.3 | error at `tenant` (0.3 has no tenants); in **results** the server-assigned tenant of a push config is *dropped* |
//! | `taskId` of the push config inside `configuration` | 1.0 → 0.3 | error (0.3's has none) |
//! | `tasks/pushNotificationConfig/get` without `pushNotificationConfigId` | 0.3 → 1.0 | 1.0 `id: ""`: the server must read it as "the task's only (or first) config" |
//! | `metadata` of `tasks/get`, `tasks/resubscribe` and the push-config methods' params | 0.3 → 1.0 | *dropped*: the 1.0 requests have no such field (a 1.0 server ignores it as an unknown field) |
//! | `pageSize`/`pageToken` of push-config lists | 1.0 → 0.3 | error (0.3 lists everything); a list *result* with a `nextPageToken` is an error |
//! | `ListTasks` request or result | both | error (0.3 JSON-RPC has no such method) |
//! | `final` of a status update | both | = `A2aResponse::StreamEvent.last`; other 0.3 events have no flag: decoded with `last: false` |
//! | OAuth `flows` with several flows, or none | 0.3 → 1.0 | error at `…flows` (1.0 `OAuthFlows` is a oneof) |
//! | `deviceCode` flow, `pkceRequired: true` | 1.0 → 0.3 | error at `…flows.deviceCode` / `…flows.authorizationCode.pkceRequired` |
//! | API key `location` other than `cookie`/`header`/`query` | 1.0 → 0.3 | error |
//! | card `supportedInterfaces` | 1.0 → 0.3 | `url`/`preferredTransport` from the first tenant-free entry with protocol version 0.3 (else the first tenant-free entry), `additionalInterfaces` from the other tenant-free entries in order; per-entry `protocolVersion` is *dropped*; entries with a `tenant` are *dropped* (a 0.3 client cannot send it), and an error when none is tenant-free |
//! | card `url`/`preferredTransport`/`additionalInterfaces` | 0.3 → 1.0 | `supportedInterfaces` = main entry then the additional ones, all with protocol version `0.3` |
//! | card `protocolVersion` | both | 1.0 → 0.3 writes `"0.3.0"`; 0.3 → 1.0 *drops* it |
//! | `capabilities.stateTransitionHistory` | 0.3 → 1.0 | *dropped* (removed in 1.0) |
//! | `supportsAuthenticatedExtendedCard` ↔ `capabilities.extendedAgentCard` | both | mapped |
//! | `security` ↔ `securityRequirements` | both | `{name: [scopes]}` ↔ `{schemes: {name: {list: [scopes]}}}` |

mod card;
mod convert;
mod de;
mod model;
mod rpc;

pub use card::{
    AgentCapabilities, AgentCard, AgentCardSignature, AgentExtension, AgentInterface,
    AgentProvider, AgentSkill, ApiKeyLocation, ApiKeySecurityScheme, AuthorizationCodeOAuthFlow,
    ClientCredentialsOAuthFlow, HttpAuthSecurityScheme, ImplicitOAuthFlow, MutualTlsSecurityScheme,
    OAuth2SecurityScheme, OAuthFlows, OpenIdConnectSecurityScheme, PROTOCOL_VERSION,
    PasswordOAuthFlow, Scopes, SecurityRequirement, SecurityScheme,
};
pub use model::{
    Artifact, ArtifactUpdateKind, DataPart, DeleteTaskPushNotificationConfigParams, FileContent,
    FilePart, FileWithBytes, FileWithUri, GetTaskPushNotificationConfigParams,
    ListTaskPushNotificationConfigParams, Message, MessageKind, MessageSendConfiguration,
    MessageSendParams, Part, PushNotificationAuthenticationInfo, PushNotificationConfig, Role,
    SendMessageResult, StatusUpdateKind, StreamEvent, Task, TaskArtifactUpdateEvent, TaskIdParams,
    TaskKind, TaskPushNotificationConfig, TaskQueryParams, TaskState, TaskStatus,
    TaskStatusUpdateEvent, TextPart,
};
pub use rpc::{decode_result, hybrid_card, request_to_params};
pub(crate) use rpc::{encode_response, request_from_params};
