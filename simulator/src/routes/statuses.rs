//! Commit statuses: creating one (`/repos/{o}/{r}/statuses/{sha}`), and listing a
//! ref's statuses (`/repos/{o}/{r}/commits/{ref}/statuses`) or their combination
//! (`/repos/{o}/{r}/commits/{ref}/status`).

use super::Routes;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;

use super::{
    actor, base_url, checks::no_commit, ensure_actor, opt_string, paginate, parse_json,
    required_string,
};
use crate::{error::SimError, json, state::CommitStatus, Simulator};

/// The `state` values of a commit status.
const STATES: [&str; 4] = ["error", "failure", "pending", "success"];

/// Registers this module's routes.
pub(super) fn config(r: &mut Routes) {
    r.post("/repos/{owner}/{repo}/statuses/{sha}", create_status);
    r.get(
        "/repos/{owner}/{repo}/commits/{ref:.+}/statuses",
        list_statuses,
    );
    r.get(
        "/repos/{owner}/{repo}/commits/{ref:.+}/status",
        combined_status,
    );
}

type RefPath = web::Path<(String, String, String)>;

/// `POST /repos/{o}/{r}/statuses/{sha}` with `state` (required), `target_url`,
/// `description` and `context` (default `default`), by `gantry[bot]` or the
/// `x-sim-user` login: 201 with the status. 422 for a bad state or a SHA that is
/// neither known nor a full SHA.
async fn create_status(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: RefPath,
    body: web::Bytes,
) -> Result<HttpResponse, SimError> {
    let (owner, repo, sha) = path.into_inner();
    let body = parse_json(&body)?;
    let status_state = required_string(&body, "state", "Status")?;
    if !STATES.contains(&status_state.as_str()) {
        return Err(SimError::invalid("Status", "invalid", "state"));
    }
    let target_url = opt_string(&body, "target_url", "Status")?;
    let description = opt_string(&body, "description", "Status")?;
    let context = opt_string(&body, "context", "Status")?.unwrap_or_else(|| "default".to_owned());
    let mut state = sim.lock();
    state.repo(&owner, &repo).ok_or(SimError::NotFound)?;
    let creator = ensure_actor(&mut state, &actor(&req));
    let id = state.next_id();
    let known = state.repo_mut(&owner, &repo).ok_or(SimError::NotFound)?;
    let now = Utc::now();
    let sha = known
        .git_mut()
        .commit_for_write(&sha, now)
        .ok_or_else(|| no_commit(&sha))?;
    let status = CommitStatus {
        id,
        node_id: format!("SC_sim{id}"),
        sha,
        state: status_state,
        target_url,
        description,
        context,
        creator,
        created_at: now,
        updated_at: now,
    };
    known.statuses.push(status.clone());
    let known = state.repo(&owner, &repo).ok_or(SimError::NotFound)?;
    Ok(HttpResponse::Created().json(json::checks::status(
        &base_url(&req),
        &state,
        known,
        &status,
    )))
}

/// `GET /repos/{o}/{r}/commits/{ref}/statuses`: every status of the commit, newest
/// first, paginated.
async fn list_statuses(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: RefPath,
) -> Result<HttpResponse, SimError> {
    let (owner, repo, git_ref) = path.into_inner();
    let mut state = sim.lock();
    let sha = commit_of(&mut state, &owner, &repo, &git_ref)?;
    let known = state.repo(&owner, &repo).ok_or(SimError::NotFound)?;
    let base = base_url(&req);
    let items = known
        .statuses
        .iter()
        .rev()
        .filter(|s| s.sha == sha)
        .map(|s| json::checks::status(&base, &state, known, s))
        .collect();
    Ok(paginate(&req, items))
}

/// `GET /repos/{o}/{r}/commits/{ref}/status`: the combined status (latest per
/// context, and the overall state).
async fn combined_status(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: RefPath,
) -> Result<HttpResponse, SimError> {
    let (owner, repo, git_ref) = path.into_inner();
    let mut state = sim.lock();
    let sha = commit_of(&mut state, &owner, &repo, &git_ref)?;
    let known = state.repo(&owner, &repo).ok_or(SimError::NotFound)?;
    Ok(HttpResponse::Ok().json(json::checks::combined(&base_url(&req), &state, known, &sha)))
}

/// The commit `git_ref` names; 404 for an unknown repository, 422 for an unknown ref.
fn commit_of(
    state: &mut crate::state::State,
    owner: &str,
    repo: &str,
    git_ref: &str,
) -> Result<String, SimError> {
    state
        .repo_mut(owner, repo)
        .ok_or(SimError::NotFound)?
        .git_mut()
        .commit_for_read(git_ref)
        .ok_or_else(|| no_commit(git_ref))
}
