//! Queries on `repo_configs`: per repository, what its `.github/gantry.yml` last set
//! (the last valid patches, by plugin, as JSON), the bases of its chain, the newest
//! file's error when it is invalid, and when it was read. Writing the patches or the
//! error counts up `config_version` (trigger); `touch` only notes a read.
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr};

use super::sql;

/// One repository's row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoConfigRow {
    /// `owner/name`, lower case.
    pub project: String,
    /// The last valid patches (JSON `{plugin: {patch, sources}}`); `None` when no
    /// valid file was ever read (or the file was removed).
    pub patches: Option<String>,
    /// The bases of the chain (JSON list of `owner/name`).
    pub bases: String,
    /// When the patches were read.
    pub valid_at: Option<DateTime<Utc>>,
    /// Why the newest file is not in force, when it is invalid.
    pub error: Option<String>,
    /// When that error was found.
    pub error_at: Option<DateTime<Utc>>,
    /// When the file was last read.
    pub checked_at: DateTime<Utc>,
}

const COLUMNS: &str = "project, patches, bases, valid_at, error, error_at, checked_at";

fn row(r: &sea_orm::QueryResult) -> Result<RepoConfigRow, DbErr> {
    Ok(RepoConfigRow {
        project: r.try_get("", "project")?,
        patches: r.try_get("", "patches")?,
        bases: r.try_get("", "bases")?,
        valid_at: r.try_get("", "valid_at")?,
        error: r.try_get("", "error")?,
        error_at: r.try_get("", "error_at")?,
        checked_at: r.try_get("", "checked_at")?,
    })
}

/// The row of `project` (`owner/name`, lower case).
///
/// # Errors
/// When the database fails.
pub async fn get(db: &impl ConnectionTrait, project: &str) -> Result<Option<RepoConfigRow>, DbErr> {
    let statement = sql(
        db,
        &format!("SELECT {COLUMNS} FROM repo_configs WHERE project = $1"),
        vec![project.into()],
    );
    db.query_one_raw(statement)
        .await?
        .as_ref()
        .map(row)
        .transpose()
}

/// The repositories whose chain names `base` (lower case) as a base.
///
/// # Errors
/// When the database fails.
pub async fn extending(db: &impl ConnectionTrait, base: &str) -> Result<Vec<String>, DbErr> {
    let pattern = format!("%\"{}\"%", base.replace('%', "").replace('_', "\\_"));
    let statement = sql(
        db,
        "SELECT project FROM repo_configs WHERE bases LIKE $1 ESCAPE '\\'",
        vec![pattern.into()],
    );
    db.query_all_raw(statement)
        .await?
        .iter()
        .map(|r| r.try_get("", "project"))
        .collect()
}

/// Writes `row` whole (a change of patches or error counts up `config_version`).
///
/// # Errors
/// When the database fails.
pub async fn put(db: &impl ConnectionTrait, row: &RepoConfigRow) -> Result<(), DbErr> {
    let statement = sql(
        db,
        &format!(
            "INSERT INTO repo_configs ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (project) DO UPDATE SET patches = excluded.patches, \
             bases = excluded.bases, valid_at = excluded.valid_at, error = excluded.error, \
             error_at = excluded.error_at, checked_at = excluded.checked_at"
        ),
        vec![
            row.project.clone().into(),
            row.patches.clone().into(),
            row.bases.clone().into(),
            row.valid_at.into(),
            row.error.clone().into(),
            row.error_at.into(),
            row.checked_at.into(),
        ],
    );
    db.execute_raw(statement).await?;
    Ok(())
}

/// Notes that `project`'s file was read and found unchanged (counts nothing up).
///
/// # Errors
/// When the database fails.
pub async fn touch(
    db: &impl ConnectionTrait,
    project: &str,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    let statement = sql(
        db,
        "UPDATE repo_configs SET checked_at = $1 WHERE project = $2",
        vec![at.into(), project.into()],
    );
    db.execute_raw(statement).await?;
    Ok(())
}
