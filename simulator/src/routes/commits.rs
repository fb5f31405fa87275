//! Commits between two points: a pull request's commits
//! (`GET /repos/{o}/{r}/pulls/{n}/commits`) and comparing two refs
//! (`GET /repos/{o}/{r}/compare/{base}...{head}`), from the repository's commit
//! graph (`state::history`) with the files' line diffs (`state::diff`).

use super::Routes;
use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde_json::{json, Value};

use super::{base_url, issue_number, paginate, query};
use crate::{
    error::SimError,
    json::{self, repo_html_url, repo_url},
    state::{diff::diff, PullFileDef, Repo, State},
    Simulator,
};

/// GitHub lists at most this many commits of a pull request or a comparison.
const MAX_COMMITS: usize = 250;
/// A comparison lists at most this many files.
const MAX_FILES: usize = 300;

/// Registers this module's routes.
pub(super) fn config(r: &mut Routes) {
    r.get(
        "/repos/{owner}/{repo}/pulls/{number}/commits",
        list_pull_commits,
    );
    r.get("/repos/{owner}/{repo}/compare/{basehead:.+}", compare);
}

/// `GET /repos/{o}/{r}/pulls/{n}/commits`: the commits on its head that its base
/// has not, oldest first, at most 250, paginated. A head the simulator only heard
/// of (from a webhook) is one commit.
async fn list_pull_commits(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, SimError> {
    let (owner, repo, number) = path.into_inner();
    let number = issue_number(&number)?;
    let mut state = sim.lock();
    let known = state.repo_mut(&owner, &repo).ok_or(SimError::NotFound)?;
    let issue = known.issues.get(&number).ok_or(SimError::NotFound)?;
    let pull = issue.pull.clone().ok_or(SimError::NotFound)?;
    let git = known.git_mut();
    let now = Utc::now();
    git.adopt(&pull.head_sha, now);
    git.adopt(&pull.base_sha, now);
    let ids = git.commits_between(
        &pull.base_sha.to_ascii_lowercase(),
        &pull.head_sha.to_ascii_lowercase(),
    );
    let known = state.repo(&owner, &repo).ok_or(SimError::NotFound)?;
    let items = commits(&base_url(&req), &state, known, &ids);
    Ok(paginate(
        &req,
        items.into_iter().take(MAX_COMMITS).collect(),
    ))
}

/// The commits `ids` as `GET /repos/{o}/{r}/commits/{ref}` shows each.
fn commits(base: &str, state: &State, repo: &Repo, ids: &[String]) -> Vec<Value> {
    ids.iter()
        .filter_map(|id| repo.git.commits.get(id))
        .map(|c| json::git::repo_commit(base, state, repo, c))
        .collect()
}

/// A side of `base...head`: `branch`, a tag, a SHA, or `owner:ref` for this
/// repository's owner; other owners' forks do not exist here.
fn side<'a>(raw: &'a str, owner: &str) -> Option<&'a str> {
    match raw.split_once(':') {
        Some((who, rest)) if who.eq_ignore_ascii_case(owner) => Some(rest),
        Some(_) => None,
        None => Some(raw),
    }
}

