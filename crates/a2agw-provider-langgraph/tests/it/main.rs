//! The LangGraph provider against a fake Agent Server on loopback speaking the real wire
//! format (routes, `Content-Location`, SSE `metadata` / `messages` / `values` / `updates` /
//! `error` / `end`). The scenario is chosen by the assistant id.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub
)]

mod context;
mod recover;

use a2agw_provider::{Provider, ProviderErrorKind, ProviderEvent, TaskContext};
use a2agw_provider_langgraph::fake::{self, FakeServer};
use a2agw_provider_langgraph::{LangGraphConfig, LangGraphProvider};
use a2agw_types::{Artifact, Message, Part, Role, TaskState};
use futures::StreamExt;
use serde_json::{Value, json};
use std::time::Duration;

fn config(fake: &FakeServer, assistant: &str) -> LangGraphConfig {
    let mut cfg = LangGraphConfig::new(fake.base_url(), assistant);
    cfg.api_key = Some(fake::API_KEY.into());
    cfg.request_timeout = Duration::from_secs(2);
    cfg.idle_timeout = Duration::from_millis(500);
    cfg.poll_interval = Duration::from_millis(10);
    cfg
}

fn provider(fake: &FakeServer, assistant: &str) -> LangGraphProvider {
    LangGraphProvider::new(config(fake, assistant)).unwrap()
}

async fn start() -> FakeServer {
    FakeServer::start().await.unwrap()
}

fn ctx() -> TaskContext {
    TaskContext {
        task_id: "task-1".into(),
        context_id: "ctx-1".into(),
        state: TaskState::Submitted,
        ..TaskContext::default()
    }
}

fn user(text: &str) -> Message {
    Message::text(Role::User, "m1", text)
}

/// Runs and collects every event; ids of messages and artifacts are replaced by `M` / `A`.
async fn collect(
    p: &LangGraphProvider,
    ctx: TaskContext,
    text: &str,
) -> Vec<Result<ProviderEvent, (ProviderErrorKind, String)>> {
    let stream = p.run(ctx, user(text)).await.unwrap();
    stream
        .map(|r| r.map(norm).map_err(|e| (e.kind, e.message)))
        .collect()
        .await
}

fn norm(ev: ProviderEvent) -> ProviderEvent {
    match ev {
        ProviderEvent::Status { state, message } => ProviderEvent::Status {
            state,
            message: message.map(|mut m| {
                m.message_id = "M".into();
                m
            }),
        },
        ProviderEvent::Artifact {
            mut artifact,
            append,
            last_chunk,
        } => {
            artifact.artifact_id = "A".into();
            ProviderEvent::Artifact {
                artifact,
                append,
                last_chunk,
            }
        }
        other => other,
    }
}

type Ev = Result<ProviderEvent, (ProviderErrorKind, String)>;

fn save(v: Value) -> Ev {
    Ok(ProviderEvent::SaveData(v))
}

fn status(state: TaskState) -> Ev {
    Ok(ProviderEvent::Status {
        state,
        message: None,
    })
}

fn chunk(text: &str, append: bool, last_chunk: bool) -> Ev {
    Ok(ProviderEvent::Artifact {
        artifact: Artifact {
            artifact_id: "A".into(),
            name: "response".into(),
            parts: vec![Part::text(text)],
            ..Artifact::default()
        },
        append,
        last_chunk,
    })
}

fn agent_msg(text: &str) -> Message {
    Message::text(Role::Agent, "M", text)
}

