//! The `LISTEN` side of [`TaskStore::watch`](crate::store::TaskStore::watch): one
//! connection receives the append notifications of every instance and re-broadcasts them.

use super::Announcer;
use crate::store::Appended;
use sqlx::postgres::{PgConnectOptions, PgListener, PgPool, PgPoolOptions};
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;

/// First wait before listening again after a failure; doubled up to [`MAX_BACKOFF`].
const MIN_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Listens on the announcer's channel (before returning, so every append committed from
/// now on is seen) and spawns the task that broadcasts other instances' notifications.
pub(super) async fn start(
    connect: PgConnectOptions,
    announcer: Arc<Announcer>,
) -> Result<JoinHandle<()>, sqlx::Error> {
    // A pool of one connection of its own, never recycled while in use: `PgListener` uses
    // it to reconnect.
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .min_connections(0)
        .max_lifetime(None)
        .idle_timeout(None)
        .connect_lazy_with(connect);
    let listener = listen(&pool, &announcer.channel).await?;
    Ok(tokio::spawn(forward(pool, announcer, listener)))
}

async fn listen(pool: &PgPool, channel: &str) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(channel).await?;
    Ok(listener)
}

async fn forward(pool: PgPool, announcer: Arc<Announcer>, mut listener: PgListener) {
    let channel = announcer.channel.as_str();
    loop {
        match listener.try_recv().await {
            Ok(Some(notification)) => {
                if let Some((instance, appended)) = parse(notification.payload()) {
                    // This store's own appends were broadcast at commit.
                    if instance != announcer.instance {
                        let _ = announcer.tx.send(appended);
                    }
                } else {
                    tracing::warn!(
                        channel,
                        payload = notification.payload(),
                        "unexpected notification"
                    );
                }
            }
            Ok(None) => {
                // `PgListener` lost its connection and has already listened again on a new
                // one; what was notified in between is lost (subscribers poll the log).
                tracing::warn!(
                    channel,
                    "LISTEN connection lost and re-established; notifications may have been missed"
                );
            }
            Err(e) => {
                tracing::warn!(channel, "LISTEN failed: {e}; reconnecting");
                // Start from a fresh listener rather than trust the failed one's state.
                drop(listener);
                listener = relisten(&pool, channel).await;
                tracing::info!(
                    channel,
                    "listening again; notifications may have been missed"
                );
            }
        }
    }
}

/// Listens again, retrying with backoff until it works.
async fn relisten(pool: &PgPool, channel: &str) -> PgListener {
    let mut backoff = MIN_BACKOFF;
    loop {
        tokio::time::sleep(backoff).await;
        match listen(pool, channel).await {
            Ok(listener) => return listener,
            Err(e) => {
                tracing::warn!(channel, "LISTEN failed: {e}; retrying");
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
}

/// Reads an `<instance>:<last_seq>:<task_id>` payload (see `Announcer::payload`; the
/// task id may contain anything, `:` included).
fn parse(payload: &str) -> Option<(&str, Appended)> {
    let (instance, rest) = payload.split_once(':')?;
    let (seq, task_id) = rest.split_once(':')?;
    Some((
        instance,
        Appended {
            task_id: task_id.to_owned(),
            last_seq: seq.parse().ok()?,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads() {
        assert_eq!(
            parse("abc:7:a:b"),
            Some((
                "abc",
                Appended {
                    task_id: "a:b".into(),
                    last_seq: 7
                }
            ))
        );
        assert_eq!(
            parse("i:1:"),
            Some((
                "i",
                Appended {
                    task_id: String::new(),
                    last_seq: 1
                }
            ))
        );
        assert_eq!(parse("i:t"), None);
        assert_eq!(parse("i:x:t"), None);
    }
}
