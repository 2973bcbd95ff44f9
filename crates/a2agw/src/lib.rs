//! The a2a-gateway binary's library half: configuration, and the wiring of store, engine,
//! providers and server. This is the only crate that names concrete providers.
//!
//! # Features
//! | feature | what it adds |
//! |---|---|
//! | `postgres` | the PostgreSQL store (`store.kind = "postgres"`) |
//! | `otel` | OpenTelemetry export of the request and task spans over OTLP/HTTP (`[telemetry]`, see [`telemetry`]) |
//! | `provider-langgraph` | the LangGraph Platform / Agent Server adapter (`[agent.langgraph]`) |
//! | `provider-azure` | the Azure AI Foundry Agent Service adapter (`[agent.azure]`) |
//! | `provider-bedrock` | the Amazon Bedrock Agents adapter (`[agent.bedrock]`) |
//! | `provider-vertex` | the Vertex AI Agent Engine adapter (`[agent.vertex]`) |
//! | `all-providers` | all four |

pub mod admin;
pub mod config;
pub mod providers;
pub mod telemetry;

use a2agw_provider::Upstreams;
use a2agw_registry::{Access, AgentDefinition, AgentRecord, CardSecurity, Registry, Snapshot};
use a2agw_server::{
    ApiKeyAuth, AppState, Authenticator, CardForm, CardSettings, CompositeAuth, Handler, JwtAuth,
    JwtConfig, JwtKeySource, Limits, PushSettings, PushWorker, Shutdown, StreamPolicy,
};
use a2agw_task::{Engine, EngineConfig, MemoryStore, TaskStore};
use a2agw_types::{AgentExtension, AgentSkill, binding};
use anyhow::{Context, Result, bail};
use config::Config;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Opens the configured store.
pub async fn open_store(config: &Config) -> Result<Arc<dyn TaskStore>> {
    Ok(match config.store.kind.as_str() {
        "memory" => Arc::new(MemoryStore::new()),
        "sqlite" => Arc::new(
            a2agw_task::SqliteStore::open_with(
                &config.store.path,
                match config.store.sqlite_synchronous {
                    config::SqliteSync::Normal => a2agw_task::SqliteSynchronous::Normal,
                    config::SqliteSync::Full => a2agw_task::SqliteSynchronous::Full,
                },
            )
            .await
            .with_context(|| format!("opening the SQLite store {}", config.store.path))?,
        ),
        #[cfg(feature = "postgres")]
        "postgres" if config.store.schema.is_empty() => Arc::new(
            a2agw_task::PostgresStore::connect(&config.store.url)
                .await
                .context("connecting to PostgreSQL")?,
        ),
        #[cfg(feature = "postgres")]
        "postgres" => Arc::new(
            a2agw_task::PostgresStore::connect_with_schema(&config.store.url, &config.store.schema)
                .await
                .context("connecting to PostgreSQL")?,
        ),
        other => bail!("store kind `{other}` is not available in this build"),
    })
}

/// What the operator says about an agent, as the registry builds its cards from it.
fn definition(def: &config::AgentDef) -> AgentDefinition {
    definition_of(&def.name, &def.card)
}

/// [`definition`] of the agent `name` that `a` describes.
pub(crate) fn definition_of(name: &str, a: &config::AgentSection) -> AgentDefinition {
    AgentDefinition {
        name: name.to_owned(),
        description: a.description.clone(),
        version: a.version.clone(),
        streaming: a.streaming,
        push_notifications: a.push_notifications,
        skills: a.skills.iter().map(skill).collect(),
        extended_skills: a.extended_skills.iter().map(skill).collect(),
        extensions: a
            .extensions
            .iter()
            .map(|e| AgentExtension {
                uri: e.uri.clone(),
                description: e.description.clone(),
                required: e.required,
                ..AgentExtension::default()
            })
            .collect(),
    }
}

/// The security schemes every card declares for the configured authentication, and
/// whether anonymous callers are served (else the cards require one scheme).
pub fn card_security(config: &Config) -> CardSecurity {
    let a = &config.auth;
    let mut security = CardSecurity::new(a.anonymous);
    if !a.api_keys.is_empty() {
        security = security.with_api_key(&a.api_key_header);
    }
    if a.jwt.is_some() {
        security = security.with_jwt_bearer();
    }
    security
}

