//! A query's ADK events (NDJSON or SSE `data:` lines, or the `output` of `:query`) turned
//! into A2A provider events.

use crate::http::{excerpt, google_error, without_url};
use crate::resume::{self, Pending};
use crate::{CallKind, SessionData};
use a2agw_provider::{ProviderError, ProviderErrorKind, ProviderEvent, Result, agent_text, new_id};
use a2agw_types::{Artifact, Part, TaskState};
use futures::StreamExt;
use reqwest::Response;
use serde_json::{Value, json};
use std::time::Duration;

/// The name of the answer artifacts.
pub(crate) const ARTIFACT_NAME: &str = "answer";
/// ADK's function call that asks the user to confirm a tool call.
pub(crate) const CONFIRMATION_CALL: &str = "adk_request_confirmation";
/// ADK's function call that asks the user for credentials.
pub(crate) const CREDENTIAL_CALL: &str = "adk_request_credential";
/// The longest line we buffer (a peer could otherwise send one endless line).
const MAX_LINE: usize = 16 * 1024 * 1024;

pub(crate) use a2agw_provider::drive::{Closed, Out, Stop, status};

pub(crate) use a2agw_provider::drive::drive_stream;

/// `v[snake]`, or `v[camel]` (ADK dumps field names; some serializers use aliases).
pub(crate) fn field<'v>(v: &'v Value, snake: &str, camel: &str) -> Option<&'v Value> {
    v.get(snake)
        .or_else(|| v.get(camel))
        .filter(|x| !x.is_null())
}

fn str_field<'v>(v: &'v Value, snake: &str, camel: &str) -> Option<&'v str> {
    field(v, snake, camel).and_then(Value::as_str)
}

/// The text being streamed as one artifact.
struct Segment {
    id: String,
    /// Everything streamed so far.
    streamed: String,
    /// The latest delta, held back so that the last one can carry `last_chunk`.
    held: Option<String>,
    emitted: usize,
}

/// A function call seen in this query.
struct Call {
    id: String,
    name: String,
    args: Value,
}

/// Whether the query is over (an error event ended it) or goes on.
type Done = bool;

/// One query's worth of events.
pub(crate) struct Turn {
    session: SessionData,
    /// The saved data has pending calls that this query answers: clear them at the end.
    clear_pending: bool,
    segment: Option<Segment>,
    calls: Vec<Call>,
    long_running: Vec<String>,
    confirmations: Vec<(String, Value)>,
    auth_configs: Vec<(String, Value)>,
}

impl Turn {
    pub(crate) fn new(session: SessionData) -> Self {
        Turn {
            clear_pending: !session.pending.is_empty(),
            session,
            segment: None,
            calls: Vec::new(),
            long_running: Vec::new(),
            confirmations: Vec::new(),
            auth_configs: Vec::new(),
        }
    }

    /// Reads a `:streamQuery` body; `true` when an error event ended the query.
    pub(crate) async fn pump(
        &mut self,
        resp: Response,
        idle: Duration,
        out: &mut Out,
    ) -> Result<Done, Stop> {
        let mut body = resp.bytes_stream();
        let mut buf: Vec<u8> = Vec::new();
        loop {
            let Ok(next) = tokio::time::timeout(idle, body.next()).await else {
                return Err(ProviderError::timeout(format!(
                    "Vertex AI sent nothing for {} s on the query stream; the query was \
                     stopped. Try again later, or raise the idle timeout if the agent's tools \
                     are slow",
                    idle.as_secs_f32()
                ))
                .into());
            };
            match next {
                None => {
                    // The stream ended: a last line without a newline must still be whole.
                    if buf.is_empty() {
                        return Ok(false);
                    }
                    return match self.line(&buf, out).await {
                        Err(Stop::Error(e)) if e.kind == ProviderErrorKind::Malformed => {
                            Err(ProviderError::malformed(
                                "the query stream from Vertex AI ended in the middle of an \
                                 event: the stream was truncated; try again",
                            )
                            .into())
                        }
                        other => other,
                    };
                }
                Some(Err(e)) => {
                    return Err(ProviderError::malformed(format!(
                        "the query stream from Vertex AI broke off ({}); try again",
                        without_url(&e)
                    ))
                    .into());
                }
                Some(Ok(bytes)) => {
                    buf.extend_from_slice(&bytes);
                    while let Some(pos) = buf.iter().position(|b| *b == b'\n') {
                        let line: Vec<u8> = buf.drain(..=pos).collect();
                        if self.line(&line, out).await? {
                            return Ok(true);
                        }
                    }
                    if buf.len() > MAX_LINE {
                        return Err(ProviderError::malformed(format!(
                            "Vertex AI sent a line longer than {} MiB on the query stream",
                            MAX_LINE / (1024 * 1024)
                        ))
                        .into());
                    }
                }
            }
        }
    }

