//! `VertexProvider` against the fake Agent Engine (`a2agw_provider_vertex::fake`) on
//! loopback: the production code path, only the base URL and the credential differ.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub
)]

use a2agw_provider::{
    EventStream, Provider, ProviderError, ProviderErrorKind, ProviderEvent, TaskContext,
};
use a2agw_provider_vertex::fake::{self, FakeServer, RecordedRequest, StaticToken};
use a2agw_provider_vertex::{VertexConfig, VertexCredentials, VertexProvider};
use a2agw_types::{Artifact, Message, Part, Role, TaskState};
use futures::StreamExt;
use gcp_auth::TokenProvider;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

type Events = Vec<Result<ProviderEvent, ProviderError>>;

async fn start() -> FakeServer {
    FakeServer::start().await.unwrap()
}

fn config(fake: &FakeServer, engine: &str) -> VertexConfig {
    let mut config = VertexConfig::new("proj1", "us-central1", engine);
    config.base_url = Some(fake.base_url());
    config.idle_timeout = Duration::from_secs(5);
    config.request_timeout = Duration::from_secs(5);
    config
}

fn provider_with(config: VertexConfig, tokens: Arc<dyn TokenProvider>) -> VertexProvider {
    VertexProvider::new(config, tokens).unwrap()
}

fn provider(fake: &FakeServer, engine: &str) -> VertexProvider {
    provider_with(config(fake, engine), fake::token_provider())
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

fn user_data(v: Value) -> Message {
    Message {
        message_id: "m-2".into(),
        role: Role::User,
        parts: vec![Part::data(v)],
        ..Message::default()
    }
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

async fn collect(stream: EventStream) -> Events {
    tokio::time::timeout(Duration::from_secs(20), stream.collect::<Vec<_>>())
        .await
        .expect("the stream ends")
        .into_iter()
        .map(|r| r.map(normalise))
        .collect()
}

async fn run(p: &VertexProvider, ctx: TaskContext, m: Message) -> Events {
    collect(p.run(ctx, m).await.unwrap()).await
}

fn save(v: Value) -> Result<ProviderEvent, ProviderError> {
    Ok(ProviderEvent::SaveData(v))
}

fn session(id: &str) -> Value {
    json!({"session_id": id, "user_id": "a2a-gateway"})
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

fn with(mut a: Events, b: Events) -> Events {
    a.extend(b);
    a
}

/// A new session, then the query was accepted.
fn started() -> Events {
    vec![save(session("sess-1")), state(TaskState::Working)]
}

fn streams(fake: &FakeServer) -> Vec<RecordedRequest> {
    fake.requests()
        .into_iter()
        .filter(|r| r.action == "streamQuery")
        .collect()
}

/// The `function_response` parts of the last query.
fn last_responses(fake: &FakeServer) -> Value {
    let last = fake.requests().pop().unwrap();
    last.body["input"]["message"]["parts"].clone()
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
                chunk("ev-1", "echo: What is A2A?", false, true),
                state(TaskState::Completed),
            ]
        )
    );
    let requests = fake.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].action, "query");
    assert_eq!(requests[0].alt, None);
    assert_eq!(
        requests[0].body,
        json!({"classMethod": "async_create_session", "input": {"user_id": "a2a-gateway"}})
    );
    assert_eq!(requests[1].action, "streamQuery");
    assert_eq!(requests[1].alt.as_deref(), Some("sse"));
    assert_eq!(
        (
            requests[1].api_version.as_str(),
            requests[1].project.as_str(),
            requests[1].location.as_str(),
            requests[1].engine_id.as_str()
        ),
        ("v1", "proj1", "us-central1", "plain")
    );
    assert_eq!(
        requests[1].body,
        json!({"classMethod": "async_stream_query", "input": {
            "message": {"role": "user", "parts": [{"text": "What is A2A?"}]},
            "user_id": "a2a-gateway",
            "session_id": "sess-1",
            "run_config": {"streaming_mode": "sse"},
        }})
    );
}

#[tokio::test]
async fn reuses_the_saved_session_and_user() {
    let fake = start().await;
    let p = provider(&fake, "plain");
    run(&p, ctx(TaskState::Unspecified, None), user("first")).await;
    // Another configuration's user id: the saved one wins (the session belongs to it).
    let mut other = config(&fake, "plain");
    other.user_id = "someone-else".into();
    let p = provider_with(other, fake::token_provider());
    let events = run(
        &p,
        ctx(TaskState::Completed, Some(session("sess-1"))),
        user("again"),
    )
    .await;
    assert_eq!(
        events,
        vec![
            state(TaskState::Working),
            chunk("ev-1", "echo: again", false, true),
            state(TaskState::Completed),
        ]
    );
    let requests = fake.requests();
    assert_eq!(requests.len(), 3, "no second session: {requests:?}");
    assert_eq!(requests[2].body["input"]["session_id"], "sess-1");
    assert_eq!(requests[2].body["input"]["user_id"], "a2a-gateway");
}

/// A new task (`task_id`) in a context the caller used before, with `context_data`.
fn follow_up(task_id: &str, context_data: Option<Value>) -> TaskContext {
    TaskContext {
        task_id: task_id.into(),
        context_id: "ctx-1".into(),
        context_data,
        ..TaskContext::default()
    }
}

