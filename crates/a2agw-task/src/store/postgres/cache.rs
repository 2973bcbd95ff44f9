//! The snapshots this instance wrote last, so that a writer need not read each task's
//! snapshot back (and parse it) before applying the next events.
//!
//! An entry is only a candidate: a writer uses it only when the task's row, locked, still
//! has the entry's `incarnation` and `last_seq` — which identify the snapshot, since a
//! task's log up to a sequence number never changes and the incarnation (random, chosen at
//! creation) tells a re-created task apart. Anything else (another instance appended, the
//! entry was evicted or is stale) reads the snapshot from the row.

use crate::machine::TaskRecord;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// A cached snapshot.
#[derive(Clone, Debug)]
pub(super) struct Cached {
    pub(super) incarnation: i64,
    pub(super) record: Arc<TaskRecord>,
    /// Size of its JSON, what the budget counts.
    bytes: usize,
}

/// Snapshots by task id, within a byte budget (0 disables the cache).
#[derive(Debug)]
pub(super) struct Cache {
    inner: Mutex<Inner>,
    budget: usize,
}

#[derive(Debug, Default)]
struct Inner {
    entries: HashMap<String, Cached>,
    bytes: usize,
}

impl Cache {
    pub(super) fn new(budget: usize) -> Self {
        Cache {
            inner: Mutex::new(Inner::default()),
            budget,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Every update below leaves the map and the byte count consistent before anything
        // that could panic, so a poisoned lock is safe to reuse.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(super) fn get(&self, task_id: &str) -> Option<Cached> {
        if self.budget == 0 {
            return None;
        }
        self.lock().entries.get(task_id).cloned()
    }

    /// Records the snapshot just committed for `task_id` (`bytes`: its JSON's length).
    pub(super) fn put(
        &self,
        task_id: &str,
        incarnation: i64,
        record: Arc<TaskRecord>,
        bytes: usize,
    ) {
        if bytes > self.budget {
            self.remove(task_id);
            return;
        }
        let mut inner = self.lock();
        let entry = Cached {
            incarnation,
            record,
            bytes,
        };
        if let Some(old) = inner.entries.insert(task_id.to_owned(), entry) {
            inner.bytes -= old.bytes;
        }
        inner.bytes += bytes;
        // Over budget: drop arbitrary other entries (a miss only costs a read).
        while inner.bytes > self.budget {
            let Some(victim) = inner.entries.keys().find(|k| *k != task_id).cloned() else {
                break;
            };
            if let Some(old) = inner.entries.remove(&victim) {
                inner.bytes -= old.bytes;
            }
        }
    }

    pub(super) fn remove(&self, task_id: &str) {
        let mut inner = self.lock();
        if let Some(old) = inner.entries.remove(task_id) {
            inner.bytes -= old.bytes;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(seq: u64) -> Arc<TaskRecord> {
        Arc::new(TaskRecord {
            last_seq: seq,
            ..TaskRecord::default()
        })
    }

    #[test]
    fn budget() {
        let cache = Cache::new(100);
        cache.put("a", 1, record(1), 60);
        cache.put("b", 2, record(1), 30);
        assert!(cache.get("a").is_some() && cache.get("b").is_some());
        // Replacing an entry counts only the new size.
        cache.put("a", 1, record(2), 70);
        assert_eq!(cache.get("a").map(|c| c.record.last_seq), Some(2));
        assert!(cache.get("b").is_some());
        // Over budget: another entry goes.
        cache.put("c", 3, record(1), 40);
        assert!(cache.get("c").is_some());
        {
            let inner = cache.lock();
            assert_eq!(
                inner.bytes,
                inner.entries.values().map(|c| c.bytes).sum::<usize>()
            );
        }
        assert!(cache.lock().bytes <= 100);
        // Too big for the budget: not kept, and an older entry is dropped.
        cache.put("c", 3, record(2), 101);
        assert!(cache.get("c").is_none());
        assert!(cache.lock().bytes <= 100);
    }

    #[test]
    fn disabled() {
        let cache = Cache::new(0);
        cache.put("a", 1, record(1), 10);
        assert!(cache.get("a").is_none());
    }
}
