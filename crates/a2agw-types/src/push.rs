//! Push notification configuration.

use crate::serde_util;
use serde::{Deserialize, Serialize};

/// A webhook registered for a task.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskPushNotificationConfig {
    /// Tenant.
    #[serde(
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub tenant: String,
    /// The config's id (assigned by the server when absent).
    #[serde(
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub id: String,
    /// The task.
    #[serde(
        alias = "task_id",
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub task_id: String,
    /// The webhook URL. REQUIRED.
    #[serde(default, deserialize_with = "serde_util::null_default")]
    pub url: String,
    /// A secret chosen by the client, sent with each notification.
    #[serde(
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub token: String,
    /// How the server authenticates to the webhook.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authentication: Option<AuthenticationInfo>,
}

// Secrets (token, credentials) never reach logs.
impl std::fmt::Debug for TaskPushNotificationConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaskPushNotificationConfig")
            .field("tenant", &self.tenant)
            .field("id", &self.id)
            .field("task_id", &self.task_id)
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

/// Credentials for `Authorization: <scheme> <credentials>`.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthenticationInfo {
    /// IANA HTTP auth scheme, e.g. `Bearer`. REQUIRED.
    #[serde(default, deserialize_with = "serde_util::null_default")]
    pub scheme: String,
    /// The credentials.
    #[serde(
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub credentials: String,
}

impl std::fmt::Debug for AuthenticationInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthenticationInfo")
            .field("scheme", &self.scheme)
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
