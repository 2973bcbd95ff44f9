//! The A2A server shell: JSON-RPC + SSE, HTTP+JSON and gRPC bindings that all decode into
//! one internal request and call one handler; the agent card; authentication; limits;
//! health and readiness; push notification delivery; fetching upstream agents' cards
//! ([`CardFetcher`]). This is the only crate that knows
//! HTTP status codes, SSE framing and gRPC status; it never names a concrete provider.

mod admin;
mod admin_api;
pub mod app;
pub mod auth;
pub mod card;
mod card_fetch;
mod catalog;
pub mod error;
pub mod forwarded;
pub mod grpc;
pub mod handler;
mod jsonrpc;
pub mod metrics;
mod outbound;
pub mod push;
mod rest;
mod router;
mod shutdown;
mod sse;
mod well_known;

pub use a2agw_registry::{AgentRecord, Registry, Snapshot};
pub use admin_api::{Admin, AdminAgent, AdminAuth, AdminError, AgentAdmin};
pub use app::{AppState, Limits};
pub use auth::{ApiKeyAuth, Authenticator, Principal, hash_key};
pub use auth::{CompositeAuth, CredentialKind, JwtAuth, JwtConfig, JwtKeySource, JwtSetupError};
pub use card::{CardForm, CardSettings};
pub use card_fetch::{
    CardFetcher, FetchError, FetchSettings, Fetched, FetchedCard, card_from_json,
};
pub use forwarded::{Connection, loopback_proxies, parse_trusted_proxy};
pub use grpc::{grpc_routes, service};
pub use handler::{CallError, Caller, Handler, Reply, StreamItem, StreamPolicy};
pub use ipnet::IpNet;
pub use push::{PushPolicy, PushSettings, PushWorker, check_webhook_url};
pub use router::router;
pub use shutdown::Shutdown;
