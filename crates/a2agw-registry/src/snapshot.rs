//! Records, immutable snapshots of them, and the registry that swaps snapshots.

use crate::Access;
use a2agw_provider::{Provider, Route, TaskContext, Upstreams};
use a2agw_types::AgentCard;
use arc_swap::ArcSwap;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

/// Where an agent was defined.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Origin {
    /// The configuration file (`[agent]`, `[agents.<name>]`): changed by a reload.
    #[default]
    Config,
    /// Registered at run time through the admin API, stored in the task store's
    /// database; `version` is the stored registration's.
    Admin {
        /// The registration's version (1 when created, +1 per write).
        version: i64,
    },
}

/// One agent the gateway serves.
#[derive(Clone, Debug)]
pub struct AgentRecord {
    /// Its name: the `/agents/{name}` path segment, the `tenant` that selects it, the
    /// agent recorded with its tasks.
    pub name: String,
    /// The public card (capabilities gate the operations; interfaces are filled in by the
    /// server).
    pub card: AgentCard,
    /// The card for authenticated callers, when there is one.
    pub extended_card: Option<AgentCard>,
    /// Who may use it.
    pub access: Access,
    /// What runs its tasks.
    pub provider: Arc<dyn Provider>,
    /// Where it was defined.
    pub origin: Origin,
}

impl AgentRecord {
    /// `name` with `card`, run by `provider`, open to every caller, without an extended
    /// card.
    pub fn new(name: impl Into<String>, card: AgentCard, provider: Arc<dyn Provider>) -> Self {
        AgentRecord {
            name: name.into(),
            card,
            extended_card: None,
            access: Access::Everyone,
            provider,
            origin: Origin::Config,
        }
    }

    /// Defined there.
    #[must_use]
    pub fn with_origin(mut self, origin: Origin) -> Self {
        self.origin = origin;
        self
    }

    /// With this extended card.
    #[must_use]
    pub fn with_extended_card(mut self, card: Option<AgentCard>) -> Self {
        self.extended_card = card;
        self
    }

    /// With this access policy.
    #[must_use]
    pub fn with_access(mut self, access: Access) -> Self {
        self.access = access;
        self
    }
}

/// Why a snapshot could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    /// Two records have the same name.
    #[error("the agent `{0}` is defined twice")]
    Duplicate(String),
    /// A name that cannot be a path segment.
    #[error("{0}")]
    BadName(String),
}

/// Checks that `name` can name an agent: 1 to 64 ASCII letters, digits, `-`, `_` or `.`,
/// not `.` or `..` (it is the path segment of `/agents/{name}`).
pub fn check_agent_name(name: &str) -> Result<(), RegistryError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && name != "."
        && name != "..";
    if ok {
        Ok(())
    } else {
        Err(RegistryError::BadName(format!(
            "`{name}`: an agent name is 1 to 64 letters, digits, `-`, `_` or `.` (it is a path segment of /agents/<name>)"
        )))
    }
}

/// An immutable set of agents; the first one given is served at the gateway's root.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    agents: BTreeMap<String, Arc<AgentRecord>>,
    root: Option<Arc<AgentRecord>>,
}

impl Snapshot {
    /// The snapshot of `records`, the first at the root; names must be valid and distinct.
    pub fn new(records: impl IntoIterator<Item = AgentRecord>) -> Result<Self, RegistryError> {
        Snapshot::of(records.into_iter().map(Arc::new))
    }

    /// [`Snapshot::new`] of shared records.
    pub fn of(records: impl IntoIterator<Item = Arc<AgentRecord>>) -> Result<Self, RegistryError> {
        let mut snapshot = Snapshot::default();
        for record in records {
            check_agent_name(&record.name)?;
            if snapshot.agents.contains_key(&record.name) {
                return Err(RegistryError::Duplicate(record.name.clone()));
            }
            if snapshot.root.is_none() {
                snapshot.root = Some(Arc::clone(&record));
            }
            snapshot.agents.insert(record.name.clone(), record);
        }
        Ok(snapshot)
    }

    /// The agent served at the gateway's root, if any agent is served.
    pub fn root(&self) -> Option<&Arc<AgentRecord>> {
        self.root.as_ref()
    }

    /// The agent named `name`.
    pub fn get(&self, name: &str) -> Option<&Arc<AgentRecord>> {
        self.agents.get(name)
    }

