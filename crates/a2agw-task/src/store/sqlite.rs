//! SQLite store: one database file in WAL mode, migrations applied at open.
//!
//! # Connections and threads
//! The migrations run once at open, through a sqlx connection that is then closed; every
//! other statement runs on [rusqlite] connections, synchronously, in this process: a
//! store operation costs at most one thread handoff (a write, or a whole group commit of
//! writes, is one round trip to the writer thread; a read none, or one to Tokio's blocking
//! pool), never one per statement. Every connection has `busy_timeout` (5 s),
//! `foreign_keys = ON` and the [`Synchronous`] level; the file is in WAL mode (set at open,
//! it persists in the file). Statements are prepared once per connection
//! (`prepare_cached`).
//!
//! # Durability and group commit
//! Every write (create, append, push configs, their cursors and claims, leases, agents and
//! the registry revision) goes to one writer, a dedicated OS thread that owns its own
//! connection and receives requests over a channel. It drains every request pending (up
//! to [`MAX_BATCH`]), runs them in one `BEGIN IMMEDIATE` transaction and commits once,
//! then announces the appends on [`TaskStore::watch`] and answers each request. A request
//! is answered only after its commit, so an append that returned survives a crash of the
//! process; with [`Synchronous::Full`] it is also fsynced (survives a power loss), with the
//! default [`Synchronous::Normal`] it reaches the disk at the next WAL checkpoint. Requests
//! are independent: each is validated against the task's current snapshot (read inside the
//! transaction) before anything of it is written, so an illegal one gets its own error and
//! contributes nothing. A failure of the database itself fails the whole batch (nothing of
//! it is written) and every request in it gets the error.
//!
//! If the database refuses a batch (say, one request's write breaks a limit), nothing of it
//! is written and its requests are run again one by one, so only the culprit fails.
//!
//! The writer keeps the snapshots it last read or wrote, so an append does not re-read and
//! re-parse its task's snapshot. The cache is used only while `PRAGMA data_version`, read
//! after taking the write lock, is unchanged since the writer's last commit: any commit by
//! another connection (another store or process on the same file) empties it.
//!
//! # Reads
//! Reads take a connection from a small pool ([`READERS`] kept idle; one more is opened
//! when all are busy, and closed after). WAL lets them run beside the writer, never waiting
//! for its lock, and each read (or read transaction) sees the last commit, so a write that
//! returned is seen by every read that starts after it.
//!
//! Reads whose cost is bounded run inline, on the calling task: `get`, `owner`, the push
//! configs of one task, the agents, and `events_after` are primary-key or index-range
//! lookups bounded by a limit, which take microseconds from SQLite's page cache — less
//! than handing them to another thread and waking the caller again (the handoff is what
//! this design removes), and short enough not to hold up a Tokio worker. Reads whose cost
//! grows with the database go to [`tokio::task::spawn_blocking`], so that they cannot
//! stall a worker: `list` (its `COUNT(*)` counts every matching task, not a page),
//! `push_backlog` (joins every push config) and `orphaned` (scans the unfinished tasks);
//! these are rare next to the point reads of a request's path.
//!
//! # One process per file
//! Writes stay correct if several processes open the same file (the writer takes SQLite's
//! write lock with `BEGIN IMMEDIATE` and reads snapshots inside its transaction, the cache
//! being dropped as soon as another connection has written), but [`TaskStore::watch`] only
//! announces this process's appends. A gateway must therefore not share its database file
//! with another running gateway; use PostgreSQL for that.

mod writer;

use super::*;
use a2agw_types::{DEFAULT_PAGE_SIZE, TaskPushNotificationConfig};
use rusqlite::{Connection, OpenFlags, OptionalExtension as _, params};
use sqlx::Connection as _;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqliteSynchronous};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::{mpsc, oneshot};
use writer::{Job, Op, Reply};

/// The most write requests committed together.
pub(crate) const MAX_BATCH: usize = 256;

/// How long a connection waits for SQLite's lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Read connections kept open while idle (more are opened while all are busy).
const READERS: usize = 8;

