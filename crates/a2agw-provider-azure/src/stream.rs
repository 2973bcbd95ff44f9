//! A run's server-sent events (`thread.run.*`, `thread.message.*`, `error`, `done`) turned
//! into A2A provider events.

use crate::SessionData;
use crate::http::{Client, Phase, without_url};
use a2agw_provider::{ProviderError, ProviderEvent, Result, agent_text, new_id};
use a2agw_types::{Artifact, Message, Part, Role, TaskState};
use eventsource_stream::Eventsource;
use futures::StreamExt;
use reqwest::{Method, Response};
use serde_json::{Value, json};

/// The name of the answer artifacts.
pub(crate) const ARTIFACT_NAME: &str = "answer";

pub(crate) use a2agw_provider::drive::{Closed, Out, Stop, status};

/// The message being streamed: the Azure message id is the artifact id.
struct Current {
    id: String,
    /// The latest delta, held back so that the last one can carry `last_chunk`.
    held: Option<String>,
    emitted: usize,
}

/// Reads one run stream.
pub(crate) struct Pump<'a> {
    client: &'a Client,
    thread_id: String,
    run_id: Option<String>,
    saved_run: bool,
    working_sent: bool,
    current: Option<Current>,
    /// Azure message ids already turned into an artifact.
    finished_messages: Vec<String>,
}

impl<'a> Pump<'a> {
    pub(crate) fn new(client: &'a Client, thread_id: String, run_id: Option<String>) -> Self {
        Pump {
            client,
            thread_id,
            run_id,
            saved_run: false,
            working_sent: false,
            current: None,
            finished_messages: Vec::new(),
        }
    }

    /// A pump for a run that an earlier gateway instance started: its id is saved and the
    /// task is WORKING already, so neither is reported again.
    pub(crate) fn recovered(client: &'a Client, thread_id: String, run_id: String) -> Self {
        Pump {
            saved_run: true,
            working_sent: true,
            ..Pump::new(client, thread_id, Some(run_id))
        }
    }

    /// Reads `resp` until the run finishes or stops for input.
    pub(crate) async fn run(mut self, resp: Response, out: &mut Out) -> Result<(), Stop> {
        let idle = self.client.idle_timeout;
        let mut events = resp.bytes_stream().eventsource();
        loop {
            let Ok(next) = tokio::time::timeout(idle, events.next()).await else {
                drop(events);
                let cancelled = self.cancel_after_timeout().await;
                return Err(ProviderError::timeout(format!(
                    "Azure AI Foundry sent nothing for {} s on the run stream{}; the task \
                         was stopped. Try again later, or raise the idle timeout if the agent's \
                         tools are slow",
                    idle.as_secs_f32(),
                    if cancelled {
                        " (the run was cancelled)"
                    } else {
                        ""
                    }
                ))
                .into());
            };
            let event = match next {
                None => {
                    return Err(ProviderError::malformed(
                        "the run stream from Azure AI Foundry ended before the run finished \
                         (no thread.run.completed, failed or requires_action event): the \
                         stream was truncated; try again",
                    )
                    .into());
                }
                Some(Err(e)) => {
                    let why = match &e {
                        eventsource_stream::EventStreamError::Transport(t) => without_url(t),
                        other => other.to_string(),
                    };
                    return Err(ProviderError::malformed(format!(
                        "the run stream from Azure AI Foundry broke off ({why}); try again"
                    ))
                    .into());
                }
                Some(Ok(ev)) => ev,
            };
            if event.event == "done" {
                return Err(ProviderError::malformed(
                    "Azure AI Foundry ended the run stream (`done`) before the run finished: \
                     no thread.run.completed, failed or requires_action event",
                )
                .into());
            }
            if self.handle(&event.event, &event.data, out).await? {
                return Ok(());
            }
        }
    }

    /// Handles one event; `true` when the run reached a final or interrupted state.
    async fn handle(&mut self, name: &str, data: &str, out: &mut Out) -> Result<bool, Stop> {
        if name == "error" {
            let v: Value = serde_json::from_str(data).unwrap_or(Value::Null);
            let err = v.get("error").unwrap_or(&v);
            let code = str_at(err, "code").unwrap_or("error");
            let message = str_at(err, "message").unwrap_or(data);
            let kind = if matches!(code, "server_error" | "rate_limit_exceeded") {
                a2agw_provider::ProviderErrorKind::Unavailable
            } else {
                a2agw_provider::ProviderErrorKind::Other
            };
            return Err(ProviderError::new(
                kind,
                format!("Azure AI Foundry reported an error during the run: {code}: {message}"),
            )
            .into());
        }
        if let Some(what) = name.strip_prefix("thread.run.")
            && !what.starts_with("step.")
        {
            let run = parse(name, data)?;
            return self.on_run(what, &run, out).await;
        }
        match name {
            "thread.message.delta" => {
                let v = parse(name, data)?;
                let id = str_at(&v, "id").unwrap_or_default().to_owned();
                let text = delta_text(&v);
                if text.is_empty() {
                    return Ok(false);
                }
                if self.current.as_ref().is_some_and(|c| c.id != id) {
                    self.flush(out).await?;
                }
                let cur = self.current.get_or_insert(Current {
                    id,
                    held: None,
                    emitted: 0,
                });
                if let Some(prev) = cur.held.replace(text) {
                    let event = chunk(&cur.id, prev, cur.emitted > 0, false);
                    cur.emitted += 1;
                    out.emit(event).await?;
                }
            }
            "thread.message.completed" | "thread.message.incomplete" => {
                let v = parse(name, data)?;
                let id = str_at(&v, "id").unwrap_or_default().to_owned();
                if self.current.as_ref().is_some_and(|c| c.id == id) {
                    self.flush(out).await?;
                } else if !self.finished_messages.contains(&id)
                    && str_at(&v, "role") != Some("user")
                {
                    // A message that came whole, without deltas.
                    let text = message_text(&v);
                    if !text.is_empty() {
                        out.emit(chunk(&id, text, false, true)).await?;
                        self.finished_messages.push(id);
                    }
                }
            }
            _ => {}
        }
        Ok(false)
    }