#[tokio::test]
async fn plain_answer() {
    let fake = start().await;
    let p = provider(&fake, "plain");
    let tid = p.thread_id_for("task-1");
    let events = collect(&p, ctx(), "hi").await;
    assert_eq!(
        events,
        [
            save(json!({"thread_id": tid, "run_id": "run-1"})),
            status(TaskState::Working),
            chunk("echo: ", false, false),
            chunk("hi", true, true),
            status(TaskState::Completed),
        ]
    );
    let calls = fake.calls();
    assert_eq!(calls[0].0, "POST /threads");
    assert_eq!(calls[0].1["thread_id"], json!(tid));
    assert_eq!(calls[0].1["if_exists"], "do_nothing");
    assert_eq!(calls[1].0, format!("POST /threads/{tid}/runs/stream"));
    let body = &calls[1].1;
    assert_eq!(body["assistant_id"], "plain");
    assert_eq!(body["input"]["messages"][0]["content"], "hi");
    assert_eq!(
        body["stream_mode"],
        json!(["values", "messages-tuple", "updates"])
    );
    assert!(body.get("command").is_none());
}

#[tokio::test]
async fn thread_is_reused_from_provider_data_and_answer_comes_from_values() {
    let fake = start().await;
    let p = provider(&fake, "values-only");
    let mut c = ctx();
    c.provider_data = Some(json!({"thread_id": "t-existing"}));
    let events = collect(&p, c, "hi").await;
    assert_eq!(
        events,
        [
            // No Content-Location: the run id comes from the `metadata` event.
            save(json!({"thread_id": "t-existing"})),
            status(TaskState::Working),
            save(json!({"thread_id": "t-existing", "run_id": "run-1"})),
            chunk("From values", false, true),
            status(TaskState::Completed),
        ]
    );
    let calls = fake.calls();
    assert_eq!(calls.len(), 1, "no thread creation: {calls:?}");
    assert_eq!(calls[0].0, "POST /threads/t-existing/runs/stream");
}

#[tokio::test]
async fn streamed_answer_in_many_chunks() {
    let fake = start().await;
    let p = provider(&fake, "chunks");
    let tid = p.thread_id_for("task-1");
    let events = collect(&p, ctx(), "count").await;
    let mut want = vec![
        save(json!({"thread_id": tid, "run_id": "run-1"})),
        status(TaskState::Working),
    ];
    for i in 0..10 {
        want.push(chunk(&format!("w{i} "), i > 0, i == 9));
    }
    want.push(status(TaskState::Completed));
    assert_eq!(events, want);
}

#[tokio::test]
async fn interrupt_then_resume() {
    let fake = start().await;
    let p = provider(&fake, "input");
    let tid = p.thread_id_for("task-1");
    let events = collect(&p, ctx(), "deploy").await;
    let interrupts = json!([{"id": "int-1", "value": {"question": "What is your name?"}}]);
    let saved = json!({"thread_id": tid, "run_id": "run-1", "interrupts": interrupts});
    let mut question = agent_msg(
        "The agent needs your input: What is your name?. Reply on this task to continue.",
    );
    question
        .parts
        .push(Part::data(json!({"interrupts": interrupts})));
    assert_eq!(
        events,
        [
            save(json!({"thread_id": tid, "run_id": "run-1"})),
            status(TaskState::Working),
            chunk("Checking", false, true),
            save(saved.clone()),
            Ok(ProviderEvent::Status {
                state: TaskState::InputRequired,
                message: Some(question),
            }),
        ]
    );

    // The reply on the same task resumes the run on the same thread.
    let mut c = ctx();
    c.state = TaskState::InputRequired;
    c.provider_data = Some(saved);
    let events = collect(&p, c, "yes").await;
    assert_eq!(
        events,
        [
            save(json!({"thread_id": tid, "run_id": "run-2"})),
            status(TaskState::Working),
            chunk("got: ", false, false),
            chunk("yes", true, true),
            status(TaskState::Completed),
        ]
    );
    let calls = fake.calls();
    let resume = calls.last().unwrap();
    assert_eq!(resume.0, format!("POST /threads/{tid}/runs/stream"));
    assert_eq!(resume.1["command"], json!({"resume": "yes"}));
    assert!(resume.1.get("input").is_none());
    assert_eq!(
        calls.iter().filter(|c| c.0 == "POST /threads").count(),
        1,
        "the thread is created once"
    );
}

