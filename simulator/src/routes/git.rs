//! Git data: refs (`/repos/{o}/{r}/git/ref/{ref}`, `.../git/matching-refs/{prefix}`,
//! `.../git/refs[/{ref}]`), annotated tags (`.../git/tags[/{sha}]`), and the
//! friendlier views of the same data: tags (`.../tags`), branches
//! (`.../branches[/{branch}]`) and commits (`.../commits/{ref}`).

use super::Routes;
use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{base_url, checks::no_commit, opt_bool, paginate, parse_json, required_string};
use crate::{
    error::SimError,
    json,
    state::{GitTagObject, Signature, State},
    Simulator,
};

/// Registers this module's routes.
pub(super) fn config(r: &mut Routes) {
    r.get("/repos/{owner}/{repo}/git/ref/{ref:.+}", get_ref);
    r.get(
        "/repos/{owner}/{repo}/git/matching-refs/{ref:.*}",
        matching_refs,
    );
    r.post("/repos/{owner}/{repo}/git/refs", create_ref);
    r.patch("/repos/{owner}/{repo}/git/refs/{ref:.+}", update_ref);
    r.delete("/repos/{owner}/{repo}/git/refs/{ref:.+}", delete_ref);
    r.post("/repos/{owner}/{repo}/git/tags", create_tag);
    r.get("/repos/{owner}/{repo}/git/tags/{sha}", get_tag);
    r.get("/repos/{owner}/{repo}/tags", list_tags);
    r.get("/repos/{owner}/{repo}/branches", list_branches);
    r.get("/repos/{owner}/{repo}/branches/{branch:.+}", get_branch);
    r.get("/repos/{owner}/{repo}/commits/{ref:.+}", get_commit);
}

type RefPath = web::Path<(String, String, String)>;

/// The ref as JSON, typed by the object it points at.
fn render_ref(
    state: &State,
    req: &HttpRequest,
    owner: &str,
    repo: &str,
    name: &str,
) -> Result<Value, SimError> {
    let repo = state.repo(owner, repo).ok_or(SimError::NotFound)?;
    let sha = repo.git.refs.get(name).ok_or(SimError::NotFound)?;
    let kind = repo.git.object_type(sha).unwrap_or("commit");
    Ok(json::git::git_ref(&base_url(req), repo, name, sha, kind))
}

/// `GET /repos/{o}/{r}/git/ref/{heads/x | tags/y}` (and the older
/// `.../git/refs/{ref}`): one ref; 404 when there is no such ref.
async fn get_ref(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: RefPath,
) -> Result<HttpResponse, SimError> {
    let (owner, repo, name) = path.into_inner();
    let mut state = sim.lock();
    state
        .repo_mut(&owner, &repo)
        .ok_or(SimError::NotFound)?
        .git_mut();
    let full = format!("refs/{}", name.trim_start_matches("refs/"));
    Ok(HttpResponse::Ok().json(render_ref(&state, &req, &owner, &repo, &full)?))
}

/// `GET /repos/{o}/{r}/git/matching-refs/{prefix}`: every ref whose name starts with
/// `refs/{prefix}`, sorted by name, paginated (an empty list when none match).
async fn matching_refs(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: RefPath,
) -> Result<HttpResponse, SimError> {
    let (owner, repo, prefix) = path.into_inner();
    let mut state = sim.lock();
    state
        .repo_mut(&owner, &repo)
        .ok_or(SimError::NotFound)?
        .git_mut();
    let known = state.repo(&owner, &repo).ok_or(SimError::NotFound)?;
    let prefix = format!("refs/{}", prefix.trim_start_matches("refs/"));
    let base = base_url(&req);
    let items = known
        .git
        .refs
        .iter()
        .filter(|(name, _)| name.starts_with(&prefix))
        .map(|(name, sha)| {
            let kind = known.git.object_type(sha).unwrap_or("commit");
            json::git::git_ref(&base, known, name, sha, kind)
        })
        .collect();
    Ok(paginate(&req, items))
}

