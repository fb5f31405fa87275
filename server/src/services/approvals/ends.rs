//! Held actions that end without anyone deciding: superseded when their pull request
//! is pushed to (the approval was for other commits), expired when nobody decided in
//! time, and failed when their run never finished (the process running them
//! stopped; they can then be approved again or denied). Each end is a conditional
//! update and its audit row, in one transaction.
use chrono::{DateTime, Utc};
use sea_orm::{DbErr, TransactionTrait};

use super::decide::record;
use crate::crypto::AuditKey;
use crate::db::approvals;
use crate::db::audit;
use crate::db::entities::approvals::Model as Held;
use crate::domain::{Actor, ApprovalStatus, AuditAction, PullHead};

/// Ends every held write of pull request `pull` on `repository` that may still run
/// and was held for another head commit, as `superseded` by `pusher`; returns how
/// many. Writes held for `pull`'s own head (by the plugins handling this push) stay.
///
/// # Errors
/// When the database fails.
pub async fn supersede(
    db: &sea_orm::DatabaseConnection,
    key: &AuditKey,
    repository: &str,
    pull: &PullHead,
    pusher: &Actor,
) -> Result<usize, DbErr> {
    let mut ended = 0;
    for held in approvals::open_on_pull(db, repository, pull.number).await? {
        if held.head_sha.is_some() && held.head_sha == pull.head_sha {
            continue;
        }
        let head = pull.head_sha.as_deref().unwrap_or("a new head");
        let why = format!(
            "pull request #{} was pushed to ({head}) after it was held",
            pull.number
        );
        let from = [ApprovalStatus::Pending, ApprovalStatus::Failed];
        if end(
            db,
            key,
            &held,
            &from,
            ApprovalStatus::Superseded,
            pusher,
            why,
        )
        .await?
        {
            ended += 1;
        }
    }
    Ok(ended)
}

/// Expires pending actions held before `before`; returns those it expired.
///
/// # Errors
/// When the database fails.
pub async fn expire(
    db: &sea_orm::DatabaseConnection,
    key: &AuditKey,
    before: DateTime<Utc>,
) -> Result<Vec<Held>, DbErr> {
    let mut expired = Vec::new();
    for held in approvals::stale(db, before).await? {
        let why = "nobody decided in time".to_owned();
        let from = [ApprovalStatus::Pending];
        if end(
            db,
            key,
            &held,
            &from,
            ApprovalStatus::Expired,
            &Actor::system(),
            why,
        )
        .await?
        {
            expired.push(held);
        }
    }
    Ok(expired)
}

/// Marks actions that started running before `before` and never finished as
/// failed, so they can be approved again (the run looks for its own earlier effect
/// first) or denied; returns how many.
///
/// # Errors
/// When the database fails.
pub async fn abandon(
    db: &sea_orm::DatabaseConnection,
    key: &AuditKey,
    before: DateTime<Utc>,
) -> Result<usize, DbErr> {
    let mut abandoned = 0;
    for held in approvals::stuck(db, before).await? {
        let entry = record(
            Actor::system(),
            AuditAction::ApprovalAbandoned,
            &held,
            "failed",
        )
        .details(held.public_id.clone());
        let moved = audit::retrying(|| async {
            let txn = db.begin().await?;
            let moved = approvals::finish(
                &txn,
                &held.public_id,
                ApprovalStatus::Failed,
                "the run never finished (the process running it stopped); approve it again or deny it",
            )
            .await?;
            if moved {
                audit::append(&txn, key, &entry).await?;
            }
            txn.commit().await?;
            Ok::<_, DbErr>(moved)
        })
        .await?;
        if moved {
            tracing::warn!(approval = %held.public_id, "an approved action's run never finished; marked failed");
            abandoned += 1;
        }
    }
    Ok(abandoned)
}

/// Moves one held action from `from` to `to` as decided by `by`, with its audit row.
async fn end(
    db: &sea_orm::DatabaseConnection,
    key: &AuditKey,
    held: &Held,
    from: &[ApprovalStatus],
    to: ApprovalStatus,
    by: &Actor,
    why: String,
) -> Result<bool, DbErr> {
    let action = match to {
        ApprovalStatus::Superseded => AuditAction::ApprovalSuperseded,
        _ => AuditAction::ApprovalExpired,
    };
    let entry = record(by.clone(), action, held, to.as_str()).details(held.public_id.clone());
    audit::retrying(|| async {
        let txn = db.begin().await?;
        let moved =
            approvals::transition(&txn, &held.public_id, from, to, Some(by.name()), Some(&why))
                .await?;
        if moved {
            audit::append(&txn, key, &entry).await?;
        }
        txn.commit().await?;
        Ok(moved)
    })
    .await
}