    /// One line: SSE framing stripped, then one JSON value.
    async fn line(&mut self, raw: &[u8], out: &mut Out) -> Result<Done, Stop> {
        let text = std::str::from_utf8(raw).map_err(|_| {
            ProviderError::malformed("Vertex AI sent a line that is not UTF-8 on the query stream")
        })?;
        let line = text.trim_end_matches(['\n', '\r']);
        let payload = if let Some(data) = line.strip_prefix("data:") {
            data.strip_prefix(' ').unwrap_or(data)
        } else if line.starts_with(':')
            || ["event:", "id:", "retry:"]
                .iter()
                .any(|p| line.starts_with(p))
        {
            return Ok(false);
        } else {
            line
        };
        if payload.trim().is_empty() {
            return Ok(false);
        }
        let value: Value = serde_json::from_str(payload).map_err(|e| {
            ProviderError::malformed(format!(
                "Vertex AI sent a line that is not JSON on the query stream ({e}); try again"
            ))
        })?;
        self.value(value, out).await
    }

    /// The `output` of a non-streaming `:query`: a list of events, one event, a text, or
    /// any other JSON value (the answer as data).
    pub(crate) async fn on_output(&mut self, output: Value, out: &mut Out) -> Result<Done, Stop> {
        let event_like = |v: &Value| {
            ["content", "actions", "error"]
                .iter()
                .any(|k| v.get(k).is_some())
                || field(v, "error_code", "errorCode").is_some()
                || field(v, "error_message", "errorMessage").is_some()
        };
        match output {
            Value::Array(items) => {
                for item in items {
                    if self.value(item, out).await? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Value::Null => Ok(false),
            Value::String(_) => self.value(output, out).await,
            Value::Object(_) if event_like(&output) => self.value(output, out).await,
            output => {
                // Not an ADK event: the answer as data.
                self.end_segment(out).await?;
                out.emit(ProviderEvent::Artifact {
                    artifact: Artifact {
                        artifact_id: new_id(),
                        name: ARTIFACT_NAME.to_owned(),
                        parts: vec![Part::data(output)],
                        ..Artifact::default()
                    },
                    append: false,
                    last_chunk: true,
                })
                .await?;
                Ok(false)
            }
        }
    }

    /// One JSON value of the stream: an ADK event, a Google error, or a bare text.
    async fn value(&mut self, value: Value, out: &mut Out) -> Result<Done, Stop> {
        match value {
            Value::Object(_) => self.event(&value, out).await,
            Value::String(s) => {
                self.whole_text(&new_id(), &s, out).await?;
                Ok(false)
            }
            Value::Array(items) => {
                for item in items {
                    if Box::pin(self.value(item, out)).await? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            _ => Err(ProviderError::malformed(
                "Vertex AI sent a value on the query stream that is not an ADK event",
            )
            .into()),
        }
    }

    async fn event(&mut self, ev: &Value, out: &mut Out) -> Result<Done, Stop> {
        if let Some((code, status, message)) = google_error(ev) {
            let kind = if code == 429 || code >= 500 {
                ProviderErrorKind::Unavailable
            } else {
                ProviderErrorKind::Other
            };
            let what = if status.is_empty() {
                code.to_string()
            } else {
                status
            };
            return Err(ProviderError::new(
                kind,
                format!(
                    "Vertex AI reported an error during the query: {what}: {}",
                    excerpt(&message)
                ),
            )
            .into());
        }
        let done = self.content(ev, out).await?;
        let code = str_field(ev, "error_code", "errorCode");
        let message = str_field(ev, "error_message", "errorMessage");
        if code.is_some() || message.is_some() {
            let code = code.unwrap_or("ERROR").to_owned();
            let message = message.unwrap_or("no details given").to_owned();
            self.end_segment(out).await?;
            if self.clear_pending {
                out.emit(ProviderEvent::SaveData(self.session.settled().to_value()))
                    .await?;
            }
            let mut msg = agent_text(format!(
                "The Vertex AI agent reported an error: {code}: {}",
                excerpt(&message)
            ));
            let mut meta = a2agw_types::Metadata::new();
            meta.insert("vertexErrorCode".into(), json!(code));
            msg.metadata = Some(meta);
            out.emit(status(TaskState::Failed, Some(msg))).await?;
            return Ok(true);
        }
        Ok(done)
    }

    /// The text, function calls and actions of an event.
    async fn content(&mut self, ev: &Value, out: &mut Out) -> Result<Done, Stop> {
        let id = str_field(ev, "id", "id")
            .filter(|s| !s.is_empty())
            .map_or_else(new_id, str::to_owned);
        let partial = field(ev, "partial", "partial").and_then(Value::as_bool) == Some(true);
        let parts = ev
            .get("content")
            .and_then(|c| c.get("parts"))
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let mut text = String::new();
        let mut has_call = false;
        for part in parts {
            let thought = part.get("thought").and_then(Value::as_bool) == Some(true);
            if let Some(t) = part.get("text").and_then(Value::as_str)
                && !thought
            {
                text.push_str(t);
            }
            if let Some(call) = field(part, "function_call", "functionCall") {
                has_call = true;
                self.calls.push(Call {
                    id: str_field(call, "id", "id").unwrap_or_default().to_owned(),
                    name: str_field(call, "name", "name")
                        .unwrap_or_default()
                        .to_owned(),
                    args: call.get("args").cloned().unwrap_or_else(|| json!({})),
                });
            }
        }
        if !text.is_empty() {
            if partial {
                self.delta(&id, text, out).await?;
            } else {
                self.whole_text(&id, &text, out).await?;
            }
        }
        if has_call {
            self.end_segment(out).await?;
        }
        if let Some(ids) =
            field(ev, "long_running_tool_ids", "longRunningToolIds").and_then(Value::as_array)
        {
            for id in ids.iter().filter_map(Value::as_str) {
                if !self.long_running.iter().any(|x| x == id) {
                    self.long_running.push(id.to_owned());
                }
            }
        }
        if let Some(actions) = ev.get("actions") {
            collect(
                &mut self.confirmations,
                field(
                    actions,
                    "requested_tool_confirmations",
                    "requestedToolConfirmations",
                ),
            );
            collect(
                &mut self.auth_configs,
                field(actions, "requested_auth_configs", "requestedAuthConfigs"),
            );
        }
        Ok(false)
    }

    /// A token delta (`partial: true`).
    async fn delta(&mut self, id: &str, text: String, out: &mut Out) -> Result<(), Closed> {
        let seg = self.segment.get_or_insert_with(|| Segment {
            id: id.to_owned(),
            streamed: String::new(),
            held: None,
            emitted: 0,
        });
        seg.streamed.push_str(&text);
        if let Some(prev) = seg.held.replace(text) {
            let event = chunk(&seg.id, prev, seg.emitted > 0, false);
            seg.emitted += 1;
            out.emit(event).await?;
        }
        Ok(())
    }

    /// A whole text: closes the streamed artifact it repeats, or is an artifact of its own.
    async fn whole_text(&mut self, id: &str, text: &str, out: &mut Out) -> Result<(), Closed> {
        let Some(mut seg) = self.segment.take() else {
            return out.emit(chunk(id, text.to_owned(), false, true)).await;
        };
        let held = seg.held.take().unwrap_or_default();
        if let Some(rest) = text.strip_prefix(seg.streamed.as_str()) {
            out.emit(chunk(&seg.id, held + rest, seg.emitted > 0, true))
                .await
        } else {
            // The whole text differs from the deltas: it replaces them.
            out.emit(chunk(&seg.id, text.to_owned(), false, true)).await
        }
    }

    /// Closes the streamed artifact (its deltas were never repeated).
    async fn end_segment(&mut self, out: &mut Out) -> Result<(), Closed> {
        if let Some(mut seg) = self.segment.take()
            && let Some(text) = seg.held.take()
        {
            out.emit(chunk(&seg.id, text, seg.emitted > 0, true))
                .await?;
        }
        Ok(())
    }

    /// The calls the agent now waits for.
    fn pending(&self) -> Vec<Pending> {
        let mut pending: Vec<Pending> = Vec::new();
        for id in &self.long_running {
            let Some(call) = self.calls.iter().rev().find(|c| &c.id == id) else {
                tracing::debug!(call_id = %id, "vertex: a long-running tool id without its call");
                continue;
            };
            let kind = match call.name.as_str() {
                CONFIRMATION_CALL => CallKind::Confirmation,
                CREDENTIAL_CALL => CallKind::Auth,
                _ => CallKind::Tool,
            };
            let auth_config = (kind == CallKind::Auth)
                .then(|| field(&call.args, "auth_config", "authConfig").cloned())
                .flatten();
            pending.push(Pending {
                id: call.id.clone(),
                name: call.name.clone(),
                kind,
                args: call.args.clone(),
                auth_config,
            });
        }
        // Requests that came without ADK's request call: answer the original call.
        if !pending.iter().any(|p| p.kind == CallKind::Confirmation) {
            for (id, confirmation) in &self.confirmations {
                pending.push(Pending {
                    id: id.clone(),
                    name: CONFIRMATION_CALL.to_owned(),
                    kind: CallKind::Confirmation,
                    args: json!({
                        "originalFunctionCall": self.call_json(id),
                        "toolConfirmation": confirmation,
                    }),
                    auth_config: None,
                });
            }
        }
        if !pending.iter().any(|p| p.kind == CallKind::Auth) {
            for (id, config) in &self.auth_configs {
                pending.push(Pending {
                    id: id.clone(),
                    name: CREDENTIAL_CALL.to_owned(),
                    kind: CallKind::Auth,
                    args: json!({"functionCallId": id, "authConfig": config}),
                    auth_config: Some(config.clone()),
                });
            }
        }
        pending
    }

    fn call_json(&self, id: &str) -> Value {
        self.calls.iter().rev().find(|c| c.id == id).map_or_else(
            || json!({"id": id}),
            |c| json!({"id": c.id, "name": c.name, "args": c.args}),
        )
    }

    /// The query ended: COMPLETED, or interrupted when calls are pending.
    pub(crate) async fn finish(mut self, out: &mut Out) -> Result<(), Stop> {
        self.end_segment(out).await?;
        let pending = self.pending();
        if pending.is_empty() {
            if self.clear_pending {
                out.emit(ProviderEvent::SaveData(self.session.settled().to_value()))
                    .await?;
            }
            out.emit(status(TaskState::Completed, None)).await?;
            return Ok(());
        }
        let data = SessionData {
            pending: pending.iter().map(Pending::saved).collect(),
            ..self.session.settled()
        };
        out.emit(ProviderEvent::SaveData(data.to_value())).await?;
        let (state, question) = resume::question(&pending);
        out.emit(status(state, Some(question))).await?;
        Ok(())
    }
}

/// Adds the entries of a `{call id: value}` map.
fn collect(into: &mut Vec<(String, Value)>, map: Option<&Value>) {
    let Some(map) = map.and_then(Value::as_object) else {
        return;
    };
    for (k, v) in map {
        if !into.iter().any(|(id, _)| id == k) {
            into.push((k.clone(), v.clone()));
        }
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
