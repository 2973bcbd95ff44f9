//! The PostgreSQL store: the conformance suite, then what only a shared database does —
//! two independent instances (two pools) on one schema, group commit under concurrency,
//! the listener's reconnection, registered agents shared by instances.
//!
//! The server is `A2AGW_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/test`);
//! it must be reachable: these tests fail, not skip, without it. Each test has a schema of
//! its own, so they run in parallel; schemas left by runs more than an hour old are dropped.

use crate::conformance::{conformance_tests, new_task};
use crate::{route, scope};
use a2agw_task::*;
use a2agw_types::*;
use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::broadcast;

/// Prefix of the schemas these tests create (followed by `<unix seconds>_<random>`).
const SCHEMA_PREFIX: &str = "a2agw_it_";

/// The test server.
pub(crate) fn url() -> String {
    std::env::var("A2AGW_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// A schema name no other test uses.
pub(crate) fn fresh_schema() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let random = uuid::Uuid::new_v4().simple().to_string();
    format!("{SCHEMA_PREFIX}{secs}_{}", &random[..12])
}

/// A store on a new schema.
pub(crate) async fn store() -> PostgresStore {
    let schema = fresh_schema();
    let store = open(&schema).await;
    drop_stale_schemas(&store).await;
    store
}

/// A store on `schema` (a second instance when the schema is in use).
pub(crate) async fn open(schema: &str) -> PostgresStore {
    PostgresStore::connect_with_schema(&url(), schema)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL at {} (A2AGW_TEST_POSTGRES_URL): {e}", url()))
}

/// Drops, once per process, the test schemas created more than an hour ago.
async fn drop_stale_schemas(store: &PostgresStore) {
    static DONE: AtomicBool = AtomicBool::new(false);
    if DONE.swap(true, Ordering::SeqCst) {
        return;
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let names: Vec<String> =
        sqlx::query_scalar("SELECT nspname::text FROM pg_namespace WHERE starts_with(nspname, $1)")
            .bind(SCHEMA_PREFIX)
            .fetch_all(store.pool())
            .await
            .unwrap_or_default();
    for name in names {
        let created = name
            .strip_prefix(SCHEMA_PREFIX)
            .and_then(|rest| rest.split('_').next())
            .and_then(|secs| secs.parse::<u64>().ok());
        if created.is_some_and(|secs| secs + 3600 < now) {
            // Another process may be dropping it too: errors do not matter.
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP SCHEMA IF EXISTS \"{name}\" CASCADE"
            )))
            .execute(store.pool())
            .await;
        }
    }
}

conformance_tests!(async { Arc::new(store().await) as Arc<dyn TaskStore> });

fn working() -> TaskEvent {
    TaskEvent::Status {
        status: TaskStatus::now(TaskState::Working),
        metadata: None,
    }
}

fn completed() -> TaskEvent {
    TaskEvent::Status {
        status: TaskStatus::now(TaskState::Completed),
        metadata: None,
    }
}

/// Waits for an announcement of `task_id` reaching `last_seq` (other announcements are
/// skipped).
async fn wait_for(rx: &mut broadcast::Receiver<Appended>, task_id: &str, last_seq: u64) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, rx.recv()).await {
            Ok(Ok(a)) if a.task_id == task_id && a.last_seq >= last_seq => {
                assert_eq!(a.last_seq, last_seq, "announced seq");
                return;
            }
            Ok(Ok(_)) => {}
            Ok(Err(e)) => panic!("watch: {e}"),
            Err(_) => panic!("no announcement of {task_id}:{last_seq} within 10s"),
        }
    }
}

/// The log has seqs 1..=n and the snapshot is its fold.
async fn assert_consistent(store: &dyn TaskStore, owner: &str, task_id: &str) -> TaskRecord {
    let record = store.get(scope(owner), task_id).await.unwrap().unwrap();
    let events = store.events_after(task_id, 0, usize::MAX).await.unwrap();
    let seqs: Vec<u64> = events.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=record.last_seq).collect::<Vec<_>>(), "{task_id}");
    assert_eq!(fold(events.iter().map(|e| &e.event)).unwrap(), record);
    record
}

