//! Queries on `approvals` and `approval_votes`: held actions, their approvers and
//! their decisions. Every change of status is a conditional update from the statuses
//! it may come from, so of two deciders (or two replicas) exactly one moves it; a
//! vote first bumps the approval's counter, which locks its row, so concurrent votes
//! are counted one after the other. Every function takes any connection, so callers
//! run them inside the transaction that also writes the audit row.
use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, SqlErr,
};

use super::entities::{approval_votes, approvals};
use crate::domain::{Actor, ApprovalStatus};

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
    /// The GitHub logins of whoever caused it (they may not approve it).
    pub requested_by: &'a [String],
    /// The pull request it was held on, when it was.
    pub pull_number: Option<u64>,
    /// The pull request's head commit when it was held, when known.
    pub head_sha: Option<&'a str>,
    /// What the policy decided it on (JSON, see `policy::gate`).
    pub decided_on: Option<&'a str>,
    /// How many distinct people must approve it.
    pub approvals_required: u32,
}

/// Stores a held action as pending.
///
/// # Errors
/// When the database fails (a second action with the same id is refused).
pub async fn create<C: ConnectionTrait>(conn: &C, new: NewApproval<'_>) -> Result<(), DbErr> {
    let requested_by = serde_json::to_string(new.requested_by)
        .map_err(|e| DbErr::Custom(format!("requesters: {e}")))?;
    approvals::ActiveModel {
        public_id: Set(new.public_id.to_owned()),
        delivery_id: Set(new.delivery_id.to_owned()),
        plugin: Set(new.plugin.to_owned()),
        capability: Set(new.capability.to_owned()),
        repository: Set(new.repository.to_owned()),
        action: Set(new.action.to_owned()),
        status: Set(ApprovalStatus::Pending.as_str().to_owned()),
        created_at: Set(Utc::now()),
        requested_by: Set(Some(requested_by)),
        pull_number: Set(new.pull_number.and_then(|n| i64::try_from(n).ok())),
        head_sha: Set(new.head_sha.map(str::to_owned)),
        decided_on: Set(new.decided_on.map(str::to_owned)),
        approvals_required: Set(i32::try_from(new.approvals_required).unwrap_or(i32::MAX)),
        votes: Set(0),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// The GitHub logins stored as having caused a held action (lower case).
#[must_use]
pub fn requesters(row: &approvals::Model) -> Vec<String> {
    row.requested_by
        .as_deref()
        .and_then(|r| serde_json::from_str::<Vec<String>>(r).ok())
        .unwrap_or_default()
}

/// A row's status; an unreadable one (only a hand edit makes it) reads as `stopped`,
/// a status nothing acts on.
#[must_use]
pub fn status(row: &approvals::Model) -> ApprovalStatus {
    row.status.parse().unwrap_or(ApprovalStatus::Stopped)
}

/// One held action by public id.
///
/// # Errors
/// When the database fails.
pub async fn find<C: ConnectionTrait>(
    conn: &C,
    public_id: &str,
) -> Result<Option<approvals::Model>, DbErr> {
    approvals::Entity::find()
        .filter(approvals::Column::PublicId.eq(public_id))
        .one(conn)
        .await
}

/// Held actions in a status (all when `None`), newest first.
///
/// # Errors
/// When the database fails.
pub async fn list<C: ConnectionTrait>(
    conn: &C,
    status: Option<ApprovalStatus>,
) -> Result<Vec<approvals::Model>, DbErr> {
    let mut query = approvals::Entity::find().order_by_desc(approvals::Column::Id);
    if let Some(status) = status {
        query = query.filter(approvals::Column::Status.eq(status.as_str()));
    }
    query.all(conn).await
}

fn names(statuses: &[ApprovalStatus]) -> Vec<&'static str> {
    statuses.iter().map(|s| s.as_str()).collect()
}

/// Moves a held action from one of `from` to `to`, recording who decided and why
/// (`by` `None` keeps the recorded decider). Returns false when it was in none of
/// `from` (someone else moved it first).
///
/// # Errors
/// When the database fails.
pub async fn transition<C: ConnectionTrait>(
    conn: &C,
    public_id: &str,
    from: &[ApprovalStatus],
    to: ApprovalStatus,
    by: Option<&str>,
    reason: Option<&str>,
) -> Result<bool, DbErr> {
    let mut update = approvals::Entity::update_many()
        .col_expr(approvals::Column::Status, Expr::value(to.as_str()))
        .col_expr(approvals::Column::DecidedAt, Expr::value(Utc::now()));
    if let Some(by) = by {
        let by: String = by.chars().take(Actor::MAX_NAME).collect();
        update = update
            .col_expr(approvals::Column::DecidedBy, Expr::value(by))
            .col_expr(
                approvals::Column::Reason,
                Expr::value(reason.map(str::to_owned)),
            );
    }
    let updated = update
        .filter(approvals::Column::PublicId.eq(public_id))
        .filter(approvals::Column::Status.is_in(names(from)))
        .exec(conn)
        .await?;
    Ok(updated.rows_affected == 1)
}

/// Records how a running action ended (`executed` or `failed`), with its result, if
/// it is still running; the plugin is told again.
///
/// # Errors
/// When the database fails.
pub async fn finish<C: ConnectionTrait>(
    conn: &C,
    public_id: &str,
    to: ApprovalStatus,
    result: &str,
) -> Result<bool, DbErr> {
    let updated = approvals::Entity::update_many()
        .col_expr(approvals::Column::Status, Expr::value(to.as_str()))
        .col_expr(approvals::Column::Result, Expr::value(result))
        // A retried approval that now ran is told to its plugin again.
        .col_expr(
            approvals::Column::NotifiedAt,
            Expr::value(Option::<chrono::DateTime<Utc>>::None),
        )
        .filter(approvals::Column::PublicId.eq(public_id))
        .filter(
            approvals::Column::Status
                .is_in(names(&[ApprovalStatus::Approved, ApprovalStatus::Retrying])),
        )
        .exec(conn)
        .await?;
    Ok(updated.rows_affected == 1)
}

/// Counts one more approval of a pending action and returns the count, or `None`
/// when it is no longer pending. The update locks the row until the transaction
/// ends, so concurrent approvals are counted in turn, never lost.
///
/// # Errors
/// When the database fails.
pub async fn count_vote<C: ConnectionTrait>(
    conn: &C,
    public_id: &str,
) -> Result<Option<i32>, DbErr> {
    let updated = approvals::Entity::update_many()
        .col_expr(
            approvals::Column::Votes,
            Expr::col(approvals::Column::Votes).add(1),
        )
        .filter(approvals::Column::PublicId.eq(public_id))
        .filter(approvals::Column::Status.eq(ApprovalStatus::Pending.as_str()))
        .exec(conn)
        .await?;
    if updated.rows_affected != 1 {
        return Ok(None);
    }
    Ok(find(conn, public_id).await?.map(|row| row.votes))
}

/// Records `actor`'s approval of the held action `approval_id`. Returns false when
/// the same person approved it already.
///
/// # Errors
/// When the database fails.
pub async fn add_vote<C: ConnectionTrait>(
    conn: &C,
    approval_id: i64,
    actor: &Actor,
) -> Result<bool, DbErr> {
    let vote = approval_votes::ActiveModel {
        approval_id: Set(approval_id),
        person: Set(actor.person().chars().take(200).collect()),
        actor: Set(actor.name().chars().take(Actor::MAX_NAME).collect()),
        actor_kind: Set(actor.kind().as_str().to_owned()),
        created_at: Set(Utc::now()),
        ..Default::default()
    };
    match vote.insert(conn).await {
        Ok(_) => Ok(true),
        Err(err) if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            Ok(false)
        }
        Err(err) => Err(err),
    }
}

