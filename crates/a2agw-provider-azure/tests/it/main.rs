//! `AzureAgentsProvider` against a fake Azure AI Foundry Agent Service on loopback.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub
)]

mod context;
mod credentials;
mod recover;

use a2agw_provider::{
    EventStream, Provider, ProviderError, ProviderErrorKind, ProviderEvent, TaskContext,
};
use a2agw_provider_azure::fake::{self, FakeServer};
use a2agw_provider_azure::{AzureAgentsConfig, AzureAgentsProvider};
use a2agw_types::{Artifact, Message, Part, Role, TaskState};
use azure_core::credentials::{AccessToken, TokenCredential, TokenRequestOptions};
use azure_core::time::{Duration as AzDuration, OffsetDateTime};
use futures::StreamExt;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug)]
struct FakeCredential(&'static str);

#[async_trait::async_trait]
impl TokenCredential for FakeCredential {
    async fn get_token(
        &self,
        scopes: &[&str],
        _options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        assert_eq!(scopes, ["https://ai.azure.com/.default"]);
        Ok(AccessToken::new(
            self.0,
            OffsetDateTime::now_utc() + AzDuration::hours(1),
        ))
    }
}

/// The configuration used by the tests: small timeouts and poll interval.
fn config(fake: &FakeServer, agent: &str) -> AzureAgentsConfig {
    let mut config = AzureAgentsConfig::new(fake.endpoint(), agent);
    config.idle_timeout = Duration::from_millis(500);
    config.request_timeout = Duration::from_secs(5);
    config.poll_interval = Duration::from_millis(10);
    config
}

fn provider_with(fake: &FakeServer, agent: &str, token: &'static str) -> AzureAgentsProvider {
    AzureAgentsProvider::new(config(fake, agent), Arc::new(FakeCredential(token))).unwrap()
}

fn provider(fake: &FakeServer, agent: &str) -> AzureAgentsProvider {
    provider_with(fake, agent, fake::TOKEN)
}

async fn start() -> FakeServer {
    FakeServer::start().await.unwrap()
}

fn ctx(state: TaskState, data: Option<Value>) -> TaskContext {
    TaskContext {
        task_id: "task-1".into(),
        context_id: "ctx-1".into(),
        state,
        provider_data: data,
        ..TaskContext::default()
    }
}

fn user(text: &str) -> Message {
    Message::text(Role::User, "m-1", text)
}

/// Clears the random message ids so that events compare exactly.
fn normalise(e: ProviderEvent) -> ProviderEvent {
    match e {
        ProviderEvent::Status {
            state,
            message: Some(mut m),
        } => {
            m.message_id.clear();
            ProviderEvent::Status {
                state,
                message: Some(m),
            }
        }
        other => other,
    }
}

async fn collect(stream: EventStream) -> Vec<Result<ProviderEvent, ProviderError>> {
    tokio::time::timeout(Duration::from_secs(10), stream.collect::<Vec<_>>())
        .await
        .expect("the stream ends")
        .into_iter()
        .map(|r| r.map(normalise))
        .collect()
}

async fn run(
    p: &AzureAgentsProvider,
    ctx: TaskContext,
    m: Message,
) -> Vec<Result<ProviderEvent, ProviderError>> {
    collect(p.run(ctx, m).await.unwrap()).await
}

fn save(v: Value) -> Result<ProviderEvent, ProviderError> {
    Ok(ProviderEvent::SaveData(v))
}

fn state(state: TaskState) -> Result<ProviderEvent, ProviderError> {
    Ok(ProviderEvent::Status {
        state,
        message: None,
    })
}

fn state_msg(state: TaskState, message: Message) -> Result<ProviderEvent, ProviderError> {
    Ok(ProviderEvent::Status {
        state,
        message: Some(message),
    })
}

fn agent_msg(parts: Vec<Part>) -> Message {
    Message {
        role: Role::Agent,
        parts,
        ..Message::default()
    }
}

fn chunk(id: &str, text: &str, append: bool, last: bool) -> Result<ProviderEvent, ProviderError> {
    Ok(ProviderEvent::Artifact {
        artifact: Artifact {
            artifact_id: id.into(),
            name: "answer".into(),
            parts: vec![Part::text(text)],
            ..Artifact::default()
        },
        append,
        last_chunk: last,
    })
}

fn err(kind: ProviderErrorKind, message: &str) -> Result<ProviderEvent, ProviderError> {
    Err(ProviderError::new(kind, message))
}

fn started() -> Vec<Result<ProviderEvent, ProviderError>> {
    vec![
        save(json!({"thread_id": "thread_1"})),
        save(json!({"thread_id": "thread_1", "run_id": "run_1"})),
        state(TaskState::Working),
    ]
}

fn with(
    mut a: Vec<Result<ProviderEvent, ProviderError>>,
    b: Vec<Result<ProviderEvent, ProviderError>>,
) -> Vec<Result<ProviderEvent, ProviderError>> {
    a.extend(b);
    a
}

#[tokio::test]
async fn plain_answer() {
    let fake = start().await;
    let p = provider(&fake, "plain");
    let events = run(&p, ctx(TaskState::Unspecified, None), user("What is A2A?")).await;
    assert_eq!(
        events,
        with(
            started(),
            vec![
                chunk("msg_2", "echo: ", false, false),
                chunk("msg_2", "What is A2A?", true, true),
                save(json!({"thread_id": "thread_1"})),
                state(TaskState::Completed),
            ]
        )
    );
    assert_eq!(
        fake.requests(),
        [
            "POST /threads",
            "POST /threads/thread_1/messages",
            "POST /threads/thread_1/runs"
        ]
    );
    let bodies = fake.bodies();
    assert_eq!(bodies[0], json!({"metadata": {"a2a_context_id": "ctx-1"}}));
    assert_eq!(
        bodies[1],
        json!({"role": "user", "content": "What is A2A?"})
    );
    assert_eq!(bodies[2], json!({"assistant_id": "plain", "stream": true}));
}

#[tokio::test]
async fn reuses_the_saved_thread() {
    let fake = start().await;
    let p = provider(&fake, "plain");
    run(&p, ctx(TaskState::Unspecified, None), user("first")).await;
    let events = run(
        &p,
        ctx(
            TaskState::Unspecified,
            Some(json!({"thread_id": "thread_1"})),
        ),
        user("again"),
    )
    .await;
    assert_eq!(events.len(), 6, "{events:?}");
    assert_eq!(
        fake.requests()[3..],
        [
            "POST /threads/thread_1/messages",
            "POST /threads/thread_1/runs"
        ]
    );
}

#[tokio::test]
async fn whole_message_without_deltas() {
    let fake = start().await;
    let p = provider(&fake, "asst_whole");
    let events = run(&p, ctx(TaskState::Unspecified, None), user("hi")).await;
    assert_eq!(
        events,
        with(
            started(),
            vec![
                chunk("msg_2", "All at once", false, true),
                save(json!({"thread_id": "thread_1"})),
                state(TaskState::Completed),
            ]
        )
    );
}

#[tokio::test]
async fn streamed_answer_in_many_deltas() {
    let fake = start().await;
    let p = provider(&fake, "asst_stream");
    let events = run(&p, ctx(TaskState::Unspecified, None), user("count")).await;
    let mut expected = started();
    for i in 0..20 {
        expected.push(chunk("msg_2", &format!("w{i} "), i > 0, i == 19));
    }
    expected.push(save(json!({"thread_id": "thread_1"})));
    expected.push(state(TaskState::Completed));
    assert_eq!(events, expected);
}

fn tools_question() -> Message {
    agent_msg(vec![
        Part::text(
            "The agent wants the results of these tool calls: get_weather, get_time. Reply on \
             this task with a data part {\"tool_outputs\": [{\"tool_call_id\": \"…\", \"output\": \"…\"}]}.",
        ),
        Part::data(json!({
            "action": "submit_tool_outputs",
            "run_id": "run_1",
            "tool_calls": [
                {"id": "call_a", "type": "function", "name": "get_weather", "arguments": {"city": "Paris"}},
                {"id": "call_b", "type": "function", "name": "get_time", "arguments": {}}
            ]
        })),
    ])
}

fn pending_data() -> Value {
    json!({
        "thread_id": "thread_1", "run_id": "run_1",
        "tool_call_ids": ["call_a", "call_b"], "action": "submit_tool_outputs"
    })
}

#[tokio::test]
async fn requires_action_then_tool_outputs_complete_the_run() {
    let fake = start().await;
    let p = provider(&fake, "asst_tools");
    let events = run(&p, ctx(TaskState::Unspecified, None), user("weather?")).await;
    assert_eq!(
        events,
        with(
            started(),
            vec![
                save(pending_data()),
                state_msg(TaskState::InputRequired, tools_question()),
            ]
        )
    );

    // The reply on the same task carries the outputs.
    let reply = Message {
        message_id: "m-2".into(),
        role: Role::User,
        parts: vec![Part::data(json!({"tool_outputs": [
            {"tool_call_id": "call_a", "output": "sunny"},
            {"tool_call_id": "call_b", "output": {"time": "12:00"}}
        ]}))],
        ..Message::default()
    };
    let events = run(
        &p,
        ctx(TaskState::InputRequired, Some(pending_data())),
        reply,
    )
    .await;
    assert_eq!(
        events,
        vec![
            save(json!({"thread_id": "thread_1", "run_id": "run_1"})),
            state(TaskState::Working),
            chunk("msg_2", "Sunny, ", false, false),
            chunk("msg_2", "at noon", true, true),
            save(json!({"thread_id": "thread_1"})),
            state(TaskState::Completed),
        ]
    );
    let log = fake.requests();
    assert_eq!(
        log.last().map(String::as_str),
        Some("POST /threads/thread_1/runs/run_1/submit_tool_outputs")
    );
    assert_eq!(
        fake.bodies().last().unwrap(),
        &json!({"tool_outputs": [
            {"tool_call_id": "call_a", "output": "sunny"},
            {"tool_call_id": "call_b", "output": "{\"time\":\"12:00\"}"}
        ], "stream": true})
    );
}

#[tokio::test]
async fn an_incomplete_reply_is_asked_again() {
    let fake = start().await;
    let p = provider(&fake, "asst_tools");
    let events = run(
        &p,
        ctx(TaskState::InputRequired, Some(pending_data())),
        user("sunny"),
    )
    .await;
    assert_eq!(
        events,
        vec![
            state(TaskState::Working),
            state_msg(
                TaskState::InputRequired,
                agent_msg(vec![
                    Part::text(
                        "The reply has no result for the tool call(s) call_a, call_b. The \
                         agent still waits for: call_a, call_b."
                    ),
                    Part::data(json!({
                        "action": "submit_tool_outputs", "run_id": "run_1",
                        "tool_call_ids": ["call_a", "call_b"]
                    })),
                ])
            ),
        ]
    );
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn run_failed_carries_the_azure_error() {
    let fake = start().await;
    let p = provider(&fake, "asst_failed");
    let events = run(&p, ctx(TaskState::Unspecified, None), user("hi")).await;
    let mut msg = agent_msg(vec![Part::text(
        "The Azure agent run failed: rate_limit_exceeded: Rate limit is exceeded.",
    )]);
    msg.metadata = json!({"azureErrorCode": "rate_limit_exceeded"})
        .as_object()
        .cloned();
    assert_eq!(
        events,
        with(
            started(),
            vec![
                save(json!({"thread_id": "thread_1"})),
                state_msg(TaskState::Failed, msg),
            ]
        )
    );
}

#[tokio::test]
async fn cancel_mid_run() {
    let fake = start().await;
    let p = provider(&fake, "asst_slow");
    let mut stream = p
        .run(ctx(TaskState::Unspecified, None), user("think"))
        .await
        .unwrap();
    // Read until the run id is saved: that is what the engine hands to `cancel`.
    let mut seen = Vec::new();
    let saved = loop {
        let ev = stream.next().await.unwrap().unwrap();
        seen.push(Ok(normalise(ev.clone())));
        if let ProviderEvent::SaveData(v) = &ev
            && v.get("run_id").is_some()
        {
            break v.clone();
        }
    };
    p.cancel(ctx(TaskState::Working, Some(saved)))
        .await
        .unwrap();
    seen.extend(collect(stream).await);
    assert_eq!(
        seen,
        with(
            started(),
            vec![
                chunk("msg_2", "Thinking", false, true),
                save(json!({"thread_id": "thread_1"})),
                state_msg(
                    TaskState::Canceled,
                    agent_msg(vec![Part::text("The Azure agent run was cancelled")])
                ),
            ]
        )
    );
    assert!(
        fake.requests()
            .contains(&"POST /threads/thread_1/runs/run_1/cancel".to_owned())
    );
}

#[tokio::test]
async fn cancel_without_a_run_does_nothing() {
    let fake = start().await;
    let p = provider(&fake, "plain");
    p.cancel(ctx(TaskState::Working, None)).await.unwrap();
    p.cancel(ctx(
        TaskState::Working,
        Some(json!({"thread_id": "thread_1"})),
    ))
    .await
    .unwrap();
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn upstream_404_rejects() {
    let fake = start().await;
    let p = provider(&fake, "asst_missing");
    let events = run(&p, ctx(TaskState::Unspecified, None), user("hi")).await;
    assert_eq!(
        events,
        vec![
            save(json!({"thread_id": "thread_1"})),
            err(
                ProviderErrorKind::Rejected,
                "Azure AI Foundry answered HTTP 404 while starting the run: not_found: No \
                 assistant found with id 'asst_missing'.; check the project endpoint and the \
                 agent id in the configuration"
            ),
        ]
    );
}

#[tokio::test]
async fn upstream_500_is_unavailable() {
    let fake = start().await;
    let p = provider(&fake, "asst_5xx");
    let events = run(&p, ctx(TaskState::Unspecified, None), user("hi")).await;
    assert_eq!(
        events,
        vec![
            save(json!({"thread_id": "thread_1"})),
            err(
                ProviderErrorKind::Unavailable,
                "Azure AI Foundry answered HTTP 500 while starting the run: server_error: \
                 Something went wrong.; the service has a problem, try again later"
            ),
        ]
    );
}

#[tokio::test]
async fn rejected_token_is_unavailable_with_a_hint_and_no_token() {
    let fake = start().await;
    let p = provider_with(&fake, "plain", "stale-token-123");
    let events = run(&p, ctx(TaskState::Unspecified, None), user("hi")).await;
    assert_eq!(
        events,
        vec![err(
            ProviderErrorKind::Unavailable,
            "Azure AI Foundry refused the credentials while creating a thread (HTTP 401: \
             PermissionDenied: The principal lacks the required data action.). Check that the \
             configured Azure credential gets tokens for scope `https://ai.azure.com/.default` \
             and that its identity has a role such as `Azure AI User` on the project"
        )]
    );
    assert!(!format!("{events:?}").contains("stale-token-123"));
}

#[tokio::test]
async fn malformed_stream() {
    let fake = start().await;
    let p = provider(&fake, "asst_malformed");
    let events = run(&p, ctx(TaskState::Unspecified, None), user("hi")).await;
    assert_eq!(
        events,
        with(
            started(),
            vec![err(
                ProviderErrorKind::Malformed,
                "Azure AI Foundry sent an invalid `thread.message.delta` event on the run \
                 stream (key must be a string at line 1 column 2); try again"
            )]
        )
    );
}

#[tokio::test]
async fn truncated_stream() {
    let fake = start().await;
    let p = provider(&fake, "asst_truncated");
    let events = run(&p, ctx(TaskState::Unspecified, None), user("hi")).await;
    assert_eq!(
        events,
        with(
            started(),
            vec![err(
                ProviderErrorKind::Malformed,
                "the run stream from Azure AI Foundry ended before the run finished (no \
                 thread.run.completed, failed or requires_action event): the stream was \
                 truncated; try again"
            )]
        )
    );
}

#[tokio::test]
async fn upstream_that_stops_answering_times_out_and_cancels_the_run() {
    let fake = start().await;
    let p = provider(&fake, "asst_hang");
    let events = run(&p, ctx(TaskState::Unspecified, None), user("hi")).await;
    assert_eq!(
        events,
        with(
            started(),
            vec![err(
                ProviderErrorKind::Timeout,
                "Azure AI Foundry sent nothing for 0.5 s on the run stream (the run was \
                 cancelled); the task was stopped. Try again later, or raise the idle timeout \
                 if the agent's tools are slow"
            )]
        )
    );
    assert_eq!(
        fake.requests().last().map(String::as_str),
        Some("POST /threads/thread_1/runs/run_1/cancel")
    );
}

#[tokio::test]
async fn input_scenario_asks_then_completes_with_the_reply() {
    let fake = start().await;
    let p = provider(&fake, "input");
    let events = run(&p, ctx(TaskState::Unspecified, None), user("hello")).await;
    let pending = json!({
        "thread_id": "thread_1", "run_id": "run_1",
        "tool_call_ids": ["call_input"], "action": "submit_tool_outputs"
    });
    let question = agent_msg(vec![
        Part::text(
            "The agent wants the results of these tool calls: ask_user. Reply on this task \
             with a data part {\"tool_outputs\": [{\"tool_call_id\": \"…\", \"output\": \"…\"}]}, \
             or with the output as plain text.",
        ),
        Part::data(json!({
            "action": "submit_tool_outputs",
            "run_id": "run_1",
            "tool_calls": [{
                "id": "call_input", "type": "function", "name": "ask_user",
                "arguments": {"question": "What is your name?"}
            }]
        })),
    ]);
    assert_eq!(
        events,
        with(
            started(),
            vec![
                save(pending.clone()),
                state_msg(TaskState::InputRequired, question)
            ]
        )
    );
    let events = run(
        &p,
        ctx(TaskState::InputRequired, Some(pending)),
        user("Ada Lovelace"),
    )
    .await;
    assert_eq!(
        events,
        vec![
            save(json!({"thread_id": "thread_1", "run_id": "run_1"})),
            state(TaskState::Working),
            chunk("msg_2", "got: ", false, false),
            chunk("msg_2", "Ada Lovelace", true, true),
            save(json!({"thread_id": "thread_1"})),
            state(TaskState::Completed),
        ]
    );
    assert_eq!(
        fake.bodies().last().unwrap(),
        &json!({"tool_outputs": [{"tool_call_id": "call_input", "output": "Ada Lovelace"}], "stream": true})
    );
}
