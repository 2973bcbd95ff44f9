//! The application: shared state, caller extraction (auth, version, extensions) and
//! limits.

use crate::admin_api::Admin;
use crate::auth::{Authenticator, Principal};
use crate::card::{CardForm, CardSettings};
use crate::forwarded::Connection;
use crate::handler::{CallError, Caller, Handler, Reply};
use crate::shutdown::Shutdown;
use a2agw_types::{A2aError, A2aRequest, A2aResponse, Method, ProtocolVersion};
use axum::http::HeaderMap;
use axum::response::Response;
use futures::StreamExt;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tracing::Instrument;

/// Limits that protect the gateway.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Largest request body accepted (413 beyond).
    pub max_body_bytes: usize,
    /// Most concurrent streams one principal may hold open (429 beyond).
    pub max_streams_per_client: usize,
    /// Interval of SSE keep-alive comments on idle streams.
    pub keep_alive: Duration,
    /// Longest time a unary request may take (blocking `SendMessage` included).
    pub request_timeout: Duration,
    open_streams: Arc<Mutex<HashMap<String, usize>>>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 4 * 1024 * 1024,
            max_streams_per_client: 64,
            keep_alive: Duration::from_secs(15),
            request_timeout: Duration::from_secs(300),
            open_streams: Arc::default(),
        }
    }
}

/// Holds one of a principal's stream slots, counted in `a2agw_open_streams{agent}`;
/// released on drop.
#[derive(Debug)]
pub(crate) struct StreamGuard {
    principal: String,
    agent: String,
    open: Arc<Mutex<HashMap<String, usize>>>,
}

impl Drop for StreamGuard {
    fn drop(&mut self) {
        metrics::gauge!("a2agw_open_streams", "agent" => self.agent.clone()).decrement(1.0);
        let mut open = self
            .open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(n) = open.get_mut(&self.principal) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.remove(&self.principal);
            }
        }
    }
}

impl Limits {
    /// Limits with these values.
    pub fn new(
        max_body_bytes: usize,
        max_streams_per_client: usize,
        keep_alive: Duration,
        request_timeout: Duration,
    ) -> Self {
        Limits {
            max_body_bytes,
            max_streams_per_client,
            keep_alive,
            request_timeout,
            open_streams: Arc::default(),
        }
    }

    /// Takes a stream slot for `principal` on `agent` (the gauge's label; empty when no
    /// agent is served), or `None` when it has too many open.
    pub(crate) fn stream_guard(&self, principal: &str, agent: &str) -> Option<StreamGuard> {
        let mut open = self
            .open_streams
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let n = open.entry(principal.to_owned()).or_insert(0);
        if *n >= self.max_streams_per_client {
            return None;
        }
        *n += 1;
        metrics::gauge!("a2agw_open_streams", "agent" => agent.to_owned()).increment(1.0);
        Some(StreamGuard {
            principal: principal.to_owned(),
            agent: agent.to_owned(),
            open: Arc::clone(&self.open_streams),
        })
    }

    /// Streams open now, all principals together.
    pub fn open_streams(&self) -> usize {
        self.open_streams
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .values()
            .sum()
    }
}

/// Everything the routes share.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The handler of the served agent.
    pub handler: Handler,
    /// Authentication.
    pub auth: Arc<dyn Authenticator>,
    /// Limits.
    pub limits: Limits,
    /// How the agent card's URLs are made.
    pub card: CardSettings,
    /// Shutdown: readiness turns false and open streams end cleanly.
    pub shutdown: Shutdown,
    /// The admin API (`/admin/v1/agents`), when one is configured.
    pub admin: Option<Arc<Admin>>,
}

/// What the bindings learn from headers before they decode the request.
#[derive(Debug)]
pub(crate) struct CallerInfo {
    pub(crate) caller: Caller,
    /// The version the client asked for (`A2A-Version` header or query parameter).
    pub(crate) version_header: Option<ProtocolVersion>,
}

