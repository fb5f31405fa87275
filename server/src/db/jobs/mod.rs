//! Queries on `jobs`: the database-backed work queue.
//!
//! Leasing (`lease.rs`) is a conditional update (only one process's update matches
//! a row), so the same code is correct on SQLite and PostgreSQL with any number of
//! processes. A lease that expires (its process died or lost it) makes the job
//! available again. Jobs with the same target key (one issue or pull request) run
//! one at a time, in the order they arrived. Here: renewing, giving back, finishing,
//! retrying and replaying jobs, and the queue's counts.
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, QueryFilter, QueryOrder, TransactionTrait, UpdateMany,
};

use super::entities::jobs;
use crate::domain::text::clip;

mod cancel;
mod lease;
pub use cancel::{cancel_in, stopped, Cancel};
pub use lease::{installation_key, lease_batch, Candidate, Leased};

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStatus {
    /// Waiting for a worker (possibly until `run_after`).
    Queued,
    /// Leased by a worker until `lease_expires_at`.
    Running,
    /// Finished.
    Done,
    /// Failed too often; kept for inspection and replay.
    Dead,
    /// Cancelled by a person before it finished; kept for inspection and replay.
    Cancelled,
}

impl JobStatus {
    /// Every status, in a job's order.
    pub const ALL: [Self; 5] = [
        Self::Queued,
        Self::Running,
        Self::Done,
        Self::Dead,
        Self::Cancelled,
    ];

    /// The status stored as `text`, if it is one.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// The stored form.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Done => "done",
            Self::Dead => "dead",
            Self::Cancelled => "cancelled",
        }
    }
}

/// What renewing a lease found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Renewal {
    /// Renewed; nobody asked the job to stop.
    Held,
    /// Renewed, and someone asked the job to stop (job control): its worker stops
    /// it at the plugin's next host call.
    StopRequested,
    /// The lease was lost (it expired and another worker took the job).
    Lost,
}

/// Extends a lease this worker still holds, and says whether the job was asked to
/// stop meanwhile. One statement while nobody asks; a second only after an ask.
///
/// # Errors
/// When the database fails.
pub async fn renew_lease(
    db: &impl ConnectionTrait,
    job_id: i64,
    owner: &str,
    lease: Duration,
) -> Result<Renewal, DbErr> {
    let expires =
        Utc::now() + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::seconds(60));
    let renew = || {
        jobs::Entity::update_many()
            .col_expr(jobs::Column::LeaseExpiresAt, Expr::value(expires))
            .filter(jobs::Column::Id.eq(job_id))
            .filter(jobs::Column::LeaseOwner.eq(owner))
            .filter(jobs::Column::Status.eq(JobStatus::Running.as_str()))
    };
    let renewed = renew()
        .filter(jobs::Column::CancelRequestedAt.is_null())
        .exec(db)
        .await?;
    if renewed.rows_affected == 1 {
        return Ok(Renewal::Held);
    }
    let renewed = renew().exec(db).await?;
    Ok(if renewed.rows_affected == 1 {
        Renewal::StopRequested
    } else {
        Renewal::Lost
    })
}

