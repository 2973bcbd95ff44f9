//! `Provider::recover`: another gateway instance takes over a WORKING task whose run was
//! started by an instance that died.

use super::*;
use a2agw_provider::EventStream;

/// Starts a run, reads until its id is saved (what the engine stores), then drops the
/// stream as a dying instance would. Returns the saved data.
async fn start_and_die(p: &LangGraphProvider) -> Value {
    let mut stream = p.run(ctx(), user("long job")).await.unwrap();
    loop {
        let ev = stream.next().await.unwrap().unwrap();
        if let ProviderEvent::SaveData(v) = ev
            && v.get("run_id").is_some()
        {
            return v;
        }
    }
}

fn working(saved: Value) -> TaskContext {
    let mut c = ctx();
    c.state = TaskState::Working;
    c.provider_data = Some(saved);
    c
}

async fn events(stream: EventStream) -> Vec<Ev> {
    tokio::time::timeout(Duration::from_secs(10), stream.collect::<Vec<_>>())
        .await
        .expect("the stream ends")
        .into_iter()
        .map(|r| r.map(norm).map_err(|e| (e.kind, e.message)))
        .collect()
}

async fn recover(p: &LangGraphProvider, saved: Value) -> Vec<Ev> {
    let stream = p
        .recover(working(saved))
        .await
        .unwrap()
        .expect("a saved run can be recovered");
    events(stream).await
}

fn paths(fake: &FakeServer) -> Vec<String> {
    fake.calls().into_iter().skip(2).map(|(c, _)| c).collect()
}

fn question(tid: &str) -> Vec<Ev> {
    let interrupts = json!([{"id": "int-1", "value": {"question": "What is your name?"}}]);
    let mut q = agent_msg(
        "The agent needs your input: What is your name?. Reply on this task to continue.",
    );
    q.parts.push(Part::data(json!({"interrupts": interrupts})));
    vec![
        save(json!({"thread_id": tid, "run_id": "run-1", "interrupts": interrupts})),
        Ok(ProviderEvent::Status {
            state: TaskState::InputRequired,
            message: Some(q),
        }),
    ]
}

#[tokio::test]
async fn a_run_still_going_is_joined_and_its_whole_answer_reported() {
    let fake = start().await;
    let p = provider(&fake, "detach");
    let tid = p.thread_id_for("task-1");
    let saved = start_and_die(&p).await;
    assert_eq!(saved, json!({"thread_id": tid, "run_id": "run-1"}));
    assert_eq!(
        recover(&p, saved).await,
        [
            // Not the joined stream's partial tokens: the final state's answer.
            chunk("Finished while you were away", false, true),
            status(TaskState::Completed),
        ]
    );
    assert_eq!(
        paths(&fake),
        [
            format!("GET /threads/{tid}/runs/run-1"),
            format!("GET /threads/{tid}/runs/run-1/stream"),
            format!("GET /threads/{tid}/runs/run-1"),
            format!("GET /threads/{tid}/state"),
        ]
    );
}

#[tokio::test]
async fn a_joined_run_that_ends_in_an_interrupt_asks_for_input() {
    let fake = start().await;
    let p = provider(&fake, "detach-input");
    let tid = p.thread_id_for("task-1");
    let saved = start_and_die(&p).await;
    assert_eq!(recover(&p, saved).await, question(&tid));
}

#[tokio::test]
async fn a_run_that_already_finished_gives_its_answer_without_joining() {
    let fake = start().await;
    let p = provider(&fake, "detach-done");
    let tid = p.thread_id_for("task-1");
    let saved = start_and_die(&p).await;
    assert_eq!(
        recover(&p, saved).await,
        [
            chunk("Finished while you were away", false, true),
            status(TaskState::Completed),
        ]
    );
    assert!(
        !paths(&fake).contains(&format!("GET /threads/{tid}/runs/run-1/stream")),
        "{:?}",
        fake.calls()
    );
}

#[tokio::test]
async fn a_finished_run_waiting_on_an_interrupt_asks_for_input_and_resumes() {
    let fake = start().await;
    let p = provider(&fake, "detach-input-done");
    let tid = p.thread_id_for("task-1");
    let saved = start_and_die(&p).await;
    let events = recover(&p, saved).await;
    assert_eq!(events, question(&tid));
    // The saved interrupt is what the next message resumes (here on the `input` graph).
    let Ok(ProviderEvent::SaveData(pending)) = &events[0] else {
        panic!("{events:?}");
    };
    let mut c = working(pending.clone());
    c.state = TaskState::InputRequired;
    let resumed = collect(&provider(&fake, "input"), c, "Ada").await;
    assert_eq!(
        resumed[2..],
        [
            chunk("got: ", false, false),
            chunk("Ada", true, true),
            status(TaskState::Completed),
        ]
    );
}

#[tokio::test]
async fn a_failed_run_fails_the_task_as_on_the_live_path() {
    let fake = start().await;
    let p = provider(&fake, "detach-error");
    let saved = start_and_die(&p).await;
    assert_eq!(
        recover(&p, saved).await,
        [Ok(ProviderEvent::Status {
            state: TaskState::Failed,
            message: Some(agent_msg(
                "The LangGraph run ended with status `error`; see the Agent Server logs for run-1"
            )),
        })]
    );
}

#[tokio::test]
async fn without_a_join_route_the_run_is_polled() {
    let fake = start().await;
    let p = provider(&fake, "detach-nojoin");
    let tid = p.thread_id_for("task-1");
    let saved = start_and_die(&p).await;
    assert_eq!(
        recover(&p, saved).await,
        [
            chunk("Finished while you were away", false, true),
            status(TaskState::Completed),
        ]
    );
    let run = format!("GET /threads/{tid}/runs/run-1");
    assert_eq!(
        paths(&fake).iter().filter(|c| **c == run).count(),
        3,
        "{:?}",
        fake.calls()
    );
}

#[tokio::test]
async fn a_run_that_is_gone_fails_with_a_hint() {
    let fake = start().await;
    let p = provider(&fake, "plain");
    assert_eq!(
        recover(&p, json!({"thread_id": "t-x", "run_id": "run-9"})).await,
        [Err((
            ProviderErrorKind::Other,
            "LangGraph no longer knows run run-9 on thread t-x (HTTP 404); send the request \
             again as a new task"
                .into()
        ))]
    );
}

#[tokio::test]
async fn nothing_saved_cannot_be_recovered() {
    let fake = start().await;
    let p = provider(&fake, "plain");
    assert!(p.recover(ctx()).await.unwrap().is_none());
    // A thread but no run: the instance died before the run started.
    assert!(
        p.recover(working(json!({"thread_id": "t-1"})))
            .await
            .unwrap()
            .is_none()
    );
    assert!(fake.calls().is_empty());
}
