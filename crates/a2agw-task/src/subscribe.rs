//! Subscriptions: replay a task's stored events after a sequence number, then follow new
//! ones live, with no gap and no duplicate at the seam, ending after a terminal status.
//!
//! The log is the truth; [`TaskStore::watch`] is only a wake-up. The subscribers of one
//! task in one process share a *hub*: one reader that, woken by an append of that task
//! (or every [`POLL_INTERVAL`], which covers a wake-up lost in transit, e.g. a PostgreSQL
//! listener reconnecting), reads the new events from the log once and hands them to every
//! subscriber. So an append costs one log read per task and process, not one per
//! subscriber, and an idle stream costs no store query at all (an idle task, one every
//! [`POLL_INTERVAL`]).
//!
//! A subscriber joins the hub first, then replays the log itself from its starting point;
//! live events at or before what it has are dropped, and a gap (it lagged) is filled from
//! the log. A hub forwards every event appended after it was joined (one that exists
//! already read it from the log after it was appended; a new one starts from its first
//! subscriber's position), and the subscriber's replay reads everything appended before:
//! every event reaches it exactly once, in order, whenever it attached.

use crate::store::{StoreResult, StoredEvent, TaskStore};
use futures::StreamExt;
use futures::stream::BoxStream;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, LazyLock, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::broadcast::{self, error::RecvError};

/// How often a hub re-reads its task's log without a wake-up.
pub const POLL_INTERVAL: Duration = Duration::from_millis(500);
const BATCH: usize = 256;
/// Events a hub holds for a slow subscriber before it lags (and reads the log itself).
const HUB_CAPACITY: usize = 1024;

/// The hubs of this process, by store (its address: a hub holds its store, so the address
/// is not reused while the hub lives) and task. A process-wide map rather than a field of
/// each store, so that every `TaskStore` gets hubs without implementing anything.
type Hubs = HashMap<(usize, String), broadcast::Sender<StoredEvent>>;
static HUBS: LazyLock<Mutex<Hubs>> = LazyLock::new(Mutex::default);

fn hubs() -> std::sync::MutexGuard<'static, Hubs> {
    // Every update is one insert or remove: a poisoned map is still consistent.
    HUBS.lock().unwrap_or_else(PoisonError::into_inner)
}

fn store_key(store: &Arc<dyn TaskStore>) -> usize {
    Arc::as_ptr(store).cast::<()>() as usize
}

/// Joins the hub of `task_id` in `store`, starting it when there is none, from `after`
/// (the joiner's position: a new hub forwards everything after it, since the events
/// appended before the hub starts reading might otherwise reach the joiner by neither
/// path).
fn join(store: &Arc<dyn TaskStore>, task_id: &str, after: u64) -> broadcast::Receiver<StoredEvent> {
    let key = (store_key(store), task_id.to_owned());
    let mut hubs = hubs();
    if let Some(tx) = hubs.get(&key) {
        return tx.subscribe();
    }
    let (tx, rx) = broadcast::channel(HUB_CAPACITY);
    hubs.insert(key.clone(), tx.clone());
    drop(hubs);
    tokio::spawn(hub(Arc::clone(store), key, tx, after));
    rx
}

