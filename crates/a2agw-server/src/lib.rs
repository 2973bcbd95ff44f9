//! The A2A server shell: JSON-RPC + SSE, HTTP+JSON and gRPC bindings that all decode into
//! one internal request and call one handler; the agent card; authentication; limits;
//! health and readiness; push notification delivery. This is the only crate that knows
//! HTTP status codes, SSE framing and gRPC status; it never names a concrete provider.

pub mod app;
pub mod auth;
pub mod card;
mod catalog;
pub mod error;
pub mod forwarded;
pub mod grpc;
pub mod handler;
mod jsonrpc;
pub mod metrics;
pub mod push;
mod rest;
mod sse;

pub use a2agw_registry::{AgentRecord, Registry, Snapshot};
pub use app::{AppState, Limits, Shutdown, router};
pub use auth::{ApiKeyAuth, Authenticator, Principal, hash_key};
pub use auth::{CompositeAuth, CredentialKind, JwtAuth, JwtConfig, JwtKeySource, JwtSetupError};
pub use card::{CardForm, CardSettings};
pub use forwarded::{Connection, loopback_proxies, parse_trusted_proxy};
pub use grpc::{grpc_routes, service};
pub use handler::{CallError, Caller, Handler, Reply, StreamItem, StreamPolicy};
pub use ipnet::IpNet;
pub use push::{PushPolicy, PushSettings, PushWorker, check_webhook_url};
