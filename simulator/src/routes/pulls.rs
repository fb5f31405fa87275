//! Pull requests: reading one (`/repos/{o}/{r}/pulls/{n}`), its changed files
//! (`.../files`), requesting and removing reviewers (`.../requested_reviewers`) and
//! merging it (`.../merge`). Reviews live in `reviews`.

use super::Routes;
use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde_json::json;

use super::{
    actor, base_url, ensure_actor, issue_number, opt_string, opt_strings, paginate, parse_json,
};
use crate::{
    error::SimError,
    json,
    state::{Signature, State},
    Simulator,
};

/// Registers this module's routes.
pub(super) fn config(r: &mut Routes) {
    r.get("/repos/{owner}/{repo}/pulls/{number}", get_pull_request);
    r.get("/repos/{owner}/{repo}/pulls/{number}/files", list_files);
    r.post(
        "/repos/{owner}/{repo}/pulls/{number}/requested_reviewers",
        request_reviewers,
    );
    r.delete(
        "/repos/{owner}/{repo}/pulls/{number}/requested_reviewers",
        remove_requested_reviewers,
    );
    r.put(
        "/repos/{owner}/{repo}/pulls/{number}/merge",
        merge_pull_request,
    );
}

type PullPath = web::Path<(String, String, String)>;

/// `GET /repos/{owner}/{repo}/pulls/{number}`: the pull request object; 404 for an issue.
async fn get_pull_request(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: PullPath,
) -> Result<HttpResponse, SimError> {
    let (owner, repo, number) = path.into_inner();
    let number = issue_number(&number)?;
    Ok(HttpResponse::Ok().json(render(&sim.lock(), &req, &owner, &repo, number)?))
}

/// `GET /repos/{o}/{r}/pulls/{n}/files`: the changed files, as seeded with
/// `Simulator::set_pull_files`, paginated.
async fn list_files(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: PullPath,
) -> Result<HttpResponse, SimError> {
    let (owner, repo, number) = path.into_inner();
    let number = issue_number(&number)?;
    let base = base_url(&req);
    let state = sim.lock();
    let repo = state.repo(&owner, &repo).ok_or(SimError::NotFound)?;
    let issue = repo.issues.get(&number).ok_or(SimError::NotFound)?;
    let pull = issue.pull.as_ref().ok_or(SimError::NotFound)?;
    let files = pull
        .files
        .iter()
        .map(|f| json::pulls::file(&base, repo, &pull.head_sha, f))
        .collect();
    Ok(paginate(&req, files))
}

/// `POST /repos/{o}/{r}/pulls/{n}/requested_reviewers` with `{"reviewers": [...]}`:
/// 201 with the pull request. As on GitHub, 422 when a reviewer is not a collaborator
/// or is the author. Team reviewers are accepted and ignored.
async fn request_reviewers(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: PullPath,
    body: web::Bytes,
) -> Result<HttpResponse, SimError> {
    let (owner, repo, number) = path.into_inner();
    let number = issue_number(&number)?;
    let body = parse_json(&body)?;
    let wanted = opt_strings(&body, "reviewers", "PullRequest")?.unwrap_or_default();
    let mut state = sim.lock();
    let known = state.repo(&owner, &repo).ok_or(SimError::NotFound)?;
    let issue = known.issues.get(&number).ok_or(SimError::NotFound)?;
    issue.pull.as_ref().ok_or(SimError::NotFound)?;
    if wanted.iter().any(|w| w.eq_ignore_ascii_case(&issue.user)) {
        return Err(SimError::status(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Review cannot be requested from pull request author.",
        ));
    }
    if wanted.iter().any(|w| known.role_of(w).is_none()) {
        return Err(SimError::status(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!(
                "Reviews may only be requested from collaborators. One or more of the users \
                 or teams you specified is not a collaborator of the {}/{} repository.",
                known.owner, known.name
            ),
        ));
    }
    let logins: Vec<String> = wanted
        .iter()
        .map(|w| state.user_or_placeholder(w).login)
        .collect();
    let pull = state
        .repo_mut(&owner, &repo)
        .and_then(|r| r.issues.get_mut(&number))
        .and_then(|i| i.pull.as_mut())
        .ok_or(SimError::NotFound)?;
    for login in logins {
        if !pull
            .requested_reviewers
            .iter()
            .any(|r| r.eq_ignore_ascii_case(&login))
        {
            pull.requested_reviewers.push(login);
        }
    }
    Ok(HttpResponse::Created().json(render(&state, &req, &owner, &repo, number)?))
}

/// `DELETE /repos/{o}/{r}/pulls/{n}/requested_reviewers` with `{"reviewers": [...]}`
/// (required): 200 with the pull request.
async fn remove_requested_reviewers(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: PullPath,
    body: web::Bytes,
) -> Result<HttpResponse, SimError> {
    let (owner, repo, number) = path.into_inner();
    let number = issue_number(&number)?;
    let gone = opt_strings(&parse_json(&body)?, "reviewers", "PullRequest")?
        .ok_or_else(|| SimError::invalid("PullRequest", "missing_field", "reviewers"))?;
    let mut state = sim.lock();
    let pull = state
        .repo_mut(&owner, &repo)
        .and_then(|r| r.issues.get_mut(&number))
        .and_then(|i| i.pull.as_mut())
        .ok_or(SimError::NotFound)?;
    pull.requested_reviewers
        .retain(|r| !gone.iter().any(|g| g.eq_ignore_ascii_case(r)));
    Ok(HttpResponse::Ok().json(render(&state, &req, &owner, &repo, number)?))
}

