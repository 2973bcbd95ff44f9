//! Subscriptions: replay a task's stored events after a sequence number, then follow new
//! ones live, with no gap and no duplicate at the seam, ending after a terminal status.
//!
//! The log is the truth; [`TaskStore::watch`] is only a wake-up. The receiver is opened
//! before the first read, so an append that lands between the replay and the wait still
//! wakes the subscriber; a lagged or closed receiver, or a wake-up lost in transit (e.g. a
//! PostgreSQL listener reconnecting), is covered by re-reading the log every
//! [`POLL_INTERVAL`].

use crate::store::{StoreResult, StoredEvent, TaskStore};
use futures::StreamExt;
use futures::stream::BoxStream;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;

/// How often a waiting subscriber re-reads the log without a wake-up.
pub const POLL_INTERVAL: Duration = Duration::from_millis(500);
const BATCH: usize = 256;

struct State {
    store: Arc<dyn TaskStore>,
    rx: tokio::sync::broadcast::Receiver<crate::store::Appended>,
    task_id: String,
    cursor: u64,
    buffer: VecDeque<StoredEvent>,
    done: bool,
    /// Whether the task's state was checked (once, when first caught up): a task that
    /// was already terminal at `after_seq` has nothing left to send.
    checked: bool,
}

/// Whether the task is in a terminal state now, and its last sequence number.
async fn terminal_at(store: &dyn TaskStore, task_id: &str) -> StoreResult<(bool, u64)> {
    let Some(owner) = store.owner(task_id).await? else {
        return Err(crate::store::StoreError::NotFound(task_id.to_owned()));
    };
    Ok(store
        .get(owner.scope(), task_id)
        .await?
        .map_or((false, 0), |r| {
            (r.task.status.state.is_terminal(), r.last_seq)
        }))
}

/// The events of `task_id` with sequence number > `after_seq`: stored ones first, then
/// live ones. The stream ends after the event that puts the task in a terminal state, or
/// at once when the task was already terminal at `after_seq`.
pub fn subscribe(
    store: Arc<dyn TaskStore>,
    task_id: &str,
    after_seq: u64,
) -> BoxStream<'static, StoreResult<StoredEvent>> {
    let state = State {
        rx: store.watch(),
        store,
        task_id: task_id.to_owned(),
        cursor: after_seq,
        buffer: VecDeque::new(),
        done: false,
        checked: false,
    };
    futures::stream::unfold(state, |mut s| async move {
        loop {
            if let Some(e) = s.buffer.pop_front() {
                if e.event.new_state().is_some_and(|st| st.is_terminal()) {
                    s.done = true;
                    s.buffer.clear();
                }
                return Some((Ok(e), s));
            }
            if s.done {
                return None;
            }
            match s.store.events_after(&s.task_id, s.cursor, BATCH).await {
                Err(e) => {
                    s.done = true;
                    return Some((Err(e), s));
                }
                Ok(events) if !events.is_empty() => {
                    if let Some(last) = events.last() {
                        s.cursor = last.seq;
                    }
                    s.buffer.extend(events);
                    continue;
                }
                Ok(_) => {}
            }
            if !s.checked {
                // Once, when first caught up: a task that was already terminal at the
                // cursor has nothing left to send. If events landed since the read above,
                // read them first (the terminal event among them ends the stream).
                match terminal_at(&*s.store, &s.task_id).await {
                    Ok((true, last)) if last <= s.cursor => return None,
                    Ok((true, _)) => continue,
                    Ok((false, _)) => s.checked = true,
                    Err(e) => {
                        s.done = true;
                        return Some((Err(e), s));
                    }
                }
            }
            // Caught up: wait for a wake-up about this task, or poll.
            let deadline = tokio::time::sleep(POLL_INTERVAL);
            tokio::pin!(deadline);
            loop {
                tokio::select! {
                    r = s.rx.recv() => match r {
                        Ok(a) if a.task_id == s.task_id && a.last_seq > s.cursor => break,
                        Ok(_) => {}
                        Err(RecvError::Lagged(_)) => break,
                        Err(RecvError::Closed) => {
                            (&mut deadline).await;
                            break;
                        }
                    },
                    () = &mut deadline => break,
                }
            }
        }
    })
    .boxed()
}