    /// Every agent, by name.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<AgentRecord>> {
        self.agents.values()
    }

    /// The agents' names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.agents.keys().map(String::as_str)
    }

    /// How many agents.
    pub fn len(&self) -> usize {
        self.agents.len()
    }

    /// Whether no agent is served.
    pub fn is_empty(&self) -> bool {
        self.agents.is_empty()
    }

    /// Its records, the root first.
    pub fn into_records(self) -> Vec<Arc<AgentRecord>> {
        let root = self.root;
        let mut records: Vec<_> = root.iter().cloned().collect();
        records.extend(
            self.agents
                .into_values()
                .filter(|r| root.as_ref().is_none_or(|root| root.name != r.name)),
        );
        records
    }

    /// Whether `name` is the root agent.
    pub fn is_root(&self, name: &str) -> bool {
        self.root.as_ref().is_some_and(|r| r.name == name)
    }

    /// The agent a request is for: the one its path names (`path`: `/agents/{name}/…`;
    /// `None` when no such agent is served), else the one its `tenant` names, else — no
    /// tenant, or a gateway with one agent — the root agent. A tenant that names no agent
    /// of a gateway with several gives `None`: it never reaches another agent.
    pub fn resolve(&self, path: Option<&str>, tenant: &str) -> Option<&Arc<AgentRecord>> {
        if let Some(name) = path {
            return self.agents.get(name);
        }
        match self.agents.get(tenant) {
            Some(agent) => Some(agent),
            None if tenant.is_empty() || self.agents.len() == 1 => self.root.as_ref(),
            None => None,
        }
    }
}

/// The current snapshot of the agents, swapped atomically.
///
/// It is made of two layers: the configured agents (the configuration file; the first is
/// the root) and the registered ones (the admin API). A registered agent whose name a
/// configured one takes is not served (the configuration wins; the admin API refuses such
/// a name, so this only happens when a reload adds the name later).
#[derive(Debug)]
pub struct Registry {
    current: ArcSwap<Snapshot>,
    layers: Mutex<Layers>,
}

#[derive(Debug, Default)]
struct Layers {
    /// Root first.
    configured: Vec<Arc<AgentRecord>>,
    registered: BTreeMap<String, Arc<AgentRecord>>,
}

impl Layers {
    /// The snapshot of both layers, and the registered names a configured agent shadows.
    fn compose(&self) -> (Snapshot, Vec<String>) {
        let mut snapshot = Snapshot::default();
        for record in &self.configured {
            if snapshot.root.is_none() {
                snapshot.root = Some(Arc::clone(record));
            }
            snapshot
                .agents
                .insert(record.name.clone(), Arc::clone(record));
        }
        let mut shadowed = Vec::new();
        for (name, record) in &self.registered {
            if snapshot.agents.contains_key(name) {
                shadowed.push(name.clone());
                continue;
            }
            if snapshot.root.is_none() {
                snapshot.root = Some(Arc::clone(record));
            }
            snapshot.agents.insert(name.clone(), Arc::clone(record));
        }
        (snapshot, shadowed)
    }
}

impl Registry {
    /// A registry serving `snapshot` as its configured agents, with none registered.
    pub fn new(snapshot: Snapshot) -> Self {
        let layers = Layers {
            configured: configured_of(&snapshot),
            registered: BTreeMap::new(),
        };
        Registry {
            current: ArcSwap::from_pointee(snapshot),
            layers: Mutex::new(layers),
        }
    }

    /// The current snapshot. Hold it for the whole of a request: a later swap does not
    /// change it.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.current.load_full()
    }

    /// Serves `snapshot` as the configured agents from now on (the registered ones stay),
    /// and returns the snapshot it replaces. Requests and streams that resolved their
    /// agent before keep the record they hold.
    pub fn replace(&self, snapshot: Snapshot) -> Arc<Snapshot> {
        let mut layers = self.layers.lock().unwrap_or_else(PoisonError::into_inner);
        layers.configured = snapshot.into_records();
        let (next, _) = layers.compose();
        self.current.swap(Arc::new(next))
    }

    /// Serves `records` as the registered agents from now on (the configured ones stay);
    /// returns the names not served because a configured agent has them.
    pub fn set_registered(
        &self,
        records: impl IntoIterator<Item = Arc<AgentRecord>>,
    ) -> Vec<String> {
        let mut layers = self.layers.lock().unwrap_or_else(PoisonError::into_inner);
        layers.registered = records.into_iter().map(|r| (r.name.clone(), r)).collect();
        let (next, shadowed) = layers.compose();
        self.current.store(Arc::new(next));
        shadowed
    }

    /// Whether `name` is a configured agent.
    pub fn is_configured(&self, name: &str) -> bool {
        self.layers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .configured
            .iter()
            .any(|r| r.name == name)
    }
}