/// `PUT /repos/{o}/{r}/pulls/{n}/merge` with optional `commit_title`,
/// `commit_message`, `sha` and `merge_method` (`merge`, `squash` or `rebase`): merges
/// the head into the base branch with a new commit and closes the pull request; 200
/// `{"sha", "merged": true, "message"}`. 405 when it is not mergeable (closed,
/// merged, draft, or marked unmergeable), 409 when `sha` is not the head.
async fn merge_pull_request(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: PullPath,
    body: web::Bytes,
) -> Result<HttpResponse, SimError> {
    let (owner, repo, number) = path.into_inner();
    let number = issue_number(&number)?;
    let body = parse_json(&body)?;
    let method = opt_string(&body, "merge_method", "PullRequest")?;
    let method = method.as_deref().unwrap_or("merge");
    if !["merge", "squash", "rebase"].contains(&method) {
        return Err(SimError::invalid("PullRequest", "invalid", "merge_method"));
    }
    let expected = opt_string(&body, "sha", "PullRequest")?;
    let title = opt_string(&body, "commit_title", "PullRequest")?;
    let extra = opt_string(&body, "commit_message", "PullRequest")?;
    let mut state = sim.lock();
    let known = state.repo(&owner, &repo).ok_or(SimError::NotFound)?;
    let issue = known.issues.get(&number).ok_or(SimError::NotFound)?;
    let pull = issue.pull.clone().ok_or(SimError::NotFound)?;
    if !issue.is_mergeable() {
        return Err(SimError::status(
            StatusCode::METHOD_NOT_ALLOWED,
            "Pull Request is not mergeable",
        ));
    }
    if expected.is_some_and(|sha| !sha.eq_ignore_ascii_case(&pull.head_sha)) {
        return Err(SimError::status(
            StatusCode::CONFLICT,
            "Head branch was modified. Review and try the merge again.",
        ));
    }
    let title = title.unwrap_or_else(|| match method {
        "merge" => format!(
            "Merge pull request #{number} from {}/{}",
            known.owner, pull.head_ref
        ),
        _ => format!("{} (#{number})", issue.title),
    });
    let message = match extra {
        Some(extra) => format!("{title}\n\n{extra}"),
        None => title,
    };
    let merger = ensure_actor(&mut state, &actor(&req));
    let sha = merge_commit(&mut state, &owner, &repo, &pull, &message, &merger)?;
    let issue = state
        .repo_mut(&owner, &repo)
        .and_then(|r| r.issues.get_mut(&number))
        .ok_or(SimError::NotFound)?;
    let now = Utc::now();
    issue.open = false;
    issue.closed_at = Some(now);
    issue.updated_at = now;
    if let Some(pull) = issue.pull.as_mut() {
        pull.merged = true;
        pull.merged_at = Some(now);
        pull.merge_commit_sha = Some(sha.clone());
        pull.merged_by = Some(merger);
    }
    Ok(HttpResponse::Ok().json(json!({
        "sha": sha,
        "merged": true,
        "message": "Pull Request successfully merged",
    })))
}

/// Makes the merge commit on the base branch (creating the branch at the recorded
/// base commit if the simulator never saw it) and returns its id.
fn merge_commit(
    state: &mut State,
    owner: &str,
    repo: &str,
    pull: &crate::state::PullInfo,
    message: &str,
    merger: &str,
) -> Result<String, SimError> {
    let salt = state.next_id();
    let repo = state.repo_mut(owner, repo).ok_or(SimError::NotFound)?;
    let now = Utc::now();
    let git = repo.git_mut();
    git.adopt(&pull.head_sha, now);
    git.adopt(&pull.base_sha, now);
    if git.branch(&pull.base_ref).is_none() {
        let base = git.resolve(&pull.base_sha.to_ascii_lowercase());
        if let Some(base) = base {
            git.refs
                .insert(format!("refs/heads/{}", pull.base_ref), base);
        }
    }
    let head = pull.head_sha.to_ascii_lowercase();
    let who = Signature {
        name: merger.to_owned(),
        email: format!("{merger}@users.noreply.github.com"),
        date: now,
    };
    git.merge(&pull.base_ref, &head, message, &who, salt)
        .ok_or_else(|| {
            SimError::status(
                StatusCode::METHOD_NOT_ALLOWED,
                "Pull Request is not mergeable",
            )
        })
}

/// The pull request object of issue `number`; 404 when it is not a pull request.
fn render(
    state: &State,
    req: &HttpRequest,
    owner: &str,
    repo: &str,
    number: u64,
) -> Result<serde_json::Value, SimError> {
    let repo = state.repo(owner, repo).ok_or(SimError::NotFound)?;
    let issue = repo.issues.get(&number).ok_or(SimError::NotFound)?;
    json::pull_request(&base_url(req), state, repo, issue).ok_or(SimError::NotFound)
}
