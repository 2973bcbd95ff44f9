//! The seam between the engine and whatever decides where tasks run: [`Upstreams`]
//! answers "which provider runs this new task" and "which provider owns this existing
//! task"; the [`Route`] it picks is recorded with the task when it is created, and every
//! later step of the task (resume, cancel, recovery) goes back through it.

use crate::{Provider, TaskContext};
use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::Arc;

/// Where a task runs, recorded with the task in the write that creates it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Route {
    /// The agent's name in the gateway's configuration.
    pub agent: String,
    /// The upstream instance of the agent that holds the task (empty while an agent has
    /// one instance).
    pub upstream: String,
}

impl Route {
    /// The route to `agent`'s only instance.
    pub fn agent(agent: impl Into<String>) -> Self {
        Route {
            agent: agent.into(),
            upstream: String::new(),
        }
    }
}

/// Chooses the provider of new tasks and finds the provider of existing ones.
pub trait Upstreams: Send + Sync + Debug + 'static {
    /// The provider that runs a new task for `agent` (described by `ctx`), and the route
    /// to record with it; `None` when no such agent is configured.
    fn start(&self, agent: &str, ctx: &TaskContext) -> Option<(Route, Arc<dyn Provider>)>;

    /// The provider that owns a task recorded with `route`: resume, cancel and recovery
    /// reach the upstream that holds the task's session. `None` when it is gone.
    fn resolve(&self, route: &Route) -> Option<Arc<dyn Provider>>;
}

/// A fixed set of agents, one provider each.
#[derive(Clone, Debug, Default)]
pub struct StaticUpstreams {
    agents: HashMap<String, Arc<dyn Provider>>,
}

impl StaticUpstreams {
    /// The agents of `agents` (name → provider).
    pub fn new(agents: HashMap<String, Arc<dyn Provider>>) -> Self {
        StaticUpstreams { agents }
    }
}

impl Upstreams for StaticUpstreams {
    fn start(&self, agent: &str, _ctx: &TaskContext) -> Option<(Route, Arc<dyn Provider>)> {
        let provider = self.agents.get(agent)?;
        Some((Route::agent(agent), Arc::clone(provider)))
    }

    fn resolve(&self, route: &Route) -> Option<Arc<dyn Provider>> {
        self.agents.get(&route.agent).cloned()
    }
}
