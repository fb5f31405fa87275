//! Queries on `host_writes`: the idempotency record of each plugin write to GitHub
//! (`wasm_host::host::once`): started before the call, done with GitHub's answer after.
use chrono::Utc;
use sea_orm::{ConnectionTrait, DbErr};

use super::sql;

/// What an earlier attempt left for a write's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Earlier {
    /// No attempt wrote this key.
    None,
    /// An attempt started the write and may or may not have sent it.
    Started,
    /// The write was done; GitHub's answer, as JSON.
    Done(String),
}

/// What an earlier attempt recorded for `key`.
///
/// # Errors
/// When the database fails.
pub async fn find(db: &impl ConnectionTrait, key: &str) -> Result<Earlier, DbErr> {
    let statement = sql(
        db,
        "SELECT response, done_at IS NOT NULL AS done FROM host_writes WHERE key = $1",
        vec![key.into()],
    );
    let Some(row) = db.query_one_raw(statement).await? else {
        return Ok(Earlier::None);
    };
    let done: bool = row.try_get("", "done")?;
    let response: Option<String> = row.try_get("", "response")?;
    Ok(match (done, response) {
        (true, Some(response)) => Earlier::Done(response),
        _ => Earlier::Started,
    })
}

/// Records that the write `key` is about to be sent (kept as it is when an earlier
/// attempt recorded it).
///
/// # Errors
/// When the database fails.
pub async fn start(
    db: &impl ConnectionTrait,
    key: &str,
    plugin: &str,
    delivery_id: &str,
) -> Result<(), DbErr> {
    let statement = sql(
        db,
        "INSERT INTO host_writes (key, plugin, delivery_id, started_at) VALUES ($1, $2, $3, $4) ON CONFLICT (key) DO NOTHING",
        vec![key.into(), plugin.into(), delivery_id.into(), Utc::now().into()],
    );
    db.execute_raw(statement).await?;
    Ok(())
}

/// Records that the write `key` was done, with GitHub's answer.
///
/// # Errors
/// When the database fails.
pub async fn finish(db: &impl ConnectionTrait, key: &str, response: &str) -> Result<(), DbErr> {
    let statement = sql(
        db,
        "UPDATE host_writes SET response = $1, done_at = $2 WHERE key = $3",
        vec![response.into(), Utc::now().into(), key.into()],
    );
    db.execute_raw(statement).await?;
    Ok(())
}

/// Deletes the records of writes started before `before`; returns how many. A job
/// is not retried, nor a dead one replayed, that long after.
///
/// # Errors
/// When the database fails.
pub async fn prune(db: &impl ConnectionTrait, before: chrono::DateTime<Utc>) -> Result<u64, DbErr> {
    let statement = sql(
        db,
        "DELETE FROM host_writes WHERE started_at < $1",
        vec![before.into()],
    );
    Ok(db.execute_raw(statement).await?.rows_affected())
}
