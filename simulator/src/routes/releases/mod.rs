//! Releases (`/repos/{o}/{r}/releases[/{id}|/latest|/tags/{tag}]`) and their assets:
//! uploading one (`POST /repos/{o}/{r}/releases/{id}/assets?name=...`, served on this
//! server, where each release's `upload_url` points), listing and reading them.

use crate::routes::Routes;
use actix_web::{http::header, web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde_json::Value;

use super::{
    actor, base_url, ensure_actor, opt_bool, opt_string, paginate, parse_json, query,
    required_string, update_string,
};
use crate::{
    error::SimError,
    json,
    state::{Release, State},
    Simulator,
};

mod assets;

/// Registers this module's routes; `latest` and `assets` come before `{id}`.
pub(super) fn config(r: &mut Routes) {
    r.get("/repos/{owner}/{repo}/releases", list_releases);
    r.post("/repos/{owner}/{repo}/releases", create_release);
    r.get("/repos/{owner}/{repo}/releases/latest", get_latest_release);
    r.get(
        "/repos/{owner}/{repo}/releases/tags/{tag:.+}",
        get_release_by_tag,
    );
    assets::config(r);
    r.get("/repos/{owner}/{repo}/releases/{id}", get_release);
    r.patch("/repos/{owner}/{repo}/releases/{id}", update_release);
    r.delete("/repos/{owner}/{repo}/releases/{id}", delete_release);
}

type ReleasePath = web::Path<(String, String, String)>;

/// 200 with `release`, or 201 when `created`.
fn render(
    state: &State,
    req: &HttpRequest,
    owner: &str,
    repo: &str,
    release: &Release,
    created: bool,
) -> Result<HttpResponse, SimError> {
    let repo = state.repo(owner, repo).ok_or(SimError::NotFound)?;
    let body = json::releases::release(&base_url(req), state, repo, release);
    Ok(if created {
        HttpResponse::Created().json(body)
    } else {
        HttpResponse::Ok().json(body)
    })
}

/// The release `id` of a repository; 404 otherwise.
pub(super) fn find<'a>(
    state: &'a State,
    owner: &str,
    repo: &str,
    id: &str,
) -> Result<&'a Release, SimError> {
    let id: u64 = id.parse().map_err(|_| SimError::NotFound)?;
    state
        .repo(owner, repo)
        .ok_or(SimError::NotFound)?
        .releases
        .iter()
        .find(|r| r.id == id)
        .ok_or(SimError::NotFound)
}

