-- a2agw-task PostgreSQL schema, version 3: the push delivery claim.
--
-- `claim_holder` (`TaskStore::try_claim_push`) is the push worker that delivers this config
-- now, until `claim_until`, set with the database clock (`now()`) like the task lease, so
-- every instance agrees on expiry. One holder at a time; an expired claim may be taken by
-- anyone. Both NULL when unclaimed. Replacing the config keeps them; deleting it drops them
-- with the row.
-- Nullable columns without default: PostgreSQL adds them without rewriting the table.

ALTER TABLE push_configs
    ADD COLUMN claim_holder TEXT,
    ADD COLUMN claim_until TIMESTAMPTZ;
