//! The conformance agent: a test agent that behaves as the official A2A TCK's scenarios
//! (`a2a-tck`, `scenarios/*.feature`) ask, chosen by the prefix of the user message's
//! `messageId`, and like the demo agent for any other message. It needs no credentials;
//! `cargo xtask tck` runs the gateway with it. It is not meant for production traffic.
//!
//! | `messageId` starts with | behaviour |
//! |---|---|
//! | `tck-complete-task` | COMPLETED with the status message "Hello from TCK" |
//! | `tck-artifact-text` | an artifact with the text "Generated text content", COMPLETED |
//! | `tck-artifact-file-url` | an artifact with a URL part (`https://example.com/output.txt`, `output.txt`, `text/plain`), COMPLETED |
//! | `tck-artifact-file` | an artifact with a raw file part (`output.txt`, `text/plain`), COMPLETED |
//! | `tck-artifact-data` | an artifact with the data part `{"key": "value", "count": 42}`, COMPLETED |
//! | `tck-message-response` | a direct message "Direct message response", no task |
//! | `tck-input-required` | INPUT_REQUIRED (also as a reply on a task waiting for input: it keeps waiting) |
//! | `tck-reject-task` | REJECTED with the status message "rejected" |
//! | `tck-stream-001`, `tck-stream-003`, `tck-stream-ordering-001`, `tck-stream-artifact-text` | WORKING, a text artifact, COMPLETED |
//! | `tck-stream-002` | COMPLETED |
//! | `tck-stream-artifact-file` | WORKING, a file artifact, COMPLETED |
//! | `tck-stream-artifact-chunked` | WORKING, the chunk "chunk-1 ", the last chunk "chunk-2" of the same artifact, COMPLETED |
//! | `test-resubscribe-message-id` | WORKING, then after [`ConformanceProvider::wait`] (twice the TCK's 2 s streaming timeout) COMPLETED; resumable after a crash |
//! | anything else | the demo agent ([`DemoProvider`]) |
//!
//! The same table applies to a message that answers an interrupted task, so a TCK
//! follow-up with `tck-complete-task` completes it and one with `tck-input-required`
//! keeps it waiting. Where a scenario names no chunking, an artifact is one event
//! (`lastChunk: true`); the chunked scenario is one artifact in two events, the second
//! appended to the first (a chunk marked `append` must follow one that created the
//! artifact).

use crate::demo::{Step, into_stream, status};
use crate::{DemoProvider, EventStream, Provider, ProviderEvent, Result, TaskContext};
use crate::{agent_text, new_id};
use a2agw_types::{Artifact, Message, Part, TaskState};
use serde_json::json;
use std::time::Duration;

/// The conformance agent.
#[derive(Clone, Debug)]
pub struct ConformanceProvider {
    /// How long the long-running scenario (`test-resubscribe-message-id`) works before it
    /// completes: 4 s, twice the streaming timeout of the TCK's reference agent.
    pub wait: Duration,
    /// The agent for every other message.
    pub demo: DemoProvider,
}

impl Default for ConformanceProvider {
    fn default() -> Self {
        ConformanceProvider {
            wait: Duration::from_secs(4),
            demo: DemoProvider::default(),
        }
    }
}

