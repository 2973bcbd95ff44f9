//! Agents registered at run time: the [`AgentAdmin`] behind `/admin/v1/agents`.
//!
//! A registration is a JSON object: `name`, `enabled` (default `true`) and the keys of an
//! `[agents.<name>]` section (`description`, `skills`, `provider = {kind = …}`, `allow`,
//! …), or, instead of the card's words, `card_url` (the agent's own card, fetched through
//! the SSRF guard, validated, its signature checked against `trusted_keys`, and fetched
//! again every `refresh_secs` with `If-None-Match`).
//!
//! It is stored in the task store's database (`TaskStore::put_agent`) as
//! `{"enabled", "spec", "card", "etag", "fetchedMs"}` — `spec` the registration as
//! given, `card` the fetched card as received — and every instance sharing the database
//! polls its revision once a second and serves what it holds ([`Registrations::sync`]).
//!
//! **Invariant:** a registration is checked whole (its fields, its card, its provider
//! built) before it is stored, and served only once it is stored: a refused request
//! changes nothing, so there is never a half-registered agent.

use crate::config::{AgentSection, TrustPolicyConfig, TrustedKeysConfig};
use a2agw_registry::{
    Access, AgentRecord, CardSecurity, Origin, Registry, adopt_card, check_agent_name,
};
use a2agw_server::{
    AdminAgent, AdminError, AgentAdmin, CardFetcher, FetchError, Fetched, FetchedCard, Shutdown,
};
use a2agw_task::{StoreError, StoredAgent, TaskStore};
use a2agw_types::AgentCard;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How often every instance looks for registrations written by another.
pub const POLL_INTERVAL: Duration = Duration::from_secs(1);

/// The registrations of the store, served through the registry.
#[derive(Debug)]
pub struct Registrations {
    store: Arc<dyn TaskStore>,
    registry: Arc<Registry>,
    fetcher: CardFetcher,
    security: CardSecurity,
    max_agents: usize,
    /// What this instance serves; held while a change is applied, so that changes apply
    /// one at a time.
    built: tokio::sync::Mutex<Built>,
}

#[derive(Debug, Default)]
struct Built {
    /// The store revision last read (`None`: never).
    revision: Option<i64>,
    agents: BTreeMap<String, Entry>,
}

#[derive(Debug)]
struct Entry {
    version: i64,
    /// Served: enabled and built.
    record: Option<Arc<AgentRecord>>,
    /// Why it is not served although enabled, or why its last refresh failed.
    error: Option<String>,
    /// When its card was last fetched or checked by this instance.
    checked: Instant,
    /// How often its card is fetched again (an enabled agent with a `card_url`).
    refresh: Option<Duration>,
}

/// How often the card of a stored document is fetched again, if it is.
fn refresh_of(doc: &Doc) -> Option<Duration> {
    let url = doc.spec.get("card_url").and_then(Value::as_str)?;
    if !doc.enabled || url.is_empty() {
        return None;
    }
    let secs = doc
        .spec
        .get("refresh_secs")
        .and_then(Value::as_u64)
        .unwrap_or(AgentSection::default().refresh_secs);
    Some(Duration::from_secs(secs.max(10)))
}

/// A registration, read and checked.
#[derive(Debug)]
struct Registration {
    name: String,
    enabled: bool,
    /// As given, without `name` and `enabled`.
    spec: Value,
    section: AgentSection,
}

/// The stored document of an agent.
#[derive(Debug, Clone)]
struct Doc {
    enabled: bool,
    spec: Value,
    card: Option<Value>,
    etag: Option<String>,
    fetched_ms: Option<i64>,
}

impl Doc {
    fn to_value(&self) -> Value {
        json!({
            "enabled": self.enabled,
            "spec": self.spec,
            "card": self.card,
            "etag": self.etag,
            "fetchedMs": self.fetched_ms,
        })
    }

    fn read(value: &Value) -> Result<Doc, String> {
        let enabled = value
            .get("enabled")
            .and_then(Value::as_bool)
            .ok_or("the stored registration has no `enabled`")?;
        let spec = value
            .get("spec")
            .filter(|s| s.is_object())
            .cloned()
            .ok_or("the stored registration has no `spec`")?;
        Ok(Doc {
            enabled,
            spec,
            card: value.get("card").filter(|c| c.is_object()).cloned(),
            etag: value.get("etag").and_then(Value::as_str).map(str::to_owned),
            fetched_ms: value.get("fetchedMs").and_then(Value::as_i64),
        })
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Reads the keys of a section from `spec`, naming the field at fault.
fn section_of(spec: &Value) -> Result<AgentSection, AdminError> {
    let section: AgentSection = serde_path_to_error::deserialize(spec).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." { String::new() } else { path };
        AdminError::invalid(field, e.into_inner().to_string())
    })?;
    if let Some((field, why)) = section.problem() {
        return Err(AdminError::invalid(field, why));
    }
    Ok(section)
}

