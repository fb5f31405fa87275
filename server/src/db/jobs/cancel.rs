//! Job control: cancelling the unfinished job of a delivery. A queued job is
//! cancelled at once by a conditional update (a worker leasing it at the same
//! moment makes one of the two updates match nothing); a running one is asked to
//! stop (`cancel_requested_at`), which its worker reads when it renews the lease
//! ([`super::renew_lease`]) and the process that asked sees at once
//! (`jobs::StopSignals`). Either way the job ends `cancelled`, which counts as
//! finished: the next job of its target may run.
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use super::JobStatus;
use crate::db::entities::jobs;

/// What a cancel did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(tag = "cancel", rename_all = "snake_case")]
pub enum Cancel {
    /// The job was queued: it is cancelled and will not run.
    Cancelled {
        /// The job.
        job_id: i64,
    },
    /// The job is running: it stops at its plugin's next host call and is then
    /// recorded `cancelled`.
    Stopping {
        /// The job.
        job_id: i64,
    },
    /// No job of this delivery is queued or running; nothing changed.
    NothingPending {
        /// The delivery's latest job.
        job_id: i64,
        /// Its status.
        status: String,
    },
}

impl Cancel {
    /// The audit row's outcome for this cancel.
    #[must_use]
    pub fn outcome(&self) -> &'static str {
        match self {
            Self::Cancelled { .. } => "cancelled",
            Self::Stopping { .. } => "stopping",
            Self::NothingPending { .. } => "nothing_pending",
        }
    }

    /// The job a running cancel asks to stop, if any.
    #[must_use]
    pub fn stopping(&self) -> Option<i64> {
        match self {
            Self::Stopping { job_id } => Some(*job_id),
            _ => None,
        }
    }
}

/// Cancels the unfinished job of the delivery `delivery_pk` for `by` (an actor as
/// the audit log names it), on the caller's transaction.
///
/// # Errors
/// When the database fails, or the delivery has no job at all.
pub async fn cancel_in<C: ConnectionTrait>(
    txn: &C,
    delivery_pk: i64,
    by: &str,
    now: DateTime<Utc>,
) -> Result<Cancel, DbErr> {
    let existing = super::of_delivery(txn, delivery_pk).await?;
    let latest = &existing[0];
    let Some(job) = existing.iter().find(|j| super::is_pending(j)) else {
        return Ok(Cancel::NothingPending {
            job_id: latest.id,
            status: latest.status.clone(),
        });
    };
    let queued = jobs::Entity::update_many()
        .col_expr(
            jobs::Column::Status,
            Expr::value(JobStatus::Cancelled.as_str()),
        )
        .col_expr(jobs::Column::CancelRequestedAt, Expr::value(now))
        .col_expr(jobs::Column::CancelledBy, Expr::value(by))
        .col_expr(
            jobs::Column::LastError,
            Expr::value(format!("cancelled by {by} before it ran")),
        )
        .col_expr(jobs::Column::UpdatedAt, Expr::value(now))
        .filter(jobs::Column::Id.eq(job.id))
        .filter(jobs::Column::Status.eq(JobStatus::Queued.as_str()))
        .exec(txn)
        .await?;
    if queued.rows_affected == 1 {
        return Ok(Cancel::Cancelled { job_id: job.id });
    }
    // Running (or leased a moment ago): ask it to stop. The first ask is kept.
    jobs::Entity::update_many()
        .col_expr(jobs::Column::CancelRequestedAt, Expr::value(now))
        .col_expr(jobs::Column::CancelledBy, Expr::value(by))
        .filter(jobs::Column::Id.eq(job.id))
        .filter(jobs::Column::Status.eq(JobStatus::Running.as_str()))
        .filter(jobs::Column::CancelRequestedAt.is_null())
        .exec(txn)
        .await?;
    let now_status = jobs::Entity::find_by_id(job.id)
        .one(txn)
        .await?
        .map(|j| j.status)
        .unwrap_or_default();
    if now_status == JobStatus::Running.as_str() {
        Ok(Cancel::Stopping { job_id: job.id })
    } else {
        Ok(Cancel::NothingPending {
            job_id: job.id,
            status: now_status,
        })
    }
}

/// Records a job its worker stopped (or never started) because it was cancelled.
/// Only the lease's owner's update matches.
///
/// # Errors
/// When the database fails.
pub async fn stopped(db: &impl ConnectionTrait, job_id: i64, owner: &str) -> Result<bool, DbErr> {
    let now = Utc::now();
    let done = jobs::Entity::update_many()
        .col_expr(
            jobs::Column::Status,
            Expr::value(JobStatus::Cancelled.as_str()),
        )
        .col_expr(
            jobs::Column::LeaseOwner,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            jobs::Column::LeaseExpiresAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(
            jobs::Column::LastError,
            Expr::cust("'cancelled by ' || COALESCE(cancelled_by, 'someone') || ' while it ran'"),
        )
        .col_expr(jobs::Column::UpdatedAt, Expr::value(now))
        .filter(jobs::Column::Id.eq(job_id))
        .filter(jobs::Column::LeaseOwner.eq(owner))
        .filter(jobs::Column::Status.eq(JobStatus::Running.as_str()))
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}
