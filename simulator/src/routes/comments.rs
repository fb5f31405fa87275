//! Issue comments: listing and creating them on an issue
//! (`/repos/{o}/{r}/issues/{n}/comments`) and reading, editing and deleting one
//! (`/repos/{o}/{r}/issues/comments/{id}`).

use super::Routes;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde_json::Value;

use super::{actor, base_url, ensure_actor, issue_number, paginate, parse_json};
use crate::{
    error::SimError,
    json,
    state::{Comment, State},
    Simulator,
};

/// Registers this module's routes.
pub(super) fn config(r: &mut Routes) {
    r.get(
        "/repos/{owner}/{repo}/issues/{number}/comments",
        list_comments,
    );
    r.post(
        "/repos/{owner}/{repo}/issues/{number}/comments",
        create_comment,
    );
    r.get("/repos/{owner}/{repo}/issues/comments/{id}", get_comment);
    r.patch("/repos/{owner}/{repo}/issues/comments/{id}", update_comment);
    r.delete("/repos/{owner}/{repo}/issues/comments/{id}", delete_comment);
}

type Path3 = web::Path<(String, String, String)>;

/// `GET /repos/{o}/{r}/issues/{n}/comments`: the comments, oldest first, paginated.
async fn list_comments(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: Path3,
) -> Result<HttpResponse, SimError> {
    let (owner, repo, number) = path.into_inner();
    let number = issue_number(&number)?;
    let base = base_url(&req);
    let state = sim.lock();
    let repo = state.repo(&owner, &repo).ok_or(SimError::NotFound)?;
    let issue = repo.issues.get(&number).ok_or(SimError::NotFound)?;
    let comments = issue
        .comments
        .iter()
        .map(|c| json::comment(&base, &state, repo, number, c))
        .collect();
    Ok(paginate(&req, comments))
}

/// `POST /repos/{o}/{r}/issues/{n}/comments` with `{"body": ...}`: 201 with the new
/// comment, written by `gantry[bot]` or the login in the `x-sim-user` header.
async fn create_comment(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: Path3,
    body: web::Bytes,
) -> Result<HttpResponse, SimError> {
    let (owner, repo, number) = path.into_inner();
    let number = issue_number(&number)?;
    let text = comment_body(&parse_json(&body)?)?;
    let author = actor(&req);
    let mut state = sim.lock();
    if state
        .repo(&owner, &repo)
        .and_then(|r| r.issues.get(&number))
        .is_none()
    {
        return Err(SimError::NotFound);
    }
    ensure_actor(&mut state, &author);
    let id = state.next_id();
    let now = Utc::now();
    let comment = Comment {
        id,
        node_id: format!("IC_sim{id}"),
        body: text,
        user: author,
        created_at: now,
        updated_at: now,
        reactions: Vec::new(),
    };
    let issue = state
        .repo_mut(&owner, &repo)
        .and_then(|r| r.issues.get_mut(&number))
        .ok_or(SimError::NotFound)?;
    issue.comments.push(comment.clone());
    issue.updated_at = now;
    let repo = state.repo(&owner, &repo).ok_or(SimError::NotFound)?;
    Ok(HttpResponse::Created().json(json::comment(
        &base_url(&req),
        &state,
        repo,
        number,
        &comment,
    )))
}

/// `GET /repos/{o}/{r}/issues/comments/{id}`: one comment.
async fn get_comment(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: Path3,
) -> Result<HttpResponse, SimError> {
    let (owner, repo, id) = path.into_inner();
    let state = sim.lock();
    let (number, index) = find_comment(&state, &owner, &repo, &id)?;
    render(&state, &req, &owner, &repo, number, index)
}

/// `PATCH` (or `POST`) `/repos/{o}/{r}/issues/comments/{id}` with `{"body": ...}`: the
/// edited comment.
async fn update_comment(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: Path3,
    body: web::Bytes,
) -> Result<HttpResponse, SimError> {
    let (owner, repo, id) = path.into_inner();
    let text = comment_body(&parse_json(&body)?)?;
    let mut state = sim.lock();
    let (number, index) = find_comment(&state, &owner, &repo, &id)?;
    let comment = state
        .repo_mut(&owner, &repo)
        .and_then(|r| r.issues.get_mut(&number))
        .and_then(|i| i.comments.get_mut(index))
        .ok_or(SimError::NotFound)?;
    comment.body = text;
    comment.updated_at = Utc::now();
    render(&state, &req, &owner, &repo, number, index)
}

/// `DELETE /repos/{o}/{r}/issues/comments/{id}`: 204.
async fn delete_comment(sim: web::Data<Simulator>, path: Path3) -> Result<HttpResponse, SimError> {
    let (owner, repo, id) = path.into_inner();
    let mut state = sim.lock();
    let (number, index) = find_comment(&state, &owner, &repo, &id)?;
    if let Some(issue) = state
        .repo_mut(&owner, &repo)
        .and_then(|r| r.issues.get_mut(&number))
    {
        if index < issue.comments.len() {
            issue.comments.remove(index);
        }
    }
    Ok(HttpResponse::NoContent().finish())
}

/// The required, non-blank `body` of a comment request.
fn comment_body(body: &Value) -> Result<String, SimError> {
    body.get("body")
        .and_then(Value::as_str)
        .filter(|b| !b.trim().is_empty())
        .map(str::to_owned)
        .ok_or_else(|| SimError::invalid("IssueComment", "missing_field", "body"))
}

/// The issue number and position of comment `id` in a repository.
pub(super) fn find_comment(
    state: &State,
    owner: &str,
    repo: &str,
    id: &str,
) -> Result<(u64, usize), SimError> {
    let id: u64 = id.parse().map_err(|_| SimError::NotFound)?;
    let repo = state.repo(owner, repo).ok_or(SimError::NotFound)?;
    repo.issues
        .values()
        .find_map(|issue| {
            let index = issue.comments.iter().position(|c| c.id == id)?;
            Some((issue.number, index))
        })
        .ok_or(SimError::NotFound)
}

/// 200 with the comment at `index` on issue `number`.
fn render(
    state: &State,
    req: &HttpRequest,
    owner: &str,
    repo: &str,
    number: u64,
    index: usize,
) -> Result<HttpResponse, SimError> {
    let repo = state.repo(owner, repo).ok_or(SimError::NotFound)?;
    let comment = repo
        .issues
        .get(&number)
        .and_then(|i| i.comments.get(index))
        .ok_or(SimError::NotFound)?;
    Ok(HttpResponse::Ok().json(json::comment(&base_url(req), state, repo, number, comment)))
}
