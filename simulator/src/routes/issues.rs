//! Issues (pull requests included): reading one, editing it
//! (`/repos/{o}/{r}/issues/{n}`) and adding or removing assignees
//! (`/repos/{o}/{r}/issues/{n}/assignees`).

use super::Routes;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde_json::{json, Value};

use super::{
    base_url, issue_number, labels::label_names, opt_string, opt_strings, parse_json, update_string,
};
use crate::{
    error::SimError,
    json,
    state::{ensure_repo_label, State},
    Simulator,
};

/// GitHub's limit on assignees per issue.
const MAX_ASSIGNEES: usize = 10;
/// The `state_reason` values GitHub accepts.
const STATE_REASONS: [&str; 4] = ["completed", "not_planned", "duplicate", "reopened"];

/// Registers this module's routes.
pub(super) fn config(r: &mut Routes) {
    r.get("/repos/{owner}/{repo}/issues/{number}", get_issue);
    r.patch("/repos/{owner}/{repo}/issues/{number}", update_issue);
    r.post(
        "/repos/{owner}/{repo}/issues/{number}/assignees",
        add_assignees,
    );
    r.delete(
        "/repos/{owner}/{repo}/issues/{number}/assignees",
        remove_assignees,
    );
}

type IssuePath = web::Path<(String, String, String)>;

/// `GET /repos/{owner}/{repo}/issues/{number}`: the issue object, with a
/// `pull_request` key when it is a pull request.
async fn get_issue(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: IssuePath,
) -> Result<HttpResponse, SimError> {
    let (owner, repo, number) = path.into_inner();
    let number = issue_number(&number)?;
    render(&sim.lock(), &req, &owner, &repo, number, false)
}

/// The fields a `PATCH` may change; `None` leaves a field alone.
#[derive(Debug, Default)]
struct IssueUpdate {
    title: Option<String>,
    body: Option<Option<String>>,
    open: Option<bool>,
    state_reason: Option<Option<String>>,
    milestone: Option<Option<u64>>,
    labels: Option<Vec<String>>,
    assignees: Option<Vec<String>>,
}

impl IssueUpdate {
    /// Reads and checks the request body (unknown milestones and assignees are checked
    /// against the repository later).
    fn parse(body: &Value) -> Result<Self, SimError> {
        let invalid = |field| SimError::invalid("Issue", "invalid", field);
        let title = match update_string(body, "title", "Issue")? {
            Some(Some(t)) if !t.trim().is_empty() => Some(t),
            Some(_) => return Err(invalid("title")),
            None => None,
        };
        let open = match opt_string(body, "state", "Issue")?.as_deref() {
            None => None,
            Some("open") => Some(true),
            Some("closed") => Some(false),
            Some(_) => return Err(invalid("state")),
        };
        let state_reason = update_string(body, "state_reason", "Issue")?;
        if let Some(Some(reason)) = &state_reason {
            if !STATE_REASONS.contains(&reason.as_str()) {
                return Err(invalid("state_reason"));
            }
        }
        let milestone = match body.get("milestone") {
            None => None,
            Some(Value::Null) => Some(None),
            Some(v) => Some(Some(
                v.as_u64()
                    .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
                    .ok_or_else(|| invalid("milestone"))?,
            )),
        };
        let labels = match body.get("labels") {
            None | Some(Value::Null) => None,
            Some(v @ Value::Array(_)) => Some(label_names(v)?),
            Some(_) => return Err(invalid("labels")),
        };
        let mut assignees = opt_strings(body, "assignees", "Issue")?;
        if assignees.is_none() {
            assignees =
                update_string(body, "assignee", "Issue")?.map(|one| one.into_iter().collect());
        }
        Ok(Self {
            title,
            body: update_string(body, "body", "Issue")?,
            open,
            state_reason,
            milestone,
            labels,
            assignees,
        })
    }
}

