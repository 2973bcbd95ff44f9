//! Errors: the one place that maps protocol errors to wire responses.

mod respond;

pub(crate) use respond::admin_denied_response;
pub use respond::{
    RpcCode, admin_error_response, http_layer_error, http_status, jsonrpc_error_body,
    rest_error_body, rpc_code, unauthenticated_body,
};
