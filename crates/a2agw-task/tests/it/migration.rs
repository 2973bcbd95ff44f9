//! Migration 0004 (the task's agent as a column, reads scoped by owner and agent) on
//! databases written by the code before it (`tests/data/`, see its README): every task
//! keeps its agent and is found in its scope only, an interrupted task resumes on the
//! provider its log names, push configs and logs are intact, and new tasks work beside
//! the old ones. Migration 0005 (agents registered at run time) gives them an empty agent
//! registry at revision 0, which then works.

use a2agw_provider::{DemoProvider, Provider, Route};
use a2agw_task::{Engine, EngineConfig, Scope, SendOutcome, TaskStore, fold};
use a2agw_types::{ListTasksRequest, Message, Role, SendMessageRequest, TaskState};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// The principal and agent of the fixtures' tasks (the binary's defaults).
const OWNER: &str = "anonymous";
const AGENT: &str = "demo";

async fn check_migrated(store: Arc<dyn TaskStore>) {
    // No agents registered yet, the revision readable; the registry works.
    assert_eq!(store.agents_revision().await.unwrap(), 0);
    assert_eq!(store.list_agents().await.unwrap(), (0, vec![]));
    assert_eq!(store.get_agent(AGENT).await.unwrap(), None);
    let doc = serde_json::json!({ "url": "https://agent.example.com" });
    let agent = store.put_agent("registered", &doc, None).await.unwrap();
    let revision = store.agents_revision().await.unwrap();
    assert!(revision > 0);
    assert_eq!(store.list_agents().await.unwrap(), (revision, vec![agent]));

    let scope = Scope::new(OWNER, AGENT);
    let all = store
        .list(scope, &ListTasksRequest::default())
        .await
        .unwrap();
    assert_eq!(all.total_size, 3, "{all:?}");
    let mut waiting = None;
    for task in &all.tasks {
        let owner = store.owner(&task.id).await.unwrap().unwrap();
        assert_eq!((owner.owner.as_str(), owner.agent.as_str()), (OWNER, AGENT));
        let record = store.get(scope, &task.id).await.unwrap().unwrap();
        assert_eq!(record.route(), Route::agent(AGENT));
        // The log still folds into the snapshot.
        let events = store.events_after(&task.id, 0, 1000).await.unwrap();
        assert_eq!(fold(events.iter().map(|e| &e.event)).unwrap(), record);
        // Not in another agent's scope, nor another owner's.
        assert_eq!(
            store
                .get(Scope::new(OWNER, "other"), &task.id)
                .await
                .unwrap(),
            None
        );
        assert_eq!(
            store.get(Scope::new("bob", AGENT), &task.id).await.unwrap(),
            None
        );
        if task.status.state == TaskState::InputRequired {
            waiting = Some(task.id.clone());
        }
    }
    let other = store
        .list(Scope::new(OWNER, "other"), &ListTasksRequest::default())
        .await
        .unwrap();
    assert_eq!(other.total_size, 0);
    let waiting = waiting.expect("the fixture's INPUT_REQUIRED task");
    let configs = store.list_push_configs(&waiting).await.unwrap();
    assert_eq!(configs.len(), 1);
    assert_eq!(configs[0].url, "https://hooks.example.com/a2a");

    // The interrupted task resumes on its recorded agent, and new tasks work beside it.
    let demo: Arc<dyn Provider> = Arc::new(DemoProvider {
        step: Duration::from_millis(1),
    });
    let engine = Engine::new(
        Arc::clone(&store),
        HashMap::from([(AGENT.to_owned(), demo)]),
        EngineConfig::default(),
    );
    let mut reply = Message::text(Role::User, "m-after-migration", "Ada");
    reply.task_id.clone_from(&waiting);
    let send = |message: Message| SendMessageRequest {
        message,
        ..SendMessageRequest::default()
    };
    let SendOutcome::Task(rec) = engine.send(OWNER, AGENT, send(reply)).await.unwrap() else {
        panic!("a task")
    };
    let done = engine.wait_settled(scope, &rec, None).await.unwrap();
    assert_eq!(done.status.state, TaskState::Completed, "{done:?}");
    let SendOutcome::Task(rec) = engine
        .send(
            OWNER,
            AGENT,
            send(Message::text(Role::User, "m-new", "hello")),
        )
        .await
        .unwrap()
    else {
        panic!("a task")
    };
    let done = engine.wait_settled(scope, &rec, None).await.unwrap();
    assert_eq!(done.status.state, TaskState::Completed);
    let all = store
        .list(scope, &ListTasksRequest::default())
        .await
        .unwrap();
    assert_eq!(all.total_size, 4);
}

#[cfg(feature = "sqlite")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_database_of_the_previous_schema_is_migrated() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tasks.db");
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/pre-0004.sqlite"),
        &path,
    )
    .unwrap();
    let store = a2agw_task::SqliteStore::open(&path).await.unwrap();
    check_migrated(Arc::new(store)).await;
}

#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_database_of_the_previous_schema_is_migrated() {
    let schema = crate::postgres::fresh_schema();
    let dump = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/pre-0004.postgres.sql"
    ))
    .unwrap()
    .replace("a2agw_pre0004", &schema);
    let pool = sqlx::PgPool::connect(&crate::postgres::url())
        .await
        .unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(dump))
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let store = crate::postgres::open(&schema).await;
    check_migrated(Arc::new(store)).await;
}
