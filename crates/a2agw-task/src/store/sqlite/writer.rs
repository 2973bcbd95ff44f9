//! The single writer of a [`super::SqliteStore`]: group commit of every write request, on
//! a dedicated OS thread that owns one rusqlite connection.

use super::{MAX_BATCH, clamp_i64, now_millis, parse_snapshot, status_millis, to_json};
use crate::machine::{TaskEvent, TaskRecord, apply};
use crate::store::{Appended, StoreError, StoreResult, agent_conflict, push_config_not_found};
use rusqlite::{Connection, OptionalExtension as _, TransactionBehavior, params};
use std::collections::HashMap;
use std::time::Duration;
use tokio::sync::{broadcast, mpsc, oneshot};

/// A write request.
#[derive(Debug)]
pub(super) enum Op {
    /// Insert a new task: its log (the `Created` event, then any events appended with it)
    /// already applied and serialized by the caller; `record` is the snapshot after it.
    Create {
        owner: String,
        record: Box<TaskRecord>,
        snapshot: String,
        log: Vec<String>,
        /// The lease to take with it: `(holder, ttl)`.
        lease: Option<(String, Duration)>,
    },
    /// Append events (each with its JSON) to a task.
    Append {
        task_id: String,
        events: Vec<(TaskEvent, String)>,
    },
    /// Insert or replace a push config (JSON).
    PutPush {
        task_id: String,
        id: String,
        json: String,
    },
    /// Delete a push config.
    DeletePush { task_id: String, id: String },
    /// Move a push config's delivery cursor forward (never back, never past the task's
    /// last sequence number).
    PushCursor {
        task_id: String,
        id: String,
        delivered_seq: u64,
    },
    /// Take or renew a push config's delivery claim.
    ClaimPush {
        task_id: String,
        id: String,
        holder: String,
        ttl: Duration,
    },
    /// Give a push config's delivery claim up.
    ReleasePush {
        task_id: String,
        id: String,
        holder: String,
    },
    /// Take or renew a lease.
    Lease {
        task_id: String,
        holder: String,
        ttl: Duration,
    },
    /// Give a lease up.
    Release { task_id: String, holder: String },
    /// Create (`expected_version: None`) or update (at that version) an agent, and bump the
    /// registry revision.
    PutAgent {
        name: String,
        /// The document, compact JSON.
        doc: String,
        expected_version: Option<i64>,
    },
    /// Delete an agent (at that version, when given), and bump the registry revision.
    DeleteAgent {
        name: String,
        expected_version: Option<i64>,
    },
    /// Nothing: answered once every request queued before it is committed (a flush).
    Barrier,
}

/// The answer to a write request.
#[derive(Debug)]
pub(super) enum Reply {
    /// The task's new snapshot.
    Record(Box<TaskRecord>),
    /// Done.
    Done,
    /// A yes/no answer (lease taken, config deleted).
    Flag(bool),
    /// A push claim: the config's delivery cursor when taken, `None` when held by another.
    Claim(Option<u64>),
    /// An agent written: its new version and timestamps.
    Agent {
        version: i64,
        created_ms: i64,
        updated_ms: i64,
    },
}

/// A request and where to answer it.
#[derive(Debug)]
pub(super) struct Job {
    pub(super) op: Op,
    pub(super) reply: oneshot::Sender<StoreResult<Reply>>,
}

