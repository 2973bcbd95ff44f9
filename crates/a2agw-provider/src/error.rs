//! Provider errors.

/// The result type of providers.
pub type Result<T, E = ProviderError> = std::result::Result<T, E>;

/// What went wrong, in terms the engine can map to a task state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProviderErrorKind {
    /// The upstream refused the work before starting (validation, unknown agent, busy):
    /// the task ends REJECTED.
    Rejected,
    /// The upstream or its credentials are not usable right now (5xx, network, auth).
    Unavailable,
    /// The upstream did not answer in time.
    Timeout,
    /// The upstream answered something that breaks its own protocol.
    Malformed,
    /// The operation is not supported by this provider (e.g. cancel).
    Unsupported,
    /// Anything else.
    Other,
}

/// A provider failure with a message a user can act on.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ProviderError {
    /// The category.
    pub kind: ProviderErrorKind,
    /// Human-readable explanation (no secrets).
    pub message: String,
}

impl ProviderError {
    /// An error of `kind`.
    pub fn new(kind: ProviderErrorKind, message: impl Into<String>) -> Self {
        ProviderError {
            kind,
            message: message.into(),
        }
    }

    /// [`ProviderErrorKind::Rejected`].
    pub fn rejected(message: impl Into<String>) -> Self {
        Self::new(ProviderErrorKind::Rejected, message)
    }

    /// [`ProviderErrorKind::Unavailable`].
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(ProviderErrorKind::Unavailable, message)
    }

    /// [`ProviderErrorKind::Timeout`].
    pub fn timeout(message: impl Into<String>) -> Self {
        Self::new(ProviderErrorKind::Timeout, message)
    }

    /// [`ProviderErrorKind::Malformed`].
    pub fn malformed(message: impl Into<String>) -> Self {
        Self::new(ProviderErrorKind::Malformed, message)
    }
}