/// The registry snapshot of the configured agents (the root one first), each provider
/// built. The configuration must have been checked.
pub async fn snapshot(config: &Config) -> Result<Snapshot> {
    let security = card_security(config);
    let mut records = Vec::new();
    for def in config.agent_defs() {
        let provider = providers::build(&def.card.provider)
            .await
            .with_context(|| format!("the agent `{}`", def.name))?;
        let access = Access::from_entries(&def.card.allow)
            .map_err(|e| anyhow::anyhow!("the agent `{}`: allow: {e}", def.name))?;
        let d = definition(&def);
        records.push(
            AgentRecord::new(def.name.clone(), d.card(&security), provider)
                .with_extended_card(d.extended_card(&security))
                .with_access(access),
        );
    }
    if records.is_empty() {
        bail!("no agent is configured");
    }
    Ok(Snapshot::new(records)?)
}

/// The configured authentication: API keys and/or JWT, anonymous access when allowed.
pub async fn authenticator(config: &Config) -> Result<Arc<dyn Authenticator>> {
    let a = &config.auth;
    let api = ApiKeyAuth {
        header: a.api_key_header.to_ascii_lowercase(),
        keys: a
            .api_keys
            .iter()
            .map(|(who, hash)| (hash.to_ascii_lowercase(), who.clone()))
            .collect(),
        anonymous: a.anonymous,
    };
    let mut composite = CompositeAuth::new(a.anonymous).with_api_keys(api);
    if let Some(j) = &a.jwt {
        let keys = if !j.jwks_url.is_empty() {
            JwtKeySource::JwksUrl(j.jwks_url.clone())
        } else if !j.public_key_file.is_empty() {
            JwtKeySource::PublicKeyPem(std::fs::read_to_string(&j.public_key_file).with_context(
                || format!("auth.jwt.public_key_file: reading {}", j.public_key_file),
            )?)
        } else {
            let secret = std::env::var(&j.hmac_secret_env).with_context(|| {
                format!(
                    "auth.jwt.hmac_secret_env: ${} is not set",
                    j.hmac_secret_env
                )
            })?;
            JwtKeySource::Secret(secret.into_bytes())
        };
        let mut jc = JwtConfig::new(&j.issuer, &j.audience, keys);
        if !j.principal_claim.is_empty() {
            jc.principal_claim.clone_from(&j.principal_claim);
        }
        jc.roles_claim.clone_from(&j.roles_claim);
        jc.anonymous = a.anonymous;
        composite = composite.with_jwt(JwtAuth::start(jc).await.context("auth.jwt")?);
    }
    Ok(Arc::new(composite))
}

fn skill(s: &config::SkillConfig) -> AgentSkill {
    AgentSkill {
        id: s.id.clone(),
        name: s.name.clone(),
        description: s.description.clone(),
        tags: s.tags.clone(),
        examples: s.examples.clone(),
        ..AgentSkill::default()
    }
}

/// The push delivery settings of `config` (the rest at their defaults).
pub fn push_settings(config: &Config) -> PushSettings {
    PushSettings {
        allow_private_targets: config.push.allow_private_targets,
        max_attempts: config.push.max_attempts.max(1),
        claim_ttl: Duration::from_secs(config.push.claim_ttl_secs.max(1)),
        ..PushSettings::default()
    }
}

