//! The HTTP+JSON (REST) binding: the routes of the proto's `google.api.http` annotations,
//! each also under a `/{tenant}` prefix, and the 0.3 routes under `/v1/…`. Every route
//! decodes into one [`A2aRequest`] and calls the one handler, like the JSON-RPC binding.
//!
//! - Bodies and responses are ProtoJSON of the 1.0 messages. Requests say `Content-Type:
//!   application/a2a+json` or `application/json` (any other type with a body gets 415);
//!   answers come in the media type the request used (a request without a body: the one
//!   its `Accept` names, `application/json` when it names neither). Path segments fill
//!   `id` / `taskId` / the config `id` and `tenant`; query parameters are parsed strictly
//!   (a bad value is a 400 naming the parameter).
//! - Errors are the `google.rpc.Status` body with the mapped HTTP status
//!   ([`crate::error::rest_error_body`]); 401 carries `WWW-Authenticate`.
//! - Streams (`message:stream`, `tasks/{id}:subscribe`) are SSE: each `data:` is one bare
//!   `StreamResponse`, `id:` its sequence number (`Last-Event-ID` resumes). An error once
//!   the stream has started is one final event `event: error` whose data is the
//!   `google.rpc.Status` body (`{"error": {…}}`), then the stream closes: the framing of
//!   the official Python SDK, whose client reads exactly that.
//! - `tasks/{id}:subscribe` answers GET (proto) and POST (prose); `tasks/{id}:cancel` takes
//!   an empty body, `{}`, `null` or `{metadata}`. Axum cannot route on a `:verb` suffix
//!   inside a segment, so `/tasks/{id}` captures the whole segment and splits it on the
//!   last `:`: `GET /tasks/abc:subscribe` is never read as `GetTask("abc:subscribe")`.
//! - `A2A-Version` (header or query parameter): the 1.0 routes serve 1.0 (absent means 1.0
//!   here, since the path already says which surface the client speaks); `/v1/…` serves
//!   0.3 (absent means 0.3). Any other value gets VersionNotSupported.
//!
//! The 0.3 shapes are in [`v03`].

mod v03;

use crate::app::{AppState, caller_from_headers_as};
use crate::error::{
    bare_not_found, rest_body_unreadable, rest_call_error, rest_error, rest_error_event,
    rest_method_not_allowed, rest_not_found, rest_unsupported_media_type,
};
use crate::handler::{Reply, StreamItem};
use a2agw_types::{
    A2aError, A2aRequest, A2aResponse, ErrorCode, FieldViolation, Method as A2aMethod,
    ProtocolVersion, TaskState,
};
use axum::Router;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use bytes::Bytes;
use futures::StreamExt;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::time::Duration;

/// The media type of 1.0 REST bodies in the specification.
const A2A_JSON: &str = "application/a2a+json";
/// Plain JSON, which clients (and AIP-193 errors) use as well.
const JSON: &str = "application/json";

/// Which REST surface a route belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Api {
    /// The 1.0 routes (and their `/{tenant}` twins).
    V1_0,
    /// The 0.3 routes under `/v1/…`.
    V0_3,
}

impl Api {
    const fn version(self) -> ProtocolVersion {
        match self {
            Api::V1_0 => ProtocolVersion::V1_0,
            Api::V0_3 => ProtocolVersion::V0_3,
        }
    }

    /// The `Content-Type` of responses (0.3 REST used plain JSON).
    const fn content_type(self) -> &'static str {
        match self {
            Api::V1_0 => A2A_JSON,
            Api::V0_3 => JSON,
        }
    }
}

/// A route (path shape); the HTTP method and a `:verb` suffix pick the operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Route {
    /// `/message:send`.
    Send,
    /// `/message:stream`.
    Stream,
    /// `/tasks/{id}`, `/tasks/{id}:cancel`, `/tasks/{id}:subscribe`.
    Task,
    /// `/tasks`.
    Tasks,
    /// `/tasks/{id}/pushNotificationConfigs`.
    PushConfigs,
    /// `/tasks/{id}/pushNotificationConfigs/{config_id}`.
    PushConfig,
    /// `/extendedAgentCard` (1.0), `/v1/card` (0.3).
    ExtendedCard,
}

