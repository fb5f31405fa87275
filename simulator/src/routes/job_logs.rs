//! Downloading a workflow job's log as GitHub serves it:
//! `GET /repos/{o}/{r}/actions/jobs/{job_id}/logs` answers `302 Found` with a
//! `Location` to the plain-text log on short-lived storage on another origin (the
//! same second port as artifact downloads, see `artifacts`), and the storage,
//! `GET /_log-storage/{owner}/{repo}/{job_id}` (outside the gate: no token, as on
//! GitHub's storage host), answers the text. A job that is unknown, or still
//! queued (GitHub has no log for it yet), answers 404. Storage requests are
//! recorded with artifact downloads ([`crate::Simulator::storage_requests`]).

use actix_web::{http::header, web, HttpRequest, HttpResponse};

use super::artifacts::{storage_origin, StorageRequest};
use super::Routes;
use crate::{error::SimError, Simulator};

/// The storage's path prefix, outside GitHub's paths.
pub(crate) const LOG_STORAGE: &str = "/_log-storage";

/// Registers this module's REST route.
pub(super) fn config(r: &mut Routes) {
    r.get("/repos/{owner}/{repo}/actions/jobs/{job_id}/logs", download);
}

/// Registers the storage route, outside the gate.
pub(super) fn storage(cfg: &mut web::ServiceConfig) {
    cfg.route(
        &format!("{LOG_STORAGE}/{{owner}}/{{repo}}/{{job_id}}"),
        web::get().to(fetch),
    );
}

type JobPath = web::Path<(String, String, u64)>;

/// The log of job `id` of a repository's runs; 404 for an unknown job or one
/// without a log yet.
fn find(sim: &Simulator, owner: &str, repo: &str, id: u64) -> Result<String, SimError> {
    let state = sim.lock();
    let repo = state.repo(owner, repo).ok_or(SimError::NotFound)?;
    repo.runs
        .iter()
        .flat_map(|r| r.jobs.iter())
        .find(|j| j.id == id)
        .and_then(crate::state::Job::log_text)
        .ok_or(SimError::NotFound)
}

/// `GET .../actions/jobs/{job_id}/logs`: 302 to the storage.
async fn download(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: JobPath,
) -> Result<HttpResponse, SimError> {
    let (owner, repo, id) = path.into_inner();
    find(&sim, &owner, &repo, id)?;
    let location = format!(
        "{}{LOG_STORAGE}/{}/{}/{id}",
        storage_origin(&sim, &req),
        crate::json::seg(&owner),
        crate::json::seg(&repo)
    );
    Ok(HttpResponse::Found()
        .insert_header((header::LOCATION, location))
        .finish())
}

/// `GET /_log-storage/{owner}/{repo}/{job_id}`: the log as plain text.
async fn fetch(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: JobPath,
) -> Result<HttpResponse, SimError> {
    sim.record_storage_request(StorageRequest {
        path: req.path().to_owned(),
        authorization: req.headers().contains_key(header::AUTHORIZATION),
    });
    let (owner, repo, id) = path.into_inner();
    let log = find(&sim, &owner, &repo, id)?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body(log))
}
