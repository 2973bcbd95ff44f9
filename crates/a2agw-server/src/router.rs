//! The HTTP router of the gateway: the routes of every binding and of the well-known,
//! catalog, admin, health and metrics paths, and the middleware around them (unknown
//! agents, body limit, activated extensions, request timeout).

use crate::app::{AppState, agent_of_path, header_str, is_jsonrpc_path};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(axum::extract::State(state): axum::extract::State<AppState>) -> Response {
    if state.shutdown.is_begun() {
        return crate::error::unavailable("shutting down");
    }
    match state.handler.engine().store().orphaned(1).await {
        Ok(_) => (StatusCode::OK, "ready").into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness: store unavailable");
            crate::error::unavailable("store unavailable")
        }
    }
}

/// A 413 in the body form of the binding the request was for: a JSON-RPC error object on
/// the JSON-RPC endpoint (`POST /`), the `google.rpc.Status` body elsewhere.
async fn body_too_large(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let jsonrpc = is_jsonrpc_path(request.uri().path());
    let resp = next.run(request).await;
    if crate::error::is_body_too_large(&resp) {
        crate::error::body_too_large(jsonrpc)
    } else {
        resp
    }
}

/// Lists, in an `A2A-Extensions` response header, the extensions the request activated:
/// those it asked for (`A2A-Extensions` or the 0.3 `X-A2A-Extensions`) that the agent's
/// card declares. Unknown ones are ignored, as the extensions guide says.
pub(crate) async fn activated_extensions(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let agent = match agent_of_path(request.uri().path()) {
        Some(name) => state.handler.agent_named(name),
        None => state.handler.root(),
    };
    let declared = agent
        .as_ref()
        .map_or(&[][..], |a| &a.card.capabilities.extensions[..]);
    let asked = header_str(request.headers(), "a2a-extensions")
        .or_else(|| header_str(request.headers(), "x-a2a-extensions"))
        .unwrap_or_default();
    let activated: Vec<&str> = asked
        .split(',')
        .map(str::trim)
        .filter(|uri| declared.iter().any(|e| e.uri == *uri))
        .collect();
    let value = (!activated.is_empty()).then(|| activated.join(", "));
    let mut resp = next.run(request).await;
    if let Some(v) = value.and_then(|v| HeaderValue::from_str(&v).ok()) {
        resp.headers_mut().insert("a2a-extensions", v);
    }
    resp
}

/// Bounds the time to produce a response head (`Limits::request_timeout`, plus a margin:
/// a blocking `SendMessage` answers by itself at the timeout with the task as it is).
/// Streams are not cut: their head is sent at once and their events are not covered.
async fn request_timeout(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let limit = state.limits.request_timeout + std::time::Duration::from_secs(5);
    let jsonrpc = is_jsonrpc_path(request.uri().path());
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(resp) => resp,
        Err(_) => crate::error::timed_out(limit, jsonrpc),
    }
}

/// 404 for `/agents/{name}/…` when no agent of that name is served, or the caller may not
/// use it ([`AppState::visible_agent`]: the same answer), with a REST-style body as for
/// any unknown REST path, before any binding reads the request.
async fn known_agent(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    match agent_of_path(request.uri().path()) {
        Some(name) if state.visible_agent(request.headers(), Some(name)).is_none() => {
            crate::error::unknown_agent(name)
        }
        _ => next.run(request).await,
    }
}

/// The bindings of one agent under `prefix`: JSON-RPC at `{prefix}/`, the cards,
/// HTTP+JSON; served at the root (`""`: the root agent) and under `/agents/{agent}`
/// (every agent).
fn bindings(prefix: &str) -> Router<AppState> {
    Router::new()
        .route(&format!("{prefix}/"), post(crate::jsonrpc::handle))
        .route(
            &format!("{prefix}/.well-known/agent-card.json"),
            get(crate::well_known::serve_card),
        )
        .route(
            &format!("{prefix}/.well-known/agent.json"),
            get(crate::well_known::serve_legacy_card),
        )
        .merge(crate::rest::routes(prefix))
}

/// The HTTP router of the gateway.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(bindings(""))
        .merge(bindings("/agents/{agent}"))
        .fallback(crate::rest::fallback)
        .route("/.well-known/jwks.json", get(crate::well_known::serve_jwks))
        .route("/agents", get(crate::catalog::serve))
        .merge(crate::admin::routes())
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(crate::metrics::serve))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            known_agent,
        ))
        .layer(DefaultBodyLimit::max(state.limits.max_body_bytes))
        .layer(axum::middleware::from_fn(body_too_large))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            activated_extensions,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            request_timeout,
        ))
        .with_state(state)
}
