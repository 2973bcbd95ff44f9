//! The `Provider` trait: what an agent adapter implements so that the task engine can run
//! a message for a task and get back a stream of task events; plus the built-in `demo`
//! provider used by the gateway's default configuration and by tests, and the
//! `conformance` test agent that behaves as the official A2A TCK's scenarios ask.
//!
//! This crate sits at level L1: it depends only on `a2agw-types`. It must never depend on
//! the engine, the server or any concrete provider.
//!
//! # Contract
//! - [`Provider::run`] is given the task's context ([`TaskContext`]: ids, history, the
//!   session data the provider saved earlier) and the new user message, and returns a
//!   stream of [`ProviderEvent`]s. The engine applies them through the task state machine:
//!   a provider cannot move a task out of a terminal state, and a stream that ends while
//!   the task is still SUBMITTED or WORKING fails the task.
//! - A provider that answers without a task sends exactly one [`ProviderEvent::Reply`].
//! - [`ProviderEvent::SaveData`] stores opaque session data (an upstream session, thread,
//!   run or invocation id) with the task, so that any gateway instance can resume it; a
//!   later task of the same caller in the same context gets it back as
//!   [`TaskContext::context_data`] to continue the upstream conversation.
//! - [`Provider::cancel`] asks the upstream to stop; the engine then ends the task CANCELED.
//! - [`Upstreams`] is what the engine asks for the provider of a new task (and the
//!   [`Route`] it records with the task) and of an existing one (by its recorded route).

mod conformance;
mod demo;
pub mod drive;
mod echo;
mod error;
#[cfg(feature = "http")]
pub mod http;
mod route;

pub use conformance::ConformanceProvider;
pub use demo::DemoProvider;
pub use echo::EchoProvider;
pub use error::{ProviderError, ProviderErrorKind, Result};
pub use route::{Route, StaticUpstreams, Upstreams};

use a2agw_types::{Artifact, Message, Metadata, TaskState};
use futures::stream::BoxStream;
use std::fmt::Debug;

/// What a provider knows about the task it works on.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TaskContext {
    /// The task id (server-generated).
    pub task_id: String,
    /// The context id.
    pub context_id: String,
    /// The task's history so far, oldest first (excluding the new message).
    pub history: Vec<Message>,
    /// The state of the task before this message (`Unspecified` for a new task).
    pub state: TaskState,
    /// Session data saved by this provider earlier with [`ProviderEvent::SaveData`].
    pub provider_data: Option<serde_json::Value>,
    /// For a new task in a context the caller used before: what the provider saved with
    /// the caller's latest COMPLETED task of that context on the same agent, so that the
    /// task continues the upstream conversation (session, thread) of the context. Only ever
    /// the same caller's: another caller naming the same context id gets `None`. `None`
    /// for resumed and recovered tasks (they have `provider_data`).
    pub context_data: Option<serde_json::Value>,
    /// Media types the client accepts.
    pub accepted_output_modes: Vec<String>,
    /// The request's metadata.
    pub metadata: Option<Metadata>,
}

/// One thing a provider reports while it works on a task.
#[derive(Clone, Debug, PartialEq)]
pub enum ProviderEvent {
    /// A status change, with an optional agent message (its ids are filled in by the engine).
    Status {
        /// The new state.
        state: TaskState,
        /// An agent message explaining it (e.g. the question for INPUT_REQUIRED).
        message: Option<Message>,
    },
    /// A new artifact, a replacement, or a chunk appended to an earlier one.
    Artifact {
        /// The artifact (or chunk).
        artifact: Artifact,
        /// Append these parts to the artifact with the same id.
        append: bool,
        /// This is the last chunk.
        last_chunk: bool,
    },
    /// A direct answer without a task (must be the only event).
    Reply(Message),
    /// Session data to keep with the task (replaces what was saved before).
    SaveData(serde_json::Value),
}

/// The events of one run.
pub type EventStream = BoxStream<'static, Result<ProviderEvent>>;

/// An agent backend: a remote A2A agent, a cloud agent service, or the demo.
#[async_trait::async_trait]
pub trait Provider: Send + Sync + Debug + 'static {
    /// A short name for logs and metrics (`demo`, `bedrock`, …).
    fn kind(&self) -> &'static str;

    /// Runs `message` for the task described by `ctx` (new, or resumed from
    /// INPUT_REQUIRED / AUTH_REQUIRED).
    async fn run(&self, ctx: TaskContext, message: Message) -> Result<EventStream>;

    /// Asks the upstream to stop working on the task. Dropping the run's stream also stops it;
    /// this is for upstreams that keep working on their side (Azure runs, LangGraph runs).
    async fn cancel(&self, ctx: TaskContext) -> Result<()>;

    /// After the instance driving the task died: returns a stream that continues the
    /// task, or `None` when it cannot be resumed (the engine then fails it).
    async fn recover(&self, ctx: TaskContext) -> Result<Option<EventStream>> {
        let _ = ctx;
        Ok(None)
    }
}

/// A new id for tasks, contexts, messages and artifacts: a UUID v7, whose order is the
/// order of creation within the process (the uuid crate's shared v7 context) and roughly
/// across processes. Two tasks that end in the same millisecond are then still told apart
/// by id in creation order (ListTasks' tie-break, the latest task of a context), and the
/// stores' indexes receive ids in ascending order.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// An agent message with one text part and a fresh id.
pub fn agent_text(text: impl Into<String>) -> Message {
    Message::text(a2agw_types::Role::Agent, new_id(), text)
}
