//! A test gateway on a real socket, shared by the binding test modules (REST, JSON-RPC,
//! gRPC): [`server()`] gives a [`ServerBuilder`] (auth keys, capabilities, store, limits,
//! card interfaces), [`ServerBuilder::start`] binds `127.0.0.1:0` and serves with
//! `axum::serve` (with the peer's `Connection`) in a spawned task (HTTP and gRPC on one port); the [`TestServer`] it
//! returns stops serving on drop.
//! Also: an SSE reader and small JSON helpers.

// Helpers outside #[test] functions may unwrap: a failure is a test failure. Not every
// test module uses every helper.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use a2agw_provider::{DemoProvider, Provider};
use a2agw_server::{
    AgentRecord, ApiKeyAuth, AppState, Authenticator, CardSettings, CompositeAuth, Handler,
    JwtAuth, JwtConfig, Limits, Registry, Snapshot, StreamPolicy, hash_key,
};
use a2agw_task::{Engine, EngineConfig, MemoryStore, TaskStore};
use a2agw_types::{
    AgentCapabilities, AgentCard, AgentExtension, AgentSkill, ApiKeySecurityScheme, SecurityScheme,
    binding,
};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The name of the demo agent in the engine.
pub(crate) const AGENT: &str = "demo";

/// How to build a test server.
#[derive(Debug)]
pub(crate) struct ServerBuilder {
    keys: Vec<(String, String)>,
    anonymous: Option<bool>,
    streaming: bool,
    push_notifications: bool,
    extended_card: Option<AgentCard>,
    extended_card_declared: Option<bool>,
    extensions: Vec<AgentExtension>,
    store: Option<Arc<dyn TaskStore>>,
    limits: Option<Limits>,
    interfaces: Vec<(&'static str, &'static str)>,
    policy: StreamPolicy,
    step: Duration,
    push_policy: a2agw_server::PushPolicy,
    push_delivery: Option<a2agw_server::PushSettings>,
    public_url: Option<String>,
    trusted_proxies: Vec<a2agw_server::IpNet>,
    grpc_address: Option<String>,
    listen: String,
    card_form: a2agw_server::CardForm,
    more_agents: Vec<String>,
    access: HashMap<String, a2agw_registry::Access>,
    signing: Vec<a2agw_signing::SigningKey>,
    admin: Option<Arc<a2agw_server::Admin>>,
    jwt: Option<JwtConfig>,
}

/// A builder with the defaults: anonymous access, streaming and push notifications
/// declared, an in-memory store, the demo agent with 20 ms steps, a card declaring JSON-RPC
/// and HTTP+JSON 1.0 and JSON-RPC 0.3.
pub(crate) fn server() -> ServerBuilder {
    ServerBuilder {
        keys: Vec::new(),
        anonymous: None,
        streaming: true,
        push_notifications: true,
        extended_card: None,
        extended_card_declared: None,
        extensions: Vec::new(),
        store: None,
        limits: None,
        interfaces: vec![
            (binding::JSONRPC, "1.0"),
            (binding::HTTP_JSON, "1.0"),
            (binding::JSONRPC, "0.3"),
        ],
        policy: StreamPolicy::default(),
        step: Duration::from_millis(20),
        push_policy: a2agw_server::PushPolicy::default(),
        push_delivery: None,
        public_url: None,
        trusted_proxies: Vec::new(),
        grpc_address: None,
        listen: "127.0.0.1:0".into(),
        card_form: a2agw_server::CardForm::V1_0,
        more_agents: Vec::new(),
        access: HashMap::new(),
        signing: Vec::new(),
        admin: None,
        jwt: None,
    }
}

impl ServerBuilder {
    /// Accepts `key` (in `X-API-Key` or as a bearer token) for `principal`. Once a key is
    /// added, anonymous access is off unless [`ServerBuilder::anonymous`] turns it back on.
    pub(crate) fn api_key(mut self, key: &str, principal: &str) -> Self {
        self.keys.push((key.to_owned(), principal.to_owned()));
        self
    }

    /// Serves requests without credentials as `anonymous` (or not).
    pub(crate) fn anonymous(mut self, allowed: bool) -> Self {
        self.anonymous = Some(allowed);
        self
    }

    /// Declares `capabilities.streaming`.
    pub(crate) fn streaming(mut self, on: bool) -> Self {
        self.streaming = on;
        self
    }

    /// Declares `capabilities.pushNotifications`.
    pub(crate) fn push_notifications(mut self, on: bool) -> Self {
        self.push_notifications = on;
        self
    }

    /// Declares `capabilities.extendedAgentCard` and serves `card` to authenticated callers.
    pub(crate) fn extended_card(mut self, card: AgentCard) -> Self {
        self.extended_card = Some(card);
        self
    }