/// Reads a request body: a JSON object with `name` (unless `path_name` gives it),
/// `enabled` and a section's keys.
fn registration(body: Value, path_name: Option<&str>) -> Result<Registration, AdminError> {
    let Value::Object(mut map) = body else {
        return Err(AdminError::invalid("", "the body must be a JSON object"));
    };
    let name = match (map.remove("name"), path_name) {
        (None, Some(p)) => p.to_owned(),
        (Some(Value::String(n)), Some(p)) if n != p => {
            return Err(AdminError::invalid(
                "name",
                format!(
                    "`{n}` differs from the agent in the path, `{p}` (an agent cannot be renamed)"
                ),
            ));
        }
        (Some(Value::String(n)), _) => n,
        (Some(_), _) => return Err(AdminError::invalid("name", "must be a string")),
        (None, None) => return Err(AdminError::invalid("name", "required")),
    };
    check_agent_name(&name).map_err(|e| AdminError::invalid("name", e.to_string()))?;
    let enabled = match map.remove("enabled") {
        None => true,
        Some(Value::Bool(b)) => b,
        Some(_) => return Err(AdminError::invalid("enabled", "must be true or false")),
    };
    let spec = Value::Object(map);
    let section = section_of(&spec)?;
    Ok(Registration {
        name,
        enabled,
        spec,
        section,
    })
}

/// What a failed fetch means to the admin: the card URL is wrong (400) or the upstream
/// failed (502).
fn fetch_error(e: &FetchError) -> AdminError {
    let message = e.to_string();
    match e {
        FetchError::Timeout { .. } | FetchError::Connection { .. } | FetchError::Client(_) => {
            AdminError::Upstream {
                field: "card_url".into(),
                message,
            }
        }
        FetchError::Status { status, .. } if *status >= 500 => AdminError::Upstream {
            field: "card_url".into(),
            message,
        },
        _ => AdminError::invalid("card_url", message),
    }
}

/// The trusted keys of a section and its policy.
fn trust(
    keys: &TrustedKeysConfig,
) -> Result<(a2agw_signing::TrustedKeys, a2agw_signing::TrustPolicy), AdminError> {
    use a2agw_signing::{TrustPolicy, TrustedKeys};
    let policy = match keys.policy {
        TrustPolicyConfig::Off => TrustPolicy::Off,
        TrustPolicyConfig::VerifyIfPresent => TrustPolicy::VerifyIfPresent,
        TrustPolicyConfig::Require => TrustPolicy::Require,
    };
    let trusted = if let Some(jwks) = &keys.jwks {
        TrustedKeys::from_jwks_json(&jwks.to_string())
            .map_err(|e| AdminError::invalid("trusted_keys.jwks", e.to_string()))?
    } else if !keys.jwks_file.is_empty() {
        TrustedKeys::from_jwks_file(&keys.jwks_file)
            .map_err(|e| AdminError::invalid("trusted_keys.jwks_file", e.to_string()))?
    } else {
        TrustedKeys::new()
    };
    Ok((trusted, policy))
}

/// Checks a fetched card's signatures against the section's trusted keys.
fn verify(section: &AgentSection, raw: &Value) -> Result<(), AdminError> {
    let (keys, policy) = trust(&section.trusted_keys)?;
    a2agw_signing::verify_card(raw, &keys, policy)
        .map(drop)
        .map_err(|e| {
            AdminError::invalid(
                "card_url",
                format!(
                    "the card's signature is refused (trusted_keys, policy {:?}): {e}",
                    section.trusted_keys.policy
                ),
            )
        })
}

/// The 1.0 card of a stored (as received) card.
fn stored_card(raw: &Value) -> Result<AgentCard, String> {
    a2agw_server::card_from_json(raw).map_err(|e| format!("the stored card does not read: {e}"))
}