/// Builds the application (store opened, engine started, push delivery started when the
/// agent declares push notifications) without binding a socket: the returned router serves
/// HTTP and gRPC (see [`a2agw_server::service`]). Beginning the returned state's
/// `shutdown` stops the push worker.
pub async fn build(config: &Config) -> Result<(AppState, axum::Router)> {
    a2agw_server::install_metrics();
    let store = open_store(config).await?;
    let registry = Arc::new(Registry::new(snapshot(config).await?));
    let engine = Engine::with_upstreams(
        store,
        Arc::clone(&registry) as Arc<dyn Upstreams>,
        EngineConfig {
            lease_ttl: Duration::from_secs(config.server.lease_ttl_secs.max(1)),
            recovery_interval: Duration::from_secs(config.server.lease_ttl_secs.clamp(1, 5)),
            ..EngineConfig::default()
        },
    );
    engine.start();
    let shutdown = Shutdown::default();
    let push = push_settings(config);
    let admin = match &config.admin {
        Some(a) => Some(start_admin(config, a, engine.store(), &registry, &shutdown).await?),
        None => None,
    };
    // A registered agent may declare push notifications at any time.
    if config.any_push() || admin.is_some() {
        start_push_delivery(
            config,
            engine.store(),
            &engine.config().instance_id,
            &shutdown,
        );
    }
    let auth = authenticator(config).await?;
    let s = &config.server;
    let handler = Handler::new(
        engine,
        registry,
        StreamPolicy {
            close_on_input_required: true,
            close_on_auth_required: s.close_stream_on_auth_required,
        },
    )
    .with_blocking_timeout(Duration::from_secs(s.request_timeout_secs.max(1)))
    .with_push_policy(push.policy());
    let state = AppState {
        handler,
        auth,
        limits: Limits::new(
            s.max_body_bytes,
            s.max_streams_per_client,
            Duration::from_secs(s.keep_alive_secs.max(1)),
            Duration::from_secs(s.request_timeout_secs.max(1)),
        ),
        card: CardSettings {
            public_url: (!s.public_url.is_empty()).then(|| s.public_url.clone()),
            trusted_proxies: trusted_proxies(s),
            interfaces: with_grpc(CardSettings::default().interfaces),
            grpc_address: match (s.grpc_listen.as_str(), s.grpc_public_address.as_str()) {
                ("", _) => None,
                (listen, "") => Some(listen.to_owned()),
                (_, public) => Some(public.to_owned()),
            },
            unversioned: match s.card_without_version {
                config::CardWithoutVersion::V1_0 => CardForm::V1_0,
                config::CardWithoutVersion::Hybrid => CardForm::Hybrid,
            },
            signing: signing_keys(config)?,
            ..CardSettings::default()
        },
        shutdown,
        admin,
    };
    // HTTP (JSON-RPC, REST, card, health) and gRPC on one port, switched on content type.
    let router = telemetry::with_remote_parent(a2agw_server::service(state.clone()));
    Ok((state, router))
}

/// Starts the registrations of the admin API: the agents registered in the store served
/// from now on, and polled for changes until shutdown.
async fn start_admin(
    config: &Config,
    a: &config::AdminConfig,
    store: &Arc<dyn TaskStore>,
    registry: &Arc<Registry>,
    shutdown: &Shutdown,
) -> Result<Arc<a2agw_server::Admin>> {
    let fetcher = a2agw_server::CardFetcher::new(a2agw_server::FetchSettings {
        allow_private: a.allow_private_card_urls,
        timeout: Duration::from_secs(a.card_timeout_secs),
        max_bytes: a.max_card_bytes,
        ..a2agw_server::FetchSettings::default()
    })
    .context("admin: the card fetcher")?;
    let registrations = Arc::new(admin::Registrations::new(
        Arc::clone(store),
        Arc::clone(registry),
        fetcher,
        card_security(config),
        a.max_agents,
    ));
    registrations
        .sync()
        .await
        .context("admin: reading the registered agents")?;
    registrations.spawn(shutdown);
    let auth = a2agw_server::AdminAuth {
        keys: a
            .api_keys
            .iter()
            .map(|(who, hash)| (hash.to_ascii_lowercase(), who.clone()))
            .collect(),
        role: (!a.jwt_role.is_empty()).then(|| a.jwt_role.clone()),
    };
    Ok(Arc::new(a2agw_server::Admin {
        auth,
        agents: registrations,
    }))
}

/// The card signing key of `[signing]` (none without the section).
pub fn signing_keys(config: &Config) -> Result<Vec<a2agw_signing::SigningKey>> {
    let Some(sg) = &config.signing else {
        return Ok(Vec::new());
    };
    let kid = (!sg.kid.is_empty()).then_some(sg.kid.as_str());
    let key = if sg.key_file.is_empty() {
        a2agw_signing::SigningKey::from_env(&sg.key_env, kid)
            .with_context(|| format!("signing.key_env: ${}", sg.key_env))?
    } else {
        a2agw_signing::SigningKey::from_pem_file(&sg.key_file, kid)
            .with_context(|| format!("signing.key_file: {}", sg.key_file))?
    };
    let key = if sg.jku.is_empty() {
        key
    } else {
        key.with_jku(sg.jku.clone())
    };
    tracing::info!(kid = key.kid(), alg = %key.alg(), "agent cards are signed");
    Ok(vec![key])
}

