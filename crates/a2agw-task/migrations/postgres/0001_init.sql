-- a2agw-task PostgreSQL schema, version 1.
--
-- Documents are stored as `json` (not `jsonb`): `json` keeps the text exactly as written
-- (object key order, which clients see in metadata) and accepts every string the gateway
-- may carry, while `jsonb` rejects the `\u0000` escape. Nothing queries inside them.
-- Ids are compared byte-wise (`COLLATE "C"`), the order every backend pages in.

CREATE TABLE tasks (
    id            TEXT COLLATE "C" PRIMARY KEY,
    owner         TEXT NOT NULL,
    context_id    TEXT NOT NULL,
    -- `TaskState` name, e.g. TASK_STATE_WORKING
    state         TEXT NOT NULL,
    -- `store::is_active(state)`: SUBMITTED or WORKING, some instance must drive it
    active        BOOLEAN NOT NULL,
    -- status timestamp in Unix milliseconds (0 when absent), the list order
    status_millis BIGINT NOT NULL,
    -- the `TaskRecord`: always the fold of the task's events
    snapshot      JSON NOT NULL,
    last_seq      BIGINT NOT NULL CHECK (last_seq >= 1),
    -- random, chosen at creation: with `last_seq` it identifies the snapshot, so a writer
    -- may reuse the snapshot it wrote last instead of reading it back
    incarnation   BIGINT NOT NULL,
    lease_holder  TEXT,
    -- set with the database clock (`now()`), so every instance agrees on expiry
    lease_until   TIMESTAMPTZ
);

CREATE INDEX tasks_by_owner ON tasks (owner, status_millis DESC, id DESC);
CREATE INDEX tasks_by_owner_context ON tasks (owner, context_id, status_millis DESC, id DESC);
CREATE INDEX tasks_active ON tasks (id) WHERE active;

CREATE TABLE events (
    task_id TEXT COLLATE "C" NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    seq     BIGINT NOT NULL CHECK (seq >= 1),
    -- a `TaskEvent`
    event   JSON NOT NULL,
    PRIMARY KEY (task_id, seq)
);

CREATE TABLE push_configs (
    task_id TEXT COLLATE "C" NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    id      TEXT COLLATE "C" NOT NULL,
    -- a `TaskPushNotificationConfig`
    config  JSON NOT NULL,
    PRIMARY KEY (task_id, id)
);

-- Snapshots are rewritten on every append and compressed when large: lz4 costs a fraction
-- of the default pglz's CPU. Only where the server has it (PostgreSQL 14+, built with lz4);
-- elsewhere the default stays.
DO $$
BEGIN
    EXECUTE 'ALTER TABLE tasks ALTER COLUMN snapshot SET COMPRESSION lz4';
    EXECUTE 'ALTER TABLE events ALTER COLUMN event SET COMPRESSION lz4';
    EXECUTE 'ALTER TABLE push_configs ALTER COLUMN config SET COMPRESSION lz4';
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'lz4 compression unavailable (%); keeping the default', SQLERRM;
END
$$;