impl Registrations {
    /// Registrations in `store`, served through `registry` with cards declaring `security`.
    pub fn new(
        store: Arc<dyn TaskStore>,
        registry: Arc<Registry>,
        fetcher: CardFetcher,
        security: CardSecurity,
        max_agents: usize,
    ) -> Self {
        Registrations {
            store,
            registry,
            fetcher,
            security,
            max_agents,
            built: tokio::sync::Mutex::new(Built::default()),
        }
    }

    /// Polls the store every [`POLL_INTERVAL`] and serves what it holds, and fetches each
    /// card again when its `refresh_secs` are over, until shutdown.
    pub fn spawn(self: &Arc<Self>, shutdown: &Shutdown) {
        let me = Arc::clone(self);
        let stop = shutdown.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(POLL_INTERVAL);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let stopped = stop.wait();
            tokio::pin!(stopped);
            loop {
                tokio::select! {
                    () = &mut stopped => return,
                    _ = tick.tick() => {}
                }
                if let Err(e) = me.sync().await {
                    tracing::warn!(error = %e, "reading the registered agents failed; serving the ones held");
                }
                me.refresh_due().await;
            }
        });
    }

    /// Serves what the store holds now (only the agents whose registration changed are
    /// built again). The first call at start.
    pub async fn sync(&self) -> Result<(), StoreError> {
        let revision = self.store.agents_revision().await?;
        let mut built = self.built.lock().await;
        if built.revision == Some(revision) {
            return Ok(());
        }
        let (revision, rows) = self.store.list_agents().await?;
        let mut next = BTreeMap::new();
        for row in rows {
            match built.agents.remove(&row.name) {
                Some(entry) if entry.version == row.version => {
                    next.insert(row.name, entry);
                }
                _ => {
                    let entry = self.entry_of(&row).await;
                    next.insert(row.name, entry);
                }
            }
        }
        built.agents = next;
        built.revision = Some(revision);
        self.publish(&built);
        Ok(())
    }

    /// Builds what a stored row says (a failure is kept in the entry and logged).
    async fn entry_of(&self, row: &StoredAgent) -> Entry {
        let refresh = Doc::read(&row.doc).ok().as_ref().and_then(refresh_of);
        let result = async {
            let doc = Doc::read(&row.doc)?;
            if !doc.enabled {
                return Ok(None);
            }
            let section = section_of(&doc.spec).map_err(|e| e.to_string())?;
            let card = match &doc.card {
                Some(raw) => Some(stored_card(raw)?),
                None if !section.card_url.is_empty() => {
                    return Err("no card was stored".to_owned());
                }
                None => None,
            };
            self.record(&row.name, &section, card.as_ref(), row.version)
                .await
                .map(Some)
                .map_err(|e| e.to_string())
        }
        .await;
        match result {
            Ok(record) => Entry {
                version: row.version,
                record: record.map(Arc::new),
                error: None,
                checked: Instant::now(),
                refresh,
            },
            Err(e) => {
                tracing::error!(agent = %row.name, version = row.version, error = %e, "a registered agent cannot be served");
                Entry {
                    version: row.version,
                    record: None,
                    error: Some(e),
                    checked: Instant::now(),
                    refresh,
                }
            }
        }
    }

    /// The record of a registration (its provider built).
    async fn record(
        &self,
        name: &str,
        section: &AgentSection,
        fetched: Option<&AgentCard>,
        version: i64,
    ) -> Result<AgentRecord, AdminError> {
        let access =
            Access::from_entries(&section.allow).map_err(|e| AdminError::invalid("allow", e))?;
        let provider = crate::providers::build(&section.provider)
            .await
            .map_err(|e| AdminError::invalid("provider", format!("{e:#}")))?;
        let (card, extended) = match fetched {
            Some(upstream) => (
                adopt_card(
                    upstream,
                    section.streaming,
                    section.push_notifications,
                    &self.security,
                ),
                None,
            ),
            None => {
                let def = crate::definition_of(name, section);
                (def.card(&self.security), def.extended_card(&self.security))
            }
        };
        Ok(AgentRecord::new(name, card, provider)
            .with_extended_card(extended)
            .with_access(access)
            .with_origin(Origin::Admin { version }))
    }

    /// Serves the built records.
    fn publish(&self, built: &Built) {
        let shadowed = self
            .registry
            .set_registered(built.agents.values().filter_map(|e| e.record.clone()));
        for name in shadowed {
            tracing::warn!(agent = %name, "a registered agent has the name of a configured one: the configured one is served");
        }
    }

    /// Fetches the card of `section` (with `etag`) and checks its signature: `None` when
    /// it is unchanged.
    async fn fetch(
        &self,
        section: &AgentSection,
        etag: Option<&str>,
    ) -> Result<Option<FetchedCard>, AdminError> {
        match self.fetcher.fetch(&section.card_url, etag).await {
            Ok(Fetched::NotModified) => Ok(None),
            Ok(Fetched::Card(card)) => {
                verify(section, &card.raw)?;
                Ok(Some(card))
            }
            Err(e) => Err(fetch_error(&e)),
        }
    }

    /// Stores `doc` for `name` (`expected`: the version it replaces, `None`: a new one),
    /// then serves `record`.
    async fn commit(
        &self,
        name: &str,
        doc: &Doc,
        expected: Option<i64>,
        record: Option<AgentRecord>,
    ) -> Result<AdminAgent, AdminError> {
        let mut built = self.built.lock().await;
        let stored = self
            .store
            .put_agent(name, &doc.to_value(), expected)
            .await
            .map_err(|e| match e {
                StoreError::AlreadyExists(_) => {
                    AdminError::Conflict(format!("an agent named `{name}` is already registered"))
                }
                StoreError::NotFound(_) => AdminError::NotFound(name.to_owned()),
                StoreError::Conflict(_) => AdminError::PreconditionFailed(format!(
                    "the agent `{name}` was changed meanwhile: read it again"
                )),
                other => AdminError::Internal(format!("storing the registration failed: {other}")),
            })?;
        let record = record.map(|r| {
            Arc::new(r.with_origin(Origin::Admin {
                version: stored.version,
            }))
        });
        built.agents.insert(
            name.to_owned(),
            Entry {
                version: stored.version,
                record,
                error: None,
                checked: Instant::now(),
                refresh: refresh_of(doc),
            },
        );
        self.publish(&built);
        let entry = built.agents.get(name);
        Ok(view(&stored, entry))
    }

    async fn row(&self, name: &str) -> Result<StoredAgent, AdminError> {
        if self.registry.is_configured(name) {
            return Err(AdminError::Conflict(format!(
                "`{name}` is defined in the configuration file: change it there"
            )));
        }
        self.store
            .get_agent(name)
            .await
            .map_err(|e| AdminError::Internal(format!("reading the registration failed: {e}")))?
            .ok_or_else(|| AdminError::NotFound(name.to_owned()))
    }

    /// Checks `reg` whole — its card fetched and verified (reusing `previous`'s card
    /// when the upstream answers 304), its record built — and gives the document to
    /// store and the record to serve.
    async fn prepare(
        &self,
        reg: &Registration,
        previous: Option<&Doc>,
    ) -> Result<(Doc, Option<AgentRecord>), AdminError> {
        let s = &reg.section;
        let mut doc = Doc {
            enabled: reg.enabled,
            spec: reg.spec.clone(),
            card: None,
            etag: None,
            fetched_ms: None,
        };
        let mut card = None;
        if !s.card_url.is_empty() {
            let same_url = previous
                .and_then(|p| p.spec.get("card_url"))
                .and_then(Value::as_str)
                == Some(s.card_url.as_str());
            let etag = previous
                .filter(|p| same_url && p.card.is_some())
                .and_then(|p| p.etag.as_deref());
            match self.fetch(s, etag).await? {
                Some(fetched) => {
                    doc.card = Some(fetched.raw);
                    doc.etag = fetched.etag;
                    card = Some(fetched.card);
                }
                None => {
                    let p = previous.ok_or_else(|| {
                        AdminError::Internal("the upstream answered 304 to a first fetch".into())
                    })?;
                    let raw = p.card.clone().unwrap_or(Value::Null);
                    verify(s, &raw)?;
                    card = Some(stored_card(&raw).map_err(AdminError::Internal)?);
                    doc.card = Some(raw);
                    doc.etag.clone_from(&p.etag);
                }
            }
            doc.fetched_ms = Some(now_ms());
        }
        // Built even when disabled: a registration that could not be served is refused now.
        let record = self.record(&reg.name, s, card.as_ref(), 0).await?;
        Ok((doc, reg.enabled.then_some(record)))
    }

    /// Fetches again the cards whose `refresh_secs` are over.
    async fn refresh_due(&self) {
        let due: Vec<String> = {
            let built = self.built.lock().await;
            built
                .agents
                .iter()
                .filter(|(_, e)| e.refresh.is_some_and(|every| e.checked.elapsed() >= every))
                .map(|(n, _)| n.clone())
                .collect()
        };
        for name in due {
            let row = match self.store.get_agent(&name).await {
                Ok(Some(row)) => row,
                Ok(None) => continue,
                Err(e) => {
                    tracing::warn!(agent = %name, error = %e, "reading a registration to refresh it failed");
                    continue;
                }
            };
            let result = match Doc::read(&row.doc) {
                Ok(doc) => self.refresh_row(&row, doc).await.map(drop),
                Err(e) => Err(AdminError::Internal(e)),
            };
            if let Err(e) = result {
                tracing::warn!(agent = %name, error = %e, "refreshing an agent's card failed; serving the card held");
                self.mark_checked(&name, Some(e.to_string())).await;
            }
        }
    }

    async fn mark_checked(&self, name: &str, error: Option<String>) {
        let mut built = self.built.lock().await;
        if let Some(e) = built.agents.get_mut(name) {
            e.checked = Instant::now();
            e.error = error;
        }
    }

    /// Fetches `row`'s card again: unchanged (304, or the same card) → nothing stored;
    /// changed → checked, stored and served.
    async fn refresh_row(&self, row: &StoredAgent, doc: Doc) -> Result<AdminAgent, AdminError> {
        let reg = Registration {
            name: row.name.clone(),
            enabled: doc.enabled,
            section: section_of(&doc.spec)?,
            spec: doc.spec.clone(),
        };
        let fetched = self.fetch(&reg.section, doc.etag.as_deref()).await?;
        let unchanged = match &fetched {
            None => true,
            Some(f) => doc.card.as_ref() == Some(&f.raw),
        };
        if unchanged {
            self.mark_checked(&row.name, None).await;
            let built = self.built.lock().await;
            return Ok(view(row, built.agents.get(&row.name)));
        }
        let (next, record) = self.prepare(&reg, Some(&doc)).await?;
        tracing::info!(agent = %row.name, "the agent's card changed upstream; serving the new one");
        self.commit(&row.name, &next, Some(row.version), record)
            .await
    }
}

