//! Push notification delivery end to end: a gateway on a real socket, the push worker
//! (`a2agw_server::PushWorker`) and a local webhook receiver (axum on `127.0.0.1`) that
//! records every request and can fail the first N with 500 or be down altogether.
//! Tests named `cNN_…` cover item NN of the conformance checklist (shared/docs/spec.md §13).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support::{TestServer, eventually, json_of, message_id, server};
use a2agw_proto::v1;
use a2agw_proto::v1::a2a_service_client::A2aServiceClient;
use a2agw_server::{PushPolicy, PushSettings, PushWorker, Shutdown};
use a2agw_task::{SqliteStore, TaskStore};
use a2agw_types::StreamResponse;
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

// ---------------------------------------------------------------------------------------
// The webhook receiver

/// One request the receiver got.
#[derive(Clone, Debug)]
struct Received {
    headers: HeaderMap,
    body: bytes::Bytes,
    /// Answered 2xx (not one of the failures asked for).
    acknowledged: bool,
}

impl Received {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

#[derive(Clone, Debug, Default)]
struct Recorder {
    requests: Arc<Mutex<Vec<Received>>>,
    fail_first: Arc<AtomicUsize>,
    /// Milliseconds each request takes to answer (0: at once).
    delay_ms: Arc<AtomicU64>,
}

/// A webhook receiver on `127.0.0.1`.
#[derive(Debug)]
struct Receiver {
    addr: SocketAddr,
    recorder: Recorder,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Receiver {
    /// A receiver on a free port that answers 500 to its first `fail_first` requests.
    async fn start(fail_first: usize) -> Self {
        Self::start_on("127.0.0.1:0".parse().unwrap(), fail_first).await
    }

    async fn start_on(addr: SocketAddr, fail_first: usize) -> Self {
        let recorder = Recorder::default();
        recorder.fail_first.store(fail_first, Ordering::SeqCst);
        let app = axum::Router::new()
            .fallback(
                |axum::extract::State(rec): axum::extract::State<Recorder>,
                 headers: HeaderMap,
                 body: bytes::Bytes| async move {
                    let delay = rec.delay_ms.load(Ordering::SeqCst);
                    if delay > 0 {
                        tokio::time::sleep(Duration::from_millis(delay)).await;
                    }
                    let fail = rec
                        .fail_first
                        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                        .is_ok();
                    rec.requests.lock().unwrap().push(Received {
                        headers,
                        body,
                        acknowledged: !fail,
                    });
                    if fail {
                        StatusCode::INTERNAL_SERVER_ERROR
                    } else {
                        StatusCode::NO_CONTENT
                    }
                },
            )
            .with_state(recorder.clone());
        let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver {
            addr,
            recorder,
            task,
        }
    }

    fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    fn requests(&self) -> Vec<Received> {
        self.recorder.requests.lock().unwrap().clone()
    }

    /// The JSON bodies it acknowledged, in arrival order.
    fn delivered(&self) -> Vec<Value> {
        self.requests()
            .iter()
            .filter(|r| r.acknowledged)
            .map(Received::json)
            .collect()
    }
}

/// A port nobody listens on (bound, then released).
async fn free_port() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap()
}

// ---------------------------------------------------------------------------------------
// Helpers

/// The claim holder of the tests' workers (one worker per test unless said otherwise).
const HOLDER: &str = "test-worker";

/// Worker settings for tests: private targets allowed (the receiver is on loopback),
/// short backoffs and polls.
fn settings() -> PushSettings {
    PushSettings {
        allow_private_targets: true,
        max_attempts: 8,
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(50),
        request_timeout: Duration::from_secs(5),
        poll_interval: Duration::from_millis(50),
        claim_ttl: Duration::from_secs(60),
        holder: Some(HOLDER.to_owned()),
    }
}

const ALLOW_PRIVATE: PushPolicy = PushPolicy {
    allow_private_targets: true,
};

fn store_of(srv: &TestServer) -> Arc<dyn TaskStore> {
    Arc::clone(srv.state.handler.engine().store())
}

/// Starts a worker on the server's store, stopped by the server's shutdown.
fn worker(srv: &TestServer, settings: PushSettings) -> tokio::task::JoinHandle<()> {
    PushWorker::spawn(store_of(srv), settings, srv.state.shutdown.clone())
}

/// One JSON-RPC 1.0 call: the response body.
async fn rpc(srv: &TestServer, method: &str, params: Value) -> Value {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    let (status, body) = json_of(
        srv.post_json("/", &body)
            .header("a2a-version", "1.0")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

/// `SendMessage` of `text` with `configuration`: the result (a task).
async fn send(srv: &TestServer, text: &str, configuration: Value) -> Value {
    let message =
        json!({"messageId": message_id(), "role": "ROLE_USER", "parts": [{"text": text}]});
    let resp = rpc(
        srv,
        "SendMessage",
        json!({"message": message, "configuration": configuration}),
    )
    .await;
    assert!(resp.get("error").is_none(), "{resp}");
    resp["result"]["task"].clone()
}

fn id_of(task: &Value) -> String {
    task["id"].as_str().unwrap().to_owned()
}

async fn state_of(srv: &TestServer, id: &str) -> String {
    let resp = rpc(srv, "GetTask", json!({"id": id})).await;
    resp["result"]["status"]["state"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

async fn wait_state(srv: &TestServer, id: &str, state: &str) {
    eventually(10, || async { state_of(srv, id).await == state }).await;
}

/// What a webhook of the task should receive: every client-visible event of its log, as
/// `StreamResponse` JSON, in order.
async fn expected(store: &dyn TaskStore, id: &str) -> Vec<Value> {
    let owner = store.owner(id).await.unwrap().unwrap();
    let context = store
        .get(owner.scope(), id)
        .await
        .unwrap()
        .unwrap()
        .task
        .context_id;
    store
        .events_after(id, 0, usize::MAX)
        .await
        .unwrap()
        .iter()
        .filter_map(|e| e.event.to_stream_response(id, &context))
        .map(|r| serde_json::to_value(r).unwrap())
        .collect()
}

/// Waits until `receiver` acknowledged exactly what the task's log holds.
async fn wait_delivered(receiver: &Receiver, store: &dyn TaskStore, id: &str) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let want = expected(store, id).await;
        let got = receiver.delivered();
        if got == want {
            return got;
        }
        assert!(
            got.len() <= want.len() && got[..] == want[..got.len()],
            "deliveries diverge from the log:\n got {got:#?}\nwant {want:#?}"
        );
        assert!(
            tokio::time::Instant::now() < deadline,
            "not all delivered within 15 s:\n got {got:#?}\nwant {want:#?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn state_in(body: &Value) -> Option<&str> {
    body["statusUpdate"]["status"]["state"]
        .as_str()
        .or_else(|| body["task"]["status"]["state"].as_str())
}

// ---------------------------------------------------------------------------------------
// Delivery

/// Item 52: each event of a configured task reaches the webhook as a POST whose body is one
/// `StreamResponse`, with `Content-Type: application/a2a+json`, the token header and
/// `Authorization: <scheme> <credentials>`; the terminal state comes last.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c52_each_event_is_posted_with_headers_and_stream_response_bodies() {
    let receiver = Receiver::start(0).await;
    let srv = server()
        .push_policy(ALLOW_PRIVATE)
        .push_delivery(settings())
        .step(Duration::from_millis(30))
        .start()
        .await;
    let task = send(&srv, "slow 3", json!({"returnImmediately": true})).await;
    let id = id_of(&task);
    let created = rpc(
        &srv,
        "CreateTaskPushNotificationConfig",
        json!({"taskId": id, "url": receiver.url(), "token": "tok-52",
               "authentication": {"scheme": "Bearer", "credentials": "s3cret"}}),
    )
    .await;
    assert!(created.get("error").is_none(), "{created}");
    wait_state(&srv, &id, "TASK_STATE_COMPLETED").await;
    let store = store_of(&srv);
    let delivered = wait_delivered(&receiver, &*store, &id).await;
    // The task (seq 1), WORKING, three progress updates, COMPLETED at least.
    assert!(delivered.len() >= 4, "{delivered:#?}");
    for r in receiver.requests() {
        assert_eq!(r.header("content-type"), Some("application/a2a+json"));
        assert_eq!(r.header("x-a2a-notification-token"), Some("tok-52"));
        assert_eq!(r.header("authorization"), Some("Bearer s3cret"));
        let parsed: StreamResponse = serde_json::from_slice(&r.body)
            .unwrap_or_else(|e| panic!("not a StreamResponse ({e}): {:?}", r.body));
        let object = r.json();
        assert_eq!(object.as_object().unwrap().len(), 1, "one member: {object}");
        match parsed {
            StreamResponse::Task(t) => assert_eq!(t.id, id),
            StreamResponse::StatusUpdate(u) => {
                assert_eq!(u.task_id, id);
                assert_eq!(u.context_id, task["contextId"].as_str().unwrap());
            }
            StreamResponse::ArtifactUpdate(u) => assert_eq!(u.task_id, id),
            StreamResponse::Message(m) => panic!("a message is not a task event: {m:?}"),
        }
    }
    assert!(delivered[0].get("task").is_some(), "{delivered:#?}");
    assert_eq!(
        state_in(delivered.last().unwrap()),
        Some("TASK_STATE_COMPLETED"),
        "terminal state last: {delivered:#?}"
    );
    // Exactly once each when nothing failed.
    assert_eq!(receiver.requests().len(), delivered.len());
}

/// Item 24: a config given with the `SendMessage` that creates the task gets the task's
/// events from the first one, although it is stored after them; no token, no
/// authentication: neither header.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c24_inline_config_with_send_message_gets_every_event() {
    let receiver = Receiver::start(0).await;
    let srv = server()
        .push_policy(ALLOW_PRIVATE)
        .push_delivery(settings())
        .start()
        .await;
    let task = send(
        &srv,
        "hello push",
        json!({"taskPushNotificationConfig": {"url": receiver.url()}}),
    )
    .await;
    let id = id_of(&task);
    assert_eq!(task["status"]["state"], "TASK_STATE_COMPLETED");
    let store = store_of(&srv);
    let delivered = wait_delivered(&receiver, &*store, &id).await;
    assert_eq!(delivered[0]["task"]["id"], id.as_str());
    assert!(
        delivered.iter().any(|b| b.get("artifactUpdate").is_some()),
        "{delivered:#?}"
    );
    assert_eq!(
        state_in(delivered.last().unwrap()),
        Some("TASK_STATE_COMPLETED")
    );
    for r in receiver.requests() {
        assert_eq!(r.header("x-a2a-notification-token"), None);
        assert_eq!(r.header("authorization"), None);
    }
}

/// A receiver that fails twice still gets every event, in order, nothing lost: the first
/// event is retried (with backoff) until it is acknowledged, then the rest follow.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_after_the_receiver_fails_twice_in_order_nothing_lost() {
    let receiver = Receiver::start(2).await;
    let srv = server()
        .push_policy(ALLOW_PRIVATE)
        .push_delivery(settings())
        .start()
        .await;
    let task = send(
        &srv,
        "retry me, chunks 3",
        json!({"taskPushNotificationConfig": {"url": receiver.url(), "token": "t"}}),
    )
    .await;
    let id = id_of(&task);
    let store = store_of(&srv);
    let delivered = wait_delivered(&receiver, &*store, &id).await;
    let requests = receiver.requests();
    assert_eq!(
        requests.len(),
        delivered.len() + 2,
        "two failures, then one each"
    );
    assert!(!requests[0].acknowledged && !requests[1].acknowledged);
    // The two failures were the first event, sent again.
    assert_eq!(requests[0].body, requests[2].body);
    assert_eq!(requests[1].body, requests[2].body);
    assert_eq!(
        state_in(delivered.last().unwrap()),
        Some("TASK_STATE_COMPLETED")
    );
    // Caught up: nothing left to deliver.
    eventually(5, || async {
        store.push_backlog(HOLDER, 10).await.unwrap().is_empty()
    })
    .await;
}

/// A receiver that never answers 2xx gets `max_attempts` tries per event, then the worker
/// moves on (bounded attempts): every event is tried, the backlog drains.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gives_up_after_max_attempts_and_moves_on() {
    let receiver = Receiver::start(usize::MAX).await;
    let srv = server()
        .push_policy(ALLOW_PRIVATE)
        .push_delivery(PushSettings {
            max_attempts: 3,
            ..settings()
        })
        .start()
        .await;
    let task = send(
        &srv,
        "doomed",
        json!({"taskPushNotificationConfig": {"url": receiver.url()}}),
    )
    .await;
    let id = id_of(&task);
    let store = store_of(&srv);
    eventually(10, || async {
        store.push_backlog(HOLDER, 10).await.unwrap().is_empty()
    })
    .await;
    let want = expected(&*store, &id).await;
    let bodies: Vec<Value> = receiver.requests().iter().map(Received::json).collect();
    let tried: Vec<Value> = want.iter().flat_map(|b| vec![b.clone(); 3]).collect();
    assert_eq!(bodies, tried, "three attempts per event, in order");
}

/// "No loss across a gateway restart": events written while the receiver is down are
/// delivered by a new worker on the reopened SQLite file, from the persisted cursor.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_loss_across_a_gateway_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gateway.db");
    let hook = free_port().await;
    let url = format!("http://{hook}/hook");
    let patient = PushSettings {
        // Keeps retrying the first event for as long as the test runs.
        max_attempts: 100_000,
        initial_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(20),
        ..settings()
    };