/// One A2A operation as addressed over REST.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Send,
    Stream,
    Get,
    List,
    Cancel,
    Subscribe,
    PushCreate,
    PushGet,
    PushList,
    PushDelete,
    ExtendedCard,
}

impl Op {
    const fn method(self) -> A2aMethod {
        match self {
            Op::Send => A2aMethod::SendMessage,
            Op::Stream => A2aMethod::SendStreamingMessage,
            Op::Get => A2aMethod::GetTask,
            Op::List => A2aMethod::ListTasks,
            Op::Cancel => A2aMethod::CancelTask,
            Op::Subscribe => A2aMethod::SubscribeToTask,
            Op::PushCreate => A2aMethod::CreateTaskPushNotificationConfig,
            Op::PushGet => A2aMethod::GetTaskPushNotificationConfig,
            Op::PushList => A2aMethod::ListTaskPushNotificationConfigs,
            Op::PushDelete => A2aMethod::DeleteTaskPushNotificationConfig,
            Op::ExtendedCard => A2aMethod::GetExtendedAgentCard,
        }
    }

    /// Whether a request body is read (and its `Content-Type` checked).
    const fn reads_body(self) -> bool {
        matches!(
            self,
            Op::Send | Op::Stream | Op::Cancel | Op::Subscribe | Op::PushCreate
        )
    }
}

/// The REST routes under `prefix` (`""` at the root, `/agents/{agent}` for each agent),
/// to be merged into the application router (whose fallback is [`fallback`]).
pub(crate) fn routes(prefix: &str) -> Router<AppState> {
    let mut r = Router::new();
    let v1_0 = [
        ("/message:send", Route::Send),
        ("/message:stream", Route::Stream),
        ("/tasks", Route::Tasks),
        ("/tasks/{id}", Route::Task),
        ("/tasks/{id}/pushNotificationConfigs", Route::PushConfigs),
        (
            "/tasks/{id}/pushNotificationConfigs/{config_id}",
            Route::PushConfig,
        ),
        ("/extendedAgentCard", Route::ExtendedCard),
    ];
    for (path, route) in v1_0 {
        r = r
            .route(&format!("{prefix}{path}"), endpoint(Api::V1_0, route))
            .route(
                &format!("{prefix}/{{tenant}}{path}"),
                endpoint(Api::V1_0, route),
            );
    }
    let v0_3 = [
        ("/v1/message:send", Route::Send),
        ("/v1/message:stream", Route::Stream),
        ("/v1/tasks", Route::Tasks),
        ("/v1/tasks/{id}", Route::Task),
        ("/v1/tasks/{id}/pushNotificationConfigs", Route::PushConfigs),
        (
            "/v1/tasks/{id}/pushNotificationConfigs/{config_id}",
            Route::PushConfig,
        ),
        ("/v1/card", Route::ExtendedCard),
    ];
    for (path, route) in v0_3 {
        r = r.route(&format!("{prefix}{path}"), endpoint(Api::V0_3, route));
    }
    r.layer(axum::middleware::from_fn(in_the_request_media_type))
}

/// The media type of a JSON answer: the one the request's body used (`application/json`
/// or `application/a2a+json`); for a request without a JSON body, `application/a2a+json`
/// when its `Accept` names that type and not `application/json`; `application/json`
/// otherwise (decision 35).
fn answer_media_type(headers: &HeaderMap) -> &'static str {
    let essence = |v: &str| {
        v.split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase()
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(essence);
    match content_type.as_deref() {
        Some(A2A_JSON) => return A2A_JSON,
        Some(JSON) => return JSON,
        _ => {}
    }
    let accepted: Vec<String> = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(essence)
        .collect();
    if accepted.iter().any(|t| t == A2A_JSON) && !accepted.iter().any(|t| t == JSON) {
        A2A_JSON
    } else {
        JSON
    }
}