/// How the admin API shows a registered agent.
fn view(row: &StoredAgent, entry: Option<&Entry>) -> AdminAgent {
    let doc = Doc::read(&row.doc).ok();
    let mut v = Map::new();
    v.insert("name".into(), json!(row.name));
    v.insert("source".into(), json!("admin"));
    v.insert("version".into(), json!(row.version));
    if let Some(doc) = &doc {
        v.insert("enabled".into(), json!(doc.enabled));
        v.insert("spec".into(), doc.spec.clone());
        if doc.card.is_some() {
            v.insert(
                "fetched".into(),
                json!({"etag": doc.etag, "atMs": doc.fetched_ms}),
            );
        }
    }
    v.insert("createdMs".into(), json!(row.created_ms));
    v.insert("updatedMs".into(), json!(row.updated_ms));
    let served = entry.and_then(|e| e.record.as_ref());
    v.insert("served".into(), json!(served.is_some()));
    if let Some(record) = served {
        v.insert(
            "card".into(),
            serde_json::to_value(&record.card).unwrap_or(Value::Null),
        );
    }
    if let Some(error) = entry.and_then(|e| e.error.as_ref()) {
        v.insert("error".into(), json!(error));
    }
    AdminAgent {
        name: row.name.clone(),
        version: Some(row.version),
        view: Value::Object(v),
    }
}