    // First life: the task runs to completion while nobody listens on the webhook.
    let id = {
        let store = SqliteStore::open(&path).await.unwrap();
        let store: Arc<dyn TaskStore> = Arc::new(store);
        let srv = server()
            .store(Arc::clone(&store))
            .push_policy(ALLOW_PRIVATE)
            .start()
            .await;
        let first = worker(&srv, patient.clone());
        let task = send(
            &srv,
            "before the restart",
            json!({"taskPushNotificationConfig": {"url": url, "token": "restart"}}),
        )
        .await;
        let id = id_of(&task);
        wait_state(&srv, &id, "TASK_STATE_COMPLETED").await;
        // Let the worker fail a few times.
        tokio::time::sleep(Duration::from_millis(200)).await;
        srv.state.shutdown.begin();
        tokio::time::timeout(Duration::from_secs(5), first)
            .await
            .expect("the worker stops on shutdown")
            .unwrap();
        let backlog = store.push_backlog(HOLDER, 10).await.unwrap();
        assert_eq!(backlog.len(), 1, "{backlog:?}");
        assert_eq!(backlog[0].delivered_seq, 0, "nothing was delivered");
        id
    };

    // Second life: the receiver is up, a new worker on the reopened file.
    let receiver = Receiver::start_on(hook, 0).await;
    let store: Arc<dyn TaskStore> = Arc::new(SqliteStore::open(&path).await.unwrap());
    let shutdown = Shutdown::default();
    let second = PushWorker::spawn(Arc::clone(&store), patient, shutdown.clone());
    let delivered = wait_delivered(&receiver, &*store, &id).await;
    assert_eq!(delivered[0]["task"]["id"], id.as_str());
    assert_eq!(
        state_in(delivered.last().unwrap()),
        Some("TASK_STATE_COMPLETED")
    );
    for r in receiver.requests() {
        assert_eq!(r.header("x-a2a-notification-token"), Some("restart"));
    }
    eventually(5, || async {
        store.push_backlog(HOLDER, 10).await.unwrap().is_empty()
    })
    .await;
    shutdown.begin();
    tokio::time::timeout(Duration::from_secs(5), second)
        .await
        .unwrap()
        .unwrap();
}

