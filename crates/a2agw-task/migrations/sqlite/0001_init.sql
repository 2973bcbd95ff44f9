-- The SQLite task store (crate a2agw-task, `SqliteStore`).
-- JSON columns hold the serde form of the crate's types (`TaskRecord`, `TaskEvent`,
-- `TaskPushNotificationConfig`); the other columns are derived from them for queries.

CREATE TABLE tasks (
    id                 TEXT    NOT NULL PRIMARY KEY,
    owner              TEXT    NOT NULL,
    context_id         TEXT    NOT NULL,
    -- `TaskState::as_str()` of the snapshot's status
    state              TEXT    NOT NULL,
    -- status timestamp in Unix ms (0 when absent)
    status_millis      INTEGER NOT NULL,
    -- JSON `TaskRecord`: always the fold of the task's events
    snapshot           TEXT    NOT NULL,
    last_seq           INTEGER NOT NULL,
    lease_holder       TEXT,
    lease_until_millis INTEGER
);

-- ListTasks: owner's tasks, most recent status first (keyset paging on (status_millis, id)).
CREATE INDEX tasks_by_owner_status ON tasks (owner, status_millis DESC, id DESC);
-- Recovery: active tasks whose lease expired.
CREATE INDEX tasks_by_state_lease ON tasks (state, lease_until_millis);

CREATE TABLE events (
    task_id TEXT    NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    seq     INTEGER NOT NULL,
    -- JSON `TaskEvent`
    event   TEXT    NOT NULL,
    PRIMARY KEY (task_id, seq)
) WITHOUT ROWID;

CREATE TABLE push_configs (
    task_id TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    id      TEXT NOT NULL,
    -- JSON `TaskPushNotificationConfig`
    config  TEXT NOT NULL,
    PRIMARY KEY (task_id, id)
) WITHOUT ROWID;
