//! Events about GitHub Discussions: `discussion` and `discussion_comment`.
use serde::Deserialize;

use super::{Label, Repository, User};

/// A discussion's category.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
pub struct DiscussionCategory {
    /// Its id.
    pub id: u64,
    /// Its name, for example `Q&A`.
    pub name: String,
    /// Its slug, for example `q-a`.
    #[serde(default)]
    pub slug: String,
    /// Whether its discussions take an answer.
    #[serde(default)]
    pub is_answerable: bool,
}

/// A discussion.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
pub struct Discussion {
    /// Its id.
    pub id: u64,
    /// Its number in the repository.
    pub number: u64,
    /// Its title.
    #[serde(default)]
    pub title: String,
    /// Its body.
    #[serde(default)]
    pub body: Option<String>,
    /// Who opened it.
    #[serde(default)]
    pub user: User,
    /// `open`, `closed` or `locked`.
    #[serde(default)]
    pub state: String,
    /// Whether it is locked.
    #[serde(default)]
    pub locked: bool,
    /// Its category.
    pub category: DiscussionCategory,
    /// Its page on GitHub.
    #[serde(default)]
    pub html_url: String,
    /// The chosen answer's page, when one was chosen.
    #[serde(default)]
    pub answer_html_url: Option<String>,
    /// The author's association with the repository.
    #[serde(default)]
    pub author_association: Option<String>,
}

/// A comment on a discussion (an answer, or a reply to one).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
pub struct DiscussionComment {
    /// Its id.
    pub id: u64,
    /// Its text.
    #[serde(default)]
    pub body: String,
    /// Who wrote it.
    #[serde(default)]
    pub user: User,
    /// The comment it replies to, for a reply.
    #[serde(default)]
    pub parent_id: Option<u64>,
    /// Its page on GitHub.
    #[serde(default)]
    pub html_url: String,
    /// The author's association with the repository.
    #[serde(default)]
    pub author_association: Option<String>,
}

/// The `discussion` event.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct DiscussionEvent {
    /// `created`, `edited`, `deleted`, `pinned`, `unpinned`, `locked`,
    /// `unlocked`, `transferred`, `category_changed`, `answered`, `unanswered`,
    /// `labeled`, `unlabeled`, `closed` or `reopened`.
    pub action: String,
    /// The discussion.
    pub discussion: Discussion,
    /// On `answered`: the answer.
    #[serde(default)]
    pub answer: Option<DiscussionComment>,
    /// On `unanswered`: the answer that no longer is.
    #[serde(default)]
    pub old_answer: Option<DiscussionComment>,
    /// On `labeled` and `unlabeled`: the label.
    #[serde(default)]
    pub label: Option<Label>,
    /// On `edited` and others: what changed.
    #[serde(default)]
    pub changes: Option<serde_json::Value>,
    /// The repository.
    pub repository: Repository,
    /// Who did it.
    pub sender: User,
}

/// The `discussion_comment` event.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct DiscussionCommentEvent {
    /// `created`, `edited` or `deleted`.
    pub action: String,
    /// The comment.
    pub comment: DiscussionComment,
    /// The discussion.
    pub discussion: Discussion,
    /// On `edited`: the body before.
    #[serde(default)]
    pub changes: Option<serde_json::Value>,
    /// The repository.
    pub repository: Repository,
    /// Who did it.
    pub sender: User,
}
