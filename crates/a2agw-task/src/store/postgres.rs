//! PostgreSQL store: one database shared by every gateway instance.
//!
//! # Layout
//! Migrations (`migrations/postgres/`) are applied at start, under a PostgreSQL advisory
//! lock, so instances may start at the same moment. Tables: `tasks` (owner, context, state,
//! status time, the snapshot — the [`TaskRecord`] as JSON —, the last sequence number and
//! the lease), `events` (`(task_id, seq)` → the [`TaskEvent`] as JSON) and `push_configs`
//! (the config as JSON, its delivery cursor and its delivery claim), `agents` (agents
//! registered at run time: name, version, the document as JSON, times) and the one-row
//! `agents_revision`.
//! A store may be given its own schema ([`PostgresOptions::schema`]): it is created when
//! missing and set as the `search_path` of every pooled connection.
//!
//! # Appends: group commit
//! [`TaskStore::append`] hands its events to a small pool of writer tasks
//! ([`PostgresOptions::writers`]). Each writer takes every request waiting in the queue (up
//! to [`PostgresOptions::max_batch`]) and runs them in **one** transaction: it locks the
//! tasks' rows (`SELECT … FOR UPDATE`, in id order so writers cannot deadlock), applies
//! each request's events through [`crate::machine::apply`] on the locked snapshot, inserts
//! the accepted events and updates the snapshots, then commits and announces each append.
//! Each caller is answered only after that commit, so an acknowledged append is
//! durable exactly as with one transaction per append; a request with an illegal event gets
//! [`StoreError::Transition`] and writes nothing, without affecting the others in its batch.
//! Several requests for the same task in one batch are applied in the order they were
//! queued. Under load the queue fills while the writers commit, so batches grow by
//! themselves; an idle store commits each append on its own, without waiting.
//!
//! The snapshot a writer starts from is the row's, unless the row shows (same `last_seq`
//! and `incarnation`) that it is still the one this store wrote last: then the copy kept in
//! memory ([`PostgresOptions::snapshot_cache_bytes`]) is used and the row's is not sent.
//!
//! # Announcements: `watch`
//! Every append is notified on the channel `a2agw_events` (`a2agw_events_<schema>` with a
//! schema) with the payload `<instance>:<last_seq>:<task_id>`, after its commit, in
//! batches, by a notifier task outside the writing transactions (inside them, PostgreSQL
//! would serialize every notifying commit database-wide, fsync included: `notify.rs` has
//! the figures). Each store keeps one connection `LISTEN`ing on that channel and
//! re-broadcasts on [`TaskStore::watch`] the notifications of **other** instances. Its own
//! appends it broadcasts itself, right after their commit and before `append` returns, in
//! commit order (the writers' commits and these broadcasts take one lock; a create needs
//! none, since nothing writes a task before it exists). So each append is announced once
//! per instance; on the instance that made it, a receiver created after `append` returned
//! never sees it, and a task's announcements come in sequence order. Announcements of
//! appends made through different instances may interleave out of order, and one whose
//! process died between its commit and its notification never reaches the others.
//!
//! When the listening connection is lost it is re-established, but notifications sent in
//! between are gone and cannot be known. **Subscribers must therefore not rely on `watch`
//! alone**: they must also re-read the log ([`TaskStore::events_after`]) on a timer, and
//! whenever their receiver reports `Lagged`. The table is the truth; NOTIFY is the wake-up.
//!
//! # Leases and push claims
//! Task leases and push delivery claims ([`TaskStore::try_claim_push`]) expire by the
//! database clock (`now()`), so instances whose clocks differ agree. Each is taken by one
//! conditional `UPDATE`: of two instances racing, exactly one gets it.
//!
//! # Agents
//! An agent write ([`TaskStore::put_agent`], [`TaskStore::delete_agent`]) is one
//! transaction: a conditional `INSERT … ON CONFLICT DO NOTHING`, `UPDATE … WHERE version =`
//! or `DELETE` of the agent's row (of writers racing on one name the row lock lets exactly
//! one through; the others find the row taken or at another version), then, only when that
//! changed something, `agents_revision` + 1. Updating that one row last orders the writers'
//! commits, so revisions become visible in increasing order, each with its write.
//! [`TaskStore::list_agents`] reads the revision and the rows in one statement (one
//! snapshot); instances poll [`TaskStore::agents_revision`], a primary-key read.

