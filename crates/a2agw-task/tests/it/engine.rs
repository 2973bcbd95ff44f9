//! The engine with the demo provider on the in-memory store: every path of a task.

use a2agw_provider::{DemoProvider, Provider};
use a2agw_task::*;
use a2agw_types::*;
use futures::StreamExt;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

pub(crate) fn engine_on(store: Arc<dyn TaskStore>, config: EngineConfig) -> Arc<Engine> {
    let demo: Arc<dyn Provider> = Arc::new(DemoProvider {
        step: Duration::from_millis(20),
    });
    Engine::new(store, HashMap::from([("demo".to_owned(), demo)]), config)
}

fn engine() -> Arc<Engine> {
    engine_on(Arc::new(MemoryStore::new()), EngineConfig::default())
}

pub(crate) fn send_req(text: &str) -> SendMessageRequest {
    SendMessageRequest {
        message: Message::text(Role::User, uuid::Uuid::new_v4().to_string(), text),
        ..SendMessageRequest::default()
    }
}

fn reply_to(task: &Task, text: &str) -> SendMessageRequest {
    let mut r = send_req(text);
    r.message.task_id.clone_from(&task.id);
    r
}

pub(crate) async fn send_blocking(e: &Arc<Engine>, owner: &str, req: SendMessageRequest) -> Task {
    match e.send(owner, "demo", req).await.unwrap() {
        SendOutcome::Task(rec) => e.wait_settled(demo(owner), &rec, None).await.unwrap(),
        SendOutcome::Message(m) => panic!("expected a task, got message {m:?}"),
    }
}

fn texts(parts: &[Part]) -> String {
    parts
        .iter()
        .map(|p| match &p.content {
            PartContent::Text(t) => t.as_str(),
            _ => "",
        })
        .collect()
}

#[tokio::test]
async fn echo_completes_with_the_artifact_assembled() {
    let e = engine();
    let t = send_blocking(&e, "alice", send_req("hello streaming world")).await;
    assert_eq!(t.status.state, TaskState::Completed);
    assert!(!t.id.is_empty() && !t.context_id.is_empty());
    assert_eq!(t.artifacts().len(), 1);
    assert_eq!(texts(&t.artifacts()[0].parts), "hello streaming world");
    assert_eq!(t.history[0].role, Role::User);
    assert_eq!(t.history[0].task_id, t.id);
    assert!(t.history.iter().all(|m| m.context_id == t.context_id));
    assert!(t.status.timestamp.is_some());
}

#[tokio::test]
async fn direct_reply_creates_no_task() {
    let e = engine();
    let mut req = send_req("reply please");
    req.message.context_id = "ctx-1".into();
    let SendOutcome::Message(m) = e.send("alice", "demo", req).await.unwrap() else {
        panic!("expected a message")
    };
    assert_eq!(m.role, Role::Agent);
    assert_eq!(m.context_id, "ctx-1");
    assert!(m.task_id.is_empty());
    assert_eq!(
        e.list_tasks(demo("alice"), &ListTasksRequest::default())
            .await
            .unwrap()
            .total_size,
        0
    );
}

#[tokio::test]
async fn input_required_then_resume() {
    let e = engine();
    let t = send_blocking(&e, "alice", send_req("I need input")).await;
    assert_eq!(t.status.state, TaskState::InputRequired);
    assert!(
        t.status
            .message
            .as_ref()
            .unwrap()
            .text_content()
            .contains("What should I call you")
    );
    // Only the owner can continue it.
    let err = e
        .send("mallory", "demo", reply_to(&t, "x"))
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::TaskNotFound);
    // A mismatched context is refused and changes nothing.
    let mut wrong = reply_to(&t, "Ada");
    wrong.message.context_id = "other".into();
    assert_eq!(
        e.send("alice", "demo", wrong).await.unwrap_err().code,
        ErrorCode::InvalidParams
    );
    let done = send_blocking(&e, "alice", reply_to(&t, "Ada")).await;
    assert_eq!(done.id, t.id);
    assert_eq!(done.context_id, t.context_id);
    assert_eq!(done.status.state, TaskState::Completed);
    assert!(texts(&done.artifacts()[0].parts).contains("Ada"));
    // A terminal task cannot be continued.
    let err = e
        .send("alice", "demo", reply_to(&t, "again"))
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::UnsupportedOperation);
    assert_eq!(
        e.get_task(
            demo("alice"),
            &GetTaskRequest {
                id: t.id.clone(),
                ..Default::default()
            }
        )
        .await
        .unwrap(),
        done
    );
}