/// The last `SaveData` of a run: what the engine keeps with the task.
fn last_saved(events: &Events) -> Value {
    events
        .iter()
        .rev()
        .find_map(|e| match e {
            Ok(ProviderEvent::SaveData(v)) => Some(v.clone()),
            _ => None,
        })
        .expect("the run saved data")
}

fn creations(fake: &FakeServer) -> usize {
    fake.requests()
        .iter()
        .filter(|r| r.class_method() == "async_create_session")
        .count()
}

/// The ids of the sessions the queries ran on (no session creation calls).
fn queried_sessions(fake: &FakeServer) -> Vec<(String, String)> {
    fake.requests()
        .iter()
        .filter(|r| r.class_method() != "async_create_session")
        .map(|r| {
            let input = &r.body["input"];
            (
                input["session_id"].as_str().unwrap_or("").to_owned(),
                input["user_id"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

fn on(session: &str, user: &str) -> (String, String) {
    (session.to_owned(), user.to_owned())
}

#[tokio::test]
async fn a_new_task_continues_the_session_of_its_context() {
    let fake = start().await;
    let p = provider(&fake, "plain");
    let first = run(&p, ctx(TaskState::Unspecified, None), user("I am Ada")).await;
    assert_eq!(first.last(), Some(&state(TaskState::Completed)));
    let saved = last_saved(&first);
    assert_eq!(saved, session("sess-1"));
    // The engine hands the second task of the context what the first one saved.
    let events = run(&p, follow_up("task-2", Some(saved)), user("Who am I?")).await;
    assert_eq!(
        events,
        vec![
            // Saved with the second task too, once the query was accepted.
            save(session("sess-1")),
            state(TaskState::Working),
            chunk("ev-1", "echo: Who am I?", false, true),
            state(TaskState::Completed),
        ]
    );
    assert_eq!(
        creations(&fake),
        1,
        "no second session: {:?}",
        fake.requests()
    );
    assert_eq!(
        queried_sessions(&fake),
        vec![on("sess-1", "a2a-gateway"), on("sess-1", "a2a-gateway")]
    );
    // And a third task continues it again.
    run(
        &p,
        follow_up("task-3", Some(last_saved(&events))),
        user("again"),
    )
    .await;
    assert_eq!(creations(&fake), 1);
    assert_eq!(queried_sessions(&fake)[2], on("sess-1", "a2a-gateway"));
}

#[tokio::test]
async fn the_context_session_keeps_its_user_and_drops_pending_calls() {
    let fake = start().await;
    run(
        &provider(&fake, "plain"),
        ctx(TaskState::Unspecified, None),
        user("hi"),
    )
    .await;
    // Another configured user id: the session belongs to the one that created it.
    let mut other = config(&fake, "plain");
    other.user_id = "someone-else".into();
    let p = provider_with(other, fake::token_provider());
    // Pending calls belong to their own task: the new task sends a new message.
    let events = run(
        &p,
        follow_up("task-2", Some(approval_pending())),
        user("next"),
    )
    .await;
    assert_eq!(events[0], save(session("sess-1")));
    assert_eq!(events.last(), Some(&state(TaskState::Completed)));
    assert_eq!(creations(&fake), 1);
    let last = fake.requests().pop().unwrap();
    assert_eq!(last.body["input"]["session_id"], "sess-1");
    assert_eq!(last.body["input"]["user_id"], "a2a-gateway");
    assert_eq!(
        last.body["input"]["message"]["parts"],
        json!([{"text": "next"}])
    );
}

#[tokio::test]
async fn the_context_session_in_non_streaming_mode() {
    let fake = start().await;
    let p = non_streaming(&fake, "plain");
    let first = run(&p, ctx(TaskState::Unspecified, None), user("one")).await;
    let events = run(
        &p,
        follow_up("task-2", Some(last_saved(&first))),
        user("two"),
    )
    .await;
    assert_eq!(
        events,
        vec![
            save(session("sess-1")),
            state(TaskState::Working),
            chunk("ev-1", "echo: two", false, true),
            state(TaskState::Completed),
        ]
    );
    assert_eq!(creations(&fake), 1);
    assert_eq!(
        queried_sessions(&fake),
        vec![on("sess-1", "a2a-gateway"), on("sess-1", "a2a-gateway")]
    );
}

#[tokio::test]
async fn unreadable_context_data_gives_the_task_a_new_session() {
    let bad = [
        json!("garbage"),
        json!([1, 2, 3]),
        json!({"session_id": 5, "user_id": "a2a-gateway"}),
        json!({"session_id": "sess-1"}),
        json!({"session_id": "", "user_id": "a2a-gateway"}),
        json!({"session_id": "sess-1", "user_id": ""}),
        json!({"sessionId": "sess-1"}),
    ];
    for data in bad {
        let fake = start().await;
        let p = provider(&fake, "plain");
        let events = run(&p, follow_up("task-2", Some(data.clone())), user("hi")).await;
        assert_eq!(
            events,
            with(
                started(),
                vec![
                    chunk("ev-1", "echo: hi", false, true),
                    state(TaskState::Completed),
                ]
            ),
            "{data}"
        );
        assert_eq!(creations(&fake), 1, "{data}");
        assert_eq!(
            queried_sessions(&fake),
            vec![on("sess-1", "a2a-gateway")],
            "{data}"
        );
    }
}

#[tokio::test]
async fn a_context_session_that_is_gone_is_replaced_by_a_new_one() {
    for streaming in [true, false] {
        let fake = start().await;
        let mut config = config(&fake, "plain");
        config.streaming = streaming;
        let p = provider_with(config, fake::token_provider());
        // Expired or deleted upstream: Agent Engine answers 404.
        let events = run(
            &p,
            follow_up("task-2", Some(session("sess-expired"))),
            user("hi"),
        )
        .await;
        assert_eq!(
            events,
            with(
                started(),
                vec![
                    chunk("ev-1", "echo: hi", false, true),
                    state(TaskState::Completed),
                ]
            ),
            "streaming: {streaming}"
        );
        assert_eq!(creations(&fake), 1);
        assert_eq!(
            queried_sessions(&fake),
            vec![
                on("sess-expired", "a2a-gateway"),
                on("sess-1", "a2a-gateway")
            ]
        );
    }
    // An engine that does not exist still rejects the task, with the engine to check.
    let fake = start().await;
    let p = provider(&fake, "missing");
    let events = run(&p, follow_up("task-2", Some(session("sess-1"))), user("hi")).await;
    assert!(
        matches!(&events[..], [Err(e)] if e.kind == ProviderErrorKind::Rejected
            && e.message.contains("while creating the session")
            && e.message.contains("check the project, location and engine id")),
        "{events:?}"
    );
}

#[tokio::test]
async fn configured_user_id_and_v1beta1() {
    let fake = start().await;
    let mut config = config(&fake, "plain");
    config.user_id = "tenant-a".into();
    config.api_version = "v1beta1".into();
    let p = provider_with(config, fake::token_provider());
    let events = run(&p, ctx(TaskState::Unspecified, None), user("hi")).await;
    assert_eq!(
        events[0],
        save(json!({"session_id": "sess-1", "user_id": "tenant-a"}))
    );
    assert_eq!(events.last(), Some(&state(TaskState::Completed)));
    assert!(fake.requests().iter().all(|r| r.api_version == "v1beta1"));
}

#[tokio::test]
async fn streamed_answer_in_many_chunks() {
    let fake = start().await;
    let p = provider(&fake, "stream");
    let events = run(&p, ctx(TaskState::Unspecified, None), user("count")).await;
    let mut expected = started();
    for i in 0..20 {
        expected.push(chunk("ev-s0", &format!("w{i} "), i > 0, i == 19));
    }
    // The ordinary tool call in between is not surfaced; the next text is a new artifact.
    expected.push(chunk("ev-t0", "It is ", false, false));
    expected.push(chunk("ev-t0", "noon.", true, true));
    expected.push(state(TaskState::Completed));
    assert_eq!(events, expected);
}

#[tokio::test]
async fn ndjson_stream_is_read_like_sse() {
    let fake = start().await;
    let p = provider(&fake, "ndjson");
    let events = run(&p, ctx(TaskState::Unspecified, None), user("hi")).await;
    assert_eq!(
        events,
        with(
            started(),
            vec![
                chunk("ev-d0", "echo: ", false, false),
                chunk("ev-d0", "hi", true, true),
                state(TaskState::Completed),
            ]
        )
    );
}

fn approval_pending() -> Value {
    json!({
        "session_id": "sess-1", "user_id": "a2a-gateway",
        "pending": [{"id": "fc-approve", "name": "ask_approval", "kind": "tool"}]
    })
}

fn approval_question() -> Message {
    agent_msg(vec![
        Part::text(
            "The agent is waiting for the result of `ask_approval` (call `fc-approve`). Reply \
             on this task with the result as plain text, or as a data part {\"fc-approve\": {…}}.",
        ),
        Part::data(json!({"pending_calls": [{
            "id": "fc-approve", "name": "ask_approval", "kind": "tool",
            "args": {"amount": 100, "purpose": "travel"}
        }]})),
    ])
}

fn approval_answered(reply: &str) -> Events {
    vec![
        state(TaskState::Working),
        chunk("ev-4", &format!("got: {reply}"), false, true),
        save(session("sess-1")),
        state(TaskState::Completed),
    ]
}

#[tokio::test]
async fn long_running_tool_asks_for_input_and_a_text_reply_resumes() {
    let fake = start().await;
    let p = provider(&fake, "input");
    let events = run(&p, ctx(TaskState::Unspecified, None), user("book a trip")).await;
    assert_eq!(
        events,
        with(
            started(),
            vec![
                chunk("ev-1", "I need your approval first.", false, true),
                save(approval_pending()),
                state_msg(TaskState::InputRequired, approval_question()),
            ]
        )
    );

    let events = run(
        &p,
        ctx(TaskState::InputRequired, Some(approval_pending())),
        user("approved by Alice"),
    )
    .await;
    assert_eq!(events, approval_answered("approved by Alice"));
    assert_eq!(
        last_responses(&fake),
        json!([{"function_response": {
            "id": "fc-approve", "name": "ask_approval",
            "response": {"result": "approved by Alice"}
        }}])
    );
    let last = fake.requests().pop().unwrap();
    assert_eq!(last.body["input"]["session_id"], "sess-1");
    assert_eq!(last.body["input"]["message"]["role"], "user");
}

#[tokio::test]
async fn long_running_tool_resumes_with_a_data_part() {
    for (reply, sent) in [
        (
            json!({"fc-approve": {"approved": true}}),
            json!({"approved": true}),
        ),
        (
            json!({"responses": [{"id": "fc-approve", "response": {"approved": false}}]}),
            json!({"approved": false}),
        ),
        // One pending call: any object is its response; other values are wrapped.
        (json!({"approved": true}), json!({"approved": true})),
        (json!({"fc-approve": 42}), json!({"result": 42})),
    ] {
        let fake = start().await;
        let p = provider(&fake, "input");
        run(&p, ctx(TaskState::Unspecified, None), user("trip")).await;
        let events = run(
            &p,
            ctx(TaskState::InputRequired, Some(approval_pending())),
            user_data(reply.clone()),
        )
        .await;
        assert_eq!(
            events,
            approval_answered(&sent.to_string()),
            "reply {reply}"
        );
        assert_eq!(
            last_responses(&fake),
            json!([{"function_response": {
                "id": "fc-approve", "name": "ask_approval", "response": sent
            }}])
        );
    }
}

#[tokio::test]
async fn an_unusable_reply_is_asked_again_without_calling_upstream() {
    let fake = start().await;
    let p = provider(&fake, "input");
    let events = run(
        &p,
        ctx(TaskState::InputRequired, Some(approval_pending())),
        user_data(json!({"responses": [{"id": "fc-other", "response": {"ok": true}}]})),
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
                        "The reply names an unknown call `fc-other`. The agent still waits \
                         for: `ask_approval` (call `fc-approve`)."
                    ),
                    Part::data(json!({"pending_calls": [
                        {"id": "fc-approve", "name": "ask_approval", "kind": "tool"}
                    ]})),
                ])
            ),
        ]
    );
    assert!(fake.requests().is_empty());
}