mod cache;
mod listener;
mod notify;
mod push;
mod writer;

use super::*;
use a2agw_types::DEFAULT_PAGE_SIZE;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use sqlx::{AssertSqlSafe, Connection as _};
use std::str::FromStr;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// Table recording applied migrations (not sqlx's default, so that another application's
/// migrations in the same schema cannot be confused with ours).
const MIGRATIONS_TABLE: &str = "a2agw_task_migrations";

/// Advisory lock key held while a store creates its schema and migrates (any fixed number
/// that no other code of the database uses; here the bytes of "a2agwtsk").
const MIGRATION_LOCK: i64 = 0x6132_6167_7774_736b;

/// Notification channel of the default schema.
const CHANNEL: &str = "a2agw_events";

/// Longest schema name: the channel `a2agw_events_<schema>` must fit PostgreSQL's 63-byte
/// identifiers.
const MAX_SCHEMA_LEN: usize = 63 - CHANNEL.len() - 1;

/// Capacity of the [`TaskStore::watch`] broadcast (a receiver further behind gets `Lagged`).
const WATCH_CAPACITY: usize = 16_384;

/// Longest lease or push claim accepted (longer ones are shortened to this), so the
/// database's interval arithmetic cannot overflow.
const MAX_LEASE: Duration = Duration::from_secs(10 * 365 * 24 * 3600);

/// How a [`PostgresStore`] connects and writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PostgresOptions {
    /// Schema holding the tables, created when missing; `None` uses the connection's
    /// default `search_path` (normally `public`). Lowercase ASCII letters, digits and `_`,
    /// not starting with a digit, at most 50 bytes. Stores on different schemas of one
    /// database are fully independent (tables and notification channel).
    pub schema: Option<String>,
    /// Connections of the pool (the listening connection is extra). At least
    /// `writers + 1` is sensible.
    pub max_connections: u32,
    /// Writer tasks committing appends concurrently (at least 1). Few is best: commits
    /// that notify are serialized by PostgreSQL, so throughput comes from batch size, and
    /// fewer writers make bigger batches (measured on 2 cores: 2 writers ≈ 1 > 4 > 8).
    pub writers: usize,
    /// Most appends committed in one transaction (at least 1).
    pub max_batch: usize,
    /// Memory for the snapshots this store wrote last (counted as their JSON size; 0
    /// disables it). A writer reuses the snapshot it wrote when the task's row shows it is
    /// still the current one, rather than reading it back and parsing it.
    pub snapshot_cache_bytes: usize,
}

impl Default for PostgresOptions {
    fn default() -> Self {
        PostgresOptions {
            schema: None,
            max_connections: 10,
            writers: 2,
            max_batch: 128,
            snapshot_cache_bytes: 64 << 20,
        }
    }
}

/// A [`TaskStore`] in PostgreSQL, shared by any number of gateway instances.
/// See the module docs for the design.
pub struct PostgresStore {
    pool: PgPool,
    announcer: Arc<Announcer>,
    queue: mpsc::Sender<writer::Request>,
    cache: Arc<cache::Cache>,
    listener: JoinHandle<()>,
}

impl Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("pool", &self.pool)
            .field("channel", &self.announcer.channel)
            .field("instance", &self.announcer.instance)
            .finish_non_exhaustive()
    }
}

impl Drop for PostgresStore {
    fn drop(&mut self) {
        // The writers end by themselves once the queue's sender is gone (after answering
        // what was queued); the listener waits forever, so stop it.
        self.listener.abort();
    }
}

