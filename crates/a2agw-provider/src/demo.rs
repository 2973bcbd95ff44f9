//! The built-in demo agent: needs no credentials and exercises every path of the engine.
//!
//! It reads keywords in the message text (case-insensitive):
//!
//! | text contains | behaviour |
//! |---|---|
//! | `reply` | answers with a direct message, no task |
//! | `input` | asks a question (INPUT_REQUIRED); the next message on the task completes it |
//! | `auth` | asks for authorization (AUTH_REQUIRED); the next message on the task completes it |
//! | `fail` | fails the task with an explanation |
//! | `reject` | rejects the task |
//! | `slow N` | works for N seconds (default 30) with a progress update each second; resumable after a crash |
//! | `chunks N` | streams the answer artifact in N chunks (default 3) |
//! | anything else | echoes the text as an artifact in 3 chunks, then completes |

use crate::{EventStream, Provider, ProviderEvent, Result, TaskContext, agent_text, new_id};
use a2agw_types::{Artifact, Message, Part, TaskState};
use futures::StreamExt;
use serde_json::json;
use std::time::Duration;

/// The demo provider.
#[derive(Clone, Debug)]
pub struct DemoProvider {
    /// Length of one `slow` step (one second by default; tests shorten it).
    pub step: Duration,
}

impl Default for DemoProvider {
    fn default() -> Self {
        DemoProvider {
            step: Duration::from_secs(1),
        }
    }
}

// A short-lived plan of a few steps: boxing the events would buy nothing.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Step {
    Emit(ProviderEvent),
    Sleep(Duration),
}

pub(crate) fn status(state: TaskState, text: Option<&str>) -> Step {
    Step::Emit(ProviderEvent::Status {
        state,
        message: text.map(agent_text),
    })
}

fn number_after(text: &str, keyword: &str) -> Option<u64> {
    let rest = &text[text.find(keyword)? + keyword.len()..];
    rest.split_whitespace().next()?.parse().ok()
}

/// Splits `text` into `n` non-empty chunks (fewer when the text is shorter).
fn chunks(text: &str, n: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    if chars.is_empty() {
        return vec![String::new()];
    }
    let n = n.clamp(1, chars.len());
    let size = chars.len().div_ceil(n);
    chars.chunks(size).map(|c| c.iter().collect()).collect()
}

fn artifact_steps(name: &str, text: &str, n: usize) -> Vec<Step> {
    let id = new_id();
    let parts = chunks(text, n);
    let last = parts.len() - 1;
    parts
        .into_iter()
        .enumerate()
        .map(|(i, chunk)| {
            Step::Emit(ProviderEvent::Artifact {
                artifact: Artifact {
                    artifact_id: id.clone(),
                    name: name.to_owned(),
                    parts: vec![Part::text(chunk)],
                    ..Artifact::default()
                },
                append: i > 0,
                last_chunk: i == last,
            })
        })
        .collect()
}

impl DemoProvider {
    fn plan(&self, ctx: &TaskContext, message: &Message) -> Vec<Step> {
        let text = message.text_content();
        let lower = text.to_lowercase();
        let resumed = ctx.state.is_interrupted();
        if resumed {
            let mut steps = vec![status(TaskState::Working, None)];
            steps.extend(artifact_steps(
                "answer",
                &format!("Thanks, got it: {text}"),
                1,
            ));
            steps.push(status(TaskState::Completed, Some("Done")));
            return steps;
        }
        if lower.contains("reply") {
            return vec![Step::Emit(ProviderEvent::Reply(agent_text(format!(
                "You said: {text}"
            ))))];
        }
        let mut steps = vec![status(TaskState::Working, Some("Working on it"))];
        if lower.contains("reject") {
            steps = vec![status(TaskState::Rejected, Some("Rejected as requested"))];
        } else if lower.contains("fail") {
            steps.push(status(TaskState::Failed, Some("Failed as requested")));
        } else if lower.contains("input") {
            steps.push(Step::Emit(ProviderEvent::SaveData(
                json!({"awaiting": "input"}),
            )));
            steps.push(status(
                TaskState::InputRequired,
                Some("What should I call you? Reply on this task to continue."),
            ));
        } else if lower.contains("auth") {
            steps.push(Step::Emit(ProviderEvent::SaveData(
                json!({"awaiting": "auth"}),
            )));
            steps.push(status(
                TaskState::AuthRequired,
                Some("Authorization is required. Reply on this task once you have authorized."),
            ));
        } else if lower.contains("slow") {
            let secs = number_after(&lower, "slow").unwrap_or(30);
            steps.push(Step::Emit(ProviderEvent::SaveData(json!({"mode": "slow"}))));
            for i in 1..=secs {
                steps.push(Step::Sleep(self.step));
                steps.push(status(
                    TaskState::Working,
                    Some(&format!("Step {i} of {secs}")),
                ));
            }
            steps.extend(artifact_steps(
                "answer",
                &format!("Finished after {secs} steps"),
                1,
            ));
            steps.push(status(TaskState::Completed, Some("Done")));
        } else {
            let n = number_after(&lower, "chunks").unwrap_or(3);
            let n = usize::try_from(n).unwrap_or(3).clamp(1, 1000);
            steps.extend(artifact_steps("echo", &text, n));
            steps.push(status(TaskState::Completed, Some("Done")));
        }
        steps
    }
}

