//! Typed webhook payloads for the events the bundled plugins use.
//!
//! Only the fields plugins need are modelled; unknown fields are ignored, so a new
//! GitHub field never breaks a plugin. Parse with [`crate::Event::parse`].
use serde::Deserialize;

/// A GitHub account (user, bot or organisation) as it appears in payloads.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct User {
    /// The account's login.
    pub login: String,
    /// `User`, `Bot` or `Organization`.
    #[serde(rename = "type", default)]
    pub kind: String,
}

/// A label on an issue or pull request.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Label {
    /// The label's name.
    pub name: String,
}

/// The repository an event belongs to.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Repository {
    /// `owner/name`.
    pub full_name: String,
    /// The repository's name.
    pub name: String,
    /// The repository's owner.
    pub owner: User,
    /// The default branch, such as `main`.
    #[serde(default)]
    pub default_branch: Option<String>,
}

/// An issue as it appears in `issues` and `issue_comment` payloads.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Issue {
    /// The issue's number in its repository.
    pub number: u64,
    /// The title.
    pub title: String,
    /// The body; GitHub sends `null` for an empty body.
    #[serde(default)]
    pub body: Option<String>,
    /// Who opened it.
    pub user: User,
    /// Its labels.
    #[serde(default)]
    pub labels: Vec<Label>,
    /// `open` or `closed`.
    pub state: String,
}

/// The `issues` event.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct IssuesEvent {
    /// What happened: `opened`, `labeled`, `closed`, ...
    pub action: String,
    /// The issue.
    pub issue: Issue,
    /// The repository.
    pub repository: Repository,
    /// Who triggered the event.
    pub sender: User,
}

/// A branch tip in a pull request.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Branch {
    /// The branch name.
    #[serde(rename = "ref")]
    pub name: String,
    /// The commit at the tip.
    pub sha: String,
}

/// A pull request as it appears in `pull_request` payloads.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct PullRequest {
    /// The pull request's number (shared with issues).
    pub number: u64,
    /// The title.
    pub title: String,
    /// The body; GitHub sends `null` for an empty body.
    #[serde(default)]
    pub body: Option<String>,
    /// Who opened it.
    pub user: User,
    /// The head branch (what is proposed).
    pub head: Branch,
    /// The base branch (where it would merge).
    pub base: Branch,
    /// `open` or `closed`.
    pub state: String,
    /// The author's association with the repository (`OWNER`, `MEMBER`,
    /// `CONTRIBUTOR`, `FIRST_TIME_CONTRIBUTOR`, `NONE`, ...).
    #[serde(default)]
    pub author_association: Option<String>,
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
    /// The repository.
    pub repository: Repository,
    /// Who triggered the event.
    pub sender: User,
}

/// A comment on an issue or pull request.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Comment {
    /// The comment's id.
    pub id: u64,
    /// The text.
    #[serde(default)]
    pub body: Option<String>,
    /// Who wrote it.
    pub user: User,
    /// The author's association with the repository.
    #[serde(default)]
    pub author_association: Option<String>,
}

/// The `issue_comment` event (comments on issues and pull requests alike; the issue
/// has a `pull_request` key when it is one).
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

#[cfg(test)]
mod tests {
    use super::*;

    fn corpus(path: &str) -> String {
        let file = format!(
            "{}/../tests/fixtures/webhooks/{path}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{file}: {e}"))
    }

    #[test]
    fn typed_events_parse_the_real_corpus_payloads() {
        let issues: IssuesEvent =
            serde_json::from_str(&corpus("issues/opened.payload.json")).unwrap();
        assert_eq!((issues.action.as_str(), issues.issue.number), ("opened", 1));
        let pr: PullRequestEvent =
            serde_json::from_str(&corpus("pull_request/opened.payload.json")).unwrap();
        assert_eq!(pr.number, pr.pull_request.number);
        let comment: IssueCommentEvent =
            serde_json::from_str(&corpus("issue_comment/created.payload.json")).unwrap();
        assert_eq!(comment.action, "created");
        assert!(!comment.comment.user.login.is_empty());
        let edited: IssueCommentEvent =
            serde_json::from_str(&corpus("issue_comment/edited.payload.json")).unwrap();
        assert!(edited.changes.is_some());
    }
}