/// How appends are announced: by NOTIFY to the other instances, and on this store's
/// broadcast directly after commit.
#[derive(Debug)]
struct Announcer {
    /// Tags this store's notifications, so that its listener skips them (they were
    /// broadcast already).
    instance: String,
    /// The notification channel.
    channel: String,
    /// What [`TaskStore::watch`] subscribes to.
    tx: broadcast::Sender<Appended>,
    /// Held by the append writers across each commit and the broadcast after it, so that
    /// this store's announcements of appends go out in commit order.
    commit: tokio::sync::Mutex<()>,
    /// Sends the announcements to the other instances, after the commit.
    notifier: notify::Notifier,
}

impl Announcer {
    /// The notification payload: `<instance>:<last_seq>:<task_id>`.
    fn payload(&self, task_id: &str, last_seq: u64) -> String {
        format!("{}:{last_seq}:{task_id}", self.instance)
    }

    /// Announces a committed append here and, by NOTIFY, to the other instances.
    fn announce(&self, task_id: &str, last_seq: u64) {
        self.notifier.notify(self.payload(task_id, last_seq));
        let _ = self.tx.send(Appended {
            task_id: task_id.to_owned(),
            last_seq,
        });
    }
}

impl PostgresStore {
    /// Connects to `url` (e.g. `postgres://user@host:5432/db`), applies the migrations to
    /// the default schema and starts listening for other instances' appends.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        Self::connect_with(url, PostgresOptions::default()).await
    }

    /// Like [`PostgresStore::connect`], on `schema` (created when missing).
    pub async fn connect_with_schema(url: &str, schema: &str) -> StoreResult<Self> {
        Self::connect_with(
            url,
            PostgresOptions {
                schema: Some(schema.to_owned()),
                ..PostgresOptions::default()
            },
        )
        .await
    }

    /// Connects with explicit [`PostgresOptions`].
    pub async fn connect_with(url: &str, options: PostgresOptions) -> StoreResult<Self> {
        let connect = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::Backend(format!("invalid PostgreSQL URL: {e}")))?;
        let search_path = match &options.schema {
            Some(schema) => {
                check_schema(schema)?;
                Some(quote_ident(schema))
            }
            None => None,
        };
        migrate(&connect, options.schema.as_deref()).await?;

        let mut pool = PgPoolOptions::new().max_connections(options.max_connections.max(1));
        if let Some(path) = search_path {
            pool = pool.after_connect(move |conn, _meta| {
                let path = path.clone();
                Box::pin(async move {
                    set_search_path(conn, &path).await?;
                    Ok(())
                })
            });
        }
        let pool = pool.connect_with(connect.clone()).await.map_err(backend)?;

        let channel = match &options.schema {
            Some(schema) => format!("{CHANNEL}_{schema}"),
            None => CHANNEL.to_owned(),
        };
        let announcer = Arc::new(Announcer {
            instance: uuid::Uuid::new_v4().simple().to_string(),
            channel: channel.clone(),
            tx: broadcast::channel(WATCH_CAPACITY).0,
            commit: tokio::sync::Mutex::new(()),
            notifier: notify::Notifier::start(pool.clone(), channel.clone()),
        });
        let listener = listener::start(connect, Arc::clone(&announcer))
            .await
            .map_err(|e| StoreError::Backend(format!("LISTEN {channel}: {e}")))?;
        let cache = Arc::new(cache::Cache::new(options.snapshot_cache_bytes));
        let writers = options.writers.max(1);
        let (queue, requests) = mpsc::channel(writers * options.max_batch.max(1) * 2);
        writer::spawn(
            writer::Shared {
                pool: pool.clone(),
                announcer: Arc::clone(&announcer),
                cache: Arc::clone(&cache),
                max_batch: options.max_batch.max(1),
            },
            requests,
            writers,
        );
        Ok(PostgresStore {
            pool,
            announcer,
            queue,
            cache,
            listener,
        })
    }

    /// The connection pool (its connections use the store's schema).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// The notification channel this store announces appends on and listens to.
    pub fn channel(&self) -> &str {
        &self.announcer.channel
    }

    async fn snapshot(&self, task_id: &str) -> StoreResult<Option<TaskRecord>> {
        let text: Option<String> =
            sqlx::query_scalar("SELECT snapshot::text FROM tasks WHERE id = $1")
                .bind(task_id)
                .fetch_optional(&self.pool)
                .await
                .map_err(backend)?;
        text.map(|t| parse_snapshot(task_id, &t)).transpose()
    }

    async fn exists(&self, task_id: &str) -> StoreResult<bool> {
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM tasks WHERE id = $1)")
            .bind(task_id)
            .fetch_one(&self.pool)
            .await
            .map_err(backend)
    }
}