/// `GET /repos/{o}/{r}/compare/{base}...{head}`: how head relates to base
/// (`identical`, `ahead`, `behind` or `diverged`, with the counts), the commits
/// head has that base has not (oldest first, at most 250) and the files changed
/// from their merge base to head (at most 300). With `page` or `per_page` the
/// commits are paginated and the files come on the first page only, as on GitHub.
/// 404 when a side does not resolve or the two have no common ancestor.
async fn compare(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, SimError> {
    let (owner, repo, basehead) = path.into_inner();
    let (base_ref, head_ref) = basehead.split_once("...").ok_or(SimError::NotFound)?;
    let base_ref = side(base_ref, &owner).ok_or(SimError::NotFound)?;
    let head_ref = side(head_ref, &owner).ok_or(SimError::NotFound)?;
    let mut state = sim.lock();
    let known = state.repo_mut(&owner, &repo).ok_or(SimError::NotFound)?;
    let git = known.git_mut();
    let base = git.resolve(base_ref).ok_or(SimError::NotFound)?;
    let head = git.resolve(head_ref).ok_or(SimError::NotFound)?;
    let merge_base = git.merge_base(&base, &head).ok_or_else(|| {
        SimError::status(
            StatusCode::NOT_FOUND,
            format!("No common ancestor between {base_ref} and {head_ref}."),
        )
    })?;
    let ahead = git.commits_between(&base, &head);
    let behind = git.commits_between(&head, &base);
    let status = match (ahead.is_empty(), behind.is_empty()) {
        (true, true) => "identical",
        (false, true) => "ahead",
        (true, false) => "behind",
        (false, false) => "diverged",
    };
    let known = state.repo(&owner, &repo).ok_or(SimError::NotFound)?;
    let base_url = base_url(&req);
    let commit = |id: &str| {
        known
            .git
            .commits
            .get(id)
            .map(|c| json::git::repo_commit(&base_url, &state, known, c))
    };
    let paginated = query(&req, "page").is_some() || query(&req, "per_page").is_some();
    let listed = commits(&base_url, &state, known, &ahead);
    let (listed, first_page) = if paginated {
        let number = |name: &str| {
            query(&req, name)
                .and_then(|s| s.parse::<usize>().ok())
                .filter(|n| *n > 0)
        };
        let per_page = number("per_page").unwrap_or(30).min(100);
        let page = number("page").unwrap_or(1);
        let start = (page - 1).saturating_mul(per_page);
        let slice: Vec<Value> = listed.into_iter().skip(start).take(per_page).collect();
        (slice, page == 1)
    } else {
        (listed.into_iter().take(MAX_COMMITS).collect(), true)
    };
    let api = format!("{}/compare/{basehead}", repo_url(&base_url, known));
    let html = format!("{}/compare/{basehead}", repo_html_url(&base_url, known));
    let mut out = json!({
        "url": api,
        "html_url": html,
        "permalink_url": format!("{}/compare/{owner}:{base}...{owner}:{head}",
            repo_html_url(&base_url, known)),
        "diff_url": format!("{html}.diff"),
        "patch_url": format!("{html}.patch"),
        "base_commit": commit(&base),
        "merge_base_commit": commit(&merge_base),
        "status": status,
        "ahead_by": ahead.len(),
        "behind_by": behind.len(),
        "total_commits": ahead.len(),
        "commits": listed,
    });
    if first_page {
        let files: Vec<Value> = changed_files(known, &merge_base, &head)
            .iter()
            .take(MAX_FILES)
            .map(|f| json::pulls::file(&base_url, known, &head, f))
            .collect();
        out["files"] = json!(files);
    }
    Ok(HttpResponse::Ok().json(out))
}

/// The files that differ between commits `from` and `to`, by path, with their line
/// diffs.
fn changed_files(repo: &Repo, from: &str, to: &str) -> Vec<PullFileDef> {
    let empty = Default::default();
    let old = repo.git.files_at(from).unwrap_or(&empty);
    let new = repo.git.files_at(to).unwrap_or(&empty);
    let bytes = |id: Option<&String>| id.and_then(|id| repo.git.blob(id)).unwrap_or_default();
    let mut paths: Vec<&String> = old.keys().chain(new.keys()).collect();
    paths.sort();
    paths.dedup();
    paths
        .into_iter()
        .filter_map(|path| {
            let (before, after) = (old.get(path), new.get(path));
            let status = match (before, after) {
                (Some(a), Some(b)) if a == b => return None,
                (None, Some(_)) => "added",
                (Some(_), None) => "removed",
                _ => "modified",
            };
            let d = diff(&bytes(before), &bytes(after));
            Some(PullFileDef {
                filename: path.clone(),
                status: status.to_owned(),
                additions: d.additions,
                deletions: d.deletions,
                patch: d.patch,
                previous_filename: None,
            })
        })
        .collect()
}
