//! Rendering agent cards: their interface URLs filled in for where the gateway is reached
//! (or the configured public URL), signed, and in the JSON form of the version the client
//! asked for (decision 34: the strict 1.0 card unless the request names 0.3). The
//! well-known paths that serve them are in `well_known.rs`.

use crate::forwarded::{self, Connection};
use a2agw_types::{AgentCard, AgentInterface, binding};
use axum::http::HeaderMap;
use ipnet::IpNet;
use std::time::SystemTime;

/// The JSON form of a card served at a well-known path.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CardForm {
    /// The 1.0 `AgentCard` and nothing else: what the 1.0 JSON Schema allows.
    #[default]
    V1_0,
    /// The 0.3 `AgentCard` (`url`, `preferredTransport`, `additionalInterfaces`,
    /// `protocolVersion`, OpenAPI-style `securitySchemes`).
    V0_3,
    /// The 1.0 card plus the 0.3 top-level fields, which clients of both versions read
    /// (the 1.0 schema refuses the extra fields).
    Hybrid,
}

/// How the card's interface URLs are made.
///
/// The base URL comes from, in this order (ARCHITECTURE.md, "where card URLs come from"):
/// [`CardSettings::public_url`]; else what a trusted proxy forwarded (`Forwarded`, else
/// `X-Forwarded-*`, when the TCP peer is in [`CardSettings::trusted_proxies`]); else a
/// valid `Host` header; else the local address the connection reached.
#[derive(Clone, Debug)]
pub struct CardSettings {
    /// The public base URL (`https://gw.example.com/a2a`); derived from each request when unset.
    pub public_url: Option<String>,
    /// The proxies whose `Forwarded` / `X-Forwarded-Proto`, `-Host`, `-Port` and `-Prefix`
    /// headers are honoured when deriving: a request's TCP peer must be in one of these
    /// networks ([`crate::forwarded::parse_trusted_proxy`]). Empty: none are.
    pub trusted_proxies: Vec<IpNet>,
    /// The interfaces to declare, in preference order: `(binding, protocol version)`.
    /// Only bindings the gateway really serves belong here.
    pub interfaces: Vec<(&'static str, &'static str)>,
    /// `host:port` for the gRPC interface; when unset, the base URL's host and port (the
    /// scheme's default port, 443 or 80, when it names none).
    pub grpc_address: Option<String>,
    /// The form served at `/.well-known/agent-card.json` to a request that names no
    /// version (no `A2A-Version` header or query parameter): 1.0 by default.
    pub unversioned: CardForm,
    /// `Cache-Control: max-age`.
    pub max_age_secs: u32,
    /// When the card last changed: `Last-Modified`, and the date `If-Modified-Since` is
    /// compared with.
    pub modified: SystemTime,
    /// Keys every served card is signed with (A2A 1.0 §8.4: one JWS per key, e.g. the
    /// current key and the next during a rotation); their public keys are served as a
    /// JWKS at `/.well-known/jwks.json`. Empty: cards are not signed.
    pub signing: Vec<a2agw_signing::SigningKey>,
}

impl Default for CardSettings {
    fn default() -> Self {
        CardSettings {
            public_url: None,
            trusted_proxies: Vec::new(),
            interfaces: vec![
                (binding::JSONRPC, "1.0"),
                (binding::HTTP_JSON, "1.0"),
                (binding::JSONRPC, "0.3"),
                (binding::HTTP_JSON, "0.3"),
            ],
            grpc_address: None,
            unversioned: CardForm::V1_0,
            max_age_secs: 300,
            modified: SystemTime::now(),
            signing: Vec::new(),
        }
    }
}

impl CardSettings {
    /// The base URL the client reached us at, without a trailing slash, for a request
    /// with `headers` that came on `conn`.
    pub fn base_url(&self, headers: &HeaderMap, conn: Connection) -> String {
        if let Some(u) = &self.public_url {
            return u.trim_end_matches('/').to_owned();
        }
        let fwd = if forwarded::is_trusted(&self.trusted_proxies, conn.peer) {
            forwarded::Forwarded::read(headers)
        } else {
            forwarded::Forwarded::default()
        };
        let scheme = fwd.scheme.unwrap_or("http");
        let host = fwd
            .authority
            .or_else(|| forwarded::host_header(headers))
            .or_else(|| conn.local.map(forwarded::local_authority))
            .unwrap_or_else(|| "localhost".into());
        let prefix = fwd.prefix.unwrap_or_default();
        format!("{scheme}://{host}{prefix}")
    }

    /// The card with its interfaces pointing at `base`.
    pub fn render(&self, card: &AgentCard, base: &str) -> AgentCard {
        self.render_at(card, base, None)
    }

