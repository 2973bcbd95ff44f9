//! The `NOTIFY` side of [`TaskStore::watch`](crate::store::TaskStore::watch): this store's
//! announcements to the other instances, sent after the commits they announce, in
//! batches, outside the writing transactions.
//!
//! Not from inside them: PostgreSQL serializes the commits of every transaction that
//! notified, database-wide, for as long as the commit's WAL flush takes (measured here
//! with pgbench, 32 clients, one insert each: 1,430 commits/s with a `pg_notify` in the
//! transaction, 5,090 without). Sent afterwards, commits overlap and share flushes, and
//! the instances sharing a database do not queue behind each other. A notification is
//! only a wake-up (subscribers re-read the log on a timer): one lost when the process dies
//! between a commit and its notification, or dropped when the queue is full, costs a
//! subscriber elsewhere at most one poll interval.

use sqlx::postgres::PgPool;
use tokio::sync::mpsc;

/// Notifications waiting to be sent; past this they are dropped (see the module docs).
const QUEUE: usize = 16_384;
/// Most notifications sent in one statement.
const BATCH: usize = 512;

/// Queues payloads for the notifier task.
#[derive(Debug)]
pub(super) struct Notifier {
    tx: mpsc::Sender<String>,
}

impl Notifier {
    /// Starts the task that sends this store's notifications on `channel`. It ends when
    /// the notifier is dropped, after sending what was queued.
    pub(super) fn start(pool: PgPool, channel: String) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(send(pool, channel, rx));
        Notifier { tx }
    }

    /// Queues one notification (never waits).
    pub(super) fn notify(&self, payload: String) {
        if self.tx.try_send(payload).is_err() {
            metrics::counter!("a2agw_store_notifications_dropped_total").increment(1);
        }
    }
}

async fn send(pool: PgPool, channel: String, mut rx: mpsc::Receiver<String>) {
    let mut batch = Vec::with_capacity(BATCH);
    while rx.recv_many(&mut batch, BATCH).await > 0 {
        let sent = sqlx::query("SELECT pg_notify($1, p) FROM UNNEST($2::text[]) AS p")
            .bind(&channel)
            .bind(&batch)
            .execute(&pool)
            .await;
        if let Err(e) = sent {
            tracing::warn!(
                channel,
                notifications = batch.len(),
                error = %super::backend(e),
                "could not notify the other instances (they see the appends when they poll)"
            );
        }
        batch.clear();
    }
}