    /// Emits the held-back delta as the last chunk of its artifact.
    async fn flush(&mut self, out: &mut Out) -> Result<(), Closed> {
        if let Some(mut cur) = self.current.take() {
            if let Some(text) = cur.held.take() {
                out.emit(chunk(&cur.id, text, cur.emitted > 0, true))
                    .await?;
            }
            self.finished_messages.push(cur.id);
        }
        Ok(())
    }

    /// Handles a run event (`what` is the status, e.g. `completed`); `true` when the run
    /// reached a final or interrupted state.
    pub(crate) async fn on_run(
        &mut self,
        what: &str,
        run: &Value,
        out: &mut Out,
    ) -> Result<bool, Stop> {
        if let Some(id) = str_at(run, "id")
            && (!self.saved_run || self.run_id.as_deref() != Some(id))
        {
            self.run_id = Some(id.to_owned());
            self.saved_run = true;
            let data = SessionData {
                thread_id: self.thread_id.clone(),
                run_id: self.run_id.clone(),
                ..SessionData::default()
            };
            out.emit(ProviderEvent::SaveData(data.to_value())).await?;
        }
        if !self.working_sent {
            self.working_sent = true;
            out.emit(status(TaskState::Working, None)).await?;
        }
        let thread_only = {
            let saved = ProviderEvent::SaveData(
                SessionData {
                    thread_id: self.thread_id.clone(),
                    ..SessionData::default()
                }
                .to_value(),
            );
            move || saved.clone()
        };
        match what {
            "requires_action" => {
                self.flush(out).await?;
                let (data, message) = self.input_required(run)?;
                out.emit(ProviderEvent::SaveData(data.to_value())).await?;
                out.emit(status(TaskState::InputRequired, Some(message)))
                    .await?;
                Ok(true)
            }
            "completed" => {
                self.flush(out).await?;
                out.emit(thread_only()).await?;
                out.emit(status(TaskState::Completed, None)).await?;
                Ok(true)
            }
            "failed" => {
                self.flush(out).await?;
                let err = run.get("last_error").unwrap_or(&Value::Null);
                let code = str_at(err, "code").unwrap_or("unknown_error");
                let message = str_at(err, "message").unwrap_or("no details given");
                out.emit(thread_only()).await?;
                out.emit(status(
                    TaskState::Failed,
                    Some(with_code(
                        agent_text(format!("The Azure agent run failed: {code}: {message}")),
                        code,
                    )),
                ))
                .await?;
                Ok(true)
            }
            "cancelled" => {
                self.flush(out).await?;
                out.emit(thread_only()).await?;
                out.emit(status(
                    TaskState::Canceled,
                    Some(agent_text("The Azure agent run was cancelled")),
                ))
                .await?;
                Ok(true)
            }
            "expired" => {
                self.flush(out).await?;
                out.emit(thread_only()).await?;
                out.emit(status(
                    TaskState::Failed,
                    Some(with_code(
                        agent_text(
                            "The Azure agent run expired (tool outputs must be sent within \
                             about 10 minutes); send the request again as a new task",
                        ),
                        "expired",
                    )),
                ))
                .await?;
                Ok(true)
            }
            "incomplete" => {
                self.flush(out).await?;
                let reason = run
                    .get("incomplete_details")
                    .and_then(|d| str_at(d, "reason"))
                    .unwrap_or("unknown");
                out.emit(thread_only()).await?;
                out.emit(status(
                    TaskState::Failed,
                    Some(with_code(
                        agent_text(format!(
                            "The Azure agent could not complete the run (reason: {reason})"
                        )),
                        reason,
                    )),
                ))
                .await?;
                Ok(true)
            }
            // created, queued, in_progress, cancelling, and anything new: still working.
            _ => Ok(false),
        }
    }