/// A subscriber on instance B is woken by appends made through instance A (another pool,
/// as another gateway process would), and reads A's events through B.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_instance_watch_and_read() {
    let schema = fresh_schema();
    let a = open(&schema).await;
    let b = open(&schema).await;
    let mut rx = b.watch();

    a.create("alice", &route(), new_task("t1", "c1"))
        .await
        .unwrap();
    wait_for(&mut rx, "t1", 1).await;
    a.append("t1", &[working()]).await.unwrap();
    wait_for(&mut rx, "t1", 2).await;
    let record = a
        .append(
            "t1",
            &[
                TaskEvent::Artifact {
                    artifact: Artifact {
                        artifact_id: "a1".into(),
                        parts: vec![Part::text("chunk 1")],
                        ..Artifact::default()
                    },
                    append: false,
                    last_chunk: false,
                    metadata: None,
                },
                completed(),
            ],
        )
        .await
        .unwrap();
    assert_eq!(record.last_seq, 4);
    wait_for(&mut rx, "t1", 4).await;

    let through_a = a.events_after("t1", 0, 100).await.unwrap();
    let through_b = b.events_after("t1", 0, 100).await.unwrap();
    assert_eq!(through_b.len(), 4);
    assert_eq!(through_a, through_b);
    assert_eq!(b.events_after("t1", 2, 100).await.unwrap(), through_a[2..]);
    assert_eq!(
        b.get(scope("alice"), "t1").await.unwrap(),
        Some(record.clone())
    );
    assert_consistent(&b, "alice", "t1").await;

    // B's own appends reach A's subscribers the same way.
    let mut rx_a = a.watch();
    b.create("bob", &route(), new_task("t2", "c2"))
        .await
        .unwrap();
    b.append("t2", &[working()]).await.unwrap();
    wait_for(&mut rx_a, "t2", 2).await;
}

/// Leases across instances: A leases a task and dies without releasing it; B sees the task
/// orphaned only once the lease expires, and can then take it over.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lease_takeover_across_instances() {
    let schema = fresh_schema();
    let a = open(&schema).await;
    let b = open(&schema).await;
    a.create("alice", &route(), new_task("t1", "c1"))
        .await
        .unwrap();
    assert_eq!(b.orphaned(10).await.unwrap(), vec!["t1".to_owned()]);

    let ttl = Duration::from_secs(2);
    let leased = Instant::now();
    assert!(a.try_lease("t1", "instance-a", ttl).await.unwrap());
    assert!(!b.try_lease("t1", "instance-b", ttl).await.unwrap());
    // Releasing someone else's lease does nothing.
    b.release_lease("t1", "instance-b").await.unwrap();
    assert!(!b.try_lease("t1", "instance-b", ttl).await.unwrap());
    assert!(b.orphaned(10).await.unwrap().is_empty());

    // A dies: no release.
    drop(a);
    assert!(
        leased.elapsed() < ttl,
        "test too slow to check the live lease"
    );
    assert!(b.orphaned(10).await.unwrap().is_empty());
    assert!(!b.try_lease("t1", "instance-b", ttl).await.unwrap());

    // After expiry (by the database's clock) B finds it and takes it over.
    let deadline = Instant::now() + Duration::from_secs(10);
    while b.orphaned(10).await.unwrap().is_empty() {
        assert!(Instant::now() < deadline, "lease never expired");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(leased.elapsed() >= ttl - Duration::from_millis(100));
    assert_eq!(b.orphaned(10).await.unwrap(), vec!["t1".to_owned()]);
    assert!(b.try_lease("t1", "instance-b", ttl).await.unwrap());
    assert!(b.orphaned(10).await.unwrap().is_empty());

    // A restarted instance A now finds B's lease.
    let a2 = open(&schema).await;
    assert!(!a2.try_lease("t1", "instance-a", ttl).await.unwrap());
    b.release_lease("t1", "instance-b").await.unwrap();
    assert!(a2.try_lease("t1", "instance-a", ttl).await.unwrap());

    // A terminal task is never orphaned, lease or not.
    a2.append("t1", &[completed()]).await.unwrap();
    a2.release_lease("t1", "instance-a").await.unwrap();
    assert!(b.orphaned(10).await.unwrap().is_empty());
}

