//! Requests and responses of the A2A operations, and push notification configs.

use super::error::ConvertError;
use super::{
    into_vec, metadata_from, metadata_into, task_state_from, timestamp_from, timestamp_into,
    try_opt, try_req, try_vec,
};
use crate::v1;
use a2agw_types as t;

impl From<t::AuthenticationInfo> for v1::AuthenticationInfo {
    fn from(a: t::AuthenticationInfo) -> Self {
        v1::AuthenticationInfo {
            scheme: a.scheme,
            credentials: a.credentials,
        }
    }
}

impl TryFrom<v1::AuthenticationInfo> for t::AuthenticationInfo {
    type Error = ConvertError;
    fn try_from(a: v1::AuthenticationInfo) -> Result<Self, ConvertError> {
        Ok(t::AuthenticationInfo {
            scheme: a.scheme,
            credentials: a.credentials,
        })
    }
}

impl From<t::TaskPushNotificationConfig> for v1::TaskPushNotificationConfig {
    fn from(c: t::TaskPushNotificationConfig) -> Self {
        v1::TaskPushNotificationConfig {
            tenant: c.tenant,
            id: c.id,
            task_id: c.task_id,
            url: c.url,
            token: c.token,
            authentication: c.authentication.map(Into::into),
        }
    }
}

impl TryFrom<v1::TaskPushNotificationConfig> for t::TaskPushNotificationConfig {
    type Error = ConvertError;
    fn try_from(c: v1::TaskPushNotificationConfig) -> Result<Self, ConvertError> {
        Ok(t::TaskPushNotificationConfig {
            tenant: c.tenant,
            id: c.id,
            task_id: c.task_id,
            url: c.url,
            token: c.token,
            authentication: try_opt(c.authentication, "authentication")?,
        })
    }
}

impl From<t::SendMessageConfiguration> for v1::SendMessageConfiguration {
    fn from(c: t::SendMessageConfiguration) -> Self {
        v1::SendMessageConfiguration {
            accepted_output_modes: c.accepted_output_modes,
            task_push_notification_config: c.task_push_notification_config.map(Into::into),
            history_length: c.history_length,
            return_immediately: c.return_immediately,
        }
    }
}

impl TryFrom<v1::SendMessageConfiguration> for t::SendMessageConfiguration {
    type Error = ConvertError;
    fn try_from(c: v1::SendMessageConfiguration) -> Result<Self, ConvertError> {
        Ok(t::SendMessageConfiguration {
            accepted_output_modes: c.accepted_output_modes,
            task_push_notification_config: try_opt(
                c.task_push_notification_config,
                "taskPushNotificationConfig",
            )?,
            history_length: c.history_length,
            return_immediately: c.return_immediately,
        })
    }
}

impl From<t::SendMessageRequest> for v1::SendMessageRequest {
    fn from(r: t::SendMessageRequest) -> Self {
        v1::SendMessageRequest {
            tenant: r.tenant,
            message: Some(r.message.into()),
            configuration: r.configuration.map(Into::into),
            metadata: metadata_into(r.metadata),
        }
    }
}

/// An absent `message` becomes the default (empty) message, which
/// `a2agw_types::Validate` then refuses naming each missing field.
impl TryFrom<v1::SendMessageRequest> for t::SendMessageRequest {
    type Error = ConvertError;
    fn try_from(r: v1::SendMessageRequest) -> Result<Self, ConvertError> {
        Ok(t::SendMessageRequest {
            tenant: r.tenant,
            message: try_req(r.message, "message")?,
            configuration: try_opt(r.configuration, "configuration")?,
            metadata: metadata_from(r.metadata, "metadata")?,
        })
    }
}

impl From<t::GetTaskRequest> for v1::GetTaskRequest {
    fn from(r: t::GetTaskRequest) -> Self {
        v1::GetTaskRequest {
            tenant: r.tenant,
            id: r.id,
            history_length: r.history_length,
        }
    }
}

impl TryFrom<v1::GetTaskRequest> for t::GetTaskRequest {
    type Error = ConvertError;
    fn try_from(r: v1::GetTaskRequest) -> Result<Self, ConvertError> {
        Ok(t::GetTaskRequest {
            tenant: r.tenant,
            id: r.id,
            history_length: r.history_length,
        })
    }
}

impl From<t::ListTasksRequest> for v1::ListTasksRequest {
    fn from(r: t::ListTasksRequest) -> Self {
        v1::ListTasksRequest {
            tenant: r.tenant,
            context_id: r.context_id,
            status: v1::TaskState::from(r.status).into(),
            page_size: r.page_size,
            page_token: r.page_token,
            history_length: r.history_length,
            status_timestamp_after: r.status_timestamp_after.map(timestamp_into),
            include_artifacts: r.include_artifacts,
        }
    }
}

impl TryFrom<v1::ListTasksRequest> for t::ListTasksRequest {
    type Error = ConvertError;
    fn try_from(r: v1::ListTasksRequest) -> Result<Self, ConvertError> {
        Ok(t::ListTasksRequest {
            tenant: r.tenant,
            context_id: r.context_id,
            status: task_state_from(r.status, "status")?,
            page_size: r.page_size,
            page_token: r.page_token,
            history_length: r.history_length,
            status_timestamp_after: r
                .status_timestamp_after
                .map(|ts| timestamp_from(ts, "statusTimestampAfter"))
                .transpose()?,
            include_artifacts: r.include_artifacts,
        })
    }
}

impl From<t::ListTasksResponse> for v1::ListTasksResponse {
    fn from(r: t::ListTasksResponse) -> Self {
        v1::ListTasksResponse {
            tasks: into_vec(r.tasks),
            next_page_token: r.next_page_token,
            page_size: r.page_size,
            total_size: r.total_size,
        }
    }
}

