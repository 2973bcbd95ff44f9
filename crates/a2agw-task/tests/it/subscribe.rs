//! Subscriptions racing a writer: subscribers that attach at arbitrary points while a
//! writer appends get every event after their starting point exactly once, in order,
//! with no gap at the seam between replay and live (memory, SQLite and PostgreSQL).

use crate::conformance::new_task;
use crate::{route, scope};
use a2agw_task::*;
use a2agw_types::*;
use futures::StreamExt;
use std::sync::Arc;
use std::time::Duration;

const EVENTS: u64 = 300;

fn progress(i: u64) -> TaskEvent {
    TaskEvent::Status {
        status: TaskStatus {
            state: TaskState::Working,
            message: Some(Message::text(
                Role::Agent,
                format!("p{i}"),
                format!("step {i}"),
            )),
            timestamp: None,
        },
        metadata: None,
    }
}

pub(crate) async fn race(store: Arc<dyn TaskStore>) {
    let id = format!("race-{}", uuid::Uuid::new_v4().simple());
    store
        .create("alice", &route(), new_task(&id, "c"))
        .await
        .unwrap();
    let writer = {
        let (store, id) = (Arc::clone(&store), id.clone());
        tokio::spawn(async move {
            for i in 0..EVENTS {
                // Mostly single appends, sometimes small batches.
                if i % 7 == 0 {
                    store
                        .append(&id, &[progress(i), progress(i + 1000)])
                        .await
                        .unwrap();
                } else {
                    store.append(&id, &[progress(i)]).await.unwrap();
                }
                if i % 50 == 0 {
                    tokio::task::yield_now().await;
                }
            }
            let done = TaskEvent::Status {
                status: TaskStatus::now(TaskState::Completed),
                metadata: None,
            };
            store.append(&id, &[done]).await.unwrap().last_seq
        })
    };
    // Subscribers attach while the writer runs, each from the log's current end or from 0.
    let mut subs = Vec::new();
    for k in 0..12u64 {
        tokio::time::sleep(Duration::from_millis(k * 3)).await;
        let after = if k % 3 == 0 {
            0
        } else {
            store
                .get(scope("alice"), &id)
                .await
                .unwrap()
                .unwrap()
                .last_seq
        };
        let s = subscribe(Arc::clone(&store), &id, after);
        subs.push(tokio::spawn(async move {
            let seqs: Vec<u64> = s.map(|e| e.unwrap().seq).collect().await;
            (after, seqs)
        }));
    }
    let last = writer.await.unwrap();
    for s in subs {
        let (after, seqs) = tokio::time::timeout(Duration::from_secs(30), s)
            .await
            .expect("subscriber finished")
            .unwrap();
        let expected: Vec<u64> = (after + 1..=last).collect();
        assert_eq!(
            seqs, expected,
            "subscriber from {after}: gap, duplicate or reorder"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn race_memory() {
    race(Arc::new(MemoryStore::new())).await;
}

#[cfg(feature = "sqlite")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn race_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    race(Arc::new(
        SqliteStore::open(dir.path().join("race.db")).await.unwrap(),
    ))
    .await;
}

#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn race_postgres_across_pools() {
    // The writer appends through one pool; subscribers read through another instance.
    let schema = crate::postgres::fresh_schema();
    let writer_side: Arc<dyn TaskStore> = Arc::new(crate::postgres::open(&schema).await);
    let reader_side: Arc<dyn TaskStore> = Arc::new(crate::postgres::open(&schema).await);
    let id = format!("race-{}", uuid::Uuid::new_v4().simple());
    writer_side
        .create("alice", &route(), new_task(&id, "c"))
        .await
        .unwrap();
    let w = {
        let (store, id) = (Arc::clone(&writer_side), id.clone());
        tokio::spawn(async move {
            for i in 0..EVENTS {
                store.append(&id, &[progress(i)]).await.unwrap();
            }
            let done = TaskEvent::Status {
                status: TaskStatus::now(TaskState::Completed),
                metadata: None,
            };
            store.append(&id, &[done]).await.unwrap().last_seq
        })
    };
    tokio::time::sleep(Duration::from_millis(20)).await;
    let after = reader_side
        .get(scope("alice"), &id)
        .await
        .unwrap()
        .unwrap()
        .last_seq;
    let seqs: Vec<u64> = subscribe(Arc::clone(&reader_side), &id, after)
        .map(|e| e.unwrap().seq)
        .collect()
        .await;
    let last = w.await.unwrap();
    assert_eq!(seqs, (after + 1..=last).collect::<Vec<_>>());
    // And the store's race on its own.
    race(reader_side).await;
}
