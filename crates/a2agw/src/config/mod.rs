//! The gateway's configuration: one TOML file, every field with a default, and environment
//! overrides for what differs per deployment.

use anyhow::{Context, Result, bail};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

pub mod providers;

pub use providers::{
    AzureCredentialSection, AzureSection, BedrockSection, LangGraphSection, ProviderConfig,
    VertexCredentialSection, VertexSection,
};

/// The whole configuration.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Listening, URLs, limits.
    pub server: ServerConfig,
    /// Where tasks are kept.
    pub store: StoreConfig,
    /// Who may call.
    pub auth: AuthConfig,
    /// The agent served at the root: the shorthand for one agent (used when it differs from
    /// the default, or when `[agents]` is empty).
    pub agent: AgentConfig,
    /// More agents, by name (`[agents.<name>]`), each at `/agents/<name>`.
    pub agents: BTreeMap<String, AgentSection>,
    /// Push notification delivery.
    pub push: PushConfig,
    /// OpenTelemetry export of the tracing spans.
    pub telemetry: TelemetryConfig,
    /// Signing of the agent cards the gateway serves (`[signing]`; none by default).
    pub signing: Option<SigningConfig>,
    /// The admin API (`[admin]`; off by default).
    pub admin: Option<AdminConfig>,
}

/// `[admin]`: the admin API at `/admin/v1/agents`, which registers agents at run time.
/// Registrations are kept in the store's database and served by every instance sharing
/// it (each polls for changes once a second).
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct AdminConfig {
    /// Admin keys: a name → the SHA-256 of the key in hex (as `auth.api_keys`). Sent as
    /// `X-Admin-Key: <key>` or `Authorization: Bearer <key>`. Not callers' keys.
    pub api_keys: BTreeMap<String, String>,
    /// A JWT accepted by `[auth.jwt]` whose roles claim (`auth.jwt.roles_claim`) holds
    /// this role is an admin. Empty: no JWT is.
    pub jwt_role: String,
    /// Most agents that may be registered.
    pub max_agents: usize,
    /// Allow card URLs on loopback, private and link-local addresses (tests, or agents
    /// on a private network you trust). Default `false`: refused like private webhooks.
    pub allow_private_card_urls: bool,
    /// How long fetching a card may take, in seconds.
    pub card_timeout_secs: u64,
    /// Largest card accepted, in bytes.
    pub max_card_bytes: usize,
}

impl Default for AdminConfig {
    fn default() -> Self {
        AdminConfig {
            api_keys: BTreeMap::new(),
            jwt_role: String::new(),
            max_agents: 1000,
            allow_private_card_urls: false,
            card_timeout_secs: 10,
            max_card_bytes: 512 * 1024,
        }
    }
}

/// `trusted_keys` of an agent whose card is fetched from `card_url`: the keys its card's
/// signatures must verify with (spec §8.4.3), and when.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct TrustedKeysConfig {
    /// `off` (signatures are not looked at), `verify-if-present` (the default: an
    /// unsigned card passes, a signed one must verify) or `require`.
    pub policy: TrustPolicyConfig,
    /// The trusted public keys as a JWKS (`{"keys": [...]}`), inline.
    pub jwks: Option<serde_json::Value>,
    /// Or a file holding that JWKS.
    pub jwks_file: String,
}

/// [`TrustedKeysConfig::policy`].
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum TrustPolicyConfig {
    /// Signatures are not looked at.
    Off,
    /// An unsigned card passes; a signed one must verify.
    #[default]
    VerifyIfPresent,
    /// The card must carry a signature that verifies.
    Require,
}

/// `[signing]`: every agent card the gateway serves (each agent's, each form, the extended
/// cards) carries a JWS signature (A2A 1.0 §8.4: RFC 8785 canonical JSON, protected header
/// `alg`, `kid`, `typ: JOSE`, `jku` when set) made with this private key, and the public
/// key is served as a JWKS at `/.well-known/jwks.json`. The algorithm follows the key:
/// Ed25519 → EdDSA, P-256 → ES256, P-384 → ES384, RSA → RS256 (PKCS#8 PEM). Exactly one of
/// `key_file` and `key_env`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct SigningConfig {
    /// A PEM file with the private key.
    pub key_file: String,
    /// An environment variable holding the PEM text of the private key.
    pub key_env: String,
    /// The key id (`kid`); derived from the public key (its RFC 7638 thumbprint) when empty.
    pub kid: String,
    /// `jku`: the URL of the JWKS, e.g. `https://gw.example.com/.well-known/jwks.json`;
    /// left out when empty.
    pub jku: String,
}

/// `[server]`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Address to listen on.
    pub listen: String,
    /// Public base URL written into the agent card (derived from requests when empty).
    pub public_url: String,
    /// Deprecated alias of `trusted_proxies = ["127.0.0.0/8", "::1/128"]`: trust the
    /// forwarded headers of proxies on the loopback interface.
    pub trust_forwarded_headers: bool,
    /// Proxies (CIDRs or addresses, IPv4 or IPv6) whose `Forwarded` / `X-Forwarded-*`
    /// headers make the card's URLs when `public_url` is empty; the TCP peer must be in
    /// one of them.
    pub trusted_proxies: Vec<String>,
    /// Largest request body, in bytes.
    pub max_body_bytes: usize,
    /// Most concurrent streams per client.
    pub max_streams_per_client: usize,
    /// Longest unary request, in seconds.
    pub request_timeout_secs: u64,
    /// Seconds between SSE keep-alive comments.
    pub keep_alive_secs: u64,
    /// Seconds in-flight requests get to finish on SIGTERM/SIGINT.
    pub shutdown_grace_secs: u64,
    /// Close streams after AUTH_REQUIRED (they stay open by default).
    pub close_stream_on_auth_required: bool,
    /// Seconds a task's lease lasts without a heartbeat: how soon another instance takes
    /// over the tasks of one that died.
    pub lease_ttl_secs: u64,
    /// Serve gRPC on its own address instead of the HTTP port (empty: same port,
    /// switched on `Content-Type`).
    pub grpc_listen: String,
    /// The `host:port` the card advertises for gRPC when `grpc_listen` is set (default:
    /// `grpc_listen` itself).
    pub grpc_public_address: String,
    /// The card a request for `/.well-known/agent-card.json` gets when it names no A2A
    /// version: `1.0` (default: the strict 1.0 card), or `hybrid` (the 1.0 card plus the
    /// 0.3 fields, for 0.3 card resolvers that send no `A2A-Version` and cannot be pointed
    /// at `?A2A-Version=0.3` or `/.well-known/agent.json`; 1.0 schema validators refuse
    /// it). Requests that name 0.3 always get the 0.3 card.
    pub card_without_version: CardWithoutVersion,
}

