-- Push delivery cursor (`TaskStore::set_push_cursor`): the sequence number of the last
-- event of the task that push delivery handled for this config. A new config starts at 0,
-- so it receives the task's events from the first one (a config given with the message
-- that created the task is stored after the task's first events). Only ever increases.
ALTER TABLE push_configs ADD COLUMN delivered_seq INTEGER NOT NULL DEFAULT 0;
