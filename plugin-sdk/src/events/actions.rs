//! Events about checks and CI: `check_run`, `check_suite`, `workflow_run`,
//! `workflow_job`, `workflow_dispatch` and `status` (a commit status).
use serde::Deserialize;

use super::{null_default, Repository, User};

/// A pull request as check and workflow payloads list it: number and branches.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
pub struct PullRequestRef {
    /// Its number.
    pub number: u64,
}

/// A check run.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
pub struct CheckRun {
    /// Its id.
    pub id: u64,
    /// Its name.
    #[serde(default)]
    pub name: String,
    /// The commit it reports on.
    pub head_sha: String,
    /// `queued`, `in_progress` or `completed`.
    #[serde(default)]
    pub status: String,
    /// How it ended, when it did.
    #[serde(default)]
    pub conclusion: Option<String>,
    /// Its page on GitHub.
    #[serde(default)]
    pub html_url: Option<String>,
    /// The pull requests it is about.
    #[serde(default, deserialize_with = "null_default")]
    pub pull_requests: Vec<PullRequestRef>,
}

/// The `check_run` event.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct CheckRunEvent {
    /// `created`, `completed`, `rerequested` or `requested_action`.
    pub action: String,
    /// The check run.
    pub check_run: CheckRun,
    /// The repository.
    pub repository: Repository,
    /// Who triggered the event.
    pub sender: User,
}

/// A check suite.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
pub struct CheckSuite {
    /// Its id.
    pub id: u64,
    /// The branch, when there is one.
    #[serde(default)]
    pub head_branch: Option<String>,
    /// The commit.
    pub head_sha: String,
    /// `queued`, `in_progress` or `completed`.
    #[serde(default)]
    pub status: Option<String>,
    /// How it ended, when it did.
    #[serde(default)]
    pub conclusion: Option<String>,
    /// The pull requests it is about.
    #[serde(default, deserialize_with = "null_default")]
    pub pull_requests: Vec<PullRequestRef>,
}

/// The `check_suite` event.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct CheckSuiteEvent {
    /// `completed`, `requested` or `rerequested`.
    pub action: String,
    /// The check suite.
    pub check_suite: CheckSuite,
    /// The repository.
    pub repository: Repository,
    /// Who triggered the event.
    pub sender: User,
}

/// A run of a GitHub Actions workflow.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
pub struct WorkflowRun {
    /// Its id.
    pub id: u64,
    /// The workflow's name (may be empty; see the event's `workflow`).
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
    /// The workflow file's path.
    #[serde(default)]
    pub path: Option<String>,
    /// The workflow's id.
    #[serde(default)]
    pub workflow_id: Option<u64>,
    /// What started it: `push`, `pull_request`, `workflow_dispatch`, ...
    #[serde(default)]
    pub event: Option<String>,
    /// `queued`, `in_progress`, `completed`, ...
    #[serde(default)]
    pub status: String,
    /// How it ended, when it did.
    #[serde(default)]
    pub conclusion: Option<String>,
    /// The commit it ran on.
    pub head_sha: String,
    /// The branch it ran on.
    #[serde(default, deserialize_with = "null_default")]
    pub head_branch: String,
    /// Its page on GitHub.
    #[serde(default)]
    pub html_url: String,
    /// The pull requests it is about.
    #[serde(default, deserialize_with = "null_default")]
    pub pull_requests: Vec<PullRequestRef>,
}

/// The workflow of a `workflow_run` event.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
pub struct Workflow {
    /// Its id.
    pub id: u64,
    /// Its name.
    #[serde(default)]
    pub name: String,
    /// Its file's path.
    #[serde(default)]
    pub path: String,
}

/// The `workflow_run` event.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct WorkflowRunEvent {
    /// `requested`, `in_progress` or `completed`.
    pub action: String,
    /// The run.
    pub workflow_run: WorkflowRun,
    /// The workflow.
    #[serde(default)]
    pub workflow: Option<Workflow>,
    /// The repository.
    pub repository: Repository,
    /// Who triggered the event.
    pub sender: User,
}

impl WorkflowRunEvent {
    /// The workflow's name: the run's, else the workflow's.
    #[must_use]
    pub fn workflow_name(&self) -> &str {
        match (&self.workflow_run.name, &self.workflow) {
            (name, Some(workflow)) if name.is_empty() => &workflow.name,
            (name, _) => name,
        }
    }
}

/// A job of a workflow run.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
pub struct WorkflowJob {
    /// Its id.
    pub id: u64,
    /// The run it belongs to.
    pub run_id: u64,
    /// Its name.
    #[serde(default)]
    pub name: String,
    /// The commit.
    pub head_sha: String,
    /// `queued`, `in_progress`, `completed`, ...
    #[serde(default)]
    pub status: String,
    /// How it ended, when it did.
    #[serde(default)]
    pub conclusion: Option<String>,
    /// The runner labels it asked for.
    #[serde(default, deserialize_with = "null_default")]
    pub labels: Vec<String>,
}

/// The `workflow_job` event.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct WorkflowJobEvent {
    /// `queued`, `in_progress`, `completed` or `waiting`.
    pub action: String,
    /// The job.
    pub workflow_job: WorkflowJob,
    /// The repository.
    pub repository: Repository,
    /// Who triggered the event.
    pub sender: User,
}

/// The `status` event: a commit status changed.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct StatusEvent {
    /// The commit.
    pub sha: String,
    /// The status's context, for example `ci/build`.
    pub context: String,
    /// `pending`, `success`, `failure` or `error`.
    pub state: String,
    /// Its description.
    #[serde(default)]
    pub description: Option<String>,
    /// Its link.
    #[serde(default)]
    pub target_url: Option<String>,
    /// The repository.
    pub repository: Repository,
    /// Who triggered the event.
    pub sender: User,
}

/// The `workflow_dispatch` event: someone started a workflow by hand (or through
/// the API).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct WorkflowDispatchEvent {
    /// The branch or tag, as a full ref (`refs/heads/main`).
    #[serde(rename = "ref")]
    pub git_ref: String,
    /// The workflow file, for example `.github/workflows/deploy.yml`.
    pub workflow: String,
    /// The inputs given, by name (`null` when none).
    #[serde(default)]
    pub inputs: Option<serde_json::Map<String, serde_json::Value>>,
    /// The repository.
    pub repository: Repository,
    /// Who started it.
    pub sender: User,
}