/// `server.card_without_version`.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
pub enum CardWithoutVersion {
    /// The strict 1.0 card.
    #[default]
    #[serde(rename = "1.0")]
    V1_0,
    /// The 1.0 card plus the 0.3 top-level fields.
    #[serde(rename = "hybrid")]
    Hybrid,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: "127.0.0.1:7420".into(),
            public_url: String::new(),
            trust_forwarded_headers: false,
            trusted_proxies: Vec::new(),
            max_body_bytes: 4 * 1024 * 1024,
            max_streams_per_client: 64,
            request_timeout_secs: 300,
            keep_alive_secs: 15,
            shutdown_grace_secs: 20,
            close_stream_on_auth_required: false,
            lease_ttl_secs: 30,
            grpc_listen: String::new(),
            grpc_public_address: String::new(),
            card_without_version: CardWithoutVersion::V1_0,
        }
    }
}

/// `[store]`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct StoreConfig {
    /// `sqlite` (default), `postgres` or `memory`.
    pub kind: String,
    /// SQLite file.
    pub path: String,
    /// PostgreSQL URL.
    pub url: String,
    /// PostgreSQL schema for the gateway's tables (created when missing; the URL's default
    /// schema when empty). Gateways that share work use the same one.
    pub schema: String,
    /// When a SQLite commit reaches the disk: `normal` (default; survives a crash of the
    /// gateway, a power loss may lose the last commits) or `full` (every commit fsynced).
    pub sqlite_synchronous: SqliteSync,
}

/// `store.sqlite_synchronous`.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SqliteSync {
    /// `NORMAL` in WAL mode.
    #[default]
    Normal,
    /// `FULL`.
    Full,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            kind: "sqlite".into(),
            path: "a2a-gateway.db".into(),
            url: String::new(),
            schema: String::new(),
            sqlite_synchronous: SqliteSync::default(),
        }
    }
}

/// `[auth]`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// Serve requests without credentials (as principal `anonymous`).
    pub anonymous: bool,
    /// Header carrying an API key (`Authorization: Bearer <key>` is also accepted).
    pub api_key_header: String,
    /// API keys: principal → SHA-256 hex of the key (never the key itself).
    pub api_keys: BTreeMap<String, String>,
    /// JWT bearer tokens (`[auth.jwt]`), when set.
    pub jwt: Option<JwtConfig>,
}

/// `[auth.jwt]`: bearer tokens checked for signature, issuer, audience and expiry.
/// Exactly one key source: `jwks_url`, `public_key_file` (PEM) or `hmac_secret_env`
/// (the name of an environment variable holding the shared secret: secrets stay out of
/// the file).
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct JwtConfig {
    /// Required `iss`.
    pub issuer: String,
    /// Required `aud`.
    pub audience: String,
    /// Claim naming the principal (default `sub`).
    pub principal_claim: String,
    /// Claim listing the caller's roles (an array of strings, or a space-separated string
    /// like `scope`), matched by agents' `role:<name>` allow entries. Empty: none read.
    pub roles_claim: String,
    /// JWKS URL (keys refreshed in the background).
    pub jwks_url: String,
    /// PEM file with the public key (RS*, PS*, ES*, EdDSA).
    pub public_key_file: String,
    /// Environment variable with an HMAC secret (HS*).
    pub hmac_secret_env: String,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            anonymous: true,
            api_key_header: "X-API-Key".into(),
            api_keys: BTreeMap::new(),
            jwt: None,
        }
    }
}

/// `[agent]`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct AgentConfig {
    /// Name (also the card's name).
    pub name: String,
    /// Card description.
    pub description: String,
    /// The provider that runs it: `demo` (built in), `conformance` (built in: the test agent
    /// of the official A2A TCK's scenarios), `langgraph`, `azure`, `bedrock` or `vertex`
    /// (each needs the binary's `provider-<name>` feature and its section below).
    pub provider: String,
    /// Card version.
    pub version: String,
    /// Declare and serve streaming.
    pub streaming: bool,
    /// Declare and serve push notification configs.
    pub push_notifications: bool,
    /// Skills in the card.
    pub skills: Vec<SkillConfig>,
    /// Skills shown only to authenticated callers: when any is set, the card declares
    /// `capabilities.extendedAgentCard` and `GetExtendedAgentCard` returns the card with
    /// these skills added.
    pub extended_skills: Vec<SkillConfig>,
    /// Protocol extensions the agent supports (`[[agent.extensions]]`), declared in the
    /// card's `capabilities.extensions`; a `required` one must be activated by every
    /// request (`A2A-Extensions`), or it gets `-32008`.
    pub extensions: Vec<ExtensionConfig>,
    /// Who may use the agent: entries naming callers as their tasks' owners (`anonymous`,
    /// an API key's principal `alice`, `jwt:<issuer>|<subject>`), owner prefixes ending in
    /// `*` (`jwt:https://idp.example.com/|*`: every subject of that issuer) or roles
    /// (`role:<name>`, from the JWT claim `auth.jwt.roles_claim`). Empty (the default):
    /// every caller. A caller not allowed gets the answers of an agent that does not
    /// exist (its card too: 404).
    pub allow: Vec<String>,
    /// `[agent.langgraph]`, for `provider = "langgraph"`.
    pub langgraph: Option<LangGraphSection>,
    /// `[agent.azure]`, for `provider = "azure"`.
    pub azure: Option<AzureSection>,
    /// `[agent.bedrock]`, for `provider = "bedrock"`.
    pub bedrock: Option<BedrockSection>,
    /// `[agent.vertex]`, for `provider = "vertex"`.
    pub vertex: Option<VertexSection>,
}

impl Default for AgentConfig {
    fn default() -> Self {
        AgentConfig {
            name: "demo".into(),
            description: "The built-in demo agent of a2a-gateway: echoes text as a streamed artifact; \
                          say `input`, `auth`, `fail`, `reject`, `slow N`, `chunks N` or `reply` to see the other paths."
                .into(),
            provider: "demo".into(),
            version: "1.0.0".into(),
            streaming: true,
            push_notifications: true,
            skills: vec![SkillConfig {
                id: "echo".into(),
                name: "Echo".into(),
                description: "Echoes the message back as an artifact streamed in chunks.".into(),
                tags: vec!["demo".into(), "echo".into()],
                examples: vec!["hello".into(), "I need input".into(), "slow 5".into()],
            }],
            extended_skills: Vec::new(),
            extensions: Vec::new(),
            allow: Vec::new(),
            langgraph: None,
            azure: None,
            bedrock: None,
            vertex: None,
        }
    }
}

