//! The one place that turns errors into wire responses: `A2aError` → HTTP status,
//! `google.rpc.Status` JSON body (HTTP+JSON binding) and canonical gRPC code, per the
//! mapping of spec 1.0.1 §5.4; the JSON-RPC error object (JSON-RPC answers with HTTP 200,
//! errors included, but for the failures found before a request is read); and every
//! other error answer of the gateway: authentication failures, the stream limit, body
//! limits and timeouts, unknown agents and paths, the admin API, readiness, metrics.
//! `cargo xtask tidy` fails on an error response built anywhere else in the server.

use crate::admin_api::{AdminError, Denied};
use crate::handler::CallError;
use a2agw_types::{A2aError, ErrorCode, JsonRpcResponse, ProtocolVersion, RequestId};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use prost::Message as _;
use serde_json::{Value, json};
use std::time::Duration;

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
pub(crate) fn rest_error_body(err: &A2aError) -> Value {
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
pub(crate) fn jsonrpc_error_body(err: &A2aError) -> Value {
    serde_json::to_value(jsonrpc_error_object(
        RequestId::Null,
        ProtocolVersion::V1_0,
        err,
    ))
    .unwrap_or_default()
}

/// A failure the HTTP layer finds before a binding sees the request (body too large,
/// request timeout), answered in the form of the binding the request was for: the JSON-RPC
/// error object (`jsonrpc`), else a `google.rpc.Status` body with `status` and `rpc`.
fn http_layer_error(
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
fn unauthenticated_body(message: &str) -> Value {
    json!({"error": {"code": 401, "status": RpcCode::Unauthenticated.name(), "message": message, "details": []}})
}

/// The message of [`CallError::TooManyStreams`] as a protocol error (JSON-RPC and REST
/// bodies).
fn too_many_streams() -> A2aError {
    A2aError::new(
        ErrorCode::InvalidRequest,
        CallError::TooManyStreams.to_string(),
    )
}

/// A JSON response with `status` and `content_type`.
fn json_bytes(
    status: StatusCode,
    content_type: &'static str,
    body: &impl serde::Serialize,
) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    (status, [(header::CONTENT_TYPE, content_type)], bytes).into_response()
}

// ---------------------------------------------------------------------------------------
// Failures of every binding: the caller, the HTTP layer, unknown agents
// ---------------------------------------------------------------------------------------

/// A 401 with the authenticator's `challenge` in `WWW-Authenticate`, in the JSON-RPC
/// (`rest = false`: the error object with `id: null`) or the REST body form.
pub(crate) fn unauthorized(challenge: &str, message: &str, rest: bool) -> Response {
    let body = if rest {
        unauthenticated_body(message)
    } else {
        jsonrpc_error_body(&A2aError::new(
            ErrorCode::InvalidRequest,
            message.to_owned(),
        ))
    };
    let mut resp = (StatusCode::UNAUTHORIZED, axum::Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(challenge) {
        resp.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    resp
}

/// An `A2A-Version` that cannot be read, before the request is: the REST body with the
/// mapped status (`rest`), else the JSON-RPC error object (`id: null`, 1.0 form, HTTP 200).
pub(crate) fn version_error(err: &A2aError, rest: bool) -> Response {
    if rest {
        (http_status(err.code), axum::Json(rest_error_body(err))).into_response()
    } else {
        let body = jsonrpc_error_object(RequestId::Null, ProtocolVersion::V1_0, err);
        (StatusCode::OK, axum::Json(body)).into_response()
    }
}

/// Whether a response is the body limit's 413 (which [`body_too_large`] answers again).
pub(crate) fn is_body_too_large(resp: &Response) -> bool {
    resp.status() == StatusCode::PAYLOAD_TOO_LARGE
}

/// A 413 in the body form of the binding the request was for: a JSON-RPC error object on
/// the JSON-RPC endpoint (`jsonrpc`), the `google.rpc.Status` body elsewhere.
pub(crate) fn body_too_large(jsonrpc: bool) -> Response {
    let err = A2aError::new(
        ErrorCode::InvalidRequest,
        "Request body is larger than the gateway accepts",
    );
    let (status, body) = http_layer_error(
        StatusCode::PAYLOAD_TOO_LARGE,
        RpcCode::InvalidArgument,
        &err,
        jsonrpc,
    );
    (status, axum::Json(body)).into_response()
}

/// A 504 for a request that took longer than `limit`, in the binding's body form.
pub(crate) fn timed_out(limit: Duration, jsonrpc: bool) -> Response {
    let err = A2aError::internal(format!(
        "The request took longer than {} s",
        limit.as_secs()
    ));
    let (status, body) = http_layer_error(
        StatusCode::GATEWAY_TIMEOUT,
        RpcCode::DeadlineExceeded,
        &err,
        jsonrpc,
    );
    (status, axum::Json(body)).into_response()
}

/// 404 for `/agents/{name}/…` when no agent of that name is served (or the caller may not
/// use it), with a REST-style body as for any unknown REST path.
pub(crate) fn unknown_agent(name: &str) -> Response {
    let body = json!({"error": {
        "code": 404,
        "status": "NOT_FOUND",
        "message": format!("No agent named `{name}` is served here"),
        "details": [],
    }});
    (StatusCode::NOT_FOUND, axum::Json(body)).into_response()
}

/// A bare 404 without a body (unknown non-REST paths, a card of an agent not served, the
/// JWKS when cards are not signed).
pub(crate) fn bare_not_found() -> Response {
    StatusCode::NOT_FOUND.into_response()
}

/// A 503 with a plain-text reason (readiness, metrics).
pub(crate) fn unavailable(reason: &'static str) -> Response {
    (StatusCode::SERVICE_UNAVAILABLE, reason).into_response()
}

// ---------------------------------------------------------------------------------------
// JSON-RPC
// ---------------------------------------------------------------------------------------

/// The JSON-RPC error response of `err` for request `id`, in `version`'s form (also each
/// error event of a stream).
pub(crate) fn jsonrpc_error_object(
    id: RequestId,
    version: ProtocolVersion,
    err: &A2aError,
) -> JsonRpcResponse {
    JsonRpcResponse::error(id, err.to_jsonrpc(version))
}

/// A JSON-RPC error answer: HTTP 200 with the error object.
pub(crate) fn jsonrpc_error(id: RequestId, version: ProtocolVersion, err: &A2aError) -> Response {
    json_bytes(
        StatusCode::OK,
        "application/json",
        &jsonrpc_error_object(id, version, err),
    )
}

/// HTTP 415 for a JSON-RPC request whose `Content-Type` is not JSON, with the A2A error
/// `err` (which clients that read the body understand).
pub(crate) fn jsonrpc_unsupported_media_type(err: &A2aError) -> Response {
    json_bytes(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "application/json",
        &jsonrpc_error_object(RequestId::Null, ProtocolVersion::V1_0, err),
    )
}

/// A failed call on JSON-RPC: the error object (HTTP 200), 401 with `challenge`, or 429
/// for the stream limit.
pub(crate) fn jsonrpc_call_error(
    challenge: &str,
    id: RequestId,
    version: ProtocolVersion,
    err: CallError,
) -> Response {
    match err {
        CallError::A2a(e) => jsonrpc_error(id, version, &e),
        CallError::Unauthenticated(msg) => unauthorized(challenge, &msg, false),
        CallError::TooManyStreams => json_bytes(
            StatusCode::TOO_MANY_REQUESTS,
            "application/json",
            &jsonrpc_error_object(id, version, &too_many_streams()),
        ),
    }
}

// ---------------------------------------------------------------------------------------
// HTTP+JSON (REST)
// ---------------------------------------------------------------------------------------

/// The `google.rpc.Status` body of `err` with its mapped HTTP status, as `content_type`.
pub(crate) fn rest_error(content_type: &'static str, err: &A2aError) -> Response {
    json_bytes(http_status(err.code), content_type, &rest_error_body(err))
}

/// The `google.rpc.Status` body of `err` sent with another HTTP status (415, 413, 429…);
/// the body's `code` follows the status line.
fn rest_error_as(status: StatusCode, content_type: &'static str, err: &A2aError) -> Response {
    let mut body = rest_error_body(err);
    body["error"]["code"] = status.as_u16().into();
    json_bytes(status, content_type, &body)
}

/// A body built by hand for the HTTP-level failures no A2A error describes.
fn rest_plain(
    status: StatusCode,
    rpc_status: &str,
    message: &str,
    content_type: &'static str,
) -> Response {
    let body = json!({"error": {
        "code": status.as_u16(),
        "status": rpc_status,
        "message": message,
        "details": [],
    }});
    json_bytes(status, content_type, &body)
}

/// 415 for a REST body whose `Content-Type` is not JSON.
pub(crate) fn rest_unsupported_media_type(content_type: &'static str, err: &A2aError) -> Response {
    rest_error_as(StatusCode::UNSUPPORTED_MEDIA_TYPE, content_type, err)
}

/// A REST request body that could not be read: 413 beyond the body limit, else 400.
pub(crate) fn rest_body_unreadable(
    content_type: &'static str,
    rejection: &axum::extract::rejection::BytesRejection,
) -> Response {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        let err = A2aError::new(
            ErrorCode::InvalidRequest,
            "Request body is larger than the gateway accepts",
        );
        rest_error_as(StatusCode::PAYLOAD_TOO_LARGE, content_type, &err)
    } else {
        let err = A2aError::new(
            ErrorCode::InvalidRequest,
            format!(
                "The request body could not be read: {}",
                rejection.body_text()
            ),
        );
        rest_error(content_type, &err)
    }
}

/// 405 with `Allow` (`allow`: the methods the path accepts, comma-separated).
pub(crate) fn rest_method_not_allowed(
    method: &Method,
    path: &str,
    allow: &'static str,
    content_type: &'static str,
) -> Response {
    let mut resp = rest_plain(
        StatusCode::METHOD_NOT_ALLOWED,
        "UNIMPLEMENTED",
        &format!("`{method} {path}` is not an A2A operation; this path accepts {allow}"),
        content_type,
    );
    resp.headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allow));
    resp
}

