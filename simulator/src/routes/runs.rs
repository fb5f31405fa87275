//! Workflow runs: listing them for a repository (`/repos/{o}/{r}/actions/runs`) or a
//! workflow (`.../actions/workflows/{id}/runs`), reading one, re-running it
//! (`.../rerun`, `.../rerun-failed-jobs`), and its jobs and artifacts.

use super::Routes;
use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use serde_json::json;

use super::{actions::find_workflow, base_url, paginate_in, query};
use crate::{
    error::SimError,
    json,
    state::{
        runs::{self, RerunError},
        State, WorkflowRun,
    },
    Simulator,
};

/// Registers this module's routes.
pub(super) fn config(r: &mut Routes) {
    r.get("/repos/{owner}/{repo}/actions/runs", list_runs);
    r.get(
        "/repos/{owner}/{repo}/actions/workflows/{workflow}/runs",
        list_workflow_runs,
    );
    r.get("/repos/{owner}/{repo}/actions/runs/{id}", get_run);
    r.post("/repos/{owner}/{repo}/actions/runs/{id}/rerun", rerun);
    r.post(
        "/repos/{owner}/{repo}/actions/runs/{id}/rerun-failed-jobs",
        rerun_failed_jobs,
    );
    r.get("/repos/{owner}/{repo}/actions/runs/{id}/jobs", list_jobs);
    r.get(
        "/repos/{owner}/{repo}/actions/runs/{id}/artifacts",
        list_artifacts,
    );
}

type RunPath = web::Path<(String, String, String)>;

/// `GET /repos/{o}/{r}/actions/runs`: see [`runs_page`].
async fn list_runs(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, SimError> {
    let (owner, repo) = path.into_inner();
    runs_page(&sim.lock(), &req, &owner, &repo, None)
}

/// `GET /repos/{o}/{r}/actions/workflows/{id or file name}/runs`: see [`runs_page`].
async fn list_workflow_runs(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: RunPath,
) -> Result<HttpResponse, SimError> {
    let (owner, repo, key) = path.into_inner();
    let state = sim.lock();
    let workflow = find_workflow(&state, &owner, &repo, &key)?.id;
    runs_page(&state, &req, &owner, &repo, Some(workflow))
}

/// Runs newest first as `{"total_count", "workflow_runs"}`, paginated, filtered by the
/// query parameters `head_sha`, `branch`, `event`, `actor` and `status` (a status or a
/// conclusion, as on GitHub).
fn runs_page(
    state: &State,
    req: &HttpRequest,
    owner: &str,
    repo: &str,
    workflow: Option<u64>,
) -> Result<HttpResponse, SimError> {
    let repo = state.repo(owner, repo).ok_or(SimError::NotFound)?;
    let head_sha = query(req, "head_sha");
    let branch = query(req, "branch");
    let event = query(req, "event");
    let actor = query(req, "actor");
    let status = query(req, "status");
    let base = base_url(req);
    let items = repo
        .runs
        .iter()
        .rev()
        .filter(|r| workflow.is_none_or(|w| r.workflow_id == w))
        .filter(|r| {
            head_sha
                .as_deref()
                .is_none_or(|s| r.head_sha.eq_ignore_ascii_case(s))
        })
        .filter(|r| branch.as_deref().is_none_or(|b| r.head_branch == b))
        .filter(|r| event.as_deref().is_none_or(|e| r.event == e))
        .filter(|r| {
            actor
                .as_deref()
                .is_none_or(|a| r.actor.eq_ignore_ascii_case(a))
        })
        .filter(|r| {
            status
                .as_deref()
                .is_none_or(|s| r.status == s || r.conclusion.as_deref() == Some(s))
        })
        .map(|r| json::actions::run(&base, state, repo, r))
        .collect();
    Ok(paginate_in(req, "workflow_runs", items))
}

/// The run `id` of a repository; 404 otherwise.
fn find_run<'a>(
    state: &'a State,
    owner: &str,
    repo: &str,
    id: &str,
) -> Result<&'a WorkflowRun, SimError> {
    let id: u64 = id.parse().map_err(|_| SimError::NotFound)?;
    state
        .repo(owner, repo)
        .ok_or(SimError::NotFound)?
        .runs
        .iter()
        .find(|r| r.id == id)
        .ok_or(SimError::NotFound)
}