/// Item 53: after the config is deleted the webhook receives no further POSTs, although
/// the task goes on producing events.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c53_no_posts_after_the_config_is_deleted() {
    let receiver = Receiver::start(0).await;
    let srv = server()
        .push_policy(ALLOW_PRIVATE)
        .push_delivery(settings())
        .step(Duration::from_millis(100))
        .start()
        .await;
    let task = send(&srv, "slow 12", json!({"returnImmediately": true})).await;
    let id = id_of(&task);
    let created = rpc(
        &srv,
        "CreateTaskPushNotificationConfig",
        json!({"taskId": id, "url": receiver.url()}),
    )
    .await;
    let config_id = created["result"]["id"].as_str().unwrap().to_owned();
    eventually(10, || async { receiver.requests().len() >= 3 }).await;
    let deleted = rpc(
        &srv,
        "DeleteTaskPushNotificationConfig",
        json!({"taskId": id, "id": config_id}),
    )
    .await;
    assert!(deleted.get("error").is_none(), "{deleted}");
    // A POST already on its way may still land; nothing starts after that.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let after_delete = receiver.requests().len();
    assert_eq!(
        state_of(&srv, &id).await,
        "TASK_STATE_WORKING",
        "the task must outlive the delete for this test to mean anything"
    );
    wait_state(&srv, &id, "TASK_STATE_COMPLETED").await;
    // Several polls of the worker after the last event.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let requests = receiver.requests();
    assert_eq!(requests.len(), after_delete, "POSTs after the delete");
    assert!(
        !requests
            .iter()
            .any(|r| state_in(&r.json()) == Some("TASK_STATE_COMPLETED")),
        "the completion came after the delete"
    );
}