/// Gives back a job this worker leased but could not process (its storage failed
/// before or after its plugins ran): queued again from `run_after`, so it is taken
/// up promptly instead of after its lease expires. Changes nothing when the lease
/// was lost meanwhile. Its attempt count stays: the next lease is the next attempt.
///
/// # Errors
/// When the database fails.
pub async fn release(
    db: &impl ConnectionTrait,
    job_id: i64,
    owner: &str,
    error: &str,
    run_after: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let released = unleased()
        .col_expr(jobs::Column::RunAfter, Expr::value(run_after))
        .col_expr(jobs::Column::LastError, Expr::value(truncate(error, 4000)))
        .col_expr(jobs::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(jobs::Column::Id.eq(job_id))
        .filter(jobs::Column::LeaseOwner.eq(owner))
        .filter(jobs::Column::Status.eq(JobStatus::Running.as_str()))
        .exec(db)
        .await?;
    Ok(released.rows_affected == 1)
}

/// An update that puts jobs back in the queue with no lease (add filters and columns).
fn unleased() -> UpdateMany<jobs::Entity> {
    jobs::Entity::update_many()
        .col_expr(
            jobs::Column::Status,
            Expr::value(JobStatus::Queued.as_str()),
        )
        .col_expr(
            jobs::Column::LeaseOwner,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            jobs::Column::LeaseExpiresAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
}

/// Makes every job leased by anyone available again at once. Only for a process
/// that knows it is the database's sole user (the sandbox, at start).
///
/// # Errors
/// When the database fails.
pub async fn release_all_leases(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    let released = unleased()
        .filter(jobs::Column::Status.eq(JobStatus::Running.as_str()))
        .exec(db)
        .await?;
    Ok(released.rows_affected)
}

/// Marks a leased job done.
///
/// # Errors
/// When the database fails.
pub async fn complete(db: &impl ConnectionTrait, job_id: i64) -> Result<(), DbErr> {
    finish(db, job_id, JobStatus::Done, None, Utc::now()).await
}

/// Records a failed attempt: the job is queued again after a backoff, or
/// dead-lettered when it has used `max_attempts`. Returns the new status.
///
/// # Errors
/// When the database fails.
pub async fn fail(
    db: &impl ConnectionTrait,
    job: &jobs::Model,
    error: &str,
    max_attempts: i32,
    base: Duration,
    not_before: Option<DateTime<Utc>>,
) -> Result<JobStatus, DbErr> {
    if job.attempts >= max_attempts {
        finish(db, job.id, JobStatus::Dead, Some(error), Utc::now()).await?;
        return Ok(JobStatus::Dead);
    }
    let delay = backoff(base, job.attempts, rand::random::<f64>());
    let backed_off =
        Utc::now() + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::seconds(60));
    // GitHub's own wait (a rate limit) when it is longer than the backoff.
    let run_after = not_before.map_or(backed_off, |t| t.max(backed_off));
    finish(db, job.id, JobStatus::Queued, Some(error), run_after).await?;
    Ok(JobStatus::Queued)
}

async fn finish(
    db: &impl ConnectionTrait,
    job_id: i64,
    status: JobStatus,
    error: Option<&str>,
    run_after: DateTime<Utc>,
) -> Result<(), DbErr> {
    let mut update = jobs::Entity::update_many()
        .col_expr(jobs::Column::Status, Expr::value(status.as_str()))
        .col_expr(
            jobs::Column::LeaseOwner,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            jobs::Column::LeaseExpiresAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(jobs::Column::RunAfter, Expr::value(run_after))
        .col_expr(jobs::Column::UpdatedAt, Expr::value(Utc::now()));
    if let Some(error) = error {
        update = update.col_expr(jobs::Column::LastError, Expr::value(truncate(error, 4000)));
    }
    update.filter(jobs::Column::Id.eq(job_id)).exec(db).await?;
    Ok(())
}

/// Exponential backoff with "equal jitter": half the delay is fixed, half random, so
/// retries spread out but never come sooner than half the nominal delay. Capped at
/// one hour. `unit` is a random number in `[0, 1)`.
#[must_use]
pub fn backoff(base: Duration, attempts: i32, unit: f64) -> Duration {
    let exp = std::cmp::min(u32::try_from(attempts.saturating_sub(1)).unwrap_or(0), 20);
    let nominal = std::cmp::min(base.saturating_mul(1u32 << exp), Duration::from_secs(3600));
    let half = nominal / 2;
    half + half.mul_f64(unit.clamp(0.0, 1.0))
}

fn truncate(s: &str, max: usize) -> String {
    let kept = clip(s, max);
    if kept.len() == s.len() {
        return s.to_owned();
    }
    format!("{kept}…")
}

/// Every job of a delivery, oldest first.
///
/// # Errors
/// When the database fails.
pub async fn for_delivery(
    db: &impl ConnectionTrait,
    delivery_pk: i64,
) -> Result<Vec<jobs::Model>, DbErr> {
    jobs::Entity::find()
        .filter(jobs::Column::DeliveryPk.eq(delivery_pk))
        .order_by_asc(jobs::Column::Id)
        .all(db)
        .await
}

/// How many jobs are in each unfinished state: `(queued, running)`, from one
/// statement, so a job moving between the two is never counted in neither.
///
/// # Errors
/// When the database fails.
pub async fn pending_counts(db: &impl ConnectionTrait) -> Result<(u64, u64), DbErr> {
    use sea_orm::QuerySelect;
    let rows: Vec<(String, i64)> = jobs::Entity::find()
        .select_only()
        .column(jobs::Column::Status)
        .column_as(jobs::Column::Id.count(), "n")
        .filter(
            jobs::Column::Status.is_in([JobStatus::Queued.as_str(), JobStatus::Running.as_str()]),
        )
        .group_by(jobs::Column::Status)
        .into_tuple()
        .all(db)
        .await?;
    let count = |status: JobStatus| {
        rows.iter()
            .find(|(s, _)| s == status.as_str())
            .map_or(0, |(_, n)| u64::try_from(*n).unwrap_or(0))
    };
    Ok((count(JobStatus::Queued), count(JobStatus::Running)))
}

/// When the oldest waiting job was created.
///
/// # Errors
/// When the database fails.
pub async fn oldest_queued(db: &impl ConnectionTrait) -> Result<Option<DateTime<Utc>>, DbErr> {
    let oldest = jobs::Entity::find()
        .filter(jobs::Column::Status.eq(JobStatus::Queued.as_str()))
        .order_by_asc(jobs::Column::Id)
        .one(db)
        .await?;
    Ok(oldest.map(|j| j.created_at))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stored_status_parses_back_and_nothing_else_does() {
        for status in JobStatus::ALL {
            assert_eq!(JobStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(JobStatus::parse("Dead"), None);
        assert_eq!(JobStatus::parse("failed"), None);
    }

    #[test]
    fn backoff_doubles_with_bounded_jitter() {
        let base = Duration::from_secs(2);
        assert_eq!(backoff(base, 1, 0.0), Duration::from_secs(1));
        assert_eq!(backoff(base, 1, 1.0), Duration::from_secs(2));
        assert_eq!(backoff(base, 3, 0.0), Duration::from_secs(4));
        assert_eq!(backoff(base, 3, 0.999).as_millis(), 7996);
        assert_eq!(backoff(base, 40, 1.0), Duration::from_secs(3600));
    }

    #[test]
    fn long_errors_are_cut_on_a_character_boundary() {
        let s = "é".repeat(10);
        let t = truncate(&s, 5);
        assert!(t.starts_with("éé") && t.ends_with('…'));
    }
}

/// What a replay did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(tag = "replay", rename_all = "snake_case")]
pub enum Replay {
    /// A dead-lettered or cancelled job was queued again; it resumes where it stopped (plugins
    /// that finished are not re-run, and side effects keep their idempotency keys).
    Requeued {
        /// The job.
        job_id: i64,
    },
    /// The delivery was processed; a new job of the next generation runs every
    /// subscribed plugin again, as a new delivery would.
    NewJob {
        /// The new job.
        job_id: i64,
        /// Its generation (0 is the original job).
        generation: i32,
    },
    /// A job of this delivery is still queued or running; nothing changed.
    AlreadyPending {
        /// That job.
        job_id: i64,
    },
}

/// Every job of the delivery `delivery_pk`, newest first; at least one.
///
/// # Errors
/// When the database fails, or the delivery has no job at all.
async fn of_delivery<C: ConnectionTrait>(
    txn: &C,
    delivery_pk: i64,
) -> Result<Vec<jobs::Model>, DbErr> {
    let existing = jobs::Entity::find()
        .filter(jobs::Column::DeliveryPk.eq(delivery_pk))
        .order_by_desc(jobs::Column::Id)
        .all(txn)
        .await?;
    if existing.is_empty() {
        return Err(DbErr::RecordNotFound(format!(
            "no job for delivery {delivery_pk}"
        )));
    }
    Ok(existing)
}

/// Whether a job is still to run or running.
fn is_pending(job: &jobs::Model) -> bool {
    job.status == JobStatus::Queued.as_str() || job.status == JobStatus::Running.as_str()
}

/// Replays a stored delivery: requeues its dead job, or enqueues a new generation
/// when every job of it is done; in a transaction of its own.
///
/// # Errors
/// When the database fails, or the delivery has no job at all.
pub async fn replay(db: &DatabaseConnection, delivery_pk: i64) -> Result<Replay, DbErr> {
    let txn = db.begin().await?;
    let outcome = replay_in(&txn, delivery_pk).await?;
    txn.commit().await?;
    Ok(outcome)
}

/// [`replay`] on the caller's transaction (which also records who replayed it).
///
/// # Errors
/// When the database fails, or the delivery has no job at all.
pub async fn replay_in<C: ConnectionTrait>(txn: &C, delivery_pk: i64) -> Result<Replay, DbErr> {
    let existing = of_delivery(txn, delivery_pk).await?;
    let latest = &existing[0];
    if let Some(pending) = existing.iter().find(|j| is_pending(j)) {
        return Ok(Replay::AlreadyPending { job_id: pending.id });
    }
    let now = Utc::now();
    let outcome = if let Some(dead) = existing
        .iter()
        .find(|j| j.status == JobStatus::Dead.as_str() || j.status == JobStatus::Cancelled.as_str())
    {
        jobs::Entity::update_many()
            .col_expr(
                jobs::Column::Status,
                Expr::value(JobStatus::Queued.as_str()),
            )
            .col_expr(jobs::Column::Attempts, Expr::value(0))
            .col_expr(
                jobs::Column::CancelRequestedAt,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(
                jobs::Column::CancelledBy,
                Expr::value(Option::<String>::None),
            )
            .col_expr(jobs::Column::RunAfter, Expr::value(now))
            .col_expr(jobs::Column::UpdatedAt, Expr::value(now))
            .filter(jobs::Column::Id.eq(dead.id))
            .exec(txn)
            .await?;
        Replay::Requeued { job_id: dead.id }
    } else {
        let generation = latest.generation + 1;
        let job = jobs::ActiveModel {
            delivery_pk: Set(delivery_pk),
            generation: Set(generation),
            status: Set(JobStatus::Queued.as_str().to_owned()),
            attempts: Set(0),
            run_after: Set(now),
            target_key: Set(latest.target_key.clone()),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        Replay::NewJob {
            job_id: job.id,
            generation,
        }
    };
    Ok(outcome)
}
