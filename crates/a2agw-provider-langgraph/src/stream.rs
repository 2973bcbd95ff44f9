//! Turning a run's SSE stream into provider events.

use crate::Saved;
use crate::http::Client;
use a2agw_provider::{EventStream, ProviderError, ProviderEvent, Result, new_id};
use a2agw_types::{Artifact, Message, Part, Role, TaskState};
use eventsource_stream::{Event, EventStreamError, Eventsource};
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

type SseStream = BoxStream<'static, Result<Event, EventStreamError<reqwest::Error>>>;

/// The state of one run's stream.
pub(crate) struct RunStream {
    client: Arc<Client>,
    saved: Saved,
    sse: SseStream,
    /// The last four bytes of the body, to tell a clean close from a cut-off event.
    tail: Arc<AtomicU32>,
    artifact_id: String,
    /// The latest text chunk, held back until we know whether it is the last.
    held: Option<String>,
    chunks_sent: usize,
    last_values: Option<Value>,
    any_event: bool,
    queue: VecDeque<Result<ProviderEvent>>,
    done: bool,
    /// Following a run that another gateway instance started ([`recover`]).
    recovering: bool,
}

impl RunStream {
    pub(crate) fn new(client: Arc<Client>, saved: Saved, resp: reqwest::Response) -> Self {
        Self::with_body(client, saved, resp.bytes_stream())
    }

    /// A stream for a run started by another instance: its joined stream (`None`: the run
    /// is over, or the server cannot join it) is read without its token chunks (it starts
    /// in the middle of the answer), and the outcome comes from the run and thread state.
    fn recovering(client: Arc<Client>, saved: Saved, resp: Option<reqwest::Response>) -> Self {
        let mut st = match resp {
            Some(resp) => Self::with_body(client, saved, resp.bytes_stream()),
            None => Self::with_body(client, saved, futures::stream::empty()),
        };
        st.recovering = true;
        st
    }

    fn with_body<S>(client: Arc<Client>, saved: Saved, body: S) -> Self
    where
        S: futures::Stream<Item = reqwest::Result<bytes::Bytes>> + Send + 'static,
    {
        let tail = Arc::new(AtomicU32::new(0));
        let seen = tail.clone();
        let bytes = body.inspect_ok(move |chunk| {
            let mut v = seen.load(Ordering::Relaxed);
            for b in chunk.iter().skip(chunk.len().saturating_sub(4)) {
                v = (v << 8) | u32::from(*b);
            }
            seen.store(v, Ordering::Relaxed);
        });
        RunStream {
            client,
            saved,
            sse: bytes.eventsource().boxed(),
            tail,
            artifact_id: new_id(),
            held: None,
            chunks_sent: 0,
            last_values: None,
            any_event: false,
            queue: VecDeque::new(),
            done: false,
            recovering: false,
        }
    }

    pub(crate) fn into_stream(self) -> EventStream {
        futures::stream::unfold(self, |mut st| async move {
            loop {
                if let Some(ev) = st.queue.pop_front() {
                    return Some((ev, st));
                }
                if st.done {
                    return None;
                }
                st.step().await;
            }
        })
        .boxed()
    }

    fn run_name(&self) -> String {
        match &self.saved.run_id {
            Some(r) => format!("run {r} on thread {}", self.saved.thread_id),
            None => format!("the run on thread {}", self.saved.thread_id),
        }
    }

    fn fail(&mut self, e: ProviderError) {
        self.queue.push_back(Err(e));
        self.done = true;
    }

    async fn step(&mut self) {
        let idle = self.client.idle_timeout;
        match tokio::time::timeout(idle, self.sse.next()).await {
            // A joined stream that stays silent: ask the server how the run is doing.
            Err(_) if self.recovering => self.finish_recovered().await,
            Err(_) => {
                let e = ProviderError::timeout(format!(
                    "LangGraph sent nothing for {} s on {}; the graph may be stuck, or raise \
                     the idle timeout",
                    idle.as_secs_f32(),
                    self.run_name()
                ));
                self.fail(e);
            }
            Ok(None) => self.finish(false).await,
            Ok(Some(Err(e))) => {
                let why = match e {
                    EventStreamError::Transport(e) => e.without_url().to_string(),
                    other => other.to_string(),
                };
                let e = ProviderError::malformed(format!(
                    "the LangGraph stream of {} broke off ({why}); the answer is incomplete, \
                     retry the task",
                    self.run_name()
                ));
                self.fail(e);
            }
            Ok(Some(Ok(ev))) => self.handle(ev).await,
        }
    }

    fn parse(&mut self, ev: &Event) -> Option<Value> {
        match serde_json::from_str(&ev.data) {
            Ok(v) => Some(v),
            Err(e) => {
                let e = ProviderError::malformed(format!(
                    "LangGraph sent an unreadable `{}` event on {} ({e}); check the Agent \
                     Server version",
                    ev.event,
                    self.run_name()
                ));
                self.fail(e);
                None
            }
        }
    }

