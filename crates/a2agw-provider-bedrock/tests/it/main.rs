//! `BedrockProvider` on the real AWS SDK against the fake Bedrock Agents runtime on loopback
//! (`a2agw_provider_bedrock::fake`): only the endpoint and the static credentials differ
//! from production.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub
)]

use a2agw_provider::{
    EventStream, Provider, ProviderError, ProviderErrorKind, ProviderEvent, TaskContext,
};
use a2agw_provider_bedrock::fake::{self, FakeServer};
use a2agw_provider_bedrock::{BedrockConfig, BedrockProvider};
use a2agw_types::{Artifact, Message, Part, PartContent, Role, TaskState};
use futures::StreamExt;
use serde_json::{Value, json};
use std::time::Duration;

type Events = Vec<Result<ProviderEvent, ProviderError>>;

fn config(fake: &FakeServer, agent: &str) -> BedrockConfig {
    let mut c = BedrockConfig::new(agent, "ALIAS1");
    c.endpoint_url = Some(fake.base_url());
    // Generous: only the timeout tests set short ones.
    c.idle_timeout = Duration::from_secs(5);
    c.request_timeout = Duration::from_secs(5);
    c.max_retries = 2;
    c
}

fn provider_with(c: BedrockConfig) -> BedrockProvider {
    BedrockProvider::with_sdk_config(c, &fake::sdk_config()).unwrap()
}