pub(crate) fn into_stream(steps: Vec<Step>) -> EventStream {
    futures::stream::iter(steps)
        .filter_map(|s| async move {
            match s {
                Step::Emit(e) => Some(Ok(e)),
                Step::Sleep(d) => {
                    tokio::time::sleep(d).await;
                    None
                }
            }
        })
        .boxed()
}

#[async_trait::async_trait]
impl Provider for DemoProvider {
    fn kind(&self) -> &'static str {
        "demo"
    }

    async fn run(&self, ctx: TaskContext, message: Message) -> Result<EventStream> {
        Ok(into_stream(self.plan(&ctx, &message)))
    }

    async fn cancel(&self, _ctx: TaskContext) -> Result<()> {
        // Nothing runs upstream: dropping the stream stops the work.
        Ok(())
    }

    async fn recover(&self, ctx: TaskContext) -> Result<Option<EventStream>> {
        let slow = ctx
            .provider_data
            .as_ref()
            .and_then(|d| d.get("mode"))
            .and_then(|m| m.as_str())
            == Some("slow");
        if !slow {
            return Ok(None);
        }
        Ok(Some(into_stream(vec![
            status(TaskState::Working, Some("Resumed after a gateway restart")),
            status(TaskState::Completed, Some("Done (resumed)")),
        ])))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use a2agw_types::Role;

    async fn run(text: &str, state: TaskState) -> Vec<ProviderEvent> {
        let ctx = TaskContext {
            state,
            ..TaskContext::default()
        };
        let p = DemoProvider {
            step: Duration::from_millis(1),
        };
        let s = p
            .run(ctx, Message::text(Role::User, "m", text))
            .await
            .unwrap();
        s.map(|e| e.unwrap()).collect().await
    }

    fn states(events: &[ProviderEvent]) -> Vec<TaskState> {
        events
            .iter()
            .filter_map(|e| match e {
                ProviderEvent::Status { state, .. } => Some(*state),
                _ => None,
            })
            .collect()
    }

    #[tokio::test]
    async fn echo_streams_chunks_then_completes() {
        let ev = run("hello world, chunks 4", TaskState::Unspecified).await;
        let arts: Vec<_> = ev
            .iter()
            .filter_map(|e| match e {
                ProviderEvent::Artifact {
                    artifact,
                    append,
                    last_chunk,
                } => Some((artifact.parts[0].clone(), *append, *last_chunk)),
                _ => None,
            })
            .collect();
        assert_eq!(arts.len(), 4);
        assert!(!arts[0].1 && arts[1].1 && arts[3].2 && !arts[2].2);
        assert_eq!(states(&ev), [TaskState::Working, TaskState::Completed]);
    }

    #[tokio::test]
    async fn keywords() {
        assert!(matches!(
            run("please reply", TaskState::Unspecified).await[..],
            [ProviderEvent::Reply(_)]
        ));
        assert_eq!(
            states(&run("fail now", TaskState::Unspecified).await),
            [TaskState::Working, TaskState::Failed]
        );
        assert_eq!(
            states(&run("reject", TaskState::Unspecified).await),
            [TaskState::Rejected]
        );
        assert_eq!(
            states(&run("need input", TaskState::Unspecified).await),
            [TaskState::Working, TaskState::InputRequired]
        );
        assert_eq!(
            states(&run("Ada", TaskState::InputRequired).await),
            [TaskState::Working, TaskState::Completed]
        );
        assert_eq!(
            states(&run("needs auth", TaskState::Unspecified).await),
            [TaskState::Working, TaskState::AuthRequired]
        );
        let slow = states(&run("slow 3", TaskState::Unspecified).await);
        assert_eq!(slow.len(), 5);
        assert_eq!(slow.last(), Some(&TaskState::Completed));
    }

    #[test]
    fn chunking() {
        assert_eq!(chunks("abcdef", 3), ["ab", "cd", "ef"]);
        assert_eq!(chunks("ab", 5), ["a", "b"]);
        assert_eq!(chunks("", 3), [""]);
        assert_eq!(chunks("héllo", 2).concat(), "héllo");
    }
}