    /// Declares (or not) `capabilities.extendedAgentCard` whatever
    /// [`ServerBuilder::extended_card`] configured: `true` without a card gives the
    /// "declared but not configured" case (-32007).
    pub(crate) fn declare_extended_card(mut self, declared: bool) -> Self {
        self.extended_card_declared = Some(declared);
        self
    }

    /// Declares an extension in the card's capabilities.
    pub(crate) fn extension(mut self, uri: &str, required: bool) -> Self {
        self.extensions.push(AgentExtension {
            uri: uri.to_owned(),
            required,
            ..AgentExtension::default()
        });
        self
    }

    /// Uses this store (default: a fresh `MemoryStore`).
    pub(crate) fn store(mut self, store: Arc<dyn TaskStore>) -> Self {
        self.store = Some(store);
        self
    }

    /// Uses these limits (default: `Limits::default()`).
    pub(crate) fn limits(mut self, limits: Limits) -> Self {
        self.limits = Some(limits);
        self
    }

    /// Serves another demo agent named `name` beside [`AGENT`] (at `/agents/{name}`; its
    /// card is the same but for its name, `Demo agent {name}`).
    pub(crate) fn agent(mut self, name: &str) -> Self {
        self.more_agents.push(name.to_owned());
        self
    }

    /// The card form a request that names no version gets (default: 1.0).
    pub(crate) fn card_form(mut self, form: a2agw_server::CardForm) -> Self {
        self.card_form = form;
        self
    }

    /// The interfaces the card declares, `(binding, version)` in preference order.
    pub(crate) fn interfaces(mut self, interfaces: Vec<(&'static str, &'static str)>) -> Self {
        self.interfaces = interfaces;
        self
    }