/// `PATCH /repos/{o}/{r}/issues/{n}`: changes title, body, state (with
/// `state_reason`), milestone (a number or `null`), labels (replaced; unknown ones are
/// created in the repository) and assignees (replaced); 200 with the issue. 422 for a
/// bad value, an unknown milestone or an assignee who is not a collaborator.
async fn update_issue(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: IssuePath,
    body: web::Bytes,
) -> Result<HttpResponse, SimError> {
    let (owner, repo, number) = path.into_inner();
    let number = issue_number(&number)?;
    let update = IssueUpdate::parse(&parse_json(&body)?)?;
    let mut state = sim.lock();
    let known = state.repo(&owner, &repo).ok_or(SimError::NotFound)?;
    known.issues.get(&number).ok_or(SimError::NotFound)?;
    if let Some(Some(m)) = update.milestone {
        known
            .milestone(m)
            .ok_or_else(|| SimError::invalid("Issue", "invalid", "milestone"))?;
    }
    if let Some(nobody) = update
        .assignees
        .iter()
        .flatten()
        .find(|a| !known.can_be_assigned(a))
    {
        return Err(SimError::Validation(vec![json!({
            "resource": "Issue", "code": "invalid", "field": "assignees", "value": nobody,
        })]));
    }
    let labels: Option<Vec<String>> = update.labels.as_ref().map(|names| {
        names
            .iter()
            .map(|n| ensure_repo_label(&mut state, &owner, &repo, n))
            .collect()
    });
    let assignees = update
        .assignees
        .as_ref()
        .map(|a| canonical_logins(&state, a));
    let issue = state
        .repo_mut(&owner, &repo)
        .and_then(|r| r.issues.get_mut(&number))
        .ok_or(SimError::NotFound)?;
    let now = Utc::now();
    if let Some(title) = update.title {
        issue.title = title;
    }
    if let Some(text) = update.body {
        issue.body = text;
    }
    match (update.open, issue.open) {
        (Some(false), true) => {
            issue.open = false;
            issue.closed_at = Some(now);
            issue.state_reason = Some("completed".to_owned());
        }
        (Some(true), false) => {
            issue.open = true;
            issue.closed_at = None;
            issue.state_reason = Some("reopened".to_owned());
        }
        _ => {}
    }
    if let Some(reason) = update.state_reason {
        issue.state_reason = reason;
    }
    if let Some(milestone) = update.milestone {
        issue.milestone = milestone;
    }
    if let Some(labels) = labels {
        issue.labels.clear();
        for name in &labels {
            issue.add_label(name);
        }
    }
    if let Some(mut assignees) = assignees {
        assignees.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
        assignees.truncate(MAX_ASSIGNEES);
        issue.assignees = assignees;
    }
    issue.updated_at = now;
    render(&state, &req, &owner, &repo, number, false)
}

/// `POST /repos/{o}/{r}/issues/{n}/assignees` with `{"assignees": [...]}`: adds them,
/// as GitHub does: logins that cannot be assigned (not the owner or a collaborator)
/// are silently ignored, and an issue keeps at most 10 assignees (the rest are
/// dropped); 201 with the issue.
async fn add_assignees(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: IssuePath,
    body: web::Bytes,
) -> Result<HttpResponse, SimError> {
    let (owner, repo, number) = path.into_inner();
    let number = issue_number(&number)?;
    let wanted = opt_strings(&parse_json(&body)?, "assignees", "Issue")?.unwrap_or_default();
    let mut state = sim.lock();
    let known = state.repo(&owner, &repo).ok_or(SimError::NotFound)?;
    known.issues.get(&number).ok_or(SimError::NotFound)?;
    let wanted: Vec<String> = wanted
        .into_iter()
        .filter(|login| known.can_be_assigned(login))
        .collect();
    let wanted = canonical_logins(&state, &wanted);
    let issue = state
        .repo_mut(&owner, &repo)
        .and_then(|r| r.issues.get_mut(&number))
        .ok_or(SimError::NotFound)?;
    for login in wanted {
        let already = issue
            .assignees
            .iter()
            .any(|a| a.eq_ignore_ascii_case(&login));
        if !already && issue.assignees.len() < MAX_ASSIGNEES {
            issue.assignees.push(login);
        }
    }
    issue.updated_at = Utc::now();
    render(&state, &req, &owner, &repo, number, true)
}

/// `DELETE /repos/{o}/{r}/issues/{n}/assignees` with `{"assignees": [...]}`: removes
/// them (logins that were not assigned are ignored); 200 with the issue.
async fn remove_assignees(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: IssuePath,
    body: web::Bytes,
) -> Result<HttpResponse, SimError> {
    let (owner, repo, number) = path.into_inner();
    let number = issue_number(&number)?;
    let gone = opt_strings(&parse_json(&body)?, "assignees", "Issue")?.unwrap_or_default();
    let mut state = sim.lock();
    let issue = state
        .repo_mut(&owner, &repo)
        .and_then(|r| r.issues.get_mut(&number))
        .ok_or(SimError::NotFound)?;
    issue
        .assignees
        .retain(|a| !gone.iter().any(|g| g.eq_ignore_ascii_case(a)));
    issue.updated_at = Utc::now();
    render(&state, &req, &owner, &repo, number, false)
}

/// Logins as GitHub spells them, for users the simulator knows.
pub(super) fn canonical_logins(state: &State, logins: &[String]) -> Vec<String> {
    logins
        .iter()
        .map(|l| state.user_or_placeholder(l).login)
        .collect()
}

/// 200 (or 201 when `created`) with issue `number`.
fn render(
    state: &State,
    req: &HttpRequest,
    owner: &str,
    repo: &str,
    number: u64,
    created: bool,
) -> Result<HttpResponse, SimError> {
    let repo = state.repo(owner, repo).ok_or(SimError::NotFound)?;
    let issue = repo.issues.get(&number).ok_or(SimError::NotFound)?;
    let body = json::issue(&base_url(req), state, repo, issue);
    Ok(if created {
        HttpResponse::Created().json(body)
    } else {
        HttpResponse::Ok().json(body)
    })
}