/// 404 for a REST-looking path that no operation has.
pub(crate) fn rest_not_found(method: &Method, path: &str, content_type: &'static str) -> Response {
    rest_plain(
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        &format!("No A2A operation is served at `{method} {path}`"),
        content_type,
    )
}

/// A failed call on REST: the `google.rpc.Status` body with the mapped status, 401 with
/// `challenge`, or 429 with `Retry-After` for the stream limit.
pub(crate) fn rest_call_error(
    challenge: &str,
    content_type: &'static str,
    err: CallError,
) -> Response {
    match err {
        CallError::A2a(e) => rest_error(content_type, &e),
        CallError::Unauthenticated(msg) => {
            let mut resp = unauthorized(challenge, &msg, true);
            resp.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
            resp
        }
        CallError::TooManyStreams => {
            let mut resp = rest_error_as(
                StatusCode::TOO_MANY_REQUESTS,
                content_type,
                &too_many_streams(),
            );
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            resp
        }
    }
}

/// The SSE event (name, data) that ends a REST stream with `err`: `event: error` whose data
/// is the `google.rpc.Status` body (the framing of the official Python SDK).
pub(crate) fn rest_error_event(err: &A2aError) -> (&'static str, String) {
    ("error", rest_error_body(err).to_string())
}

// ---------------------------------------------------------------------------------------
// gRPC
// ---------------------------------------------------------------------------------------