/// Many writers on many tasks, several per task, through two instances: group commit
/// batches them, and every task's log stays gapless with the snapshot equal to its fold.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_appends_are_gapless() {
    const TASKS: usize = 16;
    const WRITERS_PER_TASK: usize = 4;
    const APPENDS: usize = 25;
    let schema = fresh_schema();
    let a = Arc::new(open(&schema).await);
    let b = Arc::new(open(&schema).await);
    for t in 0..TASKS {
        a.create("alice", &route(), new_task(&format!("t{t}"), "c"))
            .await
            .unwrap();
    }
    let mut writers = Vec::new();
    for t in 0..TASKS {
        for w in 0..WRITERS_PER_TASK {
            let store = if w % 2 == 0 { a.clone() } else { b.clone() };
            writers.push(tokio::spawn(async move {
                let id = format!("t{t}");
                let mut seqs = Vec::new();
                for _ in 0..APPENDS {
                    seqs.push(store.append(&id, &[working()]).await.unwrap().last_seq);
                }
                seqs
            }));
        }
    }
    let mut acked: Vec<HashSet<u64>> = vec![HashSet::new(); TASKS];
    for (i, w) in writers.into_iter().enumerate() {
        for seq in w.await.unwrap() {
            assert!(
                acked[i / WRITERS_PER_TASK].insert(seq),
                "seq {seq} acked twice"
            );
        }
    }
    for (t, acked) in acked.iter().enumerate() {
        let id = format!("t{t}");
        let record = assert_consistent(&*b, "alice", &id).await;
        assert_eq!(record.last_seq, 1 + (WRITERS_PER_TASK * APPENDS) as u64);
        assert_eq!(*acked, (2..=record.last_seq).collect());
    }
}

/// An illegal append fails alone, writes nothing, and does not disturb the appends that
/// were committed in the same batch.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn illegal_append_fails_alone() {
    let store = Arc::new(store().await);
    store
        .create("alice", &route(), new_task("done", "c"))
        .await
        .unwrap();
    store.append("done", &[completed()]).await.unwrap();
    for t in 0..8 {
        store
            .create("alice", &route(), new_task(&format!("t{t}"), "c"))
            .await
            .unwrap();
    }
    let mut jobs = Vec::new();
    for round in 0..20 {
        for t in 0..8 {
            let store = store.clone();
            jobs.push(tokio::spawn(async move {
                store
                    .append(&format!("t{t}"), &[working()])
                    .await
                    .map(|_| ())
            }));
        }
        let s = store.clone();
        jobs.push(tokio::spawn(async move {
            // Legal first event, illegal second: the whole append must be refused.
            let r = s.append("done", &[working()]).await;
            assert!(
                matches!(r, Err(StoreError::Transition { .. })),
                "round {round}: {r:?}"
            );
            Ok(())
        }));
        let s = store.clone();
        jobs.push(tokio::spawn(async move {
            let r = s.append("missing", &[working()]).await;
            assert!(matches!(r, Err(StoreError::NotFound(_))), "{r:?}");
            Ok(())
        }));
    }
    for j in jobs {
        j.await.unwrap().unwrap();
    }
    assert_eq!(
        assert_consistent(&*store, "alice", "done").await.last_seq,
        2
    );
    for t in 0..8 {
        let r = assert_consistent(&*store, "alice", &format!("t{t}")).await;
        assert_eq!(r.last_seq, 21);
    }
    // Within one append: a legal event followed by an illegal one writes nothing.
    let r = store
        .append("t0", &[working(), completed(), working()])
        .await;
    assert!(matches!(r, Err(StoreError::Transition { .. })), "{r:?}");
    assert_eq!(assert_consistent(&*store, "alice", "t0").await.last_seq, 21);
}

/// Documents come back exactly as they went in: object key order (clients see it in
/// metadata) and strings PostgreSQL's `jsonb` would refuse (`\u0000`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_is_stored_verbatim() {
    let store = store().await;
    store
        .create("alice", &route(), new_task("t1", "c1"))
        .await
        .unwrap();
    let mut metadata = Metadata::new();
    metadata.insert("zeta".into(), serde_json::json!(1));
    metadata.insert(
        "alpha".into(),
        serde_json::json!({"y": 2, "b": [1.5, "x\u{0}y"]}),
    );
    let event = TaskEvent::Status {
        status: TaskStatus {
            message: Some(Message::text(Role::Agent, "m2", "nul \u{0} here")),
            ..TaskStatus::now(TaskState::Working)
        },
        metadata: Some(metadata),
    };
    let record = store
        .append("t1", std::slice::from_ref(&event))
        .await
        .unwrap();
    let stored = store.events_after("t1", 1, 10).await.unwrap();
    assert_eq!(
        serde_json::to_string(&stored[0].event).unwrap(),
        serde_json::to_string(&event).unwrap()
    );
    let got = store.get(scope("alice"), "t1").await.unwrap().unwrap();
    assert_eq!(
        serde_json::to_string(&got).unwrap(),
        serde_json::to_string(&record).unwrap()
    );
}

