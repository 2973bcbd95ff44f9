//! Request and response messages of the 11 A2A operations.

use crate::serde_util;
use crate::{Message, Metadata, Task, TaskPushNotificationConfig, TaskState, Timestamp};
use serde::{Deserialize, Serialize};

/// How `SendMessage` should behave.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SendMessageConfiguration {
    /// Media types the client accepts in the response.
    #[serde(
        alias = "accepted_output_modes",
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub accepted_output_modes: Vec<String>,
    /// A webhook to register for the task.
    #[serde(
        alias = "task_push_notification_config",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub task_push_notification_config: Option<TaskPushNotificationConfig>,
    /// How many recent history messages to return (explicit presence).
    #[serde(
        alias = "history_length",
        default,
        deserialize_with = "serde_util::int32::option::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    pub history_length: Option<i32>,
    /// Return right after creating the task instead of waiting for it to settle.
    #[serde(
        alias = "return_immediately",
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "serde_util::is_false"
    )]
    pub return_immediately: bool,
}

/// `SendMessage` / `SendStreamingMessage` request.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SendMessageRequest {
    /// Tenant.
    #[serde(
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub tenant: String,
    /// The message. REQUIRED.
    #[serde(default, deserialize_with = "serde_util::null_default")]
    pub message: Message,
    /// Behaviour.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configuration: Option<SendMessageConfiguration>,
    /// Extension and custom data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
}

/// `GetTask` request.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetTaskRequest {
    /// Tenant.
    #[serde(
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub tenant: String,
    /// The task id. REQUIRED.
    #[serde(default, deserialize_with = "serde_util::null_default")]
    pub id: String,
    /// How many recent history messages to return (explicit presence).
    #[serde(
        alias = "history_length",
        default,
        deserialize_with = "serde_util::int32::option::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    pub history_length: Option<i32>,
}

/// `ListTasks` request.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListTasksRequest {
    /// Tenant.
    #[serde(
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub tenant: String,
    /// Only tasks in this context.
    #[serde(
        alias = "context_id",
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub context_id: String,
    /// Only tasks in this state (`TASK_STATE_UNSPECIFIED` = any).
    #[serde(
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "is_unspecified"
    )]
    pub status: TaskState,
    /// 1..=100, default 50 (explicit presence).
    #[serde(
        alias = "page_size",
        default,
        deserialize_with = "serde_util::int32::option::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    pub page_size: Option<i32>,
    /// Cursor from a previous response.
    #[serde(
        alias = "page_token",
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub page_token: String,
    /// History cap per task (explicit presence).
    #[serde(
        alias = "history_length",
        default,
        deserialize_with = "serde_util::int32::option::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    pub history_length: Option<i32>,
    /// Only tasks whose status timestamp is at or after this.
    #[serde(
        alias = "status_timestamp_after",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub status_timestamp_after: Option<Timestamp>,
    /// Include artifacts (explicit presence; absent = false).
    #[serde(
        alias = "include_artifacts",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub include_artifacts: Option<bool>,
}

fn is_unspecified(s: &TaskState) -> bool {
    *s == TaskState::Unspecified
}

/// `ListTasks` response. Every field is REQUIRED and always written.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListTasksResponse {
    /// The page of tasks (may be empty).
    #[serde(default, deserialize_with = "serde_util::null_default")]
    pub tasks: Vec<Task>,
    /// Cursor for the next page; `""` on the last page.
    #[serde(
        alias = "next_page_token",
        default,
        deserialize_with = "serde_util::null_default"
    )]
    pub next_page_token: String,
    /// The page size used.
    #[serde(
        alias = "page_size",
        default,
        deserialize_with = "serde_util::int32::or_null::deserialize"
    )]
    pub page_size: i32,
    /// Number of matching tasks before paging.
    #[serde(
        alias = "total_size",
        default,
        deserialize_with = "serde_util::int32::or_null::deserialize"
    )]
    pub total_size: i32,
}

/// `CancelTask` request.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CancelTaskRequest {
    /// Tenant.
    #[serde(
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub tenant: String,
    /// The task id. REQUIRED.
    #[serde(default, deserialize_with = "serde_util::null_default")]
    pub id: String,
    /// Extension and custom data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
}

/// `SubscribeToTask` request.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscribeToTaskRequest {
    /// Tenant.
    #[serde(
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub tenant: String,
    /// The task id. REQUIRED.
    #[serde(default, deserialize_with = "serde_util::null_default")]
    pub id: String,
}

/// `GetTaskPushNotificationConfig` request.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetTaskPushNotificationConfigRequest {
    /// Tenant.
    #[serde(
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub tenant: String,
    /// The task id. REQUIRED.
    #[serde(
        alias = "task_id",
        default,
        deserialize_with = "serde_util::null_default"
    )]
    pub task_id: String,
    /// The config id. REQUIRED.
    #[serde(default, deserialize_with = "serde_util::null_default")]
    pub id: String,
}

/// `DeleteTaskPushNotificationConfig` request.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeleteTaskPushNotificationConfigRequest {
    /// Tenant.
    #[serde(
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub tenant: String,
    /// The task id. REQUIRED.
    #[serde(
        alias = "task_id",
        default,
        deserialize_with = "serde_util::null_default"
    )]
    pub task_id: String,
    /// The config id. REQUIRED.
    #[serde(default, deserialize_with = "serde_util::null_default")]
    pub id: String,
}

/// `ListTaskPushNotificationConfigs` request.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListTaskPushNotificationConfigsRequest {
    /// Tenant.
    #[serde(
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub tenant: String,
    /// The task id. REQUIRED.
    #[serde(
        alias = "task_id",
        default,
        deserialize_with = "serde_util::null_default"
    )]
    pub task_id: String,
    /// Page size (0 = server default).
    #[serde(
        alias = "page_size",
        default,
        deserialize_with = "serde_util::int32::or_null::deserialize",
        skip_serializing_if = "is_zero"
    )]
    pub page_size: i32,
    /// Cursor from a previous response.
    #[serde(
        alias = "page_token",
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub page_token: String,
}

fn is_zero(n: &i32) -> bool {
    *n == 0
}

/// `ListTaskPushNotificationConfigs` response.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListTaskPushNotificationConfigsResponse {
    /// The configs.
    #[serde(
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub configs: Vec<TaskPushNotificationConfig>,
    /// Cursor for the next page; empty on the last.
    #[serde(
        alias = "next_page_token",
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub next_page_token: String,
}

/// `GetExtendedAgentCard` request.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetExtendedAgentCardRequest {
    /// Tenant.
    #[serde(
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub tenant: String,
}

/// `google.protobuf.Empty`: the result of `DeleteTaskPushNotificationConfig`, written `{}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Empty {}
