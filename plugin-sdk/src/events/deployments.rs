//! Events about deployments: `deployment`, `deployment_status` and
//! `deployment_review` (a protected environment's reviewers were asked).
use serde::Deserialize;

use super::actions::{CheckRun, Workflow, WorkflowRun};
use super::{null_default, Repository, User};

/// A deployment.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
pub struct Deployment {
    /// Its id.
    pub id: u64,
    /// The commit deployed.
    pub sha: String,
    /// The branch, tag or commit named.
    #[serde(rename = "ref")]
    pub git_ref: String,
    /// `deploy`, or a task of the deployer's.
    #[serde(default)]
    pub task: String,
    /// The environment, for example `production`.
    #[serde(default)]
    pub environment: String,
    /// Its description.
    #[serde(default)]
    pub description: Option<String>,
    /// Who created it.
    #[serde(default)]
    pub creator: Option<User>,
    /// Extra data the creator attached.
    #[serde(default)]
    pub payload: serde_json::Value,
    /// Whether the environment is a production one.
    #[serde(default)]
    pub production_environment: Option<bool>,
    /// Whether the environment goes away (a review app).
    #[serde(default)]
    pub transient_environment: Option<bool>,
}

/// The `deployment` event: a deployment was created.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct DeploymentEvent {
    /// `created`.
    pub action: String,
    /// The deployment.
    pub deployment: Deployment,
    /// The workflow that created it, for one created by GitHub Actions.
    #[serde(default)]
    pub workflow: Option<Workflow>,
    /// The workflow run that created it, for one created by GitHub Actions.
    #[serde(default)]
    pub workflow_run: Option<WorkflowRun>,
    /// The repository.
    pub repository: Repository,
    /// Who did it.
    pub sender: User,
}

/// A deployment's status.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
pub struct DeploymentStatus {
    /// Its id.
    pub id: u64,
    /// `pending`, `queued`, `in_progress`, `success`, `failure`, `error` or
    /// `inactive`.
    pub state: String,
    /// Its description.
    #[serde(default)]
    pub description: Option<String>,
    /// The environment.
    #[serde(default)]
    pub environment: String,
    /// A link to the deployment's output.
    #[serde(default)]
    pub target_url: Option<String>,
    /// A link to the deployment's log.
    #[serde(default)]
    pub log_url: Option<String>,
    /// The deployed environment's address.
    #[serde(default)]
    pub environment_url: Option<String>,
    /// Who set it.
    #[serde(default)]
    pub creator: Option<User>,
}

/// The `deployment_status` event: a deployment's status changed.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct DeploymentStatusEvent {
    /// `created`.
    pub action: String,
    /// The new status.
    pub deployment_status: DeploymentStatus,
    /// The deployment.
    pub deployment: Deployment,
    /// The check run of the job that deploys, for GitHub Actions.
    #[serde(default)]
    pub check_run: Option<CheckRun>,
    /// The workflow run that deploys, for GitHub Actions.
    #[serde(default)]
    pub workflow_run: Option<WorkflowRun>,
    /// The repository.
    pub repository: Repository,
    /// Who did it.
    pub sender: User,
}

/// A person or team asked to review a deployment.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
pub struct DeploymentReviewer {
    /// `User` or `Team`.
    #[serde(rename = "type", default)]
    pub kind: String,
    /// The reviewer: a user's `login`, or a team's `name` and `slug`.
    #[serde(default)]
    pub reviewer: ReviewerAccount,
}

/// A user or team asked to review.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
pub struct ReviewerAccount {
    /// A user's login.
    #[serde(default)]
    pub login: Option<String>,
    /// A team's name.
    #[serde(default)]
    pub name: Option<String>,
    /// A team's slug.
    #[serde(default)]
    pub slug: Option<String>,
}

/// The job waiting for a deployment's review.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
pub struct WaitingJob {
    /// Its id.
    pub id: u64,
    /// Its name.
    #[serde(default)]
    pub name: String,
    /// The environment it deploys to.
    #[serde(default)]
    pub environment: String,
    /// Its status.
    #[serde(default)]
    pub status: String,
}

/// The `deployment_review` event: a deployment to a protected environment was
/// sent for review, approved or rejected.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct DeploymentReviewEvent {
    /// `requested`, `approved` or `rejected`.
    pub action: String,
    /// The environment.
    #[serde(default)]
    pub environment: Option<String>,
    /// Who is asked to review, on `requested`.
    #[serde(default, deserialize_with = "null_default")]
    pub reviewers: Vec<DeploymentReviewer>,
    /// Who asked, on `requested`.
    #[serde(default)]
    pub requestor: Option<User>,
    /// The waiting job, on `requested`.
    #[serde(default)]
    pub workflow_job_run: Option<WaitingJob>,
    /// The workflow run.
    #[serde(default)]
    pub workflow_run: Option<WorkflowRun>,
    /// The repository.
    pub repository: Repository,
    /// Who did it.
    pub sender: User,
}
