//! `TaskContext::context_data`: a new task continues the thread of its context (what the
//! caller's earlier task saved), or starts a new one when it cannot.

use super::*;

/// A new task (no provider data) of the context, handed `context_data`.
fn follow_up(task_id: &str, context_data: Option<Value>) -> TaskContext {
    TaskContext {
        task_id: task_id.into(),
        context_id: "ctx-1".into(),
        state: TaskState::Unspecified,
        context_data,
        ..TaskContext::default()
    }
}

/// The last `SaveData` value of a run: what the engine keeps with the completed task.
fn last_saved(events: &[Result<ProviderEvent, ProviderError>]) -> Value {
    events
        .iter()
        .rev()
        .find_map(|e| match e {
            Ok(ProviderEvent::SaveData(v)) => Some(v.clone()),
            _ => None,
        })
        .expect("the run saved data")
}

/// The events of a `plain` run on `thread` (run `run`, answer message `msg`).
fn plain_on(
    thread: &str,
    run: &str,
    msg: &str,
    text: &str,
) -> Vec<Result<ProviderEvent, ProviderError>> {
    vec![
        save(json!({"thread_id": thread})),
        save(json!({"thread_id": thread, "run_id": run})),
        state(TaskState::Working),
        chunk(msg, "echo: ", false, false),
        chunk(msg, text, true, true),
        save(json!({"thread_id": thread})),
        state(TaskState::Completed),
    ]
}

#[tokio::test]
async fn a_new_task_continues_the_thread_of_its_context() {
    let fake = start().await;
    let p = provider(&fake, "plain");
    let first = run(
        &p,
        ctx(TaskState::Unspecified, None),
        user("My name is Ada"),
    )
    .await;
    assert_eq!(
        first,
        plain_on("thread_1", "run_1", "msg_2", "My name is Ada")
    );

    let second = run(
        &p,
        follow_up("task-2", Some(last_saved(&first))),
        user("What is my name?"),
    )
    .await;
    assert_eq!(
        second,
        plain_on("thread_1", "run_2", "msg_4", "What is my name?")
    );
    assert_eq!(
        fake.requests(),
        [
            "POST /threads",
            "POST /threads/thread_1/messages",
            "POST /threads/thread_1/runs",
            // No new thread: the message and the run go to the context's thread.
            "POST /threads/thread_1/messages",
            "POST /threads/thread_1/runs",
        ]
    );
    assert_eq!(
        fake.bodies()[3],
        json!({"role": "user", "content": "What is my name?"})
    );
}

#[tokio::test]
async fn the_run_and_tool_calls_of_the_context_data_are_ignored() {
    let fake = start().await;
    let p = provider(&fake, "plain");
    run(&p, ctx(TaskState::Unspecified, None), user("first")).await;
    // Even a stale run waiting for tool outputs is not this task's: a plain new turn.
    let stale = json!({
        "thread_id": "thread_1", "run_id": "run_1",
        "tool_call_ids": ["call_a"], "action": "submit_tool_outputs"
    });
    for task_state in [TaskState::Unspecified, TaskState::Submitted] {
        let mut c = follow_up("task-2", Some(stale.clone()));
        c.state = task_state;
        let events = run(&p, c, user("again")).await;
        assert_eq!(events[0], save(json!({"thread_id": "thread_1"})));
        assert_eq!(events.last(), Some(&state(TaskState::Completed)));
    }
    let log = fake.requests();
    assert_eq!(log.iter().filter(|r| *r == "POST /threads").count(), 1);
    assert!(
        !log.iter().any(|r| r.contains("submit_tool_outputs")),
        "{log:?}"
    );
}

#[tokio::test]
async fn unreadable_context_data_starts_a_new_thread() {
    for garbage in [
        json!("thread_1"),
        json!(42),
        json!(null),
        json!({"thread": "thread_1"}),
        json!({"thread_id": 7}),
        json!({"thread_id": ""}),
        json!({"thread_id": "../threads/thread_1"}),
    ] {
        let fake = start().await;
        let p = provider(&fake, "plain");
        let events = run(&p, follow_up("task-2", Some(garbage.clone())), user("hi")).await;
        assert_eq!(
            events,
            plain_on("thread_1", "run_1", "msg_2", "hi"),
            "{garbage}"
        );
        assert_eq!(
            fake.requests(),
            [
                "POST /threads",
                "POST /threads/thread_1/messages",
                "POST /threads/thread_1/runs"
            ],
            "{garbage}"
        );
    }
}

#[tokio::test]
async fn a_vanished_thread_falls_back_to_a_new_one() {
    let fake = start().await;
    let p = provider(&fake, "plain");
    let first = run(&p, ctx(TaskState::Unspecified, None), user("first")).await;
    fake.delete_thread("thread_1");

    let second = run(
        &p,
        follow_up("task-2", Some(last_saved(&first))),
        user("second"),
    )
    .await;
    assert_eq!(second, plain_on("thread_2", "run_2", "msg_4", "second"));
    assert_eq!(
        fake.requests()[3..],
        [
            "POST /threads/thread_1/messages",
            "POST /threads",
            "POST /threads/thread_2/messages",
            "POST /threads/thread_2/runs",
        ]
    );
}

#[tokio::test]
async fn a_thread_busy_with_another_task_falls_back_to_a_new_one() {
    let fake = start().await;
    let plain = provider(&fake, "plain");
    let first = run(&plain, ctx(TaskState::Unspecified, None), user("first")).await;
    let context_data = last_saved(&first);

    // A second task of the context continues the thread and waits for tool outputs: its
    // run stays active on the thread.
    let tools = provider(&fake, "asst_tools");
    let waiting = run(
        &tools,
        follow_up("task-2", Some(context_data.clone())),
        user("weather?"),
    )
    .await;
    assert_eq!(waiting[0], save(json!({"thread_id": "thread_1"})));

    // A third one (the latest COMPLETED task is still the first) gets a thread of its own.
    let third = run(
        &plain,
        follow_up("task-3", Some(context_data)),
        user("third"),
    )
    .await;
    assert_eq!(third, plain_on("thread_2", "run_3", "msg_5", "third"));
    assert_eq!(
        fake.requests()[5..],
        [
            "POST /threads/thread_1/messages",
            "POST /threads",
            "POST /threads/thread_2/messages",
            "POST /threads/thread_2/runs",
        ]
    );
}
