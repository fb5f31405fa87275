//! Queries of the missed-delivery sweep (`services::recovery`): its lease on the one
//! `recovery_sweep` row, so one replica sweeps at a time and at most once per
//! interval; its progress through the App's delivery log; the redeliveries it asked
//! for (`hook_redeliveries`), each claimed by a conditional write so two replicas
//! never ask twice; and which GUIDs Gantry has stored.
use std::collections::HashSet;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::entities::{deliveries, hook_redeliveries, recovery_sweep};

/// The only row of `recovery_sweep`.
const ROW: i32 = 1;

/// Takes the sweep for `holder` until `until` when nobody holds it and the last
/// sweep ended before `due`; the newest attempt id examined so far when taken.
///
/// # Errors
/// When the database fails.
pub async fn lease(
    db: &impl ConnectionTrait,
    holder: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
    due: DateTime<Utc>,
) -> Result<Option<Option<i64>>, DbErr> {
    let taken = recovery_sweep::Entity::update_many()
        .col_expr(recovery_sweep::Column::Holder, Expr::value(holder))
        .col_expr(recovery_sweep::Column::LeaseUntil, Expr::value(until))
        .filter(recovery_sweep::Column::Id.eq(ROW))
        .filter(
            Condition::any()
                .add(recovery_sweep::Column::LeaseUntil.is_null())
                .add(recovery_sweep::Column::LeaseUntil.lt(now)),
        )
        .filter(
            Condition::any()
                .add(recovery_sweep::Column::LastRunAt.is_null())
                .add(recovery_sweep::Column::LastRunAt.lte(due)),
        )
        .exec(db)
        .await?;
    if taken.rows_affected != 1 {
        return Ok(None);
    }
    let row = recovery_sweep::Entity::find_by_id(ROW).one(db).await?;
    Ok(Some(row.and_then(|r| r.reached_id)))
}

/// Ends `holder`'s sweep at `now`, having examined the log up to `reached` (kept
/// when `None`).
///
/// # Errors
/// When the database fails.
pub async fn finish(
    db: &impl ConnectionTrait,
    holder: &str,
    now: DateTime<Utc>,
    reached: Option<i64>,
) -> Result<(), DbErr> {
    let mut update = recovery_sweep::Entity::update_many()
        .col_expr(
            recovery_sweep::Column::LeaseUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(recovery_sweep::Column::LastRunAt, Expr::value(now));
    if let Some(reached) = reached {
        update = update.col_expr(recovery_sweep::Column::ReachedId, Expr::value(reached));
    }
    update
        .filter(recovery_sweep::Column::Id.eq(ROW))
        .filter(recovery_sweep::Column::Holder.eq(holder))
        .exec(db)
        .await?;
    Ok(())
}

/// The GUIDs among `guids` that Gantry has stored as deliveries.
///
/// # Errors
/// When the database fails.
pub async fn stored(db: &impl ConnectionTrait, guids: &[String]) -> Result<HashSet<String>, DbErr> {
    let mut found = HashSet::new();
    for chunk in guids.chunks(500) {
        let rows: Vec<String> = deliveries::Entity::find()
            .select_only()
            .column(deliveries::Column::DeliveryId)
            .filter(deliveries::Column::DeliveryId.is_in(chunk.iter().cloned()))
            .into_tuple()
            .all(db)
            .await?;
        found.extend(rows);
    }
    Ok(found)
}

/// Claims the first redelivery of `guid`; false when it was already asked for (by
/// this or another replica).
///
/// # Errors
/// When the database fails.
pub async fn claim(
    db: &impl ConnectionTrait,
    guid: &str,
    github_delivery_id: i64,
    event: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let row = hook_redeliveries::ActiveModel {
        guid: Set(guid.to_owned()),
        github_delivery_id: Set(github_delivery_id),
        event: Set(event.to_owned()),
        attempts: Set(1),
        first_requested_at: Set(now),
        last_requested_at: Set(now),
        arrived_at: Set(None),
    };
    let inserted = hook_redeliveries::Entity::insert(row)
        .on_conflict(
            OnConflict::column(hook_redeliveries::Column::Guid)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(inserted == 1)
}

/// Redeliveries not seen arriving, asked for before `before` fewer than
/// `max_attempts` times: due to be asked again unless the delivery arrived meanwhile.
///
/// # Errors
/// When the database fails.
pub async fn due_again(
    db: &impl ConnectionTrait,
    before: DateTime<Utc>,
    max_attempts: i32,
) -> Result<Vec<hook_redeliveries::Model>, DbErr> {
    hook_redeliveries::Entity::find()
        .filter(hook_redeliveries::Column::ArrivedAt.is_null())
        .filter(hook_redeliveries::Column::LastRequestedAt.lt(before))
        .filter(hook_redeliveries::Column::Attempts.lt(max_attempts))
        .order_by_asc(hook_redeliveries::Column::FirstRequestedAt)
        .limit(100)
        .all(db)
        .await
}

/// Claims asking again for `row`: false when another replica did since it was read.
///
/// # Errors
/// When the database fails.
pub async fn claim_again(
    db: &impl ConnectionTrait,
    row: &hook_redeliveries::Model,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let updated = hook_redeliveries::Entity::update_many()
        .col_expr(
            hook_redeliveries::Column::Attempts,
            Expr::value(row.attempts + 1),
        )
        .col_expr(hook_redeliveries::Column::LastRequestedAt, Expr::value(now))
        .filter(hook_redeliveries::Column::Guid.eq(row.guid.as_str()))
        .filter(hook_redeliveries::Column::Attempts.eq(row.attempts))
        .exec(db)
        .await?;
    Ok(updated.rows_affected == 1)
}

/// Notes that the redelivery of `guid` arrived (Gantry stored the delivery).
///
/// # Errors
/// When the database fails.
pub async fn arrived(
    db: &impl ConnectionTrait,
    guid: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    hook_redeliveries::Entity::update_many()
        .col_expr(hook_redeliveries::Column::ArrivedAt, Expr::value(now))
        .filter(hook_redeliveries::Column::Guid.eq(guid))
        .filter(hook_redeliveries::Column::ArrivedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// The most recent redeliveries asked for, newest first, for the dashboard.
///
/// # Errors
/// When the database fails.
pub async fn recent(
    db: &impl ConnectionTrait,
    limit: u64,
) -> Result<Vec<hook_redeliveries::Model>, DbErr> {
    hook_redeliveries::Entity::find()
        .order_by_desc(hook_redeliveries::Column::LastRequestedAt)
        .limit(limit)
        .all(db)
        .await
}
