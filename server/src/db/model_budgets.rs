//! Queries of model budgets (`model::budget`): counter rows per scope,
//! subject and period, created by insert-on-conflict-do-nothing and changed only by
//! arithmetic in the `UPDATE` itself; a reservation adds to a row's `reserved`
//! columns only `WHERE used + reserved + asked <= limit`, so the check and the
//! reservation are one statement that row locks (PostgreSQL) or the one writer
//! (SQLite) make atomic across connections and replicas. The reservations' own rows
//! say what each holds and which periods, and are taken (deleted) once.
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::entities::model_budget_counters::{self as counters, Column};
use super::entities::model_budget_reservations as reservations;

/// Which counter row: a scope (`overall`, `organisation`, `repository`,
/// `invocation`, `person`), its subject and its period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CounterKey {
    /// The scope.
    pub scope: &'static str,
    /// Who or what (`owner/name`, `owner`, an invocation's id, `login@owner/name`).
    pub subject: String,
    /// The period (`2026-12-07`, `2026-12`, `2026-12-07T21`, `all`).
    pub period: String,
}

/// Tokens and micro-dollars as stored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Amount {
    /// Tokens.
    pub tokens: i64,
    /// Micro-dollars.
    pub cost: i64,
}

/// A row's limits, `None` for none.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ceiling {
    /// The most tokens.
    pub tokens: Option<i64>,
    /// The most micro-dollars.
    pub cost: Option<i64>,
}

fn of(key: &CounterKey) -> Condition {
    Condition::all()
        .add(Column::Scope.eq(key.scope))
        .add(Column::Period.eq(key.period.as_str()))
        .add(Column::Subject.eq(key.subject.as_str()))
}

fn empty(key: &CounterKey, now: DateTime<Utc>) -> counters::ActiveModel {
    counters::ActiveModel {
        scope: Set(key.scope.to_owned()),
        period: Set(key.period.clone()),
        subject: Set(key.subject.clone()),
        tokens_used: Set(0),
        tokens_reserved: Set(0),
        cost_used: Set(0),
        cost_reserved: Set(0),
        invocations: Set(0),
        updated_at: Set(now),
    }
}

