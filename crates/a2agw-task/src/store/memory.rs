//! In-memory store: for tests and ephemeral gateways. Nothing survives the process.

use super::*;
use crate::machine::apply;
use a2agw_types::{DEFAULT_PAGE_SIZE, TaskPushNotificationConfig};
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::Instant;

#[derive(Debug)]
struct Entry {
    owner: String,
    record: TaskRecord,
    events: Vec<TaskEvent>,
    /// Push configs by id.
    push: BTreeMap<String, Push>,
    lease: Option<(String, Instant)>,
}

impl Entry {
    fn in_scope(&self, scope: Scope<'_>) -> bool {
        self.owner == scope.owner && self.record.agent == scope.agent
    }
}

/// A push config with its delivery cursor and claim.
#[derive(Debug)]
struct Push {
    config: TaskPushNotificationConfig,
    cursor: u64,
    claim: Option<(String, Instant)>,
}

impl Push {
    /// Whether a holder other than `holder` has a claim that has not expired at `now`.
    fn claimed_by_other(&self, holder: &str, now: Instant) -> bool {
        self.claim
            .as_ref()
            .is_some_and(|(h, until)| h != holder && *until > now)
    }
}

/// `now + ttl`; a huge ttl saturates at ten years rather than overflowing the clock.
fn expiry(now: Instant, ttl: Duration) -> Instant {
    now.checked_add(ttl)
        .unwrap_or_else(|| now + Duration::from_secs(10 * 365 * 24 * 3600))
}

/// The registered agents and the registry revision.
#[derive(Debug, Default)]
struct Agents {
    revision: i64,
    by_name: BTreeMap<String, StoredAgent>,
}

/// A store that keeps everything in process memory.
#[derive(Debug)]
pub struct MemoryStore {
    tasks: Mutex<HashMap<String, Entry>>,
    /// The ids of the tasks that have push configs, in order: the push backlog looks at
    /// these, not at every task. Locked after `tasks`.
    with_push: Mutex<std::collections::BTreeSet<String>>,
    agents: Mutex<Agents>,
    tx: broadcast::Sender<Appended>,
}

impl Default for MemoryStore {
    fn default() -> Self {
        MemoryStore {
            tasks: Mutex::new(HashMap::new()),
            with_push: Mutex::new(std::collections::BTreeSet::new()),
            agents: Mutex::new(Agents::default()),
            tx: broadcast::channel(4096).0,
        }
    }
}

/// The process clock in Unix milliseconds (agent timestamps).
fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        // A panic while holding the lock cannot leave an entry half-written (every update
        // is computed first and assigned last), so a poisoned lock is safe to reuse.
        self.tasks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn lock_with_push(&self) -> std::sync::MutexGuard<'_, std::collections::BTreeSet<String>> {
        self.with_push
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Creates a task (with a lease, and events after its `Created` event) in one step.
    fn insert(
        &self,
        owner: &str,
        route: &Route,
        task: Task,
        lease: Option<(&str, Duration)>,
        events: &[TaskEvent],
    ) -> StoreResult<TaskRecord> {
        let id = task.id.clone();
        let (log, record) = fold_created(route, task, events)?;
        let lease = lease
            .filter(|_| !record.task.status.state.is_terminal())
            .map(|(holder, ttl)| (holder.to_owned(), expiry(Instant::now(), ttl)));
        {
            let mut tasks = self.lock();
            if tasks.contains_key(&id) {
                return Err(StoreError::AlreadyExists(id));
            }
            tasks.insert(
                id.clone(),
                Entry {
                    owner: owner.to_owned(),
                    record: record.clone(),
                    events: log,
                    push: BTreeMap::new(),
                    lease,
                },
            );
        }
        let _ = self.tx.send(Appended {
            task_id: id,
            last_seq: record.last_seq,
        });
        Ok(record)
    }

    fn lock_agents(&self) -> std::sync::MutexGuard<'_, Agents> {
        // As for tasks: every update is checked first and written last.
        self.agents
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[async_trait::async_trait]
impl TaskStore for MemoryStore {
    async fn create(&self, owner: &str, route: &Route, task: Task) -> StoreResult<TaskRecord> {
        self.insert(owner, route, task, None, &[])
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
    }

    async fn append(&self, task_id: &str, events: &[TaskEvent]) -> StoreResult<TaskRecord> {
        let record = {
            let mut tasks = self.lock();
            let entry = tasks
                .get_mut(task_id)
                .ok_or_else(|| StoreError::NotFound(task_id.to_owned()))?;
            let mut record = entry.record.clone();
            for e in events {
                record = apply(&record, e).map_err(|source| StoreError::Transition {
                    task_id: task_id.to_owned(),
                    source,
                })?;
            }
            entry.events.extend(events.iter().cloned());
            if record.task.status.state.is_terminal() {
                entry.lease = None;
            }
            entry.record = record.clone();
            record
        };
        if !events.is_empty() {
            let _ = self.tx.send(Appended {
                task_id: task_id.to_owned(),
                last_seq: record.last_seq,
            });
        }
        Ok(record)
    }

