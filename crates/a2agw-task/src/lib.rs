//! The task engine: the task state machine, the durable per-task event log, the
//! `TaskStore` backends, subscriptions that replay then follow a task's log, and the engine
//! that drives a provider's event stream through the machine into the store.
//!
//! This crate sits at level L2. It must never depend on HTTP (no hyper, axum, reqwest)
//! or on concrete providers; `machine` does no I/O at all.
//!
//! # Features
//! | feature | what it adds |
//! |---|---|
//! | `memory` (default) | [`MemoryStore`] |
//! | `sqlite` (default) | `SqliteStore`: one file, WAL, migrations applied at open |
//! | `postgres` | `PostgresStore`: shared by many instances, LISTEN/NOTIFY wake-ups |

pub mod engine;
pub mod machine;
pub mod store;
pub mod subscribe;

pub use engine::{Engine, EngineConfig, SendOutcome, TaskEventStream};
pub use machine::{TaskEvent, TaskRecord, TransitionError, apply, fold, is_legal};
#[cfg(feature = "memory")]
pub use store::MemoryStore;
pub use store::{
    Appended, PushBacklog, Scope, StoreError, StoreResult, StoredAgent, StoredEvent, TaskOwner,
    TaskStore,
};
#[cfg(feature = "postgres")]
pub use store::{PostgresOptions, PostgresStore};
#[cfg(feature = "sqlite")]
pub use store::{SqliteStore, Synchronous as SqliteSynchronous};
pub use subscribe::subscribe;
