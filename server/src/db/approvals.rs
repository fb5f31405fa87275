//! Queries on `approvals`: held actions and their decisions. A decision is a
//! conditional update from `pending`, so of two maintainers deciding at once exactly
//! one succeeds.
use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder};

use super::entities::approvals;

/// A held action to store.
#[derive(Debug)]
pub struct NewApproval<'a> {
    /// Its public id (derived from the write's idempotency key).
    pub public_id: &'a str,
    /// The delivery whose plugin asked.
    pub delivery_id: &'a str,
    /// The plugin.
    pub plugin: &'a str,
    /// The capability the action needs.
    pub capability: &'a str,
    /// `owner/name`.
    pub repository: &'a str,
    /// Exactly what would run, as JSON.
    pub action: &'a str,
}

/// Stores a held action.
///
/// # Errors
/// When the database fails (a second action with the same id is refused).
pub async fn create(db: &DatabaseConnection, new: NewApproval<'_>) -> Result<(), DbErr> {
    approvals::ActiveModel {
        public_id: Set(new.public_id.to_owned()),
        delivery_id: Set(new.delivery_id.to_owned()),
        plugin: Set(new.plugin.to_owned()),
        capability: Set(new.capability.to_owned()),
        repository: Set(new.repository.to_owned()),
        action: Set(new.action.to_owned()),
        status: Set("pending".into()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// One held action by public id.
///
/// # Errors
/// When the database fails.
pub async fn find(db: &DatabaseConnection, public_id: &str) -> Result<Option<approvals::Model>, DbErr> {
    approvals::Entity::find().filter(approvals::Column::PublicId.eq(public_id)).one(db).await
}

/// Held actions in a status (all when `None`), newest first.
///
/// # Errors
/// When the database fails.
pub async fn list(db: &DatabaseConnection, status: Option<&str>) -> Result<Vec<approvals::Model>, DbErr> {
    let mut query = approvals::Entity::find().order_by_desc(approvals::Column::Id);
    if let Some(status) = status {
        query = query.filter(approvals::Column::Status.eq(status));
    }
    query.all(db).await
}

/// Moves a pending approval to `status` (`approved` or `denied`), recording who and
/// why. Returns false when it was no longer pending.
///
/// # Errors
/// When the database fails.
pub async fn decide(db: &DatabaseConnection, public_id: &str, status: &str, by: &str, reason: Option<&str>) -> Result<bool, DbErr> {
    let updated = approvals::Entity::update_many()
        .col_expr(approvals::Column::Status, Expr::value(status))
        .col_expr(approvals::Column::DecidedBy, Expr::value(by))
        .col_expr(approvals::Column::Reason, Expr::value(reason.map(str::to_owned)))
        .col_expr(approvals::Column::DecidedAt, Expr::value(Utc::now()))
        .filter(approvals::Column::PublicId.eq(public_id))
        .filter(approvals::Column::Status.eq("pending"))
        .exec(db)
        .await?;
    Ok(updated.rows_affected == 1)
}

/// Records how an approved action ran: `executed` or `failed`, with its result.
///
/// # Errors
/// When the database fails.
pub async fn finish(db: &DatabaseConnection, public_id: &str, status: &str, result: &str) -> Result<(), DbErr> {
    approvals::Entity::update_many()
        .col_expr(approvals::Column::Status, Expr::value(status))
        .col_expr(approvals::Column::Result, Expr::value(result))
        .filter(approvals::Column::PublicId.eq(public_id))
        .exec(db)
        .await?;
    Ok(())
}