/// An agent name is one URL path segment of letters, digits, `-`, `_` and `.`
/// ([`a2agw_registry::check_agent_name`]).
fn check_agent_name(name: &str) -> Result<()> {
    a2agw_registry::check_agent_name(name).map_err(|e| anyhow::anyhow!("agents.{name}: {e}"))
}

/// An agent's allow list (`allow`), read as the registry reads it.
fn check_allow(at: &str, allow: &[String]) -> Result<()> {
    a2agw_registry::Access::from_entries(allow)
        .map(drop)
        .map_err(|e| anyhow::anyhow!("{at}.allow: {e}"))
}

impl AgentConfig {
    /// The agent `[agent]` describes (its provider string and section as one value).
    pub fn def(&self) -> AgentDef {
        let provider = match self.provider.as_str() {
            "conformance" => ProviderConfig::Conformance,
            "echo" => ProviderConfig::Echo,
            "langgraph" => self
                .langgraph
                .clone()
                .map_or(ProviderConfig::Demo, ProviderConfig::Langgraph),
            "azure" => self
                .azure
                .clone()
                .map_or(ProviderConfig::Demo, ProviderConfig::Azure),
            "bedrock" => self
                .bedrock
                .clone()
                .map_or(ProviderConfig::Demo, ProviderConfig::Bedrock),
            "vertex" => self
                .vertex
                .clone()
                .map_or(ProviderConfig::Demo, ProviderConfig::Vertex),
            _ => ProviderConfig::Demo,
        };
        AgentDef {
            name: self.name.clone(),
            card: AgentSection {
                description: self.description.clone(),
                version: self.version.clone(),
                streaming: self.streaming,
                push_notifications: self.push_notifications,
                skills: self.skills.clone(),
                extended_skills: self.extended_skills.clone(),
                extensions: self.extensions.clone(),
                allow: self.allow.clone(),
                provider,
                ..AgentSection::default()
            },
        }
    }
}

/// `[[agent.extensions]]`: one protocol extension of the card.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ExtensionConfig {
    /// The extension's URI (required).
    pub uri: String,
    /// What it does.
    pub description: String,
    /// Clients must activate it in every request.
    pub required: bool,
}

/// `[agents.<name>]`: one agent of several, served at `/agents/<name>` (the first by name
/// also at the root when there is no `[agent]`). The same card keys as `[agent]`; the
/// provider in `[agents.<name>.provider]` (`kind = "demo" | "conformance" | "echo" | "langgraph" |
/// "azure" | "bedrock" | "vertex"`, with that adapter's keys).
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct AgentSection {
    /// Card description (required).
    pub description: String,
    /// Card version.
    pub version: String,
    /// Declare and serve streaming.
    pub streaming: bool,
    /// Declare and serve push notification configs.
    pub push_notifications: bool,
    /// Skills in the card (at least one).
    pub skills: Vec<SkillConfig>,
    /// Skills of the extended card only.
    pub extended_skills: Vec<SkillConfig>,
    /// Protocol extensions the agent supports.
    pub extensions: Vec<ExtensionConfig>,
    /// Who may use it (as `[agent] allow`); empty: every caller.
    pub allow: Vec<String>,
    /// What runs it.
    pub provider: ProviderConfig,
    /// The agent's own card, fetched from this URL (admin API registrations): its name,
    /// description, version, skills and modes are served (with the gateway's interfaces
    /// and security), so `description` and the skills are not given. Empty: the card is
    /// described here.
    pub card_url: String,
    /// How often the card at `card_url` is fetched again (`If-None-Match`), in seconds.
    pub refresh_secs: u64,
    /// The keys the card at `card_url` must be signed with.
    pub trusted_keys: TrustedKeysConfig,
}

impl AgentSection {
    /// The first thing wrong with the section: the field (relative to the section) and
    /// why.
    pub fn problem(&self) -> Option<(String, String)> {
        let bad = |field: &str, why: &str| Some((field.to_owned(), why.to_owned()));
        if self.card_url.is_empty() {
            if self.description.trim().is_empty() {
                return bad(
                    "description",
                    "required (the card tells clients what the agent does)",
                );
            }
            if self.skills.is_empty() {
                return bad(
                    "skills",
                    "at least one skill is required (the card must list one)",
                );
            }
        } else {
            if !self.card_url.starts_with("https://") && !self.card_url.starts_with("http://") {
                return bad("card_url", "must be an http:// or https:// URL");
            }
            for (field, set) in [
                ("description", !self.description.is_empty()),
                ("skills", !self.skills.is_empty()),
                ("extended_skills", !self.extended_skills.is_empty()),
                ("extensions", !self.extensions.is_empty()),
            ] {
                if set {
                    return bad(field, "comes from the card at card_url: leave it out");
                }
            }
            if self.refresh_secs < 10 {
                return bad("refresh_secs", "at least 10");
            }
        }
        if self.card_url.is_empty() && self.trusted_keys != TrustedKeysConfig::default() {
            return bad(
                "trusted_keys",
                "only for an agent whose card is fetched (card_url)",
            );
        }
        if let Some(jwks) = &self.trusted_keys.jwks {
            if !self.trusted_keys.jwks_file.is_empty() {
                return bad("trusted_keys", "set jwks or jwks_file, not both");
            }
            if let Err(e) = a2agw_signing::TrustedKeys::from_jwks_json(&jwks.to_string()) {
                return Some(("trusted_keys.jwks".into(), e.to_string()));
            }
        }
        if self.trusted_keys.policy == TrustPolicyConfig::Require
            && self.trusted_keys.jwks.is_none()
            && self.trusted_keys.jwks_file.is_empty()
        {
            return bad("trusted_keys", "policy `require` needs jwks or jwks_file");
        }
        let skills = self.skills.iter().map(|s| ("skills", s));
        let extended = self.extended_skills.iter().map(|s| ("extended_skills", s));
        let mut index: BTreeMap<&str, usize> = BTreeMap::new();
        for (list, s) in skills.chain(extended) {
            let i = index.entry(list).or_insert(0);
            let at = format!("{list}[{i}]");
            *i += 1;
            if s.id.is_empty() || s.name.is_empty() || s.description.is_empty() || s.tags.is_empty()
            {
                return Some((
                    at,
                    format!(
                        "({}): id, name, description and at least one tag are required",
                        s.id
                    ),
                ));
            }
        }
        for (i, e) in self.extensions.iter().enumerate() {
            if e.uri.trim().is_empty() {
                return Some((format!("extensions[{i}].uri"), "required".into()));
            }
        }
        for (i, entry) in self.allow.iter().enumerate() {
            if let Err(e) = a2agw_registry::Grant::parse(entry) {
                return Some((format!("allow[{i}]"), e));
            }
        }
        if let Err(e) = self.provider.check("provider") {
            let text = format!("{e:#}");
            let (field, why) = match text.split_once(": ") {
                Some((f, w)) if f.starts_with("provider") && !f.contains(' ') => {
                    (f.to_owned(), w.to_owned())
                }
                _ => ("provider".to_owned(), text),
            };
            return Some((field, why));
        }
        None
    }
}

