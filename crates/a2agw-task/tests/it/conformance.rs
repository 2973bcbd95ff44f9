//! The store conformance suite: one body per behaviour, run against every backend through
//! [`conformance_tests!`].
//!
//! Task ids are prefixed with the case's name so that backends whose announcements travel
//! through a shared channel (PostgreSQL NOTIFY) cannot confuse two cases.

// Test helpers outside #[test] functions may unwrap: a failure is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::{route, scope};
use a2agw_provider::Route;
use a2agw_task::*;
use a2agw_types::*;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast;

/// Generates one `#[tokio::test]` per conformance case for a backend.
/// `$make` is an async expression yielding a fresh, empty `Arc<dyn TaskStore>`.
macro_rules! conformance_tests {
    ($make:expr) => {
        conformance_tests!(@cases $make;
            create_then_get,
            get_unknown,
            duplicate_create,
            invalid_creation,
            owner_scoping,
            agent_scoping,
            append_legal,
            append_unknown_task,
            append_illegal_writes_nothing,
            append_illegal_third_of_three,
            append_empty,
            sequence_contiguous,
            snapshot_equals_fold_random,
            terminal_is_final,
            artifact_chunks,
            provider_data,
            list_filters,
            list_status_timestamp_after_inclusive,
            list_order,
            list_paging,
            list_default_page_size,
            list_history_length,
            list_include_artifacts,
            list_invalid_page_token,
            events_after_limits,
            watch_announces_appends,
            push_config_crud,
            push_config_unknown_task,
            push_cursor_starts_at_zero,
            push_cursor_monotonic_and_clamped,
            push_cursor_unknown_config,
            push_cursor_survives_replace_not_delete,
            push_backlog_order_and_limit,
            push_claim_take_renew_conflict_release,
            push_claim_expiry,
            push_claim_unknown_config,
            push_claim_kept_on_replace_dropped_on_delete,
            push_claim_concurrent_one_winner,
            push_backlog_skips_live_claims_of_others,
            lease_take_conflict_renew_release,
            lease_with_create_and_released_by_the_end,
            create_leased_with_events,
            create_leased_with_illegal_events_writes_nothing,
            lease_expiry,
            lease_unknown_task,
            orphaned,
            concurrent_appends,
            concurrent_illegal_isolated,
            agents_empty,
            agents_create_get_list,
            agents_duplicate_create,
            agents_update_with_version,
            agents_update_missing,
            agents_delete,
            agents_revision_counts_only_writes,
            agents_doc_roundtrip,
            agents_concurrent_create_one_winner,
            agents_concurrent_update_one_winner,
        );
    };
    (@cases $make:expr; $($case:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let store: std::sync::Arc<dyn a2agw_task::TaskStore> = $make.await;
                crate::conformance::$case(store).await;
            }
        )+
    };
}
pub(crate) use conformance_tests;

// ---------------------------------------------------------------------------------------
// Helpers

/// A new SUBMITTED task with one user message.
pub(crate) fn new_task(id: &str, context: &str) -> Task {
    Task {
        id: id.to_owned(),
        context_id: context.to_owned(),
        status: TaskStatus::now(TaskState::Submitted),
        history: vec![Message {
            task_id: id.to_owned(),
            context_id: context.to_owned(),
            ..Message::text(Role::User, format!("m-{id}"), "hello")
        }],
        ..Task::default()
    }
}

/// A new task in `state` whose status timestamp is `millis`.
pub(crate) fn task_at(id: &str, context: &str, state: TaskState, millis: i64) -> Task {
    let mut task = new_task(id, context);
    task.status = TaskStatus {
        state,
        message: None,
        timestamp: Some(ts(millis)),
    };
    task
}

pub(crate) fn ts(millis: i64) -> Timestamp {
    Timestamp::from_unix_millis(millis).unwrap()
}

/// A status event stamped now, without message.
pub(crate) fn status(state: TaskState) -> TaskEvent {
    TaskEvent::Status {
        status: TaskStatus::now(state),
        metadata: None,
    }
}

/// A status event with an agent message and an explicit timestamp.
pub(crate) fn status_msg(state: TaskState, millis: i64, text: &str) -> TaskEvent {
    TaskEvent::Status {
        status: TaskStatus {
            state,
            message: Some(Message::text(Role::Agent, format!("a-{text}"), text)),
            timestamp: Some(ts(millis)),
        },
        metadata: None,
    }
}

pub(crate) fn user_message(text: &str) -> TaskEvent {
    TaskEvent::UserMessage {
        message: Message::text(Role::User, format!("u-{text}"), text),
    }
}

pub(crate) fn artifact(id: &str, text: &str, append: bool, last_chunk: bool) -> TaskEvent {
    TaskEvent::Artifact {
        artifact: Artifact {
            artifact_id: id.to_owned(),
            parts: vec![Part::text(text)],
            ..Artifact::default()
        },
        append,
        last_chunk,
        metadata: None,
    }
}

pub(crate) fn provider_data_event(value: serde_json::Value) -> TaskEvent {
    TaskEvent::ProviderData { data: value }
}

/// Every event of a task.
pub(crate) async fn all_events(store: &dyn TaskStore, id: &str) -> Vec<StoredEvent> {
    store.events_after(id, 0, usize::MAX).await.unwrap()
}

/// The task's log is numbered 1..=n, its snapshot is the fold of it and `last_seq` is n.
/// Returns the snapshot.
pub(crate) async fn assert_consistent(store: &dyn TaskStore, owner: &str, id: &str) -> TaskRecord {
    let events = all_events(store, id).await;
    let seqs: Vec<u64> = events.iter().map(|e| e.seq).collect();
    let expected: Vec<u64> = (1..=events.len() as u64).collect();
    assert_eq!(seqs, expected, "task {id}: sequence numbers");
    let record = store
        .get(scope(owner), id)
        .await
        .unwrap()
        .expect("task exists");
    assert_eq!(record.last_seq, events.len() as u64, "task {id}: last_seq");
    assert_eq!(
        fold(events.iter().map(|e| &e.event)).unwrap(),
        record,
        "task {id}: snapshot != fold(events)"
    );
    record
}

fn is_transition(err: &StoreError) -> bool {
    matches!(err, StoreError::Transition { .. })
}

/// Waits for the next announcement about `task_id`, skipping other tasks.
pub(crate) async fn next_for(rx: &mut broadcast::Receiver<Appended>, task_id: &str) -> Appended {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Err(_) => panic!("no announcement for {task_id} within 10 s"),
            Ok(Ok(a)) if a.task_id == task_id => return a,
            Ok(Ok(_)) | Ok(Err(broadcast::error::RecvError::Lagged(_))) => {}
            Ok(Err(e)) => panic!("watch closed: {e}"),
        }
    }
}

/// A small deterministic generator (splitmix64) for reproducible random sequences.
#[derive(Debug)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    pub(crate) fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

fn list_request() -> ListTasksRequest {
    ListTasksRequest::default()
}

fn ids(list: &ListTasksResponse) -> Vec<&str> {
    list.tasks.iter().map(|t| t.id.as_str()).collect()
}

// ---------------------------------------------------------------------------------------
// Create and get

pub(crate) async fn create_then_get(store: Arc<dyn TaskStore>) {
    let task = new_task("t1", "c1");
    let rec = store.create("alice", &route(), task.clone()).await.unwrap();
    assert_eq!(rec.last_seq, 1);
    assert_eq!(rec.task, task);
    assert_eq!(rec.provider_data, None);
    let got = store.get(scope("alice"), "t1").await.unwrap().unwrap();
    assert_eq!(got, rec);
    let events = store.events_after("t1", 0, 100).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].seq, 1);
    assert_eq!(events[0].event, TaskEvent::created(task, &route()));
    assert_eq!(got.route(), route());
    assert_eq!(fold(events.iter().map(|e| &e.event)).unwrap(), got);
    assert_eq!(
        store.owner("t1").await.unwrap(),
        Some(a2agw_task::TaskOwner {
            owner: "alice".into(),
            agent: crate::AGENT.into()
        })
    );
}

pub(crate) async fn get_unknown(store: Arc<dyn TaskStore>) {
    assert_eq!(store.get(scope("alice"), "nope").await.unwrap(), None);
    assert_eq!(store.owner("nope").await.unwrap(), None);
    let err = store.events_after("nope", 0, 10).await.unwrap_err();
    assert!(
        matches!(err, StoreError::NotFound(ref id) if id == "nope"),
        "{err:?}"
    );
}

pub(crate) async fn duplicate_create(store: Arc<dyn TaskStore>) {
    let first = store
        .create("alice", &route(), new_task("t1", "c1"))
        .await
        .unwrap();
    let mut again = new_task("t1", "c2");
    again.status.state = TaskState::Working;
    let err = store.create("bob", &route(), again).await.unwrap_err();
    assert!(
        matches!(err, StoreError::AlreadyExists(ref id) if id == "t1"),
        "{err:?}"
    );
    // The original is untouched: same owner, same snapshot, one event.
    assert_eq!(
        store.owner("t1").await.unwrap().map(|o| o.owner).as_deref(),
        Some("alice")
    );
    assert_eq!(store.get(scope("alice"), "t1").await.unwrap(), Some(first));
    assert_eq!(store.get(scope("bob"), "t1").await.unwrap(), None);
    assert_eq!(all_events(&*store, "t1").await.len(), 1);
}

pub(crate) async fn invalid_creation(store: Arc<dyn TaskStore>) {
    let err = store
        .create(
            "alice",
            &route(),
            task_at("t1", "c1", TaskState::Completed, 1000),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Transition { ref task_id, source: TransitionError::InvalidCreation(_) }
                if task_id == "t1"
        ),
        "{err:?}"
    );
    assert_eq!(store.owner("t1").await.unwrap(), None);
    assert_eq!(store.get(scope("alice"), "t1").await.unwrap(), None);
    // The id is still free.
    store
        .create("alice", &route(), new_task("t1", "c1"))
        .await
        .unwrap();
    // A task needs an id.
    let err = store
        .create("alice", &route(), new_task("", "c1"))
        .await
        .unwrap_err();
    assert!(is_transition(&err), "{err:?}");
    assert_eq!(
        store
            .list(scope("alice"), &list_request())
            .await
            .unwrap()
            .total_size,
        1
    );
}

/// One owner's tasks at two agents: each read names the agent, and a task of the other
/// agent is missing from it (get and list, with and without filters); the route is
/// recorded by `create` and reported by `owner`.
pub(crate) async fn agent_scoping(store: Arc<dyn TaskStore>) {
    let other = Route {
        agent: "other".into(),
        upstream: "u2".into(),
    };
    store
        .create("alice", &route(), new_task("t1", "c1"))
        .await
        .unwrap();
    let rec = store
        .create("alice", &other, new_task("t2", "c1"))
        .await
        .unwrap();
    assert_eq!(rec.route(), other);
    let at_other = Scope::new("alice", "other");
    assert_eq!(store.get(at_other, "t1").await.unwrap(), None);
    assert_eq!(store.get(scope("alice"), "t2").await.unwrap(), None);
    assert_eq!(store.get(at_other, "t2").await.unwrap(), Some(rec));
    assert_eq!(
        store.get(Scope::new("alice", ""), "t1").await.unwrap(),
        None
    );
    assert_eq!(
        store.owner("t2").await.unwrap(),
        Some(TaskOwner {
            owner: "alice".into(),
            agent: "other".into()
        })
    );
    for request in [
        list_request(),
        ListTasksRequest {
            context_id: "c1".into(),
            ..list_request()
        },
    ] {
        let mine = store.list(scope("alice"), &request).await.unwrap();
        assert_eq!(mine.total_size, 1);
        assert_eq!(mine.tasks[0].id, "t1");
        let theirs = store.list(at_other, &request).await.unwrap();
        assert_eq!(theirs.total_size, 1);
        assert_eq!(theirs.tasks[0].id, "t2");
    }
    // The route stays: an `Assigned` cannot move the task.
    let moved = TaskEvent::Assigned {
        agent: crate::AGENT.into(),
        upstream: String::new(),
    };
    assert!(store.append("t2", &[moved]).await.is_err());
    assert_eq!(store.owner("t2").await.unwrap().unwrap().agent, "other");
}

