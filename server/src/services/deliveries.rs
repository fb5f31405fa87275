//! Inspecting, replaying and cancelling stored deliveries, for the CLI, the JSON API
//! and the dashboard alike, and for readers who see only some repositories
//! (`list_for`, `show_for`). A replay or a cancel and its audit row are one
//! transaction.
use chrono::Utc;
use sea_orm::{DatabaseConnection, DbErr, TransactionTrait};
use thiserror::Error;

use crate::crypto::AuditKey;
use crate::db::audit::{self, AuditEntry, ChainConflict};
use crate::domain::{Actor, AuditAction};

use crate::db::dashboard::{self as listings, DeliveryFilter};
use crate::db::deliveries::{self, DeliverySummary};
use crate::db::entities::plugin_runs;
use crate::db::jobs::{self, Cancel, JobStatus, Replay};
use crate::db::{runs, skips};
use crate::domain::Visibility;

/// Why a delivery operation failed.
#[derive(Debug, Error)]
pub enum DeliveryError {
    /// 404: no delivery with that id.
    #[error("no delivery with id {0}")]
    NotFound(String),
    /// 400: a filter that is not a job status.
    #[error("unknown status `{0}`: use queued, running, done, dead or cancelled")]
    BadStatus(String),
    /// 503: the database failed.
    #[error("the database failed")]
    Database(#[from] DbErr),
}

impl ChainConflict for DeliveryError {
    fn is_chain_conflict(&self) -> bool {
        matches!(self, Self::Database(e) if e.is_chain_conflict())
    }
}

/// A delivery with every job and plugin run (not its payload).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct DeliveryDetail {
    /// The delivery and its latest job.
    #[serde(flatten)]
    pub summary: DeliverySummary,
    /// Every job, oldest first, with its plugin runs.
    pub jobs: Vec<JobDetail>,
}

/// A job and its plugin runs.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct JobDetail {
    /// Job id.
    pub id: i64,
    /// Status.
    pub status: String,
    /// Attempts.
    pub attempts: i32,
    /// Generation.
    pub generation: i32,
    /// Last failure.
    pub last_error: Option<String>,
    /// Plugin runs, oldest first.
    pub runs: Vec<RunDetail>,
    /// Plugins and commands that did not run, and why (a route's paths or branch
    /// did not match, a command's conditions were not met).
    pub skipped: Vec<SkipDetail>,
    /// What the job ran under that is worth knowing: the repository's
    /// `.github/gantry.yml` error while its last valid configuration stayed in force.
    pub notes: Vec<String>,
}

/// A plugin or command that did not run for a job.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct SkipDetail {
    /// The plugin's name, or the command (`/verb`, `plugin /verb`).
    pub subject: String,
    /// Why it did not run.
    pub reason: String,
}

/// One plugin run.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct RunDetail {
    /// Plugin name.
    pub plugin: String,
    /// `ok`, `error`, `trap`, `timeout` or `retry`.
    pub outcome: String,
    /// Error or trap message.
    pub message: Option<String>,
    /// The plugin's log.
    pub log: Option<String>,
    /// Duration in milliseconds.
    pub duration_ms: i64,
    /// Start time.
    pub started_at: chrono::DateTime<chrono::Utc>,
}

impl From<plugin_runs::Model> for RunDetail {
    fn from(r: plugin_runs::Model) -> Self {
        Self {
            plugin: r.plugin,
            outcome: r.outcome,
            message: r.message,
            log: r.log,
            duration_ms: r.duration_ms,
            started_at: r.started_at,
        }
    }
}

/// Lists deliveries, newest first, optionally only those with a job in `status`.
///
/// # Errors
/// [`DeliveryError::BadStatus`] or a database failure.
pub async fn list(
    db: &DatabaseConnection,
    status: Option<&str>,
    limit: u64,
    before: Option<i64>,
) -> Result<Vec<DeliverySummary>, DeliveryError> {
    if let Some(status) = status.filter(|s| JobStatus::parse(s).is_none()) {
        return Err(DeliveryError::BadStatus(status.to_owned()));
    }
    Ok(deliveries::list(db, status, limit.clamp(1, 500), before).await?)
}

/// Deliveries `visible` shows, newest first, as [`list`] does for a reader who sees
/// everything (a page of a reader who sees some repositories stays full).
///
/// # Errors
/// [`DeliveryError::BadStatus`] or a database failure.
pub async fn list_for(
    db: &DatabaseConnection,
    visible: &Visibility,
    status: Option<&str>,
    limit: u64,
    before: Option<i64>,
) -> Result<Vec<DeliverySummary>, DeliveryError> {
    if *visible == Visibility::All {
        return list(db, status, limit, before).await;
    }
    if let Some(status) = status.filter(|s| JobStatus::parse(s).is_none()) {
        return Err(DeliveryError::BadStatus(status.to_owned()));
    }
    let filter = DeliveryFilter {
        status: status.map(str::to_owned),
        ..DeliveryFilter::default()
    };
    Ok(listings::deliveries_page(db, visible, &filter, before, limit).await?)
}