impl TryFrom<v1::ListTasksResponse> for t::ListTasksResponse {
    type Error = ConvertError;
    fn try_from(r: v1::ListTasksResponse) -> Result<Self, ConvertError> {
        Ok(t::ListTasksResponse {
            tasks: try_vec(r.tasks, "tasks")?,
            next_page_token: r.next_page_token,
            page_size: r.page_size,
            total_size: r.total_size,
        })
    }
}

impl From<t::CancelTaskRequest> for v1::CancelTaskRequest {
    fn from(r: t::CancelTaskRequest) -> Self {
        v1::CancelTaskRequest {
            tenant: r.tenant,
            id: r.id,
            metadata: metadata_into(r.metadata),
        }
    }
}

impl TryFrom<v1::CancelTaskRequest> for t::CancelTaskRequest {
    type Error = ConvertError;
    fn try_from(r: v1::CancelTaskRequest) -> Result<Self, ConvertError> {
        Ok(t::CancelTaskRequest {
            tenant: r.tenant,
            id: r.id,
            metadata: metadata_from(r.metadata, "metadata")?,
        })
    }
}

impl From<t::SubscribeToTaskRequest> for v1::SubscribeToTaskRequest {
    fn from(r: t::SubscribeToTaskRequest) -> Self {
        v1::SubscribeToTaskRequest {
            tenant: r.tenant,
            id: r.id,
        }
    }
}

impl TryFrom<v1::SubscribeToTaskRequest> for t::SubscribeToTaskRequest {
    type Error = ConvertError;
    fn try_from(r: v1::SubscribeToTaskRequest) -> Result<Self, ConvertError> {
        Ok(t::SubscribeToTaskRequest {
            tenant: r.tenant,
            id: r.id,
        })
    }
}

impl From<t::GetTaskPushNotificationConfigRequest> for v1::GetTaskPushNotificationConfigRequest {
    fn from(r: t::GetTaskPushNotificationConfigRequest) -> Self {
        v1::GetTaskPushNotificationConfigRequest {
            tenant: r.tenant,
            task_id: r.task_id,
            id: r.id,
        }
    }
}

impl TryFrom<v1::GetTaskPushNotificationConfigRequest> for t::GetTaskPushNotificationConfigRequest {
    type Error = ConvertError;
    fn try_from(r: v1::GetTaskPushNotificationConfigRequest) -> Result<Self, ConvertError> {
        Ok(t::GetTaskPushNotificationConfigRequest {
            tenant: r.tenant,
            task_id: r.task_id,
            id: r.id,
        })
    }
}

impl From<t::DeleteTaskPushNotificationConfigRequest>
    for v1::DeleteTaskPushNotificationConfigRequest
{
    fn from(r: t::DeleteTaskPushNotificationConfigRequest) -> Self {
        v1::DeleteTaskPushNotificationConfigRequest {
            tenant: r.tenant,
            task_id: r.task_id,
            id: r.id,
        }
    }
}

impl TryFrom<v1::DeleteTaskPushNotificationConfigRequest>
    for t::DeleteTaskPushNotificationConfigRequest
{
    type Error = ConvertError;
    fn try_from(r: v1::DeleteTaskPushNotificationConfigRequest) -> Result<Self, ConvertError> {
        Ok(t::DeleteTaskPushNotificationConfigRequest {
            tenant: r.tenant,
            task_id: r.task_id,
            id: r.id,
        })
    }
}

impl From<t::ListTaskPushNotificationConfigsRequest>
    for v1::ListTaskPushNotificationConfigsRequest
{
    fn from(r: t::ListTaskPushNotificationConfigsRequest) -> Self {
        v1::ListTaskPushNotificationConfigsRequest {
            tenant: r.tenant,
            task_id: r.task_id,
            page_size: r.page_size,
            page_token: r.page_token,
        }
    }
}

impl TryFrom<v1::ListTaskPushNotificationConfigsRequest>
    for t::ListTaskPushNotificationConfigsRequest
{
    type Error = ConvertError;
    fn try_from(r: v1::ListTaskPushNotificationConfigsRequest) -> Result<Self, ConvertError> {
        Ok(t::ListTaskPushNotificationConfigsRequest {
            tenant: r.tenant,
            task_id: r.task_id,
            page_size: r.page_size,
            page_token: r.page_token,
        })
    }
}

impl From<t::ListTaskPushNotificationConfigsResponse>
    for v1::ListTaskPushNotificationConfigsResponse
{
    fn from(r: t::ListTaskPushNotificationConfigsResponse) -> Self {
        v1::ListTaskPushNotificationConfigsResponse {
            configs: into_vec(r.configs),
            next_page_token: r.next_page_token,
        }
    }
}

impl TryFrom<v1::ListTaskPushNotificationConfigsResponse>
    for t::ListTaskPushNotificationConfigsResponse
{
    type Error = ConvertError;
    fn try_from(r: v1::ListTaskPushNotificationConfigsResponse) -> Result<Self, ConvertError> {
        Ok(t::ListTaskPushNotificationConfigsResponse {
            configs: try_vec(r.configs, "configs")?,
            next_page_token: r.next_page_token,
        })
    }
}

impl From<t::GetExtendedAgentCardRequest> for v1::GetExtendedAgentCardRequest {
    fn from(r: t::GetExtendedAgentCardRequest) -> Self {
        v1::GetExtendedAgentCardRequest { tenant: r.tenant }
    }
}

impl TryFrom<v1::GetExtendedAgentCardRequest> for t::GetExtendedAgentCardRequest {
    type Error = ConvertError;
    fn try_from(r: v1::GetExtendedAgentCardRequest) -> Result<Self, ConvertError> {
        Ok(t::GetExtendedAgentCardRequest { tenant: r.tenant })
    }
}