    async fn handle(&mut self, ev: Event) {
        self.any_event = true;
        match ev.event.as_str() {
            "metadata" => {
                let Some(v) = self.parse(&ev) else { return };
                if let Some(run) = v.get("run_id").and_then(Value::as_str)
                    && self.saved.run_id.as_deref() != Some(run)
                {
                    self.saved.run_id = Some(run.to_owned());
                    self.queue
                        .push_back(Ok(ProviderEvent::SaveData(self.saved.to_value())));
                }
            }
            "messages" => {
                let Some(v) = self.parse(&ev) else { return };
                let Some(chunk) = v.as_array().and_then(|a| a.first()) else {
                    let e = ProviderError::malformed(format!(
                        "LangGraph sent a `messages` event that is not a [message, metadata] \
                         pair on {}",
                        self.run_name()
                    ));
                    return self.fail(e);
                };
                // A joined stream starts mid-answer: the whole answer comes from the state.
                if is_ai(chunk) && !self.recovering {
                    let text = content_text(chunk.get("content"));
                    if !text.is_empty() {
                        self.push_text(text);
                    }
                }
            }
            "values" => {
                let Some(v) = self.parse(&ev) else { return };
                self.take_interrupts(&v);
                self.last_values = Some(v);
            }
            "updates" => {
                let Some(v) = self.parse(&ev) else { return };
                self.take_interrupts(&v);
            }
            "error" => {
                let v: Value = serde_json::from_str(&ev.data).unwrap_or(Value::Null);
                let name = v
                    .get("error")
                    .and_then(Value::as_str)
                    .unwrap_or("Error")
                    .to_owned();
                let detail = v
                    .get("message")
                    .and_then(Value::as_str)
                    .map_or_else(|| ev.data.clone(), str::to_owned);
                self.flush(false);
                let mut msg = Message::text(
                    Role::Agent,
                    new_id(),
                    format!("The LangGraph run failed: {name}: {detail}"),
                );
                let mut meta = a2agw_types::Metadata::new();
                meta.insert("langgraph_error".into(), json!(name));
                msg.metadata = Some(meta);
                self.status(TaskState::Failed, Some(msg));
                self.done = true;
            }
            "end" => self.finish(true).await,
            // Other modes and subgraph events (`<mode>|<ns>`) carry nothing we map.
            _ => {}
        }
    }

    fn take_interrupts(&mut self, v: &Value) {
        let Some(list) = v.get("__interrupt__").and_then(Value::as_array) else {
            return;
        };
        self.add_interrupts(list);
    }

    fn take_state_interrupts(&mut self, state: &Value) {
        self.add_interrupts(&state_interrupts(state));
    }

    fn add_interrupts(&mut self, list: &[Value]) {
        for i in list {
            let id = i
                .get("id")
                .or_else(|| i.get("interrupt_id"))
                .cloned()
                .unwrap_or(Value::Null);
            let known = self
                .saved
                .interrupts
                .iter()
                .any(|k| k.get("id") == Some(&id) && !id.is_null());
            if !known {
                let value = i.get("value").cloned().unwrap_or(Value::Null);
                self.saved
                    .interrupts
                    .push(json!({ "id": id, "value": value }));
            }
        }
    }

    fn push_text(&mut self, text: String) {
        if let Some(prev) = self.held.replace(text) {
            self.chunk(prev, false);
        }
    }

    fn chunk(&mut self, text: String, last: bool) {
        self.queue.push_back(Ok(ProviderEvent::Artifact {
            artifact: Artifact {
                artifact_id: self.artifact_id.clone(),
                name: "response".into(),
                parts: vec![Part::text(text)],
                ..Artifact::default()
            },
            append: self.chunks_sent > 0,
            last_chunk: last,
        }));
        self.chunks_sent += 1;
    }

    /// Sends the held chunk as the last one; with `fallback`, when no token was streamed,
    /// the final state's last AI message instead.
    fn flush(&mut self, fallback: bool) {
        if let Some(text) = self.held.take() {
            self.chunk(text, true);
        } else if fallback
            && self.chunks_sent == 0
            && let Some(text) = self.last_values.as_ref().and_then(final_ai_text)
        {
            self.chunk(text, true);
        }
    }

    fn status(&mut self, state: TaskState, message: Option<Message>) {
        self.queue
            .push_back(Ok(ProviderEvent::Status { state, message }));
    }

