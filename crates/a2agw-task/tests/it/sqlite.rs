//! The conformance suite on the SQLite store (a real file in a temporary directory per
//! test), plus what only SQLite has: persistence across reopen, migrations, corruption,
//! two stores on one file, agents across reopen and stores.

// Test helpers outside #[test] functions may unwrap: a failure is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::conformance::{
    all_events, assert_consistent, conformance_tests, new_task, status, user_message,
};
use crate::{route, scope};
use a2agw_task::{SqliteStore, StoreError, StoreResult, TaskStore};
use a2agw_types::*;
use sqlx::Connection as _;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tempfile::TempDir;

/// A `SqliteStore` that owns its temporary directory (removed when the store is dropped).
#[derive(Debug)]
pub(crate) struct TempSqlite {
    store: SqliteStore,
    _dir: TempDir,
}

impl TempSqlite {
    pub(crate) async fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path().join("tasks.db"))
            .await
            .unwrap();
        TempSqlite { store, _dir: dir }
    }
}

#[async_trait::async_trait]
impl TaskStore for TempSqlite {
    async fn create(
        &self,
        owner: &str,
        route: &a2agw_provider::Route,
        task: Task,
    ) -> StoreResult<a2agw_task::TaskRecord> {
        self.store.create(owner, route, task).await
    }
    async fn create_leased(
        &self,
        owner: &str,
        route: &a2agw_provider::Route,
        task: Task,
        holder: &str,
        ttl: Duration,
        events: &[a2agw_task::TaskEvent],
    ) -> StoreResult<a2agw_task::TaskRecord> {
        self.store
            .create_leased(owner, route, task, holder, ttl, events)
            .await
    }
    async fn append(
        &self,
        task_id: &str,
        events: &[a2agw_task::TaskEvent],
    ) -> StoreResult<a2agw_task::TaskRecord> {
        self.store.append(task_id, events).await
    }
    async fn get(
        &self,
        scope: a2agw_task::Scope<'_>,
        task_id: &str,
    ) -> StoreResult<Option<a2agw_task::TaskRecord>> {
        self.store.get(scope, task_id).await
    }
    async fn owner(&self, task_id: &str) -> StoreResult<Option<a2agw_task::TaskOwner>> {
        self.store.owner(task_id).await
    }
    async fn list(
        &self,
        scope: a2agw_task::Scope<'_>,
        request: &ListTasksRequest,
    ) -> StoreResult<ListTasksResponse> {
        self.store.list(scope, request).await
    }
    async fn events_after(
        &self,
        task_id: &str,
        after_seq: u64,
        limit: usize,
    ) -> StoreResult<Vec<a2agw_task::StoredEvent>> {
        self.store.events_after(task_id, after_seq, limit).await
    }
    fn watch(&self) -> tokio::sync::broadcast::Receiver<a2agw_task::Appended> {
        self.store.watch()
    }
    async fn put_push_config(&self, config: &TaskPushNotificationConfig) -> StoreResult<()> {
        self.store.put_push_config(config).await
    }
    async fn get_push_config(
        &self,
        task_id: &str,
        id: &str,
    ) -> StoreResult<Option<TaskPushNotificationConfig>> {
        self.store.get_push_config(task_id, id).await
    }
    async fn list_push_configs(
        &self,
        task_id: &str,
    ) -> StoreResult<Vec<TaskPushNotificationConfig>> {
        self.store.list_push_configs(task_id).await
    }
    async fn delete_push_config(&self, task_id: &str, id: &str) -> StoreResult<bool> {
        self.store.delete_push_config(task_id, id).await
    }
    async fn set_push_cursor(
        &self,
        task_id: &str,
        config_id: &str,
        delivered_seq: u64,
    ) -> StoreResult<()> {
        self.store
            .set_push_cursor(task_id, config_id, delivered_seq)
            .await
    }
    async fn push_backlog(
        &self,
        holder: &str,
        limit: usize,
    ) -> StoreResult<Vec<a2agw_task::PushBacklog>> {
        self.store.push_backlog(holder, limit).await
    }
    async fn try_claim_push(
        &self,
        task_id: &str,
        config_id: &str,
        holder: &str,
        ttl: Duration,
    ) -> StoreResult<Option<u64>> {
        self.store
            .try_claim_push(task_id, config_id, holder, ttl)
            .await
    }
    async fn release_push_claim(
        &self,
        task_id: &str,
        config_id: &str,
        holder: &str,
    ) -> StoreResult<()> {
        self.store
            .release_push_claim(task_id, config_id, holder)
            .await
    }
    async fn try_lease(&self, task_id: &str, holder: &str, ttl: Duration) -> StoreResult<bool> {
        self.store.try_lease(task_id, holder, ttl).await
    }
    async fn release_lease(&self, task_id: &str, holder: &str) -> StoreResult<()> {
        self.store.release_lease(task_id, holder).await
    }
    async fn orphaned(&self, limit: usize) -> StoreResult<Vec<String>> {
        self.store.orphaned(limit).await
    }
    async fn agents_revision(&self) -> StoreResult<i64> {
        self.store.agents_revision().await
    }
    async fn list_agents(&self) -> StoreResult<(i64, Vec<a2agw_task::StoredAgent>)> {
        self.store.list_agents().await
    }
    async fn get_agent(&self, name: &str) -> StoreResult<Option<a2agw_task::StoredAgent>> {
        self.store.get_agent(name).await
    }
    async fn put_agent(
        &self,
        name: &str,
        doc: &serde_json::Value,
        expected_version: Option<i64>,
    ) -> StoreResult<a2agw_task::StoredAgent> {
        self.store.put_agent(name, doc, expected_version).await
    }
    async fn delete_agent(&self, name: &str, expected_version: Option<i64>) -> StoreResult<bool> {
        self.store.delete_agent(name, expected_version).await
    }
}

