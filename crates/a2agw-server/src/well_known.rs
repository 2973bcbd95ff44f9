//! The well-known paths: the agent card (`/.well-known/agent-card.json`, the 0.3
//! `/.well-known/agent.json`), under the root and each `/agents/{name}`, with `ETag`,
//! `Last-Modified` and `Cache-Control`, and the JWKS of the card signing keys
//! (`/.well-known/jwks.json`).

use crate::app::AppState;
use crate::card::CardForm;
use crate::forwarded::Connection;
use a2agw_types::ProtocolVersion;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::time::SystemTime;

/// `GET /.well-known/jwks.json`: the public keys the cards are signed with (404 when
/// cards are not signed).
pub(crate) async fn serve_jwks(State(state): State<AppState>) -> Response {
    if state.card.signing.is_empty() {
        return crate::error::bare_not_found();
    }
    let jwks = a2agw_signing::Jwks::from_signing_keys(&state.card.signing).to_value();
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/jwk-set+json"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        serde_json::to_vec(&jwks).unwrap_or_default(),
    )
        .into_response()
}

/// The version a card request names: the `A2A-Version` header, else the query parameter
/// (only Major.Minor counts; a value that is no version names none).
fn asked_version(headers: &HeaderMap, query: &HashMap<String, String>) -> Option<ProtocolVersion> {
    headers
        .get("a2a-version")
        .and_then(|v| v.to_str().ok())
        .or_else(|| query.get("A2A-Version").map(String::as_str))
        .and_then(|v| ProtocolVersion::from_header(v).ok().flatten())
}

/// The form of the version a card request names, `unasked` when it names none.
fn asked_form(headers: &HeaderMap, query: &HashMap<String, String>, unasked: CardForm) -> CardForm {
    match asked_version(headers, query) {
        Some(ProtocolVersion::V1_0) => CardForm::V1_0,
        Some(ProtocolVersion::V0_3) => CardForm::V0_3,
        None => unasked,
    }
}

/// `GET /.well-known/agent-card.json`: the 1.0 card, or the 0.3 card when the request
/// names 0.3 (`A2A-Version: 0.3`, or `?A2A-Version=0.3`); a request that names no version
/// gets [`CardSettings::unversioned`].
pub(crate) async fn serve_card(
    State(state): State<AppState>,
    agent: Option<Path<HashMap<String, String>>>,
    Query(query): Query<HashMap<String, String>>,
    conn: Connection,
    headers: HeaderMap,
) -> Response {
    let form = asked_form(&headers, &query, state.card.unversioned);
    respond(
        &state,
        &headers,
        conn,
        form,
        agent.and_then(|Path(mut p)| p.remove("agent")).as_deref(),
    )
}

/// `GET /.well-known/agent.json`, the path of A2A ≤0.2 (and the fallback of early 0.3
/// resolvers): the 0.3 card, unless the request names 1.0.
pub(crate) async fn serve_legacy_card(
    State(state): State<AppState>,
    agent: Option<Path<HashMap<String, String>>>,
    Query(query): Query<HashMap<String, String>>,
    conn: Connection,
    headers: HeaderMap,
) -> Response {
    let form = asked_form(&headers, &query, CardForm::V0_3);
    respond(
        &state,
        &headers,
        conn,
        form,
        agent.and_then(|Path(mut p)| p.remove("agent")).as_deref(),
    )
}

/// Whether the conditional headers of a request match: `If-None-Match` against the
/// `ETag`, else (RFC 9110 §13.1.3: only without `If-None-Match`) `If-Modified-Since`
/// against the card's date.
fn not_modified(headers: &HeaderMap, etag: &str, modified: SystemTime) -> bool {
    if let Some(v) = headers.get(header::IF_NONE_MATCH) {
        return v
            .to_str()
            .is_ok_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    }
    let since = headers
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| httpdate::parse_http_date(v).ok());
    // HTTP dates have whole seconds: the card's date is compared at that precision.
    let modified = httpdate::HttpDate::from(modified);
    since.is_some_and(|since| modified <= httpdate::HttpDate::from(since))
}

/// The card of the root agent (`agent` = `None`), or of the agent the path names (404
/// when none of that name is served).
fn respond(
    state: &AppState,
    headers: &HeaderMap,
    conn: Connection,
    form: CardForm,
    agent: Option<&str>,
) -> Response {
    let settings = &state.card;
    let Some(crate::app::WellKnownCard { json, per_caller }) =
        state.well_known_card(headers, conn, agent, form)
    else {
        return crate::error::bare_not_found();
    };
    let body = serde_json::to_vec(&json).unwrap_or_default();
    let digest = Sha256::digest(&body);
    let etag = format!(
        "\"{}\"",
        digest
            .iter()
            .take(12)
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    let scope = if per_caller { "private" } else { "public" };
    let cache = format!("{scope}, max-age={}", settings.max_age_secs);
    let mut resp = if not_modified(headers, &etag, settings.modified) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            body,
        )
            .into_response()
    };
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    if let Ok(v) = HeaderValue::from_str(&httpdate::fmt_http_date(settings.modified)) {
        h.insert(header::LAST_MODIFIED, v);
    }
    if let Ok(v) = HeaderValue::from_str(&cache) {
        h.insert(header::CACHE_CONTROL, v);
    }
    h.insert(
        header::VARY,
        HeaderValue::from_static(if per_caller {
            "A2A-Version, Host, Forwarded, X-Forwarded-Host, X-Forwarded-Proto, X-Forwarded-Port, X-Forwarded-Prefix, Authorization, X-API-Key"
        } else {
            "A2A-Version, Host, Forwarded, X-Forwarded-Host, X-Forwarded-Proto, X-Forwarded-Port, X-Forwarded-Prefix"
        }),
    );
    resp
}