    /// The stream ended (`end` event when `clean`, or the connection closed).
    async fn finish(&mut self, clean: bool) {
        if self.recovering {
            return self.finish_recovered().await;
        }
        self.done = true;
        if !clean {
            if !self.any_event {
                let e = ProviderError::malformed(format!(
                    "LangGraph closed the stream of {} without sending any event; check the \
                     Agent Server logs",
                    self.run_name()
                ));
                return self.fail(e);
            }
            if !ends_with_blank_line(self.tail.load(Ordering::Relaxed)) {
                let e = ProviderError::malformed(format!(
                    "the LangGraph stream of {} was cut off in the middle of an event; the \
                     answer is incomplete, retry the task",
                    self.run_name()
                ));
                return self.fail(e);
            }
        }
        if !self.saved.interrupts.is_empty() {
            self.flush(false);
            self.queue
                .push_back(Ok(ProviderEvent::SaveData(self.saved.to_value())));
            let (state, message) = interrupt_status(&self.saved.interrupts);
            return self.status(state, Some(message));
        }
        if !clean && let Some(run) = self.saved.run_id.clone() {
            // The server closed without `end`: ask how the run ended.
            let status = self
                .client
                .run_status(&self.saved.thread_id, &run)
                .await
                .unwrap_or_default();
            match status.as_str() {
                "interrupted" | "error" | "timeout" => {
                    self.flush(false);
                    return self.ended(&status, &run);
                }
                "pending" | "running" => {
                    let e = ProviderError::malformed(format!(
                        "the LangGraph stream of {} closed while the run was still going; the \
                         answer is incomplete, retry the task",
                        self.run_name()
                    ));
                    return self.fail(e);
                }
                // `success`, or unknown: the stream ended normally.
                _ => {}
            }
        }
        self.flush(true);
        self.status(TaskState::Completed, None);
    }
}

impl RunStream {
    /// CANCELED for a run interrupted by a cancel, FAILED for `error` / `timeout`.
    fn ended(&mut self, status: &str, run: &str) {
        if status == "interrupted" {
            let m = a2agw_provider::agent_text("The LangGraph run was canceled");
            self.status(TaskState::Canceled, Some(m));
        } else {
            let m = a2agw_provider::agent_text(format!(
                "The LangGraph run ended with status `{status}`; see the Agent Server logs for \
                 {run}"
            ));
            self.status(TaskState::Failed, Some(m));
        }
    }

    /// The end of a recovered run: waits (polling) while it is still going, then reports
    /// what the live stream would have, from the run's status and the thread's state.
    async fn finish_recovered(&mut self) {
        self.done = true;
        let Some(run) = self.saved.run_id.clone() else {
            return self.fail(ProviderError::malformed(
                "the saved LangGraph session of this task names no run",
            ));
        };
        let thread = self.saved.thread_id.clone();
        let since = tokio::time::Instant::now();
        let status = loop {
            let v = match self.client.get_run(&thread, &run).await {
                Ok(v) => v,
                Err(e) => return self.fail(e),
            };
            let status = v
                .get("status")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            if !matches!(status.as_str(), "pending" | "running") {
                break status;
            }
            let idle = self.client.idle_timeout;
            if since.elapsed() >= idle {
                let e = ProviderError::timeout(format!(
                    "LangGraph's {} was still `{status}` {} s after the task was taken over \
                     from another gateway instance; the graph may be stuck, or raise the idle \
                     timeout",
                    self.run_name(),
                    idle.as_secs_f32()
                ));
                return self.fail(e);
            }
            tokio::time::sleep(self.client.poll_interval).await;
        };
        if matches!(status.as_str(), "interrupted" | "error" | "timeout") {
            return self.ended(&status, &run);
        }
        let state = match self.client.thread_state(&thread).await {
            Ok(v) => v,
            Err(e) => return self.fail(e),
        };
        self.take_state_interrupts(&state);
        if !self.saved.interrupts.is_empty() {
            self.queue
                .push_back(Ok(ProviderEvent::SaveData(self.saved.to_value())));
            let (state, message) = interrupt_status(&self.saved.interrupts);
            return self.status(state, Some(message));
        }
        if let Some(values) = state.get("values").filter(|v| v.is_object()) {
            self.last_values = Some(values.clone());
        }
        self.flush(true);
        self.status(TaskState::Completed, None);
    }
}

/// Follows a run that another gateway instance started: joins its stream while it is
/// still going, then ends as [`RunStream::finish_recovered`] says.
pub(crate) fn recover(client: Arc<Client>, saved: Saved) -> EventStream {
    futures::stream::once(async move {
        let run = saved.run_id.clone().unwrap_or_default();
        let status = match client.get_run(&saved.thread_id, &run).await {
            Ok(v) => v.get("status").and_then(Value::as_str).map(str::to_owned),
            Err(e) => return futures::stream::iter([Err(e)]).boxed(),
        };
        let resp = if matches!(status.as_deref(), Some("pending" | "running")) {
            match client.join_run(&saved.thread_id, &run).await {
                Ok(resp) => resp,
                Err(e) => return futures::stream::iter([Err(e)]).boxed(),
            }
        } else {
            None
        };
        RunStream::recovering(client, saved, resp).into_stream()
    })
    .flatten()
    .boxed()
}

