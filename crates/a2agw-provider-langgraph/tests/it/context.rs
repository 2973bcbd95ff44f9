//! `TaskContext::context_data`: a new task continues the thread of its context (what the
//! caller's earlier task saved), or runs on the thread derived from its task id.

use super::*;

/// A new task (no provider data) of the context, handed `context_data`.
fn follow_up(task_id: &str, context_data: Option<Value>) -> TaskContext {
    TaskContext {
        task_id: task_id.into(),
        context_id: "ctx-1".into(),
        state: TaskState::Submitted,
        context_data,
        ..TaskContext::default()
    }
}

/// The last `SaveData` value of a run: what the engine keeps with the completed task.
fn last_saved(events: &[Ev]) -> Value {
    events
        .iter()
        .rev()
        .find_map(|e| match e {
            Ok(ProviderEvent::SaveData(v)) => Some(v.clone()),
            _ => None,
        })
        .expect("the run saved data")
}

/// The events of a `plain` run on `thread` (run `run`).
fn plain_on(thread: &str, run: &str, text: &str) -> Vec<Ev> {
    vec![
        save(json!({"thread_id": thread, "run_id": run})),
        status(TaskState::Working),
        chunk("echo: ", false, false),
        chunk(text, true, true),
        status(TaskState::Completed),
    ]
}

#[tokio::test]
async fn a_new_task_continues_the_thread_of_its_context() {
    let fake = start().await;
    let p = provider(&fake, "plain");
    let tid = p.thread_id_for("task-1");
    let first = collect(&p, ctx(), "My name is Ada").await;
    assert_eq!(first, plain_on(&tid, "run-1", "My name is Ada"));

    let second = collect(
        &p,
        follow_up("task-2", Some(last_saved(&first))),
        "What is my name?",
    )
    .await;
    assert_eq!(second, plain_on(&tid, "run-2", "What is my name?"));
    let calls = fake.calls();
    let paths: Vec<&str> = calls.iter().map(|c| c.0.as_str()).collect();
    let run_path = format!("POST /threads/{tid}/runs/stream");
    assert_eq!(
        paths,
        ["POST /threads", &run_path, "POST /threads", &run_path]
    );
    // The context's thread is made sure of (`do_nothing` when it exists), never the one
    // derived from the new task.
    assert_eq!(calls[2].1["thread_id"], json!(tid));
    assert_eq!(calls[2].1["if_exists"], "do_nothing");
    assert_eq!(
        calls[3].1["input"]["messages"][0]["content"],
        "What is my name?"
    );
    assert_eq!(calls[3].1["metadata"]["a2a_task_id"], "task-2");
    assert!(calls[3].1.get("command").is_none());
}

#[tokio::test]
async fn the_run_and_interrupts_of_the_context_data_are_ignored() {
    let fake = start().await;
    let p = provider(&fake, "plain");
    let tid = p.thread_id_for("task-1");
    collect(&p, ctx(), "first").await;
    let stale = json!({
        "thread_id": tid, "run_id": "run-1",
        "interrupts": [{"id": "int-1", "value": {"question": "What is your name?"}}]
    });
    // Not a resume: the message is new input, and only this task's run is saved.
    let events = collect(&p, follow_up("task-2", Some(stale.clone())), "again").await;
    assert_eq!(events, plain_on(&tid, "run-2", "again"));
    let calls = fake.calls();
    assert_eq!(calls[3].1["input"]["messages"][0]["content"], "again");
    assert!(calls[3].1.get("command").is_none());

    // Nothing to recover or cancel for a task that only has context data.
    let mut c = follow_up("task-3", Some(stale));
    c.state = TaskState::Working;
    assert!(p.recover(c.clone()).await.unwrap().is_none());
    p.cancel(c).await.unwrap();
    assert_eq!(fake.calls().len(), 4);
}

#[tokio::test]
async fn unreadable_context_data_uses_the_task_thread() {
    for garbage in [
        json!("t-1"),
        json!(42),
        json!(null),
        json!({"thread": "t-1"}),
        json!({"thread_id": 7}),
        json!({"thread_id": " "}),
        json!({"thread_id": "../../assistants"}),
    ] {
        let fake = start().await;
        let p = provider(&fake, "plain");
        let tid = p.thread_id_for("task-2");
        let events = collect(&p, follow_up("task-2", Some(garbage.clone())), "hi").await;
        assert_eq!(events, plain_on(&tid, "run-1", "hi"), "{garbage}");
        let calls = fake.calls();
        assert_eq!(calls.len(), 2, "{garbage}: {calls:?}");
        assert_eq!(calls[0].1["thread_id"], json!(tid), "{garbage}");
        assert_eq!(calls[1].0, format!("POST /threads/{tid}/runs/stream"));
    }
}

#[tokio::test]
async fn a_thread_busy_with_another_task_falls_back_to_the_task_thread() {
    let fake = start().await;
    let plain = provider(&fake, "plain");
    let tid = plain.thread_id_for("task-1");
    let first = collect(&plain, ctx(), "first").await;
    let context_data = last_saved(&first);

    // A second task of the context continues the thread and is still running.
    let slow = provider(&fake, "slow");
    let mut running = slow
        .run(
            follow_up("task-2", Some(context_data.clone())),
            user("slow"),
        )
        .await
        .unwrap();
    assert_eq!(
        running.next().await.unwrap().unwrap(),
        ProviderEvent::SaveData(json!({"thread_id": tid, "run_id": "run-2"}))
    );

    // A third one (the latest COMPLETED task is still the first) runs on its own thread.
    let own = plain.thread_id_for("task-3");
    let third = collect(&plain, follow_up("task-3", Some(context_data)), "third").await;
    assert_eq!(third, plain_on(&own, "run-3", "third"));
    let calls = fake.calls();
    let paths: Vec<&str> = calls[4..].iter().map(|c| c.0.as_str()).collect();
    assert_eq!(
        paths,
        [
            "POST /threads".to_owned(),
            format!("POST /threads/{tid}/runs/stream"),
            "POST /threads".to_owned(),
            format!("POST /threads/{own}/runs/stream"),
        ]
    );
    assert_eq!(calls[6].1["thread_id"], json!(own));
    drop(running);
}
