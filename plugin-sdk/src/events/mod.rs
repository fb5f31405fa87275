//! Typed webhook payloads behind one enum: [`crate::Event::typed`] gives a
//! [`TypedEvent`] for every event the SDK models, and [`TypedEvent::Other`] with the
//! event's name for the rest (read those with [`crate::Event::parse`]).
//!
//! Only the fields plugins need are modelled, and a field GitHub may leave out is an
//! `Option` or has a default, so a new GitHub field never breaks a plugin. The shared
//! records (accounts, labels, repositories) are here; each family of events has its
//! own file. `tests/typed_events.rs` parses every payload of the fixture corpus.
use serde::Deserialize;

mod actions;
mod issues;
mod pulls;
mod refs;

pub use actions::{
    CheckRun, CheckRunEvent, CheckSuite, CheckSuiteEvent, PullRequestRef, StatusEvent, Workflow,
    WorkflowJob, WorkflowJobEvent, WorkflowRun, WorkflowRunEvent,
};
pub use issues::{Comment, Issue, IssueCommentEvent, IssuesEvent};
pub use pulls::{
    Branch, PullRequest, PullRequestEvent, PullRequestReviewCommentEvent, PullRequestReviewEvent,
    Review, ReviewComment,
};
pub use refs::{Commit, CreateEvent, DeleteEvent, PushEvent, Pusher, Release, ReleaseEvent};

/// A GitHub account (user, bot or organisation) as it appears in payloads.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
pub struct User {
    /// The account's login.
    pub login: String,
    /// `User`, `Bot` or `Organization`.
    #[serde(rename = "type", default)]
    pub kind: String,
}

impl User {
    /// Whether the account is a bot (by its type or its `[bot]` login).
    #[must_use]
    pub fn is_bot(&self) -> bool {
        self.kind == "Bot" || self.login.ends_with("[bot]")
    }
}

/// A label on an issue or pull request.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
pub struct Label {
    /// The label's name.
    pub name: String,
}

/// A milestone, as payloads show it.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
pub struct Milestone {
    /// Its number.
    pub number: u64,
    /// Its title.
    #[serde(default)]
    pub title: String,
}

/// The repository an event belongs to.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
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
    /// Its page on GitHub.
    #[serde(default)]
    pub html_url: String,
    /// Whether it is private.
    #[serde(default)]
    pub private: bool,
}

/// An event the SDK models, parsed from its payload, or the name of one it does not.
#[derive(Debug, Clone, PartialEq)]
#[allow(clippy::large_enum_variant)]
pub enum TypedEvent {
    /// `issues`.
    Issues(IssuesEvent),
    /// `issue_comment`.
    IssueComment(IssueCommentEvent),
    /// `pull_request`.
    PullRequest(PullRequestEvent),
    /// `pull_request_review`.
    PullRequestReview(PullRequestReviewEvent),
    /// `pull_request_review_comment`.
    PullRequestReviewComment(PullRequestReviewCommentEvent),
    /// `push`.
    Push(PushEvent),
    /// `create` (a branch or tag).
    Create(CreateEvent),
    /// `delete` (a branch or tag).
    Delete(DeleteEvent),
    /// `release`.
    Release(ReleaseEvent),
    /// `check_run`.
    CheckRun(CheckRunEvent),
    /// `check_suite`.
    CheckSuite(CheckSuiteEvent),
    /// `workflow_run`.
    WorkflowRun(WorkflowRunEvent),
    /// `workflow_job`.
    WorkflowJob(WorkflowJobEvent),
    /// `status` (a commit status).
    Status(StatusEvent),
    /// Any other event, by its name (`X-GitHub-Event`); read it with
    /// [`crate::Event::parse`].
    Other(String),
}

impl TypedEvent {
    /// The event names the SDK models, as `X-GitHub-Event` names them.
    pub const TYPED: [&'static str; 14] = [
        "issues",
        "issue_comment",
        "pull_request",
        "pull_request_review",
        "pull_request_review_comment",
        "push",
        "create",
        "delete",
        "release",
        "check_run",
        "check_suite",
        "workflow_run",
        "workflow_job",
        "status",
    ];

    /// Parses `payload` as the event `name`.
    ///
    /// # Errors
    /// When the payload of a modelled event does not have its shape.
    pub fn parse(name: &str, payload: &str) -> Result<Self, serde_json::Error> {
        let p = payload;
        Ok(match name {
            "issues" => Self::Issues(serde_json::from_str(p)?),
            "issue_comment" => Self::IssueComment(serde_json::from_str(p)?),
            "pull_request" => Self::PullRequest(serde_json::from_str(p)?),
            "pull_request_review" => Self::PullRequestReview(serde_json::from_str(p)?),
            "pull_request_review_comment" => {
                Self::PullRequestReviewComment(serde_json::from_str(p)?)
            }
            "push" => Self::Push(serde_json::from_str(p)?),
            "create" => Self::Create(serde_json::from_str(p)?),
            "delete" => Self::Delete(serde_json::from_str(p)?),
            "release" => Self::Release(serde_json::from_str(p)?),
            "check_run" => Self::CheckRun(serde_json::from_str(p)?),
            "check_suite" => Self::CheckSuite(serde_json::from_str(p)?),
            "workflow_run" => Self::WorkflowRun(serde_json::from_str(p)?),
            "workflow_job" => Self::WorkflowJob(serde_json::from_str(p)?),
            "status" => Self::Status(serde_json::from_str(p)?),
            other => Self::Other(other.to_owned()),
        })
    }
}

/// `null` read as the type's default (GitHub sends `null` for an empty list or text
/// in places).
pub(crate) fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}
