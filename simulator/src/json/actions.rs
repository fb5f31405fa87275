//! JSON for GitHub Actions: workflows (`models::workflows::WorkFlow`), workflow runs
//! (`models::workflows::Run`), jobs (`models::workflows::Job`) and artifacts
//! (`models::workflows::WorkflowListArtifact`).

use chrono::Duration;
use serde_json::{json, Value};

use super::{git::path_url, login, repo_html_url, repo_url, repository};
use crate::state::{Artifact, Job, Repo, State, Workflow, WorkflowRun};

/// How long GitHub keeps artifacts by default.
const ARTIFACT_RETENTION_DAYS: i64 = 90;

/// A workflow.
pub(crate) fn workflow(base: &str, repo: &Repo, w: &Workflow) -> Value {
    let html = repo_html_url(base, repo);
    json!({
        "id": w.id,
        "node_id": w.node_id,
        "name": w.name,
        "path": w.path,
        "state": "active",
        "created_at": w.created_at.to_rfc3339(),
        "updated_at": w.updated_at.to_rfc3339(),
        "url": format!("{}/actions/workflows/{}", repo_url(base, repo), w.id),
        "html_url": format!("{html}/blob/{}/{}", path_url(&repo.default_branch), path_url(&w.path)),
        "badge_url": format!("{html}/workflows/{}/badge.svg", path_url(w.file_name())),
    })
}

/// What a run is titled: the pull request's title for `pull_request` runs, the head
/// commit's first line for others, or the workflow's name.
fn display_title(repo: &Repo, run: &WorkflowRun, name: &str) -> String {
    if run.event.starts_with("pull_request") {
        let pull = repo.issues.values().find(|i| {
            i.pull
                .as_ref()
                .is_some_and(|p| p.head_sha.eq_ignore_ascii_case(&run.head_sha))
        });
        if let Some(issue) = pull {
            return issue.title.clone();
        }
    }
    let message = repo
        .git
        .commits
        .get(&run.head_sha)
        .and_then(|c| c.message.lines().next())
        .filter(|l| !l.is_empty() && run.event != "workflow_dispatch");
    message.unwrap_or(name).to_owned()
}

/// A workflow run with its head commit and repository.
pub(crate) fn run(base: &str, state: &State, repo: &Repo, r: &WorkflowRun) -> Value {
    let api = repo_url(base, repo);
    let url = format!("{api}/actions/runs/{}", r.id);
    let workflow = repo.workflows.iter().find(|w| w.id == r.workflow_id);
    let name = workflow.map_or("workflow", |w| w.name.as_str());
    let commit = repo.git.commits.get(&r.head_sha);
    let signature = |s: Option<&crate::state::Signature>| match s {
        Some(s) => json!({"name": s.name, "email": s.email}),
        None => json!({"name": "GitHub", "email": "noreply@github.com"}),
    };
    let actor = login(base, state, &r.actor);
    let repo_json = repository(base, state, repo);
    json!({
        "id": r.id,
        "name": name,
        "node_id": r.node_id,
        "head_branch": r.head_branch,
        "head_sha": r.head_sha,
        "path": workflow.map_or("", |w| w.path.as_str()),
        "display_title": display_title(repo, r, name),
        "run_number": r.run_number,
        "event": r.event,
        "status": r.status,
        "conclusion": r.conclusion,
        "workflow_id": r.workflow_id,
        "check_suite_id": r.id,
        "check_suite_node_id": format!("CS_sim{}", r.id),
        "url": url,
        "html_url": format!("{}/actions/runs/{}", repo_html_url(base, repo), r.id),
        "pull_requests": [],
        "created_at": r.created_at.to_rfc3339(),
        "updated_at": r.updated_at.to_rfc3339(),
        "actor": actor,
        "triggering_actor": actor,
        "run_attempt": r.run_attempt,
        "referenced_workflows": [],
        "run_started_at": r.run_started_at.to_rfc3339(),
        "jobs_url": format!("{url}/jobs"),
        "logs_url": format!("{url}/logs"),
        "check_suite_url": format!("{api}/check-suites/{}", r.id),
        "artifacts_url": format!("{url}/artifacts"),
        "cancel_url": format!("{url}/cancel"),
        "rerun_url": format!("{url}/rerun"),
        "previous_attempt_url": (r.run_attempt > 1)
            .then(|| format!("{url}/attempts/{}", r.run_attempt - 1)),
        "workflow_url": format!("{api}/actions/workflows/{}", r.workflow_id),
        "head_commit": {
            "id": r.head_sha,
            "tree_id": commit.map_or("", |c| c.tree.as_str()),
            "message": commit.map_or("", |c| c.message.as_str()),
            "timestamp": commit.map_or(r.created_at, |c| c.committer.date).to_rfc3339(),
            "author": signature(commit.map(|c| &c.author)),
            "committer": signature(commit.map(|c| &c.committer)),
        },
        "repository": repo_json,
        "head_repository": repo_json,
    })
}

/// A job of run `r`.
pub(crate) fn job(base: &str, repo: &Repo, r: &WorkflowRun, j: &Job) -> Value {
    let api = repo_url(base, repo);
    let name = repo
        .workflows
        .iter()
        .find(|w| w.id == r.workflow_id)
        .map_or("workflow", |w| w.name.as_str());
    json!({
        "id": j.id,
        "run_id": r.id,
        "workflow_name": name,
        "head_branch": r.head_branch,
        "run_url": format!("{api}/actions/runs/{}", r.id),
        "run_attempt": j.run_attempt,
        "node_id": j.node_id,
        "head_sha": r.head_sha,
        "url": format!("{api}/actions/jobs/{}", j.id),
        "html_url": format!("{}/actions/runs/{}/job/{}", repo_html_url(base, repo), r.id, j.id),
        "status": j.status,
        "conclusion": j.conclusion,
        "created_at": j.started_at.to_rfc3339(),
        "started_at": j.started_at.to_rfc3339(),
        "completed_at": j.completed_at.map(|t| t.to_rfc3339()),
        "name": j.name,
        "steps": [],
        "check_run_url": format!("{api}/check-runs/{}", j.id),
        "labels": ["ubuntu-latest"],
        "runner_id": null,
        "runner_name": null,
        "runner_group_id": null,
        "runner_group_name": null,
    })
}

/// An artifact of run `r`.
pub(crate) fn artifact(base: &str, repo: &Repo, r: &WorkflowRun, a: &Artifact) -> Value {
    let url = format!("{}/actions/artifacts/{}", repo_url(base, repo), a.id);
    json!({
        "id": a.id,
        "node_id": a.node_id,
        "name": a.name,
        "size_in_bytes": a.size_in_bytes,
        "url": url,
        "archive_download_url": format!("{url}/zip"),
        "expired": a.expired,
        "created_at": a.created_at.to_rfc3339(),
        "updated_at": a.created_at.to_rfc3339(),
        "expires_at": (a.created_at + Duration::days(ARTIFACT_RETENTION_DAYS)).to_rfc3339(),
        "workflow_run": {
            "id": r.id,
            "repository_id": repo.id,
            "head_repository_id": repo.id,
            "head_branch": r.head_branch,
            "head_sha": r.head_sha,
        },
    })
}
