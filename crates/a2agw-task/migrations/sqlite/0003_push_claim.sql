-- Push delivery claim (`TaskStore::try_claim_push`): the holder (a push worker's id) that
-- delivers this config now, and until when (Unix ms, the writer's clock). One holder at a
-- time; an expired claim may be taken by anyone. Both NULL when unclaimed. Replacing the
-- config keeps them; deleting it drops them with the row.
ALTER TABLE push_configs ADD COLUMN claim_holder TEXT;
ALTER TABLE push_configs ADD COLUMN claim_until_millis INTEGER;