/// Gives every JSON answer of the REST routes (results, errors, 404s) the media type the
/// request used ([`answer_media_type`]); SSE streams keep `text/event-stream`.
async fn in_the_request_media_type(request: Request, next: axum::middleware::Next) -> Response {
    let media = answer_media_type(request.headers());
    let mut resp = next.run(request).await;
    let is_json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == A2A_JSON || v == JSON);
    if is_json {
        resp.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(media));
    }
    resp
}

fn endpoint(api: Api, route: Route) -> axum::routing::MethodRouter<AppState> {
    any(move |call: RestCall| serve(call, api, route))
}

/// Everything a REST handler reads from the request.
struct RestCall {
    state: AppState,
    method: Method,
    /// The request path, for messages.
    uri_path: String,
    path: HashMap<String, String>,
    query: Vec<(String, String)>,
    headers: HeaderMap,
    /// The TCP connection (for the card's URLs).
    conn: crate::forwarded::Connection,
    body: Bytes,
}

impl FromRequest<AppState> for RestCall {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let path = Path::<HashMap<String, String>>::from_request_parts(&mut parts, state)
            .await
            .map_err(|e| {
                error_response(
                    Api::V1_0,
                    &A2aError::new(
                        ErrorCode::InvalidRequest,
                        format!("Malformed path: {}", e.body_text()),
                    ),
                )
            })?
            .0;
        let query = Query::<Vec<(String, String)>>::from_request_parts(&mut parts, state)
            .await
            .map_err(|e| {
                error_response(
                    Api::V1_0,
                    &A2aError::new(
                        ErrorCode::InvalidRequest,
                        format!("Malformed query string: {}", e.body_text()),
                    ),
                )
            })?
            .0;
        let method = parts.method.clone();
        let uri_path = parts.uri.path().to_owned();
        let headers = parts.headers.clone();
        let conn = crate::forwarded::Connection::of(&parts.extensions);
        let body = Bytes::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(|e| rest_body_unreadable(Api::V1_0.content_type(), &e))?;
        Ok(RestCall {
            state: state.clone(),
            method,
            uri_path,
            path,
            query,
            headers,
            conn,
            body,
        })
    }
}

/// A JSON response with the surface's content type.
/// The `google.rpc.Status` body of `err` with its mapped HTTP status.
fn error_response(api: Api, err: &A2aError) -> Response {
    rest_error(api.content_type(), err)
}

/// Whether a path that no route matched looks like a REST call (it gets a REST 404; other
/// paths get a bare 404, as before the REST binding existed).
fn looks_like_rest(path: &str) -> bool {
    path.split('/').any(|seg| {
        seg == "v1"
            || seg == "tasks"
            || seg.starts_with("tasks:")
            || seg.starts_with("message:")
            || seg == "pushNotificationConfigs"
            || seg == "extendedAgentCard"
    })
}

/// Sets the surface's `Content-Type` on a JSON error built elsewhere (401, version errors).
fn with_content_type(api: Api, mut resp: Response) -> Response {
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(api.content_type()),
    );
    resp
}

/// The application's fallback: a REST 404 for paths that look like REST calls (in the
/// media type the request used), a bare 404 otherwise.
pub(crate) async fn fallback(method: Method, headers: HeaderMap, uri: axum::http::Uri) -> Response {
    let path = uri.path();
    if looks_like_rest(path) {
        rest_not_found(&method, path, answer_media_type(&headers))
    } else {
        bare_not_found()
    }
}

/// Splits `/tasks/{segment}` into the task id and its `:cancel` / `:subscribe` verb.
fn split_verb(segment: &str) -> (&str, Option<&str>) {
    match segment.rsplit_once(':') {
        Some((id, verb @ ("cancel" | "subscribe"))) => (id, Some(verb)),
        _ => (segment, None),
    }
}

/// Why a route does not serve a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Unrouted {
    /// The path does not accept the method; these methods it does (405).
    NotAllowed(&'static str),
    /// No operation has this path (404): `POST /tasks/{id}:unknownVerb`.
    NotFound,
}

