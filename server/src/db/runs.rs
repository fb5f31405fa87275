//! Queries on `plugin_runs`: record each invocation, and find which plugins already
//! finished a job so a retry does not run them again.
use std::collections::HashSet;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QueryOrder,
};

use super::entities::plugin_runs;

/// One finished invocation, to record.
#[derive(Debug)]
pub struct NewRun<'a> {
    /// The job the invocation served.
    pub job_id: i64,
    /// The plugin's name.
    pub plugin: &'a str,
    /// How it ended.
    pub outcome: crate::domain::RunOutcome,
    /// The plugin's error or the trap, when there was one.
    pub message: Option<String>,
    /// The log lines the plugin wrote.
    pub log: Option<String>,
    /// How long it took.
    pub duration_ms: i64,
    /// When it started.
    pub started_at: chrono::DateTime<Utc>,
}

/// Records one invocation.
///
/// # Errors
/// When the database fails.
pub async fn record(db: &impl ConnectionTrait, run: NewRun<'_>) -> Result<(), DbErr> {
    plugin_runs::ActiveModel {
        job_id: Set(run.job_id),
        plugin: Set(run.plugin.to_owned()),
        outcome: Set(run.outcome.as_str().to_owned()),
        message: Set(run.message),
        log: Set(run.log),
        duration_ms: Set(run.duration_ms),
        started_at: Set(run.started_at),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Plugins whose invocation for this job is finished for good (anything but
/// `retry` and `cancelled`), so a retried or replayed job does not run them again.
///
/// # Errors
/// When the database fails.
pub async fn finished_plugins(
    db: &impl ConnectionTrait,
    job_id: i64,
) -> Result<HashSet<String>, DbErr> {
    let rows = plugin_runs::Entity::find()
        .filter(plugin_runs::Column::JobId.eq(job_id))
        // A run to retry, or one stopped by a cancel, runs again when the job does.
        .filter(plugin_runs::Column::Outcome.is_not_in(["retry", "cancelled"]))
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|r| r.plugin).collect())
}

/// Every run of a job, oldest first.
///
/// # Errors
/// When the database fails.
pub async fn for_job(
    db: &impl ConnectionTrait,
    job_id: i64,
) -> Result<Vec<plugin_runs::Model>, DbErr> {
    plugin_runs::Entity::find()
        .filter(plugin_runs::Column::JobId.eq(job_id))
        .order_by_asc(plugin_runs::Column::Id)
        .all(db)
        .await
}