pub(crate) fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Authenticates and reads the service parameters (`A2A-Version`, `A2A-Extensions`,
/// `Last-Event-ID`). On failure returns the response to send (401 or a version error).
#[allow(clippy::result_large_err)] // the error is the response to send, built once
pub(crate) fn caller_from_headers(
    state: &AppState,
    headers: &HeaderMap,
    query: &HashMap<String, String>,
) -> Result<CallerInfo, Response> {
    caller_from_headers_as(state, headers, query, false)
}

/// [`caller_from_headers`], answering failures in the REST (`rest = true`: HTTP status and
/// `google.rpc.Status` body) or the JSON-RPC form.
#[allow(clippy::result_large_err)] // the error is the response to send, built once
pub(crate) fn caller_from_headers_as(
    state: &AppState,
    headers: &HeaderMap,
    query: &HashMap<String, String>,
    rest: bool,
) -> Result<CallerInfo, Response> {
    let query_version = query.get("A2A-Version").map(String::as_str);
    let binding = if rest { "rest" } else { "jsonrpc" };
    match read_caller(state, headers, query_version, binding) {
        Ok(info) => Ok(info),
        Err(CallerError::Unauthenticated(msg)) => Err(crate::error::unauthorized(
            &state.auth.challenge(),
            &msg,
            rest,
        )),
        Err(CallerError::Version(e)) => Err(crate::error::version_error(&e, rest)),
    }
}

/// Why a request's caller could not be read; each binding answers it in its own form.
#[derive(Debug)]
pub(crate) enum CallerError {
    /// No or bad credentials (401 / UNAUTHENTICATED, with the challenge).
    Unauthenticated(String),
    /// An `A2A-Version` that cannot be parsed.
    Version(a2agw_types::A2aError),
}

/// A well-known card as served.
#[derive(Debug)]
pub(crate) struct WellKnownCard {
    /// Its JSON, in the form asked for, signed.
    pub(crate) json: serde_json::Value,
    /// Whether it depends on the caller (the gateway's card when an agent is restricted):
    /// then it is cached privately and varies on the credentials.
    pub(crate) per_caller: bool,
}

impl AppState {
    /// Serves one decoded request: the one call path of every binding, which only decodes
    /// the wire form into `request`, calls this and encodes the reply.
    ///
    /// Resolves the request's agent ([`Handler::route`]); for a streaming method takes one
    /// of the caller's stream slots ([`Limits::stream_guard`]; none left is
    /// [`CallError::TooManyStreams`]), held by the reply's stream until it ends or is
    /// dropped; runs [`Handler::call_agent`] in the request span (named after the binding,
    /// with the method, the version and the agent); and renders an agent card answered
    /// ([`CardSettings::render_at`]) for where the request reached the gateway (`headers`,
    /// `conn`): the extended card's `supportedInterfaces` is REQUIRED, like the public
    /// card's.
    pub(crate) async fn call(
        &self,
        caller: &Caller,
        request: A2aRequest,
        headers: &HeaderMap,
        conn: Connection,
    ) -> Result<Reply, CallError> {
        let (agent, card_path) = self.handler.route(caller, &request);
        let agent_name = agent.as_ref().map_or("", |a| a.name.as_str()).to_owned();
        let guard = if request.method().is_streaming() {
            let guard = self.limits.stream_guard(&caller.owner, &agent_name);
            Some(guard.ok_or(CallError::TooManyStreams)?)
        } else {
            None
        };
        let span = request_span(caller, request.method(), &agent_name);
        let reply = self
            .handler
            .call_agent(caller, agent, request)
            .instrument(span)
            .await?;
        match (reply, guard) {
            (Reply::Unary(A2aResponse::AgentCard(card)), _) => {
                let base = self.card.base_url(headers, conn);
                let card = self.card.render_at(&card, &base, card_path.as_deref());
                Ok(Reply::Unary(A2aResponse::AgentCard(card)))
            }
            (Reply::Unary(other), _) => Ok(Reply::Unary(other)),
            (Reply::Stream(items), Some(guard)) => Ok(Reply::Stream(
                items
                    .map(move |item| {
                        let _held = &guard;
                        item
                    })
                    .boxed(),
            )),
            (Reply::Stream(_), None) => Err(A2aError::internal("stream without a slot").into()),
        }
    }

    /// The JSON a well-known path serves for the agent named `name` (the root agent for
    /// `None`) in `form`, for where the request reached the gateway; `None` when no such
    /// agent is served to this request ([`AppState::visible_agent`]). At the root of a
    /// gateway with several agents, the gateway's own card
    /// ([`a2agw_registry::gateway_card`]: the root agent's, with the skills of every agent
    /// the caller may use).
    pub(crate) fn well_known_card(
        &self,
        headers: &HeaderMap,
        conn: Connection,
        name: Option<&str>,
        form: CardForm,
    ) -> Option<WellKnownCard> {
        let agent = self.visible_agent(headers, name)?;
        let base = self.card.base_url(headers, conn);
        let snapshot = self.handler.registry().snapshot();
        if name.is_some() || snapshot.len() < 2 {
            let json = self.card.served_json(&agent.card, &base, name, form);
            return Some(WellKnownCard {
                json,
                per_caller: false,
            });
        }
        // The root of a gateway with several agents: the gateway's own card, with the
        // skills of every agent this caller may use (ARCHITECTURE.md, decision 46).
        let mut principal = None;
        let mut per_caller = false;
        let visible: Vec<_> = snapshot
            .iter()
            .filter(|a| {
                if a.access == a2agw_registry::Access::Everyone {
                    return true;
                }
                per_caller = true;
                let p = principal.get_or_insert_with(|| match self.auth.authenticate(headers) {
                    Ok(Some(p)) => Some(p),
                    Ok(None) if self.auth.allows_anonymous() => Some(Principal::Anonymous),
                    _ => None,
                });
                p.as_ref()
                    .is_some_and(|p| a.access.allows(&p.owner(), p.roles()))
            })
            .collect();
        let card = a2agw_registry::gateway_card(
            &agent.card,
            visible.iter().map(|a| (a.name.as_str(), &a.card)),
        );
        Some(WellKnownCard {
            json: self.card.served_json(&card, &base, None, form),
            per_caller,
        })
    }

    /// The agent named `name` (the root agent for `None`), if it is served and the
    /// request's credentials may use it. An agent open to every caller needs no
    /// authentication here; for a restricted one, missing or invalid credentials may not
    /// use it: the request is then answered as for an agent that does not exist, so the
    /// answer tells nothing of which agents exist.
    pub(crate) fn visible_agent(
        &self,
        headers: &HeaderMap,
        name: Option<&str>,
    ) -> Option<Arc<a2agw_registry::AgentRecord>> {
        let agent = match name {
            Some(name) => self.handler.agent_named(name),
            None => self.handler.root(),
        }?;
        if agent.access == a2agw_registry::Access::Everyone {
            return Some(agent);
        }
        let principal = match self.auth.authenticate(headers) {
            Ok(Some(p)) => p,
            Ok(None) if self.auth.allows_anonymous() => Principal::Anonymous,
            _ => return None,
        };
        agent
            .access
            .allows(&principal.owner(), principal.roles())
            .then_some(agent)
    }
}

/// Authenticates and reads the service parameters (`A2A-Version`, else `query_version`;
/// `A2A-Extensions`; `Last-Event-ID`) from HTTP headers or gRPC metadata: the one reading
/// every binding shares.
pub(crate) fn read_caller(
    state: &AppState,
    headers: &HeaderMap,
    query_version: Option<&str>,
    binding: &'static str,
) -> Result<CallerInfo, CallerError> {
    let principal = state
        .auth
        .authenticate(headers)
        .map_err(CallerError::Unauthenticated)?;
    let principal = match principal {
        Some(p) => p,
        None if state.auth.allows_anonymous() => Principal::Anonymous,
        None => {
            return Err(CallerError::Unauthenticated(
                "Authentication required".into(),
            ));
        }
    };
    let version_header = header_str(headers, "a2a-version")
        .or(query_version)
        .map(ProtocolVersion::from_header)
        .transpose()
        .map_err(CallerError::Version)?
        .flatten();
    let extensions = header_str(headers, "a2a-extensions")
        .or_else(|| header_str(headers, "x-a2a-extensions"))
        .map(|v| {
            v.split(',')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let last_event_id = header_str(headers, "last-event-id").and_then(|v| v.trim().parse().ok());
    Ok(CallerInfo {
        caller: Caller {
            version: version_header.unwrap_or(ProtocolVersion::V1_0),
            extensions,
            last_event_id,
            binding,
            ..Caller::new(principal)
        },
        version_header,
    })
}

/// Whether `path` is a JSON-RPC endpoint: the root `/`, or an agent's `/agents/{name}/`.
pub(crate) fn is_jsonrpc_path(path: &str) -> bool {
    path == "/"
        || path
            .strip_prefix("/agents/")
            .and_then(|rest| rest.strip_suffix('/'))
            .is_some_and(|name| !name.is_empty() && !name.contains('/'))
}

/// The agent a path addresses (`/agents/{name}/…`), if any.
pub(crate) fn agent_of_path(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("/agents/")?;
    let name = rest.split('/').next()?;
    (!name.is_empty()).then_some(name)
}

/// The span of one request, named after its binding (`jsonrpc`, `rest`, `grpc`), with the
/// method, the protocol version and the agent (empty when none is served).
fn request_span(caller: &Caller, method: Method, agent: &str) -> tracing::Span {
    let version = caller.version;
    match caller.binding {
        "rest" => tracing::info_span!("rest", method = %method, %version, agent),
        "grpc" => tracing::info_span!("grpc", method = %method, %version, agent),
        _ => tracing::info_span!("jsonrpc", method = %method, %version, agent),
    }
}
