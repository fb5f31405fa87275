//! Leasing jobs: several at once, each the oldest unfinished job of its target.
//!
//! Two steps keep every lease fast whatever the backlog and whatever the planner
//! knows: the oldest unfinished ids (and their target keys) come from the partial
//! index in id order, then one locking statement leases the eligible ones among
//! them. On PostgreSQL that statement is `UPDATE ... FOR UPDATE SKIP LOCKED`, so
//! processes never wait on each other; SQLite has one writer at a time, so the
//! statement is atomic there as it is.
use std::time::Duration;

use chrono::Utc;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Statement,
};

use super::JobStatus;
use crate::db::entities::jobs;

/// Leases up to `{limit}` jobs out of a batch of candidate ids: those that are due
/// (or whose lease expired) with no earlier unfinished job for the same target,
/// oldest first. Of the unfinished jobs of one target only the oldest can qualify,
/// so one statement never leases two jobs of a target. `{lock}` is `FOR UPDATE OF j
/// SKIP LOCKED` on PostgreSQL, so concurrent leases pass over a row another
/// transaction is leasing. `{candidates}` and `{limit}` are integers from the
/// database and the caller.
const LEASE_SQL: &str = r#"
UPDATE jobs SET status = 'running', lease_owner = {p1}, lease_expires_at = {p2},
       attempts = attempts + 1, updated_at = {p3}
WHERE id IN (
    SELECT j.id FROM jobs j
    WHERE j.id IN ({candidates})
      AND j.status IN ('queued', 'running')
      AND ((j.status = 'queued' AND j.run_after <= {p3})
           OR (j.status = 'running' AND j.lease_expires_at < {p3}))
      AND NOT EXISTS (
          SELECT 1 FROM jobs e
          WHERE e.target_key = j.target_key AND e.id < j.id
            AND e.status IN ('queued', 'running'))
    ORDER BY j.id
    LIMIT {limit}
    {lock})
RETURNING *"#;

/// Candidates are read at least this many at a time, oldest first (more when more
/// jobs are wanted, up to [`MAX_BATCH`])...
const MIN_BATCH: usize = 64;
/// ...and at most this many...
const MAX_BATCH: usize = 256;
/// ...for at most this many batches per call, so jobs waiting behind a busy target
/// do not hide runnable ones further back, and a lease stays cheap.
const MAX_BATCHES: usize = 8;

fn lease_sql(backend: DbBackend, candidates: &[i64], limit: usize) -> String {
    let (p1, p2, p3, lock) = match backend {
        DbBackend::Postgres => ("$1", "$2", "$3", "FOR UPDATE OF j SKIP LOCKED"),
        _ => ("?1", "?2", "?3", ""),
    };
    let ids = candidates
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    LEASE_SQL
        .replace("{p1}", p1)
        .replace("{p2}", p2)
        .replace("{p3}", p3)
        .replace("{lock}", lock)
        .replace("{limit}", &limit.to_string())
        .replace("{candidates}", &ids)
}

/// The installation a job counts against for `worker.per_installation`: the owner
/// of its repository (an installation belongs to one account), lower-cased as
/// GitHub compares logins; `""` for jobs without a repository.
#[must_use]
pub fn installation_key(target_key: Option<&str>) -> String {
    target_key
        .and_then(|key| key.split('/').next())
        .unwrap_or_default()
        .to_ascii_lowercase()
}

/// What the caller makes of a candidate job before it is leased.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Candidate {
    /// Lease it if it is due.
    Take,
    /// This process runs it already (its lease expired under it): nothing to do.
    Running,
    /// Not now (its installation is at its bound here): it waits.
    Wait,
}

/// What one call of [`lease_batch`] did.
#[derive(Debug, Default)]
pub struct Leased {
    /// The jobs leased, in id order.
    pub jobs: Vec<jobs::Model>,
    /// Whether it passed over unfinished jobs that were not leased and that this
    /// process does not run: jobs waiting behind their target or their
    /// installation, not yet due, run by another process, or beyond the candidates
    /// read. When false, no job could become leasable but a new one, a retry that
    /// falls due or a lease that expires.
    pub passed_over: bool,
}

/// Leases up to `max` available jobs for `owner`, oldest first, each the oldest
/// unfinished job of its target, passing over candidates that `judge(id,
/// target_key)` does not let it take (jobs this process still runs, installations
/// at their bound).
///
/// # Errors
/// When the database fails.
pub async fn lease_batch(
    db: &impl ConnectionTrait,
    owner: &str,
    lease: Duration,
    max: usize,
    judge: impl Fn(i64, Option<&str>) -> Candidate,
) -> Result<Leased, DbErr> {
    let now = Utc::now();
    let expires = now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::seconds(60));
    let backend = db.get_database_backend();
    let batch = max.clamp(MIN_BATCH, MAX_BATCH);
    let mut leased: Vec<jobs::Model> = Vec::new();
    // Candidates offered to the lease statement, and those of them that waited.
    let mut offered = 0_usize;
    let mut waited = false;
    let mut after = 0_i64;
    let mut windows = 0_usize;
    loop {
        let wanted = max.saturating_sub(leased.len());
        if wanted == 0 || windows == MAX_BATCHES {
            // Stopped before the end of the unfinished jobs.
            waited = true;
            break;
        }
        windows += 1;
        let candidates: Vec<(i64, Option<String>)> = jobs::Entity::find()
            .select_only()
            .column(jobs::Column::Id)
            .column(jobs::Column::TargetKey)
            .filter(
                jobs::Column::Status
                    .is_in([JobStatus::Queued.as_str(), JobStatus::Running.as_str()]),
            )
            .filter(jobs::Column::Id.gt(after))
            .order_by_asc(jobs::Column::Id)
            .limit(batch as u64)
            .into_tuple()
            .all(db)
            .await?;
        let Some(&(last, _)) = candidates.last() else {
            break;
        };
        let mut ids: Vec<i64> = Vec::with_capacity(candidates.len());
        for (id, key) in &candidates {
            match judge(*id, key.as_deref()) {
                Candidate::Take => ids.push(*id),
                Candidate::Running => {}
                Candidate::Wait => waited = true,
            }
        }
        if !ids.is_empty() {
            offered += ids.len();
            let statement = Statement::from_sql_and_values(
                backend,
                lease_sql(backend, &ids, wanted),
                [owner.into(), expires.into(), now.into()],
            );
            leased.extend(jobs::Entity::find().from_raw_sql(statement).all(db).await?);
        }
        if candidates.len() < batch {
            break;
        }
        after = last;
    }
    leased.sort_by_key(|job| job.id);
    Ok(Leased {
        passed_over: waited || leased.len() < offered,
        jobs: leased,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_counts_against_its_repository_owner_whatever_the_case() {
        assert_eq!(installation_key(Some("Octo-Org/repo#7")), "octo-org");
        assert_eq!(installation_key(Some("octo-org/other")), "octo-org");
        assert_eq!(installation_key(None), "");
    }

    #[test]
    fn the_lease_statement_names_its_limit_and_candidates() {
        let sql = lease_sql(DbBackend::Postgres, &[3, 5], 2);
        assert!(sql.contains("j.id IN (3, 5)"), "{sql}");
        assert!(sql.contains("LIMIT 2"), "{sql}");
        assert!(sql.contains("SKIP LOCKED"), "{sql}");
        assert!(!lease_sql(DbBackend::Sqlite, &[1], 1).contains("SKIP LOCKED"));
    }
}
