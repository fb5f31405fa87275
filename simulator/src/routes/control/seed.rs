//! Control routes over the seeding API (`crate::seed`), relative to `/_simulator`:
//!
//! - `POST /repos/{o}/{r}/workflows` `{"path", "name", "workflow_dispatch": true}`
//! - `POST /repos/{o}/{r}/actions/runs` `{"workflow", "event", "ref"}`
//! - `POST /repos/{o}/{r}/actions/runs/{id}/start`
//! - `POST /repos/{o}/{r}/actions/runs/{id}/complete` with a `RunOutcome`
//! - `PUT /repos/{o}/{r}/pulls/{n}/files` with a list of `PullFile`s
//! - `PUT /repos/{o}/{r}/pulls/{n}/mergeable` `{"mergeable": true | false | null}`
//! - `PUT /rate_limit` `{"limit": 5000}`
//!
//! Each change is saved off the async threads, like a GitHub write.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::{de::DeserializeOwned, Deserialize};

use crate::{
    error::SimError,
    json,
    routes::{base_url, issue_number},
    PullFile, RunOutcome, Simulator,
};

/// Registers this module's routes.
pub(super) fn config(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/repos/{owner}/{repo}/workflows",
        web::post().to(add_workflow),
    )
    .route(
        "/repos/{owner}/{repo}/actions/runs",
        web::post().to(trigger_run),
    )
    .route(
        "/repos/{owner}/{repo}/actions/runs/{id}/start",
        web::post().to(start_run),
    )
    .route(
        "/repos/{owner}/{repo}/actions/runs/{id}/complete",
        web::post().to(complete_run),
    )
    .route(
        "/repos/{owner}/{repo}/pulls/{number}/files",
        web::put().to(set_pull_files),
    )
    .route(
        "/repos/{owner}/{repo}/pulls/{number}/mergeable",
        web::put().to(set_mergeable),
    )
    .route("/rate_limit", web::put().to(set_rate_limit));
}

/// Parses a control body: 400 for malformed JSON, 422 naming `resource` otherwise.
pub(super) fn body<T: DeserializeOwned>(bytes: &[u8], resource: &str) -> Result<T, SimError> {
    serde_json::from_slice(bytes).map_err(|e| {
        if e.is_data() {
            SimError::invalid(resource, "invalid", resource)
        } else {
            SimError::BadJson
        }
    })
}

/// Runs a seeding call (which saves) off the async threads.
pub(super) async fn blocking<T: Send + 'static>(
    sim: &Simulator,
    call: impl FnOnce(&Simulator) -> T + Send + 'static,
) -> Result<T, SimError> {
    let sim = sim.clone();
    web::block(move || call(&sim))
        .await
        .map_err(|_| SimError::NotFound)
}

/// A workflow to seed.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewWorkflow {
    path: String,
    name: String,
    #[serde(default = "yes")]
    workflow_dispatch: bool,
    /// The inputs its `workflow_dispatch` trigger declares.
    #[serde(default)]
    inputs: Vec<String>,
}

fn yes() -> bool {
    true
}

/// `POST /_simulator/repos/{o}/{r}/workflows`: adds (or renames) the workflow at
/// `path`, creating the repository if needed; 201 with the workflow.
async fn add_workflow(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    bytes: web::Bytes,
) -> Result<HttpResponse, SimError> {
    let (owner, repo) = path.into_inner();
    let new: NewWorkflow = body(&bytes, "Workflow")?;
    let (o, r) = (owner.clone(), repo.clone());
    let id = blocking(&sim, move |sim| {
        let id = sim.add_workflow(&o, &r, &new.path, &new.name);
        sim.set_workflow_dispatch(&o, &r, id, new.workflow_dispatch);
        let inputs: Vec<&str> = new.inputs.iter().map(String::as_str).collect();
        sim.set_workflow_inputs(&o, &r, id, &inputs);
        id
    })
    .await?;
    let state = sim.lock();
    let known = state.repo(&owner, &repo).ok_or(SimError::NotFound)?;
    let workflow = known
        .workflows
        .iter()
        .find(|w| w.id == id)
        .ok_or(SimError::NotFound)?;
    Ok(HttpResponse::Created().json(json::actions::workflow(&base_url(&req), known, workflow)))
}

/// A run to trigger.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewRun {
    /// An id or a file name.
    workflow: String,
    #[serde(default = "push")]
    event: String,
    #[serde(rename = "ref")]
    git_ref: String,
}

fn push() -> String {
    "push".to_owned()
}