/// Creates the rows of `keys` that do not exist yet, with nothing counted.
///
/// # Errors
/// When the database fails.
pub async fn ensure(
    db: &impl ConnectionTrait,
    keys: &[CounterKey],
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    if keys.is_empty() {
        return Ok(());
    }
    counters::Entity::insert_many(keys.iter().map(|k| empty(k, now)))
        .on_conflict(
            OnConflict::columns([Column::Scope, Column::Period, Column::Subject])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Creates the row of `key` when it does not exist; true when this made it.
///
/// # Errors
/// When the database fails.
pub async fn create(
    db: &impl ConnectionTrait,
    key: &CounterKey,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let made = counters::Entity::insert(empty(key, now))
        .on_conflict(
            OnConflict::columns([Column::Scope, Column::Period, Column::Subject])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(made == 1)
}

/// Counts one more invocation on the row of `key` when that keeps it at most
/// `most`; false (nothing changed) otherwise.
///
/// # Errors
/// When the database fails.
pub async fn count_invocation(
    db: &impl ConnectionTrait,
    key: &CounterKey,
    most: i64,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let updated = counters::Entity::update_many()
        .col_expr(Column::Invocations, Expr::col(Column::Invocations).add(1))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(of(key))
        .filter(Expr::col(Column::Invocations).add(1).lte(most))
        .exec(db)
        .await?;
    Ok(updated.rows_affected == 1)
}

/// Reserves `asked` on the row of `key` when used, reserved and asked together stay
/// within `ceiling` in tokens and in money; false (nothing changed) otherwise. The
/// condition is evaluated on the row as the update finds it, after any concurrent
/// update committed.
///
/// # Errors
/// When the database fails.
pub async fn reserve(
    db: &impl ConnectionTrait,
    key: &CounterKey,
    asked: Amount,
    ceiling: Ceiling,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let mut update = counters::Entity::update_many()
        .col_expr(
            Column::TokensReserved,
            Expr::col(Column::TokensReserved).add(asked.tokens),
        )
        .col_expr(
            Column::CostReserved,
            Expr::col(Column::CostReserved).add(asked.cost),
        )
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(of(key));
    if let Some(limit) = ceiling.tokens {
        update = update.filter(
            Expr::col(Column::TokensUsed)
                .add(Expr::col(Column::TokensReserved))
                .add(asked.tokens)
                .lte(limit),
        );
    }
    if let Some(limit) = ceiling.cost {
        update = update.filter(
            Expr::col(Column::CostUsed)
                .add(Expr::col(Column::CostReserved))
                .add(asked.cost)
                .lte(limit),
        );
    }
    Ok(update.exec(db).await?.rows_affected == 1)
}

/// Replaces `reserved` on the row of `key` by `used`.
///
/// # Errors
/// When the database fails.
pub async fn settle(
    db: &impl ConnectionTrait,
    key: &CounterKey,
    reserved: Amount,
    used: Amount,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    counters::Entity::update_many()
        .col_expr(
            Column::TokensReserved,
            Expr::col(Column::TokensReserved).sub(reserved.tokens),
        )
        .col_expr(
            Column::CostReserved,
            Expr::col(Column::CostReserved).sub(reserved.cost),
        )
        .col_expr(
            Column::TokensUsed,
            Expr::col(Column::TokensUsed).add(used.tokens),
        )
        .col_expr(Column::CostUsed, Expr::col(Column::CostUsed).add(used.cost))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(of(key))
        .exec(db)
        .await?;
    Ok(())
}

/// The row of `key`, if any.
///
/// # Errors
/// When the database fails.
pub async fn find(
    db: &impl ConnectionTrait,
    key: &CounterKey,
) -> Result<Option<counters::Model>, DbErr> {
    counters::Entity::find().filter(of(key)).one(db).await
}

/// The rows of `scope` in `period`, most money and then most tokens first.
///
/// # Errors
/// When the database fails.
pub async fn list(
    db: &impl ConnectionTrait,
    scope: &str,
    period: &str,
    limit: u64,
) -> Result<Vec<counters::Model>, DbErr> {
    counters::Entity::find()
        .filter(Column::Scope.eq(scope))
        .filter(Column::Period.eq(period))
        .order_by_desc(Expr::col(Column::CostUsed).add(Expr::col(Column::CostReserved)))
        .order_by_desc(Expr::col(Column::TokensUsed).add(Expr::col(Column::TokensReserved)))
        .order_by_asc(Column::Subject)
        .limit(limit)
        .all(db)
        .await
}

/// Deletes the rows of the short-lived scopes (`scopes`: invocations, people's
/// hours) not changed since `before` and holding no reservation; how many.
///
/// # Errors
/// When the database fails.
pub async fn prune(
    db: &impl ConnectionTrait,
    scopes: &[&str],
    before: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let deleted = counters::Entity::delete_many()
        .filter(Column::Scope.is_in(scopes.iter().copied()))
        .filter(Column::UpdatedAt.lt(before))
        .filter(Column::TokensReserved.eq(0))
        .filter(Column::CostReserved.eq(0))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected)
}

/// Stores a reservation.
///
/// # Errors
/// When the database fails.
pub async fn insert_reservation(
    db: &impl ConnectionTrait,
    row: reservations::Model,
) -> Result<(), DbErr> {
    reservations::Entity::insert(reservations::ActiveModel::from(row).reset_all())
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Deletes the reservation `id`: true when this call did, false when it was gone
/// (settled, released or expired already, here or on another replica).
///
/// # Errors
/// When the database fails.
pub async fn delete_reservation(db: &impl ConnectionTrait, id: &str) -> Result<bool, DbErr> {
    let deleted = reservations::Entity::delete_many()
        .filter(reservations::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected == 1)
}

/// Reservations that expired before `now`, oldest first, at most `limit`.
///
/// # Errors
/// When the database fails.
pub async fn expired(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<reservations::Model>, DbErr> {
    reservations::Entity::find()
        .filter(reservations::Column::ExpiresAt.lt(now))
        .order_by_asc(reservations::Column::ExpiresAt)
        .limit(limit)
        .all(db)
        .await
}