/// Instances starting at the same moment on a new schema all succeed (the schema is
/// created and migrated once), and starting again is a no-op.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_starts_migrate_once() {
    let schema = fresh_schema();
    let starts = (0..4).map(|_| {
        let schema = schema.clone();
        tokio::spawn(async move { open(&schema).await })
    });
    let stores = futures::future::join_all(starts).await;
    let stores: Vec<PostgresStore> = stores.into_iter().map(Result::unwrap).collect();
    stores[0]
        .create("alice", &route(), new_task("t1", "c1"))
        .await
        .unwrap();
    drop(stores);
    let again = open(&schema).await;
    assert!(again.get(scope("alice"), "t1").await.unwrap().is_some());
    // Each migration recorded once (the version is the key), all successful.
    let (applied, ok): (i64, bool) =
        sqlx::query_as("SELECT count(*), bool_and(success) FROM a2agw_task_migrations")
            .fetch_one(again.pool())
            .await
            .unwrap();
    assert!(
        applied >= 1 && ok,
        "{applied} migrations, all successful: {ok}"
    );
}

/// Invalid schema names are refused before anything is sent to the database.
#[tokio::test]
async fn invalid_schema_is_refused() {
    for bad in ["Upper", "semi;colon", "quo\"te", ""] {
        let r = PostgresStore::connect_with_schema(&url(), bad).await;
        assert!(matches!(r, Err(StoreError::Backend(_))), "{bad}");
    }
}

/// When the listening connection dies, the listener reconnects and announcements from
/// other instances resume.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listener_reconnects() {
    let schema = fresh_schema();
    let a = open(&schema).await;
    let b = open(&schema).await;
    let mut rx = b.watch();
    a.create("alice", &route(), new_task("t1", "c1"))
        .await
        .unwrap();
    wait_for(&mut rx, "t1", 1).await;

    // Kill every connection listening on the schema's channel (A's and B's listeners).
    let listen = format!("LISTEN \"{}\"", b.channel());
    let killed: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = $1",
    )
    .bind(&listen)
    .fetch_all(a.pool())
    .await
    .unwrap();
    assert_eq!(killed.len(), 2, "expected two listening connections");

    // Appends through A until B announces one (the listener may take a moment to return).
    let deadline = Instant::now() + Duration::from_secs(20);
    let last = 'outer: loop {
        assert!(Instant::now() < deadline, "B's listener never came back");
        let last = a.append("t1", &[working()]).await.unwrap().last_seq;
        let until = Instant::now() + Duration::from_millis(500);
        while let Ok(r) = tokio::time::timeout_at(until.into(), rx.recv()).await {
            match r {
                Ok(a) if a.task_id == "t1" && a.last_seq == last => break 'outer last,
                Ok(_) => {}
                Err(e) => panic!("watch: {e}"),
            }
        }
    };
    assert!(last >= 2);
}

/// The PostgreSQL crash child (a no-op unless run by [`crash_safety`]). Its spec is
/// `postgres:<schema>:<url>`.
#[cfg(feature = "sqlite")]
#[test]
fn crash_child() {
    crate::crash::child_main(|spec| async move {
        let (schema, url) = spec
            .strip_prefix("postgres:")
            .and_then(|rest| rest.split_once(':'))
            .unwrap_or_else(|| panic!("unknown crash backend spec `{spec}`"));
        let store = PostgresStore::connect_with_schema(url, schema)
            .await
            .unwrap();
        Arc::new(store) as Arc<dyn TaskStore>
    });
}