/// What one artifact of a scenario holds.
#[derive(Clone, Copy, Debug)]
enum Content {
    Text(&'static str),
    File,
    FileUrl,
    Data,
}

/// One scenario of the TCK's feature files.
#[derive(Clone, Copy, Debug)]
enum Scenario {
    /// Optionally WORKING first, then each artifact, then COMPLETED (with a message).
    Complete {
        working: bool,
        artifact: Option<Content>,
        message: Option<&'static str>,
    },
    /// WORKING, one artifact in two chunks, COMPLETED.
    Chunked,
    /// A direct message.
    Reply(&'static str),
    /// INPUT_REQUIRED.
    InputRequired,
    /// REJECTED.
    Reject,
    /// WORKING, a wait, COMPLETED.
    LongRunning,
}

/// The scenarios by `messageId` prefix, longest prefix first where one is a prefix of
/// another (`tck-artifact-file-url` before `tck-artifact-file`).
const SCENARIOS: &[(&str, Scenario)] = &[
    (
        "tck-complete-task",
        Scenario::Complete {
            working: false,
            artifact: None,
            message: Some("Hello from TCK"),
        },
    ),
    (
        "tck-artifact-text",
        Scenario::Complete {
            working: false,
            artifact: Some(Content::Text("Generated text content")),
            message: None,
        },
    ),
    (
        "tck-artifact-file-url",
        Scenario::Complete {
            working: false,
            artifact: Some(Content::FileUrl),
            message: None,
        },
    ),
    (
        "tck-artifact-file",
        Scenario::Complete {
            working: false,
            artifact: Some(Content::File),
            message: None,
        },
    ),
    (
        "tck-artifact-data",
        Scenario::Complete {
            working: false,
            artifact: Some(Content::Data),
            message: None,
        },
    ),
    (
        "tck-message-response",
        Scenario::Reply("Direct message response"),
    ),
    ("tck-input-required", Scenario::InputRequired),
    ("tck-reject-task", Scenario::Reject),
    (
        "tck-stream-ordering-001",
        Scenario::Complete {
            working: true,
            artifact: Some(Content::Text("Ordered output")),
            message: None,
        },
    ),
    ("tck-stream-artifact-chunked", Scenario::Chunked),
    (
        "tck-stream-artifact-text",
        Scenario::Complete {
            working: true,
            artifact: Some(Content::Text("Streamed text content")),
            message: None,
        },
    ),
    (
        "tck-stream-artifact-file",
        Scenario::Complete {
            working: true,
            artifact: Some(Content::File),
            message: None,
        },
    ),
    (
        "tck-stream-001",
        Scenario::Complete {
            working: true,
            artifact: Some(Content::Text("Stream hello from TCK")),
            message: None,
        },
    ),
    (
        "tck-stream-002",
        Scenario::Complete {
            working: false,
            artifact: None,
            message: None,
        },
    ),
    (
        "tck-stream-003",
        Scenario::Complete {
            working: true,
            artifact: Some(Content::Text("Stream task lifecycle")),
            message: None,
        },
    ),
    ("test-resubscribe-message-id", Scenario::LongRunning),
];

/// The scenario a `messageId` selects: the longest matching prefix.
fn scenario(message_id: &str) -> Option<Scenario> {
    SCENARIOS
        .iter()
        .filter(|(prefix, _)| message_id.starts_with(prefix))
        .max_by_key(|(prefix, _)| prefix.len())
        .map(|(_, s)| *s)
}

fn part(content: Content) -> Part {
    match content {
        Content::Text(t) => Part::text(t),
        Content::File => Part {
            filename: "output.txt".into(),
            media_type: "text/plain".into(),
            ..Part::raw(b"tck".to_vec())
        },
        Content::FileUrl => Part {
            filename: "output.txt".into(),
            media_type: "text/plain".into(),
            ..Part::url("https://example.com/output.txt")
        },
        Content::Data => Part::data(json!({"key": "value", "count": 42})),
    }
}

fn artifact(id: &str, parts: Vec<Part>, append: bool, last_chunk: bool) -> Step {
    Step::Emit(ProviderEvent::Artifact {
        artifact: Artifact {
            artifact_id: id.to_owned(),
            parts,
            ..Artifact::default()
        },
        append,
        last_chunk,
    })
}

impl ConformanceProvider {
    fn plan(&self, s: Scenario) -> Vec<Step> {
        match s {
            Scenario::Complete {
                working,
                artifact: content,
                message,
            } => {
                let mut steps = Vec::new();
                if working {
                    steps.push(status(TaskState::Working, None));
                }
                if let Some(c) = content {
                    steps.push(artifact(&new_id(), vec![part(c)], false, true));
                }
                steps.push(status(TaskState::Completed, message));
                steps
            }
            Scenario::Chunked => {
                let id = new_id();
                vec![
                    status(TaskState::Working, None),
                    artifact(&id, vec![Part::text("chunk-1 ")], false, false),
                    artifact(&id, vec![Part::text("chunk-2")], true, true),
                    status(TaskState::Completed, None),
                ]
            }
            Scenario::Reply(text) => vec![Step::Emit(ProviderEvent::Reply(agent_text(text)))],
            Scenario::InputRequired => vec![status(
                TaskState::InputRequired,
                Some("Input required: reply on this task to continue"),
            )],
            Scenario::Reject => vec![status(TaskState::Rejected, Some("rejected"))],
            Scenario::LongRunning => vec![
                status(TaskState::Working, None),
                Step::Emit(ProviderEvent::SaveData(json!({"scenario": "long-running"}))),
                Step::Sleep(self.wait),
                status(TaskState::Completed, None),
            ],
        }
    }
}

#[async_trait::async_trait]
impl Provider for ConformanceProvider {
    fn kind(&self) -> &'static str {
        "conformance"
    }

    async fn run(&self, ctx: TaskContext, message: Message) -> Result<EventStream> {
        match scenario(&message.message_id) {
            Some(s) => Ok(into_stream(self.plan(s))),
            None => self.demo.run(ctx, message).await,
        }
    }

    async fn cancel(&self, ctx: TaskContext) -> Result<()> {
        self.demo.cancel(ctx).await
    }

    async fn recover(&self, ctx: TaskContext) -> Result<Option<EventStream>> {
        let long = ctx
            .provider_data
            .as_ref()
            .and_then(|d| d.get("scenario"))
            .and_then(|m| m.as_str())
            == Some("long-running");
        if long {
            return Ok(Some(into_stream(vec![
                status(TaskState::Working, None),
                Step::Sleep(self.wait),
                status(TaskState::Completed, None),
            ])));
        }
        self.demo.recover(ctx).await
    }
}

#[cfg(test)]
mod tests;