conformance_tests!(async { Arc::new(TempSqlite::new().await) as Arc<dyn TaskStore> });

/// A plain connection to the file, for looking under the store.
async fn raw(path: &Path) -> sqlx::SqliteConnection {
    sqlx::SqliteConnection::connect_with(
        &sqlx::sqlite::SqliteConnectOptions::new()
            .filename(path)
            .busy_timeout(Duration::from_secs(5)),
    )
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reopen_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested").join("tasks.db");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let (record, events, config) = {
        let store = SqliteStore::open(&path).await.unwrap();
        store
            .create("alice", &route(), new_task("t1", "c1"))
            .await
            .unwrap();
        store
            .create("bob", &route(), new_task("t2", "c2"))
            .await
            .unwrap();
        store
            .append("t1", &[status(TaskState::Working), user_message("more")])
            .await
            .unwrap();
        let record = store
            .append("t1", &[crate::conformance::artifact("a", "x", false, true)])
            .await
            .unwrap();
        let config = TaskPushNotificationConfig {
            id: "cfg".into(),
            task_id: "t1".into(),
            url: "https://example.com/hook".into(),
            ..Default::default()
        };
        store.put_push_config(&config).await.unwrap();
        assert!(
            store
                .try_lease("t1", "me", Duration::from_secs(60))
                .await
                .unwrap()
        );
        let events = all_events(&store, "t1").await;
        store.close().await;
        (record, events, config)
    };
    assert!(path.exists());
    for round in 0..2 {
        let store = SqliteStore::open(&path).await.unwrap();
        assert_eq!(store.path(), path);
        let got = store.get(scope("alice"), "t1").await.unwrap().unwrap();
        if round == 0 {
            assert_eq!(got, record);
        } else {
            assert_eq!(
                got.task.history.last().unwrap().text_content(),
                "after reopen 0"
            );
        }
        assert_eq!(all_events(&store, "t1").await[..events.len()], events[..]);
        assert_consistent(&store, "alice", "t1").await;
        assert_consistent(&store, "bob", "t2").await;
        assert_eq!(
            store.owner("t2").await.unwrap().map(|o| o.owner).as_deref(),
            Some("bob")
        );
        assert_eq!(
            store.list_push_configs("t1").await.unwrap(),
            vec![config.clone()]
        );
        assert!(
            !store
                .try_lease("t1", "other", Duration::from_secs(1))
                .await
                .unwrap(),
            "the lease survives a restart"
        );
        assert_eq!(store.orphaned(10).await.unwrap(), ["t2"]);
        // Numbering goes on where it stopped.
        let rec = store
            .append("t1", &[user_message(&format!("after reopen {round}"))])
            .await
            .unwrap();
        assert_eq!(rec.last_seq, record.last_seq + 1 + round);
        store.close().await;
    }
    // The migrations (0001_init, 0002_push_cursor, 0003_push_claim, 0004_task_agent,
    // 0005_agents) were applied once; the file is in WAL mode.
    let mut conn = raw(&path).await;
    let (migrations,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM _sqlx_migrations")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(migrations, 5);
    let (mode,): (String,) = sqlx::query_as("PRAGMA journal_mode")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    let (ok,): (String,) = sqlx::query_as("PRAGMA integrity_check")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(ok, "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_fails_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    // A directory where the file should be.
    let err = SqliteStore::open(dir.path()).await.unwrap_err();
    assert!(matches!(err, StoreError::Backend(_)), "{err:?}");
    // Not a database.
    let path = dir.path().join("garbage.db");
    std::fs::write(&path, vec![0x42u8; 8192]).unwrap();
    let err = SqliteStore::open(&path).await.unwrap_err();
    assert!(
        matches!(&err, StoreError::Backend(m) if m.contains("garbage.db")),
        "{err:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupt_rows_are_errors_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tasks.db");
    let store = SqliteStore::open(&path).await.unwrap();
    store
        .create("alice", &route(), new_task("bad", "c"))
        .await
        .unwrap();
    store
        .create("alice", &route(), new_task("good", "c"))
        .await
        .unwrap();
    store
        .append("bad", &[status(TaskState::Working)])
        .await
        .unwrap();
    let config = TaskPushNotificationConfig {
        id: "cfg".into(),
        task_id: "bad".into(),
        url: "https://example.com".into(),
        ..Default::default()
    };
    store.put_push_config(&config).await.unwrap();
    let mut conn = raw(&path).await;
    sqlx::query("UPDATE tasks SET snapshot = '{not json' WHERE id = 'bad'")
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::query(
        "UPDATE events SET event = '{\"type\":\"nonsense\"}' WHERE task_id = 'bad' AND seq = 2",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    sqlx::query("UPDATE push_configs SET config = 'not json' WHERE task_id = 'bad'")
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();

    let names_bad = |r: Result<(), StoreError>| match r {
        Err(StoreError::Backend(m)) => assert!(m.contains("`bad`"), "{m}"),
        other => panic!("expected a backend error, got {other:?}"),
    };
    names_bad(store.get(scope("alice"), "bad").await.map(|_| ()));
    names_bad(store.append("bad", &[user_message("x")]).await.map(|_| ()));
    names_bad(
        store
            .list(scope("alice"), &ListTasksRequest::default())
            .await
            .map(|_| ()),
    );
    names_bad(store.events_after("bad", 0, 10).await.map(|_| ()));
    // Sequence numbers beyond i64 are just past the end.
    assert!(
        store
            .events_after("good", u64::MAX, 10)
            .await
            .unwrap()
            .is_empty()
    );
    names_bad(store.get_push_config("bad", "cfg").await.map(|_| ()));
    names_bad(store.list_push_configs("bad").await.map(|_| ()));
    // The first event is still readable, and the other task is unaffected, also when it is
    // written in the same batch as a failing request.
    assert_eq!(store.events_after("bad", 0, 1).await.unwrap().len(), 1);
    let (bad_events, good_events) = ([user_message("x")], [status(TaskState::Working)]);
    let (a, b) = tokio::join!(
        store.append("bad", &bad_events),
        store.append("good", &good_events)
    );
    assert!(a.is_err());
    assert_eq!(b.unwrap().last_seq, 2);
    assert_consistent(&store, "alice", "good").await;
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_stores_on_one_file_stay_consistent() {
    // Not a supported deployment (announcements stay in their process), but writes through
    // two stores on one file must still never corrupt a log: each writer re-reads the
    // snapshot inside its own write transaction.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tasks.db");
    let one = Arc::new(SqliteStore::open(&path).await.unwrap());
    let two = Arc::new(SqliteStore::open(&path).await.unwrap());
    one.create("alice", &route(), new_task("t", "c"))
        .await
        .unwrap();
    let writers: Vec<_> = [one.clone(), two.clone()]
        .into_iter()
        .enumerate()
        .map(|(w, store)| {
            tokio::spawn(async move {
                for i in 0..50 {
                    store
                        .append("t", &[user_message(&format!("{w}-{i}"))])
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    for w in writers {
        w.await.unwrap();
    }
    let rec = assert_consistent(&*one, "alice", "t").await;
    assert_eq!(rec.last_seq, 101);
    assert_eq!(two.get(scope("alice"), "t").await.unwrap(), Some(rec));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_commit_batches_many_writers() {
    // Many concurrent writers are served, each append answered with its own snapshot.
    let store = Arc::new(TempSqlite::new().await);
    let tasks: Vec<_> = (0..64)
        .map(|t| {
            let store = store.clone();
            tokio::spawn(async move {
                let id = format!("g{t}");
                store
                    .create("alice", &route(), new_task(&id, "c"))
                    .await
                    .unwrap();
                for i in 0..20u64 {
                    let rec = store
                        .append(&id, &[user_message(&format!("{i}"))])
                        .await
                        .unwrap();
                    assert_eq!(rec.last_seq, i + 2);
                    assert_eq!(
                        rec.task.history.last().unwrap().text_content(),
                        i.to_string()
                    );
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let list = store
        .list(
            scope("alice"),
            &ListTasksRequest {
                page_size: Some(100),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(list.total_size, 64);
    for t in &list.tasks {
        assert_eq!(
            assert_consistent(&*store, "alice", &t.id).await.last_seq,
            21
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_the_database_refuses_does_not_sink_its_batch() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tasks.db");
    let store = Arc::new(SqliteStore::open(&path).await.unwrap());
    for t in 0..20 {
        store
            .create("alice", &route(), new_task(&format!("t{t}"), "c"))
            .await
            .unwrap();
    }
    // A database-level refusal of one particular write.
    let mut conn = raw(&path).await;
    sqlx::query(
        "CREATE TRIGGER poison BEFORE INSERT ON events WHEN NEW.event LIKE '%poison%' \
         BEGIN SELECT RAISE(ABORT, 'poisoned'); END",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();
    let results = futures::future::join_all((0..20).map(|t| {
        let store = store.clone();
        async move {
            let text = if t == 7 { "poison" } else { "fine" };
            store.append(&format!("t{t}"), &[user_message(text)]).await
        }
    }))
    .await;
    for (t, result) in results.into_iter().enumerate() {
        if t == 7 {
            let err = result.unwrap_err();
            assert!(
                matches!(&err, StoreError::Backend(m) if m.contains("poisoned")),
                "{err:?}"
            );
            assert_eq!(assert_consistent(&*store, "alice", "t7").await.last_seq, 1);
        } else {
            assert_eq!(result.unwrap().last_seq, 2, "task t{t}");
            assert_consistent(&*store, "alice", &format!("t{t}")).await;
        }
    }
    // And the store goes on.
    assert_eq!(
        store
            .append("t7", &[user_message("ok now")])
            .await
            .unwrap()
            .last_seq,
        2
    );
}

/// A push config's delivery cursor is on disk: after a reopen the backlog resumes where
/// delivery stopped (push delivery's "no loss across a restart").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_cursor_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tasks.db");
    let config = TaskPushNotificationConfig {
        id: "cfg".into(),
        task_id: "t1".into(),
        url: "https://example.com/hook".into(),
        token: "tok".into(),
        ..Default::default()
    };
    {
        let store = SqliteStore::open(&path).await.unwrap();
        store
            .create("alice", &route(), new_task("t1", "c1"))
            .await
            .unwrap();
        store
            .append(
                "t1",
                &[status(TaskState::Working), status(TaskState::Completed)],
            )
            .await
            .unwrap();
        store.put_push_config(&config).await.unwrap();
        store.set_push_cursor("t1", "cfg", 2).await.unwrap();
        store.close().await;
    }
    let store = SqliteStore::open(&path).await.unwrap();
    let backlog = store.push_backlog("worker", 10).await.unwrap();
    assert_eq!(
        backlog,
        vec![a2agw_task::PushBacklog {
            config,
            delivered_seq: 2,
            last_seq: 3,
        }]
    );
    store.set_push_cursor("t1", "cfg", 3).await.unwrap();
    store.close().await;
    let store = SqliteStore::open(&path).await.unwrap();
    assert!(store.push_backlog("worker", 10).await.unwrap().is_empty());
    store.close().await;
}

/// Registered agents and the revision survive a reopen; the doc is stored as compact JSON;
/// a second store on the file sees the first one's writes (revision and rows), and the
/// writes of both stay atomic with their revision bump.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agents_survive_reopen_and_are_shared_by_stores_on_one_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tasks.db");
    let doc = serde_json::json!({ "url": "https://a.example.com", "tags": ["x", "y"] });
    let (agent, revision) = {
        let store = SqliteStore::open(&path).await.unwrap();
        store.put_agent("a1", &doc, None).await.unwrap();
        let agent = store.put_agent("a1", &doc, Some(1)).await.unwrap();
        store.put_agent("a2", &doc, None).await.unwrap();
        assert!(store.delete_agent("a2", None).await.unwrap());
        let revision = store.agents_revision().await.unwrap();
        store.close().await;
        (agent, revision)
    };
    let mut conn = raw(&path).await;
    let (text,): (String,) = sqlx::query_as("SELECT doc FROM agents WHERE name = 'a1'")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(text, r#"{"url":"https://a.example.com","tags":["x","y"]}"#);
    conn.close().await.unwrap();

    let one = Arc::new(SqliteStore::open(&path).await.unwrap());
    assert_eq!(
        one.list_agents().await.unwrap(),
        (revision, vec![agent.clone()])
    );
    let two = Arc::new(SqliteStore::open(&path).await.unwrap());
    let b = two.put_agent("b", &doc, None).await.unwrap();
    let seen = one.agents_revision().await.unwrap();
    assert!(seen > revision);
    assert_eq!(one.list_agents().await.unwrap(), (seen, vec![agent, b]));
    // A create race between the two stores: one wins.
    let r = tokio::join!(
        one.put_agent("c", &doc, None),
        two.put_agent("c", &doc, None)
    );
    assert!(
        matches!(
            r,
            (Ok(_), Err(StoreError::AlreadyExists(_))) | (Err(StoreError::AlreadyExists(_)), Ok(_))
        ),
        "{r:?}"
    );
}