#[tokio::test]
async fn cancel_mid_run() {
    let fake = start().await;
    let p = provider(&fake, "slow");
    let tid = p.thread_id_for("task-1");
    let mut stream = p.run(ctx(), user("slow")).await.unwrap();
    let first = stream.next().await.unwrap().unwrap();
    let saved = json!({"thread_id": tid, "run_id": "run-1"});
    assert_eq!(first, ProviderEvent::SaveData(saved.clone()));
    assert_eq!(
        norm(stream.next().await.unwrap().unwrap()),
        status(TaskState::Working).unwrap()
    );
    // Another instance could do this: everything it needs is in the saved data.
    let mut c = ctx();
    c.state = TaskState::Working;
    c.provider_data = Some(saved);
    p.cancel(c).await.unwrap();
    let rest: Vec<Ev> = stream
        .map(|r| r.map(norm).map_err(|e| (e.kind, e.message)))
        .collect()
        .await;
    assert_eq!(
        rest,
        [
            chunk("Working", false, true),
            Ok(ProviderEvent::Status {
                state: TaskState::Canceled,
                message: Some(agent_msg("The LangGraph run was canceled")),
            }),
        ]
    );
    assert!(
        fake.calls().iter().any(
            |c| c.0 == format!("POST /threads/{tid}/runs/run-1/cancel?wait=0&action=interrupt")
        )
    );
}

#[tokio::test]
async fn cancel_without_a_run_is_a_no_op() {
    let fake = start().await;
    let p = provider(&fake, "plain");
    p.cancel(ctx()).await.unwrap();
    assert!(fake.calls().is_empty());
}

async fn run_err(p: &LangGraphProvider) -> (ProviderErrorKind, String) {
    match p.run(ctx(), user("hi")).await {
        Ok(_) => panic!("expected an error"),
        Err(e) => (e.kind, e.message),
    }
}

#[tokio::test]
async fn upstream_4xx_rejects() {
    let fake = start().await;
    let (kind, msg) = run_err(&provider(&fake, "busy")).await;
    assert_eq!(kind, ProviderErrorKind::Rejected);
    assert_eq!(
        msg,
        "the LangGraph thread is busy with another run (HTTP 409); retry once it has finished: Thread is busy"
    );
    let (kind, msg) = run_err(&provider(&fake, "missing")).await;
    assert_eq!(kind, ProviderErrorKind::Rejected);
    assert!(
        msg.contains("assistant `missing`") && msg.contains("HTTP 404"),
        "{msg}"
    );

    // A wrong API key: not the task's fault, and the key is never echoed.
    let mut cfg = LangGraphConfig::new(fake.base_url(), "plain");
    cfg.api_key = Some("wrong-secret".into());
    let p = LangGraphProvider::new(cfg).unwrap();
    let (kind, msg) = run_err(&p).await;
    assert_eq!(kind, ProviderErrorKind::Unavailable);
    assert!(msg.contains("HTTP 401") && msg.contains("API key"), "{msg}");
    assert!(!msg.contains("wrong-secret"));
    assert!(!format!("{p:?}").contains("wrong-secret"));
}

#[tokio::test]
async fn upstream_5xx_is_unavailable() {
    let fake = start().await;
    let (kind, msg) = run_err(&provider(&fake, "boom")).await;
    assert_eq!(kind, ProviderErrorKind::Unavailable);
    assert_eq!(
        msg,
        "LangGraph failed with HTTP 503 while trying to start a run; retry later or check the Agent Server logs: overloaded"
    );
}

#[tokio::test]
async fn unreachable_server_is_unavailable() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let p = LangGraphProvider::new(LangGraphConfig::new(url, "plain")).unwrap();
    let (kind, msg) = run_err(&p).await;
    assert_eq!(kind, ProviderErrorKind::Unavailable);
    assert!(
        msg.starts_with("cannot reach LangGraph at http://127.0.0.1:"),
        "{msg}"
    );
}

