//! The pull request events: `pull_request`, `pull_request_review`,
//! `pull_request_review_comment`, `pull_request_review_thread` and `merge_group`
//! (the merge queue), and the pull request record with what authors need
//! to size and route it (additions, deletions, changed files, commits, draft,
//! mergeable state, head and base).
use serde::Deserialize;

use super::{null_default, Label, Repository, User};

/// A branch tip in a pull request.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
pub struct Branch {
    /// The branch name.
    #[serde(rename = "ref")]
    pub name: String,
    /// The commit at the tip.
    pub sha: String,
    /// The repository the branch lives in; `None` when a fork was deleted.
    #[serde(default)]
    pub repo: Option<Repository>,
}

/// A pull request as it appears in pull request payloads. The counts are `None`
/// where a payload leaves them out (review events carry a shorter pull request).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
pub struct PullRequest {
    /// The pull request's number (shared with issues).
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
    /// The head branch (what is proposed).
    pub head: Branch,
    /// The base branch (where it would merge).
    pub base: Branch,
    /// `open` or `closed`.
    #[serde(default)]
    pub state: String,
    /// Whether it is a draft.
    #[serde(default)]
    pub draft: bool,
    /// Whether it was merged.
    #[serde(default)]
    pub merged: Option<bool>,
    /// Its labels.
    #[serde(default, deserialize_with = "null_default")]
    pub labels: Vec<Label>,
    /// Its assignees.
    #[serde(default, deserialize_with = "null_default")]
    pub assignees: Vec<User>,
    /// Users whose review is requested.
    #[serde(default, deserialize_with = "null_default")]
    pub requested_reviewers: Vec<User>,
    /// Lines added.
    #[serde(default)]
    pub additions: Option<u64>,
    /// Lines deleted.
    #[serde(default)]
    pub deletions: Option<u64>,
    /// Files changed.
    #[serde(default)]
    pub changed_files: Option<u64>,
    /// Commits on it.
    #[serde(default)]
    pub commits: Option<u64>,
    /// GitHub's mergeability: `clean`, `dirty`, `blocked`, `unstable`, `unknown`, ...
    #[serde(default)]
    pub mergeable_state: Option<String>,
    /// The author's association with the repository (`OWNER`, `MEMBER`,
    /// `CONTRIBUTOR`, `FIRST_TIME_CONTRIBUTOR`, `NONE`, ...).
    #[serde(default)]
    pub author_association: Option<String>,
}

impl PullRequest {
    /// Whether the head branch lives in another repository than the base (a fork,
    /// or a fork since deleted).
    #[must_use]
    pub fn is_from_fork(&self) -> bool {
        match (&self.head.repo, &self.base.repo) {
            (Some(head), Some(base)) => head.full_name != base.full_name,
            _ => true,
        }
    }

    /// Its label names.
    #[must_use]
    pub fn label_names(&self) -> Vec<String> {
        self.labels.iter().map(|l| l.name.clone()).collect()
    }

    /// Lines changed (added and deleted), when the payload says.
    #[must_use]
    pub fn changed_lines(&self) -> Option<u64> {
        Some(self.additions? + self.deletions?)
    }
}

/// The `pull_request` event.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct PullRequestEvent {
    /// What happened: `opened`, `synchronize`, `closed`, ...
    pub action: String,
    /// The pull request's number.
    pub number: u64,
    /// The pull request.
    pub pull_request: PullRequest,
    /// The label added or removed, for `labeled` and `unlabeled`.
    #[serde(default)]
    pub label: Option<Label>,
    /// The head before, for `synchronize`.
    #[serde(default)]
    pub before: Option<String>,
    /// The head after, for `synchronize`.
    #[serde(default)]
    pub after: Option<String>,
    /// The repository.
    pub repository: Repository,
    /// Who triggered the event.
    pub sender: User,
}