/// The writer loop, on its own thread: runs until every sender is dropped, then closes the
/// connection and says so on `done`.
#[allow(clippy::needless_pass_by_value)] // the thread owns what it is given
pub(super) fn run(
    mut conn: Connection,
    mut rx: mpsc::Receiver<Job>,
    announce: broadcast::Sender<Appended>,
    done: oneshot::Sender<()>,
) {
    let mut jobs = Vec::with_capacity(MAX_BATCH);
    let mut cache = Cache::default();
    while rx.blocking_recv_many(&mut jobs, MAX_BATCH) > 0 {
        let (ops, replies): (Vec<Op>, Vec<_>) = jobs.drain(..).map(|j| (j.op, j.reply)).unzip();
        match batch(&mut conn, &ops, &mut cache) {
            Ok(done) => deliver(done, replies, &announce),
            Err(e) if ops.len() == 1 => fail(&e, replies),
            Err(e) => {
                // Nothing of the batch was written. So that one request the database refuses
                // (say, a value past SQLite's size limit) cannot sink the others, run each on
                // its own.
                tracing::warn!(error = %e, requests = ops.len(), "sqlite store: write batch failed, retrying one by one");
                for (op, reply) in ops.iter().zip(replies) {
                    match batch(&mut conn, std::slice::from_ref(op), &mut cache) {
                        Ok(done) => deliver(done, vec![reply], &announce),
                        Err(e) => fail(&e, vec![reply]),
                    }
                }
            }
        }
    }
    if let Err((_, e)) = conn.close() {
        tracing::warn!(error = %e, "sqlite store: closing the writer connection");
    }
    let _ = done.send(());
}

type Replies = Vec<oneshot::Sender<StoreResult<Reply>>>;

/// Announces a committed batch's appends, then answers its requests.
fn deliver(
    (outcomes, appended): BatchResult,
    replies: Replies,
    announce: &broadcast::Sender<Appended>,
) {
    // Announce first: a caller that returns from `append` and then looks at a receiver it
    // already had finds the announcement there.
    for a in appended {
        let _ = announce.send(a);
    }
    for (reply, outcome) in replies.into_iter().zip(outcomes) {
        let _ = reply.send(outcome);
    }
}

/// Answers the requests of a batch that failed (and wrote nothing).
fn fail(e: &rusqlite::Error, replies: Replies) {
    tracing::error!(error = %e, requests = replies.len(), "sqlite store: write failed");
    let message = format!("sqlite: write failed, nothing written: {e}");
    for reply in replies {
        let _ = reply.send(Err(StoreError::Backend(message.clone())));
    }
}

/// What one batch did: an outcome per request, and the appends to announce.
type BatchResult = (Vec<StoreResult<Reply>>, Vec<Appended>);

/// The most snapshots kept between batches (the cache is emptied when it grows past this).
const CACHE_CAPACITY: usize = 4096;

/// Snapshots as of this writer's last commit, valid while no other connection has written
/// to the file since (SQLite's `PRAGMA data_version` tells: it changes when another
/// connection commits, never for this connection's own commits).
#[derive(Debug, Default)]
struct Cache {
    snapshots: HashMap<String, TaskRecord>,
    data_version: Option<i64>,
}

/// Runs `ops` in one transaction. `Err` only for a database failure, which rolls back the
/// whole batch; a request refused on its own merits gets its error in the outcomes.
fn batch(conn: &mut Connection, ops: &[Op], cache: &mut Cache) -> rusqlite::Result<BatchResult> {
    let now = now_millis();
    // Taken now: if the batch fails the cache stays empty (it may hold uncommitted state).
    let mut snapshots = std::mem::take(&mut cache.snapshots);
    let data_version = cache.data_version.take();
    // Rolled back when dropped without a commit.
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    // Holding the write lock: nobody else can commit until we do.
    let version: i64 = tx
        .prepare_cached("PRAGMA data_version")?
        .query_row([], |r| r.get(0))?;
    if data_version != Some(version) {
        snapshots.clear();
    }
    let mut state = Batch {
        snapshots,
        appended: Vec::new(),
    };
    let mut outcomes = Vec::with_capacity(ops.len());
    for op in ops {
        outcomes.push(state.run(&tx, op, now)?);
    }
    tx.commit()?;
    if state.snapshots.len() <= CACHE_CAPACITY {
        cache.snapshots = state.snapshots;
        cache.data_version = Some(version);
    }
    Ok((outcomes, state.appended))
}

/// Per-batch state.
struct Batch {
    /// Current snapshots known to this writer (read or written), by task id.
    snapshots: HashMap<String, TaskRecord>,
    /// Appends to announce after the commit.
    appended: Vec<Appended>,
}

type Outcome = rusqlite::Result<StoreResult<Reply>>;

