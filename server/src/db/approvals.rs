//! Queries on `approvals`: held actions and their decisions. A decision is a
//! conditional update from `pending`, so of two maintainers deciding at once exactly
//! one succeeds. Expiry and "the plugin was told" are conditional updates too.
use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect,
};

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
pub async fn find(
    db: &DatabaseConnection,
    public_id: &str,
) -> Result<Option<approvals::Model>, DbErr> {
    approvals::Entity::find()
        .filter(approvals::Column::PublicId.eq(public_id))
        .one(db)
        .await
}

/// Held actions in a status (all when `None`), newest first.
///
/// # Errors
/// When the database fails.
pub async fn list(
    db: &DatabaseConnection,
    status: Option<&str>,
) -> Result<Vec<approvals::Model>, DbErr> {
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
pub async fn decide(
    db: &DatabaseConnection,
    public_id: &str,
    status: &str,
    by: &str,
    reason: Option<&str>,
) -> Result<bool, DbErr> {
    let updated = approvals::Entity::update_many()
        .col_expr(approvals::Column::Status, Expr::value(status))
        .col_expr(approvals::Column::DecidedBy, Expr::value(by))
        .col_expr(
            approvals::Column::Reason,
            Expr::value(reason.map(str::to_owned)),
        )
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
pub async fn finish(
    db: &DatabaseConnection,
    public_id: &str,
    status: &str,
    result: &str,
) -> Result<(), DbErr> {
    approvals::Entity::update_many()
        .col_expr(approvals::Column::Status, Expr::value(status))
        .col_expr(approvals::Column::Result, Expr::value(result))
        // A retried approval that now ran is told to its plugin again.
        .col_expr(
            approvals::Column::NotifiedAt,
            Expr::value(Option::<chrono::DateTime<Utc>>::None),
        )
        .filter(approvals::Column::PublicId.eq(public_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Expires pending approvals created before `before`; returns those it expired.
///
/// # Errors
/// When the database fails.
pub async fn expire(
    db: &DatabaseConnection,
    before: chrono::DateTime<Utc>,
) -> Result<Vec<approvals::Model>, DbErr> {
    let stale = approvals::Entity::find()
        .filter(approvals::Column::Status.eq("pending"))
        .filter(approvals::Column::CreatedAt.lt(before))
        .all(db)
        .await?;
    let mut expired = Vec::new();
    for row in stale {
        if decide(
            db,
            &row.public_id,
            "expired",
            "gantry",
            Some("nobody decided in time"),
        )
        .await?
        {
            expired.push(row);
        }
    }
    Ok(expired)
}

/// Claims up to `limit` decided approvals whose plugin has not been told the
/// outcome: each is marked notified by one conditional update, so of several
/// workers or replicas exactly one claims it.
///
/// # Errors
/// When the database fails.
pub async fn claim_unnotified(
    db: &DatabaseConnection,
    limit: u64,
) -> Result<Vec<approvals::Model>, DbErr> {
    let candidates = approvals::Entity::find()
        .filter(approvals::Column::Status.is_in(["executed", "failed", "denied", "expired"]))
        .filter(approvals::Column::NotifiedAt.is_null())
        .order_by_asc(approvals::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    let mut claimed = Vec::new();
    for row in candidates {
        let updated = approvals::Entity::update_many()
            .col_expr(approvals::Column::NotifiedAt, Expr::value(Utc::now()))
            .filter(approvals::Column::Id.eq(row.id))
            .filter(approvals::Column::NotifiedAt.is_null())
            .filter(approvals::Column::Status.eq(row.status.clone()))
            .exec(db)
            .await?;
        if updated.rows_affected == 1 {
            claimed.push(row);
        }
    }
    Ok(claimed)
}

/// How many actions wait for a decision.
///
/// # Errors
/// When the database fails.
pub async fn count_pending(db: &DatabaseConnection) -> Result<u64, DbErr> {
    use sea_orm::PaginatorTrait;
    approvals::Entity::find()
        .filter(approvals::Column::Status.eq("pending"))
        .count(db)
        .await
}