/// Who approved a held action, first first.
///
/// # Errors
/// When the database fails.
pub async fn votes<C: ConnectionTrait>(
    conn: &C,
    approval_id: i64,
) -> Result<Vec<approval_votes::Model>, DbErr> {
    approval_votes::Entity::find()
        .filter(approval_votes::Column::ApprovalId.eq(approval_id))
        .order_by_asc(approval_votes::Column::Id)
        .all(conn)
        .await
}

/// Pending actions created before `before`.
///
/// # Errors
/// When the database fails.
pub async fn stale<C: ConnectionTrait>(
    conn: &C,
    before: chrono::DateTime<Utc>,
) -> Result<Vec<approvals::Model>, DbErr> {
    approvals::Entity::find()
        .filter(approvals::Column::Status.eq(ApprovalStatus::Pending.as_str()))
        .filter(approvals::Column::CreatedAt.lt(before))
        .all(conn)
        .await
}

/// Actions that started running before `before` and never finished (the process
/// running them stopped).
///
/// # Errors
/// When the database fails.
pub async fn stuck<C: ConnectionTrait>(
    conn: &C,
    before: chrono::DateTime<Utc>,
) -> Result<Vec<approvals::Model>, DbErr> {
    approvals::Entity::find()
        .filter(
            approvals::Column::Status
                .is_in(names(&[ApprovalStatus::Approved, ApprovalStatus::Retrying])),
        )
        .filter(approvals::Column::DecidedAt.lt(before))
        .all(conn)
        .await
}

/// Actions held on pull request `number` of `repository` that may still run
/// (pending, or failed and so approvable again).
///
/// # Errors
/// When the database fails.
pub async fn open_on_pull<C: ConnectionTrait>(
    conn: &C,
    repository: &str,
    number: u64,
) -> Result<Vec<approvals::Model>, DbErr> {
    let Ok(number) = i64::try_from(number) else {
        return Ok(Vec::new());
    };
    approvals::Entity::find()
        .filter(approvals::Column::Repository.eq(repository))
        .filter(approvals::Column::PullNumber.eq(number))
        .filter(
            approvals::Column::Status
                .is_in(names(&[ApprovalStatus::Pending, ApprovalStatus::Failed])),
        )
        .order_by_asc(approvals::Column::Id)
        .all(conn)
        .await
}

/// Claims up to `limit` ended approvals whose plugin has not been told the outcome:
/// each is marked notified by one conditional update, so of several workers or
/// replicas exactly one claims it.
///
/// # Errors
/// When the database fails.
pub async fn claim_unnotified<C: ConnectionTrait>(
    conn: &C,
    limit: u64,
) -> Result<Vec<approvals::Model>, DbErr> {
    let candidates = approvals::Entity::find()
        .filter(approvals::Column::Status.is_in(names(&ApprovalStatus::TOLD)))
        .filter(approvals::Column::NotifiedAt.is_null())
        .order_by_asc(approvals::Column::Id)
        .limit(limit)
        .all(conn)
        .await?;
    let mut claimed = Vec::new();
    for row in candidates {
        let updated = approvals::Entity::update_many()
            .col_expr(approvals::Column::NotifiedAt, Expr::value(Utc::now()))
            .filter(approvals::Column::Id.eq(row.id))
            .filter(approvals::Column::NotifiedAt.is_null())
            .filter(approvals::Column::Status.eq(row.status.clone()))
            .exec(conn)
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
pub async fn count_pending<C: ConnectionTrait>(conn: &C) -> Result<u64, DbErr> {
    use sea_orm::PaginatorTrait;
    approvals::Entity::find()
        .filter(approvals::Column::Status.eq(ApprovalStatus::Pending.as_str()))
        .count(conn)
        .await
}
