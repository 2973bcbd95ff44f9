//! Group commit: writer tasks that commit queued appends in batches, one transaction each.

use super::cache::{Cache, Cached};
use super::{Announcer, backend};
use crate::machine::{TaskEvent, TaskRecord, TransitionError, apply};
use crate::store::{StoreError, StoreResult, is_active, status_millis};
use sqlx::postgres::PgPool;
use std::collections::BTreeMap;
use std::sync::Arc;
use tokio::sync::{Mutex, mpsc, oneshot};

/// Times a batch is retried after a deadlock or serialization failure.
const RETRIES: usize = 3;

/// One `append` waiting for a writer.
pub(super) struct Request {
    pub(super) task_id: String,
    pub(super) events: Vec<TaskEvent>,
    /// `events`, serialized (same order).
    pub(super) json: Vec<String>,
    /// The new snapshot (shared with the cache: the caller clones it, off the writer).
    pub(super) reply: oneshot::Sender<StoreResult<Arc<TaskRecord>>>,
}

/// What every writer needs.
pub(super) struct Shared {
    pub(super) pool: PgPool,
    pub(super) announcer: Arc<Announcer>,
    pub(super) cache: Arc<Cache>,
    pub(super) max_batch: usize,
}

/// Starts `writers` tasks draining `requests`. They end once every sender is gone and the
/// queue is empty.
pub(super) fn spawn(shared: Shared, requests: mpsc::Receiver<Request>, writers: usize) {
    let shared = Arc::new(shared);
    let requests = Arc::new(Mutex::new(requests));
    for _ in 0..writers {
        tokio::spawn(run(Arc::clone(&shared), Arc::clone(&requests)));
    }
}

async fn run(shared: Arc<Shared>, requests: Arc<Mutex<mpsc::Receiver<Request>>>) {
    loop {
        // One writer at a time waits on the queue; it takes what is there and leaves, so
        // the next writer collects the requests that arrive while this one commits.
        let batch = {
            let mut requests = requests.lock().await;
            let Some(first) = requests.recv().await else {
                return;
            };
            let mut batch = vec![first];
            while batch.len() < shared.max_batch {
                match requests.try_recv() {
                    Ok(r) => batch.push(r),
                    Err(_) => break,
                }
            }
            batch
        };
        commit(&shared, batch).await;
    }
}

/// Why a whole batch failed.
enum BatchError {
    Db(sqlx::Error),
    Other(String),
}

impl BatchError {
    /// Deadlock or serialization failure: running the batch again may succeed.
    fn is_retryable(&self) -> bool {
        match self {
            BatchError::Db(sqlx::Error::Database(e)) => {
                matches!(e.code().as_deref(), Some("40P01" | "40001"))
            }
            _ => false,
        }
    }

    fn message(&self) -> String {
        match self {
            BatchError::Db(e) => backend(e).to_string(),
            BatchError::Other(m) => m.clone(),
        }
    }
}

impl From<sqlx::Error> for BatchError {
    fn from(e: sqlx::Error) -> Self {
        BatchError::Db(e)
    }
}

/// Commits `batch` and answers every request.
async fn commit(shared: &Shared, batch: Vec<Request>) {
    let mut attempt = 0;
    let outcome = loop {
        match try_commit(shared, &batch).await {
            Err(e) if e.is_retryable() && attempt < RETRIES => {
                attempt += 1;
                tracing::debug!(attempt, "append batch retried: {}", e.message());
            }
            other => break other,
        }
    };
    match outcome {
        Ok(results) => {
            for (request, result) in batch.into_iter().zip(results) {
                let _ = request.reply.send(result);
            }
        }
        Err(e) => {
            let message = e.message();
            tracing::warn!(appends = batch.len(), "append batch failed: {message}");
            for request in batch {
                let _ = request
                    .reply
                    .send(Err(StoreError::Backend(message.clone())));
            }
        }
    }
}

