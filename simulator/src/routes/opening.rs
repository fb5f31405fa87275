//! Opening issues and pull requests: `POST /repos/{o}/{r}/issues` and
//! `POST /repos/{o}/{r}/pulls`, by `gantry[bot]` or the `x-sim-user` login, with
//! GitHub's 201 answers and its 422 refusals.

use super::Routes;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde_json::{json, Value};

use super::{
    actor, base_url, ensure_actor, issues::canonical_logins, labels::label_names, opt_string,
    opt_strings, parse_json,
};
use crate::{
    error::SimError,
    json,
    state::{ensure_repo_label, Issue, PullInfo, Repo},
    Simulator,
};

/// GitHub's limit on assignees per issue.
const MAX_ASSIGNEES: usize = 10;

/// Registers this module's routes.
pub(super) fn config(r: &mut Routes) {
    r.post("/repos/{owner}/{repo}/issues", create_issue);
    r.post("/repos/{owner}/{repo}/pulls", create_pull_request);
}

type RepoPath = web::Path<(String, String)>;

/// The next number of the repository's shared issue and pull request sequence.
fn next_number(repo: &Repo) -> u64 {
    repo.issues.keys().next_back().map_or(1, |n| n + 1)
}

/// A new open issue by `user`.
fn new_issue(id: u64, number: u64, title: String, body: Option<String>, user: String) -> Issue {
    let now = Utc::now();
    Issue {
        id,
        node_id: format!("I_sim{id}"),
        number,
        title,
        body,
        user,
        open: true,
        locked: false,
        labels: Vec::new(),
        assignees: Vec::new(),
        comments: Vec::new(),
        pull: None,
        created_at: now,
        updated_at: now,
        closed_at: None,
        state_reason: None,
        milestone: None,
    }
}

/// GitHub takes a title as a string or a number.
fn title_of(body: &Value, resource: &str) -> Result<String, SimError> {
    match body.get("title") {
        None | Some(Value::Null) => Err(SimError::invalid(resource, "missing_field", "title")),
        Some(Value::String(t)) if !t.trim().is_empty() => Ok(t.clone()),
        Some(Value::Number(n)) => Ok(n.to_string()),
        Some(_) => Err(SimError::invalid(resource, "invalid", "title")),
    }
}

/// `POST /repos/{o}/{r}/issues` with `title` (required), `body`, `labels` (unknown
/// ones are created in the repository), `assignees` (or `assignee`) and
/// `milestone`: 201 with the new issue. 422 for a missing title, an unknown
/// milestone or an assignee who cannot be assigned.
async fn create_issue(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: RepoPath,
    body: web::Bytes,
) -> Result<HttpResponse, SimError> {
    let (owner, repo) = path.into_inner();
    let body = parse_json(&body)?;
    let title = title_of(&body, "Issue")?;
    let text = opt_string(&body, "body", "Issue")?;
    let labels = match body.get("labels") {
        None | Some(Value::Null) => Vec::new(),
        Some(v @ Value::Array(_)) => label_names(v)?,
        Some(_) => return Err(SimError::invalid("Issue", "invalid", "labels")),
    };
    let mut assignees = opt_strings(&body, "assignees", "Issue")?.unwrap_or_default();
    if let Some(one) = opt_string(&body, "assignee", "Issue")? {
        assignees.push(one);
    }
    let milestone = match body.get("milestone") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_u64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
                .ok_or_else(|| SimError::invalid("Issue", "invalid", "milestone"))?,
        ),
    };
    let mut state = sim.lock();
    let known = state.repo(&owner, &repo).ok_or(SimError::NotFound)?;
    if milestone.is_some_and(|m| known.milestone(m).is_none()) {
        return Err(SimError::invalid("Issue", "invalid", "milestone"));
    }
    if let Some(nobody) = assignees.iter().find(|a| !known.can_be_assigned(a)) {
        return Err(SimError::Validation(vec![json!({
            "resource": "Issue", "code": "invalid", "field": "assignees", "value": nobody,
        })]));
    }
    let author = ensure_actor(&mut state, &actor(&req));
    let labels: Vec<String> = labels
        .iter()
        .map(|n| ensure_repo_label(&mut state, &owner, &repo, n))
        .collect();
    let mut assignees = canonical_logins(&state, &assignees);
    assignees.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
    assignees.truncate(MAX_ASSIGNEES);
    let id = state.next_id();
    let known = state.repo_mut(&owner, &repo).ok_or(SimError::NotFound)?;
    let number = next_number(known);
    let mut issue = new_issue(id, number, title, text, author);
    for name in &labels {
        issue.add_label(name);
    }
    issue.assignees = assignees;
    issue.milestone = milestone;
    known.issues.insert(number, issue);
    let known = state.repo(&owner, &repo).ok_or(SimError::NotFound)?;
    let issue = known.issues.get(&number).ok_or(SimError::NotFound)?;
    Ok(HttpResponse::Created().json(json::issue(&base_url(&req), &state, known, issue)))
}