fn provider(fake: &FakeServer, agent: &str) -> BedrockProvider {
    provider_with(config(fake, agent))
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

/// Clears the random message and artifact ids so that events compare exactly (after
/// checking that all `answer` chunks of a run share one artifact id).
fn normalise(events: Events) -> Events {
    let answer_ids: Vec<&String> = events
        .iter()
        .filter_map(|e| match e {
            Ok(ProviderEvent::Artifact { artifact, .. }) if artifact.name == "answer" => {
                Some(&artifact.artifact_id)
            }
            _ => None,
        })
        .collect();
    assert!(
        answer_ids.windows(2).all(|w| w[0] == w[1]),
        "one answer artifact per call: {answer_ids:?}"
    );
    assert!(answer_ids.iter().all(|id| !id.is_empty()));
    events
        .into_iter()
        .map(|r| {
            r.map(|e| match e {
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
                ProviderEvent::Artifact {
                    mut artifact,
                    append,
                    last_chunk,
                } => {
                    artifact.artifact_id.clear();
                    ProviderEvent::Artifact {
                        artifact,
                        append,
                        last_chunk,
                    }
                }
                other => other,
            })
        })
        .collect()
}

async fn collect(stream: EventStream) -> Events {
    let events = tokio::time::timeout(Duration::from_secs(20), stream.collect::<Vec<_>>())
        .await
        .expect("the stream ends");
    normalise(events)
}

async fn run(p: &BedrockProvider, ctx: TaskContext, m: Message) -> Events {
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

fn agent_text(text: &str) -> Message {
    agent_msg(vec![Part::text(text)])
}

fn with_code(mut m: Message, code: &str) -> Message {
    m.metadata = json!({ "bedrockErrorCode": code }).as_object().cloned();
    m
}

fn chunk(text: &str, append: bool, last: bool) -> Result<ProviderEvent, ProviderError> {
    Ok(ProviderEvent::Artifact {
        artifact: Artifact {
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

/// `SaveData {sessionId}` and WORKING: the response stream opened.
fn started(session: &str) -> Events {
    vec![
        save(json!({ "sessionId": session })),
        state(TaskState::Working),
    ]
}

fn with(mut a: Events, b: Events) -> Events {
    a.extend(b);
    a
}

#[tokio::test]
async fn plain_answer() {
    let fake = FakeServer::start().await.unwrap();
    let p = provider(&fake, "plain");
    let events = run(&p, ctx(TaskState::Unspecified, None), user("What is A2A?")).await;
    assert_eq!(
        events,
        with(
            started("task-1"),
            vec![
                chunk("echo: ", false, false),
                chunk("What is A2A?", true, true),
                state(TaskState::Completed),
            ]
        )
    );
    let requests = fake.requests();
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert_eq!(
        (
            r.agent_id.as_str(),
            r.agent_alias_id.as_str(),
            r.session_id.as_str()
        ),
        ("plain", "ALIAS1", "task-1")
    );
    // Signed with the fake key for Bedrock in the configured region.
    assert_eq!(r.access_key_id, fake::FAKE_ACCESS_KEY_ID);
    assert_eq!(r.region, "us-east-1");
    assert_eq!(
        r.body,
        json!({"inputText": "What is A2A?", "enableTrace": false})
    );
}

#[tokio::test]
async fn data_and_text_parts_become_the_input_text() {
    let fake = FakeServer::start().await.unwrap();
    let p = provider(&fake, "plain");
    let m = Message {
        message_id: "m-1".into(),
        role: Role::User,
        parts: vec![
            Part::text("Book this:"),
            Part::data(json!({"date": "2026-12-24"})),
        ],
        ..Message::default()
    };
    let events = run(&p, ctx(TaskState::Unspecified, None), m).await;
    assert_eq!(events.last(), Some(&state(TaskState::Completed)));
    assert_eq!(
        fake.requests()[0].body["inputText"],
        json!("Book this:\n\n{\"date\":\"2026-12-24\"}")
    );
}

#[tokio::test]
async fn a_message_without_text_is_rejected_without_a_call() {
    let fake = FakeServer::start().await.unwrap();
    let p = provider(&fake, "plain");
    let m = Message {
        message_id: "m-1".into(),
        role: Role::User,
        parts: vec![Part::raw(vec![1, 2, 3])],
        ..Message::default()
    };
    let events = run(&p, ctx(TaskState::Unspecified, None), m).await;
    assert_eq!(
        events,
        vec![err(
            ProviderErrorKind::Rejected,
            "the Bedrock agent takes text or data parts; this message has neither"
        )]
    );
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn streamed_answer_in_many_chunks() {
    let fake = FakeServer::start().await.unwrap();
    let p = provider(&fake, "stream");
    let events = run(&p, ctx(TaskState::Unspecified, None), user("count")).await;
    let mut expected = started("task-1");
    for i in 0..20 {
        expected.push(chunk(&format!("w{i} "), i > 0, i == 19));
    }
    expected.push(state(TaskState::Completed));
    assert_eq!(events, expected);
}

#[tokio::test]
async fn traces_are_off_by_default() {
    let fake = FakeServer::start().await.unwrap();
    let p = provider(&fake, "traces");
    let events = run(&p, ctx(TaskState::Unspecified, None), user("weather?")).await;
    assert_eq!(
        events,
        with(
            started("task-1"),
            vec![
                chunk("It is ", false, false),
                chunk("sunny in Paris.", true, true),
                state(TaskState::Completed),
            ]
        )
    );
    assert_eq!(fake.requests()[0].body["enableTrace"], json!(false));
}

#[tokio::test]
async fn traces_as_short_status_messages() {
    let fake = FakeServer::start().await.unwrap();
    let mut c = config(&fake, "traces");
    c.traces_as_status = true;
    let p = provider_with(c);
    let events = run(&p, ctx(TaskState::Unspecified, None), user("weather?")).await;
    let long = "I need to find the weather in Paris. ".repeat(20);
    let long: String = format!("Thinking: {}", long.trim())
        .chars()
        .take(300)
        .collect();
    assert_eq!(
        events,
        with(
            started("task-1"),
            vec![
                state_msg(
                    TaskState::Working,
                    agent_text("Pre-processing: The user asks about the weather.")
                ),
                state_msg(TaskState::Working, agent_text(&format!("{long}…"))),
                state_msg(
                    TaskState::Working,
                    agent_text("Calling action group weather: get_weather")
                ),
                state_msg(
                    TaskState::Working,
                    agent_text("Got the action group's result")
                ),
                chunk("It is ", false, false),
                chunk("sunny in Paris.", true, true),
                state(TaskState::Completed),
            ]
        )
    );
    assert!(!format!("{events:?}").contains("SECRET PROMPT"));
    assert_eq!(fake.requests()[0].body["enableTrace"], json!(true));
}

#[tokio::test]
async fn files_become_an_artifact() {
    let fake = FakeServer::start().await.unwrap();
    let p = provider(&fake, "files");
    let events = run(&p, ctx(TaskState::Unspecified, None), user("export")).await;
    let file = Part {
        content: PartContent::Raw(b"a,b\n1,2\n".to_vec()),
        filename: "out.csv".into(),
        media_type: "text/csv".into(),
        ..Part::default()
    };
    assert_eq!(
        events,
        with(
            started("task-1"),
            vec![
                Ok(ProviderEvent::Artifact {
                    artifact: Artifact {
                        name: "files".into(),
                        parts: vec![file],
                        ..Artifact::default()
                    },
                    append: false,
                    last_chunk: true,
                }),
                chunk("Here is the file.", false, true),
                state(TaskState::Completed),
            ]
        )
    );
}

#[tokio::test]
async fn ask_user_ends_input_required_and_the_reply_continues_the_session() {
    let fake = FakeServer::start().await.unwrap();
    let mut c = config(&fake, "ask_user");
    c.traces_as_status = true;
    let p = provider_with(c);
    let events = run(&p, ctx(TaskState::Unspecified, None), user("book a table")).await;
    assert_eq!(
        events,
        with(
            started("task-1"),
            vec![
                state_msg(
                    TaskState::Working,
                    agent_text("Asking the user for more information")
                ),
                chunk("Which date?", false, true),
                state_msg(TaskState::InputRequired, agent_text("Which date?")),
            ]
        )
    );
    // The answer is an ordinary message on the same session.
    let events = run(
        &p,
        ctx(
            TaskState::InputRequired,
            Some(json!({ "sessionId": "task-1" })),
        ),
        user("tomorrow"),
    )
    .await;
    assert_eq!(
        events.first(),
        Some(&save(json!({ "sessionId": "task-1" })))
    );
    let last = fake.requests().pop().unwrap();
    assert_eq!(last.session_id, "task-1");
    assert_eq!(last.body["inputText"], json!("tomorrow"));
}

#[tokio::test]
async fn failure_trace_without_an_answer_fails_the_task() {
    let fake = FakeServer::start().await.unwrap();
    let mut c = config(&fake, "failure");
    c.traces_as_status = true;
    let p = provider_with(c);
    let events = run(&p, ctx(TaskState::Unspecified, None), user("book")).await;
    assert_eq!(
        events,
        with(
            started("task-1"),
            vec![
                state_msg(
                    TaskState::Working,
                    agent_text("Failure: The Lambda function of action group booking timed out")
                ),
                state_msg(
                    TaskState::Failed,
                    with_code(
                        agent_text(
                            "The Bedrock agent failed: The Lambda function of action group \
                             booking timed out"
                        ),
                        "failureTrace"
                    )
                ),
            ]
        )
    );
}

fn input_question() -> Message {
    agent_msg(vec![
        Part::text(
            "The agent needs the result of ask_user (action group clarify) with \
             question=What should I echo?. Reply on this task with the result as text, or with \
             a data part {\"results\":[{\"function\":\"ask_user\",\"body\":\"…\"}]}.",
        ),
        Part::data(json!({
            "invocationId": "inv-input-1",
            "invocationInputs": [{
                "type": "function", "actionGroup": "clarify", "function": "ask_user",
                "parameters": [{"name": "question", "type": "string", "value": "What should I echo?"}],
                "actionInvocationType": "RESULT"
            }]
        })),
    ])
}

fn input_pending() -> Value {
    json!({
        "sessionId": "task-1",
        "invocationId": "inv-input-1",
        "invocationInputs": [{
            "type": "function", "actionGroup": "clarify", "function": "ask_user",
            "parameters": [{"name": "question", "type": "string", "value": "What should I echo?"}],
            "actionInvocationType": "RESULT"
        }]
    })
}

#[tokio::test]
async fn return_control_is_input_required_and_the_reply_resumes_the_invocation() {
    let fake = FakeServer::start().await.unwrap();
    let p = provider(&fake, "input");
    let events = run(
        &p,
        ctx(TaskState::Unspecified, None),
        user("echo something"),
    )
    .await;
    assert_eq!(
        events,
        with(
            started("task-1"),
            vec![
                save(input_pending()),
                state_msg(TaskState::InputRequired, input_question()),
            ]
        )
    );

    // Any instance resumes from the saved data alone.
    let p2 = provider(&fake, "input");
    let events = run(
        &p2,
        ctx(TaskState::InputRequired, Some(input_pending())),
        Message::text(Role::User, "m-2", "hello there"),
    )
    .await;
    assert_eq!(
        events,
        with(
            started("task-1"),
            vec![
                chunk("got: ", false, false),
                chunk("hello there", true, true),
                state(TaskState::Completed),
            ]
        )
    );
    let requests = fake.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[1].session_id, "task-1");
    assert_eq!(
        requests[1].body,
        json!({
            "enableTrace": false,
            "sessionState": {
                "invocationId": "inv-input-1",
                "returnControlInvocationResults": [{"functionResult": {
                    "actionGroup": "clarify", "function": "ask_user",
                    "responseBody": {"TEXT": {"body": "hello there"}}
                }}]
            }
        })
    );
}

fn tools_pending() -> Value {
    json!({
        "sessionId": "task-1",
        "invocationId": "inv-tools-1",
        "invocationInputs": [
            {"type": "function", "actionGroup": "booking", "function": "book_table",
             "parameters": [{"name": "date", "type": "string", "value": "2026-12-24"},
                            {"name": "people", "type": "integer", "value": "4"}],
             "actionInvocationType": "RESULT"},
            {"type": "api", "actionGroup": "weather", "apiPath": "/weather", "httpMethod": "GET",
             "parameters": [{"name": "city", "type": "string", "value": "Paris"}]}
        ]
    })
}

#[tokio::test]
async fn two_invocation_inputs_and_a_data_part_reply() {
    let fake = FakeServer::start().await.unwrap();
    let p = provider(&fake, "tools");
    let events = run(&p, ctx(TaskState::Unspecified, None), user("dinner?")).await;
    let question = agent_msg(vec![
        Part::text(
            "The agent needs the results of 2 calls: book_table (action group booking) with \
             date=2026-12-24, people=4; GET /weather (action group weather) with city=Paris. \
             Reply on this task with a data part {\"results\":[{\"function\":\"book_table\",\
             \"body\":\"…\"},{\"apiPath\":\"/weather\",\"body\":\"…\"}]}.",
        ),
        Part::data(json!({
            "invocationId": "inv-tools-1",
            "invocationInputs": tools_pending()["invocationInputs"],
        })),
    ]);
    assert_eq!(
        events,
        with(
            started("task-1"),
            vec![
                chunk("Let me check.", false, true),
                save(tools_pending()),
                state_msg(TaskState::InputRequired, question),
            ]
        )
    );

    let reply = Message {
        message_id: "m-2".into(),
        role: Role::User,
        parts: vec![Part::data(json!({"results": [
            {"apiPath": "/weather", "body": {"sky": "clear"}, "httpStatusCode": 200},
            {"function": "book_table", "body": "table 7"}
        ]}))],
        ..Message::default()
    };
    let events = run(
        &p,
        ctx(TaskState::InputRequired, Some(tools_pending())),
        reply,
    )
    .await;
    assert_eq!(
        events,
        with(
            started("task-1"),
            vec![
                chunk("Booked: table 7; weather: {\"sky\":\"clear\"}", false, true),
                state(TaskState::Completed),
            ]
        )
    );
    assert_eq!(
        fake.requests()[1].body["sessionState"],
        json!({
            "invocationId": "inv-tools-1",
            "returnControlInvocationResults": [
                {"functionResult": {"actionGroup": "booking", "function": "book_table",
                    "responseBody": {"TEXT": {"body": "table 7"}}}},
                {"apiResult": {"actionGroup": "weather", "httpMethod": "GET", "apiPath": "/weather",
                    "httpStatusCode": 200,
                    "responseBody": {"application/json": {"body": "{\"sky\":\"clear\"}"}}}}
            ]
        })
    );
}

#[tokio::test]
async fn an_incomplete_reply_is_asked_again_without_a_call() {
    let fake = FakeServer::start().await.unwrap();
    let p = provider(&fake, "tools");
    let events = run(
        &p,
        ctx(TaskState::InputRequired, Some(tools_pending())),
        user("table 7"),
    )
    .await;
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(events[0], state(TaskState::Working));
    let Ok(ProviderEvent::Status {
        state: TaskState::InputRequired,
        message: Some(m),
    }) = &events[1]
    else {
        panic!("{events:?}")
    };
    assert!(
        m.text_content().starts_with(
            "The agent waits for 2 results; plain text can answer only one, send a data part \
             with `results`. The agent needs the results of 2 calls:"
        ),
        "{}",
        m.text_content()
    );
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn a_confirmation_answered_with_deny() {
    let fake = FakeServer::start().await.unwrap();
    let p = provider(&fake, "confirm");
    let events = run(&p, ctx(TaskState::Unspecified, None), user("delete it")).await;
    let Some(Ok(ProviderEvent::SaveData(saved))) = events.get(2).cloned() else {
        panic!("{events:?}")
    };
    let Some(Ok(ProviderEvent::Status {
        state: TaskState::InputRequired,
        message: Some(q),
    })) = events.get(3)
    else {
        panic!("{events:?}")
    };
    assert_eq!(
        q.text_content(),
        "The agent asks you to confirm delete_file (action group files) with \
         path=/tmp/report.txt. Reply on this task with \"confirm\" or \"deny\", or with a data \
         part {\"results\":[{\"function\":\"delete_file\",\"confirmationState\":\"CONFIRM\"}]}."
    );
    let events = run(&p, ctx(TaskState::InputRequired, Some(saved)), user("No")).await;
    assert_eq!(
        events,
        with(
            started("task-1"),
            vec![
                chunk("Kept the file.", false, true),
                state(TaskState::Completed)
            ]
        )
    );
    assert_eq!(
        fake.requests()[1].body["sessionState"]["returnControlInvocationResults"],
        json!([{"functionResult": {"actionGroup": "files", "function": "delete_file",
            "confirmationState": "DENY"}}])
    );
}

#[tokio::test]
async fn a_task_id_bedrock_refuses_is_hashed_into_a_session_id() {
    let fake = FakeServer::start().await.unwrap();
    let p = provider(&fake, "plain");
    let mut c = ctx(TaskState::Unspecified, None);
    c.task_id = "my task/ü".into();
    let events = run(&p, c.clone(), user("hi")).await;
    let session = fake.requests()[0].session_id.clone();
    assert!(
        session.starts_with("a2a-") && session.len() == 68,
        "{session}"
    );
    assert_eq!(events[0], save(json!({ "sessionId": session })));
    // The same task always maps to the same session.
    run(&p, c, user("again")).await;
    assert_eq!(fake.requests()[1].session_id, session);
}

/// A new task (`task_id`) in a context the caller used before, with `context_data`.
fn follow_up(task_id: &str, context_data: Option<Value>) -> TaskContext {
    let mut c = ctx(TaskState::Unspecified, None);
    c.task_id = task_id.into();
    c.context_data = context_data;
    c
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

#[tokio::test]
async fn a_new_task_continues_the_session_of_its_context() {
    let fake = FakeServer::start().await.unwrap();
    let p = provider(&fake, "plain");
    let first = run(&p, ctx(TaskState::Unspecified, None), user("I am Ada")).await;
    assert_eq!(first.last(), Some(&state(TaskState::Completed)));
    let saved = last_saved(&first);
    // The engine hands the second task of the context what the first one saved.
    let events = run(&p, follow_up("task-2", Some(saved)), user("Who am I?")).await;
    assert_eq!(
        events,
        with(
            started("task-1"),
            vec![
                chunk("echo: ", false, false),
                chunk("Who am I?", true, true),
                state(TaskState::Completed),
            ]
        )
    );
    let requests = fake.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].session_id, "task-1");
    assert_eq!(requests[1].session_id, "task-1", "the same Bedrock session");
    assert_eq!(requests[1].body["inputText"], json!("Who am I?"));
    // A third task continues it again (the second saved the same session).
    run(
        &p,
        follow_up("task-3", Some(last_saved(&events))),
        user("again"),
    )
    .await;
    assert_eq!(fake.requests()[2].session_id, "task-1");
}

#[tokio::test]
async fn a_context_session_busy_with_another_task_gives_the_new_task_its_own() {
    let fake = FakeServer::start().await.unwrap();
    let p = provider(&fake, "slow");
    // The first task of the context is still running (its stream stays open).
    let mut first = p
        .run(ctx(TaskState::Unspecified, None), user("think"))
        .await
        .unwrap();
    assert_eq!(
        first.next().await.unwrap(),
        save(json!({ "sessionId": "task-1" }))
    );
    // A second task of the context, handed the first one's session, is not refused: Bedrock
    // answers ConflictException for the busy session, and the task opens its own.
    let mut second = p
        .run(
            follow_up("task-2", Some(json!({ "sessionId": "task-1" }))),
            user("meanwhile"),
        )
        .await
        .unwrap();
    assert_eq!(
        second.next().await.unwrap(),
        save(json!({ "sessionId": "task-2" }))
    );
    assert_eq!(second.next().await.unwrap(), state(TaskState::Working));
    let sessions: Vec<String> = fake.requests().into_iter().map(|r| r.session_id).collect();
    assert_eq!(sessions, ["task-1", "task-1", "task-2"]);
    drop((first, second));
}

#[tokio::test]
async fn only_the_session_of_the_context_data_carries_over() {
    let fake = FakeServer::start().await.unwrap();
    let p = provider(&fake, "plain");
    let events = run(&p, follow_up("task-2", Some(input_pending())), user("hi")).await;
    assert_eq!(events[..2], started("task-1")[..]);
    assert_eq!(events.last(), Some(&state(TaskState::Completed)));
    let r = &fake.requests()[0];
    assert_eq!(r.session_id, "task-1");
    // A new message, not the results of the other task's invocation.
    assert_eq!(r.body["inputText"], json!("hi"));
    assert!(r.body.get("sessionState").is_none(), "{}", r.body);
}

#[tokio::test]
async fn unreadable_context_data_gives_the_task_its_own_session() {
    let fake = FakeServer::start().await.unwrap();
    let p = provider(&fake, "plain");
    let bad = [
        json!("garbage"),
        json!({"sessionId": 42}),
        json!({"sessionId": "../other agent/sessions/x"}),
        json!({"no": "session"}),
    ];
    for (i, data) in bad.iter().enumerate() {
        let events = run(&p, follow_up("task-2", Some(data.clone())), user("hi")).await;
        assert_eq!(
            events,
            with(
                started("task-2"),
                vec![
                    chunk("echo: ", false, false),
                    chunk("hi", true, true),
                    state(TaskState::Completed),
                ]
            ),
            "{data}"
        );
        assert_eq!(fake.requests()[i].session_id, "task-2", "{data}");
    }
}

#[tokio::test]
async fn cancel_mid_run_drops_the_stream_and_ends_the_session() {
    let fake = FakeServer::start().await.unwrap();
    let p = provider(&fake, "slow");
    let mut stream = p
        .run(ctx(TaskState::Unspecified, None), user("think"))
        .await
        .unwrap();
    let saved = match stream.next().await {
        Some(Ok(ProviderEvent::SaveData(v))) => v,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        stream.next().await.unwrap().unwrap(),
        state(TaskState::Working).unwrap()
    );
    // The engine drops the run's stream, then calls cancel with the saved data.
    drop(stream);
    assert!(
        fake.wait_streams_dropped(1, Duration::from_secs(5)).await,
        "the connection of the running call is closed"
    );
    p.cancel(ctx(TaskState::Working, Some(saved)))
        .await
        .unwrap();
    let requests = fake.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[1].session_id, "task-1");
    assert_eq!(
        requests[1].body,
        json!({"endSession": true, "enableTrace": false})
    );
}

#[tokio::test]
async fn cancel_before_any_session_was_saved_does_nothing() {
    let fake = FakeServer::start().await.unwrap();
    let p = provider(&fake, "slow");
    p.cancel(ctx(TaskState::Working, None)).await.unwrap();
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn cancel_of_an_input_required_task_ends_its_session() {
    let fake = FakeServer::start().await.unwrap();
    let p = provider(&fake, "input");
    p.cancel(ctx(TaskState::InputRequired, Some(input_pending())))
        .await
        .unwrap();
    let requests = fake.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].body["endSession"], json!(true));
}

#[tokio::test]
async fn recover_is_not_possible() {
    let fake = FakeServer::start().await.unwrap();
    let p = provider(&fake, "plain");
    let recovered = p
        .recover(ctx(
            TaskState::Working,
            Some(json!({ "sessionId": "task-1" })),
        ))
        .await
        .unwrap();
    assert!(recovered.is_none());
    assert!(fake.requests().is_empty());
}

/// Upstream errors before the stream: (agent, expected error, attempts the fake saw).
#[tokio::test]
async fn upstream_errors_before_the_stream() {
    let fake = FakeServer::start().await.unwrap();
    let cases: [(&str, ProviderErrorKind, &str, usize); 6] = [
        (
            "validation",
            ProviderErrorKind::Rejected,
            "Amazon Bedrock refused the request (ValidationException: 1 validation error \
             detected: Value at 'agentAliasId' failed to satisfy constraint); check the agent \
             id, the alias id and the message",
            1,
        ),
        (
            "nobody",
            ProviderErrorKind::Rejected,
            "Amazon Bedrock refused the request (ResourceNotFoundException: Failed to retrieve \
             resource because it doesn't exist. Retry the request with a different resource \
             identifier.): there is no agent `nobody` with alias `ALIAS1` in region us-east-1; \
             check agent_id, agent_alias_id and region in the configuration",
            1,
        ),
        (
            "denied",
            ProviderErrorKind::Unavailable,
            "Amazon Bedrock denied access (AccessDeniedException: User: \
             arn:aws:iam::123456789012:user/gateway is not authorized to perform: \
             bedrock:InvokeAgent): the AWS identity the gateway runs as needs the IAM \
             permission `bedrock:InvokeAgent` on \
             arn:aws:bedrock:us-east-1:<account>:agent-alias/denied/ALIAS1",
            1,
        ),
        (
            "busy",
            ProviderErrorKind::Rejected,
            "Amazon Bedrock refused the request (ConflictException: A request is already in \
             progress for this session.); another request is still running in this session: \
             wait for it to finish, then try again",
            1,
        ),
        (
            "throttled",
            ProviderErrorKind::Unavailable,
            "Amazon Bedrock is throttling requests (ThrottlingException: Rate exceeded), also \
             after 2 retries; try again later or ask AWS for a higher quota",
            3,
        ),
        (
            "broken",
            ProviderErrorKind::Unavailable,
            "Amazon Bedrock has a problem (InternalServerException: Internal server error, \
             HTTP 500), also after 2 retries; try again later",
            3,
        ),
    ];
    for (agent, kind, message, attempts) in cases {
        let p = provider(&fake, agent);
        let events = run(&p, ctx(TaskState::Unspecified, None), user("hi")).await;
        assert_eq!(events, vec![err(kind, message)], "{agent}");
        assert_eq!(fake.requests_for(agent).len(), attempts, "{agent}");
    }
}

#[tokio::test]
async fn a_5xx_is_retried_and_then_succeeds() {
    let fake = FakeServer::start().await.unwrap();
    let p = provider(&fake, "flaky");
    let events = run(&p, ctx(TaskState::Unspecified, None), user("hi")).await;
    assert_eq!(events.last(), Some(&state(TaskState::Completed)));
    assert_eq!(fake.requests_for("flaky").len(), 2);
}

#[tokio::test]
async fn a_rejected_invocation_result_fails_the_task() {
    let fake = FakeServer::start().await.unwrap();
    let p = provider(&fake, "input");
    let mut pending = input_pending();
    pending["invocationId"] = json!("inv-stale");
    let events = run(
        &p,
        ctx(TaskState::InputRequired, Some(pending)),
        user("hello"),
    )
    .await;
    assert_eq!(
        events,
        vec![err(
            ProviderErrorKind::Other,
            "Amazon Bedrock refused the request (ValidationException: The \
             returnControlInvocationResults do not match the pending invocation inv-input-1); \
             the invocation results do not match what the agent asked for, or the invocation \
             expired: send the request again as a new task"
        )]
    );
}

#[tokio::test]
async fn wrong_credentials_are_unavailable_with_a_hint_and_no_secret() {
    use aws_sdk_bedrockagentruntime::config::{Credentials, SharedCredentialsProvider};
    let fake = FakeServer::start().await.unwrap();
    let sdk = fake::sdk_config()
        .into_builder()
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            "AKIDSOMEONEELSE00001",
            "very-secret-value-123",
            None,
            None,
            "test",
        )))
        .build();
    let p = BedrockProvider::with_sdk_config(config(&fake, "plain"), &sdk).unwrap();
    let events = run(&p, ctx(TaskState::Unspecified, None), user("hi")).await;
    assert_eq!(
        events,
        vec![err(
            ProviderErrorKind::Unavailable,
            "Amazon Bedrock did not accept the gateway's AWS credentials \
             (UnrecognizedClientException: The security token included in the request is \
             invalid.): check the access key, secret key and session token (or the profile) \
             that the standard AWS credential chain finds, and that they have not expired"
        )]
    );
    let debug = format!("{events:?} {p:?}");
    assert!(!debug.contains("very-secret-value-123"));
    assert!(!format!("{p:?}").contains("AKID"), "{p:?}");
}

#[tokio::test]
async fn no_credentials_at_all() {
    let fake = FakeServer::start().await.unwrap();
    let sdk = aws_types::SdkConfig::builder()
        .behavior_version(aws_sdk_bedrockagentruntime::config::BehaviorVersion::latest())
        .region(aws_sdk_bedrockagentruntime::config::Region::new(
            "us-east-1",
        ))
        .build();
    let p = BedrockProvider::with_sdk_config(config(&fake, "plain"), &sdk).unwrap();
    let events = run(&p, ctx(TaskState::Unspecified, None), user("hi")).await;
    let [Err(e)] = events.as_slice() else {
        panic!("{events:?}")
    };
    assert_eq!(e.kind, ProviderErrorKind::Unavailable, "{e}");
    assert!(e.message.contains("credential"), "{e}");
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn an_unreachable_endpoint_is_unavailable() {
    // A port that was just free: nothing listens there.
    let addr = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let mut c = BedrockConfig::new("plain", "ALIAS1");
    c.endpoint_url = Some(format!("http://{addr}"));
    c.max_retries = 0;
    let p = provider_with(c);
    let events = run(&p, ctx(TaskState::Unspecified, None), user("hi")).await;
    let [Err(e)] = events.as_slice() else {
        panic!("{events:?}")
    };
    assert_eq!(e.kind, ProviderErrorKind::Unavailable, "{e}");
    assert!(
        e.message.starts_with(&format!(
            "could not reach Amazon Bedrock at the endpoint http://{addr} ("
        )),
        "{e}"
    );
}

#[tokio::test]
async fn mid_stream_exceptions_fail_the_task_with_bedrocks_message() {
    let fake = FakeServer::start().await.unwrap();
    let p = provider(&fake, "midstream");
    let events = run(&p, ctx(TaskState::Unspecified, None), user("hi")).await;
    assert_eq!(
        events,
        with(
            started("task-1"),
            vec![
                chunk("Working on it", false, true),
                state_msg(
                    TaskState::Failed,
                    with_code(
                        agent_text(
                            "Amazon Bedrock stopped the agent with throttlingException: Your \
                             request rate is too high. Reduce the frequency of requests.; \
                             Bedrock is throttling the agent, try again later"
                        ),
                        "throttlingException"
                    )
                ),
            ]
        )
    );

    let p = provider(&fake, "dependency");
    let events = run(&p, ctx(TaskState::Unspecified, None), user("hi")).await;
    assert_eq!(
        events,
        with(
            started("task-1"),
            vec![state_msg(
                TaskState::Failed,
                with_code(
                    agent_text(
                        "Amazon Bedrock stopped the agent with dependencyFailedException: The \
                         Lambda function of action group booking returned an error.; check the \
                         agent's action group Lambda functions, knowledge bases and their \
                         permissions"
                    ),
                    "dependencyFailedException"
                )
            )]
        )
    );
}

/// A malformed frame, a frame with a bad CRC, and a stream cut off mid-frame.
#[tokio::test]
async fn broken_streams_are_malformed() {
    let fake = FakeServer::start().await.unwrap();
    for (agent, before, detail) in [
        ("malformed", vec![], "failed to unmarshall chunk"),
        ("corrupt", vec![], "checksum"),
        (
            "truncated",
            vec![chunk("partial ", false, true)],
            "end of stream",
        ),
    ] {
        let p = provider(&fake, agent);
        let events = run(&p, ctx(TaskState::Unspecified, None), user("hi")).await;
        let expected_len = 2 + before.len() + 1;
        assert_eq!(events.len(), expected_len, "{agent}: {events:?}");
        assert_eq!(
            events[..2 + before.len()],
            with(started("task-1"), before)[..]
        );
        let Err(e) = events.last().unwrap() else {
            panic!("{agent}: {events:?}")
        };
        assert_eq!(e.kind, ProviderErrorKind::Malformed, "{agent}: {e}");
        assert!(
            e.message
                .starts_with("the response stream from Amazon Bedrock is malformed or truncated (")
                && e.message.ends_with("); try again")
                && e.message.to_lowercase().contains(detail),
            "{agent}: {e}"
        );
    }
}

#[tokio::test]
async fn an_upstream_that_stops_sending_times_out() {
    let fake = FakeServer::start().await.unwrap();
    let mut c = config(&fake, "hang");
    c.idle_timeout = Duration::from_millis(300);
    let p = provider_with(c);
    let events = run(&p, ctx(TaskState::Unspecified, None), user("hi")).await;
    assert_eq!(
        events,
        with(
            started("task-1"),
            vec![
                chunk("partial", false, true),
                err(
                    ProviderErrorKind::Timeout,
                    "Amazon Bedrock sent nothing for 0.3 s on the agent's response stream; the \
                     task was stopped. Try again later, or raise `idle_timeout` if the agent's \
                     action groups or knowledge bases are slow"
                ),
            ]
        )
    );
    assert!(fake.wait_streams_dropped(1, Duration::from_secs(5)).await);
}

/// The request timeout bounds the wait for the response, not the answer that follows.
#[tokio::test]
async fn a_long_answer_outlives_the_request_timeout() {
    let fake = FakeServer::start().await.unwrap();
    let mut c = config(&fake, "hang");
    c.request_timeout = Duration::from_millis(400);
    c.idle_timeout = Duration::from_millis(900);
    let p = provider_with(c);
    let events = run(&p, ctx(TaskState::Unspecified, None), user("hi")).await;
    let [.., Err(e)] = events.as_slice() else {
        panic!("{events:?}")
    };
    assert_eq!(e.kind, ProviderErrorKind::Timeout);
    assert!(
        e.message
            .starts_with("Amazon Bedrock sent nothing for 0.9 s"),
        "{e}"
    );
}

#[tokio::test]
async fn an_upstream_that_never_answers_times_out() {
    let fake = FakeServer::start().await.unwrap();
    let mut c = config(&fake, "silent");
    c.request_timeout = Duration::from_millis(300);
    c.max_retries = 1;
    let p = provider_with(c);
    let events = run(&p, ctx(TaskState::Unspecified, None), user("hi")).await;
    assert_eq!(
        events,
        vec![err(
            ProviderErrorKind::Timeout,
            &format!(
                "Amazon Bedrock did not answer within 0.3 s (the endpoint {}), also after 1 \
                 retry; try again later, or raise `request_timeout`",
                fake.base_url()
            )
        )]
    );
    assert_eq!(fake.requests_for("silent").len(), 2);
}

#[tokio::test]
async fn config_errors() {
    let sdk = fake::sdk_config();
    let e = BedrockProvider::with_sdk_config(BedrockConfig::new("", "ALIAS1"), &sdk).unwrap_err();
    assert_eq!(
        e.message,
        "the Bedrock agent needs an agent id and an agent alias id"
    );
    let no_region = aws_types::SdkConfig::builder().build();
    let e = BedrockProvider::with_sdk_config(BedrockConfig::new("A", "B"), &no_region).unwrap_err();
    assert!(e.message.starts_with("no AWS region"), "{e}");
    let mut c = BedrockConfig::new("A", "B");
    c.region = Some("eu-west-1".into());
    let p = BedrockProvider::with_sdk_config(c, &no_region).unwrap();
    assert!(format!("{p:?}").contains("eu-west-1"));
    assert_eq!(p.kind(), "bedrock");
}

const CHILD: &str = "A2AGW_BEDROCK_FROM_ENV_CHILD";

/// Runs the test `name` of this binary in a child process with only `env` set (changing the
/// environment of this multi-threaded process would be unsafe).
async fn in_child(name: &'static str, env: Vec<(&'static str, String)>) {
    let home = std::env::temp_dir().join(format!("a2agw-bedrock-home-{}", std::process::id()));
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(std::env::current_exe().unwrap())
            .args([name, "--exact"])
            .env_clear()
            .envs(env)
            // No profile files, no instance metadata: only the variables above count.
            .env("HOME", &home)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .output()
    })
    .await
    .unwrap()
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// `from_env` with the variables the gateway's end-to-end tests export.
#[tokio::test]
async fn from_env_reads_the_standard_aws_variables() {
    if let Ok(url) = std::env::var(CHILD) {
        let mut c = BedrockConfig::new("plain", "ALIAS1");
        c.endpoint_url = Some(url);
        let p = BedrockProvider::from_env(c).await.unwrap();
        let events = run(&p, ctx(TaskState::Unspecified, None), user("from env")).await;
        assert_eq!(
            events.last(),
            Some(&state(TaskState::Completed)),
            "{events:?}"
        );
        return;
    }
    let fake = FakeServer::start().await.unwrap();
    in_child(
        "from_env_reads_the_standard_aws_variables",
        vec![
            (CHILD, fake.base_url()),
            ("AWS_ACCESS_KEY_ID", fake::FAKE_ACCESS_KEY_ID.into()),
            ("AWS_SECRET_ACCESS_KEY", fake::FAKE_SECRET_ACCESS_KEY.into()),
            ("AWS_REGION", "eu-central-1".into()),
        ],
    )
    .await;
    let requests = fake.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(requests[0].access_key_id, fake::FAKE_ACCESS_KEY_ID);
    assert_eq!(requests[0].region, "eu-central-1");
    assert_eq!(requests[0].body["inputText"], json!("from env"));
}

/// `from_env` without any credentials: the task fails with what to set; the config's
/// region is used when the environment has none.
#[tokio::test]
async fn from_env_without_credentials() {
    if let Ok(url) = std::env::var(CHILD) {
        let mut c = BedrockConfig::new("plain", "ALIAS1");
        c.endpoint_url = Some(url);
        c.region = Some("eu-west-3".into());
        let p = BedrockProvider::from_env(c).await.unwrap();
        let events = run(&p, ctx(TaskState::Unspecified, None), user("hi")).await;
        let [Err(e)] = events.as_slice() else {
            panic!("{events:?}")
        };
        assert_eq!(e.kind, ProviderErrorKind::Unavailable, "{e}");
        assert!(
            e.message
                .starts_with("the gateway found no usable AWS credentials to sign the request"),
            "{e}"
        );
        return;
    }
    let fake = FakeServer::start().await.unwrap();
    in_child(
        "from_env_without_credentials",
        vec![(CHILD, fake.base_url())],
    )
    .await;
    assert!(fake.requests().is_empty());
}
