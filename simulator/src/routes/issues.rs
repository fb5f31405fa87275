//! Issue reads: `GET /repos/{owner}/{repo}/issues/{number}` (pull requests included).

use actix_web::{web, HttpRequest, HttpResponse};

use super::{base_url, issue_number};
use crate::{error::SimError, json, Simulator};

/// Registers this module's routes.
pub(super) fn config(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/repos/{owner}/{repo}/issues/{number}",
        web::get().to(get_issue),
    );
}

/// `GET /repos/{owner}/{repo}/issues/{number}`: the issue object, with a
/// `pull_request` key when it is a pull request.
async fn get_issue(
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
    Ok(HttpResponse::Ok().json(json::issue(&base, &state, repo, issue)))
}