/// SIGKILL a child appending through `PostgresStore` (group commit, 8 writers): every
/// acknowledged append is stored, every snapshot is the fold of its log, and the tables
/// agree with each other.
#[cfg(feature = "sqlite")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_safety() {
    let schema = fresh_schema();
    let spec = format!("postgres:{schema}:{}", url());
    crate::crash::crash_rounds("postgres::crash_child", &spec, 5, || {
        let schema = schema.clone();
        async move {
            let store = open(&schema).await;
            // Every task's log is 1..=last_seq, no more, no less.
            let bad: Vec<String> = sqlx::query_scalar(
                "SELECT t.id FROM tasks t
                 LEFT JOIN (SELECT task_id, count(*) AS n, min(seq) AS lo, max(seq) AS hi
                            FROM events GROUP BY task_id) e ON e.task_id = t.id
                 WHERE e.n IS DISTINCT FROM t.last_seq OR e.lo <> 1 OR e.hi <> t.last_seq",
            )
            .fetch_all(store.pool())
            .await
            .unwrap();
            assert!(
                bad.is_empty(),
                "tasks whose log disagrees with last_seq: {bad:?}"
            );
            let strays: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM events e WHERE NOT EXISTS
                    (SELECT 1 FROM tasks t WHERE t.id = e.task_id)",
            )
            .fetch_one(store.pool())
            .await
            .unwrap();
            assert_eq!(strays, 0, "events of no task");
            Arc::new(store) as Arc<dyn TaskStore>
        }
    })
    .await;
}

/// The snapshot a store keeps of its last write is not used once the task was replaced
/// behind its back, even with the same id and sequence number (the incarnation differs).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cached_snapshot_is_checked() {
    let schema = fresh_schema();
    let a = open(&schema).await;
    let b = open(&schema).await;
    a.create("alice", &route(), new_task("t1", "c1"))
        .await
        .unwrap();
    a.append("t1", &[working(), working()]).await.unwrap();
    // Replaced by hand (no API deletes a task), then rebuilt through B to the same seq.
    sqlx::query("DELETE FROM tasks WHERE id = 't1'")
        .execute(b.pool())
        .await
        .unwrap();
    b.create("bob", &route(), new_task("t1", "other context"))
        .await
        .unwrap();
    let message = TaskEvent::UserMessage {
        message: Message::text(Role::User, "m-b", "from b"),
    };
    let rec = b.append("t1", &[message.clone(), message]).await.unwrap();
    assert_eq!(rec.last_seq, 3);
    // A appends on top of B's task, not of what A wrote before.
    let rec = a.append("t1", &[working()]).await.unwrap();
    assert_eq!(rec.task.context_id, "other context");
    assert_eq!(rec.task.history.len(), 3);
    assert_eq!(assert_consistent(&a, "bob", "t1").await, rec);
}

/// Ids are ordered byte-wise, as by every backend (and so are page tokens), whatever the
/// database's collation: the same tasks list the same here and in the memory store.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_orders_ids_bytewise() {
    let pg = store().await;
    let memory = MemoryStore::new();
    let stamp = Timestamp::from_unix_millis(1_700_000_000_000).unwrap();
    for id in ["a", "B", "_x", "é", "Z9", "a-b", "ab", "A"] {
        let mut task = new_task(id, "c");
        task.status.timestamp = Some(stamp);
        pg.create("alice", &route(), task.clone()).await.unwrap();
        memory.create("alice", &route(), task).await.unwrap();
    }
    async fn ids(store: &dyn TaskStore, page_size: i32) -> Vec<String> {
        let mut out = Vec::new();
        let mut token = String::new();
        loop {
            let page = store
                .list(
                    scope("alice"),
                    &ListTasksRequest {
                        page_size: Some(page_size),
                        page_token: token,
                        ..ListTasksRequest::default()
                    },
                )
                .await
                .unwrap();
            out.extend(page.tasks.into_iter().map(|t| t.id));
            if page.next_page_token.is_empty() {
                return out;
            }
            token = page.next_page_token;
        }
    }
    let expected = ids(&memory, 100).await;
    assert_eq!(expected, ["é", "ab", "a-b", "a", "_x", "Z9", "B", "A"]);
    assert_eq!(ids(&pg, 100).await, expected);
    assert_eq!(ids(&pg, 3).await, expected);
    assert_eq!(ids(&pg, 1).await, expected);
}