    /// The saved data and the question for a `requires_action` run.
    fn input_required(&self, run: &Value) -> Result<(SessionData, Message)> {
        let bad = |why: &str| {
            ProviderError::malformed(format!(
                "Azure AI Foundry sent a thread.run.requires_action event {why}"
            ))
        };
        let ra = run
            .get("required_action")
            .ok_or_else(|| bad("without required_action"))?;
        let action = str_at(ra, "type")
            .ok_or_else(|| bad("without required_action.type"))?
            .to_owned();
        let calls = ra
            .get(&action)
            .and_then(|a| a.get("tool_calls"))
            .and_then(Value::as_array)
            .ok_or_else(|| bad(&format!("without required_action.{action}.tool_calls")))?;
        let mut ids = Vec::new();
        let mut described = Vec::new();
        let mut names = Vec::new();
        for call in calls {
            let id = str_at(call, "id").ok_or_else(|| bad("with a tool call without id"))?;
            // Function calls have `function: {name, arguments}`; MCP calls have them flat.
            let f = call.get("function").unwrap_or(call);
            let name = str_at(f, "name").unwrap_or("").to_owned();
            let arguments = match f.get("arguments") {
                Some(Value::String(s)) => {
                    serde_json::from_str(s).unwrap_or_else(|_| Value::String(s.clone()))
                }
                Some(v) => v.clone(),
                None => Value::Null,
            };
            let mut d = json!({
                "id": id,
                "type": str_at(call, "type").unwrap_or("function"),
                "name": name,
                "arguments": arguments,
            });
            if let Some(label) = str_at(call, "server_label") {
                d["server_label"] = json!(label);
            }
            ids.push(id.to_owned());
            names.push(if name.is_empty() { id.to_owned() } else { name });
            described.push(d);
        }
        let run_id = self.run_id.clone().ok_or_else(|| bad("without a run id"))?;
        let text = if action == "submit_tool_approval" {
            format!(
                "The agent asks for approval to call: {}. Reply on this task with a data part \
                 {{\"tool_approvals\": [{{\"tool_call_id\": \"…\", \"approve\": true}}]}}, or \
                 with the text \"approve\" or \"deny\" for all of them.",
                names.join(", ")
            )
        } else {
            format!(
                "The agent wants the results of these tool calls: {}. Reply on this task with \
                 a data part {{\"tool_outputs\": [{{\"tool_call_id\": \"…\", \"output\": \"…\"}}]}}{}.",
                names.join(", "),
                if ids.len() == 1 {
                    ", or with the output as plain text"
                } else {
                    ""
                }
            )
        };
        let message = Message {
            message_id: new_id(),
            role: Role::Agent,
            parts: vec![
                Part::text(text),
                Part::data(json!({
                    "action": action,
                    "run_id": run_id,
                    "tool_calls": described,
                })),
            ],
            ..Message::default()
        };
        let data = SessionData {
            thread_id: self.thread_id.clone(),
            run_id: Some(run_id),
            tool_call_ids: ids,
            action: Some(action),
        };
        Ok((data, message))
    }

    /// After an idle timeout: asks Azure to cancel the run so it does not keep working.
    pub(crate) async fn cancel_after_timeout(&self) -> bool {
        let Some(run_id) = &self.run_id else {
            return false;
        };
        let path = format!("/threads/{}/runs/{run_id}/cancel", self.thread_id);
        match self
            .client
            .send(
                Method::POST,
                &path,
                None,
                "cancelling the run",
                Phase::After,
                false,
            )
            .await
        {
            Ok(_) => true,
            Err(e) => {
                tracing::warn!(run_id, error = %e, "azure: could not cancel a run after an idle timeout");
                false
            }
        }
    }
}

pub(crate) fn chunk(id: &str, text: String, append: bool, last_chunk: bool) -> ProviderEvent {
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

fn with_code(mut message: Message, code: &str) -> Message {
    let mut m = a2agw_types::Metadata::new();
    m.insert("azureErrorCode".into(), json!(code));
    message.metadata = Some(m);
    message
}

fn parse(name: &str, data: &str) -> Result<Value> {
    let v: Value = serde_json::from_str(data).map_err(|e| {
        ProviderError::malformed(format!(
            "Azure AI Foundry sent an invalid `{name}` event on the run stream ({e}); try again"
        ))
    })?;
    if v.is_object() {
        Ok(v)
    } else {
        Err(ProviderError::malformed(format!(
            "Azure AI Foundry sent a `{name}` event whose data is not a JSON object"
        )))
    }
}

pub(crate) fn str_at<'v>(v: &'v Value, key: &str) -> Option<&'v str> {
    v.get(key).and_then(Value::as_str)
}

/// The text of a `thread.message.delta`: `delta.content[*].text.value`.
fn delta_text(v: &Value) -> String {
    content_text(v.get("delta").and_then(|d| d.get("content")))
}

/// The text of a whole message: `content[*].text.value`.
pub(crate) fn message_text(v: &Value) -> String {
    content_text(v.get("content"))
}

fn content_text(content: Option<&Value>) -> String {
    content
        .and_then(Value::as_array)
        .map(|blocks| {
            blocks
                .iter()
                .filter_map(|b| b.get("text").and_then(|t| t.get("value")))
                .filter_map(Value::as_str)
                .collect()
        })
        .unwrap_or_default()
}
