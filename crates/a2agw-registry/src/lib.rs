//! The agents a gateway serves.
//!
//! * [`AgentRecord`]: one agent — its name (the `/agents/{name}` path segment and the
//!   engine's route), its public and extended cards, who may use it ([`Access`]) and the
//!   provider that runs its tasks.
//! * [`AgentDefinition`] and [`CardSecurity`]: the card of an agent the operator describes
//!   (skills, capabilities, extensions, the security schemes of the gateway's
//!   authentication). Interface URLs are not part of a stored card: the server fills them
//!   in for where each request reached the gateway.
//! * [`Snapshot`]: an immutable set of records, the first one served at the gateway's root.
//! * [`Registry`]: the current snapshot, swapped atomically by [`Registry::replace`] (a
//!   configuration reload, an admin API change). A request or stream holds the
//!   `Arc<AgentRecord>` it resolved, so a swap never drops work already in flight; the
//!   registry is also the engine's [`Upstreams`]: new tasks start on the provider of the
//!   current snapshot's record.
//!
//! **Invariant:** a snapshot is never mutated; every change builds a new one and swaps it.

mod access;
mod card;
mod snapshot;

pub use access::{Access, Grant};
pub use card::{AgentDefinition, CardSecurity, adopt_card, gateway_card};
pub use snapshot::{AgentRecord, Origin, Registry, RegistryError, Snapshot, check_agent_name};

#[doc(no_inline)]
pub use a2agw_provider::Upstreams;
