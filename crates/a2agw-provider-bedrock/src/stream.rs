//! One InvokeAgent response stream (`chunk`, `trace`, `returnControl`, `files` events and
//! exception frames) turned into A2A provider events.

use crate::client::{StreamFailure, Upstream, exception_hint, stream_failure};
use crate::reply::{self, PendingInput};
use crate::session::SessionData;
use crate::trace;
use a2agw_provider::{ProviderError, ProviderEvent, Result, agent_text, new_id};
use a2agw_types::{Artifact, Message, Part, PartContent, Role, TaskState};
use aws_sdk_bedrockagentruntime::operation::invoke_agent::InvokeAgentOutput;
use aws_sdk_bedrockagentruntime::types::ResponseStream;
use serde_json::json;

#[cfg(test)]
mod tests;

/// The name of the answer artifact.
pub(crate) const ARTIFACT_NAME: &str = "answer";
/// The name of the artifacts holding `files` events.
pub(crate) const FILES_ARTIFACT_NAME: &str = "files";

pub(crate) use a2agw_provider::drive::{Closed, Out, Stop, status};

/// An agent message with a text part and a data part.
pub(crate) fn text_and_data(text: String, data: serde_json::Value) -> Message {
    Message {
        message_id: new_id(),
        role: Role::Agent,
        parts: vec![Part::text(text), Part::data(data)],
        ..Message::default()
    }
}

/// An agent message with the Bedrock error code in its metadata (`bedrockErrorCode`).
fn with_code(mut message: Message, code: &str) -> Message {
    let mut m = a2agw_types::Metadata::new();
    m.insert("bedrockErrorCode".into(), json!(code));
    message.metadata = Some(m);
    message
}

/// The INPUT_REQUIRED status of a pending returnControl (and `why` the last reply did not
/// do, when asked again).
pub(crate) fn input_required(
    invocation_id: &str,
    inputs: &[PendingInput],
    why: Option<&str>,
) -> ProviderEvent {
    let question = reply::question(inputs);
    let text = match why {
        Some(why) => format!("{why}. {question}"),
        None => question,
    };
    status(
        TaskState::InputRequired,
        Some(text_and_data(
            text,
            reply::question_data(invocation_id, inputs),
        )),
    )
}

/// Reads one response stream.
pub(crate) struct Pump<'a> {
    up: &'a Upstream,
    session_id: String,
    artifact_id: String,
    /// The latest chunk, held back so that the last one can carry `last_chunk`.
    held: Option<String>,
    emitted: usize,
    /// The answer so far (the question of an ASK_USER turn).
    answer: String,
    /// The bytes of a UTF-8 character split across two chunks.
    utf8_rest: Vec<u8>,
    ask_user: bool,
    failure: Option<String>,
}

impl<'a> Pump<'a> {
    pub(crate) fn new(up: &'a Upstream, session_id: String) -> Self {
        Pump {
            up,
            session_id,
            artifact_id: new_id(),
            held: None,
            emitted: 0,
            answer: String::new(),
            utf8_rest: Vec::new(),
            ask_user: false,
            failure: None,
        }
    }

    /// Reads `output` until the stream ends or the agent returns control.
    pub(crate) async fn run(
        mut self,
        output: InvokeAgentOutput,
        out: &mut Out,
    ) -> Result<(), Stop> {
        // The session is saved as soon as Bedrock accepted the call (this also clears an
        // invocation that the call answered).
        out.emit(ProviderEvent::SaveData(
            SessionData::session(&self.session_id).to_value(),
        ))
        .await?;
        out.emit(status(TaskState::Working, None)).await?;
        let mut completion = output.completion;
        let idle = self.up.idle_timeout;
        loop {
            let Ok(next) = tokio::time::timeout(idle, completion.recv()).await else {
                drop(completion);
                self.flush(out).await?;
                return Err(ProviderError::timeout(format!(
                    "Amazon Bedrock sent nothing for {} s on the agent's response stream; the \
                     task was stopped. Try again later, or raise `idle_timeout` if the agent's \
                     action groups or knowledge bases are slow",
                    idle.as_secs_f32()
                ))
                .into());
            };
            match next {
                Ok(None) => return self.finish(out).await,
                Ok(Some(event)) => {
                    if self.handle(event, out).await? {
                        return Ok(());
                    }
                }
                Err(e) => {
                    let failure = stream_failure(&e);
                    drop(completion);
                    self.flush(out).await?;
                    return match failure {
                        StreamFailure::Exception { code, message } => {
                            let text = format!(
                                "Amazon Bedrock stopped the agent with {code}: {message}{}",
                                exception_hint(&code)
                            );
                            out.emit(status(
                                TaskState::Failed,
                                Some(with_code(agent_text(text), &code)),
                            ))
                            .await?;
                            Ok(())
                        }
                        StreamFailure::Error(e) => Err(e.into()),
                    };
                }
            }
        }
    }

