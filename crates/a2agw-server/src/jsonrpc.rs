//! The JSON-RPC 2.0 binding: `POST` to the agent's URL, 1.0 and 0.3 method names, answers
//! in the form of the caller's version; streams as SSE whose events are JSON-RPC responses
//! carrying the request id, with `id:` = the task event's sequence number.

use crate::app::{AppState, caller_from_headers};
use crate::error::{
    jsonrpc_call_error, jsonrpc_error, jsonrpc_error_object, jsonrpc_unsupported_media_type,
};
use crate::handler::{Reply, StreamItem};
use crate::sse::sse_response;
use a2agw_types::{
    A2aError, A2aResponse, ErrorCode, JsonRpcResponse, ProtocolVersion, decode_request,
};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures::StreamExt;
use std::collections::HashMap;

fn json_response(body: String) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}

/// Whether a `Content-Type` is acceptable for JSON-RPC (absent is tolerated).
fn is_json_content_type(headers: &HeaderMap) -> bool {
    match headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    {
        None => true,
        Some(ct) => {
            let essence = ct
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            matches!(
                essence.as_str(),
                "application/json" | "application/a2a+json" | "application/json-rpc"
            )
        }
    }
}

/// Encodes one result in the caller's version, as JSON text (written directly, no `Value`
/// in between); a value 0.3 cannot express is an internal error.
pub(crate) fn encode_result(
    resp: &A2aResponse,
    version: ProtocolVersion,
) -> Result<String, A2aError> {
    resp.to_json_text(version)
        .map_err(|e| A2aError::internal(e.to_string()))
}

/// `POST /`: one JSON-RPC request.
pub(crate) async fn handle(
    State(state): State<AppState>,
    agent: Option<axum::extract::Path<HashMap<String, String>>>,
    Query(query): Query<HashMap<String, String>>,
    conn: crate::forwarded::Connection,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !is_json_content_type(&headers) {
        // HTTP 415, with the A2A error for a media type the agent does not take (-32005),
        // which clients that read the body understand.
        let err = A2aError::new(
            ErrorCode::ContentTypeNotSupported,
            "JSON-RPC requests must have Content-Type: application/json",
        );
        return jsonrpc_unsupported_media_type(&err);
    }
    // The version the client asked for (header, else query parameter), read first so that
    // every error below answers with the request's id and in the right version's form.
    let raw_version = headers
        .get("a2a-version")
        .and_then(|v| v.to_str().ok())
        .or_else(|| query.get("A2A-Version").map(String::as_str));
    let asked = raw_version.map(ProtocolVersion::from_header);
    let decoded = match decode_request(&body) {
        Ok(d) => d,
        Err(rejected) => {
            let asked_version = asked
                .as_ref()
                .and_then(|a| a.as_ref().ok().copied().flatten());
            return match asked_version {
                // A method of another version than the one asked for does not exist in it,
                // even if its params also fail to decode.
                Some(v)
                    if v != rejected.version && rejected.error.code == ErrorCode::InvalidParams =>
                {
                    let err = A2aError::new(
                        ErrorCode::MethodNotFound,
                        format!("not an A2A {v} method (A2A-Version: {v})"),
                    );
                    jsonrpc_error(rejected.id, v, &err)
                }
                _ => jsonrpc_error(rejected.id, rejected.version, &rejected.error),
            };
        }
    };
    if let Some(Err(e)) = &asked {
        return jsonrpc_error(decoded.id, decoded.version, e);
    }
    let mut caller = match caller_from_headers(&state, &headers, &query) {
        Ok(c) => c,
        Err(resp) => return resp,
    };
    caller.caller.agent = agent.and_then(|axum::extract::Path(mut p)| p.remove("agent"));
    let id = decoded.id;
    // The header (or query parameter) and the method name must agree on the version.
    match caller.version_header {
        Some(v) if v != decoded.version => {
            let name = decoded.request.method().name_for(decoded.version);
            let err = A2aError::new(
                ErrorCode::MethodNotFound,
                format!("`{name}` is not an A2A {v} method (A2A-Version: {v})"),
            );
            return jsonrpc_error(id, v, &err);
        }
        _ => {}
    }
    let version = decoded.version;
    caller.caller.version = version;
    let result = state
        .call(&caller.caller, decoded.request, &headers, conn)
        .await;
    match result {
        Ok(Reply::Unary(resp)) => match encode_result(&resp, version) {
            Ok(text) => json_response(JsonRpcResponse::success_text(&id, &text)),
            Err(e) => jsonrpc_error(id, version, &e),
        },
        Ok(Reply::Stream(items)) => {
            let events = items.map(move |r| {
                let error = |e: &A2aError| {
                    serde_json::to_string(&jsonrpc_error_object(id.clone(), version, e))
                        .unwrap_or_default()
                };
                let (seq, body) = match r {
                    Ok(StreamItem { seq, event, last }) => {
                        let resp = A2aResponse::StreamEvent { event, last };
                        let body = match encode_result(&resp, version) {
                            Ok(text) => JsonRpcResponse::success_text(&id, &text),
                            Err(e) => error(&e),
                        };
                        (seq, body)
                    }
                    Err(e) => (0, error(&e)),
                };
                (seq, None, body)
            });
            sse_response(state.limits.keep_alive, &state.shutdown, events)
        }
        Err(e) => jsonrpc_call_error(&state.auth.challenge(), id, version, e),
    }
}
