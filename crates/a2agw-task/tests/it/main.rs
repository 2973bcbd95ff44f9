//! Integration tests of the task engine: the store conformance suite on every backend.

// Test helpers outside #[test] functions may unwrap: a failure is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod conformance;
#[cfg(feature = "sqlite")]
mod crash;
mod engine;
mod engine_shared;
mod memory;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod migration;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "sqlite")]
mod sqlite;
mod subscribe;

/// The agent the suites' tasks run at.
pub(crate) const AGENT: &str = "agent";

/// The route of the suites' tasks.
pub(crate) fn route() -> a2agw_provider::Route {
    a2agw_provider::Route::agent(AGENT)
}

/// `owner`'s tasks at [`AGENT`].
pub(crate) fn scope(owner: &str) -> a2agw_task::Scope<'_> {
    a2agw_task::Scope::new(owner, AGENT)
}
