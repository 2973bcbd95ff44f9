//! The admin API, `/admin/v1/agents`: list, get, create (by card URL or inline
//! definition), replace, delete, enable, disable and refresh the agents registered at run
//! time. The HTTP surface and the admin credential are here; what a registration means
//! (parsing it, fetching cards, building providers, storing it) is the [`AgentAdmin`]
//! the binary gives.
//!
//! | method and path | what |
//! |---|---|
//! | `GET /admin/v1/agents` | every agent, configured and registered |
//! | `POST /admin/v1/agents` | register one (`201`, `Location`, `ETag`) |
//! | `GET /admin/v1/agents/{name}` | one (`ETag: "<version>"`) |
//! | `PUT /admin/v1/agents/{name}` | replace its registration (`If-Match` optional) |
//! | `DELETE /admin/v1/agents/{name}` | remove it (`204`; `If-Match` optional) |
//! | `POST /admin/v1/agents/{name}/enable`, `…/disable` | serve it, or stop serving it |
//! | `POST /admin/v1/agents/{name}/refresh` | fetch its card again now |
//!
//! **The admin credential is not a caller's.** An admin key (`X-Admin-Key: <key>`, or
//! `Authorization: Bearer <key>`; stored as SHA-256 like callers' keys), or a JWT that the
//! gateway's JWT authentication accepts and whose roles claim holds the admin role. No
//! credential, or one that is not valid: 401. A valid caller credential without the admin
//! role: 403. Without an admin configured the API answers 404, as for any unknown path.

use crate::admin_api::{Admin, AdminAgent, AdminError, Denied};
use crate::app::AppState;
use crate::auth::{Principal, hash_key, looks_like_jwt};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::Value;

/// The admin routes (answering 404 when [`AppState::admin`] is `None`).
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/v1/agents", get(list).post(create))
        .route(
            "/admin/v1/agents/{name}",
            get(get_one).put(replace).delete(delete),
        )
        .route("/admin/v1/agents/{name}/enable", post(enable))
        .route("/admin/v1/agents/{name}/disable", post(disable))
        .route("/admin/v1/agents/{name}/refresh", post(refresh))
}

/// The admin API of `state`, if the request's credential is an admin's.
fn admit<'a>(state: &'a AppState, headers: &HeaderMap) -> Result<&'a Admin, Denied> {
    let Some(admin) = state.admin.as_deref() else {
        return Err(Denied::Off);
    };
    let header_key = headers
        .get("x-admin-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim);
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.get(..7)
                .filter(|s| s.eq_ignore_ascii_case("bearer "))
                .map(|_| v[7..].trim())
        });
    for key in header_key
        .into_iter()
        .chain(bearer.filter(|b| !looks_like_jwt(b)))
    {
        if let Some(who) = admin.auth.keys.get(&hash_key(key)) {
            tracing::debug!(admin = %who, "admin API call");
            return Ok(admin);
        }
    }
    if header_key.is_some() {
        return Err(Denied::Unauthenticated("the admin key is not valid".into()));
    }
    match state.auth.authenticate(headers) {
        Ok(Some(principal @ Principal::Jwt { .. }))
            if admin
                .auth
                .role
                .as_ref()
                .is_some_and(|role| principal.roles().contains(role)) =>
        {
            tracing::debug!(admin = %principal, "admin API call");
            Ok(admin)
        }
        Ok(Some(principal)) => Err(Denied::Forbidden(format!(
            "`{principal}` is a caller, not an admin: the admin API needs an admin key{}",
            match &admin.auth.role {
                Some(role) => format!(" or a JWT with the `{role}` role"),
                None => String::new(),
            }
        ))),
        Ok(None) => Err(Denied::Unauthenticated(
            "the admin API needs an admin credential (X-Admin-Key)".into(),
        )),
        Err(e) => Err(Denied::Unauthenticated(e)),
    }
}

/// `If-Match: "<version>"` (or a bare number); `*` and no header: `None`.
fn if_match(headers: &HeaderMap) -> Result<Option<i64>, AdminError> {
    let Some(v) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let text = v.to_str().unwrap_or("").trim();
    if text == "*" {
        return Ok(None);
    }
    let bare = text.trim_start_matches("W/").trim_matches('"');
    bare.parse::<i64>().map(Some).map_err(|_| {
        AdminError::invalid(
            "If-Match",
            format!("`{text}` is not an ETag this API gave (\"<version>\")"),
        )
    })
}