impl PostgresStore {
    /// Creates a task, with its lease when `lease` (`(holder, ttl)`) is given and `events`
    /// after its `Created` event, in one statement.
    async fn insert(
        &self,
        owner: &str,
        route: &Route,
        task: Task,
        lease: Option<(&str, Duration)>,
        events: &[TaskEvent],
    ) -> StoreResult<TaskRecord> {
        let id = task.id.clone();

        let (log, record) = fold_created(route, task, events)?;
        let log = log.iter().map(to_json).collect::<StoreResult<Vec<_>>>()?;
        let seqs: Vec<i64> = (1..).take(log.len()).collect();
        let last_seq = i64::try_from(record.last_seq)
            .map_err(|_| StoreError::Backend("sequence number too large".into()))?;
        let snapshot_json = to_json(&record)?;
        // A task created already ended is nobody's to drive.
        let lease = lease.filter(|_| !record.task.status.state.is_terminal());
        let state = record.task.status.state;
        let incarnation = i64::from_ne_bytes(uuid::Uuid::new_v4().as_u64_pair().0.to_ne_bytes());
        // One statement, so one implicit transaction: the task and its log. Announced after
        // the commit; no lock: nothing else can write a task before it exists, so its
        // announcements stay in order.
        let result = sqlx::query(
            "WITH t AS (
                INSERT INTO tasks
                    (id, owner, context_id, state, active, status_millis, snapshot, last_seq,
                     incarnation, agent, lease_holder, lease_until)
                VALUES ($1, $2, $3, $4, $5, $6, $7::json, $14, $9, $10, $11,
                        CASE WHEN $11::text IS NULL THEN NULL
                             ELSE now() + make_interval(secs => $12) END)
            )
            INSERT INTO events (task_id, seq, event)
            SELECT $1, s, e::json FROM UNNEST($13::int8[], $8::text[]) AS u(s, e)",
        )
        .bind(&id)
        .bind(owner)
        .bind(&record.task.context_id)
        .bind(state.as_str())
        .bind(is_active(state))
        .bind(status_millis(&record.task))
        .bind(&snapshot_json)
        .bind(&log)
        .bind(incarnation)
        .bind(&record.agent)
        .bind(lease.map(|(holder, _)| holder))
        .bind(lease.map_or(0.0, |(_, ttl)| ttl.min(MAX_LEASE).as_secs_f64()))
        .bind(&seqs)
        .bind(last_seq)
        .execute(&self.pool)
        .await;
        match result {
            Ok(_) => {
                self.announcer.announce(&id, record.last_seq);
                let record = Arc::new(record);
                self.cache
                    .put(&id, incarnation, Arc::clone(&record), snapshot_json.len());
                Ok(Arc::unwrap_or_clone(record))
            }
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                Err(StoreError::AlreadyExists(id))
            }
            Err(e) => Err(backend(e)),
        }
    }
}