/// `GET /repos/{o}/{r}/releases`: newest first, paginated.
async fn list_releases(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, SimError> {
    let (owner, repo) = path.into_inner();
    let base = base_url(&req);
    let state = sim.lock();
    let repo = state.repo(&owner, &repo).ok_or(SimError::NotFound)?;
    let items = repo
        .releases
        .iter()
        .rev()
        .map(|r| json::releases::release(&base, &state, repo, r))
        .collect();
    Ok(paginate(&req, items))
}

/// `GET /repos/{o}/{r}/releases/{id}`: one release.
async fn get_release(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: ReleasePath,
) -> Result<HttpResponse, SimError> {
    let (owner, repo, id) = path.into_inner();
    let state = sim.lock();
    let release = find(&state, &owner, &repo, &id)?;
    render(&state, &req, &owner, &repo, release, false)
}

/// `GET /repos/{o}/{r}/releases/latest`: the newest published release that is not a
/// prerelease; 404 when there is none.
async fn get_latest_release(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, SimError> {
    let (owner, repo) = path.into_inner();
    let state = sim.lock();
    let release = state
        .repo(&owner, &repo)
        .ok_or(SimError::NotFound)?
        .releases
        .iter()
        .rev()
        .find(|r| !r.draft && !r.prerelease)
        .ok_or(SimError::NotFound)?;
    render(&state, &req, &owner, &repo, release, false)
}

/// `GET /repos/{o}/{r}/releases/tags/{tag}`: the published release of a tag (drafts
/// are not found this way, as on GitHub).
async fn get_release_by_tag(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: ReleasePath,
) -> Result<HttpResponse, SimError> {
    let (owner, repo, tag) = path.into_inner();
    let state = sim.lock();
    let release = state
        .repo(&owner, &repo)
        .ok_or(SimError::NotFound)?
        .releases
        .iter()
        .find(|r| r.tag_name == tag && !r.draft)
        .ok_or(SimError::NotFound)?;
    render(&state, &req, &owner, &repo, release, false)
}

/// `POST /repos/{o}/{r}/releases` with `tag_name` (required), `target_commitish`
/// (default: the default branch), `name`, `body`, `draft` and `prerelease`: 201 with
/// the release. Publishing creates the tag at the target when it does not exist. 422
/// `already_exists` for a tag that has a release, `invalid` for a target that names no
/// commit.
async fn create_release(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, SimError> {
    let (owner, repo) = path.into_inner();
    let body = parse_json(&body)?;
    let tag_name = required_string(&body, "tag_name", "Release")?;
    let target = opt_string(&body, "target_commitish", "Release")?;
    let name = opt_string(&body, "name", "Release")?;
    let text = opt_string(&body, "body", "Release")?;
    let draft = opt_bool(&body, "draft", "Release")?.unwrap_or(false);
    let prerelease = opt_bool(&body, "prerelease", "Release")?.unwrap_or(false);
    let mut state = sim.lock();
    let known = state.repo(&owner, &repo).ok_or(SimError::NotFound)?;
    if known.releases.iter().any(|r| r.tag_name == tag_name) {
        return Err(SimError::invalid("Release", "already_exists", "tag_name"));
    }
    let target = target.unwrap_or_else(|| known.default_branch.clone());
    let author = ensure_actor(&mut state, &actor(&req));
    let id = state.next_id();
    let now = Utc::now();
    let release = Release {
        id,
        node_id: format!("RE_sim{id}"),
        tag_name,
        target_commitish: target,
        name,
        body: text,
        draft,
        prerelease,
        author,
        created_at: now,
        published_at: (!draft).then_some(now),
        assets: Vec::new(),
    };
    if !draft {
        create_tag(&mut state, &owner, &repo, &release)?;
    }
    state
        .repo_mut(&owner, &repo)
        .ok_or(SimError::NotFound)?
        .releases
        .push(release.clone());
    render(&state, &req, &owner, &repo, &release, true)
}

/// Creates `refs/tags/{tag}` at the release's target unless the tag exists; 422 when
/// the target names no commit.
fn create_tag(
    state: &mut State,
    owner: &str,
    repo: &str,
    release: &Release,
) -> Result<(), SimError> {
    let git = state
        .repo_mut(owner, repo)
        .ok_or(SimError::NotFound)?
        .git_mut();
    let name = format!("refs/tags/{}", release.tag_name);
    if git.refs.contains_key(&name) {
        return Ok(());
    }
    let sha = git
        .resolve(&release.target_commitish)
        .ok_or_else(|| SimError::invalid("Release", "invalid", "target_commitish"))?;
    git.refs.insert(name, sha);
    Ok(())
}

/// `PATCH /repos/{o}/{r}/releases/{id}`: changes `tag_name`, `target_commitish`,
/// `name`, `body`, `draft` and `prerelease`; publishing a draft sets `published_at`
/// and creates its tag. 200 with the release; 422 for a tag another release has.
async fn update_release(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: ReleasePath,
    body: web::Bytes,
) -> Result<HttpResponse, SimError> {
    let (owner, repo, id) = path.into_inner();
    let body = parse_json(&body)?;
    let mut state = sim.lock();
    let mut release = find(&state, &owner, &repo, &id)?.clone();
    apply_update(&mut release, &body)?;
    let taken = state
        .repo(&owner, &repo)
        .ok_or(SimError::NotFound)?
        .releases
        .iter()
        .any(|r| r.id != release.id && r.tag_name == release.tag_name);
    if taken {
        return Err(SimError::invalid("Release", "already_exists", "tag_name"));
    }
    if !release.draft {
        release.published_at.get_or_insert_with(Utc::now);
        create_tag(&mut state, &owner, &repo, &release)?;
    }
    let stored = state
        .repo_mut(&owner, &repo)
        .ok_or(SimError::NotFound)?
        .releases
        .iter_mut()
        .find(|r| r.id == release.id)
        .ok_or(SimError::NotFound)?;
    *stored = release.clone();
    render(&state, &req, &owner, &repo, &release, false)
}

/// Applies the fields of a `PATCH` body to `release`; 422 for a blank tag or a bad type.
fn apply_update(release: &mut Release, body: &Value) -> Result<(), SimError> {
    if let Some(tag) = opt_string(body, "tag_name", "Release")? {
        if tag.trim().is_empty() {
            return Err(SimError::invalid("Release", "invalid", "tag_name"));
        }
        release.tag_name = tag;
    }
    if let Some(target) = opt_string(body, "target_commitish", "Release")? {
        release.target_commitish = target;
    }
    if let Some(name) = update_string(body, "name", "Release")? {
        release.name = name;
    }
    if let Some(text) = update_string(body, "body", "Release")? {
        release.body = text;
    }
    if let Some(draft) = opt_bool(body, "draft", "Release")? {
        release.draft = draft;
        if draft {
            release.published_at = None;
        }
    }
    if let Some(prerelease) = opt_bool(body, "prerelease", "Release")? {
        release.prerelease = prerelease;
    }
    Ok(())
}

/// `DELETE /repos/{o}/{r}/releases/{id}`: 204; the tag stays, as on GitHub.
async fn delete_release(
    sim: web::Data<Simulator>,
    path: ReleasePath,
) -> Result<HttpResponse, SimError> {
    let (owner, repo, id) = path.into_inner();
    let mut state = sim.lock();
    let id = find(&state, &owner, &repo, &id)?.id;
    state
        .repo_mut(&owner, &repo)
        .ok_or(SimError::NotFound)?
        .releases
        .retain(|r| r.id != id);
    Ok(HttpResponse::NoContent().finish())
}

/// The `content-type` of a request, or `application/octet-stream`.
fn content_type(req: &HttpRequest) -> String {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
        .unwrap_or("application/octet-stream")
        .to_owned()
}

/// The `name` and `label` query parameters of an upload.
fn upload_names(req: &HttpRequest) -> (Option<String>, Option<String>) {
    (query(req, "name"), query(req, "label"))
}
