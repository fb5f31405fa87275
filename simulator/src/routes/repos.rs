//! Repository-level reads: `GET /repos/{owner}/{repo}`.

use super::Routes;
use actix_web::{web, HttpRequest, HttpResponse};

use super::base_url;
use crate::{error::SimError, json, Simulator};

/// Registers this module's routes.
pub(super) fn config(r: &mut Routes) {
    r.get("/repos/{owner}/{repo}", get_repository);
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