fn confirm_pending() -> Value {
    json!({
        "session_id": "sess-1", "user_id": "a2a-gateway",
        "pending": [{"id": "adk-confirm-1", "name": "adk_request_confirmation", "kind": "confirmation"}]
    })
}

#[tokio::test]
async fn tool_confirmation_asks_yes_or_no() {
    let fake = start().await;
    let p = provider(&fake, "confirm");
    let events = run(&p, ctx(TaskState::Unspecified, None), user("pay Bob")).await;
    let question = agent_msg(vec![
        Part::text(
            "The agent asks you to confirm a call of `transfer_money` (call `adk-confirm-1`): \
             Confirm the transfer of 100 EUR to Bob. Reply on this task with \"yes\" or \"no\" \
             (or a data part {\"adk-confirm-1\": {\"confirmed\": true}}).",
        ),
        Part::data(json!({"pending_calls": [{
            "id": "adk-confirm-1", "name": "adk_request_confirmation", "kind": "confirmation",
            "args": {
                "originalFunctionCall": {"id": "fc-tx", "name": "transfer_money", "args": {"amount": 100, "to": "Bob"}},
                "toolConfirmation": {"hint": "Confirm the transfer of 100 EUR to Bob.", "confirmed": false}
            },
            "hint": "Confirm the transfer of 100 EUR to Bob."
        }]})),
    ]);
    assert_eq!(
        events,
        with(
            started(),
            vec![
                save(confirm_pending()),
                state_msg(TaskState::InputRequired, question),
            ]
        )
    );

    let events = run(
        &p,
        ctx(TaskState::InputRequired, Some(confirm_pending())),
        user("Yes"),
    )
    .await;
    assert_eq!(
        events,
        vec![
            state(TaskState::Working),
            chunk("ev-4", "Transferred 100 EUR to Bob.", false, true),
            save(session("sess-1")),
            state(TaskState::Completed),
        ]
    );
    assert_eq!(
        last_responses(&fake),
        json!([{"function_response": {
            "id": "adk-confirm-1", "name": "adk_request_confirmation",
            "response": {"confirmed": true}
        }}])
    );
}

