//! Crash safety: a child process appends events and is killed with SIGKILL at a random
//! point; after reopening, every append that had returned in the child is there, every
//! snapshot equals the fold of its log, and the database is consistent.
//!
//! The child is this test binary itself, run again with one test selected and
//! [`CHILD_ENV`] set. Any backend can use it:
//!
//! ```ignore
//! #[test]
//! fn crash_child() {
//!     // Returns at once unless this process is a crash child.
//!     crate::crash::child_main(|spec| async move { open_my_store(&spec).await });
//! }
//!
//! #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
//! async fn crash_safety() {
//!     crate::crash::crash_rounds("mymodule::crash_child", "my-spec", 5, || async {
//!         open_my_store_and_check_it("my-spec").await
//!     })
//!     .await;
//! }
//! ```

// Test helpers outside #[test] functions may unwrap: a failure is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::conformance::{Rng, assert_consistent, new_task};
use crate::{route, scope};
use a2agw_task::{TaskEvent, TaskStore};
use a2agw_types::*;
use std::collections::HashMap;
use std::future::Future;
use std::io::Write as _;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, BufReader};

/// Set in the child's environment: the backend spec, handed to the child's `open`.
pub(crate) const CHILD_ENV: &str = "A2AGW_CRASH_CHILD";
/// Set in the child's environment: the round number (task ids are unique per round).
const ROUND_ENV: &str = "A2AGW_CRASH_ROUND";
/// The owner of every task the child creates.
pub(crate) const OWNER: &str = "crash";
/// Concurrent writers in the child.
const WRITERS: usize = 8;
/// Appends per task before the child completes it and starts another.
const APPENDS_PER_TASK: u64 = 40;

/// The child side: when [`CHILD_ENV`] is set, opens the store with `open(spec)` and appends
/// until killed (or 60 s pass), printing `acked <task> <last_seq>` on stdout after every
/// append that returned. Otherwise returns at once (so it is a no-op as a normal test).
pub(crate) fn child_main<F, Fut>(open: F)
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = Arc<dyn TaskStore>>,
{
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let round: u64 = std::env::var(ROUND_ENV)
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(0);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let store = open(spec).await;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        let writers: Vec<_> = (0..WRITERS)
            .map(|w| {
                let store = store.clone();
                tokio::spawn(async move {
                    let mut rng = Rng::new(round * 1000 + w as u64);
                    for k in 0.. {
                        if tokio::time::Instant::now() > deadline {
                            break;
                        }
                        drive_task(&*store, &mut rng, &format!("r{round}-w{w}-{k}")).await;
                    }
                })
            })
            .collect();
        for w in writers {
            w.await.unwrap();
        }
    });
}

fn ack(task: &str, seq: u64) {
    let mut out = std::io::stdout().lock();
    writeln!(out, "acked {task} {seq}").unwrap();
    out.flush().unwrap();
}

/// Creates a task, appends legal events to it (acking each), completes it.
async fn drive_task(store: &dyn TaskStore, rng: &mut Rng, id: &str) {
    let mut task = new_task(id, "crash");
    task.status.state = TaskState::Working;
    let rec = store.create(OWNER, &route(), task).await.unwrap();
    ack(id, rec.last_seq);
    let mut has_artifact = false;
    for n in 0..APPENDS_PER_TASK {
        let batch: Vec<TaskEvent> = (0..1 + rng.below(3))
            .map(|i| {
                let n = n * 4 + i;
                match rng.below(4) {
                    0 => TaskEvent::Status {
                        status: TaskStatus {
                            state: TaskState::Working,
                            message: Some(Message::text(
                                Role::Agent,
                                format!("{id}-a{n}"),
                                format!("progress {n}"),
                            )),
                            timestamp: Some(Timestamp::now()),
                        },
                        metadata: None,
                    },
                    1 => TaskEvent::UserMessage {
                        message: Message::text(Role::User, format!("{id}-u{n}"), format!("{n}")),
                    },
                    2 => {
                        let append = has_artifact;
                        has_artifact = true;
                        TaskEvent::Artifact {
                            artifact: Artifact {
                                artifact_id: "out".into(),
                                parts: vec![Part::text(format!("chunk {n} "))],
                                ..Artifact::default()
                            },
                            append,
                            last_chunk: false,
                            metadata: None,
                        }
                    }
                    _ => TaskEvent::ProviderData {
                        data: serde_json::json!({ "step": n }),
                    },
                }
            })
            .collect();
        let rec = store.append(id, &batch).await.unwrap();
        ack(id, rec.last_seq);
    }
    let rec = store
        .append(
            id,
            &[TaskEvent::Status {
                status: TaskStatus::now(TaskState::Completed),
                metadata: None,
            }],
        )
        .await
        .unwrap();
    ack(id, rec.last_seq);
}