impl Batch {
    fn run(&mut self, conn: &Connection, op: &Op, now: i64) -> Outcome {
        match op {
            Op::Create {
                owner,
                record,
                snapshot,
                log,
                lease,
            } => {
                let lease = lease.as_ref().map(|(holder, ttl)| {
                    (
                        holder.as_str(),
                        now.saturating_add(clamp_i64(ttl.as_millis())),
                    )
                });
                self.create(conn, owner, record, snapshot, log, lease)
            }
            Op::Append { task_id, events } => self.append(conn, task_id, events),
            Op::PutPush { task_id, id, json } => {
                let changed = conn
                    .prepare_cached(
                        "INSERT INTO push_configs (task_id, id, config) \
                         SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM tasks WHERE id = ?1) \
                         ON CONFLICT (task_id, id) DO UPDATE SET config = excluded.config",
                    )?
                    .execute(params![task_id, id, json])?;
                Ok(if changed == 0 {
                    Err(StoreError::NotFound(task_id.clone()))
                } else {
                    Ok(Reply::Done)
                })
            }
            Op::DeletePush { task_id, id } => {
                let changed = conn
                    .prepare_cached("DELETE FROM push_configs WHERE task_id = ?1 AND id = ?2")?
                    .execute(params![task_id, id])?;
                Ok(Ok(Reply::Flag(changed > 0)))
            }
            Op::PushCursor {
                task_id,
                id,
                delivered_seq,
            } => {
                let changed = conn
                    .prepare_cached(
                        "UPDATE push_configs SET delivered_seq = MAX(delivered_seq, \
                             MIN(?3, (SELECT last_seq FROM tasks WHERE id = ?1))) \
                         WHERE task_id = ?1 AND id = ?2",
                    )?
                    .execute(params![task_id, id, clamp_i64(*delivered_seq)])?;
                Ok(if changed == 0 {
                    Err(push_config_not_found(task_id, id))
                } else {
                    Ok(Reply::Done)
                })
            }
            Op::ClaimPush {
                task_id,
                id,
                holder,
                ttl,
            } => {
                let until = now.saturating_add(clamp_i64(ttl.as_millis()));
                let taken: Option<i64> = conn
                    .prepare_cached(
                        "UPDATE push_configs SET claim_holder = ?3, claim_until_millis = ?4 \
                         WHERE task_id = ?1 AND id = ?2 \
                         AND (claim_holder IS NULL OR claim_holder = ?3 \
                              OR claim_until_millis IS NULL OR claim_until_millis <= ?5) \
                         RETURNING delivered_seq",
                    )?
                    .query_row(params![task_id, id, holder, until, now], |r| r.get(0))
                    .optional()?;
                if let Some(cursor) = taken {
                    return Ok(u64::try_from(cursor)
                        .map(|c| Reply::Claim(Some(c)))
                        .map_err(|e| {
                            StoreError::Backend(format!(
                                "sqlite: task `{task_id}`: corrupt push cursor: {e}"
                            ))
                        }));
                }
                let exists = conn
                    .prepare_cached("SELECT 1 FROM push_configs WHERE task_id = ?1 AND id = ?2")?
                    .exists(params![task_id, id])?;
                Ok(if exists {
                    Ok(Reply::Claim(None))
                } else {
                    Err(push_config_not_found(task_id, id))
                })
            }
            Op::ReleasePush {
                task_id,
                id,
                holder,
            } => {
                conn.prepare_cached(
                    "UPDATE push_configs SET claim_holder = NULL, claim_until_millis = NULL \
                     WHERE task_id = ?1 AND id = ?2 AND claim_holder = ?3",
                )?
                .execute(params![task_id, id, holder])?;
                Ok(Ok(Reply::Done))
            }
            Op::Lease {
                task_id,
                holder,
                ttl,
            } => {
                let until = now.saturating_add(clamp_i64(ttl.as_millis()));
                let changed = conn
                    .prepare_cached(
                        "UPDATE tasks SET lease_holder = ?2, lease_until_millis = ?3 \
                         WHERE id = ?1 \
                         AND (lease_holder IS NULL OR lease_holder = ?2 \
                              OR lease_until_millis IS NULL OR lease_until_millis <= ?4)",
                    )?
                    .execute(params![task_id, holder, until, now])?;
                if changed > 0 {
                    return Ok(Ok(Reply::Flag(true)));
                }
                let exists = conn
                    .prepare_cached("SELECT 1 FROM tasks WHERE id = ?1")?
                    .exists(params![task_id])?;
                Ok(if exists {
                    Ok(Reply::Flag(false))
                } else {
                    Err(StoreError::NotFound(task_id.clone()))
                })
            }
            Op::Release { task_id, holder } => {
                conn.prepare_cached(
                    "UPDATE tasks SET lease_holder = NULL, lease_until_millis = NULL \
                     WHERE id = ?1 AND lease_holder = ?2",
                )?
                .execute(params![task_id, holder])?;
                Ok(Ok(Reply::Done))
            }
            Op::PutAgent {
                name,
                doc,
                expected_version,
            } => put_agent(conn, name, doc, *expected_version, now),
            Op::DeleteAgent {
                name,
                expected_version,
            } => delete_agent(conn, name, *expected_version),
            Op::Barrier => Ok(Ok(Reply::Done)),
        }
    }

