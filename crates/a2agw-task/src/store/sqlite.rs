//! SQLite store: one database file in WAL mode, migrations applied at open.
//!
//! # Durability and group commit
//! Every write (create, append, push configs, their cursors and claims, leases, agents and
//! the registry revision) goes to one
//! writer task that owns a dedicated connection. It drains every request pending (up to
//! [`MAX_BATCH`]), runs them in one `BEGIN IMMEDIATE` transaction and commits once, then
//! announces the appends on [`TaskStore::watch`] and answers each request. A request is
//! answered only after its commit, so an append that returned survives a crash of the
//! process; with [`Synchronous::Full`] it is also fsynced (survives a power loss), with the
//! default [`Synchronous::Normal`] it reaches the disk at the next WAL checkpoint. Requests are independent: each is validated against the task's current snapshot
//! (read inside the transaction) before anything of it is written, so an illegal one gets
//! its own error and contributes nothing. A failure of the database itself fails the whole
//! batch (nothing of it is written) and every request in it gets the error.
//!
//! Reads go through a small pool of connections; WAL lets them run beside the writer and
//! they always see the last commit.
//!
//! If the database refuses a batch (say, one request's write breaks a limit), nothing of it
//! is written and its requests are run again one by one, so only the culprit fails.
//!
//! The writer keeps the snapshots it last read or wrote, so an append does not re-read and
//! re-parse its task's snapshot. The cache is used only while `PRAGMA data_version`, read
//! after taking the write lock, is unchanged since the writer's last commit: any commit by
//! another connection (another store or process on the same file) empties it.
//!
//! # One process per file
//! Writes stay correct if several processes open the same file (the writer takes SQLite's
//! write lock with `BEGIN IMMEDIATE` and reads snapshots inside its transaction, the cache
//! being dropped as soon as another connection has written), but [`TaskStore::watch`] only
//! announces this process's appends. A gateway must therefore not share its database file
//! with another running gateway; use PostgreSQL for that.

mod writer;

use super::*;
use crate::machine::apply;
use a2agw_types::{DEFAULT_PAGE_SIZE, TaskPushNotificationConfig};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteRow, SqliteSynchronous,
};
use sqlx::{Connection as _, Row as _};
use std::path::{Path, PathBuf};
use tokio::sync::{mpsc, oneshot};
use writer::{Job, Op, Reply};

/// The most write requests committed together.
pub(crate) const MAX_BATCH: usize = 256;

