//! Changing a pull request: `PATCH /repos/{o}/{r}/pulls/{n}` (title, body, state,
//! base), with GitHub's 200 answer and its 422 refusals. GitHub's REST API has no
//! field for draft: only its GraphQL API converts a pull request to or from a draft.

use super::Routes;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde_json::{json, Value};

use super::{base_url, issue_number, opt_bool, opt_string, parse_json};
use crate::{error::SimError, json, Simulator};

/// Registers this module's routes.
pub(super) fn config(r: &mut Routes) {
    r.patch("/repos/{owner}/{repo}/pulls/{number}", update_pull_request);
}

type PullPath = web::Path<(String, String, String)>;

/// A refusal of a field with GitHub's `custom` code and message.
fn custom(field: &str, message: String) -> SimError {
    SimError::Validation(vec![json!({
        "resource": "PullRequest", "code": "custom", "field": field, "message": message,
    })])
}

/// What a `PATCH` asks to change.
struct PullUpdate {
    title: Option<String>,
    body: Option<Option<String>>,
    open: Option<bool>,
    base: Option<String>,
}

impl PullUpdate {
    fn parse(body: &Value) -> Result<Self, SimError> {
        let title = match body.get("title") {
            None | Some(Value::Null) => None,
            Some(Value::String(t)) if !t.trim().is_empty() => Some(t.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            Some(_) => return Err(SimError::invalid("PullRequest", "invalid", "title")),
        };
        let text = match body.get("body") {
            None => None,
            Some(Value::Null) => Some(None),
            Some(Value::String(s)) => Some(Some(s.clone())),
            Some(_) => return Err(SimError::invalid("PullRequest", "invalid", "body")),
        };
        let open = match opt_string(body, "state", "PullRequest")?.as_deref() {
            None => None,
            Some("open") => Some(true),
            Some("closed") => Some(false),
            Some(_) => return Err(SimError::invalid("PullRequest", "invalid", "state")),
        };
        // Accepted and without effect here: the simulator has no forks.
        opt_bool(body, "maintainer_can_modify", "PullRequest")?;
        let base = opt_string(body, "base", "PullRequest")?;
        Ok(Self {
            title,
            body: text,
            open,
            base,
        })
    }
}

/// `PATCH /repos/{o}/{r}/pulls/{n}` with `title`, `body`, `state` (`open` or
/// `closed`), `base` (a branch of this repository) and `maintainer_can_modify`: 200
/// with the pull request. 404 for an issue; 422 for a base branch that does not
/// exist, for changing the base of a closed pull request, and for reopening a
/// merged one.
async fn update_pull_request(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: PullPath,
    body: web::Bytes,
) -> Result<HttpResponse, SimError> {
    let (owner, repo, number) = path.into_inner();
    let number = issue_number(&number)?;
    let update = PullUpdate::parse(&parse_json(&body)?)?;
    let mut state = sim.lock();
    let known = state.repo(&owner, &repo).ok_or(SimError::NotFound)?;
    let issue = known.issues.get(&number).ok_or(SimError::NotFound)?;
    let pull = issue.pull.as_ref().ok_or(SimError::NotFound)?;
    if update.open == Some(true) && pull.merged {
        return Err(custom(
            "state",
            "state cannot be changed. The pull request has been merged.".to_owned(),
        ));
    }
    let base = match &update.base {
        Some(base) if *base != pull.base_ref => {
            if !issue.open || pull.merged {
                return Err(custom(
                    "base",
                    "Cannot change the base branch of a closed pull request.".to_owned(),
                ));
            }
            let sha = known
                .git
                .branch(base)
                .map(str::to_owned)
                .ok_or_else(|| SimError::invalid("PullRequest", "invalid", "base"))?;
            Some((base.clone(), sha))
        }
        _ => None,
    };
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
        }
        (Some(true), false) => {
            issue.open = true;
            issue.closed_at = None;
        }
        _ => {}
    }
    if let (Some((base, sha)), Some(pull)) = (base, issue.pull.as_mut()) {
        pull.base_ref = base;
        pull.base_sha = sha;
    }
    issue.updated_at = now;
    let known = state.repo(&owner, &repo).ok_or(SimError::NotFound)?;
    let issue = known.issues.get(&number).ok_or(SimError::NotFound)?;
    let pull =
        json::pull_request(&base_url(&req), &state, known, issue).ok_or(SimError::NotFound)?;
    Ok(HttpResponse::Ok().json(pull))
}