#[async_trait::async_trait]
impl TaskStore for PostgresStore {
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
        self.insert(owner, route, task, Some((holder, ttl)), events)
            .await
    }

    async fn append(&self, task_id: &str, events: &[TaskEvent]) -> StoreResult<TaskRecord> {
        if events.is_empty() {
            return self
                .snapshot(task_id)
                .await?
                .ok_or_else(|| StoreError::NotFound(task_id.to_owned()));
        }
        // Serialized here, by the caller, rather than by the writer that holds row locks.
        let json = events
            .iter()
            .map(to_json)
            .collect::<StoreResult<Vec<_>>>()?;
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(writer::Request {
                task_id: task_id.to_owned(),
                events: events.to_vec(),
                json,
                reply,
            })
            .await
            .map_err(|_| StoreError::Backend("the store's writers have stopped".into()))?;
        let record = answer.await.map_err(|_| {
            StoreError::Backend("the store's writer stopped before answering".into())
        })??;
        Ok(Arc::unwrap_or_clone(record))
    }

    async fn get(&self, scope: Scope<'_>, task_id: &str) -> StoreResult<Option<TaskRecord>> {
        let text: Option<String> = sqlx::query_scalar(
            "SELECT snapshot::text FROM tasks WHERE id = $1 AND owner = $2 AND agent = $3",
        )
        .bind(task_id)
        .bind(scope.owner)
        .bind(scope.agent)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        text.map(|t| parse_snapshot(task_id, &t)).transpose()
    }

    async fn owner(&self, task_id: &str) -> StoreResult<Option<TaskOwner>> {
        let row: Option<(String, String)> =
            sqlx::query_as("SELECT owner, agent FROM tasks WHERE id = $1")
                .bind(task_id)
                .fetch_optional(&self.pool)
                .await
                .map_err(backend)?;
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
        let state = match request.status {
            TaskState::Unspecified => "",
            s => s.as_str(),
        };
        let after = request.status_timestamp_after.map(Timestamp::unix_millis);
        let page_size = request.page_size.unwrap_or(DEFAULT_PAGE_SIZE);
        let size = usize::try_from(page_size).unwrap_or(0);

        // Count and page from one snapshot of the database.
        let mut tx = self
            .pool
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .await
            .map_err(backend)?;
        let total: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM tasks
             WHERE owner = $1 AND agent = $5
               AND ($2 = '' OR context_id = $2)
               AND ($3 = '' OR state = $3)
               AND ($4::int8 IS NULL OR status_millis >= $4)",
        )
        .bind(scope.owner)
        .bind(&request.context_id)
        .bind(state)
        .bind(after)
        .bind(scope.agent)
        .fetch_one(&mut *tx)
        .await
        .map_err(backend)?;
        let rows: Vec<(i64, String, String)> = sqlx::query_as(
            "SELECT status_millis, id, snapshot::text FROM tasks
             WHERE owner = $1 AND agent = $8
               AND ($2 = '' OR context_id = $2)
               AND ($3 = '' OR state = $3)
               AND ($4::int8 IS NULL OR status_millis >= $4)
               AND ($5::int8 IS NULL OR (status_millis, id) < ($5, $6::text COLLATE \"C\"))
             ORDER BY status_millis DESC, id DESC
             LIMIT $7",
        )
        .bind(scope.owner)
        .bind(&request.context_id)
        .bind(state)
        .bind(after)
        .bind(cursor.as_ref().map(|c| c.status_millis))
        .bind(cursor.as_ref().map(|c| c.task_id.as_str()))
        .bind(i64::try_from(size.saturating_add(1)).unwrap_or(i64::MAX))
        .bind(scope.agent)
        .fetch_all(&mut *tx)
        .await
        .map_err(backend)?;
        tx.commit().await.map_err(backend)?;

        let more = rows.len() > size;
        let mut page = rows;
        page.truncate(size);
        let next_page_token = match (more, page.last()) {
            (true, Some((ms, id, _))) => PageCursor {
                status_millis: *ms,
                task_id: id.clone(),
            }
            .encode(),
            _ => String::new(),
        };
        let include = request.include_artifacts.unwrap_or(false);
        let tasks = page
            .into_iter()
            .map(|(_, id, text)| {
                let mut task = parse_snapshot(&id, &text)?.task;
                shape_task(&mut task, request.history_length, include);
                Ok(task)
            })
            .collect::<StoreResult<Vec<_>>>()?;
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
            "SELECT seq, event::text FROM events
             WHERE task_id = $1 AND seq > $2
             ORDER BY seq
             LIMIT $3",
        )
        .bind(task_id)
        .bind(i64::try_from(after_seq).unwrap_or(i64::MAX))
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        if rows.is_empty() && !self.exists(task_id).await? {
            return Err(StoreError::NotFound(task_id.to_owned()));
        }
        rows.into_iter()
            .map(|(seq, text)| {
                Ok(StoredEvent {
                    seq: u64::try_from(seq).map_err(|_| {
                        StoreError::Backend(format!("task `{task_id}`: negative seq {seq}"))
                    })?,
                    event: serde_json::from_str(&text).map_err(|e| {
                        StoreError::Backend(format!(
                            "task `{task_id}`: stored event {seq} is unreadable: {e}"
                        ))
                    })?,
                })
            })
            .collect()
    }

    fn watch(&self) -> broadcast::Receiver<Appended> {
        self.announcer.tx.subscribe()
    }

    async fn put_push_config(&self, config: &TaskPushNotificationConfig) -> StoreResult<()> {
        let done = sqlx::query(
            "INSERT INTO push_configs (task_id, id, config)
             SELECT $1, $2, $3::json WHERE EXISTS (SELECT 1 FROM tasks WHERE id = $1)
             ON CONFLICT (task_id, id) DO UPDATE SET config = EXCLUDED.config",
        )
        .bind(&config.task_id)
        .bind(&config.id)
        .bind(to_json(config)?)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(config.task_id.clone()));
        }
        Ok(())
    }

    async fn get_push_config(
        &self,
        task_id: &str,
        id: &str,
    ) -> StoreResult<Option<TaskPushNotificationConfig>> {
        let text: Option<String> = sqlx::query_scalar(
            "SELECT config::text FROM push_configs WHERE task_id = $1 AND id = $2",
        )
        .bind(task_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        text.map(|t| parse_push_config(task_id, &t)).transpose()
    }

    async fn list_push_configs(
        &self,
        task_id: &str,
    ) -> StoreResult<Vec<TaskPushNotificationConfig>> {
        let texts: Vec<String> = sqlx::query_scalar(
            "SELECT config::text FROM push_configs WHERE task_id = $1 ORDER BY id",
        )
        .bind(task_id)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        texts
            .iter()
            .map(|t| parse_push_config(task_id, t))
            .collect()
    }

    async fn delete_push_config(&self, task_id: &str, id: &str) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM push_configs WHERE task_id = $1 AND id = $2")
            .bind(task_id)
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(done.rows_affected() > 0)
    }

    async fn set_push_cursor(
        &self,
        task_id: &str,
        config_id: &str,
        delivered_seq: u64,
    ) -> StoreResult<()> {
        push::set_push_cursor(&self.pool, task_id, config_id, delivered_seq).await
    }

    async fn push_backlog(&self, holder: &str, limit: usize) -> StoreResult<Vec<PushBacklog>> {
        push::push_backlog(&self.pool, holder, limit).await
    }

    async fn try_claim_push(
        &self,
        task_id: &str,
        config_id: &str,
        holder: &str,
        ttl: Duration,
    ) -> StoreResult<Option<u64>> {
        push::try_claim_push(&self.pool, task_id, config_id, holder, ttl).await
    }

    async fn release_push_claim(
        &self,
        task_id: &str,
        config_id: &str,
        holder: &str,
    ) -> StoreResult<()> {
        push::release_push_claim(&self.pool, task_id, config_id, holder).await
    }

    async fn try_lease(&self, task_id: &str, holder: &str, ttl: Duration) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE tasks
             SET lease_holder = $2, lease_until = now() + make_interval(secs => $3)
             WHERE id = $1
               AND (lease_holder IS NULL OR lease_holder = $2
                    OR lease_until IS NULL OR lease_until <= now())",
        )
        .bind(task_id)
        .bind(holder)
        .bind(ttl.min(MAX_LEASE).as_secs_f64())
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        if done.rows_affected() > 0 {
            return Ok(true);
        }
        if self.exists(task_id).await? {
            Ok(false)
        } else {
            Err(StoreError::NotFound(task_id.to_owned()))
        }
    }

    async fn release_lease(&self, task_id: &str, holder: &str) -> StoreResult<()> {
        sqlx::query(
            "UPDATE tasks SET lease_holder = NULL, lease_until = NULL
             WHERE id = $1 AND lease_holder = $2",
        )
        .bind(task_id)
        .bind(holder)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn orphaned(&self, limit: usize) -> StoreResult<Vec<String>> {
        sqlx::query_scalar(
            "SELECT id FROM tasks
             WHERE active AND (lease_until IS NULL OR lease_until <= now())
             ORDER BY id
             LIMIT $1",
        )
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)
    }

    async fn agents_revision(&self) -> StoreResult<i64> {
        sqlx::query_scalar("SELECT revision FROM agents_revision WHERE id = 1")
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?
            .ok_or_else(revision_missing)
    }

    async fn list_agents(&self) -> StoreResult<(i64, Vec<StoredAgent>)> {
        // One statement, so one snapshot: the revision and the rows agree.
        let rows: Vec<AgentRow> = sqlx::query_as(
            "SELECT r.revision, a.name, a.version, a.doc::text, a.created_ms, a.updated_ms
             FROM agents_revision r LEFT JOIN agents a ON true
             WHERE r.id = 1
             ORDER BY a.name",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
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
            "SELECT version, doc::text, created_ms, updated_ms FROM agents WHERE name = $1",
        )
        .bind(name)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
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
        let json = to_json(doc)?;
        // Dropped without commit (an error, a refusal) it rolls back.
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let written: Option<(i64, i64, i64)> = match expected_version {
            None => sqlx::query_as(AssertSqlSafe(format!(
                "INSERT INTO agents (name, version, doc, created_ms, updated_ms)
                 VALUES ($1, 1, $2::json, {NOW_MS}, {NOW_MS})
                 ON CONFLICT (name) DO NOTHING
                 RETURNING version, created_ms, updated_ms"
            )))
            .bind(name)
            .bind(&json)
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?,
            Some(expected) => sqlx::query_as(AssertSqlSafe(format!(
                "UPDATE agents SET doc = $2::json, version = version + 1, updated_ms = {NOW_MS}
                 WHERE name = $1 AND version = $3
                 RETURNING version, created_ms, updated_ms"
            )))
            .bind(name)
            .bind(&json)
            .bind(expected)
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?,
        };
        let Some((version, created_ms, updated_ms)) = written else {
            return Err(match expected_version {
                None => StoreError::AlreadyExists(name.to_owned()),
                Some(expected) => match agent_version(&mut tx, name).await? {
                    None => StoreError::NotFound(name.to_owned()),
                    Some(stored) => agent_conflict(name, expected, stored),
                },
            });
        };
        bump_agents_revision(&mut tx).await?;
        tx.commit().await.map_err(backend)?;
        Ok(StoredAgent {
            name: name.to_owned(),
            version,
            doc: doc.clone(),
            created_ms,
            updated_ms,
        })
    }

    async fn delete_agent(&self, name: &str, expected_version: Option<i64>) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let done = sqlx::query(
            "DELETE FROM agents WHERE name = $1 AND ($2::int8 IS NULL OR version = $2)",
        )
        .bind(name)
        .bind(expected_version)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        if done.rows_affected() == 0 {
            return match (agent_version(&mut tx, name).await?, expected_version) {
                (Some(stored), Some(expected)) => Err(agent_conflict(name, expected, stored)),
                _ => Ok(false),
            };
        }
        bump_agents_revision(&mut tx).await?;
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }
}