/// `GET /repos/{o}/{r}/actions/runs/{id}`: one run.
async fn get_run(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: RunPath,
) -> Result<HttpResponse, SimError> {
    let (owner, repo, id) = path.into_inner();
    let state = sim.lock();
    let run = find_run(&state, &owner, &repo, &id)?;
    let repo = state.repo(&owner, &repo).ok_or(SimError::NotFound)?;
    Ok(HttpResponse::Ok().json(json::actions::run(&base_url(&req), &state, repo, run)))
}

/// `POST /repos/{o}/{r}/actions/runs/{id}/rerun`: a new attempt with every job
/// queued again; 201 `{}`. 403 "This workflow is already running" unless completed.
async fn rerun(sim: web::Data<Simulator>, path: RunPath) -> Result<HttpResponse, SimError> {
    let (owner, repo, id) = path.into_inner();
    start_attempt(&sim, &owner, &repo, &id, false)
}

/// `POST /repos/{o}/{r}/actions/runs/{id}/rerun-failed-jobs`: a new attempt with the
/// failed (or cancelled, timed out) jobs queued again; 201 `{}`. 403 unless completed,
/// or when no job failed.
async fn rerun_failed_jobs(
    sim: web::Data<Simulator>,
    path: RunPath,
) -> Result<HttpResponse, SimError> {
    let (owner, repo, id) = path.into_inner();
    start_attempt(&sim, &owner, &repo, &id, true)
}

/// Starts another attempt of run `id` (see `state::runs::rerun`), answering as GitHub.
fn start_attempt(
    sim: &Simulator,
    owner: &str,
    repo: &str,
    id: &str,
    failed_only: bool,
) -> Result<HttpResponse, SimError> {
    let id: u64 = id.parse().map_err(|_| SimError::NotFound)?;
    match runs::rerun(&mut sim.lock(), owner, repo, id, failed_only) {
        Ok(()) => Ok(HttpResponse::Created().json(json!({}))),
        Err(RerunError::NotFound) => Err(SimError::NotFound),
        Err(RerunError::Running) => Err(SimError::status(
            StatusCode::FORBIDDEN,
            "This workflow is already running",
        )),
        Err(RerunError::NothingFailed) => Err(SimError::status(
            StatusCode::FORBIDDEN,
            "This workflow run has no failed jobs to re-run",
        )),
    }
}

/// `GET /repos/{o}/{r}/actions/runs/{id}/jobs`: the latest attempt's jobs as
/// `{"total_count", "jobs"}`, paginated.
async fn list_jobs(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: RunPath,
) -> Result<HttpResponse, SimError> {
    let (owner, repo, id) = path.into_inner();
    let state = sim.lock();
    let run = find_run(&state, &owner, &repo, &id)?;
    let repo = state.repo(&owner, &repo).ok_or(SimError::NotFound)?;
    let base = base_url(&req);
    let items = run
        .jobs
        .iter()
        .map(|j| json::actions::job(&base, repo, run, j))
        .collect();
    Ok(paginate_in(&req, "jobs", items))
}

/// `GET /repos/{o}/{r}/actions/runs/{id}/artifacts`: `{"total_count", "artifacts"}`,
/// paginated.
async fn list_artifacts(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: RunPath,
) -> Result<HttpResponse, SimError> {
    let (owner, repo, id) = path.into_inner();
    let state = sim.lock();
    let run = find_run(&state, &owner, &repo, &id)?;
    let repo = state.repo(&owner, &repo).ok_or(SimError::NotFound)?;
    let base = base_url(&req);
    let items = run
        .artifacts
        .iter()
        .map(|a| json::actions::artifact(&base, repo, run, a))
        .collect();
    Ok(paginate_in(&req, "artifacts", items))
}