/// A hub: reads the task's new events once per wake-up and sends them to its subscribers;
/// ends when none is left, after the task's terminal event, or on a store error (the
/// subscribers then read the log themselves).
async fn hub(
    store: Arc<dyn TaskStore>,
    key: (usize, String),
    tx: broadcast::Sender<StoredEvent>,
    after: u64,
) {
    let task_id = key.1.clone();
    // However the hub ends — returned, or dropped with its runtime — it leaves the map, so
    // that nobody joins a hub that no longer reads.
    let _registered = Registered {
        key: key.clone(),
        tx: tx.clone(),
    };
    // Subscribed before the first read: an append after it wakes the hub.
    let mut rx = store.watch();
    let mut cursor = forward(&*store, &task_id, after, &tx).await;
    while let Some(at) = cursor {
        let deadline = tokio::time::sleep(POLL_INTERVAL);
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                r = rx.recv() => match r {
                    Ok(a) if a.task_id == task_id && a.last_seq > at => break,
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
        if tx.receiver_count() == 0 {
            // Joining takes the map's lock: under it, nobody can join meanwhile.
            let mut hubs = hubs();
            if tx.receiver_count() == 0 {
                remove(&mut hubs, &key, &tx);
                return;
            }
        }
        cursor = forward(&*store, &task_id, at, &tx).await;
    }
}

/// A hub's place in the map, given up on drop.
struct Registered {
    key: (usize, String),
    tx: broadcast::Sender<StoredEvent>,
}

impl Drop for Registered {
    fn drop(&mut self) {
        remove(&mut hubs(), &self.key, &self.tx);
    }
}

/// Removes the hub `tx` from the map (a newer hub of the same key stays).
fn remove(hubs: &mut Hubs, key: &(usize, String), tx: &broadcast::Sender<StoredEvent>) {
    if hubs.get(key).is_some_and(|t| t.same_channel(tx)) {
        hubs.remove(key);
    }
}

/// Sends the events after `at` to the hub's subscribers: the new cursor, `None` once the
/// task ended (or the log could not be read).
async fn forward(
    store: &dyn TaskStore,
    task_id: &str,
    mut at: u64,
    tx: &broadcast::Sender<StoredEvent>,
) -> Option<u64> {
    loop {
        count_reads(1);
        let events = match store.events_after(task_id, at, BATCH).await {
            Ok(events) => events,
            Err(e) => {
                tracing::warn!(task_id, error = %e, "a subscription hub could not read the log; its subscribers read it themselves");
                return None;
            }
        };
        let full = events.len() == BATCH;
        for e in events {
            at = e.seq;
            let last = e.event.new_state().is_some_and(|s| s.is_terminal());
            let _ = tx.send(e);
            if last {
                return None;
            }
        }
        if !full {
            return Some(at);
        }
    }
}

/// Counts store reads made for subscriptions (`a2agw_subscription_store_reads_total`):
/// what open streams cost the store, idle or not.
fn count_reads(n: u64) {
    metrics::counter!("a2agw_subscription_store_reads_total").increment(n);
}

struct State {
    store: Arc<dyn TaskStore>,
    /// Live events from the task's hub.
    rx: Option<broadcast::Receiver<StoredEvent>>,
    /// Whether the hub was joined (on the first poll, inside the runtime).
    joined: bool,
    task_id: String,
    cursor: u64,
    buffer: VecDeque<StoredEvent>,
    done: bool,
    /// Whether the log was read up to its end once (the replay).
    replayed: bool,
}

/// Whether the task is in a terminal state now, and its last sequence number.
async fn terminal_at(store: &dyn TaskStore, task_id: &str) -> StoreResult<(bool, u64)> {
    count_reads(2);
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

impl State {
    /// Reads the log after the cursor into the buffer: whether it found anything.
    async fn read_log(&mut self) -> StoreResult<bool> {
        count_reads(1);
        let events = self
            .store
            .events_after(&self.task_id, self.cursor, BATCH)
            .await?;
        if let Some(last) = events.last() {
            self.cursor = last.seq;
        }
        let found = !events.is_empty();
        self.buffer.extend(events);
        Ok(found)
    }
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
        rx: None,
        joined: false,
        store,
        task_id: task_id.to_owned(),
        cursor: after_seq,
        buffer: VecDeque::new(),
        done: false,
        replayed: false,
    };
    futures::stream::unfold(state, |mut s| async move {
        if !s.joined {
            // Joined before the first read: an event appended meanwhile reaches us live.
            s.rx = Some(join(&s.store, &s.task_id, s.cursor));
            s.joined = true;
        }
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
            if !s.replayed {
                match s.read_log().await {
                    Err(e) => {
                        s.done = true;
                        return Some((Err(e), s));
                    }
                    Ok(true) => continue,
                    Ok(false) => {}
                }
                // Caught up once: a task that was already terminal at the cursor has
                // nothing left to send. If events landed since the read above, read them
                // first (the terminal event among them ends the stream).
                match terminal_at(&*s.store, &s.task_id).await {
                    Ok((true, last)) if last <= s.cursor => return None,
                    Ok((true, _)) => continue,
                    Ok((false, _)) => s.replayed = true,
                    Err(e) => {
                        s.done = true;
                        return Some((Err(e), s));
                    }
                }
            }
            // Live: the hub's events, in order; a gap or a lag is filled from the log.
            let next = match s.rx.as_mut() {
                Some(rx) => rx.recv().await,
                None => Err(RecvError::Closed),
            };
            match next {
                Ok(e) if e.seq <= s.cursor => {}
                Ok(e) if e.seq == s.cursor + 1 => {
                    s.cursor = e.seq;
                    s.buffer.push_back(e);
                }
                Ok(_) | Err(RecvError::Lagged(_)) => {
                    if let Err(e) = s.read_log().await {
                        s.done = true;
                        return Some((Err(e), s));
                    }
                }
                Err(RecvError::Closed) => {
                    // The hub ended: after the terminal event (read it from the log), or
                    // on a store error. Read what is left; if the task is still running,
                    // join a new hub.
                    match s.read_log().await {
                        Err(e) => {
                            s.done = true;
                            return Some((Err(e), s));
                        }
                        Ok(true) => {}
                        Ok(false) => {
                            tokio::time::sleep(POLL_INTERVAL).await;
                            s.rx = Some(join(&s.store, &s.task_id, s.cursor));
                            s.replayed = false;
                        }
                    }
                }
            }
        }
    })
    .boxed()
}