/// How the admin API shows a configured agent.
fn configured_view(record: &AgentRecord) -> AdminAgent {
    AdminAgent {
        name: record.name.clone(),
        version: None,
        view: json!({
            "name": record.name,
            "source": "config",
            "enabled": true,
            "served": true,
            "card": serde_json::to_value(&record.card).unwrap_or(Value::Null),
        }),
    }
}

fn store_failed(e: &StoreError) -> AdminError {
    AdminError::Internal(format!("the store failed: {e}"))
}

#[async_trait::async_trait]
impl AgentAdmin for Registrations {
    async fn list(&self) -> Result<Vec<AdminAgent>, AdminError> {
        let (_, rows) = self
            .store
            .list_agents()
            .await
            .map_err(|e| store_failed(&e))?;
        let snapshot = self.registry.snapshot();
        let mut all: BTreeMap<String, AdminAgent> = snapshot
            .iter()
            .filter(|r| r.origin == Origin::Config)
            .map(|r| (r.name.clone(), configured_view(r)))
            .collect();
        let built = self.built.lock().await;
        for row in &rows {
            if !all.contains_key(&row.name) {
                all.insert(row.name.clone(), view(row, built.agents.get(&row.name)));
            }
        }
        Ok(all.into_values().collect())
    }

    async fn get(&self, name: &str) -> Result<AdminAgent, AdminError> {
        if let Some(record) = self
            .registry
            .snapshot()
            .get(name)
            .filter(|r| r.origin == Origin::Config)
        {
            return Ok(configured_view(record));
        }
        let row = self.row(name).await?;
        let built = self.built.lock().await;
        Ok(view(&row, built.agents.get(name)))
    }