/// The database clock (transaction start) in Unix milliseconds, for agent timestamps.
const NOW_MS: &str = "(extract(epoch FROM now()) * 1000)::int8";

/// Bumps the registry revision, in the transaction of the agent write it counts (a missing
/// row fails the transaction rather than letting the write go unseen).
async fn bump_agents_revision(conn: &mut PgConnection) -> StoreResult<()> {
    sqlx::query_scalar::<_, i64>(
        "UPDATE agents_revision SET revision = revision + 1 WHERE id = 1 RETURNING revision",
    )
    .fetch_optional(&mut *conn)
    .await
    .map_err(backend)?
    .ok_or_else(revision_missing)
    .map(drop)
}

/// The stored version of an agent, if there is one.
async fn agent_version(conn: &mut PgConnection, name: &str) -> StoreResult<Option<i64>> {
    sqlx::query_scalar("SELECT version FROM agents WHERE name = $1")
        .bind(name)
        .fetch_optional(&mut *conn)
        .await
        .map_err(backend)
}

fn revision_missing() -> StoreError {
    StoreError::Backend("the agents_revision row is missing".into())
}

fn parse_agent_doc(name: &str, text: &str) -> StoreResult<serde_json::Value> {
    serde_json::from_str(text)
        .map_err(|e| StoreError::Backend(format!("agent `{name}`: stored doc is unreadable: {e}")))
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

/// Creates the schema if needed and applies the migrations, on a connection of its own
/// that is closed afterwards (closing ends the session, which frees the advisory lock
/// whatever happened).
async fn migrate(connect: &PgConnectOptions, schema: Option<&str>) -> StoreResult<()> {
    let mut conn = PgConnection::connect_with(connect).await.map_err(backend)?;
    let result = migrate_on(&mut conn, schema).await;
    let _ = conn.close().await;
    result
}

async fn migrate_on(conn: &mut PgConnection, schema: Option<&str>) -> StoreResult<()> {
    // One lock for schema creation and migration: concurrent `CREATE SCHEMA IF NOT EXISTS`
    // of one name can fail, and two migrators must not interleave.
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(MIGRATION_LOCK)
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
    if let Some(schema) = schema {
        // `schema` is checked by `check_schema`: letters, digits and `_` only.
        sqlx::query(AssertSqlSafe(format!(
            "CREATE SCHEMA IF NOT EXISTS {}",
            quote_ident(schema)
        )))
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
        set_search_path(conn, &quote_ident(schema))
            .await
            .map_err(backend)?;
    }
    let mut migrator = sqlx::migrate::Migrator::with_migrations(MIGRATOR.iter().cloned().collect());
    migrator.dangerous_set_table_name(MIGRATIONS_TABLE);
    // Our own lock is held.
    migrator.set_locking(false);
    // `run_direct` is what `Migrator::run` calls; `run`'s `Acquire` bound makes callers'
    // futures fail the `Send` check of `tokio::spawn` ("not general enough"), which sqlx
    // exposes `run_direct` to avoid.
    migrator
        .run_direct(None, &mut *conn, false)
        .await
        .map_err(|e| StoreError::Backend(format!("PostgreSQL migrations: {e}")))?;
    sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(MIGRATION_LOCK)
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
    Ok(())
}

async fn set_search_path(conn: &mut PgConnection, path: &str) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT set_config('search_path', $1, false)")
        .bind(path)
        .execute(conn)
        .await?;
    Ok(())
}

