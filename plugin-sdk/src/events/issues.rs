//! The `issues` and `issue_comment` events, and the issue and comment records they
//! carry (an issue that is a pull request has a `pull_request` key).
use serde::Deserialize;

use super::{null_default, Label, Milestone, Repository, User};

/// An issue (or a pull request seen as an issue) in `issues` and `issue_comment`
/// payloads.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
pub struct Issue {
    /// The issue's number in its repository.
    pub number: u64,
    /// The title.
    #[serde(default)]
    pub title: String,
    /// The body; GitHub sends `null` for an empty body.
    #[serde(default)]
    pub body: Option<String>,
    /// Who opened it.
    #[serde(default)]
    pub user: User,
    /// Its labels.
    #[serde(default, deserialize_with = "null_default")]
    pub labels: Vec<Label>,
    /// Its assignees.
    #[serde(default, deserialize_with = "null_default")]
    pub assignees: Vec<User>,
    /// Its milestone.
    #[serde(default)]
    pub milestone: Option<Milestone>,
    /// `open` or `closed`.
    #[serde(default)]
    pub state: String,
    /// The author's association with the repository.
    #[serde(default)]
    pub author_association: Option<String>,
    /// Present (links to the pull request) when the issue is a pull request.
    #[serde(default)]
    pub pull_request: Option<serde_json::Value>,
}

impl Issue {
    /// Whether it is a pull request.
    #[must_use]
    pub fn is_pull_request(&self) -> bool {
        self.pull_request.is_some()
    }

    /// Its label names.
    #[must_use]
    pub fn label_names(&self) -> Vec<String> {
        self.labels.iter().map(|l| l.name.clone()).collect()
    }
}

/// The `issues` event.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct IssuesEvent {
    /// What happened: `opened`, `labeled`, `closed`, ...
    pub action: String,
    /// The issue.
    pub issue: Issue,
    /// The label added or removed, for `labeled` and `unlabeled`.
    #[serde(default)]
    pub label: Option<Label>,
    /// The repository.
    pub repository: Repository,
    /// Who triggered the event.
    pub sender: User,
}

/// A comment on an issue or pull request.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
pub struct Comment {
    /// The comment's id.
    pub id: u64,
    /// The text.
    #[serde(default)]
    pub body: Option<String>,
    /// Who wrote it.
    #[serde(default)]
    pub user: User,
    /// The author's association with the repository.
    #[serde(default)]
    pub author_association: Option<String>,
}

/// The `issue_comment` event (comments on issues and pull requests alike).
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct IssueCommentEvent {
    /// `created`, `edited` or `deleted`.
    pub action: String,
    /// The issue or pull request.
    pub issue: Issue,
    /// The comment.
    pub comment: Comment,
    /// The repository.
    pub repository: Repository,
    /// Who triggered the event.
    pub sender: User,
    /// Present on `edited`: what changed.
    #[serde(default)]
    pub changes: Option<serde_json::Value>,
}
