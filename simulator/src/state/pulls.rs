//! What pull requests carry besides their issue half: reviews (with their line
//! comments) and changed files.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A pull request review.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Review {
    pub id: u64,
    pub node_id: String,
    /// Login of the reviewer.
    pub user: String,
    pub body: String,
    /// `APPROVED`, `CHANGES_REQUESTED`, `COMMENTED` or `PENDING`.
    pub state: String,
    /// The head commit the review was made on.
    pub commit_id: String,
    /// `None` while the review is pending.
    pub submitted_at: Option<DateTime<Utc>>,
    /// The line comments it was created with.
    #[serde(default)]
    pub comments: Vec<LineComment>,
}

/// A comment on one line of a pull request's diff, made with a review.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct LineComment {
    pub id: u64,
    pub node_id: String,
    /// The file's path.
    pub path: String,
    /// The line in the file, on `side`.
    pub line: u64,
    /// `LEFT` or `RIGHT`.
    pub side: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

/// One changed file of a pull request.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct PullFileDef {
    pub filename: String,
    /// `added`, `removed`, `modified`, `renamed`, `copied`, `changed` or `unchanged`.
    pub status: String,
    pub additions: u64,
    pub deletions: u64,
    pub patch: Option<String>,
    pub previous_filename: Option<String>,
}