/// The operation a method on a route names, with the task id and config id from the path.
fn resolve(
    route: Route,
    method: &Method,
    path: &HashMap<String, String>,
) -> Result<(Op, Option<String>, Option<String>), Unrouted> {
    let is = |m: &Method| method == m || (*m == Method::GET && method == Method::HEAD);
    let not_allowed = |allow: &'static str| Err(Unrouted::NotAllowed(allow));
    let id = path.get("id").cloned();
    let config_id = path.get("config_id").cloned();
    let op = match route {
        Route::Send if is(&Method::POST) => Op::Send,
        Route::Stream if is(&Method::POST) => Op::Stream,
        Route::Send | Route::Stream => return not_allowed("POST"),
        Route::Tasks if is(&Method::GET) => Op::List,
        Route::Tasks => return not_allowed("GET"),
        Route::Task => {
            let segment = id.as_deref().unwrap_or_default();
            let (task_id, verb) = split_verb(segment);
            let op = match verb {
                None if is(&Method::GET) => Op::Get,
                // `POST /tasks/abc:archive`: a verb this binding does not have.
                None if segment.contains(':') => return Err(Unrouted::NotFound),
                None => return not_allowed("GET"),
                Some("cancel") if is(&Method::POST) => Op::Cancel,
                Some("cancel") => return not_allowed("POST"),
                _ if is(&Method::GET) || is(&Method::POST) => Op::Subscribe,
                _ => return not_allowed("GET, POST"),
            };
            return Ok((op, Some(task_id.to_owned()), None));
        }
        Route::PushConfigs if is(&Method::POST) => Op::PushCreate,
        Route::PushConfigs if is(&Method::GET) => Op::PushList,
        Route::PushConfigs => return not_allowed("GET, POST"),
        Route::PushConfig if is(&Method::GET) => Op::PushGet,
        Route::PushConfig if is(&Method::DELETE) => Op::PushDelete,
        Route::PushConfig => return not_allowed("GET, DELETE"),
        Route::ExtendedCard if is(&Method::GET) => Op::ExtendedCard,
        Route::ExtendedCard => return not_allowed("GET"),
    };
    Ok((op, id, config_id))
}

/// Whether a `Content-Type` is one a REST body may have (absent is tolerated).
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
                "application/json" | "application/a2a+json"
            )
        }
    }
}

async fn serve(call: RestCall, api: Api, route: Route) -> Response {
    let (op, id, config_id) = match resolve(route, &call.method, &call.path) {
        Ok(r) => r,
        Err(Unrouted::NotAllowed(allow)) => {
            return rest_method_not_allowed(&call.method, &call.uri_path, allow, A2A_JSON);
        }
        Err(Unrouted::NotFound) => return rest_not_found(&call.method, &call.uri_path, A2A_JSON),
    };
    let state = &call.state;
    // `A2A-Version` may also be a query parameter; the last occurrence counts.
    let query_map: HashMap<String, String> = call.query.iter().cloned().collect();
    let info = match caller_from_headers_as(state, &call.headers, &query_map, true) {
        Ok(i) => i,
        Err(resp) => return with_content_type(api, resp),
    };
    let version = api.version();
    if let Some(asked) = info.version_header.filter(|v| *v != version) {
        let hint = match api {
            Api::V1_0 => "A2A 0.3 REST requests use the `/v1/…` paths",
            Api::V0_3 => "A2A 1.0 REST requests use the paths without `/v1`",
        };
        let err = A2aError::new(
            ErrorCode::VersionNotSupported,
            format!("This path serves A2A {version}, not {asked} (A2A-Version: {asked}); {hint}"),
        )
        .with_metadata("requestedVersion", asked.as_str());
        return error_response(api, &err);
    }
    let mut caller = info.caller;
    caller.agent = call.path.get("agent").cloned();
    caller.version = version;
    if op.reads_body()
        && call.method == Method::POST
        && !call.body.iter().all(u8::is_ascii_whitespace)
        && !is_json_content_type(&call.headers)
    {
        let ct = call
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let err = A2aError::new(
            ErrorCode::InvalidRequest,
            format!(
                "Content-Type `{ct}` is not accepted; send the body as `application/a2a+json` or `application/json`"
            ),
        );
        return rest_unsupported_media_type(api.content_type(), &err);
    }
    let ids = PathIds {
        tenant: call.path.get("tenant").cloned(),
        id,
        config_id,
    };
    let decoded = match api {
        Api::V1_0 => decode_v1(op, &ids, &call),
        Api::V0_3 => v03::decode(op, &ids, &call),
    };
    let request = match decoded {
        Ok(r) => r,
        Err(e) => return error_response(api, &e),
    };
    let result = state.call(&caller, request, &call.headers, call.conn).await;
    match result {
        Ok(Reply::Unary(resp)) => unary_response(api, &resp),
        Ok(Reply::Stream(items)) => {
            stream_response(api, state.limits.keep_alive, &state.shutdown, items)
        }
        Err(e) => rest_call_error(&state.auth.challenge(), api.content_type(), e),
    }
}