#[tokio::test]
async fn tool_confirmation_denied_and_unclear_answers() {
    let fake = start().await;
    let p = provider(&fake, "confirm");
    run(&p, ctx(TaskState::Unspecified, None), user("pay Bob")).await;
    // Not yes or no: asked again.
    let events = run(
        &p,
        ctx(TaskState::InputRequired, Some(confirm_pending())),
        user("maybe later"),
    )
    .await;
    assert_eq!(
        events[1],
        state_msg(
            TaskState::InputRequired,
            agent_msg(vec![
                Part::text(
                    "Answer the confirmation `adk-confirm-1` with \"yes\" or \"no\" (or \
                     {\"confirmed\": true}). The agent still waits for: \
                     `adk_request_confirmation` (call `adk-confirm-1`)."
                ),
                Part::data(json!({"pending_calls": [{
                    "id": "adk-confirm-1", "name": "adk_request_confirmation", "kind": "confirmation"
                }]})),
            ])
        )
    );
    let events = run(
        &p,
        ctx(TaskState::InputRequired, Some(confirm_pending())),
        user("no"),
    )
    .await;
    assert_eq!(
        events[1],
        chunk("ev-4", "The transfer was cancelled.", false, true)
    );
    assert_eq!(
        last_responses(&fake)[0]["function_response"]["response"],
        json!({"confirmed": false})
    );
}

