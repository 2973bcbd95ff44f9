//! Push delivery cursors and claims of the PostgreSQL store
//! ([`TaskStore::set_push_cursor`](crate::TaskStore::set_push_cursor),
//! [`TaskStore::push_backlog`](crate::TaskStore::push_backlog),
//! [`TaskStore::try_claim_push`](crate::TaskStore::try_claim_push),
//! [`TaskStore::release_push_claim`](crate::TaskStore::release_push_claim)): the
//! `delivered_seq` column of `push_configs` (migration `0002_push_cursor.sql`) and its
//! `claim_holder` / `claim_until` (migration `0003_push_claim.sql`).
//!
//! Each is a single statement on the pool, like the other push-config operations: cursors
//! and claims are independent of the event log's group commit. The monotonic update is one
//! `UPDATE … SET delivered_seq = GREATEST(…)`, so instances racing on one config can never
//! move its cursor back. A claim is taken by one conditional `UPDATE` (like the task lease):
//! two instances racing for a free claim serialize on the row lock and the second one
//! re-checks the condition on the row the first one wrote, so exactly one gets it. Expiry
//! uses the database clock (`now()`), so instances whose clocks differ agree.

use super::{MAX_LEASE, backend, parse_push_config};
use crate::store::{PushBacklog, StoreError, StoreResult, push_config_not_found};
use sqlx::postgres::PgPool;
use std::time::Duration;

/// [`TaskStore::set_push_cursor`](crate::TaskStore::set_push_cursor).
pub(super) async fn set_push_cursor(
    pool: &PgPool,
    task_id: &str,
    config_id: &str,
    delivered_seq: u64,
) -> StoreResult<()> {
    let done = sqlx::query(
        "UPDATE push_configs p
         SET delivered_seq = GREATEST(p.delivered_seq, LEAST($3, t.last_seq))
         FROM tasks t
         WHERE t.id = p.task_id AND p.task_id = $1 AND p.id = $2",
    )
    .bind(task_id)
    .bind(config_id)
    .bind(i64::try_from(delivered_seq).unwrap_or(i64::MAX))
    .execute(pool)
    .await
    .map_err(backend)?;
    if done.rows_affected() == 0 {
        return Err(push_config_not_found(task_id, config_id));
    }
    Ok(())
}

/// [`TaskStore::push_backlog`](crate::TaskStore::push_backlog): configs behind their
/// task's log and not under another holder's live claim, by task id then config id (both
/// `COLLATE "C"`: byte order).
pub(super) async fn push_backlog(
    pool: &PgPool,
    holder: &str,
    limit: usize,
) -> StoreResult<Vec<PushBacklog>> {
    let rows: Vec<(String, String, i64, i64)> = sqlx::query_as(
        "SELECT p.task_id, p.config::text, p.delivered_seq, t.last_seq
         FROM push_configs p JOIN tasks t ON t.id = p.task_id
         WHERE p.delivered_seq < t.last_seq
           AND (p.claim_holder IS NULL OR p.claim_holder = $2
                OR p.claim_until IS NULL OR p.claim_until <= now())
         ORDER BY p.task_id, p.id
         LIMIT $1",
    )
    .bind(i64::try_from(limit).unwrap_or(i64::MAX))
    .bind(holder)
    .fetch_all(pool)
    .await
    .map_err(backend)?;
    rows.into_iter()
        .map(|(task_id, text, delivered, last)| {
            let seq = |n: i64| {
                u64::try_from(n).map_err(|_| {
                    StoreError::Backend(format!("task `{task_id}`: negative sequence number {n}"))
                })
            };
            Ok(PushBacklog {
                delivered_seq: seq(delivered)?,
                last_seq: seq(last)?,
                config: parse_push_config(&task_id, &text)?,
            })
        })
        .collect()
}

/// [`TaskStore::try_claim_push`](crate::TaskStore::try_claim_push): one statement, so one
/// snapshot. The `UPDATE` takes or renews the claim when it is free, `holder`'s or expired,
/// and returns the cursor of the row it wrote; when it writes nothing, the config's
/// existence (in the statement's snapshot) tells a claim held by another holder (`None`)
/// from a missing config (`NotFound`).
pub(super) async fn try_claim_push(
    pool: &PgPool,
    task_id: &str,
    config_id: &str,
    holder: &str,
    ttl: Duration,
) -> StoreResult<Option<u64>> {
    let (cursor, exists): (Option<i64>, bool) = sqlx::query_as(
        "WITH claimed AS (
            UPDATE push_configs
            SET claim_holder = $3, claim_until = now() + make_interval(secs => $4)
            WHERE task_id = $1 AND id = $2
              AND (claim_holder IS NULL OR claim_holder = $3
                   OR claim_until IS NULL OR claim_until <= now())
            RETURNING delivered_seq
        )
        SELECT (SELECT delivered_seq FROM claimed),
               EXISTS (SELECT 1 FROM push_configs WHERE task_id = $1 AND id = $2)",
    )
    .bind(task_id)
    .bind(config_id)
    .bind(holder)
    .bind(ttl.min(MAX_LEASE).as_secs_f64())
    .fetch_one(pool)
    .await
    .map_err(backend)?;
    match (cursor, exists) {
        (Some(cursor), _) => u64::try_from(cursor).map(Some).map_err(|_| {
            StoreError::Backend(format!(
                "task `{task_id}`: negative push cursor {cursor} for config `{config_id}`"
            ))
        }),
        (None, true) => Ok(None),
        (None, false) => Err(push_config_not_found(task_id, config_id)),
    }
}

/// [`TaskStore::release_push_claim`](crate::TaskStore::release_push_claim).
pub(super) async fn release_push_claim(
    pool: &PgPool,
    task_id: &str,
    config_id: &str,
    holder: &str,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE push_configs SET claim_holder = NULL, claim_until = NULL
         WHERE task_id = $1 AND id = $2 AND claim_holder = $3",
    )
    .bind(task_id)
    .bind(config_id)
    .bind(holder)
    .execute(pool)
    .await
    .map_err(backend)?;
    Ok(())
}