/// The ids a route's path carries.
#[derive(Debug)]
struct PathIds {
    tenant: Option<String>,
    id: Option<String>,
    config_id: Option<String>,
}

/// A result (or stream event) in the surface's JSON form.
fn encode(api: Api, resp: &A2aResponse) -> Result<Value, A2aError> {
    match api {
        Api::V1_0 => resp.to_json(ProtocolVersion::V1_0),
        Api::V0_3 => v03::encode(resp),
    }
    .map_err(|e| A2aError::internal(e.to_string()))
}

/// [`encode`] as JSON text: written directly, without a `Value` in between, for 1.0.
fn encode_text(api: Api, resp: &A2aResponse) -> Result<String, A2aError> {
    match api {
        Api::V1_0 => resp
            .to_json_text(ProtocolVersion::V1_0)
            .map_err(|e| A2aError::internal(e.to_string())),
        Api::V0_3 => encode(api, resp).map(|v| v.to_string()),
    }
}

fn unary_response(api: Api, resp: &A2aResponse) -> Response {
    match encode_text(api, resp) {
        Ok(text) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, api.content_type())],
            text,
        )
            .into_response(),
        Err(e) => error_response(api, &e),
    }
}

fn stream_response(
    api: Api,
    keep_alive: Duration,
    shutdown: &crate::shutdown::Shutdown,
    items: crate::handler::ItemStream,
) -> Response {
    // An error is sent as one final `event: error` (the REST framing of the official SDKs).
    let error_event = |e: &A2aError| {
        let (name, data) = rest_error_event(e);
        (0, Some(name), data)
    };
    let events = items.map(move |r| match r {
        Ok(StreamItem { seq, event, last }) => {
            match encode_text(api, &A2aResponse::StreamEvent { event, last }) {
                Ok(text) => (seq, None, text),
                Err(e) => error_event(&e),
            }
        }
        Err(e) => error_event(&e),
    });
    // Nothing follows an error event.
    let events =
        crate::handler::through_last(events, |item: &crate::sse::SseItem| item.1.is_some());
    crate::sse::sse_response(keep_alive, shutdown, events)
}

// ---------------------------------------------------------------------------------------
// Decoding the 1.0 routes
// ---------------------------------------------------------------------------------------

pub(super) use a2agw_types::json_type_name;

fn bad_param(field: &str, description: impl Into<String>) -> A2aError {
    A2aError::invalid_params(vec![FieldViolation::new(field, description)])
}

/// The request body as a JSON object. An empty body (or `null`) is `{}` when the body is
/// optional and an error when it is required.
fn body_object(body: &Bytes, required: bool) -> Result<Map<String, Value>, A2aError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        if required {
            return Err(A2aError::new(
                ErrorCode::InvalidRequest,
                "The request body is empty; this operation needs a JSON object",
            ));
        }
        return Ok(Map::new());
    }
    let value: Value = a2agw_types::from_json(body).map_err(|e| {
        let what = if e.kind == a2agw_types::DecodeErrorKind::Eof {
            "truncated JSON"
        } else {
            "invalid JSON"
        };
        A2aError::new(ErrorCode::ParseError, format!("{what}: {}", e.message))
    })?;
    match value {
        Value::Object(o) => Ok(o),
        Value::Null if !required => Ok(Map::new()),
        other => Err(bad_param(
            "body",
            format!("must be a JSON object, got {}", json_type_name(&other)),
        )),
    }
}