// ---------------------------------------------------------------------------------------
// Several instances: one deliverer per config

/// Creates task `id` (owner `alice`) with a push config to `url`, and appends `events`
/// client-visible events to it, in `chunks` appends `pause` apart (so workers already
/// running race on a growing log); the last one completes the task.
async fn seed_task(
    store: &dyn TaskStore,
    id: &str,
    url: &str,
    events: usize,
    chunks: usize,
    pause: Duration,
) {
    use a2agw_task::TaskEvent;
    use a2agw_types::{Artifact, Message, Part, Role, Task, TaskState, TaskStatus};
    let user = Message {
        task_id: id.to_owned(),
        context_id: format!("ctx-{id}"),
        ..Message::text(Role::User, format!("u-{id}"), "go")
    };
    store
        .create(
            "alice",
            &a2agw_provider::Route::agent(crate::support::AGENT),
            Task {
                id: id.to_owned(),
                context_id: format!("ctx-{id}"),
                status: TaskStatus::now(TaskState::Submitted),
                history: vec![user],
                ..Task::default()
            },
        )
        .await
        .unwrap();
    store
        .put_push_config(&a2agw_types::TaskPushNotificationConfig {
            id: "cfg".into(),
            task_id: id.to_owned(),
            url: url.to_owned(),
            ..Default::default()
        })
        .await
        .unwrap();
    // Each event is distinct (its text names it), so a duplicate cannot hide.
    let all: Vec<TaskEvent> = (0..events)
        .map(|i| match (i + 1 == events, i % 2) {
            (true, _) => TaskEvent::Status {
                status: TaskStatus {
                    message: Some(Message::text(Role::Agent, format!("a-{i}"), "done")),
                    ..TaskStatus::now(TaskState::Completed)
                },
                metadata: None,
            },
            (false, 0) => TaskEvent::Status {
                status: TaskStatus {
                    message: Some(Message::text(
                        Role::Agent,
                        format!("a-{i}"),
                        format!("step {i}"),
                    )),
                    ..TaskStatus::now(TaskState::Working)
                },
                metadata: None,
            },
            (false, _) => TaskEvent::Artifact {
                artifact: Artifact {
                    artifact_id: format!("art-{i}"),
                    parts: vec![Part::text(format!("chunk {i}"))],
                    ..Artifact::default()
                },
                append: false,
                last_chunk: true,
                metadata: None,
            },
        })
        .collect();
    for chunk in all.chunks(events.div_ceil(chunks.max(1)).max(1)) {
        store.append(id, chunk).await.unwrap();
        tokio::time::sleep(pause).await;
    }
}