    /// Handles one event; `true` when the agent returned control.
    async fn handle(&mut self, event: ResponseStream, out: &mut Out) -> Result<bool, Stop> {
        match event {
            ResponseStream::Chunk(part) => {
                let bytes = part.bytes().map(|b| b.as_ref()).unwrap_or_default();
                let text = decode_utf8(&mut self.utf8_rest, bytes);
                self.push_text(text, out).await?;
            }
            ResponseStream::Trace(part) => {
                let info = trace::summarise(&part);
                self.ask_user |= info.ask_user;
                if info.failure.is_some() {
                    self.failure = info.failure;
                }
                if self.up.traces_as_status
                    && let Some(summary) = info.summary
                {
                    out.emit(status(TaskState::Working, Some(agent_text(summary))))
                        .await?;
                }
            }
            ResponseStream::ReturnControl(rc) => {
                self.flush(out).await?;
                let bad = |why: &str| {
                    ProviderError::malformed(format!(
                        "Amazon Bedrock sent a returnControl event {why}"
                    ))
                };
                let invocation_id = rc
                    .invocation_id()
                    .filter(|id| !id.is_empty())
                    .ok_or_else(|| bad("without an invocationId"))?
                    .to_owned();
                let mut inputs = Vec::new();
                for member in rc.invocation_inputs() {
                    inputs.push(PendingInput::from_sdk(member).ok_or_else(|| {
                        bad("with an invocation input that is neither a function nor an API call")
                    })?);
                }
                if inputs.is_empty() {
                    return Err(bad("without invocation inputs").into());
                }
                let event = input_required(&invocation_id, &inputs, None);
                let data = SessionData {
                    session_id: self.session_id.clone(),
                    invocation_id: Some(invocation_id),
                    invocation_inputs: inputs,
                };
                out.emit(ProviderEvent::SaveData(data.to_value())).await?;
                out.emit(event).await?;
                return Ok(true);
            }
            ResponseStream::Files(f) => {
                let parts: Vec<Part> = f
                    .files()
                    .iter()
                    .map(|file| Part {
                        content: PartContent::Raw(
                            file.bytes()
                                .map(|b| b.as_ref().to_vec())
                                .unwrap_or_default(),
                        ),
                        filename: file.name().unwrap_or_default().to_owned(),
                        media_type: file.r#type().unwrap_or_default().to_owned(),
                        ..Part::default()
                    })
                    .collect();
                if !parts.is_empty() {
                    out.emit(ProviderEvent::Artifact {
                        artifact: Artifact {
                            artifact_id: new_id(),
                            name: FILES_ARTIFACT_NAME.to_owned(),
                            parts,
                            ..Artifact::default()
                        },
                        append: false,
                        last_chunk: true,
                    })
                    .await?;
                }
            }
            _ => tracing::debug!("bedrock: ignoring an event of an unknown type"),
        }
        Ok(false)
    }

    async fn push_text(&mut self, text: String, out: &mut Out) -> Result<(), Closed> {
        if text.is_empty() {
            return Ok(());
        }
        self.answer.push_str(&text);
        if let Some(prev) = self.held.replace(text) {
            let event = chunk(&self.artifact_id, prev, self.emitted > 0, false);
            self.emitted += 1;
            out.emit(event).await?;
        }
        Ok(())
    }

    /// Emits the held-back chunk as the last one of the answer.
    async fn flush(&mut self, out: &mut Out) -> Result<(), Closed> {
        if !self.utf8_rest.is_empty() {
            let rest = String::from_utf8_lossy(&std::mem::take(&mut self.utf8_rest)).into_owned();
            self.push_text(rest, out).await?;
        }
        if let Some(text) = self.held.take() {
            let event = chunk(&self.artifact_id, text, self.emitted > 0, true);
            self.emitted += 1;
            out.emit(event).await?;
        }
        Ok(())
    }

    /// The stream ended without returnControl.
    async fn finish(mut self, out: &mut Out) -> Result<(), Stop> {
        self.flush(out).await?;
        if self.ask_user {
            let question = if self.answer.trim().is_empty() {
                "The agent asks for more information; reply on this task.".to_owned()
            } else {
                self.answer.clone()
            };
            out.emit(status(TaskState::InputRequired, Some(agent_text(question))))
                .await?;
        } else if self.emitted == 0
            && let Some(reason) = &self.failure
        {
            out.emit(status(
                TaskState::Failed,
                Some(with_code(
                    agent_text(format!(
                        "The Bedrock agent failed: {}",
                        reply::shorten(reason, 1000)
                    )),
                    "failureTrace",
                )),
            ))
            .await?;
        } else {
            out.emit(status(TaskState::Completed, None)).await?;
        }
        Ok(())
    }
}

/// The text of a chunk's bytes after `rest` (the start of a character split across
/// chunks); the start of a character cut off at the end is kept in `rest` for the next
/// chunk. Invalid UTF-8 becomes U+FFFD.
fn decode_utf8(rest: &mut Vec<u8>, bytes: &[u8]) -> String {
    let mut buf = std::mem::take(rest);
    buf.extend_from_slice(bytes);
    match std::str::from_utf8(&buf) {
        Ok(s) => s.to_owned(),
        Err(e) if e.error_len().is_none() => {
            let valid = e.valid_up_to();
            *rest = buf[valid..].to_vec();
            String::from_utf8_lossy(&buf[..valid]).into_owned()
        }
        Err(_) => String::from_utf8_lossy(&buf).into_owned(),
    }
}

fn chunk(id: &str, text: String, append: bool, last_chunk: bool) -> ProviderEvent {
    ProviderEvent::Artifact {
        artifact: Artifact {
            artifact_id: id.to_owned(),
            name: ARTIFACT_NAME.to_owned(),
            parts: vec![Part::text(text)],
            ..Artifact::default()
        },
        append,
        last_chunk,
    }
}