impl Default for AgentSection {
    fn default() -> Self {
        AgentSection {
            description: String::new(),
            version: "1.0.0".into(),
            streaming: true,
            push_notifications: true,
            skills: Vec::new(),
            extended_skills: Vec::new(),
            extensions: Vec::new(),
            allow: Vec::new(),
            provider: ProviderConfig::Demo,
            card_url: String::new(),
            refresh_secs: 300,
            trusted_keys: TrustedKeysConfig::default(),
        }
    }
}

/// One agent to serve, whichever section described it.
#[derive(Clone, Debug, PartialEq)]
pub struct AgentDef {
    /// Its name: the engine's key, the card's name, the `/agents/<name>` path segment.
    pub name: String,
    /// The card's words and capabilities.
    pub card: AgentSection,
}

/// `[push]`: delivery of push notifications to webhooks (when the agent declares
/// `push_notifications`).
///
/// Every client-visible event of a task is POSTed to each of its webhooks, in order, at
/// least once: a failed POST (non-2xx, timeout, connection error) is retried with
/// exponential backoff (0.5 s doubling up to 30 s), at most `max_attempts` times in all;
/// then the event is given up (logged and counted in `a2agw_push_failures_total`) and the
/// next one is sent. Progress is stored with each config, so delivery resumes after a
/// restart where it stopped.
///
/// Webhook URLs pointing at loopback, private, link-local (including the cloud metadata
/// address 169.254.169.254), CGNAT, multicast or unspecified addresses, or at names that
/// resolve to one, are refused when a config is created (`-32602`) and again at every send
/// (after DNS resolution), unless `allow_private_targets` is set.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct PushConfig {
    /// Allow webhooks on loopback, private and link-local addresses (tests, or a gateway
    /// whose webhooks live on a private network you trust). Default `false`.
    pub allow_private_targets: bool,
    /// Attempts per event before it is given up (at least 1). Default 8.
    pub max_attempts: u32,
    /// Seconds an instance's claim on a push config lasts without renewal: gateways sharing
    /// a PostgreSQL store deliver each config from one instance at a time, and another
    /// takes over this long after one died. Default 60 (at least twice the 15 s POST
    /// timeout is used).
    pub claim_ttl_secs: u64,
}

impl Default for PushConfig {
    fn default() -> Self {
        PushConfig {
            allow_private_targets: false,
            max_attempts: 8,
            claim_ttl_secs: 60,
        }
    }
}

/// `[telemetry]`: OpenTelemetry export of the request spans (`jsonrpc`, `rest`, `grpc`)
/// and task spans (`task`, with the `task_id`), over OTLP/HTTP (protobuf).
///
/// Export needs a gateway built with the cargo feature `otel`; a build without it refuses
/// to start when an endpoint is configured rather than ignore it. Spans are batched and
/// sent in the background; the batch still queued is flushed at shutdown. The standard
/// `OTEL_BSP_*` (batching) and `OTEL_EXPORTER_OTLP_HEADERS` / `_TIMEOUT` variables apply.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct TelemetryConfig {
    /// Base URL of an OTLP/HTTP collector, e.g. `http://localhost:4318`: spans are POSTed
    /// to `<otlp_endpoint>/v1/traces` (a URL already ending in `/v1/traces` is used as
    /// is). Empty (the default): no export. Env `OTEL_EXPORTER_OTLP_ENDPOINT` overrides (in builds
    /// with the `otel` feature; others ignore the variable).
    pub otlp_endpoint: String,
    /// The `service.name` of the exported spans. Default `a2a-gateway`; env
    /// `OTEL_SERVICE_NAME` overrides.
    pub service_name: String,
}

impl Default for TelemetryConfig {
    fn default() -> Self {
        TelemetryConfig {
            otlp_endpoint: String::new(),
            service_name: "a2a-gateway".into(),
        }
    }
}

impl TelemetryConfig {
    /// Whether spans are to be exported.
    pub fn enabled(&self) -> bool {
        !self.otlp_endpoint.is_empty()
    }

    /// The URL spans are POSTed to: `<otlp_endpoint>/v1/traces`.
    pub fn traces_url(&self) -> String {
        let base = self.otlp_endpoint.trim_end_matches('/');
        if base.ends_with("/v1/traces") {
            base.to_owned()
        } else {
            format!("{base}/v1/traces")
        }
    }
}

/// One skill of the card.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct SkillConfig {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Tags (at least one).
    pub tags: Vec<String>,
    /// Example prompts.
    pub examples: Vec<String>,
}