/// Puts a path parameter into the request object; a body that names a different value is
/// refused rather than silently overridden.
fn set_from_path(obj: &mut Map<String, Value>, field: &str, value: &str) -> Result<(), A2aError> {
    match obj.get(field) {
        Some(Value::String(s)) if !s.is_empty() && s != value => Err(bad_param(
            field,
            format!("is `{s}` in the body but `{value}` in the path"),
        )),
        _ => {
            obj.insert(field.to_owned(), Value::String(value.to_owned()));
            Ok(())
        }
    }
}

/// Strict reading of query parameters (camelCase names; the proto's snake_case names are
/// accepted too).
struct QueryParams<'a> {
    pairs: &'a [(String, String)],
}

/// The JSON type a query parameter decodes to.
#[derive(Clone, Copy, Debug)]
enum QueryType {
    String,
    Int,
    Bool,
    State,
    Timestamp,
}

impl<'a> QueryParams<'a> {
    /// The value of a parameter given at most once.
    fn get(&self, name: &str, snake: &str) -> Result<Option<&'a str>, A2aError> {
        let mut found = self
            .pairs
            .iter()
            .filter(|(k, _)| k == name || k == snake)
            .map(|(_, v)| v.as_str());
        let first = found.next();
        if found.next().is_some() {
            return Err(bad_param(name, "is given more than once"));
        }
        Ok(first)
    }

    /// Copies a parameter into `obj` under its camelCase name, typed.
    fn copy(
        &self,
        obj: &mut Map<String, Value>,
        name: &str,
        snake: &str,
        ty: QueryType,
    ) -> Result<(), A2aError> {
        let Some(raw) = self.get(name, snake)? else {
            return Ok(());
        };
        let value = match ty {
            QueryType::String => Value::String(raw.to_owned()),
            QueryType::Int => match raw.trim().parse::<i32>() {
                Ok(n) if !raw.trim().is_empty() => Value::from(n),
                _ => {
                    return Err(bad_param(
                        name,
                        format!("must be a 32-bit decimal integer, got `{raw}`"),
                    ));
                }
            },
            QueryType::Bool => match raw {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                _ => {
                    return Err(bad_param(
                        name,
                        format!("must be `true` or `false`, got `{raw}`"),
                    ));
                }
            },
            QueryType::State => {
                let state = match raw.parse::<i32>() {
                    Ok(n) => TaskState::from_number(n),
                    Err(_) => TaskState::from_name(raw),
                };
                match state {
                    Some(s) => Value::String(s.as_str().to_owned()),
                    None => {
                        let names: Vec<&str> = TaskState::ALL.iter().map(|s| s.as_str()).collect();
                        return Err(bad_param(
                            name,
                            format!(
                                "must be a task state name or number, got `{raw}`; expected one of {}",
                                names.join(", ")
                            ),
                        ));
                    }
                }
            }
            QueryType::Timestamp => match a2agw_types::Timestamp::parse(raw) {
                Ok(t) => Value::String(t.to_string()),
                Err(e) => {
                    return Err(bad_param(
                        name,
                        format!("must be an RFC 3339 timestamp, got `{raw}`: {e}"),
                    ));
                }
            },
        };
        obj.insert(name.to_owned(), value);
        Ok(())
    }
}