/// Prepared statements kept per connection (the writer has about twenty).
const STATEMENT_CACHE: usize = 64;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// A store in one SQLite file. See the module docs.
#[derive(Debug)]
pub struct SqliteStore {
    path: PathBuf,
    readers: Arc<Readers>,
    writer: mpsc::Sender<Job>,
    /// Told when the writer thread has closed its connection.
    writer_done: oneshot::Receiver<()>,
    tx: broadcast::Sender<Appended>,
}

/// When a commit reaches the disk (SQLite's `synchronous` in WAL mode).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Synchronous {
    /// `NORMAL`, the default: a commit is in the WAL file when it returns — it survives a
    /// crash of the process (`kill -9`, a panic, the OOM killer) — and reaches the disk at
    /// the next checkpoint; a power loss or an OS crash may lose the transactions since
    /// then, never the database's consistency.
    #[default]
    Normal,
    /// `FULL`: every commit is fsynced before it returns, so it survives a power loss too,
    /// at the cost of one fsync per commit (a group commit shares it).
    Full,
}

impl Synchronous {
    fn as_str(self) -> &'static str {
        match self {
            Synchronous::Normal => "NORMAL",
            Synchronous::Full => "FULL",
        }
    }
}

/// Opens a rusqlite connection to an existing database file, configured as the module docs
/// say.
fn connect(path: &Path, synchronous: Synchronous) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.execute_batch(&format!(
        "PRAGMA foreign_keys = ON; PRAGMA synchronous = {};",
        synchronous.as_str()
    ))?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(conn)
}

/// The read connections.
struct Readers {
    path: PathBuf,
    synchronous: Synchronous,
    idle: Mutex<Vec<Connection>>,
}

