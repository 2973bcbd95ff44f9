//! `Provider::recover`: another gateway instance takes over a WORKING task whose run was
//! started by an instance that died.

use super::*;

/// Starts a run, reads until its id is saved (what the engine stores), then drops the
/// stream as a dying instance would. Returns the saved data.
async fn start_and_die(p: &AzureAgentsProvider) -> Value {
    let mut stream = p
        .run(ctx(TaskState::Unspecified, None), user("long job"))
        .await
        .unwrap();
    loop {
        let ev = stream.next().await.unwrap().unwrap();
        if let ProviderEvent::SaveData(v) = ev
            && v.get("run_id").is_some()
        {
            return v;
        }
    }
}

async fn recover(
    p: &AzureAgentsProvider,
    saved: Value,
) -> Vec<Result<ProviderEvent, ProviderError>> {
    let stream = p
        .recover(ctx(TaskState::Working, Some(saved)))
        .await
        .unwrap()
        .expect("a saved run can be recovered");
    collect(stream).await
}

fn polls(fake: &FakeServer) -> usize {
    fake.requests()
        .iter()
        .filter(|r| *r == "GET /threads/thread_1/runs/run_1")
        .count()
}

#[tokio::test]
async fn a_run_still_going_is_polled_until_it_completes() {
    let fake = start().await;
    let p = provider(&fake, "asst_detach");
    let saved = start_and_die(&p).await;
    assert_eq!(saved, json!({"thread_id": "thread_1", "run_id": "run_1"}));
    let events = recover(&p, saved).await;
    assert_eq!(
        events,
        vec![
            chunk("msg_2", "Finished while you were away", false, true),
            save(json!({"thread_id": "thread_1"})),
            state(TaskState::Completed),
        ]
    );
    assert_eq!(polls(&fake), 2, "{:?}", fake.requests());
    assert_eq!(
        fake.requests().last().map(String::as_str),
        Some("GET /threads/thread_1/messages")
    );
}

#[tokio::test]
async fn a_run_that_already_finished_gives_its_answer() {
    let fake = start().await;
    let p = provider(&fake, "asst_detach_done");
    let saved = start_and_die(&p).await;
    let events = recover(&p, saved).await;
    assert_eq!(
        events,
        vec![
            chunk("msg_2", "Finished while you were away", false, true),
            save(json!({"thread_id": "thread_1"})),
            state(TaskState::Completed),
        ]
    );
    assert_eq!(polls(&fake), 1);
}

#[tokio::test]
async fn a_run_waiting_for_tool_outputs_asks_for_them_and_resumes() {
    let fake = start().await;
    let p = provider(&fake, "asst_detach_tools");
    let saved = start_and_die(&p).await;
    let events = recover(&p, saved).await;
    assert_eq!(
        events,
        vec![
            save(pending_data()),
            state_msg(TaskState::InputRequired, tools_question()),
        ]
    );
    // The reply goes to the same run, as on the live path.
    let reply = Message {
        message_id: "m-2".into(),
        role: Role::User,
        parts: vec![Part::data(json!({"call_a": "sunny", "call_b": "noon"}))],
        ..Message::default()
    };
    let events = run(
        &p,
        ctx(TaskState::InputRequired, Some(pending_data())),
        reply,
    )
    .await;
    assert_eq!(
        events.last(),
        Some(&state(TaskState::Completed)),
        "{events:?}"
    );
}

#[tokio::test]
async fn a_failed_run_fails_the_task_as_on_the_live_path() {
    let fake = start().await;
    let p = provider(&fake, "asst_detach_failed");
    let saved = start_and_die(&p).await;
    let events = recover(&p, saved).await;
    let mut msg = agent_msg(vec![Part::text(
        "The Azure agent run failed: server_error: The model crashed.",
    )]);
    msg.metadata = json!({"azureErrorCode": "server_error"})
        .as_object()
        .cloned();
    assert_eq!(
        events,
        vec![
            save(json!({"thread_id": "thread_1"})),
            state_msg(TaskState::Failed, msg),
        ]
    );
}

#[tokio::test]
async fn a_run_that_never_ends_is_cancelled_after_the_recovery_timeout() {
    let fake = start().await;
    let mut config = config(&fake, "asst_detach_stuck");
    config.recover_timeout = Duration::from_millis(300);
    let p = AzureAgentsProvider::new(config, Arc::new(FakeCredential(fake::TOKEN))).unwrap();
    let saved = start_and_die(&p).await;
    let events = recover(&p, saved).await;
    assert_eq!(
        events,
        vec![err(
            ProviderErrorKind::Timeout,
            "the Azure agent run was still `in_progress` after 0.3 s of waiting for it to \
             finish (the run was cancelled); the task was stopped. Send the request again, or \
             raise the recovery timeout if the agent's runs are this slow"
        )]
    );
    assert_eq!(
        fake.requests().last().map(String::as_str),
        Some("POST /threads/thread_1/runs/run_1/cancel")
    );
}

#[tokio::test]
async fn a_run_that_is_gone_fails_with_a_hint() {
    let fake = start().await;
    let p = provider(&fake, "plain");
    let events = recover(&p, json!({"thread_id": "thread_9", "run_id": "run_9"})).await;
    assert_eq!(
        events,
        vec![err(
            ProviderErrorKind::Other,
            "Azure AI Foundry answered HTTP 404 while reading the run of a task taken over \
             from another gateway instance: not_found: No run found with id 'run_9'.; the \
             thread or run no longer exists (runs waiting for tool outputs expire after about \
             10 minutes): send the request again as a new task"
        )]
    );
}

#[tokio::test]
async fn nothing_saved_cannot_be_recovered() {
    let fake = start().await;
    let p = provider(&fake, "plain");
    assert!(
        p.recover(ctx(TaskState::Working, None))
            .await
            .unwrap()
            .is_none()
    );
    // A thread but no run: the instance died before the run started.
    assert!(
        p.recover(ctx(
            TaskState::Working,
            Some(json!({"thread_id": "thread_1"}))
        ))
        .await
        .unwrap()
        .is_none()
    );
    assert!(fake.requests().is_empty());
}