/// `server.trusted_proxies`, plus the loopback networks when the deprecated
/// `server.trust_forwarded_headers` is on (entries were checked by `Config::check`).
fn trusted_proxies(s: &config::ServerConfig) -> Vec<a2agw_server::IpNet> {
    let mut nets: Vec<_> = s
        .trusted_proxies
        .iter()
        .filter_map(|p| a2agw_server::parse_trusted_proxy(p).ok())
        .collect();
    if s.trust_forwarded_headers {
        tracing::warn!(
            "server.trust_forwarded_headers is deprecated: it trusts loopback proxies; \
             list them in server.trusted_proxies instead"
        );
        nets.extend(a2agw_server::loopback_proxies());
    }
    nets
}

/// Declares the gRPC binding (served on the HTTP port by [`a2agw_server::service`]) after
/// the other 1.0 interfaces.
fn with_grpc(
    mut interfaces: Vec<(&'static str, &'static str)>,
) -> Vec<(&'static str, &'static str)> {
    if !interfaces.iter().any(|(b, _)| *b == binding::GRPC) {
        let at = interfaces
            .iter()
            .position(|(_, v)| *v != "1.0")
            .unwrap_or(interfaces.len());
        interfaces.insert(at, (binding::GRPC, "1.0"));
    }
    interfaces
}

/// Starts push delivery: runs until shutdown begins; an event being POSTed then is sent
/// again on the next start (at least once).
fn start_push_delivery(
    config: &Config,
    store: &Arc<dyn TaskStore>,
    instance_id: &str,
    shutdown: &Shutdown,
) {
    drop(PushWorker::spawn(
        Arc::clone(store),
        PushSettings {
            // Claims on push configs carry the instance's id, as its task leases do.
            holder: Some(instance_id.to_owned()),
            ..push_settings(config)
        },
        shutdown.clone(),
    ));
}

/// Re-reads the configuration (`path`, then the environment overrides, as at start) and
/// serves its agents from now on: the registry's snapshot is swapped atomically, so
/// requests and streams in flight keep the agent they resolved, and tasks of an agent
/// that is gone keep running to their end. Only `[agent]` and `[agents]` are reloaded:
/// the cards keep the running authentication's schemes, and a change to another section
/// is logged as needing a restart. A configuration that does not check, or an agent whose
/// provider cannot be built, changes nothing. Returns the configuration now running.
pub async fn reload(state: &AppState, running: &Config, path: Option<&Path>) -> Result<Config> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let fresh = Config::load(path, &env)?;
    let mut restart = Vec::new();
    for (section, changed) in [
        ("server", fresh.server != running.server),
        ("store", fresh.store != running.store),
        ("auth", fresh.auth != running.auth),
        ("push", fresh.push != running.push),
        ("telemetry", fresh.telemetry != running.telemetry),
        ("admin", fresh.admin != running.admin),
        ("signing", fresh.signing != running.signing),
    ] {
        if changed {
            restart.push(section);
        }
    }
    if !restart.is_empty() {
        tracing::warn!(
            sections = %restart.join(", "),
            "reload: only [agent] and [agents] are reloaded; restart to apply the other changes"
        );
    }
    let next = Config {
        agent: fresh.agent,
        agents: fresh.agents,
        ..running.clone()
    };
    let snapshot = snapshot(&next).await?;
    if next.any_push() && !running.any_push() {
        let engine = state.handler.engine();
        start_push_delivery(
            &next,
            engine.store(),
            &engine.config().instance_id,
            &state.shutdown,
        );
    }
    state.handler.registry().replace(snapshot);
    Ok(next)
}