impl Config {
    /// Reads a config file, then applies environment overrides.
    pub fn load(path: Option<&Path>, env: &dyn Fn(&str) -> Option<String>) -> Result<Self> {
        let mut config = match path {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .with_context(|| format!("reading {}", p.display()))?;
                toml::from_str(&text).with_context(|| format!("parsing {}", p.display()))?
            }
            None => Config::default(),
        };
        config.apply_env(env)?;
        config.check()?;
        Ok(config)
    }

    /// Environment overrides: `A2AGW_LISTEN`, `A2AGW_PUBLIC_URL`, `A2AGW_STORE`
    /// (`sqlite`/`postgres`/`memory`), `A2AGW_SQLITE_PATH`, `A2AGW_DATABASE_URL`,
    /// `A2AGW_DATABASE_SCHEMA`; and the OpenTelemetry ones `OTEL_EXPORTER_OTLP_ENDPOINT`
    /// and `OTEL_SERVICE_NAME`.
    pub fn apply_env(&mut self, env: &dyn Fn(&str) -> Option<String>) -> Result<()> {
        if let Some(v) = env("A2AGW_LISTEN") {
            self.server.listen = v;
        }
        if let Some(v) = env("A2AGW_PUBLIC_URL") {
            self.server.public_url = v;
        }
        if let Some(v) = env("A2AGW_STORE") {
            self.store.kind = v;
        }
        if let Some(v) = env("A2AGW_SQLITE_PATH") {
            self.store.path = v;
        }
        if let Some(v) = env("A2AGW_DATABASE_SCHEMA") {
            self.store.schema = v;
        }
        if let Some(v) = env("A2AGW_DATABASE_URL") {
            self.store.url = v;
        }
        // The standard OpenTelemetry variables are often set host-wide: a build without the
        // `otel` feature ignores them (an endpoint in the config file is still an error there).
        if cfg!(feature = "otel") {
            if let Some(v) = env("OTEL_EXPORTER_OTLP_ENDPOINT") {
                self.telemetry.otlp_endpoint = v;
            }
            if let Some(v) = env("OTEL_SERVICE_NAME") {
                self.telemetry.service_name = v;
            }
        }
        Ok(())
    }

    /// Checks what serde cannot.
    pub fn check(&self) -> Result<()> {
        if self.server.listen.parse::<std::net::SocketAddr>().is_err() {
            bail!(
                "server.listen: `{}` is not an address like 127.0.0.1:7420",
                self.server.listen
            );
        }
        for (i, p) in self.server.trusted_proxies.iter().enumerate() {
            if let Err(e) = a2agw_server::parse_trusted_proxy(p) {
                bail!("server.trusted_proxies[{i}]: {e}");
            }
        }
        match self.store.kind.as_str() {
            "sqlite" if self.store.path.is_empty() => {
                bail!("store.path: required for the sqlite store")
            }
            "postgres" if self.store.url.is_empty() => {
                bail!("store.url: required for the postgres store")
            }
            "sqlite" | "postgres" | "memory" => {}
            other => bail!("store.kind: `{other}` is not one of sqlite, postgres, memory"),
        }
        if self.uses_shorthand() {
            self.check_provider()?;
        }
        for (name, a) in &self.agents {
            check_agent_name(name)?;
            let at = format!("agents.{name}");
            if !a.card_url.is_empty() {
                bail!(
                    "{at}.card_url: an agent whose card is fetched is registered through the admin API (/admin/v1/agents)"
                );
            }
            if let Some((field, why)) = a.problem() {
                bail!("{at}.{field}: {why}");
            }
            if self.uses_shorthand() && *name == self.agent.name {
                bail!("{at}: `{name}` is also the name of [agent]; agent names must differ");
            }
        }
        for (i, s) in self.agent.skills.iter().enumerate() {
            if s.id.is_empty() || s.name.is_empty() || s.description.is_empty() || s.tags.is_empty()
            {
                bail!("agent.skills[{i}]: id, name, description and at least one tag are required");
            }
        }
        if !self.server.grpc_listen.is_empty()
            && self
                .server
                .grpc_listen
                .parse::<std::net::SocketAddr>()
                .is_err()
        {
            bail!(
                "server.grpc_listen: `{}` is not an address like 127.0.0.1:7421",
                self.server.grpc_listen
            );
        }
        for (i, s) in self.agent.extended_skills.iter().enumerate() {
            if s.id.is_empty() || s.name.is_empty() || s.description.is_empty() || s.tags.is_empty()
            {
                bail!(
                    "agent.extended_skills[{i}]: id, name, description and at least one tag are required"
                );
            }
        }
        for (i, e) in self.agent.extensions.iter().enumerate() {
            if e.uri.trim().is_empty() {
                bail!("agent.extensions[{i}].uri: required");
            }
        }
        if self.agent.skills.is_empty() {
            bail!("agent.skills: at least one skill is required (the card must list one)");
        }
        check_allow("agent", &self.agent.allow)?;
        for (who, hash) in &self.auth.api_keys {
            if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
                bail!(
                    "auth.api_keys.{who}: must be the SHA-256 of the key in hex (64 characters), not the key"
                );
            }
        }
        if let Some(j) = &self.auth.jwt {
            if j.issuer.is_empty() || j.audience.is_empty() {
                bail!("auth.jwt: issuer and audience are required");
            }
            let sources = [&j.jwks_url, &j.public_key_file, &j.hmac_secret_env]
                .iter()
                .filter(|s| !s.is_empty())
                .count();
            if sources != 1 {
                bail!("auth.jwt: set exactly one of jwks_url, public_key_file, hmac_secret_env");
            }
        }
        if let Some(admin) = &self.admin {
            for (who, hash) in &admin.api_keys {
                if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
                    bail!(
                        "admin.api_keys.{who}: must be the SHA-256 of the key in hex (64 characters), not the key"
                    );
                }
                if self
                    .auth
                    .api_keys
                    .values()
                    .any(|h| h.eq_ignore_ascii_case(hash))
                {
                    bail!(
                        "admin.api_keys.{who}: is also a caller's key (auth.api_keys); admin keys must differ"
                    );
                }
            }
            if !admin.jwt_role.is_empty()
                && self
                    .auth
                    .jwt
                    .as_ref()
                    .is_none_or(|j| j.roles_claim.is_empty())
            {
                bail!(
                    "admin.jwt_role: needs [auth.jwt] with roles_claim set (the claim that carries the role)"
                );
            }
            if admin.api_keys.is_empty() && admin.jwt_role.is_empty() {
                bail!("admin: set api_keys or jwt_role, or nobody could call the admin API");
            }
            if admin.max_agents == 0 || admin.card_timeout_secs == 0 || admin.max_card_bytes == 0 {
                bail!("admin: max_agents, card_timeout_secs and max_card_bytes must be at least 1");
            }
        }
        if self.push.max_attempts == 0 {
            bail!("push.max_attempts: must be at least 1");
        }
        self.check_telemetry()?;
        if let Some(sg) = &self.signing {
            if sg.key_file.is_empty() == sg.key_env.is_empty() {
                bail!("signing: set exactly one of key_file and key_env");
            }
            if !sg.jku.is_empty()
                && !sg.jku.starts_with("https://")
                && !sg.jku.starts_with("http://")
            {
                bail!("signing.jku: `{}` is not an http(s) URL", sg.jku);
            }
        }
        if !self.auth.anonymous && self.auth.api_keys.is_empty() && self.auth.jwt.is_none() {
            bail!(
                "auth: anonymous access is off and neither API keys nor JWT are configured: nobody could call"
            );
        }
        Ok(())
    }

    /// Whether `[agent]` describes an agent to serve: it is set (differs from the default),
    /// or no `[agents]` are.
    pub fn uses_shorthand(&self) -> bool {
        self.agents.is_empty() || self.agent != AgentConfig::default()
    }

    /// Every agent to serve, the root one first: `[agent]` when it is used, else the first
    /// of `[agents]` by name. The configuration must have been checked.
    pub fn agent_defs(&self) -> Vec<AgentDef> {
        let mut defs = Vec::new();
        if self.uses_shorthand() {
            defs.push(self.agent.def());
        }
        defs.extend(self.agents.iter().map(|(name, card)| AgentDef {
            name: name.clone(),
            card: card.clone(),
        }));
        defs
    }

    /// The provider: known, built into this binary, its section present and complete, no
    /// section for another provider, and a card that describes it rather than the demo.
    fn check_provider(&self) -> Result<()> {
        let a = &self.agent;
        let Some((_, feature)) = providers::KNOWN.iter().find(|(n, _)| *n == a.provider) else {
            let known: Vec<&str> = providers::KNOWN.iter().map(|(n, _)| *n).collect();
            bail!(
                "agent.provider: `{}` is not one of {}",
                a.provider,
                known.join(", ")
            );
        };
        if !providers::AVAILABLE.contains(&a.provider.as_str()) {
            bail!(
                "agent.provider: `{}` is not available in this build (available: {}); rebuild \
                 with `--features {feature}` (or `all-providers`)",
                a.provider,
                providers::AVAILABLE.join(", ")
            );
        }
        let sections = [
            ("langgraph", a.langgraph.is_some()),
            ("azure", a.azure.is_some()),
            ("bedrock", a.bedrock.is_some()),
            ("vertex", a.vertex.is_some()),
        ];
        for (name, set) in sections {
            if set && name != a.provider {
                bail!(
                    "agent.{name}: set, but agent.provider is `{}`: remove the section or set \
                     provider = \"{name}\"",
                    a.provider
                );
            }
        }
        let missing = |name: &str| {
            anyhow::anyhow!(
                "agent.{name}: the section [agent.{name}] is required for provider `{name}`"
            )
        };
        match a.provider.as_str() {
            "langgraph" => a
                .langgraph
                .as_ref()
                .ok_or_else(|| missing("langgraph"))?
                .check()?,
            "azure" => a.azure.as_ref().ok_or_else(|| missing("azure"))?.check()?,
            "bedrock" => a
                .bedrock
                .as_ref()
                .ok_or_else(|| missing("bedrock"))?
                .check()?,
            "vertex" => a
                .vertex
                .as_ref()
                .ok_or_else(|| missing("vertex"))?
                .check()?,
            _ => return Ok(()),
        }
        let demo = AgentConfig::default();
        if a.description == demo.description || a.skills == demo.skills {
            bail!(
                "agent.description and agent.skills: still the demo agent's; describe the `{}` \
                 agent (the card tells clients what it does)",
                a.provider
            );
        }
        Ok(())
    }

    /// Whether any agent declares push notifications (the delivery worker runs then).
    pub fn any_push(&self) -> bool {
        self.agent_defs().iter().any(|a| a.card.push_notifications)
    }

    fn check_telemetry(&self) -> Result<()> {
        let t = &self.telemetry;
        if t.service_name.is_empty() {
            bail!("telemetry.service_name: must not be empty");
        }
        if !t.enabled() {
            return Ok(());
        }
        let rest = t
            .otlp_endpoint
            .strip_prefix("http://")
            .or_else(|| t.otlp_endpoint.strip_prefix("https://"));
        if rest.is_none_or(|r| r.is_empty() || r.starts_with('/')) {
            bail!(
                "telemetry.otlp_endpoint: `{}` is not an http:// or https:// URL like http://localhost:4318",
                t.otlp_endpoint
            );
        }
        if !cfg!(feature = "otel") {
            bail!(
                "telemetry.otlp_endpoint is set to `{}`, but this \
                 a2a-gateway was built without the `otel` feature: rebuild with `--features otel`, \
                 or unset it",
                t.otlp_endpoint
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_need_nothing() {
        let c = Config::load(None, &|_| None).unwrap();
        assert_eq!(c.store.kind, "sqlite");
        assert!(c.auth.anonymous);
    }

    #[test]
    fn trusted_proxies_are_checked_entry_by_entry() {
        let ok: Config = toml::from_str(
            "[server]\ntrusted_proxies = [\"10.0.0.0/8\", \"::1/128\", \"192.168.1.7\"]",
        )
        .unwrap();
        ok.check().unwrap();
        assert_eq!(ok.server.trusted_proxies.len(), 3);
        let bad: Config =
            toml::from_str("[server]\ntrusted_proxies = [\"10.0.0.0/8\", \"10.0.0.0/40\"]")
                .unwrap();
        let e = bad.check().unwrap_err().to_string();
        assert!(
            e.contains("server.trusted_proxies[1]") && e.contains("`10.0.0.0/40`"),
            "{e}"
        );
        let name: Config =
            toml::from_str("[server]\ntrusted_proxies = [\"proxy.internal\"]").unwrap();
        assert!(
            name.check()
                .unwrap_err()
                .to_string()
                .contains("proxy.internal")
        );
        // The deprecated key still reads.
        let old: Config = toml::from_str("[server]\ntrust_forwarded_headers = true").unwrap();
        old.check().unwrap();
        assert!(old.server.trust_forwarded_headers);
    }

    #[test]
    fn env_overrides_and_errors() {
        let env = |k: &str| (k == "A2AGW_LISTEN").then(|| "0.0.0.0:9000".to_owned());
        assert_eq!(
            Config::load(None, &env).unwrap().server.listen,
            "0.0.0.0:9000"
        );
        let bad: Config = toml::from_str("[store]\nkind = \"mongo\"").unwrap();
        assert!(bad.check().unwrap_err().to_string().contains("store.kind"));
        assert!(
            toml::from_str::<Config>("[server]\nlisten_on = 1").is_err(),
            "unknown keys are refused"
        );
        let key: Config = toml::from_str("[auth]\napi_keys = { alice = \"plain-key\" }").unwrap();
        assert!(key.check().unwrap_err().to_string().contains("SHA-256"));
        let jwt: Config = toml::from_str("[auth.jwt]\nissuer = \"i\"\naudience = \"a\"").unwrap();
        assert!(jwt.check().unwrap_err().to_string().contains("exactly one"));
        let jwt: Config =
            toml::from_str("[auth]\nanonymous = false\n[auth.jwt]\nissuer = \"i\"\naudience = \"a\"\nhmac_secret_env = \"S\"")
                .unwrap();
        jwt.check().unwrap();
    }

    /// `[agents.<name>]`: several agents, each with a tagged provider section; the root
    /// one is `[agent]` when set, else the first by name; names are path segments.
    #[test]
    fn several_agents() {
        let text = "[agents.beta]\ndescription = \"B\"\n[[agents.beta.skills]]\nid = \"b\"\nname = \"B\"\ndescription = \"Does b\"\ntags = [\"t\"]\n\
                    [agents.alpha]\ndescription = \"A\"\n[agents.alpha.provider]\nkind = \"conformance\"\n[[agents.alpha.skills]]\nid = \"a\"\nname = \"A\"\ndescription = \"Does a\"\ntags = [\"t\"]\n";
        let c: Config = toml::from_str(text).unwrap();
        c.check().unwrap();
        assert!(!c.uses_shorthand());
        let defs = c.agent_defs();
        let names: Vec<&str> = defs.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["alpha", "beta"]);
        assert_eq!(defs[0].card.provider, ProviderConfig::Conformance);
        assert_eq!(defs[1].card.provider, ProviderConfig::Demo);
        // With [agent] set too, it is the root.
        let both: Config = toml::from_str(&format!("[agent]\nname = \"root\"\n{text}")).unwrap();
        both.check().unwrap();
        let names: Vec<String> = both.agent_defs().into_iter().map(|d| d.name).collect();
        assert_eq!(names, ["root", "alpha", "beta"]);
        let clash: Config = toml::from_str(&format!("[agent]\nname = \"beta\"\n{text}")).unwrap();
        assert!(err(Ok(clash).and_then(|c| c.check().map(|()| c))).contains("must differ"));
        // An adapter's section is the provider table; unknown keys and kinds are refused.
        let lg = "[agents.support]\ndescription = \"S\"\n[[agents.support.skills]]\nid = \"s\"\nname = \"S\"\ndescription = \"Does s\"\ntags = [\"t\"]\n\
                  [agents.support.provider]\nkind = \"langgraph\"\nbase_url = \"https://lg.example\"\nassistant_id = \"agent\"\n";
        let c: Config = toml::from_str(lg).unwrap();
        match &c.agents["support"].provider {
            ProviderConfig::Langgraph(s) => assert_eq!(s.assistant_id, "agent"),
            other => panic!("{other:?}"),
        }
        let checked = c.check();
        if providers::AVAILABLE.contains(&"langgraph") {
            checked.unwrap();
        } else {
            assert!(format!("{:#}", checked.unwrap_err()).contains("not available in this build"));
        }
        assert!(toml::from_str::<Config>(&format!("{lg}bogus = 1\n")).is_err());
        assert!(toml::from_str::<Config>(&lg.replace("langgraph", "openai")).is_err());
        // Names are path segments; a description and a skill are required.
        for bad in ["a b", "a/b", ".."] {
            let c: Config = toml::from_str(&text.replace("beta", &format!("\"{bad}\""))).unwrap();
            assert!(
                err(Ok(c).and_then(|c| c.check().map(|()| c))).contains("agent name"),
                "{bad}"
            );
        }
        let c: Config = toml::from_str("[agents.x]\ndescription = \"X\"\n").unwrap();
        assert!(
            c.check()
                .unwrap_err()
                .to_string()
                .contains("agents.x.skills")
        );
    }

    /// `allow`: owners, owner prefixes and roles; bad entries are refused naming the agent.
    #[test]
    fn allow_lists_are_checked() {
        let text = "[agents.ops]\ndescription = \"O\"\nallow = [\"alice\", \"role:ops\", \"jwt:https://idp/|*\"]\n[[agents.ops.skills]]\nid = \"o\"\nname = \"O\"\ndescription = \"Does o\"\ntags = [\"t\"]\n";
        let c: Config = toml::from_str(text).unwrap();
        c.check().unwrap();
        assert_eq!(c.agent_defs()[0].card.allow.len(), 3);
        for bad in ["role:", "a*b", ""] {
            let c: Config = toml::from_str(&text.replace("alice", bad)).unwrap();
            let e = err(Ok(c).and_then(|c| c.check().map(|()| c)));
            assert!(e.contains("agents.ops.allow"), "{bad}: {e}");
        }
        let c: Config = toml::from_str("[agent]\nallow = [\"x*y\"]\n").unwrap();
        assert!(err(Ok(c).and_then(|c| c.check().map(|()| c))).contains("agent.allow"));
    }

    /// The conformance agent, card forms and extensions: what `cargo xtask tck` configures.
    #[test]
    fn conformance_agent_card_form_and_extensions() {
        let c: Config = toml::from_str(
            "[server]\ncard_without_version = \"hybrid\"\n\
             [agent]\nprovider = \"conformance\"\n\
             [[agent.extensions]]\nuri = \"urn:x\"\nrequired = true\n",
        )
        .unwrap();
        c.check().unwrap();
        assert_eq!(c.server.card_without_version, CardWithoutVersion::Hybrid);
        assert!(c.agent.extensions[0].required);
        assert_eq!(
            Config::default().server.card_without_version,
            CardWithoutVersion::V1_0
        );
        let bad = toml::from_str::<Config>("[server]\ncard_without_version = \"0.2\"");
        assert!(bad.is_err());
        let no_uri: Config = toml::from_str("[[agent.extensions]]\nrequired = true\n").unwrap();
        assert!(
            no_uri
                .check()
                .unwrap_err()
                .to_string()
                .contains("agent.extensions[0].uri")
        );
    }

    const CARD: &str = "[agent]\nname = \"x\"\ndescription = \"An agent\"\nprovider = \"PROVIDER\"\n\n\
                        [[agent.skills]]\nid = \"a\"\nname = \"A\"\ndescription = \"Does a\"\ntags = [\"t\"]\n\n";

    fn provider_config(provider: &str, section: &str) -> Result<Config> {
        let text = format!("{}{section}", CARD.replace("PROVIDER", provider));
        let c: Config = toml::from_str(&text)?;
        c.check()?;
        Ok(c)
    }

    fn err(r: Result<Config>) -> String {
        format!("{:#}", r.unwrap_err())
    }

    #[test]
    fn provider_selection() {
        assert!(
            err(provider_config("openai", ""))
                .contains("is not one of demo, conformance, echo, langgraph")
        );
        let sections = [
            (
                "langgraph",
                "provider-langgraph",
                "[agent.langgraph]\nbase_url = \"https://lg.example\"\nassistant_id = \"agent\"\n",
            ),
            (
                "azure",
                "provider-azure",
                "[agent.azure]\nendpoint = \"https://r.services.ai.azure.com/api/projects/p\"\nagent_id = \"asst_1\"\n",
            ),
            (
                "bedrock",
                "provider-bedrock",
                "[agent.bedrock]\nagent_id = \"A1\"\nagent_alias_id = \"TSTALIASID\"\n",
            ),
            (
                "vertex",
                "provider-vertex",
                "[agent.vertex]\nproject = \"p\"\nlocation = \"us-central1\"\nengine_id = \"1\"\n",
            ),
        ];
        for (name, feature, section) in sections {
            let built = providers::AVAILABLE.contains(&name);
            let ok = provider_config(name, section);
            if built {
                ok.unwrap();
                assert!(
                    err(provider_config(name, "")).contains(&format!("[agent.{name}] is required"))
                );
                // The demo's card words are refused for a real agent.
                let demo_card = format!("[agent]\nprovider = \"{name}\"\n{section}");
                let e = toml::from_str::<Config>(&demo_card)
                    .unwrap()
                    .check()
                    .unwrap_err();
                assert!(e.to_string().contains("still the demo agent's"), "{e}");
            } else {
                let e = err(ok);
                assert!(
                    e.contains("not available in this build") && e.contains(feature),
                    "{e}"
                );
            }
            // A section for another provider than the selected one is a mistake.
            let e = err(provider_config("demo", section));
            assert!(
                e.contains(&format!("agent.{name}: set, but agent.provider is `demo`")),
                "{e}"
            );
            // Unknown keys are refused in every section.
            assert!(provider_config(name, &format!("{section}bogus = 1\n")).is_err());
        }
    }

    #[test]
    fn provider_sections_check_their_fields() {
        let cases = [
            (
                "langgraph",
                "[agent.langgraph]\nassistant_id = \"a\"\n",
                "agent.langgraph.base_url: required",
            ),
            (
                "langgraph",
                "[agent.langgraph]\nbase_url = \"lg.example\"\nassistant_id = \"a\"\n",
                "not an http",
            ),
            (
                "langgraph",
                "[agent.langgraph]\nbase_url = \"http://lg\"\nassistant_id = \"a\"\nidle_timeout_secs = 0\n",
                "idle_timeout_secs: must be at least 1",
            ),
            (
                "azure",
                "[agent.azure]\nendpoint = \"https://e\"\nagent_id = \"a\"\n[agent.azure.credential]\nkind = \"client_secret\"\n",
                "agent.azure.credential.tenant_id: required",
            ),
            (
                "azure",
                "[agent.azure]\nendpoint = \"https://e\"\nagent_id = \"a\"\n[agent.azure.credential]\nkind = \"default\"\n",
                "is not one of managed_identity",
            ),
            (
                "bedrock",
                "[agent.bedrock]\nagent_id = \"a\"\n",
                "agent.bedrock.agent_alias_id: required",
            ),
            (
                "vertex",
                "[agent.vertex]\nproject = \"p\"\nlocation = \"l\"\nengine_id = \"1\"\n[agent.vertex.credential]\nkind = \"service_account_file\"\n",
                "agent.vertex.credential.path: required",
            ),
        ];
        for (name, section, expected) in cases {
            if !providers::AVAILABLE.contains(&name) {
                continue;
            }
            let e = err(provider_config(name, section));
            assert!(e.contains(expected), "{name}: {e}");
        }
    }

    #[test]
    fn push_defaults_and_overrides() {
        let c = Config::default();
        assert!(
            !c.push.allow_private_targets,
            "private webhook targets are refused by default"
        );
        assert_eq!(c.push.max_attempts, 8);
        let c: Config =
            toml::from_str("[push]\nallow_private_targets = true\nmax_attempts = 3").unwrap();
        c.check().unwrap();
        assert!(c.push.allow_private_targets);
        assert_eq!(c.push.max_attempts, 3);
        let zero: Config = toml::from_str("[push]\nmax_attempts = 0").unwrap();
        assert!(
            zero.check()
                .unwrap_err()
                .to_string()
                .contains("push.max_attempts")
        );
        assert!(toml::from_str::<Config>("[push]\nretries = 1").is_err());
    }

    #[test]
    fn telemetry_section() {
        let c = Config::default();
        assert!(!c.telemetry.enabled(), "no export unless configured");
        assert_eq!(c.telemetry.service_name, "a2a-gateway");
        c.check().unwrap();

        let c: Config = toml::from_str(
            "[telemetry]\notlp_endpoint = \"http://127.0.0.1:4318/\"\nservice_name = \"gw-1\"",
        )
        .unwrap();
        assert!(c.telemetry.enabled());
        assert_eq!(c.telemetry.service_name, "gw-1");
        assert_eq!(c.telemetry.traces_url(), "http://127.0.0.1:4318/v1/traces");
        let full = TelemetryConfig {
            otlp_endpoint: "https://otel.example/v1/traces".into(),
            ..TelemetryConfig::default()
        };
        assert_eq!(full.traces_url(), "https://otel.example/v1/traces");
        // Enabled only with the `otel` feature; without it, a clear error (not ignored).
        let checked = c.check();
        assert_eq!(checked.is_ok(), cfg!(feature = "otel"), "{checked:?}");
        if let Err(e) = checked {
            assert!(e.to_string().contains("without the `otel` feature"), "{e}");
        }

        // The standard environment variables override the file with the `otel` feature,
        // and are ignored without it (they are often set host-wide).
        let env = |k: &str| match k {
            "OTEL_EXPORTER_OTLP_ENDPOINT" => Some("http://collector:4318".to_owned()),
            "OTEL_SERVICE_NAME" => Some("from-env".to_owned()),
            _ => None,
        };
        let mut c = Config::default();
        c.apply_env(&env).unwrap();
        if cfg!(feature = "otel") {
            assert_eq!(c.telemetry.otlp_endpoint, "http://collector:4318");
            assert_eq!(c.telemetry.service_name, "from-env");
        } else {
            assert_eq!(c.telemetry.otlp_endpoint, "");
        }
        assert!(
            Config::load(None, &env).is_ok(),
            "a host-wide variable never stops a default build"
        );

        for bad in ["localhost:4318", "grpc://x:4317", "http://", "http:///v1"] {
            let c: Config =
                toml::from_str(&format!("[telemetry]\notlp_endpoint = \"{bad}\"")).unwrap();
            let e = c.check().unwrap_err().to_string();
            assert!(e.contains("telemetry.otlp_endpoint"), "{bad}: {e}");
        }
        let c: Config = toml::from_str("[telemetry]\nservice_name = \"\"").unwrap();
        assert!(c.check().is_err());
        assert!(toml::from_str::<Config>("[telemetry]\nendpoint = \"http://x\"").is_err());
    }
}
