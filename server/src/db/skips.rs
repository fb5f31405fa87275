//! Queries on `plugin_skips`: record why a plugin or a command did not run for a
//! job (once per job and subject, so a retried job does not repeat it), and read
//! them back for the delivery's page and API.
use chrono::Utc;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
};

use super::entities::plugin_skips;

/// The longest subject stored (the column's length).
const SUBJECT_MAX: usize = 128;

/// Records that `subject` (a plugin's name, or a command such as `/poke` or
/// `asker /poke`) did not run for the job, and why. A second record of the same
/// subject for the job keeps the first.
///
/// # Errors
/// When the database fails.
pub async fn record(
    db: &impl ConnectionTrait,
    job_id: i64,
    subject: &str,
    reason: &str,
) -> Result<(), DbErr> {
    let subject: String = subject.chars().take(SUBJECT_MAX).collect();
    let row = plugin_skips::ActiveModel {
        job_id: Set(job_id),
        subject: Set(subject),
        reason: Set(reason.to_owned()),
        created_at: Set(Utc::now()),
        ..Default::default()
    };
    plugin_skips::Entity::insert(row)
        .on_conflict_do_nothing_on([plugin_skips::Column::JobId, plugin_skips::Column::Subject])
        .exec(db)
        .await?;
    Ok(())
}

/// The skips of a job, in the order they were recorded.
///
/// # Errors
/// When the database fails.
pub async fn for_job(
    db: &impl ConnectionTrait,
    job_id: i64,
) -> Result<Vec<plugin_skips::Model>, DbErr> {
    plugin_skips::Entity::find()
        .filter(plugin_skips::Column::JobId.eq(job_id))
        .order_by_asc(plugin_skips::Column::Id)
        .all(db)
        .await
}
