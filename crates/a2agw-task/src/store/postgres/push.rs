//! Push delivery cursors of the PostgreSQL store
//! ([`TaskStore::set_push_cursor`](crate::TaskStore::set_push_cursor),
//! [`TaskStore::push_backlog`](crate::TaskStore::push_backlog)): the `delivered_seq`
//! column of `push_configs` (migration `0002_push_cursor.sql`).
//!
//! Both are single statements on the pool, like the other push-config operations: the
//! cursor is independent of the event log's group commit. The monotonic update is one
//! `UPDATE … SET delivered_seq = GREATEST(…)`, so instances racing on one config can never
//! move its cursor back.

use super::{backend, parse_push_config};
use crate::store::{PushBacklog, StoreError, StoreResult, push_config_not_found};
use sqlx::postgres::PgPool;

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
/// task's log, by task id then config id (both `COLLATE "C"`: byte order).
pub(super) async fn push_backlog(pool: &PgPool, limit: usize) -> StoreResult<Vec<PushBacklog>> {
    let rows: Vec<(String, String, i64, i64)> = sqlx::query_as(
        "SELECT p.task_id, p.config::text, p.delivered_seq, t.last_seq
         FROM push_configs p JOIN tasks t ON t.id = p.task_id
         WHERE p.delivered_seq < t.last_seq
         ORDER BY p.task_id, p.id
         LIMIT $1",
    )
    .bind(i64::try_from(limit).unwrap_or(i64::MAX))
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
