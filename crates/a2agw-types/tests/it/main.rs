//! Integration tests of a2agw-types: JSON round trips, spec goldens, schema validation,
//! JSON-RPC decoding and malformed input.

mod golden;
mod jsonrpc;
mod malformed;
mod roundtrip;
mod schema;
mod support;
mod v03;