    fn create(
        &mut self,
        conn: &Connection,
        owner: &str,
        record: &TaskRecord,
        snapshot: &str,
        log: &[String],
        lease: Option<(&str, i64)>,
    ) -> Outcome {
        let task = &record.task;
        let changed = conn
            .prepare_cached(
                "INSERT INTO tasks \
                     (id, owner, agent, context_id, state, status_millis, snapshot, last_seq, \
                      lease_holder, lease_until_millis) \
                 VALUES (?1, ?2, ?7, ?3, ?4, ?5, ?6, ?10, ?8, ?9) ON CONFLICT (id) DO NOTHING",
            )?
            .execute(params![
                task.id,
                owner,
                task.context_id,
                task.status.state.as_str(),
                status_millis(task),
                snapshot,
                record.agent,
                lease.map(|(holder, _)| holder),
                lease.map(|(_, until)| until),
                clamp_i64(record.last_seq),
            ])?;
        if changed == 0 {
            return Ok(Err(StoreError::AlreadyExists(task.id.clone())));
        }
        {
            let mut insert = conn
                .prepare_cached("INSERT INTO events (task_id, seq, event) VALUES (?1, ?2, ?3)")?;
            for (seq, json) in (1..).zip(log) {
                insert.execute(params![task.id, seq, json])?;
            }
        }
        if !task.status.state.is_terminal() {
            self.snapshots.insert(task.id.clone(), record.clone());
        }
        self.appended.push(Appended {
            task_id: task.id.clone(),
            last_seq: record.last_seq,
        });
        Ok(Ok(Reply::Record(Box::new(record.clone()))))
    }

    fn append(
        &mut self,
        conn: &Connection,
        task_id: &str,
        events: &[(TaskEvent, String)],
    ) -> Outcome {
        let current = match self.snapshots.remove(task_id) {
            Some(r) => r,
            None => {
                let json: Option<String> = conn
                    .prepare_cached("SELECT snapshot FROM tasks WHERE id = ?1")?
                    .query_row(params![task_id], |r| r.get(0))
                    .optional()?;
                match json.map(|json| parse_snapshot(task_id, &json)) {
                    None => return Ok(Err(StoreError::NotFound(task_id.to_owned()))),
                    Some(Err(e)) => return Ok(Err(e)),
                    Some(Ok(r)) => r,
                }
            }
        };
        // Validate everything before writing anything.
        let mut next = current.clone();
        for (event, _) in events {
            match apply(&next, event) {
                Ok(r) => next = r,
                Err(source) => {
                    self.snapshots.insert(task_id.to_owned(), current);
                    return Ok(Err(StoreError::Transition {
                        task_id: task_id.to_owned(),
                        source,
                    }));
                }
            }
        }
        if events.is_empty() {
            self.snapshots.insert(task_id.to_owned(), current);
            return Ok(Ok(Reply::Record(Box::new(next))));
        }
        let snapshot = match to_json("snapshot", task_id, &next) {
            Ok(s) => s,
            Err(e) => {
                self.snapshots.insert(task_id.to_owned(), current);
                return Ok(Err(e));
            }
        };
        {
            let mut insert = conn
                .prepare_cached("INSERT INTO events (task_id, seq, event) VALUES (?1, ?2, ?3)")?;
            for (seq, (_, json)) in (current.last_seq + 1..).zip(events) {
                insert.execute(params![task_id, clamp_i64(seq), json])?;
            }
        }
        let task = &next.task;
        // A task that ends gives its lease up in the same write.
        conn.prepare_cached(
            "UPDATE tasks SET context_id = ?2, state = ?3, status_millis = ?4, snapshot = ?5, \
             last_seq = ?6, \
             lease_holder = CASE WHEN ?7 THEN NULL ELSE lease_holder END, \
             lease_until_millis = CASE WHEN ?7 THEN NULL ELSE lease_until_millis END \
             WHERE id = ?1",
        )?
        .execute(params![
            task_id,
            task.context_id,
            task.status.state.as_str(),
            status_millis(task),
            snapshot,
            clamp_i64(next.last_seq),
            task.status.state.is_terminal(),
        ])?;
        self.appended.push(Appended {
            task_id: task_id.to_owned(),
            last_seq: next.last_seq,
        });
        if !next.task.status.state.is_terminal() {
            // A terminal task takes no more events: no need to keep it.
            self.snapshots.insert(task_id.to_owned(), next.clone());
        }
        Ok(Ok(Reply::Record(Box::new(next))))
    }
}