#[tokio::test]
async fn error_event_fails_the_task() {
    let fake = start().await;
    let p = provider(&fake, "error-event");
    let tid = p.thread_id_for("task-1");
    let events = collect(&p, ctx(), "hi").await;
    let mut msg = agent_msg("The LangGraph run failed: ValueError: boom");
    let mut meta = a2agw_types::Metadata::new();
    meta.insert("langgraph_error".into(), json!("ValueError"));
    msg.metadata = Some(meta);
    assert_eq!(
        events,
        [
            save(json!({"thread_id": tid, "run_id": "run-1"})),
            status(TaskState::Working),
            Ok(ProviderEvent::Status {
                state: TaskState::Failed,
                message: Some(msg),
            }),
        ]
    );
}

fn last_err(events: &[Ev]) -> (ProviderErrorKind, String) {
    events.last().unwrap().clone().unwrap_err()
}

#[tokio::test]
async fn malformed_stream() {
    let fake = start().await;
    let p = provider(&fake, "malformed");
    let events = collect(&p, ctx(), "hi").await;
    assert_eq!(events.len(), 3, "{events:?}");
    let (kind, msg) = last_err(&events);
    assert_eq!(kind, ProviderErrorKind::Malformed);
    assert!(
        msg.starts_with("LangGraph sent an unreadable `messages` event on run run-1"),
        "{msg}"
    );
}

#[tokio::test]
async fn truncated_stream_mid_event() {
    let fake = start().await;
    let p = provider(&fake, "truncated");
    let events = collect(&p, ctx(), "hi").await;
    // The held chunk is not reported as complete.
    assert_eq!(events.len(), 3, "{events:?}");
    let (kind, msg) = last_err(&events);
    assert_eq!(kind, ProviderErrorKind::Malformed);
    assert!(
        msg.contains("was cut off in the middle of an event"),
        "{msg}"
    );
}

#[tokio::test]
async fn broken_connection_mid_stream() {
    let fake = start().await;
    let p = provider(&fake, "broken");
    let events = collect(&p, ctx(), "hi").await;
    let (kind, msg) = last_err(&events);
    assert_eq!(kind, ProviderErrorKind::Malformed);
    assert!(msg.contains("broke off"), "{msg}");
}

#[tokio::test]
async fn stream_closed_while_run_still_running() {
    let fake = start().await;
    let p = provider(&fake, "closed-early");
    let events = collect(&p, ctx(), "hi").await;
    let (kind, msg) = last_err(&events);
    assert_eq!(kind, ProviderErrorKind::Malformed);
    assert!(
        msg.contains("closed while the run was still going"),
        "{msg}"
    );
}

#[tokio::test]
async fn silent_stream_times_out() {
    let fake = start().await;
    let p = provider(&fake, "stall");
    let tid = p.thread_id_for("task-1");
    let events = collect(&p, ctx(), "hi").await;
    assert_eq!(events.len(), 3, "{events:?}");
    let (kind, msg) = last_err(&events);
    assert_eq!(kind, ProviderErrorKind::Timeout);
    assert_eq!(
        msg,
        format!(
            "LangGraph sent nothing for 0.5 s on run run-1 on thread {tid}; the graph may be stuck, or raise the idle timeout"
        )
    );
}

#[tokio::test]
async fn server_that_never_answers_times_out() {
    let fake = start().await;
    let mut cfg = LangGraphConfig::new(fake.base_url(), "hang");
    cfg.api_key = Some(fake::API_KEY.into());
    cfg.request_timeout = Duration::from_millis(300);
    let p = LangGraphProvider::new(cfg).unwrap();
    let (kind, msg) = run_err(&p).await;
    assert_eq!(kind, ProviderErrorKind::Timeout);
    assert!(
        msg.contains("did not answer within 0.3 s while trying to start a run"),
        "{msg}"
    );
}
