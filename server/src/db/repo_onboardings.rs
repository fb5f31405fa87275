//! Queries on `repo_onboardings`: per repository (`owner/name`, lower case), the
//! delivery that claimed Gantry's onboarding pull request for it and what became of
//! it. The first claim wins for good: a retry of the same delivery's job goes on,
//! every other event finds the repository taken.
use chrono::Utc;
use sea_orm::{ConnectionTrait, DbErr};

use super::sql;

/// One repository's onboarding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Onboarding {
    /// The delivery that claimed it.
    pub delivery_id: String,
    /// What became of it (`claimed`, `held ap_...`, `opened #N`, ...).
    pub outcome: String,
}

/// Claims `project` for `delivery_id` unless another delivery did; returns the
/// claim in force (this one's, or the earlier one's).
///
/// # Errors
/// When the database fails.
pub async fn claim(
    db: &impl ConnectionTrait,
    project: &str,
    delivery_id: &str,
) -> Result<Onboarding, DbErr> {
    let insert = sql(
        db,
        "INSERT INTO repo_onboardings (project, delivery_id, outcome, updated_at) \
         VALUES ($1, $2, 'claimed', $3) ON CONFLICT (project) DO NOTHING",
        vec![project.into(), delivery_id.into(), Utc::now().into()],
    );
    db.execute_raw(insert).await?;
    get(db, project)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("repo_onboardings row of {project}")))
}

/// The onboarding of `project`, if any was claimed.
///
/// # Errors
/// When the database fails.
pub async fn get(db: &impl ConnectionTrait, project: &str) -> Result<Option<Onboarding>, DbErr> {
    let select = sql(
        db,
        "SELECT delivery_id, outcome FROM repo_onboardings WHERE project = $1",
        vec![project.into()],
    );
    db.query_one_raw(select)
        .await?
        .map(|r| {
            Ok(Onboarding {
                delivery_id: r.try_get("", "delivery_id")?,
                outcome: r.try_get("", "outcome")?,
            })
        })
        .transpose()
}

/// Records what became of `project`'s onboarding.
///
/// # Errors
/// When the database fails.
pub async fn set_outcome(
    db: &impl ConnectionTrait,
    project: &str,
    outcome: &str,
) -> Result<(), DbErr> {
    let update = sql(
        db,
        "UPDATE repo_onboardings SET outcome = $1, updated_at = $2 WHERE project = $3",
        vec![outcome.into(), Utc::now().into(), project.into()],
    );
    db.execute_raw(update).await?;
    Ok(())
}

/// Gives `project` up, so that a later event may try again (GitHub failed before
/// anything was proposed).
///
/// # Errors
/// When the database fails.
pub async fn release(db: &impl ConnectionTrait, project: &str) -> Result<(), DbErr> {
    let delete = sql(
        db,
        "DELETE FROM repo_onboardings WHERE project = $1",
        vec![project.into()],
    );
    db.execute_raw(delete).await?;
    Ok(())
}