impl std::fmt::Debug for Readers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Readers")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Readers {
    /// Runs `read` on an idle connection (or a new one when none is), on this thread.
    fn run<T>(&self, read: impl FnOnce(&mut Connection) -> rusqlite::Result<T>) -> StoreResult<T> {
        let pooled = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let mut conn = match pooled {
            Some(conn) => conn,
            None => {
                connect(&self.path, self.synchronous).map_err(|e| open_error(&self.path, &e))?
            }
        };
        let out = read(&mut conn).map_err(db);
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < READERS {
            idle.push(conn);
        }
        out
    }

    /// [`Readers::run`] on Tokio's blocking pool, for the reads whose cost grows with the
    /// database.
    async fn run_blocking<T: Send + 'static>(
        self: &Arc<Self>,
        read: impl FnOnce(&mut Connection) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        let readers = Arc::clone(self);
        tokio::task::spawn_blocking(move || readers.run(|conn| Ok(read(conn))).and_then(|r| r))
            .await
            .map_err(|e| Backend(format!("sqlite: read task: {e}")))?
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` with [`Synchronous::Normal`],
    /// applies the migrations and starts the writer thread.
    pub async fn open(path: impl AsRef<Path>) -> StoreResult<Self> {
        Self::open_with(path, Synchronous::default()).await
    }

    /// [`SqliteStore::open`] with this synchronous level.
    pub async fn open_with(path: impl AsRef<Path>, synchronous: Synchronous) -> StoreResult<Self> {
        let path = path.as_ref().to_path_buf();
        tokio::runtime::Handle::try_current().map_err(|e| {
            Backend(format!(
                "sqlite {}: needs a Tokio runtime: {e}",
                path.display()
            ))
        })?;
        // The migrations, through sqlx (which wrote `_sqlx_migrations` from the start).
        let options = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(match synchronous {
                Synchronous::Normal => SqliteSynchronous::Normal,
                Synchronous::Full => SqliteSynchronous::Full,
            })
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true);
        let mut migrations = SqliteConnection::connect_with(&options)
            .await
            .map_err(|e| open_error(&path, &e))?;
        MIGRATOR
            .run(&mut migrations)
            .await
            .map_err(|e| Backend(format!("sqlite {}: migrations: {e}", path.display())))?;
        migrations
            .close()
            .await
            .map_err(|e| open_error(&path, &e))?;

        let conn = connect(&path, synchronous).map_err(|e| open_error(&path, &e))?;
        // One reader now, so that a file readers cannot open fails here.
        let reader = connect(&path, synchronous).map_err(|e| open_error(&path, &e))?;
        let readers = Arc::new(Readers {
            path: path.clone(),
            synchronous,
            idle: Mutex::new(vec![reader]),
        });
        let (writer, rx) = mpsc::channel(MAX_BATCH * 4);
        let tx = broadcast::channel(4096).0;
        let (done, writer_done) = oneshot::channel();
        let announce = tx.clone();
        std::thread::Builder::new()
            .name("a2agw-sqlite-writer".into())
            .spawn(move || writer::run(conn, rx, announce, done))
            .map_err(|e| Backend(format!("sqlite {}: writer thread: {e}", path.display())))?;
        Ok(SqliteStore {
            path,
            readers,
            writer,
            writer_done,
            tx,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Finishes the pending writes and closes every connection. Dropping the store also
    /// stops the writer, but without waiting for it.
    pub async fn close(self) {
        let SqliteStore {
            readers,
            writer,
            writer_done,
            ..
        } = self;
        drop(writer);
        let _ = writer_done.await;
        let idle =
            std::mem::take(&mut *readers.idle.lock().unwrap_or_else(PoisonError::into_inner));
        for conn in idle {
            if let Err((_, e)) = conn.close() {
                tracing::warn!(error = %e, "sqlite store: closing a read connection");
            }
        }
    }

    async fn submit(&self, op: Op) -> StoreResult<Reply> {
        let (reply, answer) = oneshot::channel();
        self.writer
            .send(Job { op, reply })
            .await
            .map_err(|_| writer_gone())?;
        answer.await.map_err(|_| writer_gone())?
    }
}

use StoreError::Backend;

fn open_error(path: &Path, e: &dyn std::fmt::Display) -> StoreError {
    Backend(format!("sqlite {}: {e}", path.display()))
}

#[allow(clippy::needless_pass_by_value)] // for `map_err(db)`
fn db(e: rusqlite::Error) -> StoreError {
    Backend(format!("sqlite: {e}"))
}

fn writer_gone() -> StoreError {
    Backend("sqlite: the writer thread has stopped".into())
}

fn unexpected(reply: &Reply) -> StoreError {
    Backend(format!("sqlite: unexpected writer reply {reply:?}"))
}

fn corrupt(what: &str, task_id: &str, e: impl std::fmt::Display) -> StoreError {
    Backend(format!("sqlite: task `{task_id}`: corrupt {what}: {e}"))
}

fn to_json<T: serde::Serialize>(what: &str, task_id: &str, value: &T) -> StoreResult<String> {
    serde_json::to_string(value)
        .map_err(|e| Backend(format!("task `{task_id}`: cannot serialize {what}: {e}")))
}

/// Reads a snapshot column.
fn parse_snapshot(task_id: &str, json: &str) -> StoreResult<TaskRecord> {
    serde_json::from_str(json).map_err(|e| corrupt("snapshot", task_id, e))
}

fn parse_push_config(
    task_id: &str,
    id: &str,
    json: &str,
) -> StoreResult<TaskPushNotificationConfig> {
    serde_json::from_str(json).map_err(|e| corrupt(&format!("push config `{id}`"), task_id, e))
}

/// The system clock in Unix milliseconds (leases and push claims).
fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn clamp_i64(n: impl TryInto<i64>) -> i64 {
    n.try_into().unwrap_or(i64::MAX)
}

/// `WHERE` clause shared by the count and the page queries of `list`.
macro_rules! list_filter {
    () => {
        "owner = ?1 AND agent = ?2 AND (?3 IS NULL OR context_id = ?3) \
         AND (?4 IS NULL OR state = ?4) AND (?5 IS NULL OR status_millis >= ?5)"
    };
}

/// A page of `list`: the count, then `(id, status_millis, snapshot)` rows.
type ListRows = (i64, Vec<(String, i64, String)>);

impl SqliteStore {
    /// Creates a task, with its lease when `lease` is given, in one write.
    async fn insert(
        &self,
        owner: &str,
        route: &Route,
        task: Task,
        lease: Option<(String, Duration)>,
        events: &[TaskEvent],
    ) -> StoreResult<TaskRecord> {
        let id = task.id.clone();
        // Validated and serialized here, on the caller's task; the writer only writes.
        let (log, record) = fold_created(route, task, events)?;
        let log = log
            .iter()
            .map(|e| to_json("event", &id, e))
            .collect::<StoreResult<Vec<_>>>()?;
        let snapshot = to_json("snapshot", &id, &record)?;
        // A task created already ended is nobody's to drive.
        let lease = lease.filter(|_| !record.task.status.state.is_terminal());
        match self
            .submit(Op::Create {
                owner: owner.to_owned(),
                record: Box::new(record),
                snapshot,
                log,
                lease,
            })
            .await?
        {
            Reply::Record(r) => Ok(*r),
            other => Err(unexpected(&other)),
        }
    }
}

#[async_trait::async_trait]
impl TaskStore for SqliteStore {
    async fn create(&self, owner: &str, route: &Route, task: Task) -> StoreResult<TaskRecord> {
        self.insert(owner, route, task, None, &[]).await
    }

    async fn create_leased(
        &self,
        owner: &str,
        route: &Route,
        task: Task,
        holder: &str,
        ttl: Duration,
        events: &[TaskEvent],
    ) -> StoreResult<TaskRecord> {
        self.insert(owner, route, task, Some((holder.to_owned(), ttl)), events)
            .await
    }

    async fn append(&self, task_id: &str, events: &[TaskEvent]) -> StoreResult<TaskRecord> {
        // Serialized here, on the caller's task, so the writer only validates and writes.
        let events = events
            .iter()
            .map(|e| Ok((e.clone(), to_json("event", task_id, e)?)))
            .collect::<StoreResult<Vec<_>>>()?;
        match self
            .submit(Op::Append {
                task_id: task_id.to_owned(),
                events,
            })
            .await?
        {
            Reply::Record(r) => Ok(*r),
            other => Err(unexpected(&other)),
        }
    }

    async fn get(&self, scope: Scope<'_>, task_id: &str) -> StoreResult<Option<TaskRecord>> {
        let json: Option<String> = self.readers.run(|c| {
            c.prepare_cached(
                "SELECT snapshot FROM tasks WHERE id = ?1 AND owner = ?2 AND agent = ?3",
            )?
            .query_row(params![task_id, scope.owner, scope.agent], |r| r.get(0))
            .optional()
        })?;
        json.map(|json| parse_snapshot(task_id, &json)).transpose()
    }

    async fn owner(&self, task_id: &str) -> StoreResult<Option<TaskOwner>> {
        self.readers.run(|c| {
            c.prepare_cached("SELECT owner, agent FROM tasks WHERE id = ?1")?
                .query_row(params![task_id], |r| {
                    Ok(TaskOwner {
                        owner: r.get(0)?,
                        agent: r.get(1)?,
                    })
                })
                .optional()
        })
    }

    async fn list(
        &self,
        scope: Scope<'_>,
        request: &ListTasksRequest,
    ) -> StoreResult<ListTasksResponse> {
        let cursor = match request.page_token.as_str() {
            "" => None,
            t => Some(PageCursor::decode(t).ok_or(StoreError::InvalidPageToken)?),
        };
        let owner = scope.owner.to_owned();
        let agent = scope.agent.to_owned();
        let context = (!request.context_id.is_empty()).then(|| request.context_id.clone());
        let state = (request.status != TaskState::Unspecified).then(|| request.status.as_str());
        let after = request.status_timestamp_after.map(Timestamp::unix_millis);
        let page_size = request.page_size.unwrap_or(DEFAULT_PAGE_SIZE);
        let size = usize::try_from(page_size).unwrap_or(0);
        let history_length = request.history_length;
        let include = request.include_artifacts.unwrap_or(false);

        let (total, tasks, next_page_token) = self
            .readers
            .run_blocking(move |c| {
                let (total, rows) = list_rows(
                    c,
                    (&owner, &agent, context.as_deref(), state, after),
                    cursor.as_ref(),
                    size,
                )
                .map_err(db)?;
                let more = rows.len() > size;
                let mut tasks = Vec::with_capacity(rows.len().min(size));
                let mut last = None;
                for (id, ms, json) in rows.into_iter().take(size) {
                    let mut task = parse_snapshot(&id, &json)?.task;
                    shape_task(&mut task, history_length, include);
                    tasks.push(task);
                    last = Some((ms, id));
                }
                let next_page_token = match (more, last) {
                    (true, Some((status_millis, task_id))) => PageCursor {
                        status_millis,
                        task_id,
                    }
                    .encode(),
                    _ => String::new(),
                };
                Ok((total, tasks, next_page_token))
            })
            .await?;
        Ok(ListTasksResponse {
            tasks,
            next_page_token,
            page_size,
            total_size: i32::try_from(total).unwrap_or(i32::MAX),
        })
    }

    async fn events_after(
        &self,
        task_id: &str,
        after_seq: u64,
        limit: usize,
    ) -> StoreResult<Vec<StoredEvent>> {
        let rows = self.readers.run(|c| {
            let rows = c
                .prepare_cached(
                    "SELECT seq, event FROM events WHERE task_id = ?1 AND seq > ?2 \
                     ORDER BY seq LIMIT ?3",
                )?
                .query_map(
                    params![task_id, clamp_i64(after_seq), clamp_i64(limit)],
                    |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)),
                )?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let exists = !rows.is_empty()
                || c.prepare_cached("SELECT 1 FROM tasks WHERE id = ?1")?
                    .exists(params![task_id])?;
            Ok(exists.then_some(rows))
        })?;
        let Some(rows) = rows else {
            return Err(StoreError::NotFound(task_id.to_owned()));
        };
        rows.into_iter()
            .map(|(seq, json)| {
                let seq = u64::try_from(seq).map_err(|e| corrupt("event sequence", task_id, e))?;
                let event = serde_json::from_str(&json)
                    .map_err(|e| corrupt(&format!("event {seq}"), task_id, e))?;
                Ok(StoredEvent { seq, event })
            })
            .collect()
    }

    fn watch(&self) -> broadcast::Receiver<Appended> {
        self.tx.subscribe()
    }

    async fn put_push_config(&self, config: &TaskPushNotificationConfig) -> StoreResult<()> {
        let json = to_json("push config", &config.task_id, config)?;
        match self
            .submit(Op::PutPush {
                task_id: config.task_id.clone(),
                id: config.id.clone(),
                json,
            })
            .await?
        {
            Reply::Done => Ok(()),
            other => Err(unexpected(&other)),
        }
    }

    async fn get_push_config(
        &self,
        task_id: &str,
        id: &str,
    ) -> StoreResult<Option<TaskPushNotificationConfig>> {
        let json: Option<String> = self.readers.run(|c| {
            c.prepare_cached("SELECT config FROM push_configs WHERE task_id = ?1 AND id = ?2")?
                .query_row(params![task_id, id], |r| r.get(0))
                .optional()
        })?;
        json.map(|json| parse_push_config(task_id, id, &json))
            .transpose()
    }

    async fn list_push_configs(
        &self,
        task_id: &str,
    ) -> StoreResult<Vec<TaskPushNotificationConfig>> {
        let rows: Vec<(String, String)> = self.readers.run(|c| {
            c.prepare_cached("SELECT id, config FROM push_configs WHERE task_id = ?1 ORDER BY id")?
                .query_map(params![task_id], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect()
        })?;
        rows.into_iter()
            .map(|(id, json)| parse_push_config(task_id, &id, &json))
            .collect()
    }

    async fn delete_push_config(&self, task_id: &str, id: &str) -> StoreResult<bool> {
        match self
            .submit(Op::DeletePush {
                task_id: task_id.to_owned(),
                id: id.to_owned(),
            })
            .await?
        {
            Reply::Flag(deleted) => Ok(deleted),
            other => Err(unexpected(&other)),
        }
    }

    async fn set_push_cursor(
        &self,
        task_id: &str,
        config_id: &str,
        delivered_seq: u64,
    ) -> StoreResult<()> {
        match self
            .submit(Op::PushCursor {
                task_id: task_id.to_owned(),
                id: config_id.to_owned(),
                delivered_seq,
            })
            .await?
        {
            Reply::Done => Ok(()),
            other => Err(unexpected(&other)),
        }
    }

    async fn push_backlog(&self, holder: &str, limit: usize) -> StoreResult<Vec<PushBacklog>> {
        let holder = holder.to_owned();
        self.readers
            .run_blocking(move |c| {
                // Reads every config with its task's `last_seq` (by primary key): configs are
                // few next to events, and this runs about once a second.
                let rows: Vec<(String, String, String, i64, i64)> = c
                    .prepare_cached(
                        "SELECT p.task_id, p.id, p.config, p.delivered_seq, t.last_seq \
                         FROM push_configs p JOIN tasks t ON t.id = p.task_id \
                         WHERE p.delivered_seq < t.last_seq \
                         AND (p.claim_holder IS NULL OR p.claim_holder = ?2 \
                              OR p.claim_until_millis IS NULL OR p.claim_until_millis <= ?3) \
                         ORDER BY p.task_id, p.id LIMIT ?1",
                    )
                    .and_then(|mut s| {
                        s.query_map(params![clamp_i64(limit), holder, now_millis()], |r| {
                            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                        })?
                        .collect()
                    })
                    .map_err(db)?;
                rows.into_iter()
                    .map(|(task_id, id, json, delivered, last)| {
                        Ok(PushBacklog {
                            config: parse_push_config(&task_id, &id, &json)?,
                            delivered_seq: u64::try_from(delivered)
                                .map_err(|e| corrupt("push cursor", &task_id, e))?,
                            last_seq: u64::try_from(last)
                                .map_err(|e| corrupt("last sequence", &task_id, e))?,
                        })
                    })
                    .collect()
            })
            .await
    }

    async fn try_claim_push(
        &self,
        task_id: &str,
        config_id: &str,
        holder: &str,
        ttl: Duration,
    ) -> StoreResult<Option<u64>> {
        match self
            .submit(Op::ClaimPush {
                task_id: task_id.to_owned(),
                id: config_id.to_owned(),
                holder: holder.to_owned(),
                ttl,
            })
            .await?
        {
            Reply::Claim(cursor) => Ok(cursor),
            other => Err(unexpected(&other)),
        }
    }

    async fn release_push_claim(
        &self,
        task_id: &str,
        config_id: &str,
        holder: &str,
    ) -> StoreResult<()> {
        match self
            .submit(Op::ReleasePush {
                task_id: task_id.to_owned(),
                id: config_id.to_owned(),
                holder: holder.to_owned(),
            })
            .await?
        {
            Reply::Done => Ok(()),
            other => Err(unexpected(&other)),
        }
    }

    async fn try_lease(&self, task_id: &str, holder: &str, ttl: Duration) -> StoreResult<bool> {
        match self
            .submit(Op::Lease {
                task_id: task_id.to_owned(),
                holder: holder.to_owned(),
                ttl,
            })
            .await?
        {
            Reply::Flag(taken) => Ok(taken),
            other => Err(unexpected(&other)),
        }
    }

    async fn release_lease(&self, task_id: &str, holder: &str) -> StoreResult<()> {
        match self
            .submit(Op::Release {
                task_id: task_id.to_owned(),
                holder: holder.to_owned(),
            })
            .await?
        {
            Reply::Done => Ok(()),
            other => Err(unexpected(&other)),
        }
    }

    async fn flush(&self) -> StoreResult<()> {
        match self.submit(Op::Barrier).await? {
            Reply::Done => Ok(()),
            other => Err(unexpected(&other)),
        }
    }

    async fn orphaned(&self, limit: usize) -> StoreResult<Vec<String>> {
        self.readers
            .run_blocking(move |c| {
                c.prepare_cached(
                    "SELECT id FROM tasks WHERE state IN (?1, ?2) \
                     AND (lease_until_millis IS NULL OR lease_until_millis <= ?3) \
                     ORDER BY id LIMIT ?4",
                )
                .and_then(|mut s| {
                    s.query_map(
                        params![
                            TaskState::Submitted.as_str(),
                            TaskState::Working.as_str(),
                            now_millis(),
                            clamp_i64(limit)
                        ],
                        |r| r.get(0),
                    )?
                    .collect()
                })
                .map_err(db)
            })
            .await
    }

    async fn agents_revision(&self) -> StoreResult<i64> {
        self.readers
            .run(|c| {
                c.prepare_cached("SELECT revision FROM agents_revision WHERE id = 1")?
                    .query_row([], |r| r.get(0))
                    .optional()
            })?
            .ok_or_else(revision_missing)
    }

    async fn list_agents(&self) -> StoreResult<(i64, Vec<StoredAgent>)> {
        // One statement, so one read of the database: the revision and the rows agree.
        let rows: Vec<AgentRow> = self.readers.run(|c| {
            c.prepare_cached(
                "SELECT r.revision, a.name, a.version, a.doc, a.created_ms, a.updated_ms \
                 FROM agents_revision r LEFT JOIN agents a ON 1 = 1 \
                 WHERE r.id = 1 ORDER BY a.name",
            )?
            .query_map([], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            })?
            .collect()
        })?;
        let revision = rows.first().map(|r| r.0).ok_or_else(revision_missing)?;
        let agents = rows
            .into_iter()
            .filter_map(|(_, name, version, doc, created_ms, updated_ms)| {
                Some((name?, version?, doc?, created_ms?, updated_ms?))
            })
            .map(|(name, version, doc, created_ms, updated_ms)| {
                Ok(StoredAgent {
                    doc: parse_agent_doc(&name, &doc)?,
                    name,
                    version,
                    created_ms,
                    updated_ms,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        Ok((revision, agents))
    }

    async fn get_agent(&self, name: &str) -> StoreResult<Option<StoredAgent>> {
        let row: Option<(i64, String, i64, i64)> = self.readers.run(|c| {
            c.prepare_cached(
                "SELECT version, doc, created_ms, updated_ms FROM agents WHERE name = ?1",
            )?
            .query_row(params![name], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .optional()
        })?;
        row.map(|(version, doc, created_ms, updated_ms)| {
            Ok(StoredAgent {
                name: name.to_owned(),
                version,
                doc: parse_agent_doc(name, &doc)?,
                created_ms,
                updated_ms,
            })
        })
        .transpose()
    }

    async fn put_agent(
        &self,
        name: &str,
        doc: &serde_json::Value,
        expected_version: Option<i64>,
    ) -> StoreResult<StoredAgent> {
        let json = serde_json::to_string(doc)
            .map_err(|e| Backend(format!("agent `{name}`: cannot serialize its doc: {e}")))?;
        match self
            .submit(Op::PutAgent {
                name: name.to_owned(),
                doc: json,
                expected_version,
            })
            .await?
        {
            Reply::Agent {
                version,
                created_ms,
                updated_ms,
            } => Ok(StoredAgent {
                name: name.to_owned(),
                version,
                doc: doc.clone(),
                created_ms,
                updated_ms,
            }),
            other => Err(unexpected(&other)),
        }
    }

    async fn delete_agent(&self, name: &str, expected_version: Option<i64>) -> StoreResult<bool> {
        match self
            .submit(Op::DeleteAgent {
                name: name.to_owned(),
                expected_version,
            })
            .await?
        {
            Reply::Flag(deleted) => Ok(deleted),
            other => Err(unexpected(&other)),
        }
    }
}

/// A row of `list_agents`: the revision, then an agent's columns (all NULL without agents).
type AgentRow = (
    i64,
    Option<String>,
    Option<i64>,
    Option<String>,
    Option<i64>,
    Option<i64>,
);

fn revision_missing() -> StoreError {
    Backend("sqlite: the agents_revision row is missing".into())
}

fn parse_agent_doc(name: &str, json: &str) -> StoreResult<serde_json::Value> {
    serde_json::from_str(json)
        .map_err(|e| Backend(format!("sqlite: agent `{name}`: corrupt doc: {e}")))
}

/// The count and the page of `list`, in one read transaction (they see the same commit).
fn list_rows(
    conn: &mut Connection,
    (owner, agent, context, state, after): (&str, &str, Option<&str>, Option<&str>, Option<i64>),
    cursor: Option<&PageCursor>,
    size: usize,
) -> rusqlite::Result<ListRows> {
    let tx = conn.transaction()?;
    let total: i64 = tx
        .prepare_cached(concat!("SELECT COUNT(*) FROM tasks WHERE ", list_filter!()))?
        .query_row(params![owner, agent, context, state, after], |r| r.get(0))?;
    let rows = tx
        .prepare_cached(concat!(
            "SELECT id, status_millis, snapshot FROM tasks WHERE ",
            list_filter!(),
            " AND (?6 IS NULL OR status_millis < ?6 OR (status_millis = ?6 AND id < ?7))",
            " ORDER BY status_millis DESC, id DESC LIMIT ?8"
        ))?
        .query_map(
            params![
                owner,
                agent,
                context,
                state,
                after,
                cursor.map(|c| c.status_millis),
                cursor.map(|c| c.task_id.as_str()),
                clamp_i64(size.saturating_add(1)),
            ],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    tx.commit()?;
    Ok((total, rows))
}
