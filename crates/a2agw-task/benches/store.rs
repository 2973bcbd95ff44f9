//! Store figures: appends per second with many tasks written concurrently, and the latency
//! of `watch()` announcements to subscribers.
//!
//! `cargo bench -p a2agw-task --bench store -- [sqlite] [memory]` (default: sqlite);
//! with `--features postgres`, also `postgres`. `cargo xtask bench` runs it (scenario
//! `appends`); `--smoke` runs a few appends only.
//! A backend is a name and an async constructor of a fresh, empty store: see `main`.
//!
//! Each durable backend is measured beside its *raw* baseline, in the same run: the same
//! database written without the store (SQLite: one connection committing one row per
//! append, as fast as it can; PostgreSQL: as many clients as the store's writers have
//! tasks, each committing one row per append), so the store's own cost is the ratio.
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use a2agw_provider::Route;
use a2agw_task::{Scope, TaskEvent, TaskStore};
use a2agw_types::{Artifact, Message, Part, Role, Task, TaskState, TaskStatus};
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Throughput run: this many tasks, each appended to by its own Tokio task...
const TASKS: usize = 64;
/// ...this many times, one event per append (`--smoke`: [`SMOKE_APPENDS`]).
const APPENDS: usize = 200;
const SMOKE_APPENDS: usize = 5;

fn appends() -> usize {
    if std::env::args().any(|a| a == "--smoke") {
        SMOKE_APPENDS
    } else {
        APPENDS
    }
}
/// Fan-out run: writers (one task each), appends per writer and subscribers.
const FANOUT_WRITERS: usize = 8;
const FANOUT_APPENDS: usize = 250;
const SUBSCRIBERS: usize = 16;

