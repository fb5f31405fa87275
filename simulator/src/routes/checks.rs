//! Check runs: creating and updating them (`/repos/{o}/{r}/check-runs[/{id}]`) and
//! listing those of a commit (`/repos/{o}/{r}/commits/{ref}/check-runs`).

use super::Routes;
use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{base_url, opt_string, paginate_in, parse_json, query, required_string};
use crate::{
    error::SimError,
    json,
    state::{CheckOutput, CheckRun},
    Simulator,
};

/// The `status` values of a check run.
const STATUSES: [&str; 6] = [
    "queued",
    "in_progress",
    "completed",
    "waiting",
    "requested",
    "pending",
];
/// The `conclusion` values of a check run.
const CONCLUSIONS: [&str; 8] = [
    "action_required",
    "cancelled",
    "failure",
    "neutral",
    "success",
    "skipped",
    "stale",
    "timed_out",
];

/// Registers this module's routes.
pub(super) fn config(r: &mut Routes) {
    r.post("/repos/{owner}/{repo}/check-runs", create_check_run);
    r.get("/repos/{owner}/{repo}/check-runs/{id}", get_check_run);
    r.patch("/repos/{owner}/{repo}/check-runs/{id}", update_check_run);
    r.get(
        "/repos/{owner}/{repo}/commits/{ref:.+}/check-runs",
        list_for_ref,
    );
}

/// The 422 GitHub answers for a commit it does not know.
pub(super) fn no_commit(sha: &str) -> SimError {
    SimError::status(
        StatusCode::UNPROCESSABLE_ENTITY,
        format!("No commit found for SHA: {sha}"),
    )
}