/// Reloads on every SIGHUP ([`reload`]) until shutdown begins; a refused reload is logged
/// and the agents served stay as they were.
#[cfg(unix)]
fn reload_on_sighup(state: AppState, config: Config, path: Option<PathBuf>) -> Result<()> {
    let mut hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        .context("listening for SIGHUP")?;
    tokio::spawn(async move {
        let mut running = config;
        loop {
            tokio::select! {
                () = state.shutdown.wait() => return,
                got = hangup.recv() => if got.is_none() { return },
            }
            match reload(&state, &running, path.as_deref()).await {
                Ok(next) => {
                    running = next;
                    let snapshot = state.handler.registry().snapshot();
                    let names: Vec<&str> = snapshot.names().collect();
                    tracing::info!(agents = %names.join(", "), "reloaded the agents (SIGHUP)");
                }
                Err(e) => tracing::error!(
                    error = format!("{e:#}"),
                    "reload refused (SIGHUP); still serving the previous agents"
                ),
            }
        }
    });
    Ok(())
}

/// Serves until `shutdown` resolves, then stops accepting, gives in-flight requests the
/// grace period, and returns.
pub async fn serve(
    config: &Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    serve_from(config, None, shutdown).await
}

/// [`serve`] a configuration read from `path` (`None`: the defaults and the environment),
/// reloading its agents from there on SIGHUP ([`reload`]).
pub async fn serve_from(
    config: &Config,
    path: Option<PathBuf>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let (state, mut router) = build(config).await?;
    #[cfg(unix)]
    reload_on_sighup(state.clone(), config.clone(), path)?;
    #[cfg(not(unix))]
    drop(path);
    // gRPC on its own address when configured; the HTTP port then serves HTTP only.
    let grpc_server = if config.server.grpc_listen.is_empty() {
        None
    } else {
        router = telemetry::with_remote_parent(a2agw_server::router(state.clone()));
        let listener = tokio::net::TcpListener::bind(&config.server.grpc_listen)
            .await
            .with_context(|| format!("listening for gRPC on {}", config.server.grpc_listen))?;
        tracing::info!(addr = %listener.local_addr()?, "gRPC listening");
        let stop = state.shutdown.clone();
        let grpc = telemetry::with_remote_parent(a2agw_server::grpc_routes(state.clone()));
        Some(tokio::spawn(async move {
            let grpc = grpc.into_make_service_with_connect_info::<a2agw_server::Connection>();
            let _ = axum::serve(a2agw_server::no_delay(listener), grpc)
                .with_graceful_shutdown(stop.wait())
                .await;
        }))
    };
    let listener = tokio::net::TcpListener::bind(&config.server.listen)
        .await
        .with_context(|| format!("listening on {}", config.server.listen))?;
    let addr = listener.local_addr()?;
    let agents: Vec<String> = config.agent_defs().into_iter().map(|d| d.name).collect();
    tracing::info!(%addr, store = %config.store.kind, agents = %agents.join(", "), "a2a-gateway listening");
    let grace = Duration::from_secs(config.server.shutdown_grace_secs);
    let signal = state.shutdown.clone();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    // The TCP peer (`Connection`) decides whether forwarded headers are trusted.
    let router = router.into_make_service_with_connect_info::<a2agw_server::Connection>();
    let server =
        axum::serve(a2agw_server::no_delay(listener), router).with_graceful_shutdown(async move {
            shutdown.await;
            signal.begin();
            tracing::info!("shutting down: no new connections; finishing in-flight requests");
            let _ = tx.send(());
        });
    let server = tokio::spawn(async move { server.await });
    let _ = rx.await;
    match tokio::time::timeout(grace, server).await {
        Ok(r) => r.context("server task")?.context("serving")?,
        Err(_) => tracing::warn!(?grace, "grace period over; closing remaining connections"),
    }
    if let Some(g) = grpc_server {
        let _ = tokio::time::timeout(grace, g).await;
    }
    // Everything accepted is made durable before the process exits; tasks still running
    // keep their lease, which expires, and the next start (or another instance) takes
    // them over.
    if let Err(e) = state.handler.engine().store().flush().await {
        tracing::error!(error = %e, "flushing the task store at shutdown failed");
    }
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on SIGTERM or SIGINT.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use a2agw_server::{CallError, Caller};
    use a2agw_types::{
        A2aRequest, ErrorCode, Message, Role, SendMessageConfiguration, SendMessageRequest,
        TaskPushNotificationConfig,
    };
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn config(toml_text: &str) -> Config {
        let mut c: Config = toml::from_str(toml_text).unwrap();
        c.store.kind = "memory".into();
        c.check().unwrap();
        c
    }

    /// Serves `cfg` on a runtime of its own thread (`serve`'s future borrows the config)
    /// until the returned sender fires; the handle gives `serve`'s result.
    fn serve_on_a_thread(
        cfg: Config,
    ) -> (
        tokio::sync::oneshot::Sender<()>,
        std::thread::JoinHandle<Result<()>>,
    ) {
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let server = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(serve(&cfg, async move {
                let _ = stop_rx.await;
            }))
        });
        (stop_tx, server)
    }

    fn send_with_webhook(url: &str) -> A2aRequest {
        A2aRequest::SendMessage(SendMessageRequest {
            message: Message::text(Role::User, "m-1", "hello"),
            configuration: Some(SendMessageConfiguration {
                task_push_notification_config: Some(TaskPushNotificationConfig {
                    url: url.to_owned(),
                    ..TaskPushNotificationConfig::default()
                }),
                ..SendMessageConfiguration::default()
            }),
            ..SendMessageRequest::default()
        })
    }

    /// `[push]` reaches the handler (the SSRF policy) and `build` starts the worker.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn push_config_is_wired() {
        // Default: loopback webhooks are refused at creation.
        let (state, _) = build(&config("")).await.unwrap();
        let err = state
            .handler
            .call(
                &Caller::anonymous(),
                send_with_webhook("http://127.0.0.1:9/h"),
            )
            .await
            .unwrap_err();
        match err {
            CallError::A2a(e) => assert_eq!(e.code, ErrorCode::InvalidParams, "{e:?}"),
            other => panic!("{other:?}"),
        }
        state.shutdown.begin();

        // Allowed: the worker POSTs the task's events to a local receiver.
        let hits = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&hits);
        let receiver = axum::Router::new().fallback(move || {
            let counter = Arc::clone(&counter);
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
                "ok"
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let serving = tokio::spawn(async move { axum::serve(listener, receiver).await });
        let (state, _) = build(&config("[push]\nallow_private_targets = true"))
            .await
            .unwrap();
        state
            .handler
            .call(
                &Caller::anonymous(),
                send_with_webhook(&format!("http://{addr}/hook")),
            )
            .await
            .unwrap();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while hits.load(Ordering::SeqCst) == 0 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "no notification within 10 s"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        state.shutdown.begin();
        serving.abort();
    }

    /// `provider = "conformance"` runs the TCK's scenarios; `[[agent.extensions]]` reach
    /// the card, and a required one is enforced.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_conformance_agent_and_declared_extensions() {
        let (state, _) = build(&config(
            "[agent]\nprovider = \"conformance\"\n\
             [[agent.extensions]]\nuri = \"urn:ext\"\ndescription = \"An extension\"\nrequired = true\n",
        ))
        .await
        .unwrap();
        let root = state.handler.root().unwrap();
        let ext = &root.card.capabilities.extensions;
        assert_eq!(ext.len(), 1);
        assert!(ext[0].required && ext[0].uri == "urn:ext");
        let send = |extensions: Vec<String>| {
            let state = state.clone();
            async move {
                let caller = Caller {
                    extensions,
                    ..Caller::anonymous()
                };
                let req = A2aRequest::SendMessage(SendMessageRequest {
                    message: Message::text(Role::User, "tck-message-response-1", "hi"),
                    ..SendMessageRequest::default()
                });
                state.handler.call(&caller, req).await
            }
        };
        match send(Vec::new()).await.unwrap_err() {
            CallError::A2a(e) => assert_eq!(e.code, ErrorCode::ExtensionSupportRequired, "{e:?}"),
            other => panic!("{other:?}"),
        }
        match send(vec!["urn:ext".into()]).await.unwrap() {
            a2agw_server::Reply::Unary(a2agw_types::A2aResponse::SendMessage(
                a2agw_types::SendMessageResponse::Message(m),
            )) => {
                assert_eq!(m.text_content(), "Direct message response");
            }
            other => panic!("{other:?}"),
        }
        state.shutdown.begin();
    }

    /// `[agents.<name>]`: every agent is built and served (the root one first), each with
    /// its own card and provider; a call for one agent's task through another fails.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn several_agents_are_served() {
        let (state, _) = build(&config(
            "[agents.echo]\ndescription = \"Echoes\"\n\
             [[agents.echo.skills]]\nid = \"e\"\nname = \"E\"\ndescription = \"Echoes\"\ntags = [\"t\"]\n\
             [agents.tck]\ndescription = \"TCK\"\npush_notifications = false\n\
             [agents.tck.provider]\nkind = \"conformance\"\n\
             [[agents.tck.skills]]\nid = \"t\"\nname = \"T\"\ndescription = \"TCK\"\ntags = [\"t\"]\n",
        ))
        .await
        .unwrap();
        let h = &state.handler;
        assert_eq!(h.root().unwrap().name, "echo");
        assert_eq!(
            h.registry().snapshot().names().collect::<Vec<_>>(),
            ["echo", "tck"]
        );
        let tck = h.agent_named("tck").unwrap();
        assert_eq!(tck.card.description, "TCK");
        assert_eq!(tck.card.capabilities.push_notifications, Some(false));
        let send = |agent: &str, id: &str| {
            let state = state.clone();
            let caller = Caller {
                agent: Some(agent.to_owned()),
                ..Caller::anonymous()
            };
            let req = A2aRequest::SendMessage(SendMessageRequest {
                message: Message::text(Role::User, id, "hi"),
                ..SendMessageRequest::default()
            });
            async move { state.handler.call(&caller, req).await }
        };
        // The conformance agent answers by messageId; the echo agent does not.
        match send("tck", "tck-message-response-1").await.unwrap() {
            a2agw_server::Reply::Unary(a2agw_types::A2aResponse::SendMessage(
                a2agw_types::SendMessageResponse::Message(m),
            )) => assert_eq!(m.text_content(), "Direct message response"),
            other => panic!("{other:?}"),
        }
        match send("echo", "tck-message-response-2").await.unwrap() {
            a2agw_server::Reply::Unary(a2agw_types::A2aResponse::SendMessage(
                a2agw_types::SendMessageResponse::Task(t),
            )) => {
                let get = A2aRequest::GetTask(a2agw_types::GetTaskRequest {
                    id: t.id.clone(),
                    ..Default::default()
                });
                let other = Caller {
                    agent: Some("tck".into()),
                    ..Caller::anonymous()
                };
                match state.handler.call(&other, get).await.unwrap_err() {
                    CallError::A2a(e) => assert_eq!(e.code, ErrorCode::TaskNotFound),
                    other => panic!("{other:?}"),
                }
            }
            other => panic!("{other:?}"),
        }
        state.shutdown.begin();
    }

    /// Two distinct free ports (both held while they are picked, so they cannot be the
    /// same one).
    fn free_ports() -> (u16, u16) {
        let a = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let b = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        (
            a.local_addr().unwrap().port(),
            b.local_addr().unwrap().port(),
        )
    }

    /// `server.trusted_proxies` and the deprecated `server.trust_forwarded_headers`
    /// (loopback) reach the card settings; `serve` knows each request's TCP peer, so
    /// forwarded headers count from a trusted peer (127.0.0.2) and not from another
    /// (127.0.0.1).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn trusted_proxies_are_wired() {
        let (state, _) = build(&config("[server]\ntrusted_proxies = [\"10.0.0.0/8\"]"))
            .await
            .unwrap();
        let nets: Vec<String> = state
            .card
            .trusted_proxies
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(nets, ["10.0.0.0/8"]);
        let (state, _) = build(&config(
            "[server]\ntrust_forwarded_headers = true\ntrusted_proxies = [\"10.0.0.0/8\"]",
        ))
        .await
        .unwrap();
        let nets: Vec<String> = state
            .card
            .trusted_proxies
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(nets, ["10.0.0.0/8", "127.0.0.0/8", "::1/128"]);

        let (http, _) = free_ports();
        let cfg = config(&format!(
            "[server]\nlisten = \"127.0.0.1:{http}\"\ntrusted_proxies = [\"127.0.0.2\"]"
        ));
        let (stop_tx, server) = serve_on_a_thread(cfg);
        let card_url = format!("http://127.0.0.1:{http}/.well-known/agent-card.json");
        let card_from = |ip: [u8; 4]| {
            let client = reqwest::Client::builder()
                .local_address(std::net::IpAddr::from(ip))
                .build()
                .unwrap();
            let url = card_url.clone();
            async move {
                for _ in 0..100 {
                    if let Ok(r) = client
                        .get(&url)
                        .header("x-forwarded-host", "gw.example.com")
                        .header("x-forwarded-proto", "https")
                        .send()
                        .await
                    {
                        return r.json::<serde_json::Value>().await.unwrap();
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                panic!("the gateway does not answer at {url}");
            }
        };
        let first_url = |card: &serde_json::Value| card["supportedInterfaces"][0]["url"].clone();
        let trusted = card_from([127, 0, 0, 2]).await;
        assert_eq!(first_url(&trusted), "https://gw.example.com/", "{trusted}");
        let untrusted = card_from([127, 0, 0, 1]).await;
        assert_eq!(
            first_url(&untrusted),
            format!("http://127.0.0.1:{http}/").as_str(),
            "{untrusted}"
        );
        let _ = stop_tx.send(());
        server.join().unwrap().unwrap();
    }

    /// `server.grpc_listen`: gRPC on its own port, advertised in the card; the HTTP port
    /// then serves HTTP only. `agent.extended_skills`: the extended card.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn grpc_apart_and_the_extended_card() {
        let (http, grpc) = free_ports();
        let toml = format!(
            "[server]\nlisten = \"127.0.0.1:{http}\"\ngrpc_listen = \"127.0.0.1:{grpc}\"\n\
             [store]\nkind = \"memory\"\n\
             [[agent.extended_skills]]\nid = \"x\"\nname = \"X\"\ndescription = \"Extra\"\ntags = [\"t\"]\n"
        );
        let cfg = config(&toml);
        let (stop_tx, server) = serve_on_a_thread(cfg);
        let client = reqwest::Client::new();
        let card_url = format!("http://127.0.0.1:{http}/.well-known/agent-card.json");
        let mut card = None;
        for _ in 0..100 {
            if let Ok(r) = client.get(&card_url).send().await {
                let status = r.status();
                let body = r.text().await.unwrap_or_default();
                assert!(
                    status.is_success(),
                    "GET {card_url}: {status} {body}; is the port taken?"
                );
                card = Some(
                    serde_json::from_str::<serde_json::Value>(&body).unwrap_or_else(|e| {
                        panic!("GET {card_url}: not a JSON card ({e}): {body:?}")
                    }),
                );
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let card = card.expect("the gateway answers");
        let grpc_url = card["supportedInterfaces"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["protocolBinding"] == "GRPC")
            .map(|i| i["url"].clone());
        assert_eq!(
            grpc_url,
            Some(serde_json::json!(format!("127.0.0.1:{grpc}")))
        );
        assert_eq!(card["capabilities"]["extendedAgentCard"], true);
        // The gRPC port answers gRPC (an empty GetTask is INVALID_ARGUMENT, status 3) ...
        let h2 = reqwest::Client::builder()
            .http2_prior_knowledge()
            .build()
            .unwrap();
        let r = h2
            .post(format!(
                "http://127.0.0.1:{grpc}/lf.a2a.v1.A2AService/GetTask"
            ))
            .header("content-type", "application/grpc")
            .header("te", "trailers")
            .body(vec![0u8, 0, 0, 0, 0])
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.headers().get("grpc-status").and_then(|v| v.to_str().ok()),
            Some("3")
        );
        // ... and the HTTP port no longer does (the request reaches JSON-RPC, which refuses it).
        let r = client
            .post(format!("http://127.0.0.1:{http}/"))
            .header("content-type", "application/grpc")
            .body(vec![0u8, 0, 0, 0, 0])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 415);
        // The extended card has the extra skill.
        let (state, _) = build(&config(&toml)).await.unwrap();
        let caller = Caller::new(a2agw_server::Principal::ApiKey("alice".into()));
        let reply = state
            .handler
            .call(
                &caller,
                A2aRequest::GetExtendedAgentCard(Default::default()),
            )
            .await
            .unwrap();
        match reply {
            a2agw_server::Reply::Unary(a2agw_types::A2aResponse::AgentCard(c)) => {
                assert!(c.skills.iter().any(|s| s.id == "x"));
            }
            other => panic!("{other:?}"),
        }
        state.shutdown.begin();
        let _ = stop_tx.send(());
        tokio::task::spawn_blocking(move || server.join().unwrap().unwrap())
            .await
            .unwrap();
    }
}