fn main() {
    let mut backends: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    if backends.is_empty() {
        backends.push("sqlite".into());
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    for backend in backends {
        match backend.as_str() {
            #[cfg(feature = "memory")]
            "memory" => runtime.block_on(run("memory", None, || async {
                Arc::new(a2agw_task::MemoryStore::new()) as Arc<dyn TaskStore>
            })),
            #[cfg(feature = "sqlite")]
            "sqlite" => {
                let dir = tempfile::tempdir().unwrap();
                let counter = std::sync::atomic::AtomicUsize::new(0);
                let dir_path = dir.path().to_path_buf();
                let raw = raw_sqlite(&dir_path.join("raw.db"));
                runtime.block_on(run("sqlite", Some(raw), || {
                    let n = counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let path = dir_path.join(format!("bench-{n}.db"));
                    async move {
                        Arc::new(a2agw_task::SqliteStore::open(path).await.unwrap())
                            as Arc<dyn TaskStore>
                    }
                }));
            }
            #[cfg(feature = "postgres")]
            "postgres" => runtime.block_on(postgres()),
            other => println!("{other}: unknown backend or feature not enabled"),
        }
    }
}

/// PostgreSQL (`A2AGW_TEST_POSTGRES_URL`, default `postgres://postgres@127.0.0.1:5432/test`),
/// each run on a schema of its own, dropped at the end; then fan-out across two instances
/// (two pools on one schema).
#[cfg(feature = "postgres")]
async fn postgres() {
    use a2agw_task::PostgresStore;
    let url = std::env::var("A2AGW_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let schemas: Arc<Mutex<Vec<String>>> = Arc::default();
    let new_schema = || {
        let schema = format!("a2agw_bench_{}", uuid::Uuid::new_v4().simple());
        schemas.lock().unwrap().push(schema.clone());
        schema
    };
    let raw = raw_postgres(&url, &new_schema()).await;
    run("postgres", Some(raw), || {
        let (url, schema) = (url.clone(), new_schema());
        async move {
            Arc::new(
                PostgresStore::connect_with_schema(&url, &schema)
                    .await
                    .unwrap(),
            ) as Arc<dyn TaskStore>
        }
    })
    .await;
    let schema = new_schema();
    let a = PostgresStore::connect_with_schema(&url, &schema)
        .await
        .unwrap();
    let b = PostgresStore::connect_with_schema(&url, &schema)
        .await
        .unwrap();
    let pool = b.pool().clone();
    fanout_across("postgres (two pools)", Arc::new(a), Arc::new(b)).await;
    let schemas = std::mem::take(&mut *schemas.lock().unwrap());
    for schema in schemas {
        let drop = format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE");
        sqlx::query(sqlx::AssertSqlSafe(drop))
            .execute(&pool)
            .await
            .unwrap();
    }
}

/// Runs both measurements on fresh stores from `make`; `raw` is the baseline's appends/s.
async fn run<F, Fut>(name: &str, raw: Option<f64>, mut make: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Arc<dyn TaskStore>>,
{
    throughput(name, make().await, raw).await;
    fanout(name, make().await).await;
}

/// SQLite written without the store: one connection (WAL, `synchronous=NORMAL`, as the
/// store's default) committing one event row per append; appends/s.
#[cfg(feature = "sqlite")]
fn raw_sqlite(path: &std::path::Path) -> f64 {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;
         CREATE TABLE events (task_id TEXT NOT NULL, seq INTEGER NOT NULL, event TEXT NOT NULL,
                              PRIMARY KEY (task_id, seq));",
    )
    .unwrap();
    let json = serde_json::to_string(&event(3)).unwrap();
    let total = TASKS * appends();
    let started = Instant::now();
    for i in 0..total {
        conn.execute(
            "INSERT INTO events (task_id, seq, event) VALUES (?1, ?2, ?3)",
            rusqlite::params![
                format!("raw-{}", i % TASKS),
                i64::try_from(i).unwrap(),
                json
            ],
        )
        .unwrap();
    }
    let rate = total as f64 / started.elapsed().as_secs_f64();
    println!("sqlite raw baseline appends/s: {rate:.0} (one connection, one row per commit)");
    rate
}

/// PostgreSQL written without the store: `TASKS` clients, each committing one event row per
/// append (`INSERT`, autocommit); appends/s.
#[cfg(feature = "postgres")]
async fn raw_postgres(url: &str, schema: &str) -> f64 {
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(u32::try_from(TASKS).unwrap_or(16).min(32))
        .connect(url)
        .await
        .unwrap();
    let table = format!("\"{schema}\".raw_events");
    for sql in [
        format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\""),
        format!(
            "CREATE TABLE {table} (task_id TEXT NOT NULL, seq BIGINT NOT NULL, event JSON NOT NULL, \
             PRIMARY KEY (task_id, seq))"
        ),
    ] {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&pool)
            .await
            .unwrap();
    }
    let json = serde_json::to_string(&event(3)).unwrap();
    let insert = format!("INSERT INTO {table} (task_id, seq, event) VALUES ($1, $2, $3::json)");
    let started = Instant::now();
    let clients: Vec<_> = (0..TASKS)
        .map(|t| {
            let (pool, json, insert) = (pool.clone(), json.clone(), insert.clone());
            tokio::spawn(async move {
                for i in 0..appends() {
                    sqlx::query(sqlx::AssertSqlSafe(insert.clone()))
                        .bind(format!("raw-{t}"))
                        .bind(i64::try_from(i).unwrap())
                        .bind(&json)
                        .execute(&pool)
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    for c in clients {
        c.await.unwrap();
    }
    let rate = (TASKS * appends()) as f64 / started.elapsed().as_secs_f64();
    println!("postgres raw baseline appends/s: {rate:.0} ({TASKS} clients, one row per commit)");
    rate
}

fn task(id: &str) -> Task {
    Task {
        id: id.to_owned(),
        context_id: "bench".into(),
        status: TaskStatus::now(TaskState::Working),
        history: vec![Message::text(Role::User, format!("m-{id}"), "go")],
        ..Task::default()
    }
}

/// The i-th event of a streaming task: mostly artifact chunks, some progress and session data.
fn event(i: usize) -> TaskEvent {
    match i % 10 {
        0 => TaskEvent::Status {
            status: TaskStatus::now(TaskState::Working),
            metadata: None,
        },
        9 => TaskEvent::ProviderData {
            data: serde_json::json!({ "cursor": i }),
        },
        _ => TaskEvent::Artifact {
            artifact: Artifact {
                artifact_id: "out".into(),
                parts: vec![Part::text(format!("chunk {i} of the streamed answer; "))],
                ..Artifact::default()
            },
            append: i > 1,
            last_chunk: false,
            metadata: None,
        },
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let at = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[at.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

async fn throughput(name: &str, store: Arc<dyn TaskStore>, raw: Option<f64>) {
    for t in 0..TASKS {
        store
            .create("bench", &Route::agent("bench"), task(&format!("tp-{t}")))
            .await
            .unwrap();
    }
    let started = Instant::now();
    let writers: Vec<_> = (0..TASKS)
        .map(|t| {
            let store = store.clone();
            tokio::spawn(async move {
                let id = format!("tp-{t}");
                let mut latencies = Vec::with_capacity(appends());
                for i in 1..=appends() {
                    let at = Instant::now();
                    store.append(&id, &[event(i)]).await.unwrap();
                    latencies.push(at.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::with_capacity(TASKS * appends());
    for w in writers {
        latencies.extend(w.await.unwrap());
    }
    let elapsed = started.elapsed();
    latencies.sort();
    let total = TASKS * appends();
    let rate = total as f64 / elapsed.as_secs_f64();
    let ratio = raw.map_or(String::new(), |raw| {
        format!(", {:.2}× the raw baseline's {raw:.0}/s", rate / raw)
    });
    println!(
        "{name} appends/s: {rate:.0}{ratio} ({TASKS} tasks x {} appends of one event, concurrently, in {:.2} s)",
        appends(),
        elapsed.as_secs_f64()
    );
    println!(
        "{name} append latency under that load: p50 {} p99 {}",
        ms(percentile(&latencies, 0.5)),
        ms(percentile(&latencies, 0.99))
    );
    // Sanity: everything is there.
    let last = store
        .get(Scope::new("bench", "bench"), "tp-0")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(last.last_seq, appends() as u64 + 1);
}

async fn fanout(name: &str, store: Arc<dyn TaskStore>) {
    fanout_across(name, store.clone(), store).await;
}

/// Fan-out with the writers on `store` and the subscribers on `watcher`: the same store, or
/// another instance sharing its data (PostgreSQL: another pool, woken by LISTEN/NOTIFY).
async fn fanout_across(name: &str, store: Arc<dyn TaskStore>, watcher: Arc<dyn TaskStore>) {
    for w in 0..FANOUT_WRITERS {
        store
            .create("bench", &Route::agent("bench"), task(&format!("fo-{w}")))
            .await
            .unwrap();
    }
    let expected = FANOUT_WRITERS * FANOUT_APPENDS;
    let subscribers: Vec<_> = (0..SUBSCRIBERS)
        .map(|_| {
            let mut rx = watcher.watch();
            let name = name.to_owned();
            tokio::spawn(async move {
                let mut seen = Vec::with_capacity(expected);
                let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
                while seen.len() < expected {
                    match tokio::time::timeout_at(deadline, rx.recv()).await {
                        Ok(Ok(a)) if a.task_id.starts_with("fo-") => {
                            seen.push((a.task_id, a.last_seq, Instant::now()));
                        }
                        Ok(Ok(_)) => {}
                        Ok(Err(tokio::sync::broadcast::error::RecvError::Lagged(n))) => {
                            println!("{name}: a subscriber lagged by {n}");
                        }
                        Ok(Err(_)) | Err(_) => break,
                    }
                }
                seen
            })
        })
        .collect();
    type Times = HashMap<(String, u64), (Instant, Instant)>;
    let times: Arc<Mutex<Times>> = Arc::default();
    let writers: Vec<_> = (0..FANOUT_WRITERS)
        .map(|w| {
            let store = store.clone();
            let times = times.clone();
            tokio::spawn(async move {
                let id = format!("fo-{w}");
                for i in 1..=FANOUT_APPENDS {
                    let called = Instant::now();
                    let rec = store.append(&id, &[event(i)]).await.unwrap();
                    let returned = Instant::now();
                    times
                        .lock()
                        .unwrap()
                        .insert((id.clone(), rec.last_seq), (called, returned));
                    // A steady stream rather than a flood.
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
            })
        })
        .collect();
    for w in writers {
        w.await.unwrap();
    }
    let times = std::mem::take(&mut *times.lock().unwrap());
    let (mut after_return, mut end_to_end) = (Vec::new(), Vec::new());
    let mut missing = 0;
    for s in subscribers {
        let seen = s.await.unwrap();
        missing += expected.saturating_sub(seen.len());
        for (task, seq, at) in seen {
            if let Some((called, returned)) = times.get(&(task, seq)) {
                after_return.push(at.saturating_duration_since(*returned));
                end_to_end.push(at.saturating_duration_since(*called));
            }
        }
    }
    after_return.sort();
    end_to_end.sort();
    println!(
        "{name} fan-out latency, append returned -> subscriber ({SUBSCRIBERS} subscribers, {expected} appends, 0 = before the return): p50 {} p99 {}",
        ms(percentile(&after_return, 0.5)),
        ms(percentile(&after_return, 0.99))
    );
    println!(
        "{name} fan-out latency, append called -> subscriber: p50 {} p99 {}",
        ms(percentile(&end_to_end, 0.5)),
        ms(percentile(&end_to_end, 0.99))
    );
    if missing > 0 {
        println!("{name}: {missing} announcements never reached a subscriber");
    }
}