/// `POST /repos/{o}/{r}/check-runs` with `name` and `head_sha` (required),
/// `external_id`, `details_url`, `status`, `conclusion`, `started_at`,
/// `completed_at` and `output`: 201 with the check run. A conclusion completes the
/// run. 422 for a missing field, an unknown status or conclusion, `completed` without
/// a conclusion, or a `head_sha` that is neither known nor a full SHA.
async fn create_check_run(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, SimError> {
    let (owner, repo_name) = path.into_inner();
    let body = parse_json(&body)?;
    let name = required_string(&body, "name", "CheckRun")?;
    let head_sha = required_string(&body, "head_sha", "CheckRun")?;
    let mut state = sim.lock();
    let id = state.next_id();
    let repo = state
        .repo_mut(&owner, &repo_name)
        .ok_or(SimError::NotFound)?;
    let head_sha = repo
        .git_mut()
        .commit_for_write(&head_sha, Utc::now())
        .ok_or_else(|| no_commit(&head_sha))?;
    let mut run = CheckRun {
        id,
        node_id: format!("CR_sim{id}"),
        name,
        head_sha,
        external_id: None,
        details_url: None,
        status: "queued".to_owned(),
        conclusion: None,
        started_at: Some(Utc::now()),
        completed_at: None,
        output: CheckOutput::default(),
    };
    apply(&mut run, &body)?;
    repo.check_runs.push(run.clone());
    let repo = state.repo(&owner, &repo_name).ok_or(SimError::NotFound)?;
    Ok(HttpResponse::Created().json(json::checks::check_run(&base_url(&req), &state, repo, &run)))
}

/// `GET /repos/{o}/{r}/check-runs/{id}`: one check run.
async fn get_check_run(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, SimError> {
    let (owner, repo, id) = path.into_inner();
    let id: u64 = id.parse().map_err(|_| SimError::NotFound)?;
    let state = sim.lock();
    let repo = state.repo(&owner, &repo).ok_or(SimError::NotFound)?;
    let run = repo
        .check_runs
        .iter()
        .find(|r| r.id == id)
        .ok_or(SimError::NotFound)?;
    Ok(HttpResponse::Ok().json(json::checks::check_run(&base_url(&req), &state, repo, run)))
}

/// `PATCH /repos/{o}/{r}/check-runs/{id}`: changes the fields given (`name`,
/// `external_id`, `details_url`, `status`, `conclusion`, `started_at`,
/// `completed_at`, `output`); 200 with the check run.
async fn update_check_run(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: web::Path<(String, String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, SimError> {
    let (owner, repo_name, id) = path.into_inner();
    let id: u64 = id.parse().map_err(|_| SimError::NotFound)?;
    let body = parse_json(&body)?;
    let mut state = sim.lock();
    let repo = state
        .repo_mut(&owner, &repo_name)
        .ok_or(SimError::NotFound)?;
    let run = repo
        .check_runs
        .iter_mut()
        .find(|r| r.id == id)
        .ok_or(SimError::NotFound)?;
    let mut changed = run.clone();
    if let Some(name) = opt_string(&body, "name", "CheckRun")? {
        changed.name = name;
    }
    apply(&mut changed, &body)?;
    *run = changed.clone();
    let repo = state.repo(&owner, &repo_name).ok_or(SimError::NotFound)?;
    Ok(HttpResponse::Ok().json(json::checks::check_run(
        &base_url(&req),
        &state,
        repo,
        &changed,
    )))
}

/// Applies the optional fields of a create or update body to `run`.
fn apply(run: &mut CheckRun, body: &Value) -> Result<(), SimError> {
    let invalid = |field| SimError::invalid("CheckRun", "invalid", field);
    let time = |field| -> Result<Option<DateTime<Utc>>, SimError> {
        opt_string(body, field, "CheckRun")?
            .map(|t| {
                DateTime::parse_from_rfc3339(&t)
                    .map(|t| t.with_timezone(&Utc))
                    .map_err(|_| invalid(field))
            })
            .transpose()
    };
    if let Some(v) = opt_string(body, "external_id", "CheckRun")? {
        run.external_id = Some(v);
    }
    if let Some(v) = opt_string(body, "details_url", "CheckRun")? {
        run.details_url = Some(v);
    }
    if let Some(t) = time("started_at")? {
        run.started_at = Some(t);
    }
    let completed_at = time("completed_at")?;
    if let Some(status) = opt_string(body, "status", "CheckRun")? {
        if !STATUSES.contains(&status.as_str()) {
            return Err(invalid("status"));
        }
        if status != "completed" {
            // Back to work: the old result no longer holds.
            run.conclusion = None;
            run.completed_at = None;
        }
        run.status = status;
    }
    if let Some(conclusion) = opt_string(body, "conclusion", "CheckRun")? {
        if !CONCLUSIONS.contains(&conclusion.as_str()) {
            return Err(invalid("conclusion"));
        }
        run.conclusion = Some(conclusion);
        run.status = "completed".to_owned();
    }
    if run.status == "completed" || completed_at.is_some() {
        if run.conclusion.is_none() {
            return Err(SimError::invalid("CheckRun", "missing_field", "conclusion"));
        }
        run.status = "completed".to_owned();
        run.completed_at = completed_at
            .or(run.completed_at)
            .or_else(|| Some(Utc::now()));
    }
    if let Some(output) = body.get("output").filter(|o| !o.is_null()) {
        let text = |field| opt_string(output, field, "CheckRun");
        run.output.title = text("title")?.or(run.output.title.take());
        run.output.summary = text("summary")?.or(run.output.summary.take());
        run.output.text = text("text")?.or(run.output.text.take());
        let added = output
            .get("annotations")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        run.output.annotations_count = run
            .output
            .annotations_count
            .saturating_add(u64::try_from(added).unwrap_or(u64::MAX));
    }
    Ok(())
}

/// `GET /repos/{o}/{r}/commits/{ref}/check-runs[?check_name=&status=&filter=]`: the
/// commit's check runs, newest first, wrapped as `{"total_count", "check_runs"}` and
/// paginated. `filter=latest` (the default) keeps the newest run per name, `all`
/// keeps every one. 422 for a ref that names no commit.
async fn list_for_ref(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, SimError> {
    let (owner, repo, git_ref) = path.into_inner();
    let name = query(&req, "check_name");
    let status = query(&req, "status");
    let all = query(&req, "filter").as_deref() == Some("all");
    let mut state = sim.lock();
    let sha = state
        .repo_mut(&owner, &repo)
        .ok_or(SimError::NotFound)?
        .git_mut()
        .commit_for_read(&git_ref)
        .ok_or_else(|| no_commit(&git_ref))?;
    let repo = state.repo(&owner, &repo).ok_or(SimError::NotFound)?;
    let mut picked: Vec<&CheckRun> = Vec::new();
    for run in repo.check_runs.iter().rev().filter(|r| r.head_sha == sha) {
        if all || !picked.iter().any(|p| p.name == run.name) {
            picked.push(run);
        }
    }
    let base = base_url(&req);
    let items = picked
        .into_iter()
        .filter(|r| name.as_deref().is_none_or(|n| n == r.name))
        .filter(|r| status.as_deref().is_none_or(|s| s == r.status))
        .map(|r| json::checks::check_run(&base, &state, repo, r))
        .collect();
    Ok(paginate_in(&req, "check_runs", items))
}
