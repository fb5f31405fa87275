//! What CI leaves on commits: check runs, commit statuses, and Actions workflows with
//! their runs, jobs and artifacts.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A check run on a commit.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct CheckRun {
    pub id: u64,
    pub node_id: String,
    pub name: String,
    pub head_sha: String,
    pub external_id: Option<String>,
    pub details_url: Option<String>,
    /// `queued`, `in_progress`, `completed`, `waiting`, `requested` or `pending`.
    pub status: String,
    pub conclusion: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub output: CheckOutput,
}

/// The `output` of a check run.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct CheckOutput {
    pub title: Option<String>,
    pub summary: Option<String>,
    pub text: Option<String>,
    pub annotations_count: u64,
}

/// A commit status.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct CommitStatus {
    pub id: u64,
    pub node_id: String,
    pub sha: String,
    /// `error`, `failure`, `pending` or `success`.
    pub state: String,
    pub target_url: Option<String>,
    pub description: Option<String>,
    pub context: String,
    /// Login of the creator.
    pub creator: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An Actions workflow file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Workflow {
    pub id: u64,
    pub node_id: String,
    pub name: String,
    /// E.g. `.github/workflows/ci.yml`.
    pub path: String,
    /// Whether the workflow has a `workflow_dispatch` trigger.
    pub dispatchable: bool,
    /// The inputs its `workflow_dispatch` trigger declares: a dispatch giving any
    /// other is refused, as on GitHub.
    #[serde(default)]
    pub inputs: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Workflow {
    /// The file name of the workflow (`ci.yml`), which the API accepts in place of its id.
    pub fn file_name(&self) -> &str {
        self.path.rsplit('/').next().unwrap_or(&self.path)
    }

    /// Whether `key` (an id or a file name, as in the API's paths) names this workflow.
    pub fn is_named(&self, key: &str) -> bool {
        key.parse::<u64>().is_ok_and(|id| id == self.id) || key == self.file_name()
    }
}

/// One run of a workflow.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct WorkflowRun {
    pub id: u64,
    pub node_id: String,
    pub workflow_id: u64,
    /// Counts up per workflow, from 1.
    pub run_number: u64,
    pub run_attempt: u64,
    pub event: String,
    /// `queued`, `in_progress` or `completed`.
    pub status: String,
    pub conclusion: Option<String>,
    /// The branch (or tag) the run is for.
    pub head_branch: String,
    pub head_sha: String,
    /// Login of whoever triggered the run.
    pub actor: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub run_started_at: DateTime<Utc>,
    /// Jobs of the latest attempt.
    pub jobs: Vec<Job>,
    pub artifacts: Vec<Artifact>,
}

impl WorkflowRun {
    /// Whether the run is finished, so it may be re-run.
    pub fn is_completed(&self) -> bool {
        self.status == "completed"
    }
}

/// A job of a workflow run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Job {
    pub id: u64,
    pub node_id: String,
    pub name: String,
    pub status: String,
    pub conclusion: Option<String>,
    pub run_attempt: u64,
    pub started_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
    /// Its plain-text log as seeded (`JobOutcome::log`); a short generated one is
    /// served when `None`.
    #[serde(default)]
    pub log: Option<String>,
}

impl Job {
    /// Whether `rerun-failed-jobs` runs this job again.
    pub fn failed(&self) -> bool {
        matches!(
            self.conclusion.as_deref(),
            Some("failure" | "cancelled" | "timed_out" | "action_required")
        )
    }

    /// Its log as the log download serves it: the seeded one, or lines in the
    /// shape GitHub writes (a byte-order mark, then a timestamp per line); `None`
    /// while it is queued, when GitHub has none yet.
    pub fn log_text(&self) -> Option<String> {
        if self.status == "queued" {
            return None;
        }
        if let Some(log) = &self.log {
            return Some(log.clone());
        }
        let start = log_time(self.started_at);
        let mut text = format!("\u{feff}{start} Job {} started\n", self.name);
        if let (Some(end), Some(conclusion)) = (self.completed_at, &self.conclusion) {
            let end = log_time(end);
            text.push_str(&format!("{end} Job {} finished: {conclusion}\n", self.name));
        }
        Some(text)
    }
}

/// A time as Actions logs write it: `2024-05-01T12:00:00.1234567Z`.
fn log_time(at: DateTime<Utc>) -> String {
    format!(
        "{}.{:07}Z",
        at.format("%Y-%m-%dT%H:%M:%S"),
        at.timestamp_subsec_nanos() / 100
    )
}

/// An artifact a workflow run uploaded.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Artifact {
    pub id: u64,
    pub node_id: String,
    pub name: String,
    pub size_in_bytes: u64,
    pub created_at: DateTime<Utc>,
    /// Past its retention: listed with `expired: true`, its download answers 410.
    #[serde(default)]
    pub expired: bool,
}
