-- Agents registered at run time (the admin API; `TaskStore::put_agent`), by name, and the
-- registry revision that every gateway instance polls to learn that they changed.
--
-- `version` is 1 when the agent is created and +1 on every update (optimistic
-- concurrency). `doc` is the registration document as compact JSON text, never
-- interpreted by the store. Times are Unix ms, the writer's clock.
CREATE TABLE agents (
    name       TEXT    NOT NULL PRIMARY KEY,
    version    INTEGER NOT NULL CHECK (version >= 1),
    doc        TEXT    NOT NULL,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL
);

-- One row: +1 in the transaction of every successful agent write or delete, so that
-- reading it (by primary key) tells whether the registry changed since a given read.
CREATE TABLE agents_revision (
    id       INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    revision INTEGER NOT NULL CHECK (revision >= 0)
);
INSERT INTO agents_revision (id, revision) VALUES (1, 0);
