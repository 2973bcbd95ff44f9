//! Generated prost/tonic code for the A2A 1.0 gRPC binding (`lf.a2a.v1`).
//!
//! **Architecture Invariant:** this is an L0 crate. It must never depend on
//! anything above L0 (no a2agw crate but `a2agw-types`), nor on tokio, hyper,
//! axum or reqwest beyond what tonic's `codegen` support itself pulls in.
//!
//! - [`v1`]: prost messages and enums for every A2A 1.0 object, plus the tonic
//!   client ([`v1::a2a_service_client`]) and server ([`v1::a2a_service_server`])
//!   stubs for `A2AService`. Generated from `proto/a2a/v1/a2a.proto` by
//!   `cargo xtask codegen` and checked in under `src/generated/`; never edit
//!   those files by hand.
//! - [`rpc`]: the `google.rpc` messages used in gRPC error details
//!   ([`rpc::Status`], [`rpc::ErrorInfo`], [`rpc::BadRequest`]).
//! - [`FILE_DESCRIPTOR_SET`]: the encoded descriptors of `lf.a2a.v1` and its
//!   imports, for gRPC server reflection.
//!
//! Transport-independent: the client stubs are generated without `connect()`,
//! and tonic is used with only its `codegen` feature.
//!
//! Conversions to and from the `a2agw-types` data model will live in a
//! `convert` module here.

/// A2A 1.0 protocol messages, enums and `A2AService` client/server stubs
/// (protobuf package `lf.a2a.v1`).
#[allow(
    missing_docs,
    missing_debug_implementations,
    unreachable_pub,
    rust_2018_idioms,
    clippy::all,
    clippy::pedantic,
    clippy::nursery,
    clippy::unwrap_used,
    clippy::expect_used,
    rustdoc::all
)]
pub mod v1 {
    include!("generated/lf.a2a.v1.rs");
}

/// `google.rpc` error-model messages (from `tonic-types`), used as gRPC
/// `Status` details.
pub mod rpc {
    pub use tonic_types::pb::{BadRequest, ErrorInfo, Status, bad_request};
}

/// Encoded `google.protobuf.FileDescriptorSet` of `lf.a2a.v1` and all its
/// imports (without source info), for gRPC server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!("generated/a2a_descriptor.bin");
