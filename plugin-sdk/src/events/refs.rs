//! Events about branches, tags, commits and releases: `push`, `create`, `delete`,
//! `commit_comment` and `release`.
use serde::Deserialize;

use super::{null_default, Repository, User};

/// Who pushed, as `push` payloads name them.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
pub struct Pusher {
    /// Their name (a login).
    pub name: String,
    /// Their e-mail address, when shown.
    #[serde(default)]
    pub email: Option<String>,
}

/// A commit in a `push` payload.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
pub struct Commit {
    /// Its SHA.
    pub id: String,
    /// Its message.
    #[serde(default)]
    pub message: String,
    /// Paths added.
    #[serde(default, deserialize_with = "null_default")]
    pub added: Vec<String>,
    /// Paths removed.
    #[serde(default, deserialize_with = "null_default")]
    pub removed: Vec<String>,
    /// Paths modified.
    #[serde(default, deserialize_with = "null_default")]
    pub modified: Vec<String>,
}

/// The `push` event.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct PushEvent {
    /// The full ref pushed, for example `refs/heads/main`.
    #[serde(rename = "ref")]
    pub git_ref: String,
    /// The commit before.
    pub before: String,
    /// The commit after.
    pub after: String,
    /// Whether the ref was created.
    #[serde(default)]
    pub created: bool,
    /// Whether the ref was deleted.
    #[serde(default)]
    pub deleted: bool,
    /// Whether it was a force push.
    #[serde(default)]
    pub forced: bool,
    /// The commits pushed (at most 20 in a payload).
    #[serde(default, deserialize_with = "null_default")]
    pub commits: Vec<Commit>,
    /// Who pushed.
    #[serde(default)]
    pub pusher: Option<Pusher>,
    /// The repository.
    pub repository: Repository,
    /// Who triggered the event.
    #[serde(default)]
    pub sender: Option<User>,
}

impl PushEvent {
    /// The branch pushed, when the ref is a branch (`refs/heads/...`).
    #[must_use]
    pub fn branch(&self) -> Option<&str> {
        self.git_ref.strip_prefix("refs/heads/")
    }

    /// The tag pushed, when the ref is a tag (`refs/tags/...`).
    #[must_use]
    pub fn tag(&self) -> Option<&str> {
        self.git_ref.strip_prefix("refs/tags/")
    }
}

/// The `create` event: a branch or tag was created.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct CreateEvent {
    /// The branch's or tag's name.
    #[serde(rename = "ref")]
    pub git_ref: String,
    /// `branch` or `tag`.
    pub ref_type: String,
    /// The repository.
    pub repository: Repository,
    /// Who triggered the event.
    pub sender: User,
}

/// The `delete` event: a branch or tag was deleted.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct DeleteEvent {
    /// The branch's or tag's name.
    #[serde(rename = "ref")]
    pub git_ref: String,
    /// `branch` or `tag`.
    pub ref_type: String,
    /// The repository.
    pub repository: Repository,
    /// Who triggered the event.
    pub sender: User,
}

/// A release, as `release` payloads show it.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
pub struct Release {
    /// Its id.
    pub id: u64,
    /// Its tag.
    pub tag_name: String,
    /// Its title.
    #[serde(default)]
    pub name: Option<String>,
    /// Its notes.
    #[serde(default)]
    pub body: Option<String>,
    /// Whether it is a draft.
    #[serde(default)]
    pub draft: bool,
    /// Whether it is a pre-release.
    #[serde(default)]
    pub prerelease: bool,
    /// Its page on GitHub.
    #[serde(default)]
    pub html_url: String,
}

/// The `release` event.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct ReleaseEvent {
    /// `published`, `created`, `edited`, `released`, `prereleased`, `deleted`, ...
    pub action: String,
    /// The release.
    pub release: Release,
    /// The repository.
    pub repository: Repository,
    /// Who triggered the event.
    pub sender: User,
}

/// A comment on a commit (on the whole commit, or on one of its lines).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
pub struct CommitComment {
    /// Its id.
    pub id: u64,
    /// Its text.
    #[serde(default)]
    pub body: String,
    /// Who wrote it.
    #[serde(default)]
    pub user: User,
    /// The commit.
    pub commit_id: String,
    /// The file, for a comment on a line.
    #[serde(default)]
    pub path: Option<String>,
    /// The line, for a comment on a line.
    #[serde(default)]
    pub line: Option<u64>,
    /// Its page on GitHub.
    #[serde(default)]
    pub html_url: String,
    /// The author's association with the repository.
    #[serde(default)]
    pub author_association: Option<String>,
}

/// The `commit_comment` event.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct CommitCommentEvent {
    /// `created`.
    pub action: String,
    /// The comment.
    pub comment: CommitComment,
    /// The repository.
    pub repository: Repository,
    /// Who triggered the event.
    pub sender: User,
}
