//! JSON for what CI reports on commits: check runs (`models::checks::CheckRun`),
//! commit statuses (`models::Status`) and the combined status
//! (`models::CombinedStatus`).

use serde_json::{json, Value};

use super::{repo_html_url, repo_url, repository, user};
use crate::state::{CheckRun, CommitStatus, Repo, State};

/// The GitHub App that check runs are reported as coming from.
fn app(base: &str, state: &State) -> Value {
    let owner = state.user_or_placeholder("gantry[bot]");
    json!({
        "id": 1,
        "slug": "gantry",
        "node_id": "A_sim1",
        "owner": user(base, &owner),
        "name": "Gantry",
        "description": "Gantry, as seen by the GitHub simulator",
        "external_url": base,
        "html_url": format!("{base}/apps/gantry"),
        "created_at": "2024-01-01T00:00:00Z",
        "updated_at": "2024-01-01T00:00:00Z",
        "permissions": {"checks": "write", "statuses": "write"},
        "events": [],
    })
}

/// A check run, listing the open pull requests whose head is its commit.
pub(crate) fn check_run(base: &str, state: &State, repo: &Repo, run: &CheckRun) -> Value {
    let url = format!("{}/check-runs/{}", repo_url(base, repo), run.id);
    let minimal_repo = json!({"id": repo.id, "url": repo_url(base, repo), "name": repo.name});
    let pulls: Vec<Value> = repo
        .issues
        .values()
        .filter(|i| i.open)
        .filter_map(|i| i.pull.as_ref().map(|p| (i.number, p)))
        .filter(|(_, p)| p.head_sha.eq_ignore_ascii_case(&run.head_sha))
        .map(|(number, p)| {
            json!({
                "url": format!("{}/pulls/{number}", repo_url(base, repo)),
                "id": p.id,
                "number": number,
                "head": {"ref": p.head_ref, "sha": p.head_sha, "repo": minimal_repo},
                "base": {"ref": p.base_ref, "sha": p.base_sha, "repo": minimal_repo},
            })
        })
        .collect();
    json!({
        "id": run.id,
        "node_id": run.node_id,
        "head_sha": run.head_sha,
        "external_id": run.external_id.clone().unwrap_or_default(),
        "url": url,
        "html_url": format!("{}/runs/{}", repo_html_url(base, repo), run.id),
        "details_url": run.details_url,
        "status": run.status,
        "conclusion": run.conclusion,
        "started_at": run.started_at.map(|t| t.to_rfc3339()),
        "completed_at": run.completed_at.map(|t| t.to_rfc3339()),
        "output": {
            "title": run.output.title,
            "summary": run.output.summary,
            "text": run.output.text,
            "annotations_count": run.output.annotations_count,
            "annotations_url": format!("{url}/annotations"),
        },
        "name": run.name,
        "check_suite": {"id": run.id},
        "app": app(base, state),
        "pull_requests": pulls,
    })
}

/// A commit status.
pub(crate) fn status(base: &str, state: &State, repo: &Repo, s: &CommitStatus) -> Value {
    let creator = state.user_or_placeholder(&s.creator);
    json!({
        "url": format!("{}/statuses/{}", repo_url(base, repo), s.sha),
        "avatar_url": format!("https://avatars.githubusercontent.com/u/{}?v=4", creator.id),
        "id": s.id,
        "node_id": s.node_id,
        "state": s.state,
        "description": s.description,
        "target_url": s.target_url,
        "context": s.context,
        "created_at": s.created_at.to_rfc3339(),
        "updated_at": s.updated_at.to_rfc3339(),
        "creator": user(base, &creator),
    })
}

/// The combined status of commit `sha`: the latest status per context, and a state
/// that is `failure` if any is `error` or `failure`, `pending` if there are none or
/// any is pending, and `success` otherwise.
pub(crate) fn combined(base: &str, state: &State, repo: &Repo, sha: &str) -> Value {
    let mut latest: Vec<&CommitStatus> = Vec::new();
    for s in repo.statuses.iter().rev().filter(|s| s.sha == sha) {
        if !latest.iter().any(|l| l.context == s.context) {
            latest.push(s);
        }
    }
    let overall = if latest
        .iter()
        .any(|s| s.state == "error" || s.state == "failure")
    {
        "failure"
    } else if latest.is_empty() || latest.iter().any(|s| s.state == "pending") {
        "pending"
    } else {
        "success"
    };
    let commit_url = format!("{}/commits/{sha}", repo_url(base, repo));
    json!({
        "state": overall,
        "statuses": latest.iter().map(|s| status(base, state, repo, s)).collect::<Vec<_>>(),
        "sha": sha,
        "total_count": latest.len(),
        "repository": repository(base, state, repo),
        "commit_url": commit_url,
        "url": format!("{commit_url}/status"),
    })
}