/// `POST /repos/{o}/{r}/pulls` with `title`, `head` and `base` (branches of this
/// repository; `owner:branch` names this repository's owner), `body` and `draft`:
/// 201 with the new pull request. 422 when a branch does not exist, when head and
/// base are the same commit ("No commits between ..."), or when an open pull
/// request from head into base already exists.
async fn create_pull_request(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: RepoPath,
    body: web::Bytes,
) -> Result<HttpResponse, SimError> {
    let (owner, repo) = path.into_inner();
    let body = parse_json(&body)?;
    let title = title_of(&body, "PullRequest")?;
    let text = opt_string(&body, "body", "PullRequest")?;
    let draft = match body.get("draft") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(SimError::invalid("PullRequest", "invalid", "draft")),
    };
    let branch = |field: &str| -> Result<String, SimError> {
        let name = opt_string(&body, field, "PullRequest")?
            .ok_or_else(|| SimError::invalid("PullRequest", "missing_field", field))?;
        // `owner:branch` names a branch of `owner`'s repository.
        Ok(match name.split_once(':') {
            Some((who, rest)) if who.eq_ignore_ascii_case(&owner) => rest.to_owned(),
            _ => name,
        })
    };
    let (head, base) = (branch("head")?, branch("base")?);
    let mut state = sim.lock();
    let known = state.repo(&owner, &repo).ok_or(SimError::NotFound)?;
    let tip = |name: &str, field: &str| {
        known
            .git
            .branch(name)
            .map(str::to_owned)
            .ok_or_else(|| SimError::invalid("PullRequest", "invalid", field))
    };
    let (head_sha, base_sha) = (tip(&head, "head")?, tip(&base, "base")?);
    if head_sha == base_sha {
        return Err(SimError::Validation(vec![json!({
            "resource": "PullRequest", "code": "custom",
            "message": format!("No commits between {base} and {head}"),
        })]));
    }
    let open_already = known.issues.values().any(|i| {
        i.open
            && i.pull
                .as_ref()
                .is_some_and(|p| p.head_ref == head && p.base_ref == base)
    });
    if open_already {
        return Err(SimError::Validation(vec![json!({
            "resource": "PullRequest", "code": "custom",
            "message": format!("A pull request already exists for {owner}:{head}."),
        })]));
    }
    let author = ensure_actor(&mut state, &actor(&req));
    let (id, pull_id) = (state.next_id(), state.next_id());
    let known = state.repo_mut(&owner, &repo).ok_or(SimError::NotFound)?;
    let number = next_number(known);
    let mut issue = new_issue(id, number, title, text, author);
    issue.pull = Some(PullInfo {
        id: pull_id,
        head_ref: head,
        head_sha,
        base_ref: base,
        base_sha,
        draft,
        ..PullInfo::default()
    });
    known.issues.insert(number, issue);
    let known = state.repo(&owner, &repo).ok_or(SimError::NotFound)?;
    let issue = known.issues.get(&number).ok_or(SimError::NotFound)?;
    let pull =
        json::pull_request(&base_url(&req), &state, known, issue).ok_or(SimError::NotFound)?;
    Ok(HttpResponse::Created().json(pull))
}
