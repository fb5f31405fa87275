//! What issues carry besides labels and comments: milestones and comment reactions.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The reaction `content` values GitHub accepts.
pub(crate) const REACTIONS: [&str; 8] = [
    "+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes",
];

/// A milestone of a repository.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Milestone {
    pub id: u64,
    pub node_id: String,
    /// The number in the repository's own sequence, starting at 1.
    pub number: u64,
    pub title: String,
    pub description: Option<String>,
    pub open: bool,
    /// Login of the creator.
    pub creator: String,
    pub due_on: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
}

/// One user's reaction to a comment.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Reaction {
    pub id: u64,
    pub node_id: String,
    /// Login of the user who reacted.
    pub user: String,
    /// One of [`REACTIONS`].
    pub content: String,
    pub created_at: DateTime<Utc>,
}
