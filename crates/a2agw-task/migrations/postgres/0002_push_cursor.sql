-- a2agw-task PostgreSQL schema, version 2: the push delivery cursor.
--
-- `delivered_seq` (`TaskStore::set_push_cursor`) is the sequence number of the last event of
-- the task that push delivery handled for this config. A new config starts at 0, so it
-- receives the task's events from the first one (a config given with the message that
-- created the task is stored after the task's first events). Only ever increases, and never
-- past the task's `last_seq`.
-- A constant default: PostgreSQL 11+ adds the column without rewriting the table.

ALTER TABLE push_configs
    ADD COLUMN delivered_seq BIGINT NOT NULL DEFAULT 0 CHECK (delivered_seq >= 0);
