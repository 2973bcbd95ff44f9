//! Errors: the one place that maps protocol errors to wire responses ([`respond`]).

mod respond;

pub use respond::{RpcCode, http_status, rpc_code};
pub(crate) use respond::{
    admin_denied_response, admin_error_response, bare_not_found, body_too_large, grpc_call_error,
    grpc_status, grpc_unauthenticated, is_body_too_large, jsonrpc_call_error, jsonrpc_error,
    jsonrpc_error_object, jsonrpc_unsupported_media_type, rest_body_unreadable, rest_call_error,
    rest_error, rest_error_event, rest_method_not_allowed, rest_not_found,
    rest_unsupported_media_type, timed_out, unauthorized, unavailable, unknown_agent,
    version_error,
};