/// `POST /repos/{o}/{r}/git/refs` with `ref` (`refs/heads/x`, with at least two
/// slashes) and `sha`: 201 with the ref. 422 "Reference already exists", "Reference
/// name is invalid" or "Object does not exist" (a full SHA not seen before is adopted
/// as a commit).
async fn create_ref(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, SimError> {
    let (owner, repo) = path.into_inner();
    let body = parse_json(&body)?;
    let name = required_string(&body, "ref", "Reference")?;
    let sha = required_string(&body, "sha", "Reference")?.to_ascii_lowercase();
    let unprocessable = |m: &str| SimError::status(StatusCode::UNPROCESSABLE_ENTITY, m);
    if !name.starts_with("refs/") || name.matches('/').count() < 2 || name.ends_with('/') {
        return Err(unprocessable("Reference name is invalid"));
    }
    let mut state = sim.lock();
    let git = state
        .repo_mut(&owner, &repo)
        .ok_or(SimError::NotFound)?
        .git_mut();
    if git.refs.contains_key(&name) {
        return Err(unprocessable("Reference already exists"));
    }
    if git.object_type(&sha).is_none() {
        git.adopt(&sha, Utc::now());
    }
    if git.object_type(&sha).is_none() {
        return Err(unprocessable("Object does not exist"));
    }
    git.refs.insert(name.clone(), sha);
    Ok(HttpResponse::Created().json(render_ref(&state, &req, &owner, &repo, &name)?))
}

/// `PATCH /repos/{o}/{r}/git/refs/{ref}` with `sha` and `force`: moves the ref; 200
/// with it. 422 "Reference does not exist", "Object does not exist", or "Update is not
/// a fast forward" when the new commit does not descend from the old and `force` is
/// not set.
async fn update_ref(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: RefPath,
    body: web::Bytes,
) -> Result<HttpResponse, SimError> {
    let (owner, repo, name) = path.into_inner();
    let body = parse_json(&body)?;
    let sha = required_string(&body, "sha", "Reference")?.to_ascii_lowercase();
    let force = opt_bool(&body, "force", "Reference")?.unwrap_or(false);
    let full = format!("refs/{}", name.trim_start_matches("refs/"));
    let unprocessable = |m: &str| SimError::status(StatusCode::UNPROCESSABLE_ENTITY, m);
    let mut state = sim.lock();
    let git = state
        .repo_mut(&owner, &repo)
        .ok_or(SimError::NotFound)?
        .git_mut();
    let old = git
        .refs
        .get(&full)
        .cloned()
        .ok_or_else(|| unprocessable("Reference does not exist"))?;
    if git.object_type(&sha).is_none() {
        git.adopt(&sha, Utc::now());
    }
    if git.object_type(&sha).is_none() {
        return Err(unprocessable("Object does not exist"));
    }
    if !force && !git.is_ancestor(&old, &sha) {
        return Err(unprocessable("Update is not a fast forward"));
    }
    git.refs.insert(full.clone(), sha);
    Ok(HttpResponse::Ok().json(render_ref(&state, &req, &owner, &repo, &full)?))
}

/// `DELETE /repos/{o}/{r}/git/refs/{ref}`: 204; 422 "Reference does not exist".
async fn delete_ref(sim: web::Data<Simulator>, path: RefPath) -> Result<HttpResponse, SimError> {
    let (owner, repo, name) = path.into_inner();
    let full = format!("refs/{}", name.trim_start_matches("refs/"));
    let mut state = sim.lock();
    let git = state
        .repo_mut(&owner, &repo)
        .ok_or(SimError::NotFound)?
        .git_mut();
    if git.refs.remove(&full).is_none() {
        return Err(SimError::status(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Reference does not exist",
        ));
    }
    Ok(HttpResponse::NoContent().finish())
}

/// `POST /repos/{o}/{r}/git/tags` with `tag`, `message`, `object`, `type` (required)
/// and `tagger`: 201 with the annotated tag object. As on GitHub, this makes no ref:
/// create `refs/tags/{tag}` pointing at the returned SHA to publish it. 422 for a
/// missing field, a bad type or an unknown object.
async fn create_tag(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, SimError> {
    let (owner, repo) = path.into_inner();
    let body = parse_json(&body)?;
    let tag = required_string(&body, "tag", "Tag")?;
    let message = required_string(&body, "message", "Tag")?;
    let object = required_string(&body, "object", "Tag")?.to_ascii_lowercase();
    let object_type = required_string(&body, "type", "Tag")?;
    if !["commit", "tree", "blob", "tag"].contains(&object_type.as_str()) {
        return Err(SimError::invalid("Tag", "invalid", "type"));
    }
    let tagger = match body.get("tagger").filter(|t| !t.is_null()) {
        Some(t) => Signature {
            name: required_string(t, "name", "Tag")?,
            email: required_string(t, "email", "Tag")?,
            date: match t.get("date").and_then(Value::as_str) {
                Some(d) => DateTime::parse_from_rfc3339(d)
                    .map_err(|_| SimError::invalid("Tag", "invalid", "tagger"))?
                    .with_timezone(&Utc),
                None => Utc::now(),
            },
        },
        None => Signature::github(Utc::now()),
    };
    let mut state = sim.lock();
    let known = state.repo_mut(&owner, &repo).ok_or(SimError::NotFound)?;
    let git = known.git_mut();
    if object_type == "commit" {
        git.adopt(&object, Utc::now());
    }
    if git.object_type(&object).is_none() {
        return Err(SimError::invalid("Tag", "invalid", "object"));
    }
    let sha = git.store_tag(GitTagObject {
        sha: String::new(),
        tag,
        message,
        object,
        object_type,
        tagger,
    });
    let known = state.repo(&owner, &repo).ok_or(SimError::NotFound)?;
    let tag = known.git.tags.get(&sha).ok_or(SimError::NotFound)?;
    Ok(HttpResponse::Created().json(json::git::tag_object(&base_url(&req), known, tag)))
}

/// `GET /repos/{o}/{r}/git/tags/{sha}`: one annotated tag object.
async fn get_tag(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: RefPath,
) -> Result<HttpResponse, SimError> {
    let (owner, repo, sha) = path.into_inner();
    let state = sim.lock();
    let known = state.repo(&owner, &repo).ok_or(SimError::NotFound)?;
    let tag = known
        .git
        .tags
        .get(&sha.to_ascii_lowercase())
        .ok_or(SimError::NotFound)?;
    Ok(HttpResponse::Ok().json(json::git::tag_object(&base_url(&req), known, tag)))
}

/// `GET /repos/{o}/{r}/tags`: every tag with the commit it points at (annotated tags
/// peeled), names in descending order, paginated.
async fn list_tags(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, SimError> {
    let (owner, repo) = path.into_inner();
    let state = sim.lock();
    let known = state.repo(&owner, &repo).ok_or(SimError::NotFound)?;
    let base = base_url(&req);
    let items = known
        .git
        .refs
        .keys()
        .rev()
        .filter_map(|name| {
            let short = name.strip_prefix("refs/tags/")?;
            let commit = known.git.resolve(name)?;
            Some(json::git::tag(&base, known, short, &commit))
        })
        .collect();
    Ok(paginate(&req, items))
}

/// `GET /repos/{o}/{r}/branches`: every branch with its head commit, by name,
/// paginated.
async fn list_branches(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, SimError> {
    let (owner, repo) = path.into_inner();
    let mut state = sim.lock();
    state
        .repo_mut(&owner, &repo)
        .ok_or(SimError::NotFound)?
        .git_mut();
    let known = state.repo(&owner, &repo).ok_or(SimError::NotFound)?;
    let base = base_url(&req);
    let items = known
        .git
        .refs
        .iter()
        .filter_map(|(name, sha)| {
            let short = name.strip_prefix("refs/heads/")?;
            let commit = known.git.commits.get(sha)?;
            Some(serde_json::json!({
                "name": short,
                "commit": {"sha": sha, "url": format!("{}/commits/{sha}", json::repo_url(&base, known))},
                "protected": false,
            }))
            .filter(|_| !commit.sha.is_empty())
        })
        .collect();
    Ok(paginate(&req, items))
}

/// `GET /repos/{o}/{r}/branches/{branch}`: the branch with its head commit; 404
/// "Branch not found".
async fn get_branch(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: RefPath,
) -> Result<HttpResponse, SimError> {
    let (owner, repo, branch) = path.into_inner();
    let mut state = sim.lock();
    state
        .repo_mut(&owner, &repo)
        .ok_or(SimError::NotFound)?
        .git_mut();
    let known = state.repo(&owner, &repo).ok_or(SimError::NotFound)?;
    let not_found = || SimError::status(StatusCode::NOT_FOUND, "Branch not found");
    let sha = known.git.branch(&branch).ok_or_else(not_found)?;
    let commit = known.git.commits.get(sha).ok_or_else(not_found)?;
    Ok(HttpResponse::Ok().json(json::git::branch(
        &base_url(&req),
        &state,
        known,
        &branch,
        commit,
    )))
}

/// `GET /repos/{o}/{r}/commits/{ref}`: the commit a branch, tag or SHA (or unique SHA
/// prefix) names; 422 "No commit found for SHA: ..." otherwise.
async fn get_commit(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: RefPath,
) -> Result<HttpResponse, SimError> {
    let (owner, repo, git_ref) = path.into_inner();
    let mut state = sim.lock();
    let sha = state
        .repo_mut(&owner, &repo)
        .ok_or(SimError::NotFound)?
        .git_mut()
        .resolve(&git_ref)
        .ok_or_else(|| no_commit(&git_ref))?;
    let known = state.repo(&owner, &repo).ok_or(SimError::NotFound)?;
    let commit = known
        .git
        .commits
        .get(&sha)
        .ok_or_else(|| no_commit(&git_ref))?;
    Ok(HttpResponse::Ok().json(json::git::repo_commit(
        &base_url(&req),
        &state,
        known,
        commit,
    )))
}