/// `POST /_simulator/repos/{o}/{r}/actions/runs`: queues a run as GitHub would for
/// `event` (default `push`) at `ref`; 201 with the run, 404 when the workflow or ref
/// is unknown.
async fn trigger_run(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    bytes: web::Bytes,
) -> Result<HttpResponse, SimError> {
    let (owner, repo) = path.into_inner();
    let new: NewRun = body(&bytes, "WorkflowRun")?;
    let (o, r) = (owner.clone(), repo.clone());
    let id = blocking(&sim, move |sim| {
        sim.trigger_workflow(&o, &r, &new.workflow, &new.event, &new.git_ref)
    })
    .await?
    .ok_or(SimError::NotFound)?;
    render_run(&sim, &req, &owner, &repo, id, true)
}

/// `POST /_simulator/repos/{o}/{r}/actions/runs/{id}/start`: the run is in progress;
/// 200 with it.
async fn start_run(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, SimError> {
    let (owner, repo, id) = path.into_inner();
    let id: u64 = id.parse().map_err(|_| SimError::NotFound)?;
    let (o, r) = (owner.clone(), repo.clone());
    if !blocking(&sim, move |sim| sim.start_run(&o, &r, id)).await? {
        return Err(SimError::NotFound);
    }
    render_run(&sim, &req, &owner, &repo, id, false)
}

/// `POST /_simulator/repos/{o}/{r}/actions/runs/{id}/complete` with
/// `{"conclusion", "jobs": [{"name", "conclusion", "log"?}], "artifacts": [{"name",
/// "size_in_bytes"}]}`: 200 with the completed run; 422 for a conclusion GitHub does
/// not use, 404 for an unknown run.
async fn complete_run(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: web::Path<(String, String, String)>,
    bytes: web::Bytes,
) -> Result<HttpResponse, SimError> {
    let (owner, repo, id) = path.into_inner();
    let id: u64 = id.parse().map_err(|_| SimError::NotFound)?;
    let outcome: RunOutcome = body(&bytes, "RunOutcome")?;
    if let Some(field) = outcome.problem() {
        return Err(SimError::invalid("RunOutcome", "invalid", field));
    }
    let (o, r) = (owner.clone(), repo.clone());
    if !blocking(&sim, move |sim| sim.complete_run(&o, &r, id, &outcome)).await? {
        return Err(SimError::NotFound);
    }
    render_run(&sim, &req, &owner, &repo, id, false)
}

/// 200 (or 201 when `created`) with run `id`.
fn render_run(
    sim: &Simulator,
    req: &HttpRequest,
    owner: &str,
    repo: &str,
    id: u64,
    created: bool,
) -> Result<HttpResponse, SimError> {
    let state = sim.lock();
    let known = state.repo(owner, repo).ok_or(SimError::NotFound)?;
    let run = known
        .runs
        .iter()
        .find(|r| r.id == id)
        .ok_or(SimError::NotFound)?;
    let body = json::actions::run(&base_url(req), &state, known, run);
    Ok(if created {
        HttpResponse::Created().json(body)
    } else {
        HttpResponse::Ok().json(body)
    })
}

/// `PUT /_simulator/repos/{o}/{r}/pulls/{n}/files` with a list of files: 204; 404
/// for an unknown pull request.
async fn set_pull_files(
    sim: web::Data<Simulator>,
    path: web::Path<(String, String, String)>,
    bytes: web::Bytes,
) -> Result<HttpResponse, SimError> {
    let (owner, repo, number) = path.into_inner();
    let number = issue_number(&number)?;
    let files: Vec<PullFile> = body(&bytes, "PullFile")?;
    if !blocking(&sim, move |sim| {
        sim.set_pull_files(&owner, &repo, number, &files)
    })
    .await?
    {
        return Err(SimError::NotFound);
    }
    Ok(HttpResponse::NoContent().finish())
}

/// Whether a pull request can be merged.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Mergeable {
    mergeable: Option<bool>,
}

/// `PUT /_simulator/repos/{o}/{r}/pulls/{n}/mergeable` with `{"mergeable": false}`
/// (`null` restores the default): 204; 404 for an unknown pull request.
async fn set_mergeable(
    sim: web::Data<Simulator>,
    path: web::Path<(String, String, String)>,
    bytes: web::Bytes,
) -> Result<HttpResponse, SimError> {
    let (owner, repo, number) = path.into_inner();
    let number = issue_number(&number)?;
    let wanted: Mergeable = body(&bytes, "Mergeable")?;
    if !blocking(&sim, move |sim| {
        sim.set_mergeable(&owner, &repo, number, wanted.mergeable)
    })
    .await?
    {
        return Err(SimError::NotFound);
    }
    Ok(HttpResponse::NoContent().finish())
}

/// The requests allowed per window.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RateLimit {
    limit: u64,
}

/// `PUT /_simulator/rate_limit` with `{"limit": n}`: 204.
async fn set_rate_limit(
    sim: web::Data<Simulator>,
    bytes: web::Bytes,
) -> Result<HttpResponse, SimError> {
    let wanted: RateLimit = body(&bytes, "RateLimit")?;
    sim.set_rate_limit(wanted.limit);
    Ok(HttpResponse::NoContent().finish())
}
