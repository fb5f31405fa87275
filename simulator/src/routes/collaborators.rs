//! Collaborators and permissions: `/repos/{o}/{r}/collaborators[/{u}[/permission]]`.
//! Adding a collaborator takes effect at once (no invitation), as the sandbox needs.

use super::Routes;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::Value;

use super::{base_url, paginate, parse_json};
use crate::{
    error::SimError,
    json,
    state::{Collaborator, Role},
    Simulator,
};

/// Registers this module's routes.
pub(super) fn config(r: &mut Routes) {
    r.get("/repos/{owner}/{repo}/collaborators", list_collaborators);
    r.get(
        "/repos/{owner}/{repo}/collaborators/{username}",
        check_collaborator,
    );
    r.put(
        "/repos/{owner}/{repo}/collaborators/{username}",
        add_collaborator,
    );
    r.delete(
        "/repos/{owner}/{repo}/collaborators/{username}",
        remove_collaborator,
    );
    r.get(
        "/repos/{owner}/{repo}/collaborators/{username}/permission",
        get_permission,
    );
}

type UserPath = web::Path<(String, String, String)>;

/// `GET /repos/{o}/{r}/collaborators`: the owner (admin) and every collaborator, with
/// `permissions` and `role_name`, paginated.
async fn list_collaborators(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, SimError> {
    let (owner, repo) = path.into_inner();
    let base = base_url(&req);
    let state = sim.lock();
    let repo = state.repo(&owner, &repo).ok_or(SimError::NotFound)?;
    let mut people = vec![json::collaborator(
        &base,
        &state.user_or_placeholder(&repo.owner),
        Some(Role::Admin),
    )];
    for c in repo
        .collaborators
        .values()
        .filter(|c| !c.login.eq_ignore_ascii_case(&repo.owner))
    {
        people.push(json::collaborator(
            &base,
            &state.user_or_placeholder(&c.login),
            Some(c.role),
        ));
    }
    Ok(paginate(&req, people))
}

/// `GET /repos/{o}/{r}/collaborators/{u}`: 204 for a collaborator, 404 otherwise.
async fn check_collaborator(
    sim: web::Data<Simulator>,
    path: UserPath,
) -> Result<HttpResponse, SimError> {
    let (owner, repo, username) = path.into_inner();
    let state = sim.lock();
    let repo = state.repo(&owner, &repo).ok_or(SimError::NotFound)?;
    repo.role_of(&username).ok_or(SimError::NotFound)?;
    Ok(HttpResponse::NoContent().finish())
}

/// `PUT /repos/{o}/{r}/collaborators/{u}` with `{"permission": ...}` (default `push`):
/// adds or changes the collaborator at once; 204.
async fn add_collaborator(
    sim: web::Data<Simulator>,
    path: UserPath,
    body: web::Bytes,
) -> Result<HttpResponse, SimError> {
    let (owner, repo, username) = path.into_inner();
    let body = parse_json(&body)?;
    let role = match body.get("permission") {
        None | Some(Value::Null) => Role::Write,
        Some(v) => v
            .as_str()
            .and_then(Role::parse)
            .ok_or_else(|| SimError::invalid("Repository", "invalid", "permission"))?,
    };
    let mut state = sim.lock();
    if state.repo(&owner, &repo).is_none() {
        // The sandbox can be seeded before any event names the repository.
        if !sim.options.allow_anonymous {
            return Err(SimError::NotFound);
        }
        crate::learn::ensure_repo(&mut state, &owner, &repo);
    }
    let user = state.ensure_user(&username, "User");
    let repo = state.repo_mut(&owner, &repo).ok_or(SimError::NotFound)?;
    if !repo.owner.eq_ignore_ascii_case(&user.login) {
        repo.collaborators.insert(
            user.login.to_lowercase(),
            Collaborator {
                login: user.login,
                role,
            },
        );
    }
    Ok(HttpResponse::NoContent().finish())
}

/// `DELETE /repos/{o}/{r}/collaborators/{u}`: 204, whether or not they were one.
async fn remove_collaborator(
    sim: web::Data<Simulator>,
    path: UserPath,
) -> Result<HttpResponse, SimError> {
    let (owner, repo, username) = path.into_inner();
    let mut state = sim.lock();
    let repo = state.repo_mut(&owner, &repo).ok_or(SimError::NotFound)?;
    repo.collaborators.remove(&username.to_lowercase());
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /repos/{o}/{r}/collaborators/{u}/permission`: the legacy `permission`
/// (admin/write/read/none), the fine `role_name`, and the user.
async fn get_permission(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: UserPath,
) -> Result<HttpResponse, SimError> {
    let (owner, repo, username) = path.into_inner();
    let mut state = sim.lock();
    let role = state
        .repo(&owner, &repo)
        .ok_or(SimError::NotFound)?
        .role_of(&username);
    let user = state.ensure_user(&username, "User");
    Ok(HttpResponse::Ok().json(json::permission(&base_url(&req), &user, role)))
}
