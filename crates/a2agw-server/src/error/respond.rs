//! `A2aError` → HTTP status, `google.rpc.Status` JSON body (HTTP+JSON binding), and the
//! canonical gRPC code, per the mapping of spec 1.0.1 §5.4. The JSON-RPC error object is
//! `A2aError::to_jsonrpc` (JSON-RPC answers with HTTP 200, errors included).

use a2agw_types::{A2aError, ErrorCode};
use http::StatusCode;
use serde_json::{Value, json};

/// A canonical `google.rpc.Code`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RpcCode {
    /// 3
    InvalidArgument,
    /// 4
    DeadlineExceeded,
    /// 5
    NotFound,
    /// 9
    FailedPrecondition,
    /// 12
    Unimplemented,
    /// 13
    Internal,
    /// 16
    Unauthenticated,
}

impl RpcCode {
    /// The numeric code (as in `grpc-status`).
    pub const fn number(self) -> i32 {
        match self {
            RpcCode::InvalidArgument => 3,
            RpcCode::DeadlineExceeded => 4,
            RpcCode::NotFound => 5,
            RpcCode::FailedPrecondition => 9,
            RpcCode::Unimplemented => 12,
            RpcCode::Internal => 13,
            RpcCode::Unauthenticated => 16,
        }
    }

    /// The name (as in the `status` member of the REST error body).
    pub const fn name(self) -> &'static str {
        match self {
            RpcCode::InvalidArgument => "INVALID_ARGUMENT",
            RpcCode::DeadlineExceeded => "DEADLINE_EXCEEDED",
            RpcCode::NotFound => "NOT_FOUND",
            RpcCode::FailedPrecondition => "FAILED_PRECONDITION",
            RpcCode::Unimplemented => "UNIMPLEMENTED",
            RpcCode::Internal => "INTERNAL",
            RpcCode::Unauthenticated => "UNAUTHENTICATED",
        }
    }
}

/// The gRPC code of an error.
pub const fn rpc_code(code: ErrorCode) -> RpcCode {
    match code {
        ErrorCode::TaskNotFound => RpcCode::NotFound,
        ErrorCode::TaskNotCancelable
        | ErrorCode::PushNotificationNotSupported
        | ErrorCode::UnsupportedOperation
        | ErrorCode::ExtendedAgentCardNotConfigured
        | ErrorCode::ExtensionSupportRequired
        | ErrorCode::VersionNotSupported => RpcCode::FailedPrecondition,
        ErrorCode::ContentTypeNotSupported
        | ErrorCode::ParseError
        | ErrorCode::InvalidRequest
        | ErrorCode::InvalidParams => RpcCode::InvalidArgument,
        ErrorCode::MethodNotFound => RpcCode::Unimplemented,
        ErrorCode::InvalidAgentResponse | ErrorCode::InternalError => RpcCode::Internal,
        _ => RpcCode::Internal,
    }
}

/// The HTTP status of an error on the HTTP+JSON binding.
pub const fn http_status(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::TaskNotFound | ErrorCode::MethodNotFound => StatusCode::NOT_FOUND,
        ErrorCode::InvalidAgentResponse | ErrorCode::InternalError => {
            StatusCode::INTERNAL_SERVER_ERROR
        }
        _ => StatusCode::BAD_REQUEST,
    }
}

/// The `google.rpc.Status` JSON body: `{"error": {code, status, message, details}}`.
pub fn rest_error_body(err: &A2aError) -> Value {
    let status = http_status(err.code);
    json!({"error": {
        "code": status.as_u16(),
        "status": rpc_code(err.code).name(),
        "message": err.message,
        "details": err.details(),
    }})
}

/// A JSON-RPC error response with `id: null` in 1.0 form: for failures found before the
/// request's id is known (authentication, body limits, timeouts).
pub fn jsonrpc_error_body(err: &A2aError) -> Value {
    serde_json::to_value(a2agw_types::JsonRpcResponse::error(
        a2agw_types::RequestId::Null,
        err.to_jsonrpc(a2agw_types::ProtocolVersion::V1_0),
    ))
    .unwrap_or_default()
}

/// A failure the HTTP layer finds before a binding sees the request (body too large,
/// request timeout), answered in the form of the binding the request was for: the JSON-RPC
/// error object (`jsonrpc`), else a `google.rpc.Status` body with `status` and `rpc`.
pub fn http_layer_error(
    status: StatusCode,
    rpc: RpcCode,
    err: &A2aError,
    jsonrpc: bool,
) -> (StatusCode, Value) {
    let body = if jsonrpc {
        jsonrpc_error_body(err)
    } else {
        json!({"error": {"code": status.as_u16(), "status": rpc.name(), "message": err.message, "details": []}})
    };
    (status, body)
}

