//! Intake's group commit in two statements whatever its size: every delivery of a
//! batch in one multi-row `INSERT`, then the jobs of those that were new in
//! another, both inside the caller's transaction (`db::deliveries::store_batch`).
//! One statement per row was a round trip per row while the batch held SQLite's
//! one connection, which jobs wait for.
use std::collections::{HashMap, HashSet};

use chrono::Utc;
use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement, Value};

use super::deliveries::{target_key, NewDelivery, Stored};

/// Placeholder number `n` of `backend`.
fn mark(backend: DbBackend, n: usize) -> String {
    if backend == DbBackend::Postgres {
        format!("${n}")
    } else {
        format!("?{n}")
    }
}

/// Numbered placeholders `first + 1 ..= first + n` of `backend`, as one row.
fn row(backend: DbBackend, first: usize, n: usize) -> String {
    let marks: Vec<String> = (first + 1..=first + n).map(|i| mark(backend, i)).collect();
    format!("({})", marks.join(", "))
}

/// Stores `batch[i]` for every `i` in `fresh` (in that order, which is the order
/// their jobs get their ids in) with its job, on `txn`; sets `stored[i]` for those
/// that were new. A delivery id stored before, or earlier in `fresh`, stays
/// [`Stored::Duplicate`].
///
/// # Errors
/// When the database fails.
pub(super) async fn store(
    txn: &impl ConnectionTrait,
    batch: &[NewDelivery<'_>],
    fresh: &[usize],
    stored: &mut [Stored],
) -> Result<(), DbErr> {
    if fresh.is_empty() {
        return Ok(());
    }
    let backend = txn.get_database_backend();
    let now = Utc::now();
    let mut rows = Vec::with_capacity(fresh.len());
    let mut values: Vec<Value> = Vec::with_capacity(fresh.len() * 7);
    for &i in fresh {
        let new = &batch[i];
        rows.push(row(backend, values.len(), 7));
        values.extend([
            new.delivery_id.into(),
            new.event.into(),
            new.meta.action.clone().into(),
            new.meta.repository.as_ref().map(|r| r.full_name()).into(),
            new.meta.installation_id.into(),
            new.payload.to_vec().into(),
            now.into(),
        ]);
    }
    let sql = format!(
        "INSERT INTO deliveries (delivery_id, event, action, repository, installation_id, payload, received_at) \
         VALUES {} ON CONFLICT (delivery_id) DO NOTHING RETURNING id, delivery_id",
        rows.join(", ")
    );
    let mut inserted: HashMap<String, i64> = HashMap::new();
    for found in txn
        .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?
    {
        inserted.insert(found.try_get("", "delivery_id")?, found.try_get("", "id")?);
    }
    // The first of the batch with an inserted id is the one stored.
    let mut taken = HashSet::new();
    let new_ones: Vec<(usize, i64)> = fresh
        .iter()
        .filter_map(|&i| {
            let id = batch[i].delivery_id;
            let pk = *inserted.get(id)?;
            taken.insert(id).then_some((i, pk))
        })
        .collect();
    if new_ones.is_empty() {
        return Ok(());
    }
    let mut rows = Vec::with_capacity(new_ones.len());
    let mut values: Vec<Value> = Vec::with_capacity(new_ones.len() * 4);
    for &(i, pk) in &new_ones {
        // Four values (delivery_pk, now, target_key, trace_parent) fill its columns.
        let [pk_mark, at, key, trace] = [1, 2, 3, 4].map(|n| mark(backend, values.len() + n));
        rows.push(format!(
            "({pk_mark}, 0, 'queued', 0, {at}, {key}, {at}, {at}, {trace})"
        ));
        values.extend([
            pk.into(),
            now.into(),
            target_key(batch[i].meta).into(),
            batch[i].trace_parent.clone().into(),
        ]);
    }
    let sql = format!(
        "INSERT INTO jobs (delivery_pk, generation, status, attempts, run_after, target_key, created_at, updated_at, trace_parent) \
         VALUES {} RETURNING id, delivery_pk",
        rows.join(", ")
    );
    let mut jobs: HashMap<i64, i64> = HashMap::new();
    for found in txn
        .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?
    {
        jobs.insert(found.try_get("", "delivery_pk")?, found.try_get("", "id")?);
    }
    for (i, delivery_pk) in new_ones {
        let job_id = *jobs.get(&delivery_pk).ok_or_else(|| {
            DbErr::Custom(format!("no job was stored for delivery row {delivery_pk}"))
        })?;
        stored[i] = Stored::New {
            delivery_pk,
            job_id,
        };
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_number_their_placeholders_on_from_where_the_last_stopped() {
        assert_eq!(row(DbBackend::Sqlite, 0, 2), "(?1, ?2)");
        assert_eq!(row(DbBackend::Postgres, 7, 3), "($8, $9, $10)");
    }
}