/// The status of a protocol error: the code of [`rpc_code`], the message, and the
/// `google.rpc.Status` details of [`a2agw_proto::status_details`] (`ErrorInfo`,
/// `BadRequest`) for the `grpc-status-details-bin` trailer.
pub(crate) fn grpc_status(err: &A2aError) -> tonic::Status {
    let code = tonic::Code::from(rpc_code(err.code).number());
    let details = a2agw_proto::status_details(err, code).encode_to_vec();
    tonic::Status::with_details(code, err.message.clone(), details.into())
}

/// UNAUTHENTICATED with the authenticator's `challenge` in `www-authenticate`.
pub(crate) fn grpc_unauthenticated(challenge: &str, message: &str) -> tonic::Status {
    let mut status = tonic::Status::unauthenticated(message.to_owned());
    if let Ok(v) = tonic::metadata::MetadataValue::try_from(challenge) {
        status.metadata_mut().insert("www-authenticate", v);
    }
    status
}

/// A failed call on gRPC: the mapped status, UNAUTHENTICATED with `challenge`, or
/// RESOURCE_EXHAUSTED for the stream limit.
pub(crate) fn grpc_call_error(challenge: &str, err: CallError) -> tonic::Status {
    match err {
        CallError::A2a(e) => grpc_status(&e),
        CallError::Unauthenticated(msg) => grpc_unauthenticated(challenge, &msg),
        CallError::TooManyStreams => tonic::Status::resource_exhausted(err.to_string()),
    }
}

// ---------------------------------------------------------------------------------------
// The admin API
// ---------------------------------------------------------------------------------------

/// An admin API failure ([`AdminError`]): its status and a `google.rpc.Status` body; a
/// field at fault is also named in a `BadRequest` detail.
pub(crate) fn admin_error_response(err: &AdminError) -> Response {
    use AdminError as E;
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
    (status, axum::Json(body)).into_response()
}

/// A request refused the admin API: 404 (no admin API), 401 with `challenge`, or 403.
pub(crate) fn admin_denied_response(denied: &Denied, challenge: &str) -> Response {
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
            if let Ok(v) = HeaderValue::from_str(&challenge) {
                resp.headers_mut().insert(header::WWW_AUTHENTICATE, v);
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

    #[test]
    fn grpc_errors_carry_the_mapped_code_and_error_info() {
        use tonic::Code;
        let status = grpc_status(&A2aError::task_not_found("t-1"));
        assert_eq!(status.code(), Code::NotFound);
        let details = a2agw_proto::rpc::Status::decode(status.details()).unwrap();
        let err = a2agw_proto::error_from_status(&details, ErrorCode::InternalError);
        assert_eq!(err.code, ErrorCode::TaskNotFound);
        assert_eq!(err.metadata.get("taskId").map(String::as_str), Some("t-1"));
        let status = grpc_status(&A2aError::new(ErrorCode::VersionNotSupported, "no"));
        assert_eq!(status.code(), Code::FailedPrecondition);
    }
}
