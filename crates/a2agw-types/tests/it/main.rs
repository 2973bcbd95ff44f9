//! Integration tests of a2agw-types: JSON round trips, spec goldens, schema validation,
//! JSON-RPC decoding and malformed input.

// Test helpers outside #[test] functions may unwrap: a failure is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod golden;
mod jsonrpc;
mod malformed;
mod roundtrip;
mod schema;
mod support;
mod v03;