    async fn create(&self, body: Value) -> Result<AdminAgent, AdminError> {
        let reg = registration(body, None)?;
        if self.registry.is_configured(&reg.name) {
            return Err(AdminError::Conflict(format!(
                "`{}` is the name of an agent of the configuration file",
                reg.name
            )));
        }
        let (_, rows) = self
            .store
            .list_agents()
            .await
            .map_err(|e| store_failed(&e))?;
        if rows.iter().any(|r| r.name == reg.name) {
            return Err(AdminError::Conflict(format!(
                "an agent named `{}` is already registered",
                reg.name
            )));
        }
        if rows.len() >= self.max_agents {
            return Err(AdminError::Conflict(format!(
                "at most {} agents may be registered (admin.max_agents)",
                self.max_agents
            )));
        }
        let (doc, record) = self.prepare(&reg, None).await?;
        let agent = self.commit(&reg.name, &doc, None, record).await?;
        tracing::info!(agent = %reg.name, "agent registered");
        Ok(agent)
    }

    async fn replace(
        &self,
        name: &str,
        body: Value,
        if_match: Option<i64>,
    ) -> Result<AdminAgent, AdminError> {
        let row = self.row(name).await?;
        if if_match.is_some_and(|v| v != row.version) {
            return Err(AdminError::PreconditionFailed(format!(
                "the agent `{name}` is at version {}",
                row.version
            )));
        }
        let reg = registration(body, Some(name))?;
        let previous = Doc::read(&row.doc).ok();
        let (doc, record) = self.prepare(&reg, previous.as_ref()).await?;
        let agent = self.commit(name, &doc, Some(row.version), record).await?;
        tracing::info!(agent = %name, "agent registration replaced");
        Ok(agent)
    }

    async fn delete(&self, name: &str, if_match: Option<i64>) -> Result<(), AdminError> {
        let row = self.row(name).await?;
        let expected = Some(if_match.unwrap_or(row.version));
        let mut built = self.built.lock().await;
        match self.store.delete_agent(name, expected).await {
            Ok(true) => {}
            Ok(false) => return Err(AdminError::NotFound(name.to_owned())),
            Err(StoreError::Conflict(_)) => {
                return Err(AdminError::PreconditionFailed(format!(
                    "the agent `{name}` is not at that version"
                )));
            }
            Err(e) => return Err(store_failed(&e)),
        }
        built.agents.remove(name);
        self.publish(&built);
        tracing::info!(agent = %name, "agent removed");
        Ok(())
    }

    async fn set_enabled(&self, name: &str, enabled: bool) -> Result<AdminAgent, AdminError> {
        let row = self.row(name).await?;
        let mut doc = Doc::read(&row.doc).map_err(AdminError::Internal)?;
        if doc.enabled == enabled {
            let built = self.built.lock().await;
            return Ok(view(&row, built.agents.get(name)));
        }
        doc.enabled = enabled;
        let record = if enabled {
            let section = section_of(&doc.spec)?;
            let card = match &doc.card {
                Some(raw) => Some(stored_card(raw).map_err(AdminError::Internal)?),
                None => None,
            };
            Some(
                self.record(name, &section, card.as_ref(), row.version)
                    .await?,
            )
        } else {
            None
        };
        let agent = self.commit(name, &doc, Some(row.version), record).await?;
        tracing::info!(agent = %name, enabled, "agent switched");
        Ok(agent)
    }

    async fn refresh(&self, name: &str) -> Result<AdminAgent, AdminError> {
        let row = self.row(name).await?;
        let doc = Doc::read(&row.doc).map_err(AdminError::Internal)?;
        if doc
            .spec
            .get("card_url")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
        {
            return Err(AdminError::invalid(
                "card_url",
                format!("`{name}` has no card URL: its card is described inline"),
            ));
        }
        self.refresh_row(&row, doc).await
    }
}