#[tokio::test]
async fn unknown_task_id_is_not_found_and_creates_nothing() {
    let e = engine();
    let mut r = send_req("hi");
    r.message.task_id = "nope".into();
    assert_eq!(
        e.send("alice", "demo", r).await.unwrap_err().code,
        ErrorCode::TaskNotFound
    );
    assert_eq!(
        e.list_tasks(demo("alice"), &ListTasksRequest::default())
            .await
            .unwrap()
            .total_size,
        0
    );
}

#[tokio::test]
async fn failure_and_rejection_say_why() {
    let e = engine();
    let t = send_blocking(&e, "alice", send_req("please fail")).await;
    assert_eq!(t.status.state, TaskState::Failed);
    assert!(
        t.status
            .message
            .unwrap()
            .text_content()
            .contains("Failed as requested")
    );
    let t = send_blocking(&e, "alice", send_req("reject this")).await;
    assert_eq!(t.status.state, TaskState::Rejected);
}

#[tokio::test]
async fn cancel_a_slow_task() {
    let e = engine();
    let SendOutcome::Task(rec) = e.send("alice", "demo", send_req("slow 100")).await.unwrap()
    else {
        panic!()
    };
    let id = rec.task.id.clone();
    let cancel = CancelTaskRequest {
        id: id.clone(),
        ..Default::default()
    };
    assert_eq!(
        e.cancel_task(demo("bob"), &cancel).await.unwrap_err().code,
        ErrorCode::TaskNotFound
    );
    let t = e.cancel_task(demo("alice"), &cancel).await.unwrap();
    assert_eq!(t.status.state, TaskState::Canceled);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let now = e
        .get_task(
            demo("alice"),
            &GetTaskRequest {
                id: id.clone(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        now.status.state,
        TaskState::Canceled,
        "the provider did not keep writing after cancel"
    );
    assert_eq!(e.running_count(), 0);
    // Canceling again returns the task unchanged; a completed task is not cancelable.
    assert_eq!(e.cancel_task(demo("alice"), &cancel).await.unwrap(), now);
    let done = send_blocking(&e, "alice", send_req("quick")).await;
    let err = e
        .cancel_task(
            demo("alice"),
            &CancelTaskRequest {
                id: done.id,
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::TaskNotCancelable);
}

#[tokio::test]
async fn streaming_send_and_subscribe() {
    let e = engine();
    let SendOutcome::Task(rec) = e
        .send_streaming("alice", "demo", send_req("abcdef chunks 3"))
        .await
        .unwrap()
    else {
        panic!()
    };
    let events: Vec<(u64, StreamResponse)> = e
        .stream_after_send(&rec)
        .map(|r| r.unwrap())
        .collect()
        .await;
    assert!(
        matches!(events[0].1, StreamResponse::Task(_)),
        "the first event is the task"
    );
    let seqs: Vec<u64> = events.iter().map(|(s, _)| *s).collect();
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "increasing sequence numbers {seqs:?}"
    );
    let chunks = events
        .iter()
        .filter(|(_, e)| matches!(e, StreamResponse::ArtifactUpdate(_)))
        .count();
    assert_eq!(chunks, 3);
    match &events.last().unwrap().1 {
        StreamResponse::StatusUpdate(u) => {
            assert_eq!(u.status.state, TaskState::Completed);
            assert_eq!(u.task_id, rec.task.id);
            assert_eq!(u.context_id, rec.task.context_id);
        }
        other => panic!("last event {other:?}"),
    }
    // Subscribing to a finished task is refused; resuming after an event id replays the rest.
    assert_eq!(
        e.subscribe_task(demo("alice"), &rec.task.id, None)
            .await
            .err()
            .unwrap()
            .code,
        ErrorCode::UnsupportedOperation
    );
    let replay: Vec<_> = e
        .subscribe_task(demo("alice"), &rec.task.id, Some(seqs[1]))
        .await
        .unwrap()
        .map(|r| r.unwrap().0)
        .collect()
        .await;
    assert_eq!(replay, seqs[2..]);
    assert_eq!(
        e.subscribe_task(demo("bob"), &rec.task.id, None)
            .await
            .err()
            .unwrap()
            .code,
        ErrorCode::TaskNotFound
    );
}

#[tokio::test]
async fn two_subscribers_see_the_same_events() {
    let e = engine();
    let SendOutcome::Task(rec) = e.send("alice", "demo", send_req("slow 5")).await.unwrap() else {
        panic!()
    };
    let a = e
        .subscribe_task(demo("alice"), &rec.task.id, None)
        .await
        .unwrap();
    let b = e
        .subscribe_task(demo("alice"), &rec.task.id, None)
        .await
        .unwrap();
    let (a, b) = tokio::join!(
        a.map(|r| r.unwrap()).collect::<Vec<_>>(),
        b.map(|r| r.unwrap()).collect::<Vec<_>>()
    );
    assert_eq!(
        a.iter().map(|x| x.0).collect::<Vec<_>>(),
        b.iter().map(|x| x.0).collect::<Vec<_>>()
    );
    assert!(
        a.len() >= 7,
        "task + 5 progress + artifact + completed, got {}",
        a.len()
    );
}

#[tokio::test]
async fn idle_provider_times_out() {
    let config = EngineConfig {
        idle_timeout: Duration::from_millis(100),
        ..EngineConfig::default()
    };
    let e = engine_on(Arc::new(MemoryStore::new()), config);
    // The demo's slow steps are 20 ms each here; make one step longer than the idle timeout.
    let demo: Arc<dyn Provider> = Arc::new(DemoProvider {
        step: Duration::from_millis(500),
    });
    let e2 = Engine::new(
        Arc::clone(e.store()),
        HashMap::from([("demo".to_owned(), demo)]),
        e.config().clone(),
    );
    let t = send_blocking(&e2, "alice", send_req("slow 3")).await;
    assert_eq!(t.status.state, TaskState::Failed);
    assert!(
        t.status
            .message
            .unwrap()
            .text_content()
            .contains("sent nothing")
    );
}

#[tokio::test]
async fn inline_push_config_is_stored() {
    let e = engine();
    let mut req = send_req("hi");
    req.configuration = Some(SendMessageConfiguration {
        task_push_notification_config: Some(TaskPushNotificationConfig {
            url: "https://hook.example/x".into(),
            ..Default::default()
        }),
        ..Default::default()
    });
    let SendOutcome::Task(rec) = e.send("alice", "demo", req).await.unwrap() else {
        panic!()
    };
    let configs = e
        .list_push_configs(demo("alice"), &rec.task.id)
        .await
        .unwrap();
    assert_eq!(configs.len(), 1);
    assert_eq!(configs[0].task_id, rec.task.id);
    assert!(!configs[0].id.is_empty());
    assert_eq!(
        e.get_push_config(demo("alice"), &rec.task.id, "")
            .await
            .unwrap(),
        configs[0]
    );
    assert_eq!(
        e.list_push_configs(demo("bob"), &rec.task.id)
            .await
            .unwrap_err()
            .code,
        ErrorCode::TaskNotFound
    );
    e.delete_push_config(demo("alice"), &rec.task.id, &configs[0].id)
        .await
        .unwrap();
    e.delete_push_config(demo("alice"), &rec.task.id, &configs[0].id)
        .await
        .unwrap();
    assert_eq!(
        e.get_push_config(demo("alice"), &rec.task.id, &configs[0].id)
            .await
            .unwrap_err()
            .code,
        ErrorCode::TaskNotFound
    );
}

/// A task left WORKING by a dead instance: resumed when the provider can, failed otherwise.
pub(crate) async fn orphan_recovery(store: Arc<dyn TaskStore>) {
    let old = Timestamp::from_unix_millis(Timestamp::now().unix_millis() - 3_600_000).unwrap();
    for (id, data) in [
        ("slow-task", Some(serde_json::json!({"mode": "slow"}))),
        ("plain-task", None),
    ] {
        let task = Task {
            id: id.into(),
            context_id: "c".into(),
            status: TaskStatus {
                state: TaskState::Working,
                timestamp: Some(old),
                ..Default::default()
            },
            ..Default::default()
        };
        store
            .create("alice", &a2agw_provider::Route::agent("demo"), task)
            .await
            .unwrap();
        let events: Vec<TaskEvent> = data
            .map(|data| TaskEvent::ProviderData { data })
            .into_iter()
            .collect();
        if !events.is_empty() {
            store.append(id, &events).await.unwrap();
        }
        // A lease by a dead instance, already expired.
        assert!(
            store
                .try_lease(id, "dead-instance", Duration::from_millis(1))
                .await
                .unwrap()
        );
    }
    tokio::time::sleep(Duration::from_millis(20)).await;
    let e = engine_on(store, EngineConfig::default());
    assert_eq!(e.recover_orphans().await.unwrap(), 2);
    let get = |id: &str| GetTaskRequest {
        id: id.into(),
        ..Default::default()
    };
    let mut resumed = e.get_task(demo("alice"), &get("slow-task")).await.unwrap();
    for _ in 0..100 {
        if resumed.status.state.is_terminal() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        resumed = e.get_task(demo("alice"), &get("slow-task")).await.unwrap();
    }
    assert_eq!(resumed.status.state, TaskState::Completed);
    let failed = e.get_task(demo("alice"), &get("plain-task")).await.unwrap();
    assert_eq!(failed.status.state, TaskState::Failed);
    assert!(
        failed
            .status
            .message
            .unwrap()
            .text_content()
            .contains("stopped before it finished")
    );
    assert_eq!(
        e.recover_orphans().await.unwrap(),
        0,
        "nothing left to take over"
    );
}

#[tokio::test]
async fn orphans_on_memory() {
    orphan_recovery(Arc::new(MemoryStore::new())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_tasks_many_subscribers() {
    let e = engine();
    let mut handles = Vec::new();
    for i in 0..40 {
        let e = Arc::clone(&e);
        handles.push(tokio::spawn(async move {
            let SendOutcome::Task(rec) = e
                .send("alice", "demo", send_req(&format!("task {i} chunks 10")))
                .await
                .unwrap()
            else {
                panic!()
            };
            let subs: Vec<_> = (0..5)
                .map(|_| e.follow(&rec.task.id, &rec.task.context_id, 0))
                .collect();
            let all = futures::future::join_all(
                subs.into_iter()
                    .map(|s| s.map(|r| r.unwrap().0).collect::<Vec<_>>()),
            )
            .await;
            for s in &all {
                assert_eq!(s, &all[0], "subscribers disagree");
                assert!(s.windows(2).all(|w| w[0] < w[1]));
            }
            let t = e
                .get_task(
                    demo("alice"),
                    &GetTaskRequest {
                        id: rec.task.id.clone(),
                        ..Default::default()
                    },
                )
                .await
                .unwrap();
            assert_eq!(t.status.state, TaskState::Completed);
            assert_eq!(
                texts(&t.artifacts()[0].parts),
                format!("task {i} chunks 10")
            );
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
}

/// Asks for input, then keeps its stream open a while before ending it (as upstreams do
/// while their run closes); the resumed run completes.
#[derive(Debug)]
struct LingeringAsker;

#[async_trait::async_trait]
impl Provider for LingeringAsker {
    fn kind(&self) -> &'static str {
        "lingering"
    }

    async fn run(
        &self,
        ctx: a2agw_provider::TaskContext,
        _message: Message,
    ) -> a2agw_provider::Result<a2agw_provider::EventStream> {
        use a2agw_provider::ProviderEvent;
        if ctx.state == TaskState::InputRequired {
            return Ok(futures::stream::iter([Ok(ProviderEvent::Status {
                state: TaskState::Completed,
                message: None,
            })])
            .boxed());
        }
        let ask = futures::stream::iter([Ok(ProviderEvent::Status {
            state: TaskState::InputRequired,
            message: Some(a2agw_provider::agent_text("which one?")),
        })]);
        let linger = futures::stream::once(async {
            tokio::time::sleep(Duration::from_millis(300)).await;
            Ok(ProviderEvent::SaveData(serde_json::json!({"closed": true})))
        });
        Ok(ask.chain(linger).boxed())
    }

    async fn cancel(&self, _ctx: a2agw_provider::TaskContext) -> a2agw_provider::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn an_answer_sent_while_the_asking_run_still_closes_waits_for_it() {
    let provider: Arc<dyn Provider> = Arc::new(LingeringAsker);
    let e = Engine::new(
        Arc::new(MemoryStore::new()),
        HashMap::from([("demo".to_owned(), provider)]),
        EngineConfig::default(),
    );
    let t = send_blocking(&e, "alice", send_req("start")).await;
    assert_eq!(t.status.state, TaskState::InputRequired);
    // Answered at once, while the first run's stream is still open: accepted, not refused.
    let done = send_blocking(&e, "alice", reply_to(&t, "that one")).await;
    assert_eq!(done.status.state, TaskState::Completed);
}

/// Works, then panics inside its stream (a provider bug); the second kind ends its stream
/// right behind its last event, built with `unfold`, which panics if polled again.
#[derive(Debug)]
struct Buggy {
    panics: bool,
}

#[async_trait::async_trait]
impl Provider for Buggy {
    fn kind(&self) -> &'static str {
        "buggy"
    }

    async fn run(
        &self,
        _ctx: a2agw_provider::TaskContext,
        _message: Message,
    ) -> a2agw_provider::Result<a2agw_provider::EventStream> {
        use a2agw_provider::ProviderEvent;
        let panics = self.panics;
        Ok(futures::stream::unfold(0u8, move |step| async move {
            let event = match step {
                0 => ProviderEvent::Status {
                    state: TaskState::Working,
                    message: None,
                },
                1 if panics => panic!("a provider bug"),
                1 => ProviderEvent::Status {
                    state: TaskState::InputRequired,
                    message: Some(a2agw_provider::agent_text("more?")),
                },
                _ => return None,
            };
            Some((Ok(event), step + 1))
        })
        .boxed())
    }

    async fn cancel(&self, _ctx: a2agw_provider::TaskContext) -> a2agw_provider::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn a_panicking_provider_fails_its_task_and_an_ended_stream_is_not_polled_again() {
    for (panics, expected) in [(true, TaskState::Failed), (false, TaskState::InputRequired)] {
        let provider: Arc<dyn Provider> = Arc::new(Buggy { panics });
        let e = Engine::new(
            Arc::new(MemoryStore::new()),
            HashMap::from([("demo".to_owned(), provider)]),
            EngineConfig::default(),
        );
        let t = send_blocking(&e, "alice", send_req("go")).await;
        assert_eq!(t.status.state, expected, "panics: {panics}");
        tokio::time::timeout(Duration::from_secs(10), async {
            while e.running_count() > 0 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await
        .expect("the driver gave its slot back");
    }
}

/// Saves `{"conv": <task id>}` (its "upstream conversation"), records the context data it
/// was given, and completes; `ask` makes it stop at INPUT_REQUIRED instead.
#[derive(Debug, Default)]
struct Conversations {
    seen: std::sync::Mutex<Vec<Option<serde_json::Value>>>,
}

#[async_trait::async_trait]
impl Provider for Conversations {
    fn kind(&self) -> &'static str {
        "conversations"
    }

    async fn run(
        &self,
        ctx: a2agw_provider::TaskContext,
        message: Message,
    ) -> a2agw_provider::Result<a2agw_provider::EventStream> {
        use a2agw_provider::ProviderEvent;
        self.seen.lock().unwrap().push(ctx.context_data.clone());
        let end = if message.text_content() == "ask" {
            TaskState::InputRequired
        } else {
            TaskState::Completed
        };
        Ok(futures::stream::iter([
            Ok(ProviderEvent::SaveData(
                serde_json::json!({"conv": ctx.task_id}),
            )),
            Ok(ProviderEvent::Status {
                state: end,
                message: None,
            }),
        ])
        .boxed())
    }

    async fn cancel(&self, _ctx: a2agw_provider::TaskContext) -> a2agw_provider::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn a_new_task_continues_the_callers_conversation_of_its_context_and_nobody_elses() {
    let provider = Arc::new(Conversations::default());
    let as_dyn: Arc<dyn Provider> = provider.clone();
    let e = Engine::new(
        Arc::new(MemoryStore::new()),
        HashMap::from([("demo".to_owned(), as_dyn)]),
        EngineConfig::default(),
    );
    let in_context = |text: &str, context: &str| {
        let mut r = send_req(text);
        r.message.context_id = context.to_owned();
        r
    };
    let first = send_blocking(&e, "alice", in_context("one", "c1")).await;
    let second = send_blocking(&e, "alice", in_context("two", "c1")).await;
    let _bobs = send_blocking(&e, "bob", in_context("mine?", "c1")).await;
    let _other = send_blocking(&e, "alice", in_context("elsewhere", "c2")).await;
    let waiting = send_blocking(&e, "alice", in_context("ask", "c1")).await;
    assert_eq!(waiting.status.state, TaskState::InputRequired);
    let after = send_blocking(&e, "alice", in_context("three", "c1")).await;
    let _no_context = send_blocking(&e, "alice", send_req("fresh")).await;
    let conv = |t: &Task| Some(serde_json::json!({"conv": t.id}));
    assert_eq!(
        *provider.seen.lock().unwrap(),
        vec![
            None,          // the context's first task
            conv(&first),  // continues alice's conversation of c1
            None,          // bob names the same context: never alice's conversation
            None,          // another context
            conv(&second), // the latest COMPLETED task of c1
            conv(&second), // an INPUT_REQUIRED task is not a finished conversation
            None,          // no context id: a new context
        ]
    );
    assert_eq!(after.status.state, TaskState::Completed);
}

/// `owner`'s tasks at the demo agent.
fn demo(owner: &str) -> a2agw_task::Scope<'_> {
    a2agw_task::Scope::new(owner, "demo")
}

/// A provider that asks for input on a new task and, on the reply, completes it saying
/// which provider it is: which one resumed a task is then visible in the task.
#[derive(Debug)]
struct Named(&'static str);

#[async_trait::async_trait]
impl Provider for Named {
    fn kind(&self) -> &'static str {
        self.0
    }

    async fn run(
        &self,
        ctx: a2agw_provider::TaskContext,
        _message: Message,
    ) -> a2agw_provider::Result<a2agw_provider::EventStream> {
        use a2agw_provider::ProviderEvent;
        let (state, text) = if ctx.state.is_interrupted() {
            (TaskState::Completed, format!("resumed by {}", self.0))
        } else {
            (TaskState::InputRequired, format!("{} asks", self.0))
        };
        Ok(futures::stream::iter([Ok(ProviderEvent::Status {
            state,
            message: Some(a2agw_provider::agent_text(text)),
        })])
        .boxed())
    }

    async fn cancel(&self, _ctx: a2agw_provider::TaskContext) -> a2agw_provider::Result<()> {
        Ok(())
    }
}

/// Two agents on one engine: a task runs, and is resumed, on the agent it was created
/// for (its recorded route), and every operation through the other agent's scope finds
/// nothing — not even for the task's own owner.
#[tokio::test]
async fn a_task_belongs_to_its_agent() {
    let a: Arc<dyn Provider> = Arc::new(Named("a"));
    let b: Arc<dyn Provider> = Arc::new(Named("b"));
    let e = Engine::new(
        Arc::new(MemoryStore::new()),
        HashMap::from([("a".to_owned(), a), ("b".to_owned(), b)]),
        EngineConfig::default(),
    );
    let at = |agent| Scope::new("alice", agent);
    let SendOutcome::Task(rec) = e.send("alice", "a", send_req("hi")).await.unwrap() else {
        panic!("a task")
    };
    let task = e.wait_settled(at("a"), &rec, None).await.unwrap();
    assert_eq!(task.status.state, TaskState::InputRequired);
    assert_eq!(
        task.status.message.as_ref().map(Message::text_content),
        Some("a asks".to_owned())
    );
    // Through agent b, the task does not exist.
    let err = e
        .send("alice", "b", reply_to(&task, "answer"))
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::TaskNotFound);
    let get = GetTaskRequest {
        id: task.id.clone(),
        ..Default::default()
    };
    assert_eq!(
        e.get_task(at("b"), &get).await.unwrap_err().code,
        ErrorCode::TaskNotFound
    );
    let cancel = CancelTaskRequest {
        id: task.id.clone(),
        ..Default::default()
    };
    assert_eq!(
        e.cancel_task(at("b"), &cancel).await.unwrap_err().code,
        ErrorCode::TaskNotFound
    );
    assert!(e.subscribe_task(at("b"), &task.id, None).await.is_err());
    assert!(e.list_push_configs(at("b"), &task.id).await.is_err());
    let listed = e
        .list_tasks(at("b"), &ListTasksRequest::default())
        .await
        .unwrap();
    assert_eq!(listed.total_size, 0);
    // Through agent a, the reply resumes it on a's provider.
    let SendOutcome::Task(rec) = e
        .send("alice", "a", reply_to(&task, "answer"))
        .await
        .unwrap()
    else {
        panic!("a task")
    };
    let done = e.wait_settled(at("a"), &rec, None).await.unwrap();
    assert_eq!(done.status.state, TaskState::Completed);
    assert_eq!(
        done.status.message.as_ref().map(Message::text_content),
        Some("resumed by a".to_owned())
    );
    let listed = e
        .list_tasks(at("a"), &ListTasksRequest::default())
        .await
        .unwrap();
    assert_eq!(listed.total_size, 1);
}

/// Sends `ready` at once, then, after `pause`, `later`.
#[derive(Debug)]
struct Scripted {
    ready: Vec<a2agw_provider::ProviderEvent>,
    pause: Duration,
    later: Vec<a2agw_provider::ProviderEvent>,
}

#[async_trait::async_trait]
impl Provider for Scripted {
    fn kind(&self) -> &'static str {
        "scripted"
    }

    async fn run(
        &self,
        _ctx: a2agw_provider::TaskContext,
        _message: Message,
    ) -> a2agw_provider::Result<a2agw_provider::EventStream> {
        let pause = self.pause;
        let later = futures::stream::iter(self.later.clone().into_iter().map(Ok));
        let later =
            futures::stream::once(tokio::time::sleep(pause)).flat_map(move |()| later.clone());
        Ok(
            futures::stream::iter(self.ready.clone().into_iter().map(Ok))
                .chain(later)
                .boxed(),
        )
    }

    async fn cancel(&self, _ctx: a2agw_provider::TaskContext) -> a2agw_provider::Result<()> {
        Ok(())
    }
}

fn status_of(state: TaskState, text: Option<&str>) -> a2agw_provider::ProviderEvent {
    a2agw_provider::ProviderEvent::Status {
        state,
        message: text.map(a2agw_provider::agent_text),
    }
}

fn engine_with(provider: impl Provider) -> Arc<Engine> {
    let p: Arc<dyn Provider> = Arc::new(provider);
    Engine::new(
        Arc::new(MemoryStore::new()),
        HashMap::from([("demo".to_owned(), p)]),
        EngineConfig::default(),
    )
}

/// An agent that answers at once: `SendMessage` writes the task with its whole answer in
/// one store write and starts no driver; the log is the same as event by event.
#[tokio::test]
async fn an_answer_at_once_is_written_with_the_task() {
    let e = engine_with(a2agw_provider::EchoProvider);
    let SendOutcome::Task(rec) = e.send("alice", "demo", send_req("hi")).await.unwrap() else {
        panic!("expected a task")
    };
    assert_eq!(rec.task.status.state, TaskState::Completed);
    assert_eq!(texts(&rec.task.artifacts()[0].parts), "hi");
    assert_eq!(e.running_count(), 0, "no driver for a finished task");
    let log = e.store().events_after(&rec.task.id, 0, 100).await.unwrap();
    let seqs: Vec<u64> = log.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=rec.last_seq).collect::<Vec<_>>());
    assert!(matches!(log[0].event, TaskEvent::Created { .. }));
    // Nothing holds it: recovery has nothing to take over.
    assert!(e.store().orphaned(10).await.unwrap().is_empty());

    // A stream still sees every event on its own, after the SUBMITTED task.
    let SendOutcome::Task(rec) = e
        .send_streaming("alice", "demo", send_req("hi"))
        .await
        .unwrap()
    else {
        panic!("expected a task")
    };
    assert_eq!(rec.task.status.state, TaskState::Submitted);
    let events: Vec<StreamResponse> = e
        .stream_after_send(&rec)
        .map(|r| r.unwrap().1)
        .collect()
        .await;
    assert!(matches!(events[0], StreamResponse::Task(_)));
    assert!(
        events
            .iter()
            .any(|e| matches!(e, StreamResponse::ArtifactUpdate(_)))
    );
    assert!(matches!(
        events.last(),
        Some(StreamResponse::StatusUpdate(u)) if u.status.state == TaskState::Completed
    ));
}

/// What is ready goes in with the task; the driver takes the rest.
#[tokio::test]
async fn a_partial_answer_is_written_with_the_task_and_the_driver_finishes_it() {
    let e = engine_with(Scripted {
        ready: vec![status_of(TaskState::Working, Some("on it"))],
        pause: Duration::from_millis(50),
        later: vec![status_of(TaskState::Completed, Some("done"))],
    });
    let SendOutcome::Task(rec) = e.send("alice", "demo", send_req("go")).await.unwrap() else {
        panic!("expected a task")
    };
    assert_eq!(rec.task.status.state, TaskState::Working);
    assert_eq!(rec.last_seq, 2);
    let t = e.wait_settled(demo("alice"), &rec, None).await.unwrap();
    assert_eq!(t.status.state, TaskState::Completed);

    // Ready, and then the stream ends with the task still working: it fails, saying so.
    let e = engine_with(Scripted {
        ready: vec![status_of(TaskState::Working, None)],
        pause: Duration::ZERO,
        later: vec![],
    });
    let t = send_blocking(&e, "alice", send_req("go")).await;
    assert_eq!(t.status.state, TaskState::Failed);
    let why = texts(&t.status.message.unwrap().parts);
    assert!(why.contains("stopped before"), "{why}");
}

/// An illegal update among the ready ones: nothing of them is written with the task; the
/// driver ends it FAILED with the reason, as it would event by event. What follows a final
/// state is dropped, as it is event by event.
#[tokio::test]
async fn an_illegal_ready_update_fails_the_task_with_the_reason() {
    for streaming in [false, true] {
        let e = engine_with(Scripted {
            ready: vec![
                status_of(TaskState::Completed, Some("done")),
                status_of(TaskState::Working, None),
            ],
            pause: Duration::ZERO,
            later: vec![],
        });
        let req = send_req("go");
        let out = if streaming {
            e.send_streaming("alice", "demo", req).await
        } else {
            e.send("alice", "demo", req).await
        };
        let SendOutcome::Task(rec) = out.unwrap() else {
            panic!("expected a task")
        };
        let t = e.wait_settled(demo("alice"), &rec, None).await.unwrap();
        assert_eq!(
            t.status.state,
            TaskState::Completed,
            "streaming: {streaming}"
        );
    }

    let e = engine_with(Scripted {
        ready: vec![
            status_of(TaskState::InputRequired, Some("which?")),
            status_of(TaskState::Completed, None),
        ],
        pause: Duration::ZERO,
        later: vec![],
    });
    let t = send_blocking(&e, "alice", send_req("go")).await;
    assert_eq!(t.status.state, TaskState::Failed);
    let why = texts(&t.status.message.unwrap().parts);
    assert!(why.contains("invalid update"), "{why}");
}

/// Works, then fails at once: both are ready together.
#[derive(Debug)]
struct WorksThenFails;

#[async_trait::async_trait]
impl Provider for WorksThenFails {
    fn kind(&self) -> &'static str {
        "works-then-fails"
    }

    async fn run(
        &self,
        _ctx: a2agw_provider::TaskContext,
        _message: Message,
    ) -> a2agw_provider::Result<a2agw_provider::EventStream> {
        Ok(futures::stream::iter([
            Ok(status_of(TaskState::Working, None)),
            Err(a2agw_provider::ProviderError::new(
                a2agw_provider::ProviderErrorKind::Unavailable,
                "upstream down",
            )),
        ])
        .boxed())
    }

    async fn cancel(&self, _ctx: a2agw_provider::TaskContext) -> a2agw_provider::Result<()> {
        Ok(())
    }
}

/// An error ready right behind an update is not lost in the batching: the task fails
/// with it, whether the update was written with the task or by the driver.
#[tokio::test]
async fn an_error_ready_behind_an_update_fails_the_task_with_it() {
    for streaming in [false, true] {
        let e = engine_with(WorksThenFails);
        let out = if streaming {
            e.send_streaming("alice", "demo", send_req("go")).await
        } else {
            e.send("alice", "demo", send_req("go")).await
        };
        let SendOutcome::Task(rec) = out.unwrap() else {
            panic!("expected a task")
        };
        let t = e.wait_settled(demo("alice"), &rec, None).await.unwrap();
        assert_eq!(t.status.state, TaskState::Failed, "streaming: {streaming}");
        let why = texts(&t.status.message.unwrap().parts);
        assert!(
            why.contains("upstream down"),
            "streaming: {streaming}: {why}"
        );
    }
}
