//! Queries on `ownership_files`: per repository, the ownership files a plugin's
//! `get-owners` call read from its default branch (one row per path looked at;
//! `content` is `None` when there is no such file) and when. A cache: the host
//! reads a row again once it is older than the refresh interval, and a push to
//! the default branch touching such a file removes the repository's rows (`clear`).
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr};

use super::sql;

/// One file as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnershipFile {
    /// Its path from the repository's root.
    pub path: String,
    /// Its text; `None` when there is no such file.
    pub content: Option<String>,
    /// When it was read.
    pub read_at: DateTime<Utc>,
}

/// Every row of `project` (`owner/name`, lower case).
///
/// # Errors
/// When the database fails.
pub async fn of_project(
    db: &impl ConnectionTrait,
    project: &str,
) -> Result<Vec<OwnershipFile>, DbErr> {
    let statement = sql(
        db,
        "SELECT path, content, read_at FROM ownership_files WHERE project = $1",
        vec![project.into()],
    );
    db.query_all_raw(statement)
        .await?
        .iter()
        .map(|r| {
            Ok(OwnershipFile {
                path: r.try_get("", "path")?,
                content: r.try_get("", "content")?,
                read_at: r.try_get("", "read_at")?,
            })
        })
        .collect()
}

/// Stores what was read at `file.path` of `project`.
///
/// # Errors
/// When the database fails.
pub async fn put(
    db: &impl ConnectionTrait,
    project: &str,
    file: &OwnershipFile,
) -> Result<(), DbErr> {
    let statement = sql(
        db,
        "INSERT INTO ownership_files (project, path, content, read_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (project, path) DO UPDATE SET content = excluded.content, \
         read_at = excluded.read_at",
        vec![
            project.into(),
            file.path.clone().into(),
            file.content.clone().into(),
            file.read_at.into(),
        ],
    );
    db.execute_raw(statement).await?;
    Ok(())
}

/// Forgets everything read of `project`: the next `get-owners` reads again.
///
/// # Errors
/// When the database fails.
pub async fn clear(db: &impl ConnectionTrait, project: &str) -> Result<u64, DbErr> {
    let statement = sql(
        db,
        "DELETE FROM ownership_files WHERE project = $1",
        vec![project.into()],
    );
    Ok(db.execute_raw(statement).await?.rows_affected())
}