    async fn get(&self, scope: Scope<'_>, task_id: &str) -> StoreResult<Option<TaskRecord>> {
        Ok(self
            .lock()
            .get(task_id)
            .filter(|e| e.in_scope(scope))
            .map(|e| e.record.clone()))
    }

    async fn owner(&self, task_id: &str) -> StoreResult<Option<TaskOwner>> {
        Ok(self.lock().get(task_id).map(|e| TaskOwner {
            owner: e.owner.clone(),
            agent: e.record.agent.clone(),
        }))
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
        let after = request.status_timestamp_after.map(Timestamp::unix_millis);
        let mut matching: Vec<(i64, String, Task)> = self
            .lock()
            .values()
            .filter(|e| e.in_scope(scope))
            .map(|e| &e.record.task)
            .filter(|t| request.context_id.is_empty() || t.context_id == request.context_id)
            .filter(|t| {
                request.status == TaskState::Unspecified || t.status.state == request.status
            })
            .filter(|t| after.is_none_or(|a| status_millis(t) >= a))
            .map(|t| (status_millis(t), t.id.clone(), t.clone()))
            .collect();
        matching.sort_by(|a, b| (b.0, &b.1).cmp(&(a.0, &a.1)));
        let total = matching.len();
        let page_size = request.page_size.unwrap_or(DEFAULT_PAGE_SIZE);
        let size = usize::try_from(page_size).unwrap_or(0);
        let mut page: Vec<(i64, String, Task)> = matching
            .into_iter()
            .filter(|(ms, id, _)| cursor.as_ref().is_none_or(|c| c.comes_after(*ms, id)))
            .take(size + 1)
            .collect();
        let more = page.len() > size;
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
            .map(|(_, _, mut t)| {
                shape_task(&mut t, request.history_length, include);
                t
            })
            .collect();
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
        let tasks = self.lock();
        let entry = tasks
            .get(task_id)
            .ok_or_else(|| StoreError::NotFound(task_id.to_owned()))?;
        let start = usize::try_from(after_seq)
            .unwrap_or(usize::MAX)
            .min(entry.events.len());
        Ok(entry.events[start..]
            .iter()
            .take(limit)
            .zip(after_seq.saturating_add(1)..)
            .map(|(event, seq)| StoredEvent {
                seq,
                event: event.clone(),
            })
            .collect())
    }

    fn watch(&self) -> broadcast::Receiver<Appended> {
        self.tx.subscribe()
    }

    async fn put_push_config(&self, config: &TaskPushNotificationConfig) -> StoreResult<()> {
        let mut tasks = self.lock();
        let entry = tasks
            .get_mut(&config.task_id)
            .ok_or_else(|| StoreError::NotFound(config.task_id.clone()))?;
        // Replacing a config keeps its delivery cursor and claim.
        match entry.push.get_mut(&config.id) {
            Some(push) => push.config = config.clone(),
            None => {
                entry.push.insert(
                    config.id.clone(),
                    Push {
                        config: config.clone(),
                        cursor: 0,
                        claim: None,
                    },
                );
                self.lock_with_push().insert(config.task_id.clone());
            }
        }
        Ok(())
    }

    async fn get_push_config(
        &self,
        task_id: &str,
        id: &str,
    ) -> StoreResult<Option<TaskPushNotificationConfig>> {
        Ok(self
            .lock()
            .get(task_id)
            .and_then(|e| e.push.get(id).map(|p| p.config.clone())))
    }

    async fn list_push_configs(
        &self,
        task_id: &str,
    ) -> StoreResult<Vec<TaskPushNotificationConfig>> {
        Ok(self
            .lock()
            .get(task_id)
            .map(|e| e.push.values().map(|p| p.config.clone()).collect())
            .unwrap_or_default())
    }

    async fn delete_push_config(&self, task_id: &str, id: &str) -> StoreResult<bool> {
        let mut tasks = self.lock();
        let Some(entry) = tasks.get_mut(task_id) else {
            return Ok(false);
        };
        let removed = entry.push.remove(id).is_some();
        if entry.push.is_empty() {
            self.lock_with_push().remove(task_id);
        }
        Ok(removed)
    }

    async fn set_push_cursor(
        &self,
        task_id: &str,
        config_id: &str,
        delivered_seq: u64,
    ) -> StoreResult<()> {
        let mut tasks = self.lock();
        let entry = tasks
            .get_mut(task_id)
            .ok_or_else(|| push_config_not_found(task_id, config_id))?;
        let last_seq = entry.record.last_seq;
        let push = entry
            .push
            .get_mut(config_id)
            .ok_or_else(|| push_config_not_found(task_id, config_id))?;
        push.cursor = push.cursor.max(delivered_seq.min(last_seq));
        Ok(())
    }