/// Waits until the workers (`holders`) have no work left (every cursor at the end of its
/// log) and asserts that each receiver got each event of its task exactly once, in order:
/// exactly as many requests as the log has visible events, equal to the log.
async fn assert_exactly_once(
    store: &dyn TaskStore,
    holders: &[&str],
    tasks: &[(String, Receiver)],
) {
    for (id, receiver) in tasks {
        wait_delivered(receiver, store, id).await;
    }
    // A holder's backlog shows the configs behind that are unclaimed or its own.
    for holder in holders {
        eventually(10, || async {
            store.push_backlog(holder, 100).await.unwrap().is_empty()
        })
        .await;
    }
    // Several polls of the workers after the last delivery: no late duplicate.
    tokio::time::sleep(Duration::from_millis(300)).await;
    for (id, receiver) in tasks {
        let want = expected(store, id).await;
        let got: Vec<Value> = receiver.requests().iter().map(Received::json).collect();
        assert_eq!(got.len(), want.len(), "task {id}: POSTs vs events");
        assert_eq!(got, want, "task {id}: each event once, in order");
    }
}

/// Two instances' push workers (two holders) on one SQLite file deliver every event of
/// every task exactly once, in order, while the tasks' logs grow under them. With
/// `two_handles`, each worker has its own store on the file (own writer and connections,
/// like two processes; the second one only polls: announcements are per process).
async fn two_workers_exactly_once(two_handles: bool) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gateway.db");
    let store_a: Arc<dyn TaskStore> = Arc::new(SqliteStore::open(&path).await.unwrap());
    let store_b: Arc<dyn TaskStore> = if two_handles {
        Arc::new(SqliteStore::open(&path).await.unwrap())
    } else {
        Arc::clone(&store_a)
    };
    let shutdown = Shutdown::default();
    let worker_a = PushWorker::spawn(
        Arc::clone(&store_a),
        PushSettings {
            holder: Some("instance-a".into()),
            ..settings()
        },
        shutdown.clone(),
    );
    let worker_b = PushWorker::spawn(
        Arc::clone(&store_b),
        PushSettings {
            holder: Some("instance-b".into()),
            ..settings()
        },
        shutdown.clone(),
    );
    let mut tasks = Vec::new();
    for t in 0..3 {
        let receiver = Receiver::start(0).await;
        // Slow answers: both workers are busy at once, and their passes overlap.
        receiver.recorder.delay_ms.store(3, Ordering::SeqCst);
        tasks.push((format!("twice-{t}"), receiver));
    }
    let seeds = tasks.iter().map(|(id, receiver)| {
        let store = Arc::clone(&store_a);
        let (id, url) = (id.clone(), receiver.url());
        tokio::spawn(async move {
            seed_task(&*store, &id, &url, 40, 8, Duration::from_millis(20)).await;
        })
    });
    for seeded in futures::future::join_all(seeds).await {
        seeded.unwrap();
    }
    assert_exactly_once(&*store_a, &["instance-a", "instance-b"], &tasks).await;
    shutdown.begin();
    for worker in [worker_a, worker_b] {
        tokio::time::timeout(Duration::from_secs(5), worker)
            .await
            .expect("the worker stops on shutdown")
            .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_on_one_store_deliver_each_event_exactly_once_in_order() {
    two_workers_exactly_once(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_on_two_handles_of_one_file_deliver_each_event_exactly_once_in_order() {
    two_workers_exactly_once(true).await;
}

/// A config claimed by another instance (which then dies: its claim is never renewed) gets
/// no POST from this worker until the claim expires; then this worker delivers everything,
/// once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_config_claimed_elsewhere_is_left_alone_until_the_claim_expires() {
    let store: Arc<dyn TaskStore> = Arc::new(a2agw_task::MemoryStore::new());
    let receiver = Receiver::start(0).await;
    seed_task(&*store, "held", &receiver.url(), 6, 1, Duration::ZERO).await;
    assert_eq!(
        store
            .try_claim_push("held", "cfg", "dead-instance", Duration::from_secs(2))
            .await
            .unwrap(),
        Some(0)
    );
    let shutdown = Shutdown::default();
    let worker = PushWorker::spawn(Arc::clone(&store), settings(), shutdown.clone());
    // Several polls while the claim holds.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        receiver.requests().is_empty(),
        "POSTed under another instance's claim"
    );
    assert_exactly_once(&*store, &[HOLDER], &[("held".to_owned(), receiver)]).await;
    shutdown.begin();
    tokio::time::timeout(Duration::from_secs(5), worker)
        .await
        .unwrap()
        .unwrap();
}

/// When another instance took the claim over (ours lapsed during a long backoff), the
/// worker stops delivering that config at once — not one more POST — and delivers again
/// once the claim is free.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_stops_at_once_when_another_instance_took_its_claim_over() {
    let store: Arc<dyn TaskStore> = Arc::new(a2agw_task::MemoryStore::new());
    // Down at first: the worker retries the first event, sleeping 1 s between attempts,
    // much longer than its 200 ms claim.
    let receiver = Receiver::start(usize::MAX).await;
    seed_task(&*store, "lapsed", &receiver.url(), 5, 1, Duration::ZERO).await;
    let shutdown = Shutdown::default();
    let worker = PushWorker::spawn(
        Arc::clone(&store),
        PushSettings {
            max_attempts: 100_000,
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(1),
            request_timeout: Duration::from_millis(100),
            claim_ttl: Duration::from_millis(200),
            ..settings()
        },
        shutdown.clone(),
    );
    eventually(10, || async { !receiver.requests().is_empty() }).await;
    // Another instance takes the claim as soon as it lapses, while the worker sleeps.
    let mut tries = 0;
    while store
        .try_claim_push("lapsed", "cfg", "thief", Duration::from_secs(60))
        .await
        .unwrap()
        .is_none()
    {
        tries += 1;
        assert!(tries < 1000, "the worker's claim never lapsed");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let before = receiver.requests().len();
    // Past the worker's next attempt, and several of its polls.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        receiver.requests().len(),
        before,
        "POSTs after another instance took the claim over"
    );
    // The other instance goes away without delivering; the receiver is back.
    receiver.recorder.fail_first.store(0, Ordering::SeqCst);
    store
        .release_push_claim("lapsed", "cfg", "thief")
        .await
        .unwrap();
    let delivered = wait_delivered(&receiver, &*store, "lapsed").await;
    assert_eq!(
        state_in(delivered.last().unwrap()),
        Some("TASK_STATE_COMPLETED")
    );
    shutdown.begin();
    tokio::time::timeout(Duration::from_secs(5), worker)
        .await
        .unwrap()
        .unwrap();
}