pub(crate) async fn owner_scoping(store: Arc<dyn TaskStore>) {
    store
        .create("alice", &route(), new_task("t1", "c1"))
        .await
        .unwrap();
    store
        .create("bob", &route(), new_task("t2", "c1"))
        .await
        .unwrap();
    store
        .append("t1", &[status(TaskState::Working)])
        .await
        .unwrap();
    assert_eq!(store.get(scope("bob"), "t1").await.unwrap(), None);
    assert_eq!(store.get(scope("alice"), "t2").await.unwrap(), None);
    assert_eq!(store.get(scope(""), "t1").await.unwrap(), None);
    assert_eq!(
        store
            .get(scope("alice"), "t1")
            .await
            .unwrap()
            .unwrap()
            .last_seq,
        2
    );
    assert_eq!(
        store.owner("t1").await.unwrap().map(|o| o.owner).as_deref(),
        Some("alice")
    );
    assert_eq!(
        store.owner("t2").await.unwrap().map(|o| o.owner).as_deref(),
        Some("bob")
    );
    let bob = store.list(scope("bob"), &list_request()).await.unwrap();
    assert_eq!(ids(&bob), ["t2"]);
    assert_eq!(bob.total_size, 1);
    let alice = store.list(scope("alice"), &list_request()).await.unwrap();
    assert_eq!(ids(&alice), ["t1"]);
    assert_eq!(alice.total_size, 1);
    let carol = store.list(scope("carol"), &list_request()).await.unwrap();
    assert!(carol.tasks.is_empty());
    assert_eq!(carol.total_size, 0);
    assert_eq!(carol.next_page_token, "");
}

// ---------------------------------------------------------------------------------------
// Append

pub(crate) async fn append_legal(store: Arc<dyn TaskStore>) {
    store
        .create("alice", &route(), new_task("t1", "c1"))
        .await
        .unwrap();
    let events = vec![
        status_msg(TaskState::Working, 5000, "on it"),
        artifact("a1", "result", false, true),
    ];
    let rec = store.append("t1", &events).await.unwrap();
    assert_eq!(rec.last_seq, 3);
    assert_eq!(rec.task.status.state, TaskState::Working);
    assert_eq!(rec.task.status.timestamp, Some(ts(5000)));
    assert_eq!(rec.task.history.len(), 2);
    assert_eq!(rec.task.history[1].text_content(), "on it");
    assert_eq!(rec.task.artifacts().len(), 1);
    assert_eq!(
        store.get(scope("alice"), "t1").await.unwrap(),
        Some(rec.clone())
    );
    let stored = all_events(&*store, "t1").await;
    assert_eq!(stored.len(), 3);
    assert_eq!(stored[1].event, events[0]);
    assert_eq!(stored[2].event, events[1]);
    let rec2 = store
        .append("t1", &[status(TaskState::Completed)])
        .await
        .unwrap();
    assert_eq!(rec2.last_seq, 4);
    assert_eq!(rec2.task.status.state, TaskState::Completed);
    assert_eq!(assert_consistent(&*store, "alice", "t1").await, rec2);
}

pub(crate) async fn append_unknown_task(store: Arc<dyn TaskStore>) {
    let err = store
        .append("nope", &[status(TaskState::Working)])
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::NotFound(ref id) if id == "nope"),
        "{err:?}"
    );
    assert_eq!(store.owner("nope").await.unwrap(), None);
}

pub(crate) async fn append_illegal_writes_nothing(store: Arc<dyn TaskStore>) {
    store
        .create("alice", &route(), new_task("t1", "c1"))
        .await
        .unwrap();
    let before = store
        .append("t1", &[status(TaskState::InputRequired)])
        .await
        .unwrap();
    let events_before = all_events(&*store, "t1").await;
    let illegal: Vec<Vec<TaskEvent>> = vec![
        // INPUT_REQUIRED -> COMPLETED is not in the table.
        vec![status(TaskState::Completed)],
        // INPUT_REQUIRED -> SUBMITTED neither.
        vec![status(TaskState::Submitted)],
        // A second creation.
        vec![TaskEvent::created(new_task("t1", "c1"), &route())],
        // Appending to an artifact that does not exist.
        vec![artifact("missing", "x", true, false)],
        // Unspecified is never a legal target.
        vec![status(TaskState::Unspecified)],
    ];
    for events in &illegal {
        let err = store.append("t1", events).await.unwrap_err();
        assert!(
            matches!(err, StoreError::Transition { ref task_id, .. } if task_id == "t1"),
            "{events:?}: {err:?}"
        );
        assert_eq!(
            store.get(scope("alice"), "t1").await.unwrap(),
            Some(before.clone())
        );
        assert_eq!(all_events(&*store, "t1").await, events_before);
    }
    // The specific errors.
    let err = store
        .append("t1", &[status(TaskState::Completed)])
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Transition {
                source: TransitionError::Illegal {
                    from: TaskState::InputRequired,
                    to: TaskState::Completed
                },
                ..
            }
        ),
        "{err:?}"
    );
    let err = store
        .append("t1", &[artifact("missing", "x", true, false)])
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Transition { source: TransitionError::UnknownArtifact(ref a), .. } if a == "missing"
        ),
        "{err:?}"
    );
    // Still usable afterwards, numbering continues without a gap.
    let rec = store
        .append("t1", &[status(TaskState::Working)])
        .await
        .unwrap();
    assert_eq!(rec.last_seq, before.last_seq + 1);
    assert_consistent(&*store, "alice", "t1").await;
}

pub(crate) async fn append_illegal_third_of_three(store: Arc<dyn TaskStore>) {
    store
        .create("alice", &route(), new_task("t1", "c1"))
        .await
        .unwrap();
    let before = store.get(scope("alice"), "t1").await.unwrap().unwrap();
    let mut rx = store.watch();
    // WORKING, COMPLETED are fine; the third (WORKING after COMPLETED) is not.
    let batch = [
        status(TaskState::Working),
        status(TaskState::Completed),
        status(TaskState::Working),
    ];
    let err = store.append("t1", &batch).await.unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Transition {
                source: TransitionError::Terminal {
                    state: TaskState::Completed,
                    ..
                },
                ..
            }
        ),
        "{err:?}"
    );
    let after = store.get(scope("alice"), "t1").await.unwrap().unwrap();
    assert_eq!(after, before);
    assert_eq!(after.last_seq, 1);
    assert_eq!(after.task.status.state, TaskState::Submitted);
    assert_eq!(all_events(&*store, "t1").await.len(), 1);
    // Same with an artifact batch whose third event is illegal.
    let batch = [
        artifact("a1", "x", false, false),
        artifact("a1", "y", true, false),
        artifact("a2", "z", true, true),
    ];
    assert!(is_transition(
        &store.append("t1", &batch).await.unwrap_err()
    ));
    assert_eq!(
        store.get(scope("alice"), "t1").await.unwrap().unwrap(),
        before
    );
    assert_eq!(all_events(&*store, "t1").await.len(), 1);
    // Nothing was announced: the next announcement is for the next legal append (seq 2).
    store
        .append("t1", &[status(TaskState::Working)])
        .await
        .unwrap();
    assert_eq!(
        next_for(&mut rx, "t1").await,
        Appended {
            task_id: "t1".into(),
            last_seq: 2
        }
    );
}

pub(crate) async fn append_empty(store: Arc<dyn TaskStore>) {
    store
        .create("alice", &route(), new_task("t1", "c1"))
        .await
        .unwrap();
    let rec = store
        .append("t1", &[status(TaskState::Working)])
        .await
        .unwrap();
    let same = store.append("t1", &[]).await.unwrap();
    assert_eq!(same, rec);
    assert_eq!(all_events(&*store, "t1").await.len(), 2);
    let err = store.append("nope", &[]).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
}

