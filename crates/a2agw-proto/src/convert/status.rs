//! [`A2aError`] ↔ `google.rpc.Status` details (`ErrorInfo`, `BadRequest`).
//!
//! The gRPC status code itself is the caller's business (the server crate owns
//! the error → gRPC code table); this module only encodes and decodes the
//! `details`, identically to the JSON `details` of [`A2aError::details`]:
//! an `ErrorInfo` (reason, domain `a2a-protocol.org`, metadata) for the
//! A2A-specific codes, then a `BadRequest` when there are field violations.

use crate::rpc::{self, BadRequest, ErrorInfo, bad_request};
use a2agw_types::{
    A2aError, BAD_REQUEST_TYPE, ERROR_DOMAIN, ERROR_INFO_TYPE, ErrorCode, FieldViolation,
};
use prost::Message as _;
use prost_types::Any;

/// The `google.rpc.Status.details` of `err`, packed as `Any`: the same
/// entries, in the same order, as the JSON [`A2aError::details`].
///
/// Only the A2A-specific codes (-32001..=-32099) carry an `ErrorInfo`, so the
/// `metadata` of an error with a standard JSON-RPC code is not transmitted.
pub fn error_details(err: &A2aError) -> Vec<Any> {
    let mut details = Vec::with_capacity(2);
    if err.code.is_a2a() {
        let info = ErrorInfo {
            reason: err.code.reason().to_owned(),
            domain: ERROR_DOMAIN.to_owned(),
            metadata: err
                .metadata
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        };
        details.push(Any {
            type_url: ERROR_INFO_TYPE.to_owned(),
            value: info.encode_to_vec(),
        });
    }
    if !err.violations.is_empty() {
        let bad = BadRequest {
            field_violations: err
                .violations
                .iter()
                .map(|v| bad_request::FieldViolation {
                    field: v.field.clone(),
                    description: v.description.clone(),
                    ..bad_request::FieldViolation::default()
                })
                .collect(),
        };
        details.push(Any {
            type_url: BAD_REQUEST_TYPE.to_owned(),
            value: bad.encode_to_vec(),
        });
    }
    details
}

/// The `google.rpc.Status` of `err` with gRPC status `code`, ready to be
/// prost-encoded into tonic's `Status::with_details` (the
/// `grpc-status-details-bin` trailer).
pub fn status_details(err: &A2aError, code: tonic::Code) -> rpc::Status {
    rpc::Status {
        code: i32::from(code),
        message: err.message.clone(),
        details: error_details(err),
    }
}

/// Reads an [`A2aError`] back from a `google.rpc.Status` (client side).
///
/// The code is the one named by an `ErrorInfo` of domain `a2a-protocol.org`
/// whose `reason` is known; failing that, `code` (the caller's reading of the
/// gRPC status code). The message is `status.message`; the metadata of every
/// `ErrorInfo` and the field violations of every `BadRequest` are collected.
/// Details of other types, and details that do not decode, are ignored.
pub fn error_from_status(status: &rpc::Status, code: ErrorCode) -> A2aError {
    let mut err = A2aError::new(code, status.message.clone());
    for any in &status.details {
        match type_name(&any.type_url) {
            "google.rpc.ErrorInfo" => {
                let Ok(info) = ErrorInfo::decode(any.value.as_slice()) else {
                    continue;
                };
                if info.domain == ERROR_DOMAIN
                    && let Some(c) = ErrorCode::from_reason(&info.reason)
                {
                    err.code = c;
                }
                err.metadata.extend(info.metadata);
            }
            "google.rpc.BadRequest" => {
                let Ok(bad) = BadRequest::decode(any.value.as_slice()) else {
                    continue;
                };
                err.violations.extend(
                    bad.field_violations
                        .into_iter()
                        .map(|v| FieldViolation::new(v.field, v.description)),
                );
            }
            _ => {}
        }
    }
    err
}

/// The message name of a type URL (`type.googleapis.com/google.rpc.ErrorInfo`
/// → `google.rpc.ErrorInfo`); any host prefix is accepted.
fn type_name(type_url: &str) -> &str {
    type_url.rsplit('/').next().unwrap_or(type_url)
}