/// The pending interrupts of a thread state: `interrupts` (Python server), or those of its
/// `tasks` (JS server).
fn state_interrupts(state: &Value) -> Vec<Value> {
    if let Some(list) = state.get("interrupts").and_then(Value::as_array) {
        return list.clone();
    }
    let tasks = state.get("tasks").and_then(Value::as_array);
    tasks
        .into_iter()
        .flatten()
        .filter_map(|t| t.get("interrupts").and_then(Value::as_array))
        .flatten()
        .cloned()
        .collect()
}

fn ends_with_blank_line(tail: u32) -> bool {
    let b = tail.to_be_bytes();
    matches!(&b[2..], b"\n\n" | b"\r\r") || matches!(&b[1..], b"\n\r\n" | b"\r\r\n")
}

/// An AI message (chunk) in any of the serialisations LangGraph uses.
fn is_ai(m: &Value) -> bool {
    let t = m.get("type").and_then(Value::as_str).unwrap_or_default();
    let role = m.get("role").and_then(Value::as_str).unwrap_or_default();
    matches!(t, "AIMessageChunk" | "ai" | "AIMessage") || role == "assistant"
}

/// The text of a message `content`: a string, or a list of blocks with `text`.
fn content_text(content: Option<&Value>) -> String {
    match content {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(blocks)) => blocks
            .iter()
            .filter_map(|b| match b {
                Value::String(s) => Some(s.as_str()),
                _ if b.get("type").and_then(Value::as_str) == Some("text") => {
                    b.get("text").and_then(Value::as_str)
                }
                _ => None,
            })
            .collect(),
        _ => String::new(),
    }
}

/// The text of the final state's last message, when it is an AI message.
fn final_ai_text(values: &Value) -> Option<String> {
    let last = values.get("messages")?.as_array()?.last()?;
    is_ai(last)
        .then(|| content_text(last.get("content")))
        .filter(|t| !t.is_empty())
}

/// INPUT_REQUIRED (or AUTH_REQUIRED by convention) with the question and the interrupts.
fn interrupt_status(interrupts: &[Value]) -> (TaskState, Message) {
    let auth = interrupts
        .iter()
        .all(|i| i.pointer("/value/type").and_then(Value::as_str) == Some("auth_required"));
    let questions: Vec<String> = interrupts
        .iter()
        .map(|i| question_of(i.get("value").unwrap_or(&Value::Null)))
        .collect();
    let (state, text) = if auth {
        (
            TaskState::AuthRequired,
            format!(
                "The agent needs authorization: {}. Reply on this task once you have \
                 authorized.",
                questions.join("; ")
            ),
        )
    } else {
        (
            TaskState::InputRequired,
            format!(
                "The agent needs your input: {}. Reply on this task to continue.",
                questions.join("; ")
            ),
        )
    };
    let mut msg = Message::text(Role::Agent, new_id(), text);
    msg.parts
        .push(Part::data(json!({ "interrupts": interrupts })));
    (state, msg)
}

/// A readable question from an interrupt value.
fn question_of(value: &Value) -> String {
    if let Some(s) = value.as_str() {
        return s.to_owned();
    }
    ["question", "message", "prompt", "description"]
        .iter()
        .find_map(|k| value.get(*k).and_then(Value::as_str))
        .map_or_else(|| value.to_string(), str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_line_endings() {
        let tail = |s: &[u8]| s.iter().fold(0u32, |v, b| (v << 8) | u32::from(*b));
        assert!(ends_with_blank_line(tail(b"}\n\n")));
        assert!(ends_with_blank_line(tail(b"}\r\n\r\n")));
        assert!(!ends_with_blank_line(tail(b"\"Hel")));
        assert!(!ends_with_blank_line(tail(b"ab}\n")));
    }

    #[test]
    fn interrupts_of_a_thread_state() {
        let i = json!({"value": "why?", "id": "i1"});
        assert_eq!(
            state_interrupts(&json!({"interrupts": [i]})),
            std::slice::from_ref(&i)
        );
        assert_eq!(
            state_interrupts(&json!({"tasks": [{"interrupts": []}, {"interrupts": [i]}]})),
            [i]
        );
        assert!(state_interrupts(&json!({"values": {}})).is_empty());
    }

    #[test]
    fn content() {
        assert_eq!(content_text(Some(&json!("hi"))), "hi");
        assert_eq!(
            content_text(Some(
                &json!([{"type":"text","text":"a"},{"type":"tool_use"},"b"])
            )),
            "ab"
        );
        assert_eq!(question_of(&json!({"question":"approve?"})), "approve?");
        assert_eq!(question_of(&json!(3)), "3");
    }
}