/// Polls `store`'s registry revision until it differs from `seen` (at most 2 s, the bound
/// instances promise each other), and returns it.
async fn revision_after(store: &dyn TaskStore, seen: i64) -> i64 {
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        let now = store.agents_revision().await.unwrap();
        if now != seen {
            assert!(now > seen, "the revision went back: {seen} -> {now}");
            return now;
        }
        assert!(Instant::now() < deadline, "revision still {seen} after 2s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Two instances (two pools) on one schema: each sees the other's agent writes — the
/// revision moves and the list shows them —, races between them have one winner, and docs
/// are stored as compact JSON.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agents_are_shared_by_instances() {
    let schema = fresh_schema();
    let a = Arc::new(open(&schema).await);
    let b = Arc::new(open(&schema).await);
    let seen = b.agents_revision().await.unwrap();
    assert_eq!(b.list_agents().await.unwrap(), (seen, vec![]));

    let doc = serde_json::json!({ "url": "https://x.example.com", "skills": ["echo"] });
    let created = a.put_agent("shared", &doc, None).await.unwrap();
    let seen = revision_after(&*b, seen).await;
    assert_eq!(
        b.list_agents().await.unwrap(),
        (seen, vec![created.clone()])
    );
    assert_eq!(b.get_agent("shared").await.unwrap(), Some(created.clone()));

    // B updates, A sees it; A's stale update is a conflict.
    let seen_a = a.agents_revision().await.unwrap();
    assert_eq!(seen_a, seen);
    let doc2 = serde_json::json!({ "url": "https://y.example.com" });
    let updated = b.put_agent("shared", &doc2, Some(1)).await.unwrap();
    assert_eq!(updated.version, 2);
    let seen_a = revision_after(&*a, seen_a).await;
    assert_eq!(
        a.list_agents().await.unwrap(),
        (seen_a, vec![updated.clone()])
    );
    let r = a.put_agent("shared", &doc, Some(1)).await;
    assert!(matches!(r, Err(StoreError::Conflict(_))), "{r:?}");

    // Stored compact, by the database clock near ours.
    let text: String = sqlx::query_scalar("SELECT doc::text FROM agents WHERE name = 'shared'")
        .fetch_one(a.pool())
        .await
        .unwrap();
    assert_eq!(text, r#"{"url":"https://y.example.com"}"#);
    let ours = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis();
    let skew = i64::try_from(ours).unwrap() - updated.updated_ms;
    assert!(
        skew.abs() < 60_000,
        "updated_ms {} vs {ours}",
        updated.updated_ms
    );

    // Races across the instances: one create wins, one update at a version wins.
    for round in 0..8 {
        let name = format!("race-{round}");
        let (ra, rb) = tokio::join!(
            a.put_agent(&name, &doc, None),
            b.put_agent(&name, &doc2, None)
        );
        let winner = match (ra, rb) {
            (Ok(w), Err(StoreError::AlreadyExists(_)))
            | (Err(StoreError::AlreadyExists(_)), Ok(w)) => w,
            other => panic!("{name}: {other:?}"),
        };
        let (ra, rb) = tokio::join!(
            a.put_agent(&name, &doc, Some(1)),
            b.put_agent(&name, &doc2, Some(1))
        );
        let updated = match (ra, rb) {
            (Ok(w), Err(StoreError::Conflict(_))) | (Err(StoreError::Conflict(_)), Ok(w)) => w,
            other => panic!("{name}: {other:?}"),
        };
        assert_eq!(
            (updated.version, updated.created_ms),
            (2, winner.created_ms)
        );
        assert_eq!(a.get_agent(&name).await.unwrap(), Some(updated.clone()));
        assert_eq!(b.get_agent(&name).await.unwrap(), Some(updated));
    }

    // A delete through A: B's list no longer has it.
    let before = b.agents_revision().await.unwrap();
    assert!(a.delete_agent("shared", Some(2)).await.unwrap());
    let seen = revision_after(&*b, before).await;
    let (revision, all) = b.list_agents().await.unwrap();
    assert_eq!(revision, seen);
    assert!(all.iter().all(|x| x.name != "shared"), "{all:?}");
    assert_eq!(all.len(), 8);
    // Another schema is another registry.
    let other = store().await;
    assert_eq!(other.list_agents().await.unwrap(), (0, vec![]));
}