#[tokio::test]
async fn auth_request_asks_for_authorization_and_resumes_with_the_redirect_url() {
    let fake = start().await;
    let p = provider(&fake, "auth");
    let events = run(&p, ctx(TaskState::Unspecified, None), user("my calendar")).await;
    assert_eq!(events.len(), 4, "{events:?}");
    assert_eq!(events[..2], started()[..]);
    let Ok(ProviderEvent::SaveData(saved)) = &events[2] else {
        panic!("{:?}", events[2]);
    };
    assert_eq!(saved["pending"][0]["id"], "adk-auth-1");
    assert_eq!(saved["pending"][0]["name"], "adk_request_credential");
    assert_eq!(saved["pending"][0]["kind"], "auth");
    // The full config is kept to be sent back; the user never sees its secrets.
    assert_eq!(
        saved["pending"][0]["auth_config"]["exchangedAuthCredential"]["oauth2"]["clientSecret"],
        fake::OAUTH_CLIENT_SECRET
    );
    let Ok(ProviderEvent::Status {
        state: TaskState::AuthRequired,
        message: Some(question),
    }) = &events[3]
    else {
        panic!("{:?}", events[3]);
    };
    assert_eq!(
        question.parts[0],
        Part::text(format!(
            "The agent needs your authorization (call `adk-auth-1`): open {} and sign in. Then \
             reply on this task with the URL your browser was redirected to (or a data part \
             {{\"adk-auth-1\": <the completed auth config>}}).",
            fake::OAUTH_AUTH_URI
        ))
    );
    let data = match &question.parts[1].content {
        a2agw_types::PartContent::Data(v) => v.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(data["pending_calls"][0]["auth_uri"], fake::OAUTH_AUTH_URI);
    assert_eq!(
        data["pending_calls"][0]["args"]["authConfig"]["rawAuthCredential"]["oauth2"],
        json!({"clientId": "cal-client", "clientSecret": "[redacted]"})
    );
    assert!(!format!("{question:?}").contains(fake::OAUTH_CLIENT_SECRET));

    let redirect = "https://gateway.example/callback?code=abc&state=xyz";
    let events = run(
        &p,
        ctx(TaskState::AuthRequired, Some(saved.clone())),
        user(redirect),
    )
    .await;
    assert_eq!(
        events,
        vec![
            state(TaskState::Working),
            chunk("ev-4", "Signed in: you have 3 events today.", false, true),
            save(session("sess-1")),
            state(TaskState::Completed),
        ]
    );
    let responses = last_responses(&fake);
    let response = &responses[0]["function_response"];
    assert_eq!(response["id"], "adk-auth-1");
    assert_eq!(response["name"], "adk_request_credential");
    assert_eq!(
        response["response"]["exchangedAuthCredential"]["oauth2"]["authResponseUri"],
        redirect
    );
    assert_eq!(response["response"]["credentialKey"], "calendar-oauth");
}

#[tokio::test]
async fn auth_request_resumes_with_a_data_part_merged_into_the_saved_config() {
    let fake = start().await;
    let p = provider(&fake, "auth");
    let events = run(&p, ctx(TaskState::Unspecified, None), user("my calendar")).await;
    let Ok(ProviderEvent::SaveData(saved)) = &events[2] else {
        panic!("{events:?}");
    };
    // A client that sends back the config it was shown: `[redacted]` keeps the secret.
    let reply = json!({"adk-auth-1": {"exchangedAuthCredential": {"oauth2": {
        "clientSecret": "[redacted]",
        "authResponseUri": "https://gateway.example/callback?code=def"
    }}}});
    let events = run(
        &p,
        ctx(TaskState::AuthRequired, Some(saved.clone())),
        user_data(reply),
    )
    .await;
    assert_eq!(
        events[1],
        chunk("ev-4", "Signed in: you have 3 events today.", false, true)
    );
}

#[tokio::test]
async fn error_event_fails_the_task() {
    let fake = start().await;
    let p = provider(&fake, "error");
    let events = run(&p, ctx(TaskState::Unspecified, None), user("hi")).await;
    let mut msg = agent_msg(vec![Part::text(
        "The Vertex AI agent reported an error: SAFETY: The response was blocked because it may \
         contain unsafe content.",
    )]);
    msg.metadata = json!({"vertexErrorCode": "SAFETY"}).as_object().cloned();
    assert_eq!(
        events,
        with(
            started(),
            vec![
                chunk("ev-d0", "Let me check", false, true),
                state_msg(TaskState::Failed, msg),
            ]
        )
    );
}

#[tokio::test]
async fn cancel_mid_run_drops_the_stream() {
    let fake = start().await;
    let p = provider(&fake, "slow");
    let mut stream = p
        .run(ctx(TaskState::Unspecified, None), user("think"))
        .await
        .unwrap();
    let mut seen = Vec::new();
    loop {
        let ev = stream.next().await.unwrap().unwrap();
        let working = ev == state(TaskState::Working).unwrap();
        seen.push(Ok(normalise(ev)));
        if working {
            break;
        }
    }
    assert_eq!(seen, started());
    // What the engine does on CancelTask: cancel, then drop the run's stream.
    p.cancel(ctx(TaskState::Working, Some(session("sess-1"))))
        .await
        .unwrap();
    drop(stream);
    tokio::time::timeout(Duration::from_secs(10), fake.wait_disconnected())
        .await
        .expect("the fake sees the query stream go away");
    assert_eq!(fake.requests().len(), 2, "cancel calls nothing upstream");
}

#[tokio::test]
async fn recover_cannot_reattach() {
    let fake = start().await;
    let p = provider(&fake, "plain");
    let recovered = p
        .recover(ctx(TaskState::Working, Some(session("sess-1"))))
        .await
        .unwrap();
    assert!(recovered.is_none());
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn unknown_engine_404_rejects() {
    let fake = start().await;
    let p = provider(&fake, "missing");
    let events = run(&p, ctx(TaskState::Unspecified, None), user("hi")).await;
    assert_eq!(
        events,
        vec![err(
            ProviderErrorKind::Rejected,
            "Vertex AI answered HTTP 404 while creating the session: NOT_FOUND: Reasoning Engine \
             resource [projects/proj1/locations/us-central1/reasoningEngines/missing] does not \
             exist.; check the project, location and engine id \
             (`projects/proj1/locations/us-central1/reasoningEngines/missing`) and the API \
             version `v1` in the configuration"
        )]
    );
}

#[tokio::test]
async fn unknown_class_method_400_rejects() {
    let fake = start().await;
    let mut config = config(&fake, "plain");
    config.stream_method = "no_such_method".into();
    let p = provider_with(config, fake::token_provider());
    let events = run(&p, ctx(TaskState::Unspecified, None), user("hi")).await;
    assert_eq!(
        events,
        vec![
            save(session("sess-1")),
            err(
                ProviderErrorKind::Rejected,
                "Vertex AI answered HTTP 400 while starting the query: INVALID_ARGUMENT: Failed \
                 to invoke class method `no_such_method`: the reasoning engine has no such \
                 streaming method.; check the class methods in the configuration and that the \
                 engine is deployed with the ADK template"
            ),
        ]
    );
    // A custom method gets no ADK run_config.
    assert_eq!(streams(&fake)[0].body["input"].get("run_config"), None);
}

#[tokio::test]
async fn throttling_is_retried_then_unavailable() {
    let fake = start().await;
    let p = provider(&fake, "busy");
    let events = run(&p, ctx(TaskState::Unspecified, None), user("hi")).await;
    assert_eq!(
        events,
        vec![
            save(session("sess-1")),
            err(
                ProviderErrorKind::Unavailable,
                "Vertex AI is throttling requests (HTTP 429: RESOURCE_EXHAUSTED: Quota exceeded \
                 for aiplatform.googleapis.com/reasoning_engine_service_stream_query_requests.) \
                 while starting the query after 2 retries; try again later or raise the \
                 project's Agent Engine quota"
            ),
        ]
    );
    assert_eq!(streams(&fake).len(), 3, "1 try + max_retries");
}

#[tokio::test]
async fn unavailable_503_is_retried_and_recovers() {
    let fake = start().await;
    let p = provider(&fake, "flaky");
    let events = run(&p, ctx(TaskState::Unspecified, None), user("hi")).await;
    assert_eq!(
        events,
        with(
            started(),
            vec![
                chunk("ev-1", "echo: hi", false, true),
                state(TaskState::Completed),
            ]
        )
    );
    assert_eq!(streams(&fake).len(), 2);
}

#[tokio::test]
async fn upstream_500_is_unavailable_without_retry() {
    let fake = start().await;
    let p = provider(&fake, "broken");
    let events = run(&p, ctx(TaskState::Unspecified, None), user("hi")).await;
    assert_eq!(
        events,
        vec![
            save(session("sess-1")),
            err(
                ProviderErrorKind::Unavailable,
                "Vertex AI answered HTTP 500 while starting the query: INTERNAL: Internal error \
                 encountered.; the service has a problem, try again later"
            ),
        ]
    );
    assert_eq!(streams(&fake).len(), 1);
}

#[tokio::test]
async fn permission_denied_is_unavailable_with_the_role_hint() {
    let fake = start().await;
    let p = provider(&fake, "forbidden");
    let events = run(&p, ctx(TaskState::Unspecified, None), user("hi")).await;
    assert_eq!(
        events,
        vec![
            save(session("sess-1")),
            err(
                ProviderErrorKind::Unavailable,
                "Vertex AI refused the credentials while starting the query (HTTP 403: \
                 PERMISSION_DENIED: Permission 'aiplatform.reasoningEngines.query' denied on \
                 resource '//aiplatform.googleapis.com/projects/proj1/locations/us-central1/\
                 reasoningEngines/forbidden' (or it may not exist).). Check that the configured \
                 Google credential is valid and that its principal has the role \
                 `roles/aiplatform.user` (Vertex AI User) on project `proj1`; with gcloud user \
                 credentials also set a quota project (`gcloud auth application-default \
                 set-quota-project`)"
            ),
        ]
    );
}

#[tokio::test]
async fn rejected_token_is_unavailable_and_never_shown() {
    let fake = start().await;
    let p = provider_with(
        config(&fake, "plain"),
        Arc::new(StaticToken::new("ya29.stale-secret-123")),
    );
    let events = run(&p, ctx(TaskState::Unspecified, None), user("hi")).await;
    assert_eq!(events.len(), 1);
    let Err(e) = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!(e.kind, ProviderErrorKind::Unavailable);
    assert!(
        e.message.starts_with(
            "Vertex AI refused the credentials while creating the session (HTTP 401: \
             UNAUTHENTICATED: Request had invalid authentication credentials."
        ),
        "{e}"
    );
    assert!(e.message.contains("roles/aiplatform.user"), "{e}");
    assert!(!format!("{events:?}{p:?}").contains("stale-secret-123"));
    assert!(!format!("{p:?}").contains(fake::TOKEN));
}

#[derive(Debug)]
struct NoToken;

#[async_trait::async_trait]
impl TokenProvider for NoToken {
    async fn token(&self, _scopes: &[&str]) -> Result<Arc<gcp_auth::Token>, gcp_auth::Error> {
        Err(gcp_auth::Error::Str("token request failed"))
    }
    async fn project_id(&self) -> Result<Arc<str>, gcp_auth::Error> {
        Err(gcp_auth::Error::Str("no project"))
    }
}

#[tokio::test]
async fn token_failure_is_unavailable() {
    let fake = start().await;
    let p = provider_with(config(&fake, "plain"), Arc::new(NoToken));
    let events = run(&p, ctx(TaskState::Unspecified, None), user("hi")).await;
    assert_eq!(
        events,
        vec![err(
            ProviderErrorKind::Unavailable,
            "could not get a Google access token (scope cloud-platform) from the configured \
             credentials: token request failed. Check the credential settings of this agent \
             (service account key file, metadata server, gcloud user credentials)"
        )]
    );
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn malformed_line() {
    let fake = start().await;
    let p = provider(&fake, "malformed");
    let events = run(&p, ctx(TaskState::Unspecified, None), user("hi")).await;
    assert_eq!(
        events,
        with(
            started(),
            vec![err(
                ProviderErrorKind::Malformed,
                "Vertex AI sent a line that is not JSON on the query stream (key must be a \
                 string at line 1 column 2); try again"
            )]
        )
    );
}

#[tokio::test]
async fn truncated_stream() {
    let fake = start().await;
    let p = provider(&fake, "truncated");
    let events = run(&p, ctx(TaskState::Unspecified, None), user("hi")).await;
    assert_eq!(
        events,
        with(
            started(),
            vec![err(
                ProviderErrorKind::Malformed,
                "the query stream from Vertex AI ended in the middle of an event: the stream was \
                 truncated; try again"
            )]
        )
    );
}

#[tokio::test]
async fn upstream_that_stops_answering_times_out() {
    let fake = start().await;
    let mut config = config(&fake, "hang");
    config.idle_timeout = Duration::from_millis(500);
    let p = provider_with(config, fake::token_provider());
    let events = run(&p, ctx(TaskState::Unspecified, None), user("hi")).await;
    assert_eq!(
        events,
        with(
            started(),
            vec![err(
                ProviderErrorKind::Timeout,
                "Vertex AI sent nothing for 0.5 s on the query stream; the query was stopped. \
                 Try again later, or raise the idle timeout if the agent's tools are slow"
            )]
        )
    );
}

fn non_streaming(fake: &FakeServer, engine: &str) -> VertexProvider {
    let mut config = config(fake, engine);
    config.streaming = false;
    provider_with(config, fake::token_provider())
}

#[tokio::test]
async fn non_streaming_query_mode() {
    let fake = start().await;
    let p = non_streaming(&fake, "plain");
    let events = run(&p, ctx(TaskState::Unspecified, None), user("hi")).await;
    assert_eq!(
        events,
        with(
            started(),
            vec![
                chunk("ev-1", "echo: hi", false, true),
                state(TaskState::Completed),
            ]
        )
    );
    let requests = fake.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[1].action, "query");
    assert_eq!(requests[1].alt, None);
    assert_eq!(
        requests[1].body,
        json!({"classMethod": "query", "input": {
            "message": {"role": "user", "parts": [{"text": "hi"}]},
            "user_id": "a2a-gateway",
            "session_id": "sess-1",
        }})
    );
}

#[tokio::test]
async fn non_streaming_query_mode_input_and_resume() {
    let fake = start().await;
    let p = non_streaming(&fake, "input");
    let events = run(&p, ctx(TaskState::Unspecified, None), user("trip")).await;
    assert_eq!(
        events.last(),
        Some(&state_msg(TaskState::InputRequired, approval_question()))
    );
    let events = run(
        &p,
        ctx(TaskState::InputRequired, Some(approval_pending())),
        user("ok by me"),
    )
    .await;
    assert_eq!(events, approval_answered("ok by me"));
    assert!(fake.requests().iter().all(|r| r.action == "query"));
}

#[tokio::test]
async fn inline_bytes_are_rejected_before_any_call() {
    let fake = start().await;
    let p = provider(&fake, "plain");
    let message = Message {
        message_id: "m-1".into(),
        role: Role::User,
        parts: vec![Part::raw(b"%PDF".to_vec())],
        ..Message::default()
    };
    let events = run(&p, ctx(TaskState::Unspecified, None), message).await;
    assert_eq!(
        events,
        vec![err(
            ProviderErrorKind::Rejected,
            "the Vertex AI agent does not take inline file bytes: send the file as a URL part \
             (for example a gs:// or https:// URL the agent can read)"
        )]
    );
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn data_and_url_parts_become_genai_parts() {
    let fake = start().await;
    let p = provider(&fake, "plain");
    let mut file = Part {
        content: a2agw_types::PartContent::Url("gs://bucket/report.pdf".into()),
        ..Part::default()
    };
    file.media_type = "application/pdf".into();
    let message = Message {
        message_id: "m-1".into(),
        role: Role::User,
        parts: vec![Part::text("summarise"), Part::data(json!({"k": 1})), file],
        ..Message::default()
    };
    run(&p, ctx(TaskState::Unspecified, None), message).await;
    assert_eq!(
        streams(&fake)[0].body["input"]["message"]["parts"],
        json!([
            {"text": "summarise"},
            {"text": "{\"k\":1}"},
            {"file_data": {"file_uri": "gs://bucket/report.pdf", "mime_type": "application/pdf"}}
        ])
    );
}

#[tokio::test]
async fn service_account_file_credentials_against_the_fake_token_endpoint() {
    let fake = start().await;
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("sa.json");
    std::fs::write(&key, fake::service_account_json(&fake.token_uri())).unwrap();
    let tokens = VertexCredentials::ServiceAccountFile(key)
        .token_provider()
        .await
        .unwrap();
    let p = provider_with(config(&fake, "plain"), tokens);
    let events = run(&p, ctx(TaskState::Unspecified, None), user("hi")).await;
    assert_eq!(
        events,
        with(
            started(),
            vec![
                chunk("ev-1", "echo: hi", false, true),
                state(TaskState::Completed),
            ]
        )
    );
    assert_eq!(fake.issued_tokens(), 1, "the token is cached between calls");
}

#[tokio::test]
async fn user_credentials_file_against_the_fake_token_endpoint() {
    let fake = start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("adc.json");
    std::fs::write(&file, fake::authorized_user_json(&fake.token_uri())).unwrap();
    let tokens = VertexCredentials::UserCredentials(Some(file))
        .token_provider()
        .await
        .unwrap();
    assert_eq!(&*tokens.project_id().await.unwrap(), fake::PROJECT);
    let p = provider_with(config(&fake, "plain"), tokens);
    let events = run(&p, ctx(TaskState::Unspecified, None), user("hi")).await;
    assert_eq!(events.last(), Some(&state(TaskState::Completed)));
    assert_eq!(fake.issued_tokens(), 1);
}

#[tokio::test]
async fn refused_refresh_token_is_unavailable_without_secrets() {
    let fake = start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("adc.json");
    let json = fake::authorized_user_json(&fake.token_uri())
        .replace(fake::USER_REFRESH_TOKEN, "revoked-refresh-secret");
    std::fs::write(&file, json).unwrap();
    let tokens = VertexCredentials::UserCredentials(Some(file))
        .token_provider()
        .await
        .unwrap();
    let p = provider_with(config(&fake, "plain"), tokens);
    let events = run(&p, ctx(TaskState::Unspecified, None), user("hi")).await;
    assert_eq!(
        events,
        vec![err(
            ProviderErrorKind::Unavailable,
            "could not get a Google access token (scope cloud-platform) from the configured \
             credentials: the token endpoint refused the refresh token: HTTP 400: \
             invalid_grant: Bad Request. Check the credential settings of this agent (service \
             account key file, metadata server, gcloud user credentials)"
        )]
    );
    let shown = format!("{events:?}");
    assert!(!shown.contains("revoked-refresh-secret") && !shown.contains(fake::USER_CLIENT_SECRET));
}

#[tokio::test]
async fn credential_files_that_cannot_be_used() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.json");
    let e = VertexCredentials::ServiceAccountFile(missing.clone())
        .token_provider()
        .await
        .err()
        .unwrap();
    assert_eq!(e.kind, ProviderErrorKind::Unavailable);
    assert!(
        e.message.starts_with(&format!(
            "could not load the Google service account key file `{}`: failed to open \
             application credentials file: ",
            missing.display()
        )),
        "{e}"
    );

    // A key that is not a key: the error never shows its content.
    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        json!({
            "type": "service_account", "client_email": "x@y", "token_uri": "http://127.0.0.1:9/token",
            "private_key": "-----BEGIN PRIVATE KEY-----\nTOP-SECRET-MATERIAL\n-----END PRIVATE KEY-----\n"
        })
        .to_string(),
    )
    .unwrap();
    let e = VertexCredentials::ServiceAccountFile(bad)
        .token_provider()
        .await
        .err()
        .unwrap();
    assert_eq!(e.kind, ProviderErrorKind::Unavailable);
    assert!(!e.message.contains("TOP-SECRET-MATERIAL"), "{e}");

    // A service account key given as user credentials.
    let sa = dir.path().join("sa.json");
    std::fs::write(&sa, fake::service_account_json("http://127.0.0.1:9/token")).unwrap();
    let e = VertexCredentials::UserCredentials(Some(sa.clone()))
        .token_provider()
        .await
        .err()
        .unwrap();
    assert_eq!(
        e.message,
        format!(
            "`{}` is a service account key, not gcloud user credentials: configure it as a \
             service account key file",
            sa.display()
        )
    );
    assert!(!e.message.contains("PRIVATE KEY"));
}

#[test]
fn invalid_configurations_are_refused() {
    let tokens = fake::token_provider();
    let mut c = VertexConfig::new("proj1", "us-central1", "projects/x/engines/1");
    let e = VertexProvider::new(c.clone(), tokens.clone())
        .err()
        .unwrap();
    assert_eq!(
        e.message,
        "the Vertex AI engine id `projects/x/engines/1` must be a plain id (no `/`, `:`, `?`, \
         `#` or space)"
    );
    c.engine_id = "123".into();
    c.user_id = " ".into();
    assert!(VertexProvider::new(c.clone(), tokens.clone()).is_err());
    c.user_id = "u".into();
    c.base_url = Some("not a url".into());
    assert!(VertexProvider::new(c.clone(), tokens.clone()).is_err());
    c.base_url = None;
    let p = VertexProvider::new(c, tokens).unwrap();
    let shown = format!("{p:?}");
    assert!(
        shown.contains("https://us-central1-aiplatform.googleapis.com"),
        "{shown}"
    );
    assert!(!shown.contains(fake::TOKEN));
}