/// The JSON body, which must be an object.
fn object(body: &[u8]) -> Result<Value, AdminError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(v @ Value::Object(_)) => Ok(v),
        Ok(_) => Err(AdminError::invalid("", "the body must be a JSON object")),
        Err(e) => Err(AdminError::invalid(
            "",
            format!("the body is not JSON: {e}"),
        )),
    }
}

fn answer(status: StatusCode, agent: &AdminAgent) -> Response {
    let mut resp = (status, axum::Json(&agent.view)).into_response();
    if let Some(v) = agent.version
        && let Ok(etag) = format!("\"{v}\"").parse()
    {
        resp.headers_mut().insert(header::ETAG, etag);
    }
    if status == StatusCode::CREATED
        && let Ok(location) = format!("/admin/v1/agents/{}", agent.name).parse()
    {
        resp.headers_mut().insert(header::LOCATION, location);
    }
    resp
}

/// An operation's answer: `status` with the agent, or the error's.
fn respond(status: StatusCode, result: Result<AdminAgent, AdminError>) -> Response {
    match result {
        Ok(agent) => answer(status, &agent),
        Err(e) => crate::error::admin_error_response(&e),
    }
}

/// The admin API for this request, or the answer refusing it.
#[allow(clippy::result_large_err)] // the error is the response to send, built once
fn admin_for<'a>(state: &'a AppState, headers: &HeaderMap) -> Result<&'a Admin, Response> {
    admit(state, headers)
        .map_err(|d| crate::error::admin_denied_response(&d, &state.auth.challenge()))
}

/// Handlers answer `Err` with the refusal, `Ok` with the operation's answer.
type Answer = Result<Response, Response>;

async fn list(State(state): State<AppState>, headers: HeaderMap) -> Answer {
    let admin = admin_for(&state, &headers)?;
    Ok(match admin.agents.list().await {
        Ok(agents) => {
            let views: Vec<&Value> = agents.iter().map(|a| &a.view).collect();
            axum::Json(serde_json::json!({ "agents": views })).into_response()
        }
        Err(e) => crate::error::admin_error_response(&e),
    })
}

async fn get_one(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Answer {
    let admin = admin_for(&state, &headers)?;
    Ok(respond(StatusCode::OK, admin.agents.get(&name).await))
}

async fn create(State(state): State<AppState>, headers: HeaderMap, body: bytes::Bytes) -> Answer {
    let admin = admin_for(&state, &headers)?;
    let result = match object(&body) {
        Ok(body) => admin.agents.create(body).await,
        Err(e) => Err(e),
    };
    Ok(respond(StatusCode::CREATED, result))
}

async fn replace(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: bytes::Bytes,
) -> Answer {
    let admin = admin_for(&state, &headers)?;
    let result = match (object(&body), if_match(&headers)) {
        (Ok(body), Ok(version)) => admin.agents.replace(&name, body, version).await,
        (Err(e), _) | (_, Err(e)) => Err(e),
    };
    Ok(respond(StatusCode::OK, result))
}

async fn delete(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Answer {
    let admin = admin_for(&state, &headers)?;
    let result = match if_match(&headers) {
        Ok(version) => admin.agents.delete(&name, version).await,
        Err(e) => Err(e),
    };
    Ok(match result {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => crate::error::admin_error_response(&e),
    })
}

async fn enable(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Answer {
    let admin = admin_for(&state, &headers)?;
    Ok(respond(
        StatusCode::OK,
        admin.agents.set_enabled(&name, true).await,
    ))
}

async fn disable(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Answer {
    let admin = admin_for(&state, &headers)?;
    Ok(respond(
        StatusCode::OK,
        admin.agents.set_enabled(&name, false).await,
    ))
}

async fn refresh(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Answer {
    let admin = admin_for(&state, &headers)?;
    Ok(respond(StatusCode::OK, admin.agents.refresh(&name).await))
}
