//! The agent card at `/.well-known/agent-card.json` (and the ≤0.2 alias
//! `/.well-known/agent.json`): URLs filled in for where the gateway is reached, a hybrid
//! form that 0.3 clients also read, `ETag` and `Cache-Control`.

use crate::app::AppState;
use a2agw_types::{AgentCard, AgentInterface, binding};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// How the card's interface URLs are made.
#[derive(Clone, Debug)]
pub struct CardSettings {
    /// The public base URL (`https://gw.example.com/a2a`); derived from each request when unset.
    pub public_url: Option<String>,
    /// Trust `X-Forwarded-Proto`, `X-Forwarded-Host` and `X-Forwarded-Prefix` when deriving.
    pub trust_forwarded: bool,
    /// The interfaces to declare, in preference order: `(binding, protocol version)`.
    /// Only bindings the gateway really serves belong here.
    pub interfaces: Vec<(&'static str, &'static str)>,
    /// `host:port` for the gRPC interface; the HTTP host when unset.
    pub grpc_address: Option<String>,
    /// Add the 0.3 top-level fields (`url`, `preferredTransport`, …) for 0.3 clients.
    pub hybrid_v03: bool,
    /// `Cache-Control: max-age`.
    pub max_age_secs: u32,
}

impl Default for CardSettings {
    fn default() -> Self {
        CardSettings {
            public_url: None,
            trust_forwarded: false,
            interfaces: vec![
                (binding::JSONRPC, "1.0"),
                (binding::HTTP_JSON, "1.0"),
                (binding::JSONRPC, "0.3"),
                (binding::HTTP_JSON, "0.3"),
            ],
            grpc_address: None,
            hybrid_v03: true,
            max_age_secs: 300,
        }
    }
}

fn first_value(headers: &HeaderMap, name: &str) -> Option<String> {
    let v = headers.get(name)?.to_str().ok()?;
    let first = v.split(',').next()?.trim();
    (!first.is_empty()).then(|| first.to_owned())
}

impl CardSettings {
    /// The base URL the client reached us at, without a trailing slash.
    pub fn base_url(&self, headers: &HeaderMap) -> String {
        if let Some(u) = &self.public_url {
            return u.trim_end_matches('/').to_owned();
        }
        let fwd = |n: &str| {
            if self.trust_forwarded {
                first_value(headers, n)
            } else {
                None
            }
        };
        let scheme = fwd("x-forwarded-proto").unwrap_or_else(|| "http".into());
        let host = fwd("x-forwarded-host")
            .or_else(|| first_value(headers, "host"))
            .unwrap_or_else(|| "localhost".into());
        let prefix = fwd("x-forwarded-prefix").unwrap_or_default();
        let prefix = prefix.trim_end_matches('/');
        let prefix = if prefix.is_empty() || prefix.starts_with('/') {
            prefix.to_owned()
        } else {
            format!("/{prefix}")
        };
        format!("{scheme}://{host}{prefix}")
    }

    /// The card with its interfaces pointing at `base`.
    pub fn render(&self, card: &AgentCard, base: &str) -> AgentCard {
        let host = base
            .split("://")
            .nth(1)
            .unwrap_or(base)
            .split('/')
            .next()
            .unwrap_or_default();
        let grpc = self.grpc_address.clone().unwrap_or_else(|| host.to_owned());
        let mut card = card.clone();
        card.supported_interfaces = self
            .interfaces
            .iter()
            .map(|(b, v)| AgentInterface {
                url: match *b {
                    binding::JSONRPC => format!("{base}/"),
                    binding::GRPC => grpc.clone(),
                    _ => base.to_owned(),
                },
                protocol_binding: (*b).to_owned(),
                tenant: String::new(),
                protocol_version: (*v).to_owned(),
            })
            .collect();
        card
    }
}

/// `GET /.well-known/agent-card.json`.
pub(crate) async fn serve_card(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let settings = &state.card;
    let card = settings.render(&state.handler.agent().card, &settings.base_url(&headers));
    let json = if settings.hybrid_v03 {
        a2agw_types::v03::hybrid_card(&card).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "the card cannot be expressed for 0.3 clients; serving the 1.0 form");
            serde_json::to_value(&card).unwrap_or_default()
        })
    } else {
        serde_json::to_value(&card).unwrap_or_default()
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
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let cache = format!("public, max-age={}", settings.max_age_secs);
    let mut resp = if matches {
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
    if let Ok(v) = HeaderValue::from_str(&cache) {
        h.insert(header::CACHE_CONTROL, v);
    }
    h.insert(
        header::VARY,
        HeaderValue::from_static("Host, X-Forwarded-Host, X-Forwarded-Proto, X-Forwarded-Prefix"),
    );
    resp
}