    /// The stream-closing policy.
    pub(crate) fn policy(mut self, policy: StreamPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Where webhooks may point (default: public targets only).
    pub(crate) fn push_policy(mut self, policy: a2agw_server::PushPolicy) -> Self {
        self.push_policy = policy;
        self
    }

    /// Runs a push delivery worker with these settings once started (none by default):
    /// webhooks get the tasks' events. The worker stops when the server's `shutdown`
    /// begins (or with the test's runtime).
    pub(crate) fn push_delivery(mut self, settings: a2agw_server::PushSettings) -> Self {
        self.push_delivery = Some(settings);
        self
    }

    /// Another agent `name` (see [`ServerBuilder::agent`]) that only callers matching
    /// `allow` (allow-list entries: owners, `prefix*`, `role:<r>`) may use.
    pub(crate) fn restricted_agent(mut self, name: &str, allow: &[&str]) -> Self {
        self.more_agents.push(name.to_owned());
        self.access.insert(
            name.to_owned(),
            a2agw_registry::Access::from_entries(allow).unwrap(),
        );
        self
    }

    /// Serves the admin API.
    pub(crate) fn admin(mut self, admin: a2agw_server::Admin) -> Self {
        self.admin = Some(Arc::new(admin));
        self
    }

    /// Signs every served card with `key` too.
    pub(crate) fn signing(mut self, key: a2agw_signing::SigningKey) -> Self {
        self.signing.push(key);
        self
    }

    /// Also accept JWT bearer tokens verified with this configuration, beside the API keys.
    pub(crate) fn jwt(mut self, config: JwtConfig) -> Self {
        self.jwt = Some(config);
        self
    }

    /// The card's public base URL (instead of deriving it from each request).
    pub(crate) fn public_url(mut self, url: &str) -> Self {
        self.public_url = Some(url.to_owned());
        self
    }

    /// Trust forwarded headers from loopback peers (every test client) when deriving the
    /// card's URLs, as the deprecated `server.trust_forwarded_headers` does.
    pub(crate) fn trust_forwarded(mut self, on: bool) -> Self {
        self.trusted_proxies = if on {
            a2agw_server::loopback_proxies()
        } else {
            Vec::new()
        };
        self
    }

    /// Trust forwarded headers from peers in these networks (CIDRs or addresses).
    pub(crate) fn trusted_proxies(mut self, nets: &[&str]) -> Self {
        self.trusted_proxies = nets
            .iter()
            .map(|n| a2agw_server::parse_trusted_proxy(n).unwrap())
            .collect();
        self
    }

    /// The gRPC `host:port` the card declares (`server.grpc_address`).
    pub(crate) fn grpc_address(mut self, address: &str) -> Self {
        self.grpc_address = Some(address.to_owned());
        self
    }

    /// Binds this address instead of `127.0.0.1:0` (`[::1]:0` for IPv6).
    pub(crate) fn listen(mut self, address: &str) -> Self {
        self.listen = address.to_owned();
        self
    }

    /// The demo agent's step length (`slow N` takes N steps).
    pub(crate) fn step(mut self, step: Duration) -> Self {
        self.step = step;
        self
    }

    /// The public card the server will serve.
    pub(crate) fn card(&self) -> AgentCard {
        AgentCard {
            name: "Demo agent".into(),
            description: "The gateway's built-in demo agent".into(),
            version: "1.0.0".into(),
            capabilities: AgentCapabilities {
                streaming: Some(self.streaming),
                push_notifications: Some(self.push_notifications),
                extensions: self.extensions.clone(),
                extended_agent_card: Some(
                    self.extended_card_declared
                        .unwrap_or(self.extended_card.is_some()),
                ),
            },
            default_input_modes: vec!["text/plain".into()],
            default_output_modes: vec!["text/plain".into()],
            skills: vec![AgentSkill {
                id: "echo".into(),
                name: "Echo".into(),
                description: "Echoes the text back as an artifact".into(),
                tags: vec!["demo".into()],
                examples: vec!["hello".into()],
                ..AgentSkill::default()
            }],
            // The gateway declares its API key scheme when keys are configured, as the
            // binary does: the extended card then needs one.
            security_schemes: if self.keys.is_empty() {
                Default::default()
            } else {
                [(
                    "apiKey".to_owned(),
                    SecurityScheme::ApiKeySecurityScheme(ApiKeySecurityScheme {
                        location: "header".into(),
                        name: "X-API-Key".into(),
                        ..ApiKeySecurityScheme::default()
                    }),
                )]
                .into_iter()
                .collect()
            },
            ..AgentCard::default()
        }
    }

    /// The application state (handler, auth, limits, card settings) without a socket.
    pub(crate) fn state(self) -> AppState {
        let card = self.card();
        let store = self
            .store
            .unwrap_or_else(|| Arc::new(MemoryStore::new()) as Arc<dyn TaskStore>);
        let demo: Arc<dyn Provider> = Arc::new(DemoProvider { step: self.step });
        let mut records = vec![
            AgentRecord::new(AGENT, card.clone(), Arc::clone(&demo))
                .with_extended_card(self.extended_card.clone()),
        ];
        for name in &self.more_agents {
            let mut card = card.clone();
            card.name = format!("Demo agent {name}");
            records.push(
                AgentRecord::new(name.clone(), card, Arc::clone(&demo))
                    .with_extended_card(self.extended_card.clone().map(|mut c| {
                        c.name = format!("Demo agent {name} (extended)");
                        c
                    }))
                    .with_access(self.access.get(name).cloned().unwrap_or_default()),
            );
        }
        let registry = Arc::new(Registry::new(Snapshot::new(records).unwrap()));
        let engine = Engine::with_upstreams(store, registry.clone(), EngineConfig::default());
        let auth = ApiKeyAuth {
            header: "x-api-key".into(),
            keys: self
                .keys
                .iter()
                .map(|(key, who)| (hash_key(key), who.clone()))
                .collect(),
            anonymous: self.anonymous.unwrap_or(self.keys.is_empty()),
        };
        let auth: Arc<dyn Authenticator> = match &self.jwt {
            None => Arc::new(auth),
            Some(config) => {
                let anonymous = auth.anonymous;
                Arc::new(
                    CompositeAuth::new(anonymous)
                        .with_api_keys(auth)
                        .with_jwt(JwtAuth::new(config).unwrap()),
                )
            }
        };
        let handler =
            Handler::new(engine, registry, self.policy).with_push_policy(self.push_policy);
        AppState {
            handler,
            auth,
            limits: self.limits.unwrap_or_default(),
            card: CardSettings {
                interfaces: self.interfaces,
                public_url: self.public_url,
                trusted_proxies: self.trusted_proxies,
                grpc_address: self.grpc_address,
                unversioned: self.card_form,
                signing: self.signing.clone(),
                ..CardSettings::default()
            },
            shutdown: a2agw_server::Shutdown::default(),
            admin: self.admin.clone(),
        }
    }

    /// Binds `127.0.0.1:0` and serves the gateway until the server is dropped: the HTTP
    /// router (JSON-RPC, REST, card, health) and gRPC on the same port, switched on
    /// `Content-Type` ([`a2agw_server::service`]), as the binary serves them.
    pub(crate) async fn start(self) -> TestServer {
        let push_delivery = self.push_delivery.clone();
        let listen = self.listen.clone();
        let state = self.state();
        if let Some(settings) = push_delivery {
            drop(a2agw_server::PushWorker::spawn(
                Arc::clone(state.handler.engine().store()),
                settings,
                state.shutdown.clone(),
            ));
        }
        let router = a2agw_server::service(state.clone());
        let listener = tokio::net::TcpListener::bind(&listen).await.unwrap();
        let addr = listener.local_addr().unwrap();
        // As the binary serves: the TCP peer decides whether forwarded headers count.
        let router = router.into_make_service_with_connect_info::<a2agw_server::Connection>();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        TestServer {
            addr,
            base: format!("http://{addr}"),
            state,
            http: reqwest::Client::new(),
            task,
        }
    }
}

/// A running test server.
#[derive(Debug)]
pub(crate) struct TestServer {
    /// The socket it listens on.
    pub(crate) addr: std::net::SocketAddr,
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub(crate) base: String,
    /// The state it serves (to reach the engine or the limits directly).
    pub(crate) state: AppState,
    /// A client for it.
    pub(crate) http: reqwest::Client,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TestServer {
    /// The URL of `path` (which starts with `/`).
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `GET path`.
    pub(crate) fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.http.get(self.url(path))
    }