/// Bumps the registry revision (in the transaction of the agent write it counts). A missing
/// row is a database failure: the batch is rolled back rather than the write going unseen.
fn bump_agents_revision(conn: &Connection) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE agents_revision SET revision = revision + 1 WHERE id = 1 RETURNING revision",
    )?
    .query_row([], |r| r.get::<_, i64>(0))?;
    Ok(())
}

/// The stored version of an agent, if there is one.
fn agent_version(conn: &Connection, name: &str) -> rusqlite::Result<Option<i64>> {
    conn.prepare_cached("SELECT version FROM agents WHERE name = ?1")?
        .query_row(params![name], |r| r.get(0))
        .optional()
}

fn put_agent(
    conn: &Connection,
    name: &str,
    doc: &str,
    expected_version: Option<i64>,
    now: i64,
) -> Outcome {
    let written = match expected_version {
        None => {
            let changed = conn
                .prepare_cached(
                    "INSERT INTO agents (name, version, doc, created_ms, updated_ms) \
                     VALUES (?1, 1, ?2, ?3, ?3) ON CONFLICT (name) DO NOTHING",
                )?
                .execute(params![name, doc, now])?;
            if changed == 0 {
                return Ok(Err(StoreError::AlreadyExists(name.to_owned())));
            }
            (1, now)
        }
        Some(expected) => {
            let row: Option<(i64, i64)> = conn
                .prepare_cached(
                    "UPDATE agents SET doc = ?2, version = version + 1, updated_ms = ?3 \
                     WHERE name = ?1 AND version = ?4 RETURNING version, created_ms",
                )?
                .query_row(params![name, doc, now, expected], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()?;
            match row {
                Some(written) => written,
                None => {
                    return Ok(Err(match agent_version(conn, name)? {
                        None => StoreError::NotFound(name.to_owned()),
                        Some(stored) => agent_conflict(name, expected, stored),
                    }));
                }
            }
        }
    };
    bump_agents_revision(conn)?;
    let (version, created_ms) = written;
    Ok(Ok(Reply::Agent {
        version,
        created_ms,
        updated_ms: now,
    }))
}

fn delete_agent(conn: &Connection, name: &str, expected_version: Option<i64>) -> Outcome {
    let changed = conn
        .prepare_cached("DELETE FROM agents WHERE name = ?1 AND (?2 IS NULL OR version = ?2)")?
        .execute(params![name, expected_version])?;
    if changed == 0 {
        return Ok(match (agent_version(conn, name)?, expected_version) {
            (Some(stored), Some(expected)) => Err(agent_conflict(name, expected, stored)),
            _ => Ok(Reply::Flag(false)),
        });
    }
    bump_agents_revision(conn)?;
    Ok(Ok(Reply::Flag(true)))
}
