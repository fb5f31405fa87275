//! Milestones: `/repos/{o}/{r}/milestones` (list, create) and
//! `/repos/{o}/{r}/milestones/{number}` (read).

use super::Routes;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};

use super::{
    actor, base_url, ensure_actor, issue_number, opt_string, paginate, parse_json, query,
    required_string,
};
use crate::{error::SimError, json, state::Milestone, Simulator};

/// Registers this module's routes.
pub(super) fn config(r: &mut Routes) {
    r.get("/repos/{owner}/{repo}/milestones", list_milestones);
    r.post("/repos/{owner}/{repo}/milestones", create_milestone);
    r.get("/repos/{owner}/{repo}/milestones/{number}", get_milestone);
}

/// `GET /repos/{o}/{r}/milestones[?state=open|closed|all]`: by number, open ones by
/// default, paginated.
async fn list_milestones(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, SimError> {
    let (owner, repo) = path.into_inner();
    let wanted = query(&req, "state").unwrap_or_else(|| "open".to_owned());
    let base = base_url(&req);
    let state = sim.lock();
    let repo = state.repo(&owner, &repo).ok_or(SimError::NotFound)?;
    let items = repo
        .milestones
        .iter()
        .filter(|m| match wanted.as_str() {
            "all" => true,
            "closed" => !m.open,
            _ => m.open,
        })
        .map(|m| json::issues::milestone(&base, &state, repo, m))
        .collect();
    Ok(paginate(&req, items))
}

/// `GET /repos/{o}/{r}/milestones/{number}`: one milestone.
async fn get_milestone(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, SimError> {
    let (owner, repo, number) = path.into_inner();
    let number = issue_number(&number)?;
    let state = sim.lock();
    let repo = state.repo(&owner, &repo).ok_or(SimError::NotFound)?;
    let m = repo.milestone(number).ok_or(SimError::NotFound)?;
    Ok(HttpResponse::Ok().json(json::issues::milestone(&base_url(&req), &state, repo, m)))
}

/// `POST /repos/{o}/{r}/milestones` with `title` (required), `state`, `description`
/// and `due_on`: 201 with the milestone; 422 for a missing or taken title, a bad state
/// or a `due_on` that is not an ISO 8601 time.
async fn create_milestone(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, SimError> {
    let (owner, repo) = path.into_inner();
    let body = parse_json(&body)?;
    let title = required_string(&body, "title", "Milestone")?;
    let open = match opt_string(&body, "state", "Milestone")?.as_deref() {
        None | Some("open") => true,
        Some("closed") => false,
        Some(_) => return Err(SimError::invalid("Milestone", "invalid", "state")),
    };
    let description = opt_string(&body, "description", "Milestone")?;
    let due_on = match opt_string(&body, "due_on", "Milestone")? {
        Some(text) => Some(
            DateTime::parse_from_rfc3339(&text)
                .map_err(|_| SimError::invalid("Milestone", "invalid", "due_on"))?
                .with_timezone(&Utc),
        ),
        None => None,
    };
    let mut state = sim.lock();
    let known = state.repo(&owner, &repo).ok_or(SimError::NotFound)?;
    if known.milestones.iter().any(|m| m.title == title) {
        return Err(SimError::invalid("Milestone", "already_exists", "title"));
    }
    let creator = ensure_actor(&mut state, &actor(&req));
    let id = state.next_id();
    let repo_mut = state.repo_mut(&owner, &repo).ok_or(SimError::NotFound)?;
    let number = repo_mut
        .milestones
        .iter()
        .map(|m| m.number)
        .max()
        .unwrap_or(0)
        .saturating_add(1);
    let now = Utc::now();
    repo_mut.milestones.push(Milestone {
        id,
        node_id: format!("MI_sim{id}"),
        number,
        title,
        description,
        open,
        creator,
        due_on,
        created_at: now,
        updated_at: now,
        closed_at: (!open).then_some(now),
    });
    let repo = state.repo(&owner, &repo).ok_or(SimError::NotFound)?;
    let m = repo.milestone(number).ok_or(SimError::NotFound)?;
    Ok(HttpResponse::Created().json(json::issues::milestone(&base_url(&req), &state, repo, m)))
}