/// The parent side: `rounds` times, runs the test `child_test` of this binary as a child
/// with [`CHILD_ENV`]`=spec`, waits for its first acknowledged append, kills it with SIGKILL
/// 10–200 ms later, then reopens the store with `reopen` (which may check the backend's own
/// consistency first) and checks every acknowledged append and every task of the child.
/// Rounds share the database: each one also writes on top of a crashed one.
pub(crate) async fn crash_rounds<F, Fut>(child_test: &str, spec: &str, rounds: u64, mut reopen: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Arc<dyn TaskStore>>,
{
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    eprintln!("crash test {child_test}: seed {seed}");
    let mut rng = Rng::new(seed);
    let mut acked: HashMap<String, u64> = HashMap::new();
    for round in 0..rounds {
        let exe = std::env::current_exe().unwrap();
        let mut child = tokio::process::Command::new(exe)
            .args([child_test, "--exact", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, spec)
            .env(ROUND_ENV, round.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut stderr = child.stderr.take().unwrap();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(String, u64)>();
        let reader = tokio::spawn(async move {
            let mut lines = BufReader::new(stdout);
            let mut line = String::new();
            loop {
                line.clear();
                match lines.read_line(&mut line).await {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
                // A line cut by the kill (no newline) proves nothing: ignore it.
                if !line.ends_with('\n') {
                    continue;
                }
                let Some(at) = line.find("acked ") else {
                    continue;
                };
                let mut parts = line[at + 6..].split_whitespace();
                if let (Some(task), Some(seq)) = (parts.next(), parts.next()) {
                    let _ = tx.send((task.to_owned(), seq.parse().unwrap()));
                }
            }
        });
        let errors = tokio::spawn(async move {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text).await;
            text
        });

        let first = tokio::time::timeout(Duration::from_secs(60), rx.recv()).await;
        let mut round_acks = match first {
            Ok(Some(a)) => vec![a],
            _ => {
                let _ = child.start_kill();
                let _ = child.wait().await;
                panic!(
                    "round {round}: the child acknowledged nothing; its stderr:\n{}",
                    errors.await.unwrap()
                );
            }
        };
        let delay = 10 + rng.below(191);
        tokio::time::sleep(Duration::from_millis(delay)).await;
        child.start_kill().unwrap();
        let status = child.wait().await.unwrap();
        assert!(
            !status.success(),
            "round {round}: the child ended by itself"
        );
        reader.await.unwrap();
        while let Some(a) = rx.recv().await {
            round_acks.push(a);
        }
        let _ = errors.await;
        eprintln!(
            "round {round}: killed after {delay} ms, {} appends acknowledged",
            round_acks.len()
        );
        for (task, seq) in round_acks {
            let max = acked.entry(task).or_default();
            *max = (*max).max(seq);
        }

        let store = reopen().await;
        // Every acknowledged append is there.
        for (task, &seq) in &acked {
            let record = assert_consistent(&*store, OWNER, task).await;
            assert!(
                record.last_seq >= seq,
                "round {round}: task {task} acknowledged up to {seq}, stored up to {}",
                record.last_seq
            );
        }
        // Every task (also those whose creation was never acknowledged) is consistent.
        let mut token = String::new();
        let mut seen = 0;
        loop {
            let page = store
                .list(
                    scope(OWNER),
                    &ListTasksRequest {
                        page_size: Some(100),
                        page_token: token,
                        ..Default::default()
                    },
                )
                .await
                .unwrap();
            for task in &page.tasks {
                assert_consistent(&*store, OWNER, &task.id).await;
                seen += 1;
            }
            if page.next_page_token.is_empty() {
                break;
            }
            token = page.next_page_token;
        }
        assert!(
            seen >= acked.len(),
            "{seen} tasks listed, {} acknowledged",
            acked.len()
        );
        drop(store);
    }
}

/// The SQLite crash child (a no-op unless run by [`sqlite_crash_safety`]).
#[test]
fn child() {
    child_main(|spec| async move {
        let path = spec
            .strip_prefix("sqlite:")
            .unwrap_or_else(|| panic!("unknown crash backend spec `{spec}`"))
            .to_owned();
        Arc::new(a2agw_task::SqliteStore::open(path).await.unwrap()) as Arc<dyn TaskStore>
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_crash_safety() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.db");
    let spec = format!("sqlite:{}", path.display());
    crash_rounds("crash::child", &spec, 5, || {
        let path = path.clone();
        async move {
            let store = a2agw_task::SqliteStore::open(&path).await.unwrap();
            let mut conn = <sqlx::SqliteConnection as sqlx::Connection>::connect_with(
                &sqlx::sqlite::SqliteConnectOptions::new().filename(&path),
            )
            .await
            .unwrap();
            let (check,): (String,) = sqlx::query_as("PRAGMA integrity_check")
                .fetch_one(&mut conn)
                .await
                .unwrap();
            assert_eq!(check, "ok", "PRAGMA integrity_check");
            let (fk,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM pragma_foreign_key_check")
                .fetch_one(&mut conn)
                .await
                .unwrap();
            assert_eq!(fk, 0, "foreign key violations");
            Arc::new(store) as Arc<dyn TaskStore>
        }
    })
    .await;
}