    async fn push_backlog(&self, holder: &str, limit: usize) -> StoreResult<Vec<PushBacklog>> {
        let now = Instant::now();
        let tasks = self.lock();
        let with_push = self.lock_with_push();
        // By task id, then config id (both maps are ordered): the first `limit` are the
        // answer.
        Ok(with_push
            .iter()
            .filter_map(|id| tasks.get(id))
            .flat_map(|e| {
                let last_seq = e.record.last_seq;
                e.push
                    .values()
                    .filter(move |p| p.cursor < last_seq && !p.claimed_by_other(holder, now))
                    .map(move |p| PushBacklog {
                        config: p.config.clone(),
                        delivered_seq: p.cursor,
                        last_seq,
                    })
            })
            .take(limit)
            .collect())
    }

    async fn try_claim_push(
        &self,
        task_id: &str,
        config_id: &str,
        holder: &str,
        ttl: Duration,
    ) -> StoreResult<Option<u64>> {
        let mut tasks = self.lock();
        let push = tasks
            .get_mut(task_id)
            .and_then(|e| e.push.get_mut(config_id))
            .ok_or_else(|| push_config_not_found(task_id, config_id))?;
        let now = Instant::now();
        if push.claimed_by_other(holder, now) {
            return Ok(None);
        }
        push.claim = Some((holder.to_owned(), expiry(now, ttl)));
        Ok(Some(push.cursor))
    }

    async fn release_push_claim(
        &self,
        task_id: &str,
        config_id: &str,
        holder: &str,
    ) -> StoreResult<()> {
        if let Some(push) = self
            .lock()
            .get_mut(task_id)
            .and_then(|e| e.push.get_mut(config_id))
            && push.claim.as_ref().is_some_and(|(h, _)| h == holder)
        {
            push.claim = None;
        }
        Ok(())
    }

    async fn try_lease(&self, task_id: &str, holder: &str, ttl: Duration) -> StoreResult<bool> {
        let mut tasks = self.lock();
        let entry = tasks
            .get_mut(task_id)
            .ok_or_else(|| StoreError::NotFound(task_id.to_owned()))?;
        let now = Instant::now();
        match &entry.lease {
            Some((h, until)) if h != holder && *until > now => Ok(false),
            _ => {
                entry.lease = Some((holder.to_owned(), expiry(now, ttl)));
                Ok(true)
            }
        }
    }

    async fn release_lease(&self, task_id: &str, holder: &str) -> StoreResult<()> {
        if let Some(e) = self.lock().get_mut(task_id)
            && e.lease.as_ref().is_some_and(|(h, _)| h == holder)
        {
            e.lease = None;
        }
        Ok(())
    }

    async fn orphaned(&self, limit: usize) -> StoreResult<Vec<String>> {
        let now = Instant::now();
        let mut ids: Vec<String> = self
            .lock()
            .iter()
            .filter(|(_, e)| is_active(e.record.task.status.state))
            .filter(|(_, e)| e.lease.as_ref().is_none_or(|(_, until)| *until <= now))
            .map(|(id, _)| id.clone())
            .collect();
        ids.sort();
        ids.truncate(limit);
        Ok(ids)
    }

    async fn agents_revision(&self) -> StoreResult<i64> {
        Ok(self.lock_agents().revision)
    }

    async fn list_agents(&self) -> StoreResult<(i64, Vec<StoredAgent>)> {
        let agents = self.lock_agents();
        Ok((agents.revision, agents.by_name.values().cloned().collect()))
    }

    async fn get_agent(&self, name: &str) -> StoreResult<Option<StoredAgent>> {
        Ok(self.lock_agents().by_name.get(name).cloned())
    }

    async fn put_agent(
        &self,
        name: &str,
        doc: &serde_json::Value,
        expected_version: Option<i64>,
    ) -> StoreResult<StoredAgent> {
        let now = now_millis();
        let mut agents = self.lock_agents();
        let stored = match (agents.by_name.get(name), expected_version) {
            (Some(_), None) => return Err(StoreError::AlreadyExists(name.to_owned())),
            (None, Some(_)) => return Err(StoreError::NotFound(name.to_owned())),
            (Some(old), Some(v)) if old.version != v => {
                return Err(agent_conflict(name, v, old.version));
            }
            (Some(old), Some(_)) => StoredAgent {
                name: name.to_owned(),
                version: old.version.saturating_add(1),
                doc: doc.clone(),
                created_ms: old.created_ms,
                updated_ms: now,
            },
            (None, None) => StoredAgent {
                name: name.to_owned(),
                version: 1,
                doc: doc.clone(),
                created_ms: now,
                updated_ms: now,
            },
        };
        agents.by_name.insert(name.to_owned(), stored.clone());
        agents.revision = agents.revision.saturating_add(1);
        Ok(stored)
    }

    async fn delete_agent(&self, name: &str, expected_version: Option<i64>) -> StoreResult<bool> {
        let mut agents = self.lock_agents();
        match (agents.by_name.get(name), expected_version) {
            (None, _) => return Ok(false),
            (Some(old), Some(v)) if old.version != v => {
                return Err(agent_conflict(name, v, old.version));
            }
            (Some(_), _) => {}
        }
        agents.by_name.remove(name);
        agents.revision = agents.revision.saturating_add(1);
        Ok(true)
    }
}