/// How long a connection waits for SQLite's lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Read connections.
const READERS: u32 = 4;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// A store in one SQLite file. See the module docs.
#[derive(Debug)]
pub struct SqliteStore {
    path: PathBuf,
    pool: SqlitePool,
    writer: mpsc::Sender<Job>,
    writer_task: tokio::task::JoinHandle<()>,
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

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` with [`Synchronous::Normal`],
    /// applies the migrations and starts the writer task on the current Tokio runtime.
    pub async fn open(path: impl AsRef<Path>) -> StoreResult<Self> {
        Self::open_with(path, Synchronous::default()).await
    }

    /// [`SqliteStore::open`] with this synchronous level.
    pub async fn open_with(path: impl AsRef<Path>, synchronous: Synchronous) -> StoreResult<Self> {
        let path = path.as_ref().to_path_buf();
        let runtime = tokio::runtime::Handle::try_current().map_err(|e| {
            Backend(format!(
                "sqlite {}: needs a Tokio runtime: {e}",
                path.display()
            ))
        })?;
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
        let mut conn = SqliteConnection::connect_with(&options)
            .await
            .map_err(|e| open_error(&path, &e))?;
        MIGRATOR
            .run(&mut conn)
            .await
            .map_err(|e| Backend(format!("sqlite {}: migrations: {e}", path.display())))?;
        let pool = SqlitePoolOptions::new()
            .max_connections(READERS)
            .connect_with(options)
            .await
            .map_err(|e| open_error(&path, &e))?;
        let (writer, rx) = mpsc::channel(MAX_BATCH * 4);
        let tx = broadcast::channel(4096).0;
        let writer_task = runtime.spawn(writer::run(conn, rx, tx.clone()));
        Ok(SqliteStore {
            path,
            pool,
            writer,
            writer_task,
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
            pool,
            writer,
            writer_task,
            ..
        } = self;
        drop(writer);
        let _ = writer_task.await;
        pool.close().await;
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

fn open_error(path: &Path, e: &sqlx::Error) -> StoreError {
    Backend(format!("sqlite {}: {e}", path.display()))
}

#[allow(clippy::needless_pass_by_value)] // for `map_err(db)`
fn db(e: sqlx::Error) -> StoreError {
    Backend(format!("sqlite: {e}"))
}

fn writer_gone() -> StoreError {
    Backend("sqlite: the writer task has stopped".into())
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

impl SqliteStore {
    /// Creates a task, with its lease when `lease` is given, in one write.
    async fn insert(
        &self,
        owner: &str,
        route: &Route,
        task: Task,
        lease: Option<(String, Duration)>,
    ) -> StoreResult<TaskRecord> {
        let id = task.id.clone();

        let event = TaskEvent::created(task, route);
        let record =
            apply(&TaskRecord::default(), &event).map_err(|source| StoreError::Transition {
                task_id: id.clone(),
                source,
            })?;
        let event_json = to_json("event", &id, &event)?;
        let snapshot = to_json("snapshot", &id, &record)?;
        match self
            .submit(Op::Create {
                owner: owner.to_owned(),
                record: Box::new(record),
                snapshot,
                event_json,
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
        self.insert(owner, route, task, None).await
    }

    async fn create_leased(
        &self,
        owner: &str,
        route: &Route,
        task: Task,
        holder: &str,
        ttl: Duration,
    ) -> StoreResult<TaskRecord> {
        self.insert(owner, route, task, Some((holder.to_owned(), ttl)))
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
        let row: Option<(String,)> = sqlx::query_as(
            "SELECT snapshot FROM tasks WHERE id = ?1 AND owner = ?2 AND agent = ?3",
        )
        .bind(task_id)
        .bind(scope.owner)
        .bind(scope.agent)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.map(|(json,)| parse_snapshot(task_id, &json))
            .transpose()
    }

    async fn owner(&self, task_id: &str) -> StoreResult<Option<TaskOwner>> {
        let row: Option<(String, String)> =
            sqlx::query_as("SELECT owner, agent FROM tasks WHERE id = ?1")
                .bind(task_id)
                .fetch_optional(&self.pool)
                .await
                .map_err(db)?;
        Ok(row.map(|(owner, agent)| TaskOwner { owner, agent }))
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
        let context = (!request.context_id.is_empty()).then_some(request.context_id.as_str());
        let state = (request.status != TaskState::Unspecified).then(|| request.status.as_str());
        let after = request.status_timestamp_after.map(Timestamp::unix_millis);
        let page_size = request.page_size.unwrap_or(DEFAULT_PAGE_SIZE);
        let size = usize::try_from(page_size).unwrap_or(0);

        // One read transaction: the count and the page see the same commit.
        let mut tx = self.pool.begin().await.map_err(db)?;
        let (total,): (i64,) =
            sqlx::query_as(concat!("SELECT COUNT(*) FROM tasks WHERE ", list_filter!()))
                .bind(scope.owner)
                .bind(scope.agent)
                .bind(context)
                .bind(state)
                .bind(after)
                .fetch_one(&mut *tx)
                .await
                .map_err(db)?;
        let rows: Vec<SqliteRow> = sqlx::query(concat!(
            "SELECT id, status_millis, snapshot FROM tasks WHERE ",
            list_filter!(),
            " AND (?6 IS NULL OR status_millis < ?6 OR (status_millis = ?6 AND id < ?7))",
            " ORDER BY status_millis DESC, id DESC LIMIT ?8"
        ))
        .bind(scope.owner)
        .bind(scope.agent)
        .bind(context)
        .bind(state)
        .bind(after)
        .bind(cursor.as_ref().map(|c| c.status_millis))
        .bind(cursor.as_ref().map(|c| c.task_id.as_str()))
        .bind(clamp_i64(size.saturating_add(1)))
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?;
        tx.commit().await.map_err(db)?;

        let more = rows.len() > size;
        let include = request.include_artifacts.unwrap_or(false);
        let mut tasks = Vec::with_capacity(rows.len().min(size));
        let mut last = None;
        for row in rows.iter().take(size) {
            let id: String = row.try_get("id").map_err(db)?;
            let ms: i64 = row.try_get("status_millis").map_err(db)?;
            let json: String = row.try_get("snapshot").map_err(db)?;
            let mut task = parse_snapshot(&id, &json)?.task;
            shape_task(&mut task, request.history_length, include);
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
        let rows: Vec<(i64, String)> = sqlx::query_as(
            "SELECT seq, event FROM events WHERE task_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
        )
        .bind(task_id)
        .bind(clamp_i64(after_seq))
        .bind(clamp_i64(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        if rows.is_empty() && self.owner(task_id).await?.is_none() {
            return Err(StoreError::NotFound(task_id.to_owned()));
        }
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
        let row: Option<(String,)> =
            sqlx::query_as("SELECT config FROM push_configs WHERE task_id = ?1 AND id = ?2")
                .bind(task_id)
                .bind(id)
                .fetch_optional(&self.pool)
                .await
                .map_err(db)?;
        row.map(|(json,)| {
            serde_json::from_str(&json)
                .map_err(|e| corrupt(&format!("push config `{id}`"), task_id, e))
        })
        .transpose()
    }

    async fn list_push_configs(
        &self,
        task_id: &str,
    ) -> StoreResult<Vec<TaskPushNotificationConfig>> {
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT id, config FROM push_configs WHERE task_id = ?1 ORDER BY id")
                .bind(task_id)
                .fetch_all(&self.pool)
                .await
                .map_err(db)?;
        rows.into_iter()
            .map(|(id, json)| {
                serde_json::from_str(&json)
                    .map_err(|e| corrupt(&format!("push config `{id}`"), task_id, e))
            })
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
        // Reads every config with its task's `last_seq` (by primary key): configs are few
        // next to events, and this runs about once a second.
        let rows: Vec<(String, String, String, i64, i64)> = sqlx::query_as(
            "SELECT p.task_id, p.id, p.config, p.delivered_seq, t.last_seq \
             FROM push_configs p JOIN tasks t ON t.id = p.task_id \
             WHERE p.delivered_seq < t.last_seq \
             AND (p.claim_holder IS NULL OR p.claim_holder = ?2 \
                  OR p.claim_until_millis IS NULL OR p.claim_until_millis <= ?3) \
             ORDER BY p.task_id, p.id LIMIT ?1",
        )
        .bind(clamp_i64(limit))
        .bind(holder)
        .bind(now_millis())
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.into_iter()
            .map(|(task_id, id, json, delivered, last)| {
                let config = serde_json::from_str(&json)
                    .map_err(|e| corrupt(&format!("push config `{id}`"), &task_id, e))?;
                Ok(PushBacklog {
                    config,
                    delivered_seq: u64::try_from(delivered)
                        .map_err(|e| corrupt("push cursor", &task_id, e))?,
                    last_seq: u64::try_from(last)
                        .map_err(|e| corrupt("last sequence", &task_id, e))?,
                })
            })
            .collect()
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
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT id FROM tasks WHERE state IN (?1, ?2) \
             AND (lease_until_millis IS NULL OR lease_until_millis <= ?3) ORDER BY id LIMIT ?4",
        )
        .bind(TaskState::Submitted.as_str())
        .bind(TaskState::Working.as_str())
        .bind(now_millis())
        .bind(clamp_i64(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    async fn agents_revision(&self) -> StoreResult<i64> {
        sqlx::query_scalar("SELECT revision FROM agents_revision WHERE id = 1")
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?
            .ok_or_else(revision_missing)
    }

    async fn list_agents(&self) -> StoreResult<(i64, Vec<StoredAgent>)> {
        // One statement, so one read of the database: the revision and the rows agree.
        let rows: Vec<AgentRow> = sqlx::query_as(
            "SELECT r.revision, a.name, a.version, a.doc, a.created_ms, a.updated_ms \
             FROM agents_revision r LEFT JOIN agents a ON 1 = 1 \
             WHERE r.id = 1 ORDER BY a.name",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
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
        let row: Option<(i64, String, i64, i64)> = sqlx::query_as(
            "SELECT version, doc, created_ms, updated_ms FROM agents WHERE name = ?1",
        )
        .bind(name)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
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