pub(crate) async fn sequence_contiguous(store: Arc<dyn TaskStore>) {
    store
        .create("alice", &route(), new_task("t1", "c1"))
        .await
        .unwrap();
    store
        .create("alice", &route(), new_task("t2", "c1"))
        .await
        .unwrap();
    let mut expected = 1;
    for batch in 1..=6u64 {
        let events: Vec<TaskEvent> = (0..batch)
            .map(|i| user_message(&format!("{batch}-{i}")))
            .collect();
        let rec = store.append("t1", &events).await.unwrap();
        expected += batch;
        assert_eq!(rec.last_seq, expected);
        // Interleave another task: its numbering is its own.
        let other = store.append("t2", &[user_message("x")]).await.unwrap();
        assert_eq!(other.last_seq, batch + 1);
    }
    let events = all_events(&*store, "t1").await;
    assert_eq!(
        events.iter().map(|e| e.seq).collect::<Vec<_>>(),
        (1..=22).collect::<Vec<_>>()
    );
    // The messages are in append order.
    let texts: Vec<String> = events[1..]
        .iter()
        .map(|e| match &e.event {
            TaskEvent::UserMessage { message } => message.text_content(),
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    let want: Vec<String> = (1..=6u64)
        .flat_map(|b| (0..b).map(move |i| format!("{b}-{i}")))
        .collect();
    assert_eq!(texts, want);
    assert_consistent(&*store, "alice", "t1").await;
    assert_consistent(&*store, "alice", "t2").await;
}

/// A random event; about half are legal in a WORKING task.
fn random_event(rng: &mut Rng, task_id: &str, n: u64) -> TaskEvent {
    const STATES: [TaskState; 9] = [
        TaskState::Unspecified,
        TaskState::Submitted,
        TaskState::Working,
        TaskState::Completed,
        TaskState::Failed,
        TaskState::Canceled,
        TaskState::InputRequired,
        TaskState::Rejected,
        TaskState::AuthRequired,
    ];
    let millis = 1_000_000 + i64::try_from(n).unwrap();
    match rng.below(20) {
        0..=5 => TaskEvent::Status {
            status: TaskStatus {
                state: if rng.chance(50) {
                    TaskState::Working
                } else {
                    STATES[rng.below(9) as usize]
                },
                message: rng
                    .chance(50)
                    .then(|| Message::text(Role::Agent, format!("a{n}"), format!("agent {n}"))),
                timestamp: Some(ts(millis)),
            },
            metadata: rng.chance(20).then(|| {
                let mut m = Metadata::new();
                m.insert("n".into(), serde_json::json!(n));
                m
            }),
        },
        6..=8 => user_message(&format!("user {n}")),
        9..=16 => artifact(
            ["a", "b", "c"][rng.below(3) as usize],
            &format!("chunk {n}"),
            rng.chance(60),
            rng.chance(30),
        ),
        17..=18 => provider_data_event(serde_json::json!({ "n": n, "session": format!("s{n}") })),
        _ => TaskEvent::created(new_task(task_id, "c"), &route()),
    }
}

pub(crate) async fn snapshot_equals_fold_random(store: Arc<dyn TaskStore>) {
    let mut rng = Rng::new(0x5EED_A2A6);
    // Live task slots; a slot whose task ended gets a new task.
    let mut slots: Vec<String> = Vec::new();
    let mut model: HashMap<String, (TaskRecord, Vec<TaskEvent>)> = HashMap::new();
    let mut created = 0;
    let (mut accepted, mut refused) = (0, 0);
    for step in 0..400u64 {
        if slots.len() < 5 || rng.chance(3) {
            let id = format!("rnd-{created}");
            created += 1;
            let mut task = new_task(&id, &format!("ctx-{}", created % 3));
            if rng.chance(50) {
                task.status.state = TaskState::Working;
            }
            let rec = store.create("alice", &route(), task.clone()).await.unwrap();
            let log = vec![TaskEvent::created(task, &route())];
            assert_eq!(rec, fold(&log).unwrap());
            model.insert(id.clone(), (rec, log));
            slots.push(id);
        }
        let slot = rng.below(slots.len() as u64) as usize;
        let id = slots[slot].clone();
        let batch: Vec<TaskEvent> = (0..1 + rng.below(3))
            .map(|i| random_event(&mut rng, &id, step * 4 + i))
            .collect();
        let (current, log) = model.get_mut(&id).unwrap();
        let expected = batch.iter().try_fold(current.clone(), |r, e| apply(&r, e));
        let got = store.append(&id, &batch).await;
        match (expected, got) {
            (Ok(want), Ok(rec)) => {
                assert_eq!(rec, want, "step {step}: {batch:?}");
                *current = want;
                log.extend(batch);
                accepted += 1;
            }
            (Err(source), Err(err)) => {
                assert!(
                    matches!(&err, StoreError::Transition { source: s, .. } if *s == source),
                    "step {step}: expected {source:?}, got {err:?}"
                );
                refused += 1;
            }
            (want, got) => panic!("step {step}: {batch:?}: expected {want:?}, got {got:?}"),
        }
        assert_eq!(
            store.get(scope("alice"), &id).await.unwrap().as_ref(),
            Some(&*current)
        );
        if current.task.status.state.is_terminal() {
            slots.swap_remove(slot);
        }
    }
    assert!(
        accepted > 50 && refused > 50,
        "{accepted} accepted, {refused} refused"
    );
    for (id, (record, log)) in &model {
        let stored = all_events(&*store, id).await;
        assert_eq!(
            stored.iter().map(|e| &e.event).collect::<Vec<_>>(),
            log.iter().collect::<Vec<_>>(),
            "task {id}: log"
        );
        assert_eq!(&assert_consistent(&*store, "alice", id).await, record);
    }
    let list = store
        .list(
            scope("alice"),
            &ListTasksRequest {
                page_size: Some(100),
                ..list_request()
            },
        )
        .await
        .unwrap();
    assert_eq!(list.total_size as usize, model.len());
}

pub(crate) async fn terminal_is_final(store: Arc<dyn TaskStore>) {
    for (i, terminal) in [
        TaskState::Completed,
        TaskState::Failed,
        TaskState::Canceled,
        TaskState::Rejected,
    ]
    .into_iter()
    .enumerate()
    {
        let id = format!("t{i}");
        store
            .create("alice", &route(), new_task(&id, "c1"))
            .await
            .unwrap();
        store
            .append(&id, &[artifact("a1", "x", false, false)])
            .await
            .unwrap();
        let done = store.append(&id, &[status(terminal)]).await.unwrap();
        assert_eq!(done.task.status.state, terminal);
        for event in [
            status(TaskState::Working),
            status(terminal),
            status(TaskState::Completed),
            user_message("more"),
            artifact("a1", "y", true, true),
            artifact("a2", "y", false, true),
            provider_data_event(serde_json::json!(1)),
        ] {
            let err = store
                .append(&id, std::slice::from_ref(&event))
                .await
                .unwrap_err();
            assert!(
                matches!(
                    err,
                    StoreError::Transition { source: TransitionError::Terminal { state, .. }, .. }
                        if state == terminal
                ),
                "{terminal} + {event:?}: {err:?}"
            );
        }
        assert_eq!(
            store.get(scope("alice"), &id).await.unwrap(),
            Some(done.clone())
        );
        assert_eq!(all_events(&*store, &id).await.len(), 3);
    }
}

pub(crate) async fn artifact_chunks(store: Arc<dyn TaskStore>) {
    store
        .create("alice", &route(), new_task("t1", "c1"))
        .await
        .unwrap();
    store
        .append("t1", &[status(TaskState::Working)])
        .await
        .unwrap();
    store
        .append("t1", &[artifact("doc", "Hel", false, false)])
        .await
        .unwrap();
    store
        .append("t1", &[artifact("other", "O", false, true)])
        .await
        .unwrap();
    store
        .append(
            "t1",
            &[
                artifact("doc", "lo, ", true, false),
                artifact("doc", "world", true, true),
            ],
        )
        .await
        .unwrap();
    let rec = assert_consistent(&*store, "alice", "t1").await;
    let artifacts = rec.task.artifacts();
    assert_eq!(artifacts.len(), 2);
    assert_eq!(artifacts[0].artifact_id, "doc");
    assert_eq!(
        artifacts[0].parts,
        vec![Part::text("Hel"), Part::text("lo, "), Part::text("world")]
    );
    assert_eq!(artifacts[1].artifact_id, "other");
    assert_eq!(artifacts[1].parts, vec![Part::text("O")]);
    // append: false replaces the artifact with the same id, in place.
    let rec = store
        .append("t1", &[artifact("doc", "new", false, true)])
        .await
        .unwrap();
    let artifacts = rec.task.artifacts();
    assert_eq!(artifacts.len(), 2);
    assert_eq!(artifacts[0].parts, vec![Part::text("new")]);
    // The chunk events are stored as sent, with their flags.
    let events = all_events(&*store, "t1").await;
    assert!(matches!(
        &events[4].event,
        TaskEvent::Artifact {
            append: true,
            last_chunk: false,
            ..
        }
    ));
    assert!(matches!(
        &events[5].event,
        TaskEvent::Artifact {
            append: true,
            last_chunk: true,
            ..
        }
    ));
    assert_eq!(
        store.get(scope("alice"), "t1").await.unwrap(),
        Some(rec),
        "snapshot after replacement"
    );
}

pub(crate) async fn provider_data(store: Arc<dyn TaskStore>) {
    store
        .create("alice", &route(), new_task("t1", "c1"))
        .await
        .unwrap();
    let first = serde_json::json!({ "session": "s-1", "nested": { "list": [1, 2.5, "x", null] } });
    let rec = store
        .append("t1", &[provider_data_event(first.clone())])
        .await
        .unwrap();
    assert_eq!(rec.provider_data, Some(first));
    assert_eq!(rec.task.history.len(), 1, "provider data is not history");
    let second = serde_json::json!({ "session": "s-2" });
    let rec = store
        .append(
            "t1",
            &[
                status(TaskState::Working),
                provider_data_event(second.clone()),
            ],
        )
        .await
        .unwrap();
    assert_eq!(rec.provider_data, Some(second.clone()));
    let got = assert_consistent(&*store, "alice", "t1").await;
    assert_eq!(got.provider_data, Some(second));
    // Not visible to other owners.
    assert_eq!(store.get(scope("bob"), "t1").await.unwrap(), None);
}

// ---------------------------------------------------------------------------------------
// List

pub(crate) async fn list_filters(store: Arc<dyn TaskStore>) {
    let s = TaskState::Submitted;
    let w = TaskState::Working;
    for (id, ctx, state, ms) in [
        ("f1", "ctx-a", s, 1000),
        ("f2", "ctx-a", w, 2000),
        ("f3", "ctx-b", w, 3000),
        ("f4", "ctx-b", s, 4000),
        ("f5", "ctx-a", w, 5000),
    ] {
        store
            .create("alice", &route(), task_at(id, ctx, state, ms))
            .await
            .unwrap();
    }
    store
        .create("bob", &route(), task_at("f6", "ctx-a", w, 6000))
        .await
        .unwrap();
    // f4 moves to INPUT_REQUIRED at 7000.
    store
        .append("f4", &[status_msg(TaskState::InputRequired, 7000, "?")])
        .await
        .unwrap();

    let list = |req: ListTasksRequest| {
        let store = store.clone();
        async move { store.list(scope("alice"), &req).await.unwrap() }
    };
    let all = list(list_request()).await;
    assert_eq!(ids(&all), ["f4", "f5", "f3", "f2", "f1"]);
    assert_eq!(all.total_size, 5);
    assert_eq!(all.page_size, DEFAULT_PAGE_SIZE);
    assert_eq!(all.next_page_token, "");

    let ctx_a = list(ListTasksRequest {
        context_id: "ctx-a".into(),
        ..list_request()
    })
    .await;
    assert_eq!(ids(&ctx_a), ["f5", "f2", "f1"]);
    assert_eq!(ctx_a.total_size, 3);

    let working = list(ListTasksRequest {
        status: TaskState::Working,
        ..list_request()
    })
    .await;
    assert_eq!(ids(&working), ["f5", "f3", "f2"]);
    assert_eq!(working.total_size, 3);

    let input = list(ListTasksRequest {
        status: TaskState::InputRequired,
        ..list_request()
    })
    .await;
    assert_eq!(ids(&input), ["f4"]);
    assert_eq!(input.tasks[0].status.state, TaskState::InputRequired);

    let submitted = list(ListTasksRequest {
        status: TaskState::Submitted,
        ..list_request()
    })
    .await;
    assert_eq!(ids(&submitted), ["f1"]);

    let both = list(ListTasksRequest {
        context_id: "ctx-b".into(),
        status: TaskState::Working,
        ..list_request()
    })
    .await;
    assert_eq!(ids(&both), ["f3"]);
    assert_eq!(both.total_size, 1);

    let after = list(ListTasksRequest {
        status_timestamp_after: Some(ts(3500)),
        ..list_request()
    })
    .await;
    assert_eq!(ids(&after), ["f4", "f5"]);
    assert_eq!(after.total_size, 2);

    let none = list(ListTasksRequest {
        context_id: "ctx-z".into(),
        ..list_request()
    })
    .await;
    assert!(none.tasks.is_empty());
    assert_eq!(none.total_size, 0);
    assert_eq!(none.next_page_token, "");
}

pub(crate) async fn list_status_timestamp_after_inclusive(store: Arc<dyn TaskStore>) {
    for (id, ms) in [("i1", 1999), ("i2", 2000), ("i3", 2001)] {
        store
            .create(
                "alice",
                &route(),
                task_at(id, "c", TaskState::Submitted, ms),
            )
            .await
            .unwrap();
    }
    let req = |ms| ListTasksRequest {
        status_timestamp_after: Some(ts(ms)),
        ..list_request()
    };
    let at = store.list(scope("alice"), &req(2000)).await.unwrap();
    assert_eq!(ids(&at), ["i3", "i2"], "the boundary is included");
    assert_eq!(at.total_size, 2);
    assert_eq!(
        ids(&store.list(scope("alice"), &req(2001)).await.unwrap()),
        ["i3"]
    );
    assert_eq!(
        store
            .list(scope("alice"), &req(2002))
            .await
            .unwrap()
            .total_size,
        0
    );
    assert_eq!(
        store
            .list(scope("alice"), &req(0))
            .await
            .unwrap()
            .total_size,
        3
    );
    // The filter follows the status timestamp of the snapshot, not the creation time.
    store
        .append("i1", &[status_msg(TaskState::Working, 9000, "later")])
        .await
        .unwrap();
    assert_eq!(
        ids(&store.list(scope("alice"), &req(5000)).await.unwrap()),
        ["i1"]
    );
}

pub(crate) async fn list_order(store: Arc<dyn TaskStore>) {
    for (id, ms) in [
        ("o-b", 3000),
        ("o-a", 3000),
        ("o-c", 1000),
        ("o-d", 2000),
        ("o-e", 3000),
    ] {
        store
            .create(
                "alice",
                &route(),
                task_at(id, "c", TaskState::Submitted, ms),
            )
            .await
            .unwrap();
    }
    // Most recent status first; ties by id, descending.
    let list = store.list(scope("alice"), &list_request()).await.unwrap();
    assert_eq!(ids(&list), ["o-e", "o-b", "o-a", "o-d", "o-c"]);
    let millis: Vec<i64> = list
        .tasks
        .iter()
        .map(a2agw_task::store::status_millis)
        .collect();
    assert!(millis.windows(2).all(|w| w[0] >= w[1]), "{millis:?}");
    // A status change moves a task to the front.
    store
        .append("o-c", &[status_msg(TaskState::Working, 4000, "go")])
        .await
        .unwrap();
    let list = store.list(scope("alice"), &list_request()).await.unwrap();
    assert_eq!(ids(&list), ["o-c", "o-e", "o-b", "o-a", "o-d"]);
    // Non-status events do not.
    store
        .append(
            "o-d",
            &[user_message("hi"), artifact("a", "x", false, true)],
        )
        .await
        .unwrap();
    let list = store.list(scope("alice"), &list_request()).await.unwrap();
    assert_eq!(ids(&list), ["o-c", "o-e", "o-b", "o-a", "o-d"]);
}

pub(crate) async fn list_paging(store: Arc<dyn TaskStore>) {
    let tasks = [
        ("p0", 3000),
        ("p1", 1000),
        ("p2", 2000),
        ("p3", 2000),
        ("p4", 2000),
        ("p5", 5000),
        ("p6", 4000),
    ];
    for (id, ms) in tasks {
        store
            .create("alice", &route(), task_at(id, "c", TaskState::Working, ms))
            .await
            .unwrap();
    }
    // Another owner's tasks, interleaved in time, never show up.
    for (id, ms) in [("q0", 2000), ("q1", 4500)] {
        store
            .create("bob", &route(), task_at(id, "c", TaskState::Working, ms))
            .await
            .unwrap();
    }
    let expected = ["p5", "p6", "p0", "p4", "p3", "p2", "p1"];
    for size in 1..=3usize {
        let mut seen: Vec<String> = Vec::new();
        let mut token = String::new();
        let mut pages = 0;
        loop {
            let page = store
                .list(
                    scope("alice"),
                    &ListTasksRequest {
                        page_size: Some(size as i32),
                        page_token: token.clone(),
                        ..list_request()
                    },
                )
                .await
                .unwrap();
            pages += 1;
            assert_eq!(page.total_size, 7, "size {size}, page {pages}");
            assert_eq!(page.page_size, size as i32);
            let remaining = expected.len() - seen.len();
            assert_eq!(
                page.tasks.len(),
                remaining.min(size),
                "size {size}, page {pages}"
            );
            seen.extend(page.tasks.iter().map(|t| t.id.clone()));
            if seen.len() == expected.len() {
                assert_eq!(
                    page.next_page_token, "",
                    "last page has no token (size {size})"
                );
                break;
            }
            assert_ne!(page.next_page_token, "", "size {size}, page {pages}");
            token = page.next_page_token;
            assert!(pages <= 7, "paging does not end");
        }
        assert_eq!(seen, expected, "size {size}");
        assert_eq!(pages, expected.len().div_ceil(size));
        let unique: BTreeSet<&String> = seen.iter().collect();
        assert_eq!(unique.len(), expected.len());
    }
    // Paging with a filter: the token is valid for the filtered list.
    let first = store
        .list(
            scope("alice"),
            &ListTasksRequest {
                page_size: Some(2),
                status_timestamp_after: Some(ts(2000)),
                ..list_request()
            },
        )
        .await
        .unwrap();
    assert_eq!(ids(&first), ["p5", "p6"]);
    assert_eq!(first.total_size, 6);
    let second = store
        .list(
            scope("alice"),
            &ListTasksRequest {
                page_size: Some(10),
                status_timestamp_after: Some(ts(2000)),
                page_token: first.next_page_token.clone(),
                ..list_request()
            },
        )
        .await
        .unwrap();
    assert_eq!(ids(&second), ["p0", "p4", "p3", "p2"]);
    assert_eq!(second.next_page_token, "");
    assert_eq!(second.total_size, 6);
}

pub(crate) async fn list_default_page_size(store: Arc<dyn TaskStore>) {
    let n = DEFAULT_PAGE_SIZE as usize + 1;
    futures::future::try_join_all((0..n).map(|i| {
        let store = store.clone();
        async move {
            store
                .create(
                    "alice",
                    &route(),
                    task_at(
                        &format!("d{i:03}"),
                        "c",
                        TaskState::Submitted,
                        1000 + i as i64,
                    ),
                )
                .await
        }
    }))
    .await
    .unwrap();
    let first = store.list(scope("alice"), &list_request()).await.unwrap();
    assert_eq!(first.page_size, DEFAULT_PAGE_SIZE);
    assert_eq!(first.tasks.len(), DEFAULT_PAGE_SIZE as usize);
    assert_eq!(first.total_size as usize, n);
    assert_eq!(first.tasks[0].id, format!("d{:03}", n - 1));
    assert_ne!(first.next_page_token, "");
    let second = store
        .list(
            scope("alice"),
            &ListTasksRequest {
                page_token: first.next_page_token,
                ..list_request()
            },
        )
        .await
        .unwrap();
    assert_eq!(ids(&second), ["d000"]);
    assert_eq!(second.next_page_token, "");
    assert_eq!(second.total_size as usize, n);
}

pub(crate) async fn list_history_length(store: Arc<dyn TaskStore>) {
    store
        .create("alice", &route(), new_task("h1", "c"))
        .await
        .unwrap();
    store
        .append(
            "h1",
            &[
                status_msg(TaskState::Working, 2000, "second"),
                user_message("third"),
            ],
        )
        .await
        .unwrap();
    let history = |n: Option<i32>| {
        let store = store.clone();
        async move {
            let list = store
                .list(
                    scope("alice"),
                    &ListTasksRequest {
                        history_length: n,
                        ..list_request()
                    },
                )
                .await
                .unwrap();
            assert_eq!(list.tasks.len(), 1);
            list.tasks[0]
                .history
                .iter()
                .map(Message::text_content)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(history(None).await, ["hello", "second", "third"]);
    assert_eq!(history(Some(0)).await, Vec::<String>::new());
    assert_eq!(history(Some(1)).await, ["third"]);
    assert_eq!(history(Some(2)).await, ["second", "third"]);
    assert_eq!(history(Some(3)).await, ["hello", "second", "third"]);
    assert_eq!(history(Some(50)).await, ["hello", "second", "third"]);
    // The stored task keeps its whole history.
    assert_eq!(
        store
            .get(scope("alice"), "h1")
            .await
            .unwrap()
            .unwrap()
            .task
            .history
            .len(),
        3
    );
}

pub(crate) async fn list_include_artifacts(store: Arc<dyn TaskStore>) {
    store
        .create(
            "alice",
            &route(),
            task_at("with", "c", TaskState::Working, 2000),
        )
        .await
        .unwrap();
    store
        .create(
            "alice",
            &route(),
            task_at("without", "c", TaskState::Working, 1000),
        )
        .await
        .unwrap();
    store
        .append("with", &[artifact("a1", "data", false, true)])
        .await
        .unwrap();
    let list = |include: Option<bool>| {
        let store = store.clone();
        async move {
            store
                .list(
                    scope("alice"),
                    &ListTasksRequest {
                        include_artifacts: include,
                        ..list_request()
                    },
                )
                .await
                .unwrap()
        }
    };
    for include in [None, Some(false)] {
        let l = list(include).await;
        assert_eq!(ids(&l), ["with", "without"]);
        assert_eq!(l.tasks[0].artifacts, None, "{include:?}");
        assert_eq!(l.tasks[1].artifacts, None, "{include:?}");
    }
    let l = list(Some(true)).await;
    assert_eq!(ids(&l), ["with", "without"]);
    let with = l.tasks[0].artifacts.as_ref().expect("artifacts present");
    assert_eq!(with.len(), 1);
    assert_eq!(with[0].parts, vec![Part::text("data")]);
    assert_eq!(l.tasks[1].artifacts, Some(vec![]), "present and empty");
    // get is not shaped.
    assert_eq!(
        store
            .get(scope("alice"), "with")
            .await
            .unwrap()
            .unwrap()
            .task
            .artifacts()
            .len(),
        1
    );
}

pub(crate) async fn list_invalid_page_token(store: Arc<dyn TaskStore>) {
    store
        .create("alice", &route(), new_task("t1", "c"))
        .await
        .unwrap();
    for token in ["garbage", "!!!", "djE6", "v1:1000:t1"] {
        let err = store
            .list(
                scope("alice"),
                &ListTasksRequest {
                    page_token: token.into(),
                    ..list_request()
                },
            )
            .await
            .unwrap_err();
        assert!(
            matches!(err, StoreError::InvalidPageToken),
            "{token}: {err:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// Events and announcements

pub(crate) async fn events_after_limits(store: Arc<dyn TaskStore>) {
    store
        .create("alice", &route(), new_task("e1", "c"))
        .await
        .unwrap();
    let events: Vec<TaskEvent> = (1..=4).map(|i| user_message(&format!("m{i}"))).collect();
    store.append("e1", &events).await.unwrap();
    let seqs = |v: Vec<StoredEvent>| v.into_iter().map(|e| e.seq).collect::<Vec<_>>();
    assert_eq!(seqs(store.events_after("e1", 0, 2).await.unwrap()), [1, 2]);
    assert_eq!(
        seqs(store.events_after("e1", 2, 10).await.unwrap()),
        [3, 4, 5]
    );
    assert_eq!(seqs(store.events_after("e1", 1, 1).await.unwrap()), [2]);
    assert_eq!(seqs(store.events_after("e1", 4, 1).await.unwrap()), [5]);
    assert!(store.events_after("e1", 5, 10).await.unwrap().is_empty());
    assert!(store.events_after("e1", 100, 10).await.unwrap().is_empty());
    assert!(
        store
            .events_after("e1", u64::MAX, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(store.events_after("e1", 0, 0).await.unwrap().is_empty());
    let got = store.events_after("e1", 2, 1).await.unwrap();
    assert_eq!(got[0].event, events[1]);
    let err = store.events_after("e-none", 0, 10).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
}

pub(crate) async fn watch_announces_appends(store: Arc<dyn TaskStore>) {
    let mut rx = store.watch();
    let mut rx2 = store.watch();
    store
        .create("alice", &route(), new_task("w-1", "c"))
        .await
        .unwrap();
    let created = next_for(&mut rx, "w-1").await;
    assert_eq!(created.last_seq, 1);
    store
        .append("w-1", &[status(TaskState::Working), user_message("x")])
        .await
        .unwrap();
    assert_eq!(next_for(&mut rx, "w-1").await.last_seq, 3);
    // Refused appends are not announced.
    assert!(
        store
            .append("w-1", &[status(TaskState::Submitted)])
            .await
            .is_err()
    );
    let mut rx3 = store.watch();
    store
        .create("alice", &route(), new_task("w-2", "c"))
        .await
        .unwrap();
    store
        .append("w-2", &[status(TaskState::Working)])
        .await
        .unwrap();
    store.append("w-1", &[user_message("y")]).await.unwrap();
    assert_eq!(next_for(&mut rx, "w-1").await.last_seq, 4);
    assert_eq!(next_for(&mut rx3, "w-2").await.last_seq, 1);
    assert_eq!(next_for(&mut rx3, "w-2").await.last_seq, 2);
    // Every receiver sees everything, and what it announces is readable.
    for want in [1, 3, 4] {
        let a = next_for(&mut rx2, "w-1").await;
        assert_eq!(a.last_seq, want);
        let events = store.events_after("w-1", 0, 100).await.unwrap();
        assert!(events.len() as u64 >= a.last_seq);
    }
    // A receiver made later sees only later appends.
    let mut late = store.watch();
    store.append("w-1", &[user_message("z")]).await.unwrap();
    assert_eq!(next_for(&mut late, "w-1").await.last_seq, 5);
}

// ---------------------------------------------------------------------------------------
// Push configs

fn push_config(task_id: &str, id: &str, url: &str) -> TaskPushNotificationConfig {
    TaskPushNotificationConfig {
        id: id.to_owned(),
        task_id: task_id.to_owned(),
        url: url.to_owned(),
        token: format!("secret-{id}"),
        ..TaskPushNotificationConfig::default()
    }
}

pub(crate) async fn push_config_crud(store: Arc<dyn TaskStore>) {
    store
        .create("alice", &route(), new_task("t1", "c"))
        .await
        .unwrap();
    store
        .create("alice", &route(), new_task("t2", "c"))
        .await
        .unwrap();
    assert!(store.list_push_configs("t1").await.unwrap().is_empty());
    let c2 = push_config("t1", "cfg-2", "https://example.com/2");
    let c1 = push_config("t1", "cfg-1", "https://example.com/1");
    let other = push_config("t2", "cfg-1", "https://example.com/other");
    store.put_push_config(&c2).await.unwrap();
    store.put_push_config(&c1).await.unwrap();
    store.put_push_config(&other).await.unwrap();
    assert_eq!(
        store.list_push_configs("t1").await.unwrap(),
        vec![c1.clone(), c2.clone()],
        "ordered by id"
    );
    assert_eq!(
        store.get_push_config("t1", "cfg-1").await.unwrap(),
        Some(c1.clone())
    );
    assert_eq!(
        store.get_push_config("t2", "cfg-1").await.unwrap(),
        Some(other.clone())
    );
    assert_eq!(store.get_push_config("t1", "cfg-9").await.unwrap(), None);
    // put replaces.
    let c1b = push_config("t1", "cfg-1", "https://example.com/1b");
    store.put_push_config(&c1b).await.unwrap();
    assert_eq!(
        store.get_push_config("t1", "cfg-1").await.unwrap(),
        Some(c1b.clone())
    );
    assert_eq!(
        store.list_push_configs("t1").await.unwrap(),
        vec![c1b.clone(), c2.clone()]
    );
    // delete.
    assert!(store.delete_push_config("t1", "cfg-1").await.unwrap());
    assert!(!store.delete_push_config("t1", "cfg-1").await.unwrap());
    assert_eq!(store.get_push_config("t1", "cfg-1").await.unwrap(), None);
    assert_eq!(store.list_push_configs("t1").await.unwrap(), vec![c2]);
    // The other task's config with the same id is untouched.
    assert_eq!(store.list_push_configs("t2").await.unwrap(), vec![other]);
    // Push configs do not touch the event log.
    assert_eq!(all_events(&*store, "t1").await.len(), 1);
}

pub(crate) async fn push_config_unknown_task(store: Arc<dyn TaskStore>) {
    let err = store
        .put_push_config(&push_config("nope", "cfg-1", "https://example.com"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::NotFound(ref id) if id == "nope"),
        "{err:?}"
    );
    assert_eq!(store.get_push_config("nope", "cfg-1").await.unwrap(), None);
    assert!(store.list_push_configs("nope").await.unwrap().is_empty());
    assert!(!store.delete_push_config("nope", "cfg-1").await.unwrap());
}

// ---------------------------------------------------------------------------------------
// Push delivery cursors

/// The push worker whose backlog the cursor cases read (it holds no claim).
const WORKER: &str = "worker";

/// [`WORKER`]'s backlog entries as `(task, config, delivered_seq, last_seq)`.
async fn backlog(store: &dyn TaskStore, limit: usize) -> Vec<(String, String, u64, u64)> {
    entries(store.push_backlog(WORKER, limit).await.unwrap())
}

/// `holder`'s backlog entries (at most 100) as `(task, config, delivered_seq, last_seq)`.
async fn backlog_of(store: &dyn TaskStore, holder: &str) -> Vec<(String, String, u64, u64)> {
    entries(store.push_backlog(holder, 100).await.unwrap())
}

fn entries(backlog: Vec<PushBacklog>) -> Vec<(String, String, u64, u64)> {
    backlog
        .into_iter()
        .map(|b| (b.config.task_id, b.config.id, b.delivered_seq, b.last_seq))
        .collect()
}

fn entry(task: &str, id: &str, delivered: u64, last: u64) -> (String, String, u64, u64) {
    (task.to_owned(), id.to_owned(), delivered, last)
}

/// A new config's cursor is 0, whatever the task's log holds already (a config given with
/// the message that created the task gets the task's first events: checklist item 24).
pub(crate) async fn push_cursor_starts_at_zero(store: Arc<dyn TaskStore>) {
    assert!(store.push_backlog(WORKER, 100).await.unwrap().is_empty());
    store
        .create("alice", &route(), new_task("pz1", "c"))
        .await
        .unwrap();
    store
        .append(
            "pz1",
            &[status(TaskState::Working), artifact("a", "x", false, true)],
        )
        .await
        .unwrap();
    // A task without configs is no work.
    assert!(store.push_backlog(WORKER, 100).await.unwrap().is_empty());
    let config = push_config("pz1", "cfg-1", "https://example.com/1");
    store.put_push_config(&config).await.unwrap();
    let got = store.push_backlog(WORKER, 100).await.unwrap();
    assert_eq!(
        got,
        vec![PushBacklog {
            config: config.clone(),
            delivered_seq: 0,
            last_seq: 3,
        }],
        "the whole config (secrets included) with cursor 0"
    );
    // Appends move `last_seq`, not the cursor.
    store
        .append("pz1", &[status(TaskState::Completed)])
        .await
        .unwrap();
    assert_eq!(
        backlog(&*store, 100).await,
        vec![entry("pz1", "cfg-1", 0, 4)]
    );
    // Caught up: no longer listed.
    store.set_push_cursor("pz1", "cfg-1", 4).await.unwrap();
    assert!(store.push_backlog(WORKER, 100).await.unwrap().is_empty());
    // Cursors are not events.
    assert_eq!(all_events(&*store, "pz1").await.len(), 4);
}

/// The cursor never moves back, and never past the task's last event.
pub(crate) async fn push_cursor_monotonic_and_clamped(store: Arc<dyn TaskStore>) {
    store
        .create("alice", &route(), new_task("pm1", "c"))
        .await
        .unwrap();
    store
        .append(
            "pm1",
            &[status(TaskState::Working), artifact("a", "x", false, true)],
        )
        .await
        .unwrap();
    store
        .put_push_config(&push_config("pm1", "cfg", "https://example.com"))
        .await
        .unwrap();
    store.set_push_cursor("pm1", "cfg", 2).await.unwrap();
    assert_eq!(backlog(&*store, 10).await, vec![entry("pm1", "cfg", 2, 3)]);
    // Backwards: ignored.
    store.set_push_cursor("pm1", "cfg", 1).await.unwrap();
    store.set_push_cursor("pm1", "cfg", 0).await.unwrap();
    assert_eq!(backlog(&*store, 10).await, vec![entry("pm1", "cfg", 2, 3)]);
    // Past the log: lowered to the last event, so later events are still delivered.
    store.set_push_cursor("pm1", "cfg", 99).await.unwrap();
    assert!(store.push_backlog(WORKER, 10).await.unwrap().is_empty());
    store
        .append("pm1", &[status(TaskState::Completed)])
        .await
        .unwrap();
    assert_eq!(backlog(&*store, 10).await, vec![entry("pm1", "cfg", 3, 4)]);
    store.set_push_cursor("pm1", "cfg", u64::MAX).await.unwrap();
    assert!(store.push_backlog(WORKER, 10).await.unwrap().is_empty());
    // Concurrent setters (two deliverers racing): the highest wins.
    store
        .create("alice", &route(), new_task("pm2", "c"))
        .await
        .unwrap();
    for _ in 0..3 {
        store.append("pm2", &[user_message("more")]).await.unwrap();
    }
    store
        .put_push_config(&push_config("pm2", "cfg", "https://example.com"))
        .await
        .unwrap();
    let sets = (1..=4u64).rev().map(|seq| {
        let store = Arc::clone(&store);
        tokio::spawn(async move { store.set_push_cursor("pm2", "cfg", seq).await })
    });
    for r in futures::future::join_all(sets).await {
        r.unwrap().unwrap();
    }
    assert!(
        store.push_backlog(WORKER, 10).await.unwrap().is_empty(),
        "cursor at 4"
    );
    store.append("pm2", &[user_message("last")]).await.unwrap();
    assert_eq!(backlog(&*store, 10).await, vec![entry("pm2", "cfg", 4, 5)]);
}

/// Setting the cursor of a config that does not exist is `NotFound` and creates nothing.
pub(crate) async fn push_cursor_unknown_config(store: Arc<dyn TaskStore>) {
    let err = store.set_push_cursor("nope", "cfg", 1).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    store
        .create("alice", &route(), new_task("pu1", "c"))
        .await
        .unwrap();
    let err = store.set_push_cursor("pu1", "cfg", 1).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    assert!(store.list_push_configs("pu1").await.unwrap().is_empty());
    assert!(store.push_backlog(WORKER, 10).await.unwrap().is_empty());
    // A config of the same id on another task is not this one.
    store
        .create("alice", &route(), new_task("pu2", "c"))
        .await
        .unwrap();
    store
        .put_push_config(&push_config("pu2", "cfg", "https://example.com"))
        .await
        .unwrap();
    let err = store.set_push_cursor("pu1", "cfg", 1).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    assert_eq!(backlog(&*store, 10).await, vec![entry("pu2", "cfg", 0, 1)]);
}

/// Replacing a config keeps its cursor; deleting it drops the cursor (a new config of the
/// same id starts again at 0) and setting it afterwards is `NotFound`.
pub(crate) async fn push_cursor_survives_replace_not_delete(store: Arc<dyn TaskStore>) {
    store
        .create("alice", &route(), new_task("pr1", "c"))
        .await
        .unwrap();
    store
        .append(
            "pr1",
            &[status(TaskState::Working), status(TaskState::Completed)],
        )
        .await
        .unwrap();
    store
        .put_push_config(&push_config("pr1", "cfg", "https://example.com/a"))
        .await
        .unwrap();
    store.set_push_cursor("pr1", "cfg", 2).await.unwrap();
    let replaced = push_config("pr1", "cfg", "https://example.com/b");
    store.put_push_config(&replaced).await.unwrap();
    let got = store.push_backlog(WORKER, 10).await.unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(
        got[0].config, replaced,
        "the backlog carries the current config"
    );
    assert_eq!((got[0].delivered_seq, got[0].last_seq), (2, 3));
    assert!(store.delete_push_config("pr1", "cfg").await.unwrap());
    assert!(store.push_backlog(WORKER, 10).await.unwrap().is_empty());
    let err = store.set_push_cursor("pr1", "cfg", 3).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    store.put_push_config(&replaced).await.unwrap();
    assert_eq!(backlog(&*store, 10).await, vec![entry("pr1", "cfg", 0, 3)]);
}

/// The backlog is ordered by task id, then config id (byte order), and cut at `limit`.
pub(crate) async fn push_backlog_order_and_limit(store: Arc<dyn TaskStore>) {
    for id in ["pb-b", "pb-a", "pb-C", "pb-c"] {
        store
            .create("alice", &route(), new_task(id, "c"))
            .await
            .unwrap();
    }
    // Owners do not matter to delivery.
    store
        .create("bob", &route(), new_task("pb-0", "c"))
        .await
        .unwrap();
    for (task, cfg) in [
        ("pb-b", "2"),
        ("pb-b", "10"),
        ("pb-a", "x"),
        ("pb-c", "a"),
        ("pb-C", "a"),
        ("pb-0", "z"),
    ] {
        store
            .put_push_config(&push_config(task, cfg, "https://example.com"))
            .await
            .unwrap();
    }
    // `pb-c`'s config is caught up: not listed.
    store.set_push_cursor("pb-c", "a", 1).await.unwrap();
    let all = vec![
        entry("pb-0", "z", 0, 1),
        entry("pb-C", "a", 0, 1),
        entry("pb-a", "x", 0, 1),
        entry("pb-b", "10", 0, 1),
        entry("pb-b", "2", 0, 1),
    ];
    assert_eq!(backlog(&*store, 100).await, all);
    assert_eq!(backlog(&*store, 2).await, all[..2].to_vec());
    assert!(store.push_backlog(WORKER, 0).await.unwrap().is_empty());
    // Every call gives the same answer.
    assert_eq!(backlog(&*store, 100).await, all);
}

// ---------------------------------------------------------------------------------------
// Push delivery claims

/// Takes, renews, refuses and releases like a task lease, per config; the claim carries the
/// config's current cursor.
pub(crate) async fn push_claim_take_renew_conflict_release(store: Arc<dyn TaskStore>) {
    store
        .create("alice", &route(), new_task("pc1", "c"))
        .await
        .unwrap();
    store
        .create("alice", &route(), new_task("pc2", "c"))
        .await
        .unwrap();
    store
        .append(
            "pc1",
            &[status(TaskState::Working), artifact("a", "x", false, true)],
        )
        .await
        .unwrap();
    for (task, cfg) in [("pc1", "cfg"), ("pc1", "cfg-2"), ("pc2", "cfg")] {
        store
            .put_push_config(&push_config(task, cfg, "https://example.com"))
            .await
            .unwrap();
    }
    assert_eq!(
        store.try_claim_push("pc1", "cfg", "a", LONG).await.unwrap(),
        Some(0),
        "taken, with the cursor"
    );
    store.set_push_cursor("pc1", "cfg", 2).await.unwrap();
    assert_eq!(
        store.try_claim_push("pc1", "cfg", "a", LONG).await.unwrap(),
        Some(2),
        "renewed, with the current cursor"
    );
    assert_eq!(
        store.try_claim_push("pc1", "cfg", "b", LONG).await.unwrap(),
        None,
        "held by a"
    );
    // Claims are per config: another config of the task, and the same id on another task.
    assert_eq!(
        store
            .try_claim_push("pc1", "cfg-2", "b", LONG)
            .await
            .unwrap(),
        Some(0)
    );
    assert_eq!(
        store.try_claim_push("pc2", "cfg", "b", LONG).await.unwrap(),
        Some(0)
    );
    // Releasing someone else's claim does nothing.
    store.release_push_claim("pc1", "cfg", "b").await.unwrap();
    assert_eq!(
        store.try_claim_push("pc1", "cfg", "b", LONG).await.unwrap(),
        None
    );
    store.release_push_claim("pc1", "cfg", "a").await.unwrap();
    assert_eq!(
        store.try_claim_push("pc1", "cfg", "b", LONG).await.unwrap(),
        Some(2),
        "free after release"
    );
    assert_eq!(
        store.try_claim_push("pc1", "cfg", "a", LONG).await.unwrap(),
        None
    );
    // Releasing twice is harmless.
    store.release_push_claim("pc1", "cfg", "b").await.unwrap();
    store.release_push_claim("pc1", "cfg", "b").await.unwrap();
    assert_eq!(
        store.try_claim_push("pc1", "cfg", "a", LONG).await.unwrap(),
        Some(2)
    );
    // Claims touch neither the log nor the cursor, nor the config.
    assert_eq!(all_events(&*store, "pc1").await.len(), 3);
    assert_eq!(backlog(&*store, 10).await.len(), 0, "all three claimed");
    assert_eq!(
        backlog_of(&*store, "a").await,
        vec![entry("pc1", "cfg", 2, 3)]
    );
    assert_eq!(
        store.get_push_config("pc1", "cfg").await.unwrap(),
        Some(push_config("pc1", "cfg", "https://example.com"))
    );
}

/// An expired claim can be taken by another holder; a renewal extends it.
pub(crate) async fn push_claim_expiry(store: Arc<dyn TaskStore>) {
    store
        .create("alice", &route(), new_task("pe1", "c"))
        .await
        .unwrap();
    for cfg in ["c1", "c2"] {
        store
            .put_push_config(&push_config("pe1", cfg, "https://example.com"))
            .await
            .unwrap();
    }
    let short = Duration::from_millis(50);
    assert_eq!(
        store.try_claim_push("pe1", "c1", "a", short).await.unwrap(),
        Some(0)
    );
    assert_eq!(
        store.try_claim_push("pe1", "c1", "b", LONG).await.unwrap(),
        None
    );
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(
        store.try_claim_push("pe1", "c1", "b", LONG).await.unwrap(),
        Some(0),
        "expired: taken over"
    );
    assert_eq!(
        store.try_claim_push("pe1", "c1", "a", LONG).await.unwrap(),
        None,
        "the old holder's renewal is refused"
    );
    // A renewal extends the claim.
    assert_eq!(
        store
            .try_claim_push("pe1", "c2", "a", Duration::from_millis(100))
            .await
            .unwrap(),
        Some(0)
    );
    assert_eq!(
        store.try_claim_push("pe1", "c2", "a", LONG).await.unwrap(),
        Some(0)
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        store.try_claim_push("pe1", "c2", "b", LONG).await.unwrap(),
        None,
        "renewed"
    );
}

/// Claiming a config that does not exist is `NotFound` and creates nothing; releasing it is
/// a no-op.
pub(crate) async fn push_claim_unknown_config(store: Arc<dyn TaskStore>) {
    let err = store
        .try_claim_push("nope", "cfg", "a", LONG)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    store.release_push_claim("nope", "cfg", "a").await.unwrap();
    store
        .create("alice", &route(), new_task("pn1", "c"))
        .await
        .unwrap();
    store
        .create("alice", &route(), new_task("pn2", "c"))
        .await
        .unwrap();
    // A config of the same id on another task is not this one.
    store
        .put_push_config(&push_config("pn2", "cfg", "https://example.com"))
        .await
        .unwrap();
    let err = store
        .try_claim_push("pn1", "cfg", "a", LONG)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    store.release_push_claim("pn1", "cfg", "a").await.unwrap();
    assert!(store.list_push_configs("pn1").await.unwrap().is_empty());
    assert_eq!(
        store.try_claim_push("pn2", "cfg", "b", LONG).await.unwrap(),
        Some(0),
        "the other task's config is free"
    );
}

/// Replacing a config keeps its claim and cursor; deleting it drops the claim (renewing is
/// then `NotFound`, and a new config of the same id starts unclaimed, at cursor 0).
pub(crate) async fn push_claim_kept_on_replace_dropped_on_delete(store: Arc<dyn TaskStore>) {
    store
        .create("alice", &route(), new_task("pd1", "c"))
        .await
        .unwrap();
    store
        .append("pd1", &[status(TaskState::Working)])
        .await
        .unwrap();
    store
        .put_push_config(&push_config("pd1", "cfg", "https://example.com/a"))
        .await
        .unwrap();
    assert_eq!(
        store.try_claim_push("pd1", "cfg", "a", LONG).await.unwrap(),
        Some(0)
    );
    store.set_push_cursor("pd1", "cfg", 1).await.unwrap();
    let replaced = push_config("pd1", "cfg", "https://example.com/b");
    store.put_push_config(&replaced).await.unwrap();
    assert_eq!(
        store.try_claim_push("pd1", "cfg", "b", LONG).await.unwrap(),
        None,
        "still a's after the replace"
    );
    assert_eq!(
        store.try_claim_push("pd1", "cfg", "a", LONG).await.unwrap(),
        Some(1),
        "a's renewal works, the cursor is kept"
    );
    assert_eq!(
        backlog_of(&*store, "a").await,
        vec![entry("pd1", "cfg", 1, 2)]
    );
    assert_eq!(
        store.get_push_config("pd1", "cfg").await.unwrap(),
        Some(replaced.clone())
    );
    // Delete: the claim goes with the config.
    assert!(store.delete_push_config("pd1", "cfg").await.unwrap());
    let err = store
        .try_claim_push("pd1", "cfg", "a", LONG)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    store.release_push_claim("pd1", "cfg", "a").await.unwrap();
    store.put_push_config(&replaced).await.unwrap();
    assert_eq!(
        store.try_claim_push("pd1", "cfg", "b", LONG).await.unwrap(),
        Some(0),
        "a new config of the same id: unclaimed, cursor 0"
    );
}

/// Holders racing for a free claim: exactly one gets it.
pub(crate) async fn push_claim_concurrent_one_winner(store: Arc<dyn TaskStore>) {
    store
        .create("alice", &route(), new_task("pw1", "c"))
        .await
        .unwrap();
    let configs: Vec<String> = (0..4).map(|i| format!("cfg-{i}")).collect();
    for cfg in &configs {
        store
            .put_push_config(&push_config("pw1", cfg, "https://example.com"))
            .await
            .unwrap();
    }
    let races = configs.iter().flat_map(|cfg| {
        let store = &store;
        (0..8).map(move |h| {
            let store = Arc::clone(store);
            let cfg = cfg.clone();
            tokio::spawn(async move {
                let taken = store
                    .try_claim_push("pw1", &cfg, &format!("holder-{h}"), LONG)
                    .await
                    .unwrap();
                (cfg, h, taken)
            })
        })
    });
    let results = futures::future::join_all(races).await;
    let mut winners: HashMap<String, Vec<usize>> = HashMap::new();
    for r in results {
        let (cfg, h, taken) = r.unwrap();
        if let Some(cursor) = taken {
            assert_eq!(cursor, 0);
            winners.entry(cfg).or_default().push(h);
        }
    }
    for cfg in &configs {
        let won = winners.get(cfg).cloned().unwrap_or_default();
        assert_eq!(won.len(), 1, "{cfg}: winners {won:?}");
        // The winner holds it: the others are still refused, the winner renews.
        let holder = format!("holder-{}", won[0]);
        let other = format!("holder-{}", (won[0] + 1) % 8);
        assert_eq!(
            store
                .try_claim_push("pw1", cfg, &other, LONG)
                .await
                .unwrap(),
            None
        );
        assert_eq!(
            store
                .try_claim_push("pw1", cfg, &holder, LONG)
                .await
                .unwrap(),
            Some(0)
        );
    }
}

/// The backlog a holder reads leaves out the configs under another holder's live claim,
/// lists its own claims and expired ones.
pub(crate) async fn push_backlog_skips_live_claims_of_others(store: Arc<dyn TaskStore>) {
    store
        .create("alice", &route(), new_task("pk1", "c"))
        .await
        .unwrap();
    for cfg in ["1", "2", "3", "4"] {
        store
            .put_push_config(&push_config("pk1", cfg, "https://example.com"))
            .await
            .unwrap();
    }
    let claim = |cfg: &'static str, holder: &'static str, ttl: Duration| {
        let store = Arc::clone(&store);
        async move {
            assert_eq!(
                store.try_claim_push("pk1", cfg, holder, ttl).await.unwrap(),
                Some(0)
            );
        }
    };
    claim("1", "other", LONG).await;
    claim("2", "me", LONG).await;
    claim("3", "other", Duration::from_millis(300)).await;
    let ids = |b: Vec<(String, String, u64, u64)>| -> Vec<String> {
        b.into_iter().map(|(_, id, _, _)| id).collect()
    };
    assert_eq!(ids(backlog_of(&*store, "me").await), ["2", "4"]);
    assert_eq!(ids(backlog_of(&*store, "other").await), ["1", "3", "4"]);
    assert_eq!(ids(backlog_of(&*store, "nobody").await), ["4"]);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        ids(backlog_of(&*store, "me").await),
        ["2", "3", "4"],
        "3's claim expired"
    );
    store.release_push_claim("pk1", "1", "other").await.unwrap();
    assert_eq!(
        ids(backlog_of(&*store, "nobody").await),
        ["1", "3", "4"],
        "1 released; 2 still mine"
    );
    // A claimed config that has caught up is not work for anyone.
    store.set_push_cursor("pk1", "2", 1).await.unwrap();
    assert_eq!(ids(backlog_of(&*store, "me").await), ["1", "3", "4"]);
}

// ---------------------------------------------------------------------------------------
// Leases

const LONG: Duration = Duration::from_secs(60);

pub(crate) async fn lease_take_conflict_renew_release(store: Arc<dyn TaskStore>) {
    store
        .create("alice", &route(), new_task("l1", "c"))
        .await
        .unwrap();
    store
        .create("alice", &route(), new_task("l2", "c"))
        .await
        .unwrap();
    assert!(store.try_lease("l1", "a", LONG).await.unwrap());
    assert!(
        !store.try_lease("l1", "b", LONG).await.unwrap(),
        "held by a"
    );
    assert!(store.try_lease("l1", "a", LONG).await.unwrap(), "renewal");
    // Leases are per task.
    assert!(store.try_lease("l2", "b", LONG).await.unwrap());
    // Releasing someone else's lease does nothing.
    store.release_lease("l1", "b").await.unwrap();
    assert!(!store.try_lease("l1", "b", LONG).await.unwrap());
    store.release_lease("l1", "a").await.unwrap();
    assert!(
        store.try_lease("l1", "b", LONG).await.unwrap(),
        "free after release"
    );
    assert!(!store.try_lease("l1", "a", LONG).await.unwrap());
    // Releasing twice is harmless.
    store.release_lease("l1", "b").await.unwrap();
    store.release_lease("l1", "b").await.unwrap();
    assert!(store.try_lease("l1", "a", LONG).await.unwrap());
    // Leases do not touch the event log.
    assert_eq!(all_events(&*store, "l1").await.len(), 1);
}

/// `create_leased` takes the lease in the same write; an append that ends the task gives it
/// up, one that leaves it running (or interrupted) does not.
pub(crate) async fn lease_with_create_and_released_by_the_end(store: Arc<dyn TaskStore>) {
    store
        .create_leased("alice", &route(), new_task("l1", "c"), "a", LONG, &[])
        .await
        .unwrap();
    assert!(
        !store.try_lease("l1", "b", LONG).await.unwrap(),
        "held by a"
    );
    assert!(
        store.orphaned(10).await.unwrap().is_empty(),
        "leased: not orphaned"
    );
    store
        .append("l1", &[status(TaskState::Working)])
        .await
        .unwrap();
    assert!(
        !store.try_lease("l1", "b", LONG).await.unwrap(),
        "still held"
    );
    store
        .append("l1", &[status(TaskState::InputRequired)])
        .await
        .unwrap();
    assert!(
        !store.try_lease("l1", "b", LONG).await.unwrap(),
        "interrupted: held"
    );
    store
        .append(
            "l1",
            &[status(TaskState::Working), status(TaskState::Completed)],
        )
        .await
        .unwrap();
    assert!(
        store.try_lease("l1", "b", LONG).await.unwrap(),
        "released by the terminal append"
    );
    assert_eq!(all_events(&*store, "l1").await.len(), 5);
}

/// `create_leased` with events: the task, its lease and the events in one write, numbered
/// after the `Created` event, announced once; events that end the task leave no lease.
pub(crate) async fn create_leased_with_events(store: Arc<dyn TaskStore>) {
    let mut rx = store.watch();
    let running = store
        .create_leased(
            "alice",
            &route(),
            new_task("cle-1", "c"),
            "a",
            LONG,
            &[
                status(TaskState::Working),
                artifact("a1", "part", false, false),
            ],
        )
        .await
        .unwrap();
    assert_eq!(running.last_seq, 3);
    assert_eq!(running.task.status.state, TaskState::Working);
    assert_eq!(next_for(&mut rx, "cle-1").await.last_seq, 3);
    assert!(
        !store.try_lease("cle-1", "b", LONG).await.unwrap(),
        "held by a"
    );
    let stored = assert_consistent(&*store, "alice", "cle-1").await;
    assert_eq!(stored, running);

    let done = store
        .create_leased(
            "alice",
            &route(),
            new_task("cle-2", "c"),
            "a",
            LONG,
            &[
                status(TaskState::Working),
                artifact("a1", "answer", false, true),
                status(TaskState::Completed),
            ],
        )
        .await
        .unwrap();
    assert_eq!(done.last_seq, 4);
    assert_eq!(done.task.status.state, TaskState::Completed);
    assert_eq!(done.task.artifacts.as_ref().map(Vec::len), Some(1));
    assert_eq!(next_for(&mut rx, "cle-2").await.last_seq, 4);
    assert_eq!(assert_consistent(&*store, "alice", "cle-2").await, done);
    assert!(
        !store
            .orphaned(10)
            .await
            .unwrap()
            .contains(&"cle-2".to_owned()),
        "a finished task is nobody's"
    );
    assert!(
        store.try_lease("cle-2", "b", LONG).await.unwrap(),
        "no lease left on a task created finished"
    );
    // A later append continues the numbering.
    store
        .append("cle-1", &[status(TaskState::Completed)])
        .await
        .unwrap();
    assert_eq!(all_events(&*store, "cle-1").await.last().unwrap().seq, 4);
}

/// An illegal event among those given to `create_leased`: nothing is written, not even the
/// task, and nothing is announced.
pub(crate) async fn create_leased_with_illegal_events_writes_nothing(store: Arc<dyn TaskStore>) {
    let mut rx = store.watch();
    let err = store
        .create_leased(
            "alice",
            &route(),
            new_task("cli-1", "c"),
            "a",
            LONG,
            &[status(TaskState::Completed), status(TaskState::Working)],
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Transition { .. }), "{err:?}");
    assert!(store.get(scope("alice"), "cli-1").await.unwrap().is_none());
    assert!(
        store
            .events_after("cli-1", 0, 10)
            .await
            .map_or(true, |events| events.is_empty()),
        "no events"
    );
    // The id is still free.
    store
        .create("alice", &route(), new_task("cli-1", "c"))
        .await
        .unwrap();
    assert_eq!(next_for(&mut rx, "cli-1").await.last_seq, 1);
}

pub(crate) async fn lease_expiry(store: Arc<dyn TaskStore>) {
    store
        .create("alice", &route(), new_task("l1", "c"))
        .await
        .unwrap();
    assert!(
        store
            .try_lease("l1", "a", Duration::from_millis(50))
            .await
            .unwrap()
    );
    assert!(!store.try_lease("l1", "b", LONG).await.unwrap());
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert!(store.try_lease("l1", "b", LONG).await.unwrap(), "expired");
    assert!(!store.try_lease("l1", "a", LONG).await.unwrap());
    // A renewal extends the lease.
    store
        .create("alice", &route(), new_task("l2", "c"))
        .await
        .unwrap();
    assert!(
        store
            .try_lease("l2", "a", Duration::from_millis(100))
            .await
            .unwrap()
    );
    assert!(store.try_lease("l2", "a", LONG).await.unwrap());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!store.try_lease("l2", "b", LONG).await.unwrap(), "renewed");
}

pub(crate) async fn lease_unknown_task(store: Arc<dyn TaskStore>) {
    let err = store.try_lease("nope", "a", LONG).await.unwrap_err();
    assert!(
        matches!(err, StoreError::NotFound(ref id) if id == "nope"),
        "{err:?}"
    );
    store.release_lease("nope", "a").await.unwrap();
    assert!(store.orphaned(10).await.unwrap().is_empty());
}

pub(crate) async fn orphaned(store: Arc<dyn TaskStore>) {
    let make = |id: &'static str, state: TaskState| {
        let store = store.clone();
        async move {
            store
                .create("alice", &route(), task_at(id, "c", state, 1000))
                .await
                .unwrap();
        }
    };
    make("or-sub", TaskState::Submitted).await;
    make("or-live", TaskState::Working).await;
    make("or-expired", TaskState::Working).await;
    make("or-released", TaskState::Submitted).await;
    make("or-input", TaskState::Working).await;
    make("or-done", TaskState::Working).await;
    make("or-auth", TaskState::Submitted).await;
    store
        .append("or-input", &[status(TaskState::InputRequired)])
        .await
        .unwrap();
    store
        .append("or-auth", &[status(TaskState::AuthRequired)])
        .await
        .unwrap();
    store
        .append("or-done", &[status(TaskState::Completed)])
        .await
        .unwrap();
    assert!(store.try_lease("or-live", "me", LONG).await.unwrap());
    assert!(
        store
            .try_lease("or-expired", "me", Duration::from_millis(50))
            .await
            .unwrap()
    );
    assert!(store.try_lease("or-released", "me", LONG).await.unwrap());
    store.release_lease("or-released", "me").await.unwrap();
    tokio::time::sleep(Duration::from_millis(150)).await;
    let found: BTreeSet<String> = store.orphaned(100).await.unwrap().into_iter().collect();
    let want: BTreeSet<String> = ["or-sub", "or-expired", "or-released"]
        .map(String::from)
        .into();
    assert_eq!(found, want);
    let one = store.orphaned(1).await.unwrap();
    assert_eq!(one.len(), 1);
    assert!(want.contains(&one[0]));
    assert!(store.orphaned(0).await.unwrap().is_empty());
    // Taking the lease of an orphan adopts it.
    assert!(store.try_lease("or-sub", "other", LONG).await.unwrap());
    let found: BTreeSet<String> = store.orphaned(100).await.unwrap().into_iter().collect();
    assert_eq!(
        found,
        ["or-expired", "or-released"].map(String::from).into()
    );
    // A leased task that ends is not orphaned.
    store
        .append("or-expired", &[status(TaskState::Failed)])
        .await
        .unwrap();
    let found: BTreeSet<String> = store.orphaned(100).await.unwrap().into_iter().collect();
    assert_eq!(found, ["or-released"].map(String::from).into());
}

// ---------------------------------------------------------------------------------------
// Concurrency

pub(crate) async fn concurrent_appends(store: Arc<dyn TaskStore>) {
    const TASKS: usize = 20;
    const APPENDS: u64 = 50;
    let mut rx = store.watch();
    let workers: Vec<_> = (0..TASKS)
        .map(|t| {
            let store = store.clone();
            tokio::spawn(async move {
                let id = format!("cc-{t}");
                store
                    .create("alice", &route(), new_task(&id, "c"))
                    .await
                    .unwrap();
                for i in 0..APPENDS {
                    let event = if i % 3 == 0 {
                        status_msg(TaskState::Working, 1000 + i as i64, &format!("{t}-{i}"))
                    } else if i % 3 == 1 {
                        provider_data_event(serde_json::json!({ "i": i }))
                    } else {
                        user_message(&format!("{t}-{i}"))
                    };
                    let rec = store.append(&id, &[event]).await.unwrap();
                    assert_eq!(rec.last_seq, i + 2);
                }
            })
        })
        .collect();
    for w in workers {
        w.await.unwrap();
    }
    for t in 0..TASKS {
        let id = format!("cc-{t}");
        let rec = assert_consistent(&*store, "alice", &id).await;
        assert_eq!(rec.last_seq, APPENDS + 1);
        let events = all_events(&*store, &id).await;
        for (i, e) in events[1..].iter().enumerate() {
            let i = i as u64;
            let ok = match &e.event {
                TaskEvent::Status { status, .. } => {
                    i.is_multiple_of(3)
                        && status.message.as_ref().map(Message::text_content)
                            == Some(format!("{t}-{i}"))
                }
                TaskEvent::ProviderData { data } => i % 3 == 1 && data["i"] == i,
                TaskEvent::UserMessage { message } => {
                    i % 3 == 2 && message.text_content() == format!("{t}-{i}")
                }
                _ => false,
            };
            assert!(ok, "task {id}: event {} out of order: {:?}", e.seq, e.event);
        }
    }
    // Every append was announced, per task in order.
    let mut last: HashMap<String, u64> = HashMap::new();
    let mut count = 0;
    while let Ok(a) = rx.try_recv() {
        if !a.task_id.starts_with("cc-") {
            continue;
        }
        let prev = last.insert(a.task_id.clone(), a.last_seq).unwrap_or(0);
        assert_eq!(
            a.last_seq,
            prev + 1,
            "{}: announcements in order",
            a.task_id
        );
        count += 1;
    }
    // Backends that announce asynchronously may still be delivering; those that are done
    // must have delivered exactly one announcement per append.
    if count == TASKS * (APPENDS as usize + 1) {
        assert!(last.values().all(|&s| s == APPENDS + 1));
    }
}

pub(crate) async fn concurrent_illegal_isolated(store: Arc<dyn TaskStore>) {
    const TASKS: usize = 30;
    for t in 0..TASKS {
        store
            .create("alice", &route(), new_task(&format!("ci-{t}"), "c"))
            .await
            .unwrap();
    }
    // Legal and illegal appends racing across tasks: the illegal ones fail on their own.
    let mut handles = Vec::new();
    for t in 0..TASKS {
        for legal in [true, false] {
            let store = store.clone();
            handles.push(tokio::spawn(async move {
                let id = format!("ci-{t}");
                let events = if legal {
                    vec![status(TaskState::Working), user_message("ok")]
                } else {
                    vec![user_message("nope"), artifact("missing", "x", true, false)]
                };
                (legal, store.append(&id, &events).await)
            }));
        }
    }
    for h in handles {
        let (legal, result) = h.await.unwrap();
        match result {
            Ok(rec) => assert!(legal, "an illegal append succeeded: {rec:?}"),
            Err(err) => {
                assert!(!legal, "a legal append failed: {err:?}");
                assert!(is_transition(&err), "{err:?}");
            }
        }
    }
    for t in 0..TASKS {
        let rec = assert_consistent(&*store, "alice", &format!("ci-{t}")).await;
        assert_eq!(rec.last_seq, 3);
        assert_eq!(rec.task.status.state, TaskState::Working);
    }
}

// ---------------------------------------------------------------------------------------
// Agents registered at run time, and the registry revision.
//
// Agent names are prefixed with the case's name, like task ids.

/// A registration document.
fn agent_doc(url: &str) -> serde_json::Value {
    serde_json::json!({ "url": url, "skills": ["echo"], "hidden": false })
}

/// The agent as `get_agent` and `list_agents` see it, compared to what `put_agent` returned.
async fn assert_agent_stored(store: &dyn TaskStore, agent: &StoredAgent) {
    assert_eq!(
        store.get_agent(&agent.name).await.unwrap().as_ref(),
        Some(agent)
    );
    let (_, all) = store.list_agents().await.unwrap();
    assert_eq!(all.iter().filter(|a| a.name == agent.name).count(), 1);
    assert!(all.contains(agent), "{all:?}");
}

fn is_conflict(r: &StoreResult<impl std::fmt::Debug>) -> bool {
    matches!(r, Err(StoreError::Conflict(_)))
}

pub(crate) async fn agents_empty(store: Arc<dyn TaskStore>) {
    let revision = store.agents_revision().await.unwrap();
    assert_eq!(revision, 0);
    assert_eq!(store.list_agents().await.unwrap(), (revision, vec![]));
    assert_eq!(store.get_agent("ae-none").await.unwrap(), None);
    assert!(!store.delete_agent("ae-none", None).await.unwrap());
    assert!(!store.delete_agent("ae-none", Some(1)).await.unwrap());
    assert_eq!(store.agents_revision().await.unwrap(), revision);
}

pub(crate) async fn agents_create_get_list(store: Arc<dyn TaskStore>) {
    let before = store.agents_revision().await.unwrap();
    let started = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    let b = store
        .put_agent("acg-b", &agent_doc("https://b.example.com"), None)
        .await
        .unwrap();
    assert_eq!(b.name, "acg-b");
    assert_eq!(b.version, 1);
    assert_eq!(b.doc, agent_doc("https://b.example.com"));
    assert_eq!(b.created_ms, b.updated_ms);
    // A plausible clock (the database's may differ a little from ours).
    let skew = i64::try_from(started).unwrap() - b.created_ms;
    assert!(
        skew.abs() < 60_000,
        "created_ms {} vs {started}",
        b.created_ms
    );
    assert_agent_stored(&*store, &b).await;

    let a = store
        .put_agent("acg-a", &agent_doc("https://a.example.com"), None)
        .await
        .unwrap();
    let c = store
        .put_agent("acg-c", &agent_doc("https://c.example.com"), None)
        .await
        .unwrap();
    // By name, with the revision of the read, which is the current one.
    let (revision, all) = store.list_agents().await.unwrap();
    assert_eq!(all, vec![a.clone(), b.clone(), c.clone()]);
    assert_eq!(revision, store.agents_revision().await.unwrap());
    assert!(revision >= before + 3, "{before} -> {revision}");
    // Byte-wise order: upper case before lower case, `é` after `z`.
    for name in ["acg-Z", "acg-é", "acg-z"] {
        store
            .put_agent(name, &agent_doc("https://x.example.com"), None)
            .await
            .unwrap();
    }
    let names: Vec<String> = store
        .list_agents()
        .await
        .unwrap()
        .1
        .into_iter()
        .map(|a| a.name)
        .collect();
    assert_eq!(
        names,
        ["acg-Z", "acg-a", "acg-b", "acg-c", "acg-z", "acg-é"],
        "byte-wise order"
    );
}

pub(crate) async fn agents_duplicate_create(store: Arc<dyn TaskStore>) {
    let first = store
        .put_agent("adc-1", &agent_doc("https://one.example.com"), None)
        .await
        .unwrap();
    let revision = store.agents_revision().await.unwrap();
    let again = store
        .put_agent("adc-1", &agent_doc("https://two.example.com"), None)
        .await;
    assert!(
        matches!(&again, Err(StoreError::AlreadyExists(n)) if n == "adc-1"),
        "{again:?}"
    );
    // Nothing written, the revision unchanged.
    assert_agent_stored(&*store, &first).await;
    assert_eq!(store.agents_revision().await.unwrap(), revision);
}

pub(crate) async fn agents_update_with_version(store: Arc<dyn TaskStore>) {
    let v1 = store
        .put_agent("auv-1", &agent_doc("https://v1.example.com"), None)
        .await
        .unwrap();
    let r1 = store.agents_revision().await.unwrap();
    tokio::time::sleep(Duration::from_millis(5)).await;
    let v2 = store
        .put_agent("auv-1", &agent_doc("https://v2.example.com"), Some(1))
        .await
        .unwrap();
    assert_eq!(v2.version, 2);
    assert_eq!(v2.doc, agent_doc("https://v2.example.com"));
    assert_eq!(v2.created_ms, v1.created_ms, "creation time kept");
    assert!(v2.updated_ms > v1.updated_ms, "{v1:?} -> {v2:?}");
    assert_agent_stored(&*store, &v2).await;
    let r2 = store.agents_revision().await.unwrap();
    assert!(r2 > r1);

    // A stale version: refused with a message naming both versions, nothing written.
    for stale in [1, 3, 0, -1] {
        let r = store
            .put_agent(
                "auv-1",
                &agent_doc("https://stale.example.com"),
                Some(stale),
            )
            .await;
        assert!(is_conflict(&r), "{r:?}");
        let message = r.unwrap_err().to_string();
        assert!(
            message.contains("auv-1") && message.contains(&format!("version {stale}")),
            "{message}"
        );
        assert!(message.contains("version 2"), "{message}");
    }
    assert_agent_stored(&*store, &v2).await;
    assert_eq!(store.agents_revision().await.unwrap(), r2);

    // The same doc again is still a write: new version, new revision.
    let v3 = store.put_agent("auv-1", &v2.doc, Some(2)).await.unwrap();
    assert_eq!((v3.version, &v3.doc), (3, &v2.doc));
    assert!(store.agents_revision().await.unwrap() > r2);
    assert_agent_stored(&*store, &v3).await;
}

pub(crate) async fn agents_update_missing(store: Arc<dyn TaskStore>) {
    let revision = store.agents_revision().await.unwrap();
    let r = store
        .put_agent("aum-none", &agent_doc("https://x.example.com"), Some(1))
        .await;
    assert!(
        matches!(&r, Err(StoreError::NotFound(n)) if n == "aum-none"),
        "{r:?}"
    );
    assert_eq!(store.get_agent("aum-none").await.unwrap(), None);
    assert_eq!(store.agents_revision().await.unwrap(), revision);
    // Deleted, then updated: not found either.
    store
        .put_agent("aum-1", &agent_doc("https://x.example.com"), None)
        .await
        .unwrap();
    assert!(store.delete_agent("aum-1", None).await.unwrap());
    let r = store
        .put_agent("aum-1", &agent_doc("https://y.example.com"), Some(1))
        .await;
    assert!(matches!(&r, Err(StoreError::NotFound(_))), "{r:?}");
}

pub(crate) async fn agents_delete(store: Arc<dyn TaskStore>) {
    let a = store
        .put_agent("ad-1", &agent_doc("https://x.example.com"), None)
        .await
        .unwrap();
    let a = store.put_agent("ad-1", &a.doc, Some(1)).await.unwrap();
    store
        .put_agent("ad-2", &agent_doc("https://y.example.com"), None)
        .await
        .unwrap();
    let r0 = store.agents_revision().await.unwrap();
    // At another version: refused, nothing deleted.
    let r = store.delete_agent("ad-1", Some(1)).await;
    assert!(is_conflict(&r), "{r:?}");
    assert_agent_stored(&*store, &a).await;
    assert_eq!(store.agents_revision().await.unwrap(), r0);
    // At its version.
    assert!(store.delete_agent("ad-1", Some(2)).await.unwrap());
    let r1 = store.agents_revision().await.unwrap();
    assert!(r1 > r0);
    assert_eq!(store.get_agent("ad-1").await.unwrap(), None);
    let (revision, all) = store.list_agents().await.unwrap();
    assert_eq!(revision, r1);
    assert_eq!(
        all.iter().map(|a| a.name.as_str()).collect::<Vec<_>>(),
        ["ad-2"]
    );
    // Gone: `false`, whatever the version, and no new revision.
    assert!(!store.delete_agent("ad-1", None).await.unwrap());
    assert!(!store.delete_agent("ad-1", Some(2)).await.unwrap());
    assert_eq!(store.agents_revision().await.unwrap(), r1);
    // Unconditionally.
    assert!(store.delete_agent("ad-2", None).await.unwrap());
    let r2 = store.agents_revision().await.unwrap();
    assert!(r2 > r1);
    assert_eq!(store.list_agents().await.unwrap(), (r2, vec![]));
    // Re-created after a delete: version 1 again.
    let again = store
        .put_agent("ad-1", &agent_doc("https://z.example.com"), None)
        .await
        .unwrap();
    assert_eq!(again.version, 1);
    assert!(store.agents_revision().await.unwrap() > r2);
}

pub(crate) async fn agents_revision_counts_only_writes(store: Arc<dyn TaskStore>) {
    let mut last = store.agents_revision().await.unwrap();
    let mut next = async |store: &Arc<dyn TaskStore>, changed: bool, what: &str| {
        let now = store.agents_revision().await.unwrap();
        if changed {
            assert!(now > last, "{what}: {last} -> {now}");
        } else {
            assert_eq!(now, last, "{what}");
        }
        last = now;
    };
    let doc = agent_doc("https://x.example.com");
    store.put_agent("arc-1", &doc, None).await.unwrap();
    next(&store, true, "create").await;
    store.get_agent("arc-1").await.unwrap();
    store.list_agents().await.unwrap();
    store.agents_revision().await.unwrap();
    next(&store, false, "reads").await;
    store.put_agent("arc-1", &doc, Some(1)).await.unwrap();
    next(&store, true, "update").await;
    assert!(store.put_agent("arc-1", &doc, None).await.is_err());
    assert!(store.put_agent("arc-1", &doc, Some(1)).await.is_err());
    assert!(store.put_agent("arc-none", &doc, Some(1)).await.is_err());
    assert!(store.delete_agent("arc-1", Some(1)).await.is_err());
    assert!(!store.delete_agent("arc-none", None).await.unwrap());
    next(&store, false, "failed writes").await;
    store.put_agent("arc-2", &doc, None).await.unwrap();
    next(&store, true, "another create").await;
    assert!(store.delete_agent("arc-1", None).await.unwrap());
    next(&store, true, "delete").await;
    // Task writes do not touch the registry.
    store
        .create("alice", &route(), new_task("arc-t", "c"))
        .await
        .unwrap();
    store
        .append("arc-t", &[status(TaskState::Working)])
        .await
        .unwrap();
    next(&store, false, "task writes").await;
    // The list's revision is the current one.
    let (revision, all) = store.list_agents().await.unwrap();
    assert_eq!(revision, last);
    assert_eq!(all.len(), 1);
}

pub(crate) async fn agents_doc_roundtrip(store: Arc<dyn TaskStore>) {
    let doc = serde_json::json!({
        "zeta": 1,
        "alpha": { "nested": [1, 2.5, -3, null, true, "x"], "empty": {} },
        "text": "naïve 日本 \u{0} \"quoted\" \\ \n tab\t",
        "big": 9_007_199_254_740_993_u64,
        "neg": i64::MIN,
        "long": "x".repeat(100_000),
    });
    let put = store.put_agent("adr-1", &doc, None).await.unwrap();
    assert_eq!(put.doc, doc);
    let got = store.get_agent("adr-1").await.unwrap().unwrap();
    assert_eq!(got.doc, doc);
    // Key order kept (the documents are shown to people).
    let keys: Vec<&String> = got.doc.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["zeta", "alpha", "text", "big", "neg", "long"]);
    assert_eq!(store.list_agents().await.unwrap().1[0].doc, doc);
    // Not only objects: the store does not interpret the document.
    let other = serde_json::json!(["a", 1]);
    let put = store.put_agent("adr-1", &other, Some(1)).await.unwrap();
    assert_eq!(store.get_agent("adr-1").await.unwrap().unwrap(), put);
}

pub(crate) async fn agents_concurrent_create_one_winner(store: Arc<dyn TaskStore>) {
    let before = store.agents_revision().await.unwrap();
    let names: Vec<String> = (0..8).map(|i| format!("acc-{i}")).collect();
    let races = names.iter().flat_map(|name| {
        let store = &store;
        (0..2).map(move |contender| {
            let store = Arc::clone(store);
            let name = name.clone();
            tokio::spawn(async move {
                let doc = agent_doc(&format!("https://{contender}.example.com"));
                let r = store.put_agent(&name, &doc, None).await;
                (name, doc, r)
            })
        })
    });
    let results = futures::future::join_all(races).await;
    let mut winners: HashMap<String, Vec<StoredAgent>> = HashMap::new();
    for r in results {
        let (name, doc, r) = r.unwrap();
        match r {
            Ok(agent) => {
                assert_eq!((agent.version, &agent.doc), (1, &doc));
                winners.entry(name).or_default().push(agent);
            }
            Err(StoreError::AlreadyExists(n)) => assert_eq!(n, name),
            Err(e) => panic!("{name}: {e}"),
        }
    }
    for name in &names {
        let won = winners.get(name).cloned().unwrap_or_default();
        assert_eq!(won.len(), 1, "{name}: winners {won:?}");
        assert_agent_stored(&*store, &won[0]).await;
    }
    // One revision step (at least) per successful write.
    let after = store.agents_revision().await.unwrap();
    assert!(after >= before + 8, "{before} -> {after}");
    let (revision, all) = store.list_agents().await.unwrap();
    assert_eq!((revision, all.len()), (after, 8));
}

pub(crate) async fn agents_concurrent_update_one_winner(store: Arc<dyn TaskStore>) {
    store
        .put_agent("acu-1", &agent_doc("https://v1.example.com"), None)
        .await
        .unwrap();
    for round in 1..=4_i64 {
        let races = (0..4).map(|contender| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let doc = agent_doc(&format!("https://r{round}-{contender}.example.com"));
                let r = store.put_agent("acu-1", &doc, Some(round)).await;
                (doc, r)
            })
        });
        let results = futures::future::join_all(races).await;
        let mut won = Vec::new();
        for r in results {
            let (doc, r) = r.unwrap();
            match r {
                Ok(agent) => {
                    assert_eq!((agent.version, &agent.doc), (round + 1, &doc));
                    won.push(agent);
                }
                Err(StoreError::Conflict(_)) => {}
                Err(e) => panic!("round {round}: {e}"),
            }
        }
        assert_eq!(won.len(), 1, "round {round}: winners {won:?}");
        assert_agent_stored(&*store, &won[0]).await;
    }
    // Concurrent deletes at one version: one deletes, the others find nothing or a conflict.
    let races = (0..4).map(|_| {
        let store = Arc::clone(&store);
        tokio::spawn(async move { store.delete_agent("acu-1", Some(5)).await })
    });
    let deleted = futures::future::join_all(races)
        .await
        .into_iter()
        .map(|r| r.unwrap().unwrap())
        .filter(|d| *d)
        .count();
    assert_eq!(deleted, 1);
    assert_eq!(store.get_agent("acu-1").await.unwrap(), None);
}
