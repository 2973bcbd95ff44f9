//! The admin API's types: who may call it ([`AdminAuth`]), what carries out its operations
//! ([`AgentAdmin`], given by the binary), and why an operation or a request failed
//! ([`AdminError`], [`Denied`]). The routes are in `admin.rs`; the wire forms of the errors
//! in `error/respond.rs`.

use serde_json::Value;
use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::Arc;

/// Who may call the admin API.
#[derive(Clone, Debug, Default)]
pub struct AdminAuth {
    /// SHA-256 (hex, lower case) of each admin key → the admin it names (for logs).
    pub keys: HashMap<String, String>,
    /// A JWT accepted by the gateway's authentication whose roles claim holds this role is
    /// an admin (`None`: no JWT is).
    pub role: Option<String>,
}

/// The admin API: its credential and what carries out its operations.
#[derive(Clone, Debug)]
pub struct Admin {
    /// Who may call it.
    pub auth: AdminAuth,
    /// What it does.
    pub agents: Arc<dyn AgentAdmin>,
}

/// One agent as the admin API shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct AdminAgent {
    /// Its name.
    pub name: String,
    /// Its registration's version (`None` for a configured agent): the `ETag`.
    pub version: Option<i64>,
    /// The JSON shown.
    pub view: Value,
}

/// Why an admin operation failed; each kind has its HTTP status
/// (`error::respond::admin_error_response`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AdminError {
    /// The request is wrong: `field` names what (`card_url`, `skills[0].tags`, or `""`
    /// for the body as a whole). 400.
    #[error("{field}: {message}")]
    Invalid {
        /// The field at fault.
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// The upstream the registration points at failed (unreachable, timeout, 5xx). 502.
    #[error("{field}: {message}")]
    Upstream {
        /// The field that names the upstream.
        field: String,
        /// What failed.
        message: String,
    },
    /// No such agent. 404.
    #[error("no agent named `{0}` is registered")]
    NotFound(String),
    /// The name is taken, or the agent is configured (not registered) and so read-only
    /// here. 409.
    #[error("{0}")]
    Conflict(String),
    /// `If-Match` names another version. 412.
    #[error("{0}")]
    PreconditionFailed(String),
    /// Something on our side failed (the store). 500.
    #[error("{0}")]
    Internal(String),
}

impl AdminError {
    /// [`AdminError::Invalid`].
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        AdminError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// The admin API's operations. Every mutation either happens whole (stored, then served)
/// or not at all.
#[async_trait::async_trait]
pub trait AgentAdmin: Send + Sync + Debug + 'static {
    /// Every agent, by name.
    async fn list(&self) -> Result<Vec<AdminAgent>, AdminError>;
    /// One agent.
    async fn get(&self, name: &str) -> Result<AdminAgent, AdminError>;
    /// Registers the agent `body` describes (a JSON object with its `name`).
    async fn create(&self, body: Value) -> Result<AdminAgent, AdminError>;
    /// Replaces `name`'s registration with `body`, at version `if_match` when given.
    async fn replace(
        &self,
        name: &str,
        body: Value,
        if_match: Option<i64>,
    ) -> Result<AdminAgent, AdminError>;
    /// Removes `name`, at version `if_match` when given.
    async fn delete(&self, name: &str, if_match: Option<i64>) -> Result<(), AdminError>;
    /// Serves `name` (`true`) or stops serving it (`false`), keeping its registration.
    async fn set_enabled(&self, name: &str, enabled: bool) -> Result<AdminAgent, AdminError>;
    /// Fetches `name`'s card again now.
    async fn refresh(&self, name: &str) -> Result<AdminAgent, AdminError>;
}

/// Why a request may not use the admin API.
#[derive(Debug)]
pub(crate) enum Denied {
    /// No admin API here: 404.
    Off,
    /// No valid credential: 401.
    Unauthenticated(String),
    /// A valid credential that is not an admin's: 403.
    Forbidden(String),
}
