//! The `gantry/config` check run: when a pull request is opened, synchronized or
//! reopened and changes `.github/gantry.yml`, the file at its head commit is checked
//! as if it were on the default branch (it never takes effect from there), and a
//! check run on the head commit says `success` with what would change per plugin,
//! or `failure` with every problem as an annotation on its line. Gantry's own write,
//! audited as `repo_config.checked`; its `external_id` is the delivery's id, so a
//! retried job that already posted it does not post it again.
use serde_json::{json, Value};

use super::evaluate::{diff, Change};
use super::file::{self, Problem};
use super::{check, github, Checked};
use crate::db::audit::{self, AuditEntry};
use crate::domain::{Actor, AuditAction, Project, RepoRef};
use crate::github::client::url_escape;
use crate::github::{GitHubClient, GitHubError};
use crate::services::installed::active::ActivePlugins;
use crate::services::installed::config::merge_patch;
use crate::services::AppState;

/// The check run's name.
pub const NAME: &str = "gantry/config";

/// GitHub takes at most 50 annotations per request.
const MAX_ANNOTATIONS: usize = 50;

/// Pages of changed files read at most (100 each; GitHub lists up to 3000).
const MAX_FILE_PAGES: u32 = 30;

/// The pull request actions that check the file.
const ACTIONS: [&str; 3] = ["opened", "synchronize", "reopened"];

/// Checks the pull request of a `pull_request` delivery when it changes the file,
/// and reports it as a check run. Returns the conclusion posted, if any.
///
/// # Errors
/// When the database fails. GitHub failing is logged and audited; the job goes on.
#[allow(clippy::too_many_arguments)]
pub async fn on_pull_request(
    state: &AppState,
    github_client: &GitHubClient,
    installation: Option<i64>,
    delivery_id: &str,
    is_retry: bool,
    action: Option<&str>,
    payload: &Value,
    repo: &RepoRef,
    active: &ActivePlugins,
) -> anyhow::Result<Option<&'static str>> {
    if !state.settings.repository_config.enabled || !action.is_some_and(|a| ACTIONS.contains(&a)) {
        return Ok(None);
    }
    let pull = &payload["pull_request"];
    let (Some(number), Some(head)) = (pull["number"].as_u64(), pull["head"]["sha"].as_str()) else {
        return Ok(None);
    };
    let full = repo.full_name();
    if is_retry && posted_before(github_client, &full, head, delivery_id).await {
        return Ok(None);
    }
    let report = match changed_file(github_client, &full, number).await {
        Ok(None) => return Ok(None),
        Ok(Some(removed)) => {
            let text = if removed {
                Ok(None)
            } else {
                github::read_file(github_client, &full, head).await
            };
            match text {
                Ok(None) => Ok(Checked::default()),
                Ok(Some(text)) => {
                    check(
                        &super::bases_of(state, installation),
                        &full,
                        &text,
                        active,
                        &state.settings.repository_config,
                    )
                    .await
                }
                Err(err) => Err(vec![Problem::at(
                    None,
                    format!("the file could not be read at {head}: {err}"),
                )]),
            }
        }
        Err(err) => {
            tracing::warn!(repository = %full, pull = number, error = %err, "could not list the pull request's files; no gantry/config check run");
            return Ok(None);
        }
    };
    let (conclusion, output) = match &report {
        Ok(checked) => ("success", success(checked, active)),
        Err(problems) => ("failure", failure(problems)),
    };
    let body = json!({
        "name": NAME,
        "head_sha": head,
        "external_id": delivery_id,
        "status": "completed",
        "conclusion": conclusion,
        "output": output,
    });
    let posted = github_client
        .rest(
            http::Method::POST,
            &format!("/repos/{}/check-runs", repo_path(&full)),
            Some(&body),
        )
        .await;
    let mut entry = AuditEntry::new(Actor::system(), AuditAction::RepoConfigChecked)
        .delivery(delivery_id)
        .project(Project::of_repo(repo).as_str());
    let mut details = json!({
        "pull_request": number,
        "head_sha": head,
        "conclusion": conclusion,
    });
    match &posted {
        Ok(run) => {
            details["check_run_id"] = run["id"].clone();
            entry = entry.outcome(conclusion);
        }
        Err(err) => {
            tracing::warn!(repository = %full, pull = number, error = %err, "GitHub refused the gantry/config check run");
            entry = entry.outcome(format!("failed: {err}"));
        }
    }
    entry = entry.details(details.to_string());
    audit::record(&state.db, state.audit_key(), entry).await?;
    Ok(posted.ok().map(|_| conclusion))
}