/// One delivery with its jobs and runs, if `visible` shows it (another
/// repository's delivery is not found, as a missing one is).
///
/// # Errors
/// [`DeliveryError::NotFound`] or a database failure.
pub async fn show_for(
    db: &DatabaseConnection,
    visible: &Visibility,
    delivery_id: &str,
) -> Result<DeliveryDetail, DeliveryError> {
    if !listings::delivery_visible(db, visible, delivery_id).await? {
        return Err(DeliveryError::NotFound(delivery_id.to_owned()));
    }
    show(db, delivery_id).await
}

/// One delivery with its jobs and runs.
///
/// # Errors
/// [`DeliveryError::NotFound`] or a database failure.
pub async fn show(
    db: &DatabaseConnection,
    delivery_id: &str,
) -> Result<DeliveryDetail, DeliveryError> {
    let delivery = deliveries::find_by_delivery_id(db, delivery_id)
        .await?
        .ok_or_else(|| DeliveryError::NotFound(delivery_id.to_owned()))?;
    let summary = deliveries::list(db, None, 1, Some(delivery.id + 1))
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| DeliveryError::NotFound(delivery_id.to_owned()))?;
    let mut details = Vec::new();
    for job in jobs::for_delivery(db, delivery.id).await? {
        let runs = runs::for_job(db, job.id)
            .await?
            .into_iter()
            .map(RunDetail::from)
            .collect();
        let (noted, skipped): (Vec<_>, Vec<_>) = skips::for_job(db, job.id)
            .await?
            .into_iter()
            .map(|s| SkipDetail {
                subject: s.subject,
                reason: s.reason,
            })
            .partition(|s| s.subject == crate::services::repo_config::SUBJECT);
        let notes = noted.into_iter().map(|s| s.reason).collect();
        details.push(JobDetail {
            id: job.id,
            status: job.status,
            attempts: job.attempts,
            generation: job.generation,
            last_error: job.last_error,
            runs,
            skipped,
            notes,
        });
    }
    Ok(DeliveryDetail {
        summary,
        jobs: details,
    })
}

/// Cancels the queued or running job of a delivery by GitHub's delivery id for
/// `actor`, audited (`job.cancelled`) in the same transaction. A queued job is
/// cancelled at once; a running one is asked to stop, and `stops` (the process's
/// stop signals, when the caller has them) stops it at once when it runs in this
/// process; otherwise its worker finds the ask when it next renews the lease.
///
/// # Errors
/// [`DeliveryError::NotFound`] or a database failure.
pub async fn cancel(
    db: &DatabaseConnection,
    key: &AuditKey,
    actor: &Actor,
    delivery_id: &str,
    stops: Option<&crate::wasm_host::StopSignals>,
) -> Result<Cancel, DeliveryError> {
    let cancel = audit::retrying(|| async {
        let txn = db.begin().await?;
        let delivery = deliveries::find_by_delivery_id(&txn, delivery_id)
            .await?
            .ok_or_else(|| DeliveryError::NotFound(delivery_id.to_owned()))?;
        let cancel = jobs::cancel_in(&txn, delivery.id, actor.name(), Utc::now()).await?;
        let mut entry = AuditEntry::new(actor.clone(), AuditAction::JobCancelled)
            .delivery(delivery_id)
            .outcome(cancel.outcome())
            .details(serde_json::to_string(&cancel).unwrap_or_default());
        if let Some(repository) = &delivery.repository {
            entry = entry.project(repository.clone());
        }
        audit::append(&txn, key, &entry).await?;
        txn.commit().await?;
        Ok::<_, DeliveryError>(cancel)
    })
    .await?;
    if let (Some(job), Some(stops)) = (cancel.stopping(), stops) {
        stops.stop(job);
    }
    Ok(cancel)
}

/// Replays a delivery by GitHub's delivery id (see [`jobs::replay`]) for `actor`,
/// audited in the same transaction.
///
/// # Errors
/// [`DeliveryError::NotFound`] or a database failure.
pub async fn replay(
    db: &DatabaseConnection,
    key: &AuditKey,
    actor: &Actor,
    delivery_id: &str,
) -> Result<Replay, DeliveryError> {
    audit::retrying(|| async {
        let txn = db.begin().await?;
        let delivery = deliveries::find_by_delivery_id(&txn, delivery_id)
            .await?
            .ok_or_else(|| DeliveryError::NotFound(delivery_id.to_owned()))?;
        let replay = jobs::replay_in(&txn, delivery.id).await?;
        let outcome = match replay {
            Replay::AlreadyPending { .. } => "already_pending",
            Replay::Requeued { .. } | Replay::NewJob { .. } => "ok",
        };
        let mut entry = AuditEntry::new(actor.clone(), AuditAction::DeliveryReplayed)
            .delivery(delivery_id)
            .outcome(outcome)
            .details(serde_json::to_string(&replay).unwrap_or_default());
        if let Some(repository) = &delivery.repository {
            entry = entry.project(repository.clone());
        }
        audit::append(&txn, key, &entry).await?;
        txn.commit().await?;
        Ok(replay)
    })
    .await
}