/// A review of a pull request.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
pub struct Review {
    /// Its id.
    pub id: u64,
    /// Its body, when it has one.
    #[serde(default)]
    pub body: Option<String>,
    /// `approved`, `changes_requested`, `commented`, `dismissed`, ...
    #[serde(default)]
    pub state: String,
    /// Who wrote it.
    #[serde(default)]
    pub user: User,
    /// The commit it reviewed.
    #[serde(default)]
    pub commit_id: Option<String>,
    /// The author's association with the repository.
    #[serde(default)]
    pub author_association: Option<String>,
}

/// The `pull_request_review` event.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct PullRequestReviewEvent {
    /// `submitted`, `edited` or `dismissed`.
    pub action: String,
    /// The review.
    pub review: Review,
    /// The pull request.
    pub pull_request: PullRequest,
    /// The repository.
    pub repository: Repository,
    /// Who triggered the event.
    pub sender: User,
}

/// A comment on a line of a pull request's diff.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
pub struct ReviewComment {
    /// Its id.
    pub id: u64,
    /// The review it belongs to.
    #[serde(default)]
    pub pull_request_review_id: Option<u64>,
    /// The text.
    #[serde(default)]
    pub body: String,
    /// The file's path.
    #[serde(default)]
    pub path: String,
    /// The line it is on, when it is on the current diff.
    #[serde(default)]
    pub line: Option<u64>,
    /// `LEFT` or `RIGHT`.
    #[serde(default)]
    pub side: Option<String>,
    /// The commit it was made on.
    #[serde(default)]
    pub commit_id: String,
    /// Who wrote it.
    #[serde(default)]
    pub user: User,
    /// The author's association with the repository.
    #[serde(default)]
    pub author_association: Option<String>,
}

/// The `pull_request_review_comment` event.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct PullRequestReviewCommentEvent {
    /// `created`, `edited` or `deleted`.
    pub action: String,
    /// The comment.
    pub comment: ReviewComment,
    /// The pull request.
    pub pull_request: PullRequest,
    /// The repository.
    pub repository: Repository,
    /// Who triggered the event.
    pub sender: User,
    /// Present on `edited`: what changed.
    #[serde(default)]
    pub changes: Option<serde_json::Value>,
}

/// A review thread: a line comment and its replies.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
pub struct ReviewThread {
    /// Its GraphQL id (resolving it goes through GitHub's GraphQL API).
    #[serde(default)]
    pub node_id: String,
    /// Its comments, oldest first.
    #[serde(default, deserialize_with = "null_default")]
    pub comments: Vec<ReviewComment>,
}

/// The `pull_request_review_thread` event: a review thread was resolved or
/// unresolved.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct PullRequestReviewThreadEvent {
    /// `resolved` or `unresolved`.
    pub action: String,
    /// The thread.
    pub thread: ReviewThread,
    /// The pull request.
    pub pull_request: PullRequest,
    /// The repository.
    pub repository: Repository,
    /// Who triggered the event.
    pub sender: User,
}

/// The commit a merge group would merge.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
pub struct MergeGroupCommit {
    /// Its SHA.
    pub id: String,
    /// Its message.
    #[serde(default)]
    pub message: String,
}

/// A merge group of the merge queue: pull requests tested together.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
pub struct MergeGroup {
    /// The commit checks run on.
    pub head_sha: String,
    /// Its temporary ref, `refs/heads/gh-readonly-queue/…`.
    pub head_ref: String,
    /// The base branch's commit it starts from.
    #[serde(default)]
    pub base_sha: String,
    /// The base branch's full ref, for example `refs/heads/main`.
    #[serde(default)]
    pub base_ref: String,
    /// The head commit.
    #[serde(default)]
    pub head_commit: Option<MergeGroupCommit>,
}

/// The `merge_group` event: the merge queue asks for checks on a group, or a
/// group left the queue.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct MergeGroupEvent {
    /// `checks_requested` or `destroyed`.
    pub action: String,
    /// The group.
    pub merge_group: MergeGroup,
    /// On `destroyed`: `merged`, `invalidated` or `dequeued`.
    #[serde(default)]
    pub reason: Option<String>,
    /// The repository.
    pub repository: Repository,
    /// Who triggered the event.
    pub sender: User,
}