/// The REST body of an authentication failure.
pub fn unauthenticated_body(message: &str) -> Value {
    json!({"error": {"code": 401, "status": RpcCode::Unauthenticated.name(), "message": message, "details": []}})
}

/// An admin API failure ([`crate::admin_api::AdminError`]): its status and a
/// `google.rpc.Status` body; a field at fault is also named in a `BadRequest` detail.
pub fn admin_error_response(err: &crate::admin_api::AdminError) -> axum::response::Response {
    use crate::admin_api::AdminError as E;
    let (status, rpc) = match err {
        E::Invalid { .. } => (StatusCode::BAD_REQUEST, "INVALID_ARGUMENT"),
        E::Upstream { .. } => (StatusCode::BAD_GATEWAY, "UNAVAILABLE"),
        E::NotFound(_) => (StatusCode::NOT_FOUND, "NOT_FOUND"),
        E::Conflict(_) => (StatusCode::CONFLICT, "ALREADY_EXISTS"),
        E::PreconditionFailed(_) => (StatusCode::PRECONDITION_FAILED, "FAILED_PRECONDITION"),
        E::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL"),
    };
    let details = match err {
        E::Invalid { field, message } | E::Upstream { field, message } if !field.is_empty() => {
            vec![json!({
                "@type": "type.googleapis.com/google.rpc.BadRequest",
                "fieldViolations": [{"field": field, "description": message}],
            })]
        }
        _ => Vec::new(),
    };
    let message = match err {
        E::Invalid { field, message } | E::Upstream { field, message } if field.is_empty() => {
            message.clone()
        }
        other => other.to_string(),
    };
    let body = json!({"error": {
        "code": status.as_u16(),
        "status": rpc,
        "message": message,
        "details": details,
    }});
    axum::response::IntoResponse::into_response((status, axum::Json(body)))
}

/// A request refused the admin API: 404 (no admin API), 401 with `challenge`, or 403.
pub(crate) fn admin_denied_response(
    denied: &crate::admin_api::Denied,
    challenge: &str,
) -> axum::response::Response {
    use crate::admin_api::Denied;
    use axum::response::IntoResponse;
    match denied {
        Denied::Off => {
            let body = json!({"error": {"code": 404, "status": "NOT_FOUND",
                "message": "No admin API is configured on this gateway ([admin] in the configuration)",
                "details": []}});
            (StatusCode::NOT_FOUND, axum::Json(body)).into_response()
        }
        Denied::Unauthenticated(message) => {
            let mut resp = (
                StatusCode::UNAUTHORIZED,
                axum::Json(unauthenticated_body(message)),
            )
                .into_response();
            let challenge = if challenge.is_empty() {
                "AdminKey header=\"x-admin-key\"".to_owned()
            } else {
                format!("AdminKey header=\"x-admin-key\", {challenge}")
            };
            if let Ok(v) = http::HeaderValue::from_str(&challenge) {
                resp.headers_mut().insert(http::header::WWW_AUTHENTICATE, v);
            }
            resp
        }
        Denied::Forbidden(message) => {
            let body = json!({"error": {"code": 403, "status": "PERMISSION_DENIED",
                "message": message, "details": []}});
            (StatusCode::FORBIDDEN, axum::Json(body)).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapping_of_spec_1_0_1() {
        use ErrorCode::*;
        let table = [
            (TaskNotFound, 404, RpcCode::NotFound),
            (TaskNotCancelable, 400, RpcCode::FailedPrecondition),
            (
                PushNotificationNotSupported,
                400,
                RpcCode::FailedPrecondition,
            ),
            (UnsupportedOperation, 400, RpcCode::FailedPrecondition),
            (ContentTypeNotSupported, 400, RpcCode::InvalidArgument),
            (InvalidAgentResponse, 500, RpcCode::Internal),
            (
                ExtendedAgentCardNotConfigured,
                400,
                RpcCode::FailedPrecondition,
            ),
            (ExtensionSupportRequired, 400, RpcCode::FailedPrecondition),
            (VersionNotSupported, 400, RpcCode::FailedPrecondition),
            (InvalidParams, 400, RpcCode::InvalidArgument),
            (InternalError, 500, RpcCode::Internal),
        ];
        for (code, http, rpc) in table {
            assert_eq!(http_status(code).as_u16(), http, "{code}");
            assert_eq!(rpc_code(code), rpc, "{code}");
        }
        let body = rest_error_body(&A2aError::task_not_found("t"));
        assert_eq!(body["error"]["status"], "NOT_FOUND");
        assert_eq!(body["error"]["details"][0]["reason"], "TASK_NOT_FOUND");
        assert_eq!(body["error"]["details"][0]["domain"], "a2a-protocol.org");
    }
}