/// Column arrays of the rows one batch writes.
#[derive(Default)]
struct Rows<'a> {
    event_task: Vec<&'a str>,
    event_seq: Vec<i64>,
    event_json: Vec<&'a str>,
    task_id: Vec<&'a str>,
    task_state: Vec<&'static str>,
    task_active: Vec<bool>,
    task_done: Vec<bool>,
    task_millis: Vec<i64>,
    task_snapshot: Vec<String>,
    task_seq: Vec<i64>,
}

/// A task's snapshot as written by a batch, for the cache once committed.
struct Written<'a> {
    task_id: &'a str,
    incarnation: i64,
    record: Arc<TaskRecord>,
    bytes: usize,
}

/// Runs the batch in one transaction. On success, returns each request's answer (in batch
/// order).
async fn try_commit(
    shared: &Shared,
    batch: &[Request],
) -> Result<Vec<StoreResult<Arc<TaskRecord>>>, BatchError> {
    // Requests by task, in id order (the order the rows are locked in) and, within a task,
    // in queue order.
    let mut by_task: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, r) in batch.iter().enumerate() {
        by_task.entry(r.task_id.as_str()).or_default().push(i);
    }
    let ids: Vec<&str> = by_task.keys().copied().collect();
    // The snapshots this instance wrote last: the row sends its snapshot only when it is
    // not that one any more.
    let cached: BTreeMap<&str, Cached> = ids
        .iter()
        .filter_map(|&id| Some((id, shared.cache.get(id)?)))
        .collect();
    let cached_ids: Vec<&str> = cached.keys().copied().collect();
    let cached_seqs: Vec<i64> = cached
        .values()
        .map(|c| to_i64(c.record.last_seq))
        .collect::<Result<_, _>>()?;
    let cached_incarnations: Vec<i64> = cached.values().map(|c| c.incarnation).collect();

    let mut tx = shared.pool.begin().await?;
    let locked: Vec<(String, i64, Option<String>)> = sqlx::query_as(
        "SELECT t.id, t.incarnation,
                CASE WHEN c.seq = t.last_seq AND c.inc = t.incarnation THEN NULL
                     ELSE t.snapshot::text END
         FROM tasks t
         LEFT JOIN UNNEST($2::text[], $3::int8[], $4::int8[]) AS c(id, seq, inc) ON c.id = t.id
         WHERE t.id = ANY($1)
         ORDER BY t.id
         FOR UPDATE OF t",
    )
    .bind(&ids)
    .bind(&cached_ids)
    .bind(&cached_seqs)
    .bind(&cached_incarnations)
    .fetch_all(&mut *tx)
    .await?;
    let mut rows_by_id: BTreeMap<String, (i64, Option<String>)> = locked
        .into_iter()
        .map(|(id, incarnation, text)| (id, (incarnation, text)))
        .collect();

    let mut results: Vec<Option<StoreResult<Arc<TaskRecord>>>> =
        std::iter::repeat_with(|| None).take(batch.len()).collect();
    let mut rows = Rows::default();
    let mut written = Vec::new();
    let mut announce = Vec::new();
    for (&id, indices) in &by_task {
        let mut fail = |error: &dyn Fn() -> StoreError| {
            for &i in indices {
                results[i] = Some(Err(error()));
            }
        };
        let Some((incarnation, text)) = rows_by_id.remove(id) else {
            fail(&|| StoreError::NotFound(id.to_owned()));
            continue;
        };
        let start: Arc<TaskRecord> = match (text, cached.get(id)) {
            (Some(text), _) => match serde_json::from_str(&text) {
                Ok(r) => Arc::new(r),
                Err(e) => {
                    let e = e.to_string();
                    fail(&|| {
                        StoreError::Backend(format!(
                            "task `{id}`: stored snapshot is unreadable: {e}"
                        ))
                    });
                    continue;
                }
            },
            (None, Some(c)) => Arc::clone(&c.record),
            (None, None) => {
                fail(&|| StoreError::Backend(format!("task `{id}`: snapshot not read")));
                continue;
            }
        };
        let mut record = Arc::clone(&start);
        for &i in indices {
            let request = &batch[i];
            match apply_all(&record, &request.events) {
                Ok(next) => {
                    for (seq, json) in (record.last_seq + 1..).zip(&request.json) {
                        rows.event_task.push(id);
                        rows.event_seq.push(to_i64(seq)?);
                        rows.event_json.push(json);
                    }
                    // One announcement per append, as with one transaction each.
                    announce.push((id, next.last_seq));
                    record = Arc::new(next);
                    results[i] = Some(Ok(Arc::clone(&record)));
                }
                Err(source) => {
                    results[i] = Some(Err(StoreError::Transition {
                        task_id: id.to_owned(),
                        source,
                    }));
                }
            }
        }
        if record.last_seq != start.last_seq {
            let state = record.task.status.state;
            let snapshot = serde_json::to_string(&*record)
                .map_err(|e| BatchError::Other(format!("serialize: {e}")))?;
            rows.task_id.push(id);
            rows.task_state.push(state.as_str());
            rows.task_active.push(is_active(state));
            // A task that ends gives its lease up in the same write.
            rows.task_done.push(state.is_terminal());
            rows.task_millis.push(status_millis(&record.task));
            rows.task_seq.push(to_i64(record.last_seq)?);
            written.push(Written {
                task_id: id,
                incarnation,
                record,
                bytes: snapshot.len(),
            });
            rows.task_snapshot.push(snapshot);
        }
    }

    if rows.task_id.is_empty() {
        // Nothing accepted: nothing to write.
        tx.rollback().await?;
    } else {
        sqlx::query(
            "WITH ins AS (
                INSERT INTO events (task_id, seq, event)
                SELECT t, s, e::json FROM UNNEST($1::text[], $2::int8[], $3::text[]) AS u(t, s, e)
            )
            UPDATE tasks SET state = u.state, active = u.active, status_millis = u.ms,
                             snapshot = u.snap::json, last_seq = u.seq,
                             lease_holder = CASE WHEN u.done THEN NULL ELSE tasks.lease_holder END,
                             lease_until = CASE WHEN u.done THEN NULL ELSE tasks.lease_until END
            FROM UNNEST($4::text[], $5::text[], $6::bool[], $7::int8[], $8::text[], $9::int8[],
                        $10::bool[])
                 AS u(id, state, active, ms, snap, seq, done)
            WHERE tasks.id = u.id",
        )
        .bind(&rows.event_task)
        .bind(&rows.event_seq)
        .bind(&rows.event_json)
        .bind(&rows.task_id)
        .bind(&rows.task_state)
        .bind(&rows.task_active)
        .bind(&rows.task_millis)
        .bind(&rows.task_snapshot)
        .bind(&rows.task_seq)
        .bind(&rows.task_done)
        .execute(&mut *tx)
        .await?;
        let commit = shared.announcer.commit.lock().await;
        tx.commit().await?;
        for (id, last_seq) in announce {
            shared.announcer.announce(id, last_seq);
        }
        drop(commit);
        for w in written {
            shared
                .cache
                .put(w.task_id, w.incarnation, w.record, w.bytes);
        }
    }

    let results = results
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err(StoreError::Backend("append was not processed".into()))))
        .collect();
    Ok(results)
}

/// Applies `events` in order (at least one: appends of none never reach a writer).
fn apply_all(record: &TaskRecord, events: &[TaskEvent]) -> Result<TaskRecord, TransitionError> {
    let Some((first, rest)) = events.split_first() else {
        return Ok(record.clone());
    };
    let mut next = apply(record, first)?;
    for e in rest {
        next = apply(&next, e)?;
    }
    Ok(next)
}

fn to_i64(seq: u64) -> Result<i64, BatchError> {
    i64::try_from(seq).map_err(|_| BatchError::Other(format!("sequence number {seq} too large")))
}