/// Whether an earlier attempt of this delivery's job posted the check run (when
/// GitHub cannot say, it is posted again: GitHub shows the newest per name).
async fn posted_before(
    github_client: &GitHubClient,
    repo: &str,
    head: &str,
    delivery_id: &str,
) -> bool {
    let url = format!(
        "/repos/{}/commits/{}/check-runs?check_name={}&filter=all",
        repo_path(repo),
        url_escape(head),
        url_escape(NAME)
    );
    github_client
        .rest(http::Method::GET, &url, None)
        .await
        .ok()
        .and_then(|answer| answer["check_runs"].as_array().cloned())
        .is_some_and(|runs| {
            runs.iter()
                .any(|r| r["external_id"].as_str() == Some(delivery_id))
        })
}

/// Whether the pull request changes the file: `None` when it does not, else
/// whether it removes it.
async fn changed_file(
    github_client: &GitHubClient,
    repo: &str,
    number: u64,
) -> Result<Option<bool>, GitHubError> {
    for page in 1..=MAX_FILE_PAGES {
        let url = format!(
            "/repos/{}/pulls/{number}/files?per_page=100&page={page}",
            repo_path(repo)
        );
        let answer = github_client.rest(http::Method::GET, &url, None).await?;
        let files = answer.as_array().cloned().unwrap_or_default();
        for f in &files {
            let named = |key: &str| f[key].as_str() == Some(file::PATH);
            if named("filename") {
                return Ok(Some(f["status"].as_str() == Some("removed")));
            }
            if named("previous_filename") {
                // Renamed away: the default branch would have none.
                return Ok(Some(true));
            }
        }
        if files.len() < 100 {
            break;
        }
    }
    Ok(None)
}

/// What the check run says when the file is valid: per plugin, what changes.
fn success(checked: &Checked, active: &ActivePlugins) -> Value {
    let mut lines = Vec::new();
    for plugin in active.all() {
        let name = &plugin.plugin.manifest.name;
        let now: Value = serde_json::from_str(&plugin.config).unwrap_or(Value::Null);
        let mut then: Value = serde_json::from_str(&plugin.admin_config).unwrap_or(Value::Null);
        if let Some(patch) = checked.patches.get(name) {
            merge_patch(&mut then, &patch.patch);
        }
        let change = diff(&now, &then);
        if !change.is_empty() {
            lines.push(format!("- `{name}`: {}", describe(&change)));
        }
    }
    let summary = if lines.is_empty() {
        "The file is valid. No plugin's configuration changes.".to_owned()
    } else {
        format!(
            "The file is valid. Once merged into the default branch:\n\n{}",
            lines.join("\n")
        )
    };
    json!({
        "title": "The repository configuration is valid",
        "summary": summary,
    })
}

fn describe(change: &Change) -> String {
    let mut parts = Vec::new();
    for (what, keys) in [
        ("added", &change.added),
        ("changed", &change.changed),
        ("removed", &change.removed),
    ] {
        if !keys.is_empty() {
            let keys = keys
                .iter()
                .map(|k| format!("`{}`", if k.is_empty() { "/" } else { k }))
                .collect::<Vec<_>>()
                .join(", ");
            parts.push(format!("{what} {keys}"));
        }
    }
    parts.join("; ")
}

/// What the check run says when the file is not: every problem, and an annotation
/// on each one's line.
fn failure(problems: &[Problem]) -> Value {
    let summary = problems
        .iter()
        .map(|p| format!("- {p}"))
        .collect::<Vec<_>>()
        .join("\n");
    let annotations: Vec<Value> = problems
        .iter()
        .take(MAX_ANNOTATIONS)
        .map(|p| {
            let line = p.line.unwrap_or(1);
            json!({
                "path": file::PATH,
                "start_line": line,
                "end_line": line,
                "annotation_level": "failure",
                "title": NAME,
                "message": p.message,
            })
        })
        .collect();
    json!({
        "title": format!("{} problem(s) in {}", problems.len(), file::PATH),
        "summary": format!("The file would not take effect (the last valid configuration would stay in force):\n\n{summary}"),
        "annotations": annotations,
    })
}

fn repo_path(repo: &str) -> String {
    repo.split('/')
        .map(url_escape)
        .collect::<Vec<_>>()
        .join("/")
}