/// Decodes a 1.0 REST request: path, query and body into the 1.0 request, validated.
fn decode_v1(op: Op, ids: &PathIds, call: &RestCall) -> Result<A2aRequest, A2aError> {
    let q = QueryParams { pairs: &call.query };
    let id = ids.id.as_deref().unwrap_or_default();
    let config_id = ids.config_id.as_deref().unwrap_or_default();
    let mut obj = Map::new();
    match op {
        Op::Send | Op::Stream => obj = body_object(&call.body, true)?,
        Op::Get => {
            obj.insert("id".into(), id.into());
            q.copy(&mut obj, "historyLength", "history_length", QueryType::Int)?;
        }
        Op::List => {
            use QueryType::*;
            q.copy(&mut obj, "contextId", "context_id", String)?;
            q.copy(&mut obj, "status", "status", State)?;
            q.copy(&mut obj, "pageSize", "page_size", Int)?;
            q.copy(&mut obj, "pageToken", "page_token", String)?;
            q.copy(&mut obj, "historyLength", "history_length", Int)?;
            q.copy(
                &mut obj,
                "statusTimestampAfter",
                "status_timestamp_after",
                Timestamp,
            )?;
            q.copy(&mut obj, "includeArtifacts", "include_artifacts", Bool)?;
        }
        Op::Cancel | Op::Subscribe => {
            if call.method == Method::POST {
                obj = body_object(&call.body, false)?;
            }
            set_from_path(&mut obj, "id", id)?;
        }
        Op::PushCreate => {
            obj = body_object(&call.body, true)?;
            set_from_path(&mut obj, "taskId", id)?;
        }
        Op::PushGet | Op::PushDelete => {
            obj.insert("taskId".into(), id.into());
            obj.insert("id".into(), config_id.into());
        }
        Op::PushList => {
            obj.insert("taskId".into(), id.into());
            q.copy(&mut obj, "pageSize", "page_size", QueryType::Int)?;
            q.copy(&mut obj, "pageToken", "page_token", QueryType::String)?;
        }
        Op::ExtendedCard => {}
    }
    let mut request = A2aRequest::from_params(op.method(), Some(Value::Object(obj)))?;
    if let Some(tenant) = &ids.tenant {
        request.set_tenant(tenant.clone());
    }
    Ok(request)
}

#[cfg(test)]
mod tests {
    use super::*;
    use a2agw_types::{StreamResponse, Task, TaskStatus};

    fn item(seq: u64, state: TaskState) -> Result<StreamItem, A2aError> {
        Ok(StreamItem {
            seq,
            event: StreamResponse::Task(Task {
                id: "t".into(),
                context_id: "c".into(),
                status: TaskStatus::now(state),
                ..Task::default()
            }),
            last: false,
        })
    }

    #[tokio::test]
    async fn an_error_mid_stream_is_one_final_error_event() {
        let items = futures::stream::iter([
            item(1, TaskState::Working),
            Err(A2aError::task_not_found("t")),
            item(3, TaskState::Completed),
        ])
        .boxed();
        let resp = stream_response(
            Api::V1_0,
            Duration::from_secs(60),
            &crate::shutdown::Shutdown::default(),
            items,
        );
        let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap_or_default();
        let text = String::from_utf8_lossy(&body);
        let events: Vec<&str> = text.split("\n\n").filter(|e| !e.is_empty()).collect();
        assert_eq!(events.len(), 2, "{text}");
        assert!(events[0].contains("id: 1"), "{text}");
        assert!(events[0].contains(r#"data: {"task":"#), "{text}");
        assert!(events[1].contains("event: error"), "{text}");
        let data = events[1]
            .lines()
            .find_map(|l| l.strip_prefix("data: "))
            .unwrap_or_default();
        let v: Value = serde_json::from_str(data).unwrap_or_default();
        assert_eq!(v["error"]["code"], 404);
        assert_eq!(v["error"]["details"][0]["reason"], "TASK_NOT_FOUND");
    }

    #[test]
    fn verbs_split_on_the_last_colon() {
        assert_eq!(split_verb("abc"), ("abc", None));
        assert_eq!(split_verb("abc:cancel"), ("abc", Some("cancel")));
        assert_eq!(split_verb("abc:subscribe"), ("abc", Some("subscribe")));
        assert_eq!(split_verb("a:b:subscribe"), ("a:b", Some("subscribe")));
        assert_eq!(split_verb("a:b"), ("a:b", None));
    }

    #[test]
    fn rest_looking_paths() {
        assert!(looks_like_rest("/tasks/x/y"));
        assert!(looks_like_rest("/t/message:sned"));
        assert!(looks_like_rest("/v1/whatever"));
        assert!(!looks_like_rest("/favicon.ico"));
        assert!(!looks_like_rest("/metrics"));
    }
}