fn check_schema(schema: &str) -> StoreResult<()> {
    let mut chars = schema.chars();
    let ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && schema.len() <= MAX_SCHEMA_LEN;
    if ok {
        Ok(())
    } else {
        Err(StoreError::Backend(format!(
            "invalid schema name `{schema}`: lowercase ASCII letters, digits and `_`, \
             not starting with a digit, at most {MAX_SCHEMA_LEN} bytes"
        )))
    }
}

fn quote_ident(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

fn to_json(value: &impl serde::Serialize) -> StoreResult<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Backend(format!("serialize: {e}")))
}

fn parse_snapshot(task_id: &str, text: &str) -> StoreResult<TaskRecord> {
    serde_json::from_str(text).map_err(|e| {
        StoreError::Backend(format!(
            "task `{task_id}`: stored snapshot is unreadable: {e}"
        ))
    })
}

fn parse_push_config(task_id: &str, text: &str) -> StoreResult<TaskPushNotificationConfig> {
    serde_json::from_str(text).map_err(|e| {
        StoreError::Backend(format!(
            "task `{task_id}`: stored push config is unreadable: {e}"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_names() {
        assert!(check_schema("a2agw").is_ok());
        assert!(check_schema("_t_0123").is_ok());
        assert!(check_schema(&"s".repeat(MAX_SCHEMA_LEN)).is_ok());
        assert!(check_schema(&"s".repeat(MAX_SCHEMA_LEN + 1)).is_err());
        for bad in ["", "1abc", "Abc", "a-b", "a\"b", "a b", "é"] {
            assert!(check_schema(bad).is_err(), "{bad}");
        }
    }
}
