//! Repository contents: reading a file or directory
//! (`GET /repos/{o}/{r}/contents/{path}?ref=`), and creating, updating or deleting a
//! file (`PUT`/`DELETE` on the same path), each write a commit on a branch.

use super::Routes;
use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use base64::{engine::general_purpose::STANDARD, Engine as _};
use chrono::Utc;
use serde_json::{json, Value};

use super::{actor, base_url, ensure_actor, opt_string, parse_json, query, required_string};
use crate::{
    error::SimError,
    json::{self, git::Entry},
    state::{Signature, State},
    Simulator,
};

/// The largest request body a contents write accepts (base64 makes files a third larger).
const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// Registers this module's routes.
pub(super) fn config(r: &mut Routes) {
    r.payload_limit("/repos/{owner}/{repo}/contents/{path:.*}", MAX_BODY_BYTES);
    r.get("/repos/{owner}/{repo}/contents", get_root);
    r.get("/repos/{owner}/{repo}/contents/{path:.*}", get_contents);
    r.put("/repos/{owner}/{repo}/contents/{path:.*}", put_file);
    r.delete("/repos/{owner}/{repo}/contents/{path:.*}", delete_file);
}

type ContentPath = web::Path<(String, String, String)>;

/// `GET /repos/{o}/{r}/contents`: the root directory.
async fn get_root(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, SimError> {
    let (owner, repo) = path.into_inner();
    read(&mut sim.lock(), &req, &owner, &repo, "")
}

/// `GET /repos/{o}/{r}/contents/{path}[?ref=]`: a file (with base64 `content` and its
/// blob `sha`) or a directory listing (an array), at `ref` or the default branch. 404
/// for a missing path, or "No commit found for the ref ..." for an unknown ref.
async fn get_contents(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: ContentPath,
) -> Result<HttpResponse, SimError> {
    let (owner, repo, file) = path.into_inner();
    read(&mut sim.lock(), &req, &owner, &repo, file.trim_matches('/'))
}

fn read(
    state: &mut State,
    req: &HttpRequest,
    owner: &str,
    repo: &str,
    path: &str,
) -> Result<HttpResponse, SimError> {
    let known = state.repo_mut(owner, repo).ok_or(SimError::NotFound)?;
    let git_ref = query(req, "ref").unwrap_or_else(|| known.default_branch.clone());
    let git = known.git_mut();
    let commit = git.resolve(&git_ref).ok_or_else(|| {
        SimError::status(
            StatusCode::NOT_FOUND,
            format!("No commit found for the ref {git_ref}"),
        )
    })?;
    let known = state.repo(owner, repo).ok_or(SimError::NotFound)?;
    let git = &known.git;
    let base = base_url(req);
    if let Some(blob) = git.files_at(&commit).and_then(|f| f.get(path)) {
        let bytes = git.blob(blob).unwrap_or_default();
        let entry = Entry::File(&bytes);
        let body = json::git::content(&base, known, path, blob, &git_ref, &entry);
        return Ok(HttpResponse::Ok().json(body));
    }
    let listing = git.list_dir(&commit, path).ok_or(SimError::NotFound)?;
    let items: Vec<Value> = listing
        .iter()
        .map(|e| {
            let entry = if e.is_dir {
                Entry::Dir
            } else {
                Entry::Listed(git.blob(&e.sha).map_or(0, |b| b.len()))
            };
            json::git::content(&base, known, &e.path, &e.sha, &git_ref, &entry)
        })
        .collect();
    Ok(HttpResponse::Ok().json(items))
}

/// What a contents write asks for.
struct Write {
    message: String,
    sha: Option<String>,
    branch: Option<String>,
    author: Option<(String, String)>,
}

impl Write {
    fn parse(body: &Value, resource: &str) -> Result<Self, SimError> {
        let person = |field| -> Result<Option<(String, String)>, SimError> {
            match body.get(field).filter(|v| !v.is_null()) {
                Some(p) => Ok(Some((
                    required_string(p, "name", resource)?,
                    required_string(p, "email", resource)?,
                ))),
                None => Ok(None),
            }
        };
        Ok(Self {
            message: required_string(body, "message", resource)?,
            sha: opt_string(body, "sha", resource)?,
            branch: opt_string(body, "branch", resource)?,
            author: person("author")?.or(person("committer")?),
        })
    }
}

/// `PUT /repos/{o}/{r}/contents/{path}` with `message` and `content` (base64,
/// required), `sha` (required to replace an existing file), `branch` and
/// `author`/`committer`: commits the file; 201 when created, 200 when replaced, with
/// `{"content", "commit"}`. 404 for an unknown branch, 422 when `sha` is missing for
/// an existing file or `content` is not base64, 409 "<path> does not match <sha>".
async fn put_file(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: ContentPath,
    body: web::Bytes,
) -> Result<HttpResponse, SimError> {
    let (owner, repo, file) = path.into_inner();
    let file = file.trim_matches('/').to_owned();
    let body = parse_json(&body)?;
    let write = Write::parse(&body, "Content")?;
    let encoded = required_string(&body, "content", "Content")?;
    let cleaned: String = encoded.split_whitespace().collect();
    let bytes = STANDARD
        .decode(cleaned)
        .map_err(|_| SimError::invalid("Content", "invalid", "content"))?;
    if file.is_empty() {
        return Err(SimError::NotFound);
    }
    let mut state = sim.lock();
    let (branch, existing) = target(&mut state, &owner, &repo, &write, &file)?;
    match (&existing, &write.sha) {
        (Some(_), None) => {
            return Err(SimError::status(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Invalid request.\n\n\"sha\" wasn't supplied.",
            ))
        }
        (Some(blob), Some(sha)) if !blob.eq_ignore_ascii_case(sha) => {
            return Err(mismatch(&file, sha))
        }
        _ => {}
    }
    let spot = Spot {
        owner: &owner,
        repo: &repo,
        branch: &branch,
        file: &file,
    };
    let commit = commit(&mut state, &req, &spot, Some(&bytes), &write)?;
    let known = state.repo(&owner, &repo).ok_or(SimError::NotFound)?;
    let blob = known
        .git
        .files_at(&commit)
        .and_then(|f| f.get(&file))
        .cloned()
        .unwrap_or_default();
    let base = base_url(&req);
    let listed = Entry::Listed(bytes.len());
    let body = json!({
        "content": json::git::content(&base, known, &file, &blob, &branch, &listed),
        "commit": known.git.commits.get(&commit).map(|c| json::git::git_commit(&base, known, c)),
    });
    Ok(if existing.is_some() {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::Created().json(body)
    })
}

/// `DELETE /repos/{o}/{r}/contents/{path}` with `message` and `sha` (required),
/// `branch` and `author`/`committer`: commits the deletion; 200 with
/// `{"content": null, "commit"}`. 404 for a missing file or branch, 409 for a
/// mismatched `sha`.
async fn delete_file(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: ContentPath,
    body: web::Bytes,
) -> Result<HttpResponse, SimError> {
    let (owner, repo, file) = path.into_inner();
    let file = file.trim_matches('/').to_owned();
    let body = parse_json(&body)?;
    let write = Write::parse(&body, "Content")?;
    let sha = write
        .sha
        .clone()
        .ok_or_else(|| SimError::invalid("Content", "missing_field", "sha"))?;
    let mut state = sim.lock();
    let (branch, existing) = target(&mut state, &owner, &repo, &write, &file)?;
    let blob = existing.ok_or(SimError::NotFound)?;
    if !blob.eq_ignore_ascii_case(&sha) {
        return Err(mismatch(&file, &sha));
    }
    let spot = Spot {
        owner: &owner,
        repo: &repo,
        branch: &branch,
        file: &file,
    };
    let commit = commit(&mut state, &req, &spot, None, &write)?;
    let known = state.repo(&owner, &repo).ok_or(SimError::NotFound)?;
    let base = base_url(&req);
    Ok(HttpResponse::Ok().json(json!({
        "content": null,
        "commit": known.git.commits.get(&commit).map(|c| json::git::git_commit(&base, known, c)),
    })))
}

/// The branch a write goes to (checked first, as GitHub does) and the blob id of
/// `file` there, if it exists.
fn target(
    state: &mut State,
    owner: &str,
    repo: &str,
    write: &Write,
    file: &str,
) -> Result<(String, Option<String>), SimError> {
    let known = state.repo_mut(owner, repo).ok_or(SimError::NotFound)?;
    let branch = write
        .branch
        .clone()
        .unwrap_or_else(|| known.default_branch.clone());
    let git = known.git_mut();
    let head = git.branch(&branch).map(str::to_owned).ok_or_else(|| {
        SimError::status(StatusCode::NOT_FOUND, format!("Branch {branch} not found"))
    })?;
    let existing = git.files_at(&head).and_then(|f| f.get(file)).cloned();
    Ok((branch, existing))
}

/// The 409 GitHub answers when `sha` is not the file's blob.
fn mismatch(file: &str, sha: &str) -> SimError {
    SimError::status(StatusCode::CONFLICT, format!("{file} does not match {sha}"))
}

/// Where a contents write lands: repository, branch and file path.
struct Spot<'a> {
    owner: &'a str,
    repo: &'a str,
    branch: &'a str,
    file: &'a str,
}

/// Commits `data` (or the deletion, for `None`) at `spot` as the request's author.
fn commit(
    state: &mut State,
    req: &HttpRequest,
    spot: &Spot<'_>,
    data: Option<&[u8]>,
    write: &Write,
) -> Result<String, SimError> {
    let login = ensure_actor(state, &actor(req));
    let (name, email) = write
        .author
        .clone()
        .unwrap_or_else(|| (login.clone(), format!("{login}@users.noreply.github.com")));
    let salt = state.next_id();
    let who = Signature {
        name,
        email,
        date: Utc::now(),
    };
    state
        .repo_mut(spot.owner, spot.repo)
        .ok_or(SimError::NotFound)?
        .git_mut()
        .commit_file(spot.branch, spot.file, data, &write.message, &who, salt)
        .ok_or(SimError::NotFound)
}