// ---------------------------------------------------------------------------------------
// The SSRF guard

/// A name of `/etc/hosts` (other than `localhost` and `*.localhost`, refused by name)
/// whose address is loopback: a "public-looking" name that resolves to this machine.
fn loopback_alias() -> Option<String> {
    let hosts = std::fs::read_to_string("/etc/hosts").ok()?;
    let mut names = Vec::new();
    for line in hosts.lines() {
        let line = line.split('#').next().unwrap_or_default();
        let mut fields = line.split_whitespace();
        let Some(addr) = fields.next() else { continue };
        let Ok(ip) = addr.parse::<std::net::IpAddr>() else {
            continue;
        };
        if ip.is_loopback() {
            names.extend(
                fields
                    .filter(|n| {
                        let n = n.to_ascii_lowercase();
                        n != "localhost" && !n.ends_with(".localhost")
                    })
                    .map(str::to_owned),
            );
        }
    }
    // Prefer the usual aliases when present.
    ["localhost.localdomain", "ip6-localhost", "ip6-loopback"]
        .iter()
        .find(|n| names.iter().any(|m| m == *n))
        .map(|n| (*n).to_owned())
        .or_else(|| names.into_iter().next())
}

fn violated_fields(resp: &Value) -> Vec<String> {
    resp["error"]["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|d| d["@type"] == "type.googleapis.com/google.rpc.BadRequest")
        .flat_map(|d| d["fieldViolations"].as_array().cloned().unwrap_or_default())
        .filter_map(|v| v["field"].as_str().map(str::to_owned))
        .collect()
}

#[track_caller]
fn assert_refused(resp: &Value, field: &str, url: &str) {
    assert_eq!(resp["error"]["code"], -32602, "{url}: {resp}");
    assert!(
        violated_fields(resp).iter().any(|f| f == field),
        "{url}: {field} not named: {resp}"
    );
    assert!(
        resp["error"]["message"].as_str().unwrap().contains(field),
        "{url}: {resp}"
    );
}

/// Item 54: with private targets not allowed (the default), configs whose URL is, or
/// resolves to, loopback, private or link-local space are refused with -32602 naming `url`
/// (REST 400, gRPC INVALID_ARGUMENT), on create and inline with `SendMessage`; nothing is
/// stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c54_private_webhook_targets_are_refused() {
    let srv = server().start().await;
    let task = send(&srv, "hello", json!({})).await;
    let id = id_of(&task);
    let mut refused = vec![
        "http://127.0.0.1:8080/hook".to_owned(),
        "http://localhost/hook".to_owned(),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        "http://10.0.0.1/hook".to_owned(),
        "http://192.168.1.10/hook".to_owned(),
        "http://172.16.5.4/hook".to_owned(),
        "http://[::1]/hook".to_owned(),
        "http://[fd00::1]/hook".to_owned(),
        "http://[fe80::1]/hook".to_owned(),
        "http://[::ffff:127.0.0.1]/hook".to_owned(),
        "http://0.0.0.0/hook".to_owned(),
        "ftp://example.com/hook".to_owned(),
    ];
    match loopback_alias() {
        Some(name) => refused.push(format!("http://{name}:8080/hook")),
        None => eprintln!("no loopback alias in /etc/hosts: the resolving case is skipped"),
    }
    for url in &refused {
        let resp = rpc(
            &srv,
            "CreateTaskPushNotificationConfig",
            json!({"taskId": id, "url": url}),
        )
        .await;
        assert_refused(&resp, "url", url);
    }
    // Inline with SendMessage: refused before any task is created.
    let before = store_of(&srv)
        .list(
            a2agw_task::Scope::new("anonymous", crate::support::AGENT),
            &a2agw_types::ListTasksRequest::default(),
        )
        .await
        .unwrap()
        .total_size;
    let message = json!({"messageId": message_id(), "role": "ROLE_USER", "parts": [{"text": "x"}]});
    let resp = rpc(
        &srv,
        "SendMessage",
        json!({"message": message,
               "configuration": {"taskPushNotificationConfig": {"url": "http://127.0.0.1:1/h"}}}),
    )
    .await;
    assert_refused(
        &resp,
        "configuration.taskPushNotificationConfig.url",
        "inline",
    );
    let after = store_of(&srv)
        .list(
            a2agw_task::Scope::new("anonymous", crate::support::AGENT),
            &a2agw_types::ListTasksRequest::default(),
        )
        .await
        .unwrap()
        .total_size;
    assert_eq!(before, after, "no task was created");
    // Nothing stored.
    let listed = rpc(
        &srv,
        "ListTaskPushNotificationConfigs",
        json!({"taskId": id}),
    )
    .await;
    assert_eq!(
        listed["result"]["configs"].as_array().map_or(0, Vec::len),
        0
    );
    // REST: 400 with the same violation.
    let (status, body) = json_of(
        srv.post_json(
            &format!("/tasks/{id}/pushNotificationConfigs"),
            &json!({"url": "http://169.254.169.254/"}),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["status"], "INVALID_ARGUMENT", "{body}");
    assert!(body.to_string().contains("\"url\""), "{body}");
    // gRPC: INVALID_ARGUMENT.
    let channel = tonic::transport::Channel::from_shared(srv.base.clone())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let err = A2aServiceClient::new(channel)
        .create_task_push_notification_config(v1::TaskPushNotificationConfig {
            task_id: id.clone(),
            url: "http://[::1]:9/hook".into(),
            ..v1::TaskPushNotificationConfig::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::InvalidArgument, "{err:?}");
    assert!(err.message().contains("url"), "{err:?}");
    // A public target (here unresolvable offline, or public) is accepted.
    let ok = rpc(
        &srv,
        "CreateTaskPushNotificationConfig",
        json!({"taskId": id, "url": "https://example.com/hook"}),
    )
    .await;
    assert!(ok.get("error").is_none(), "{ok}");
}

/// The send-time guard: configs that reached the store without the create-time check (or
/// whose name resolves differently now: DNS rebinding) are never POSTed to when their
/// target is internal — IP literals and names resolving to loopback alike — and are given
/// up at once, not retried.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_time_guard_refuses_internal_targets_without_retrying() {
    let receiver = Receiver::start(0).await;
    // The handler lets internal targets in; the worker's guard is on.
    let srv = server()
        .push_policy(ALLOW_PRIVATE)
        .push_delivery(PushSettings {
            allow_private_targets: false,
            // Retrying would take minutes: the test shows there is none.
            max_attempts: 1000,
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(1),
            ..settings()
        })
        .start()
        .await;
    let store = store_of(&srv);
    let mut urls = vec![
        receiver.url(),
        format!("http://localhost:{}/hook", receiver.addr.port()),
    ];
    if let Some(name) = loopback_alias() {
        urls.push(format!("http://{name}:{}/hook", receiver.addr.port()));
    }
    for url in &urls {
        // Accepted at creation: the handler allows private targets here.
        let task = send(
            &srv,
            "guarded",
            json!({"taskPushNotificationConfig": {"url": url}}),
        )
        .await;
        assert_eq!(task["status"]["state"], "TASK_STATE_COMPLETED");
    }
    eventually(10, || async {
        store.push_backlog(HOLDER, 10).await.unwrap().is_empty()
    })
    .await;
    assert!(
        receiver.requests().is_empty(),
        "{} POSTs reached an internal target",
        receiver.requests().len()
    );
}
