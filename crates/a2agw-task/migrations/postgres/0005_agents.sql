-- a2agw-task PostgreSQL schema, version 5: agents registered at run time (the admin API;
-- `TaskStore::put_agent`), by name, and the registry revision that every gateway instance
-- polls to learn that they changed.
--
-- `version` is 1 when the agent is created and +1 on every update (optimistic
-- concurrency). `doc` is the registration document, `json` like the other documents (the
-- text as written, any string accepted), never interpreted by the store. Times are Unix
-- ms, by the database clock.
CREATE TABLE agents (
    name       TEXT COLLATE "C" PRIMARY KEY,
    version    BIGINT NOT NULL CHECK (version >= 1),
    doc        JSON NOT NULL,
    created_ms BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL
);

-- One row: +1 in the transaction of every successful agent write or delete. Writers update
-- it last, so its row lock orders their commits: revisions become visible in increasing
-- order, each together with its write.
CREATE TABLE agents_revision (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    revision BIGINT NOT NULL CHECK (revision >= 0)
);
INSERT INTO agents_revision (id, revision) VALUES (1, 0);
