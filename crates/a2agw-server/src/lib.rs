//! The A2A server shell: JSON-RPC + SSE, HTTP+JSON and gRPC bindings that all decode into
//! one internal request and call one handler; the agent card; authentication; limits;
//! health and readiness; push notification delivery; fetching upstream agents' cards
//! ([`CardFetcher`]). This is the only crate that knows
//! HTTP status codes, SSE framing and gRPC status; it never names a concrete provider.

mod admin;
mod admin_api;
mod app;
mod auth;
mod card;
mod card_fetch;
mod catalog;
mod error;
mod forwarded;
mod grpc;
mod handler;
mod jsonrpc;
mod metrics;
mod outbound;
mod push;
mod rest;
mod router;
mod shutdown;
mod sse;
mod well_known;

pub use a2agw_registry::{AgentRecord, Registry, Snapshot};
pub use admin_api::{Admin, AdminAgent, AdminAuth, AdminError, AgentAdmin};
pub use app::{AppState, Limits};
pub use auth::{ApiKeyAuth, Authenticator, Principal, hash_key, looks_like_jwt};
pub use auth::{CompositeAuth, CredentialKind, JwtAuth, JwtConfig, JwtKeySource, JwtSetupError};
pub use card::{CardForm, CardSettings};
pub use card_fetch::{
    CardFetcher, FetchError, FetchSettings, Fetched, FetchedCard, card_from_json,
};
pub use error::{RpcCode, http_status, rpc_code};
pub use forwarded::{Connection, Listener, loopback_proxies, no_delay, parse_trusted_proxy};
pub use grpc::{grpc_routes, service};
pub use handler::{CallError, Caller, Handler, ItemStream, Reply, StreamItem, StreamPolicy};
pub use ipnet::IpNet;
pub use metrics::install as install_metrics;
pub use push::{PushPolicy, PushSettings, PushWorker, check_webhook_url};
pub use router::router;
pub use shutdown::Shutdown;
