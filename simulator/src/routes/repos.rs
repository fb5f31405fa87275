//! Repository-level reads: `GET /repos/{owner}/{repo}` and `GET /repos/{owner}/{repo}/pulls/{number}`.

use actix_web::{web, HttpRequest, HttpResponse};

use super::{base_url, issue_number};
use crate::{error::SimError, json, Simulator};

/// Registers this module's routes.
pub(super) fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/repos/{owner}/{repo}", web::get().to(get_repository))
        .route(
            "/repos/{owner}/{repo}/pulls/{number}",
            web::get().to(get_pull_request),
        );
}

/// `GET /repos/{owner}/{repo}`: the repository object.
async fn get_repository(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, SimError> {
    let (owner, repo) = path.into_inner();
    let base = base_url(&req);
    let state = sim.lock();
    let repo = state.repo(&owner, &repo).ok_or(SimError::NotFound)?;
    Ok(HttpResponse::Ok().json(json::repository(&base, &state, repo)))
}

/// `GET /repos/{owner}/{repo}/pulls/{number}`: the pull request object; 404 for an issue.
async fn get_pull_request(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, SimError> {
    let (owner, repo, number) = path.into_inner();
    let number = issue_number(&number)?;
    let base = base_url(&req);
    let state = sim.lock();
    let repo = state.repo(&owner, &repo).ok_or(SimError::NotFound)?;
    let issue = repo.issues.get(&number).ok_or(SimError::NotFound)?;
    let pull = json::pull_request(&base, &state, repo, issue).ok_or(SimError::NotFound)?;
    Ok(HttpResponse::Ok().json(pull))
}