/// The records of `snapshot`, its root first.
fn configured_of(snapshot: &Snapshot) -> Vec<Arc<AgentRecord>> {
    snapshot.clone().into_records()
}

impl Upstreams for Registry {
    fn start(&self, agent: &str, _ctx: &TaskContext) -> Option<(Route, Arc<dyn Provider>)> {
        let snapshot = self.current.load();
        let record = snapshot.get(agent)?;
        Some((Route::agent(agent), Arc::clone(&record.provider)))
    }

    fn resolve(&self, route: &Route) -> Option<Arc<dyn Provider>> {
        let snapshot = self.current.load();
        snapshot.get(&route.agent).map(|r| Arc::clone(&r.provider))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use a2agw_provider::DemoProvider;

    fn record(name: &str) -> AgentRecord {
        let card = AgentCard {
            name: name.into(),
            ..AgentCard::default()
        };
        AgentRecord::new(name, card, Arc::new(DemoProvider::default()))
    }

    #[test]
    fn the_first_record_is_the_root_and_names_are_checked() {
        let s = Snapshot::new([record("b"), record("a")]).unwrap();
        assert_eq!(s.root().map(|r| r.name.as_str()), Some("b"));
        assert_eq!(s.names().collect::<Vec<_>>(), ["a", "b"]);
        assert!(s.is_root("b") && !s.is_root("a"));
        assert_eq!(
            Snapshot::new([record("a"), record("a")]).unwrap_err(),
            RegistryError::Duplicate("a".into())
        );
        for bad in ["", ".", "..", "a/b", "a b", &"x".repeat(65)] {
            assert!(Snapshot::new([record(bad)]).is_err(), "{bad:?}");
        }
        assert!(Snapshot::new([]).unwrap().root().is_none());
    }

    #[test]
    fn resolve_path_then_tenant_then_root() {
        let one = Snapshot::new([record("a")]).unwrap();
        let name = |r: Option<&Arc<AgentRecord>>| r.map(|r| r.name.clone());
        assert_eq!(name(one.resolve(None, "")), Some("a".into()));
        // One agent: every tenant reaches it.
        assert_eq!(name(one.resolve(None, "acme")), Some("a".into()));
        assert_eq!(name(one.resolve(Some("x"), "")), None);
        let two = Snapshot::new([record("a"), record("b")]).unwrap();
        assert_eq!(name(two.resolve(None, "b")), Some("b".into()));
        assert_eq!(name(two.resolve(None, "")), Some("a".into()));
        assert_eq!(name(two.resolve(None, "acme")), None);
        // The path wins over the tenant.
        assert_eq!(name(two.resolve(Some("a"), "b")), Some("a".into()));
    }

    #[test]
    fn a_swap_leaves_held_snapshots_alone() {
        let registry = Registry::new(Snapshot::new([record("a")]).unwrap());
        let held = registry.snapshot();
        let old = registry.replace(Snapshot::new([record("b")]).unwrap());
        assert!(Arc::ptr_eq(&held, &old));
        assert!(held.get("a").is_some());
        assert!(registry.snapshot().get("a").is_none());
        let ctx_agent = |name: &str| registry.resolve(&Route::agent(name)).is_some();
        assert!(ctx_agent("b") && !ctx_agent("a"));
    }

    #[test]
    fn registered_agents_survive_a_reload_and_configured_ones_win() {
        let registry = Registry::new(Snapshot::new([record("a"), record("b")]).unwrap());
        let reg = |name: &str| Arc::new(record(name).with_origin(Origin::Admin { version: 1 }));
        assert!(registry.set_registered([reg("c"), reg("b")]) == ["b"]);
        let s = registry.snapshot();
        assert_eq!(s.names().collect::<Vec<_>>(), ["a", "b", "c"]);
        assert_eq!(s.get("b").unwrap().origin, Origin::Config);
        assert!(s.is_root("a"));
        // A reload that drops `b` lets the registered `b` through; `c` stays.
        registry.replace(Snapshot::new([record("a")]).unwrap());
        let s = registry.snapshot();
        assert_eq!(s.get("b").unwrap().origin, Origin::Admin { version: 1 });
        assert!(
            s.get("c").is_some() && registry.is_configured("a") && !registry.is_configured("c")
        );
        registry.set_registered([]);
        assert_eq!(registry.snapshot().names().collect::<Vec<_>>(), ["a"]);
    }
}
