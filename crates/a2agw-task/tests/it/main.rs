//! Integration tests of the task engine: the store conformance suite on every backend.

// Test helpers outside #[test] functions may unwrap: a failure is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod conformance;
#[cfg(feature = "sqlite")]
mod crash;
mod engine;
mod engine_shared;
mod memory;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "sqlite")]
mod sqlite;
mod subscribe;
