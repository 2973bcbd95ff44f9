//! The engine on the durable stores: orphan recovery at the next start (SQLite), and two
//! independent engine instances sharing one PostgreSQL database (cross-instance streams,
//! cancel, resume with a sequence number, lease takeover after an instance dies).

use crate::engine::{engine_on, orphan_recovery, send_req};
use a2agw_task::*;
use a2agw_types::*;
use futures::StreamExt;
use std::sync::Arc;
use std::time::Duration;

#[cfg(feature = "sqlite")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_next_start_recovers_orphans() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gw.db");
    orphan_recovery(Arc::new(SqliteStore::open(&path).await.unwrap())).await;
    // And the outcome survives a restart.
    let store = SqliteStore::open(&path).await.unwrap();
    let t = store
        .get(demo("alice"), "slow-task")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(t.task.status.state, TaskState::Completed);
}

#[cfg(feature = "postgres")]
mod pg {
    use super::*;
    use crate::postgres::{fresh_schema, open};

    fn fast() -> EngineConfig {
        EngineConfig {
            lease_ttl: Duration::from_millis(600),
            ..EngineConfig::default()
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn orphans_on_postgres() {
        let schema = fresh_schema();
        orphan_recovery(Arc::new(open(&schema).await)).await;
    }

    /// A task sent to instance A is visible, streamable (also resumed from a sequence
    /// number) and cancelable through instance B.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn two_instances_share_tasks() {
        let schema = fresh_schema();
        let a = engine_on(Arc::new(open(&schema).await), fast());
        let b = engine_on(Arc::new(open(&schema).await), fast());

        let SendOutcome::Task(rec) = a.send("alice", "demo", send_req("slow 5")).await.unwrap()
        else {
            panic!()
        };
        let id = rec.task.id.clone();
        // B streams it live (first the task, then A's progress) until it completes.
        let events: Vec<(u64, StreamResponse)> = b
            .subscribe_task(demo("alice"), &id, None)
            .await
            .unwrap()
            .map(|r| r.unwrap())
            .collect()
            .await;
        assert!(matches!(events[0].1, StreamResponse::Task(_)));
        match &events.last().unwrap().1 {
            StreamResponse::StatusUpdate(u) => assert_eq!(u.status.state, TaskState::Completed),
            other => panic!("last event {other:?}"),
        }
        let seqs: Vec<u64> = events.iter().map(|e| e.0).collect();
        assert!(seqs.windows(2).all(|w| w[0] < w[1]));
        // Resuming from a sequence number through B replays exactly what followed it.
        let after = seqs[2];
        let replay: Vec<u64> = b
            .subscribe_task(demo("alice"), &id, Some(after))
            .await
            .unwrap()
            .map(|r| r.unwrap().0)
            .collect()
            .await;
        assert_eq!(
            replay,
            seqs.iter()
                .copied()
                .filter(|s| *s > after)
                .collect::<Vec<_>>()
        );
        // Owner scoping holds across instances.
        assert_eq!(
            b.get_task(
                demo("bob"),
                &GetTaskRequest {
                    id: id.clone(),
                    ..Default::default()
                }
            )
            .await
            .unwrap_err()
            .code,
            ErrorCode::TaskNotFound
        );

        // Cancel through B a task that A drives.
        let SendOutcome::Task(rec) = a.send("alice", "demo", send_req("slow 200")).await.unwrap()
        else {
            panic!()
        };
        tokio::time::sleep(Duration::from_millis(100)).await;
        let t = b
            .cancel_task(
                demo("alice"),
                &CancelTaskRequest {
                    id: rec.task.id.clone(),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(t.status.state, TaskState::Canceled);
        for _ in 0..100 {
            if a.running_count() == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(a.running_count(), 0, "A's driver stopped after B canceled");
        let seen_by_a = a
            .get_task(
                demo("alice"),
                &GetTaskRequest {
                    id: rec.task.id.clone(),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(seen_by_a.status.state, TaskState::Canceled);
    }

    /// Instance A dies mid-task (its runtime is shut down: no more heartbeats); B takes the
    /// expired lease over and the demo provider resumes the task to completion.
    #[test]
    fn lease_takeover_after_an_instance_dies() {
        let schema = fresh_schema();
        let rt_a = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let id = rt_a.block_on(async {
            let a = engine_on(Arc::new(open(&schema).await), fast());
            let SendOutcome::Task(rec) =
                a.send("alice", "demo", send_req("slow 500")).await.unwrap()
            else {
                panic!()
            };
            tokio::time::sleep(Duration::from_millis(150)).await;
            rec.task.id
        });
        rt_a.shutdown_background(); // instance A is gone, lease and all

        let rt_b = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt_b.block_on(async {
            let b = engine_on(Arc::new(open(&schema).await), fast());
            let get = || GetTaskRequest {
                id: id.clone(),
                ..Default::default()
            };
            assert_eq!(
                b.get_task(demo("alice"), &get())
                    .await
                    .unwrap()
                    .status
                    .state,
                TaskState::Working
            );
            // Before the lease expires nothing is taken over.
            assert_eq!(b.recover_orphans().await.unwrap(), 0);
            let mut taken = 0;
            for _ in 0..100 {
                taken += b.recover_orphans().await.unwrap();
                if taken > 0 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            assert_eq!(taken, 1, "B took the task over");
            let mut t = b.get_task(demo("alice"), &get()).await.unwrap();
            for _ in 0..100 {
                if t.status.state.is_terminal() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
                t = b.get_task(demo("alice"), &get()).await.unwrap();
            }
            assert_eq!(t.status.state, TaskState::Completed);
            assert!(t.status.message.unwrap().text_content().contains("resumed"));
        });
    }
}

/// `owner`'s tasks at the demo agent.
fn demo(owner: &str) -> a2agw_task::Scope<'_> {
    a2agw_task::Scope::new(owner, "demo")
}