    /// The card with its interfaces pointing at `base`, or with `agent`, at that agent's
    /// endpoints: JSON-RPC `{base}/agents/{agent}/`, HTTP+JSON `{base}/agents/{agent}`,
    /// gRPC the gateway's `host:port` with `tenant` = the agent's name; signed with
    /// every signing key.
    pub fn render_at(&self, card: &AgentCard, base: &str, agent: Option<&str>) -> AgentCard {
        self.sign(self.with_interfaces(card, base, agent))
    }

    /// The JSON a well-known path serves: the card with its interfaces pointing at `base`
    /// (or at `agent`'s endpoints), in `form`, signed in that form.
    pub(crate) fn served_json(
        &self,
        card: &AgentCard,
        base: &str,
        agent: Option<&str>,
        form: CardForm,
    ) -> serde_json::Value {
        self.signed_json(card_json(&self.with_interfaces(card, base, agent), form))
    }

    /// [`CardSettings::render_at`] without the signatures (the well-known paths sign the
    /// JSON they serve instead, in its form).
    fn with_interfaces(&self, card: &AgentCard, base: &str, agent: Option<&str>) -> AgentCard {
        let grpc = self
            .grpc_address
            .clone()
            .unwrap_or_else(|| grpc_address_of(base));
        let base = match agent {
            Some(name) => format!("{base}/agents/{name}"),
            None => base.to_owned(),
        };
        let mut card = card.clone();
        card.supported_interfaces = self
            .interfaces
            .iter()
            .map(|(b, v)| AgentInterface {
                url: match *b {
                    binding::JSONRPC => format!("{base}/"),
                    binding::GRPC => grpc.clone(),
                    _ => base.clone(),
                },
                protocol_binding: (*b).to_owned(),
                // gRPC has no path: the tenant names the agent. 0.3 interfaces have no
                // tenant (0.3 cannot express one; the path names the agent there).
                tenant: match (*b, agent) {
                    (binding::GRPC, Some(name)) => name.to_owned(),
                    _ => String::new(),
                },
                protocol_version: (*v).to_owned(),
            })
            .collect();
        card
    }

    /// `card` with one signature per signing key over its 1.0 JSON form (any signature it
    /// carried, e.g. an upstream's, replaced: the gateway rewrote the card).
    fn sign(&self, mut card: AgentCard) -> AgentCard {
        if self.signing.is_empty() {
            return card;
        }
        card.signatures.clear();
        let json = serde_json::to_value(&card).unwrap_or_default();
        for key in &self.signing {
            match a2agw_signing::sign_card(&json, key) {
                Ok(signature) => card.signatures.push(signature),
                Err(e) => {
                    tracing::error!(kid = key.kid(), error = %e, "signing the agent card failed")
                }
            }
        }
        card
    }

    /// The served JSON of a card signed again in the form it is served (the 0.3 and
    /// hybrid forms differ from the 1.0 JSON the typed card's signatures cover).
    fn signed_json(&self, json: serde_json::Value) -> serde_json::Value {
        if self.signing.is_empty() {
            return json;
        }
        match a2agw_signing::with_signatures(&json, &self.signing) {
            Ok(signed) => signed,
            Err(e) => {
                tracing::error!(error = %e, "signing the agent card failed");
                json
            }
        }
    }
}

/// The gRPC `host:port` of a base URL: its authority, with the scheme's default port
/// (443 for `https`, else 80) when it names none (A2A 1.0 gives gRPC interfaces as
/// `host:port`; a proxy that forwards a host without a port serves that scheme's port).
fn grpc_address_of(base: &str) -> String {
    let (scheme, rest) = base.split_once("://").unwrap_or(("http", base));
    let authority = rest.split('/').next().unwrap_or_default();
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    if forwarded::has_port(authority) {
        authority.to_owned()
    } else {
        format!("{authority}:{}", forwarded::default_port(scheme))
    }
}

/// The card `card` (already rendered) as JSON in `form`. A card that 0.3 cannot express
/// (a device-code OAuth flow, say) falls back to the hybrid form, then to 1.0.
fn card_json(card: &AgentCard, form: CardForm) -> serde_json::Value {
    let v1 = || serde_json::to_value(card).unwrap_or_default();
    let hybrid = || {
        a2agw_types::v03::hybrid_card(card).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "the card cannot be expressed for 0.3 clients; serving the 1.0 form");
            v1()
        })
    };
    match form {
        CardForm::V1_0 => v1(),
        CardForm::Hybrid => hybrid(),
        CardForm::V0_3 => match a2agw_types::v03::AgentCard::try_from(card.clone()) {
            Ok(c) => serde_json::to_value(&c).unwrap_or_default(),
            Err(e) => {
                tracing::warn!(error = %e, "the card has no strict 0.3 form; serving the hybrid form");
                hybrid()
            }
        },
    }
}