    /// `POST path` with a JSON body (`Content-Type: application/json`).
    pub(crate) fn post_json(&self, path: &str, body: &Value) -> reqwest::RequestBuilder {
        self.http
            .post(self.url(path))
            .header("content-type", "application/json")
            .body(body.to_string())
    }

    /// `DELETE path`.
    pub(crate) fn delete(&self, path: &str) -> reqwest::RequestBuilder {
        self.http.delete(self.url(path))
    }
}

/// A fresh message id.
pub(crate) fn message_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!("msg-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// A 1.0 user message (ProtoJSON) with one text part.
pub(crate) fn user_message(text: &str) -> Value {
    json!({"messageId": message_id(), "role": "ROLE_USER", "parts": [{"text": text}]})
}

/// A 1.0 `SendMessageRequest` with one text part.
pub(crate) fn send_request(text: &str) -> Value {
    json!({"message": user_message(text)})
}

/// A response's status and JSON body.
pub(crate) async fn json_of(resp: reqwest::Response) -> (u16, Value) {
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    let body = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("not JSON ({e}), status {status}: {text}"));
    (status, body)
}

/// One server-sent event.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct SseEvent {
    /// `id:`.
    pub(crate) id: Option<String>,
    /// `event:`.
    pub(crate) event: Option<String>,
    /// The `data:` lines joined by newlines.
    pub(crate) data: String,
}

impl SseEvent {
    /// The data as JSON.
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.data)
            .unwrap_or_else(|e| panic!("event data is not JSON ({e}): {}", self.data))
    }

    /// The `id:` as a number.
    pub(crate) fn seq(&self) -> Option<u64> {
        self.id.as_deref().and_then(|s| s.parse().ok())
    }
}

/// Reads an SSE response event by event (comments and keep-alives are skipped).
#[derive(Debug)]
pub(crate) struct SseReader {
    resp: reqwest::Response,
    buf: String,
    done: bool,
}

impl SseReader {
    /// Wraps a response (which should be `text/event-stream`).
    pub(crate) fn new(resp: reqwest::Response) -> Self {
        SseReader {
            resp,
            buf: String::new(),
            done: false,
        }
    }

    fn take_event(&mut self) -> Option<Option<SseEvent>> {
        let norm = self.buf.replace("\r\n", "\n");
        let end = norm.find("\n\n")?;
        let block = norm[..end].to_owned();
        self.buf = norm[end + 2..].to_owned();
        let mut ev = SseEvent::default();
        let mut data = Vec::new();
        let mut any = false;
        for line in block.lines() {
            if line.starts_with(':') {
                continue;
            }
            let (field, value) = line.split_once(':').unwrap_or((line, ""));
            let value = value.strip_prefix(' ').unwrap_or(value);
            match field {
                "data" => {
                    data.push(value.to_owned());
                    any = true;
                }
                "id" => ev.id = Some(value.to_owned()),
                "event" => ev.event = Some(value.to_owned()),
                _ => {}
            }
        }
        if !any {
            return Some(None);
        }
        ev.data = data.join("\n");
        Some(Some(ev))
    }

    /// The next event, or `None` when the server closed the stream. Panics after 10 s of
    /// silence.
    pub(crate) async fn next(&mut self) -> Option<SseEvent> {
        loop {
            while let Some(ev) = self.take_event() {
                if let Some(ev) = ev {
                    return Some(ev);
                }
            }
            if self.done {
                return None;
            }
            let chunk = tokio::time::timeout(Duration::from_secs(10), self.resp.chunk())
                .await
                .expect("no SSE event within 10 s")
                .expect("reading the SSE stream");
            match chunk {
                Some(bytes) => self.buf.push_str(&String::from_utf8_lossy(&bytes)),
                None => self.done = true,
            }
        }
    }

    /// Every remaining event, until the server closes the stream.
    pub(crate) async fn collect(mut self) -> Vec<SseEvent> {
        let mut out = Vec::new();
        while let Some(ev) = self.next().await {
            out.push(ev);
        }
        out
    }
}

/// Polls `check` every 10 ms until it returns true; panics after `secs` seconds.
pub(crate) async fn eventually<F, Fut>(secs: u64, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "condition not met within {secs} s"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
