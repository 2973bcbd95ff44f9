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
//! - Conversions between [`v1`] and the `a2agw-types` model: `From` impls
//!   (types → proto) and `TryFrom` impls with [`ConvertError`] (proto → types)
//!   for every message; `Struct`/`Value` ↔ `serde_json` ([`struct_to_json`],
//!   [`json_to_struct`], [`value_to_json`], [`json_to_value`]); `A2aError` ↔
//!   `google.rpc.Status` details ([`status_details`], [`error_details`],
//!   [`error_from_status`]). See [Conversions](#conversions).
//!
//! Transport-independent: the client stubs are generated without `connect()`,
//! and tonic is used with only its `codegen` feature.
//!
//! # Conversions
//! - types → proto: `From`, infallible.
//! - proto → types: `TryFrom<_, Error = ConvertError>` for every message, even
//!   those that cannot fail today, so that all conversions have one shape. The
//!   two enums convert with `From` both ways (the generated enums only hold
//!   defined values; unknown numbers live in the `i32` fields and fail there).
//!
//! ## Decisions
//! | proto | types | proto → types | types → proto |
//! |---|---|---|---|
//! | unset oneof (`Part.content`, `StreamResponse.payload`, `SendMessageResponse.payload`, `SecurityScheme.scheme`, `OAuthFlows.flow`) | enum | [`ConvertError::MissingOneof`] | always set |
//! | enum number not in the enum | enum | [`ConvertError::EnumOutOfRange`] | — |
//! | absent REQUIRED message (`Task.status`, `TaskStatusUpdateEvent.status`, `TaskArtifactUpdateEvent.artifact`, `SendMessageRequest.message`, `AgentCard.capabilities`) | plain field | the default value (lenient, as the JSON reader; `Validate` reports what is missing) | always present |
//! | absent `OAuth2SecurityScheme.flows` | `OAuthFlows` (no default) | [`ConvertError::MissingField`] | always present |
//! | message field | `Option<T>` | presence kept | presence kept |
//! | `optional` scalar | `Option<T>` | presence kept | presence kept |
//! | `Task.artifacts` (repeated) | `Option<Vec<_>>` | empty → `None` | `None` and `Some([])` → empty |
//! | `Timestamp` outside 0001..=9999 or `nanos` ∉ `0..1e9` | `Timestamp` | [`ConvertError::Timestamp`] | always valid |
//! | `Struct` / `Value` | `serde_json` | see below | see below |
//! | `map<…>` (generated as `HashMap`) | `BTreeMap` | sorted by key | prost encodes the entries in hash order, so the bytes are not deterministic |
//!
//! `Struct` / `Value` ([`struct_to_json`], [`value_to_json`], [`json_to_struct`],
//! [`json_to_value`]): an integral `number_value` within ±2^53 becomes a JSON
//! integer (so JSON → proto → JSON is the identity on integers), other finite
//! numbers a JSON float; NaN and ±infinity are refused with
//! [`ConvertError::NonFiniteNumber`] (JSON cannot hold them and ProtoJSON
//! printers refuse them too); a `Value` without `kind` reads as `null`.
//!
//! Errors name the field by its path from the converted message in camelCase
//! (`history[0].parts[1].content`), see [`ConvertError`];
//! [`ConvertError::field_violation`] turns one into a `FieldViolation`.
//!
//! [`error_details`], [`status_details`] and [`error_from_status`] carry an
//! `A2aError` in `google.rpc.Status` details.

mod convert;

pub use convert::{
    ConvertError, error_details, error_from_status, json_to_struct, json_to_value, status_details,
    struct_to_json, value_to_json,
};

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
