//! Labels: the labels of an issue (`/repos/{o}/{r}/issues/{n}/labels[/{name}]`) and of
//! a repository (`/repos/{o}/{r}/labels[/{name}]`: list, create, read, edit, delete).

use super::Routes;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::Value;

use super::{base_url, issue_number, opt_string, paginate, parse_json, update_string};
use crate::{
    error::SimError,
    json,
    state::{ensure_repo_label, LabelDef, State},
    Simulator,
};

/// Registers this module's routes.
pub(super) fn config(r: &mut Routes) {
    r.get(
        "/repos/{owner}/{repo}/issues/{number}/labels",
        list_issue_labels,
    );
    r.post(
        "/repos/{owner}/{repo}/issues/{number}/labels",
        add_issue_labels,
    );
    r.put(
        "/repos/{owner}/{repo}/issues/{number}/labels",
        set_issue_labels,
    );
    r.delete(
        "/repos/{owner}/{repo}/issues/{number}/labels",
        remove_all_issue_labels,
    );
    r.delete(
        "/repos/{owner}/{repo}/issues/{number}/labels/{name:.+}",
        remove_issue_label,
    );
    r.get("/repos/{owner}/{repo}/labels", list_repo_labels);
    r.post("/repos/{owner}/{repo}/labels", create_repo_label);
    r.get("/repos/{owner}/{repo}/labels/{name:.+}", get_repo_label);
    r.patch("/repos/{owner}/{repo}/labels/{name:.+}", update_repo_label);
    r.delete("/repos/{owner}/{repo}/labels/{name:.+}", delete_repo_label);
}

type IssuePath = web::Path<(String, String, String)>;

/// `GET /repos/{o}/{r}/issues/{n}/labels`: the issue's label objects, paginated.
async fn list_issue_labels(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: IssuePath,
) -> Result<HttpResponse, SimError> {
    let (owner, repo, number) = path.into_inner();
    let labels = rendered_issue_labels(
        &sim.lock(),
        &base_url(&req),
        &owner,
        &repo,
        issue_number(&number)?,
    )?;
    Ok(paginate(&req, labels))
}

/// `POST /repos/{o}/{r}/issues/{n}/labels`: adds labels (creating unknown ones in the
/// repository with color `ededed`) and answers with all the issue's labels.
async fn add_issue_labels(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: IssuePath,
    body: web::Bytes,
) -> Result<HttpResponse, SimError> {
    let (owner, repo, number) = path.into_inner();
    let number = issue_number(&number)?;
    let names = label_names(&parse_json(&body)?)?;
    let mut state = sim.lock();
    write_labels(&mut state, &owner, &repo, number, names, false)?;
    let labels = rendered_issue_labels(&state, &base_url(&req), &owner, &repo, number)?;
    Ok(HttpResponse::Ok().json(labels))
}

/// `PUT /repos/{o}/{r}/issues/{n}/labels`: replaces all the issue's labels.
async fn set_issue_labels(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: IssuePath,
    body: web::Bytes,
) -> Result<HttpResponse, SimError> {
    let (owner, repo, number) = path.into_inner();
    let number = issue_number(&number)?;
    let body = parse_json(&body)?;
    let names = if body.is_null() {
        Vec::new()
    } else {
        label_names(&body)?
    };
    let mut state = sim.lock();
    write_labels(&mut state, &owner, &repo, number, names, true)?;
    let labels = rendered_issue_labels(&state, &base_url(&req), &owner, &repo, number)?;
    Ok(HttpResponse::Ok().json(labels))
}

/// `DELETE /repos/{o}/{r}/issues/{n}/labels`: removes every label; 204.
async fn remove_all_issue_labels(
    sim: web::Data<Simulator>,
    path: IssuePath,
) -> Result<HttpResponse, SimError> {
    let (owner, repo, number) = path.into_inner();
    let number = issue_number(&number)?;
    write_labels(&mut sim.lock(), &owner, &repo, number, Vec::new(), true)?;
    Ok(HttpResponse::NoContent().finish())
}

/// `DELETE /repos/{o}/{r}/issues/{n}/labels/{name}`: removes one label and answers with
/// the remaining ones; 404 when the issue does not have it.
async fn remove_issue_label(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: web::Path<(String, String, String, String)>,
) -> Result<HttpResponse, SimError> {
    let (owner, repo, number, name) = path.into_inner();
    let number = issue_number(&number)?;
    let mut state = sim.lock();
    let issue = state
        .repo_mut(&owner, &repo)
        .and_then(|r| r.issues.get_mut(&number))
        .ok_or(SimError::NotFound)?;
    if !issue.remove_label(&name) {
        return Err(SimError::NotFound);
    }
    issue.updated_at = chrono::Utc::now();
    let labels = rendered_issue_labels(&state, &base_url(&req), &owner, &repo, number)?;
    Ok(HttpResponse::Ok().json(labels))
}

/// `GET /repos/{o}/{r}/labels`: the repository's labels, paginated.
async fn list_repo_labels(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, SimError> {
    let (owner, repo) = path.into_inner();
    let base = base_url(&req);
    let state = sim.lock();
    let repo = state.repo(&owner, &repo).ok_or(SimError::NotFound)?;
    let labels = repo
        .labels
        .iter()
        .map(|l| json::label(&base, repo, l))
        .collect();
    Ok(paginate(&req, labels))
}

/// `GET /repos/{o}/{r}/labels/{name}`: one repository label.
async fn get_repo_label(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, SimError> {
    let (owner, repo, name) = path.into_inner();
    let state = sim.lock();
    let repo = state.repo(&owner, &repo).ok_or(SimError::NotFound)?;
    let label = repo.label(&name).ok_or(SimError::NotFound)?;
    Ok(HttpResponse::Ok().json(json::label(&base_url(&req), repo, label)))
}

/// `POST /repos/{o}/{r}/labels` with `{"name", "color", "description"}`: 201 with the
/// new label; 422 when the name is missing or taken, or the color is not 6 hex digits.
async fn create_repo_label(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, SimError> {
    let (owner, repo) = path.into_inner();
    let body = parse_json(&body)?;
    let name = body
        .get("name")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| SimError::invalid("Label", "missing_field", "name"))?
        .to_owned();
    let color = match body.get("color") {
        None | Some(Value::Null) => "ededed".to_owned(),
        Some(Value::String(c)) if is_hex_color(c.trim_start_matches('#')) => {
            c.trim_start_matches('#').to_ascii_lowercase()
        }
        Some(_) => return Err(SimError::invalid("Label", "invalid", "color")),
    };
    let description = body
        .get("description")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let mut state = sim.lock();
    if state.repo(&owner, &repo).is_none() && sim.options.allow_anonymous {
        // The sandbox can be seeded before any event names the repository.
        crate::learn::ensure_repo(&mut state, &owner, &repo);
    }
    let id = state.next_id();
    let repo = state.repo_mut(&owner, &repo).ok_or(SimError::NotFound)?;
    if repo.label(&name).is_some() {
        return Err(SimError::invalid("Label", "already_exists", "name"));
    }
    let label = LabelDef {
        id,
        node_id: format!("LA_sim{id}"),
        name,
        color,
        description,
        default: false,
    };
    let rendered = json::label(&base_url(&req), repo, &label);
    repo.labels.push(label);
    Ok(HttpResponse::Created().json(rendered))
}

/// `PATCH /repos/{o}/{r}/labels/{name}` with `new_name`, `color` and `description`:
/// the changed label (a rename follows onto every issue); 404 for an unknown label,
/// 422 for a bad color or a new name another label has.
async fn update_repo_label(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: web::Path<(String, String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, SimError> {
    let (owner, repo, name) = path.into_inner();
    let body = parse_json(&body)?;
    let new_name = opt_string(&body, "new_name", "Label")?
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty());
    let color = match opt_string(&body, "color", "Label")? {
        Some(c) if is_hex_color(c.trim_start_matches('#')) => {
            Some(c.trim_start_matches('#').to_ascii_lowercase())
        }
        Some(_) => return Err(SimError::invalid("Label", "invalid", "color")),
        None => None,
    };
    let description = update_string(&body, "description", "Label")?;
    let mut state = sim.lock();
    let repo = state.repo_mut(&owner, &repo).ok_or(SimError::NotFound)?;
    let old = repo.label(&name).ok_or(SimError::NotFound)?.name.clone();
    if let Some(new) = &new_name {
        if !new.eq_ignore_ascii_case(&old) && repo.label(new).is_some() {
            return Err(SimError::invalid("Label", "already_exists", "name"));
        }
        for issue in repo.issues.values_mut() {
            for l in issue
                .labels
                .iter_mut()
                .filter(|l| l.eq_ignore_ascii_case(&old))
            {
                l.clone_from(new);
            }
        }
    }
    let label = repo
        .labels
        .iter_mut()
        .find(|l| l.name.eq_ignore_ascii_case(&old))
        .ok_or(SimError::NotFound)?;
    if let Some(new) = new_name {
        label.name = new;
    }
    if let Some(color) = color {
        label.color = color;
    }
    if let Some(description) = description {
        label.description = description;
    }
    let label = label.clone();
    Ok(HttpResponse::Ok().json(json::label(&base_url(&req), repo, &label)))
}

/// `DELETE /repos/{o}/{r}/labels/{name}`: removes the label from the repository and
/// from every issue; 204, or 404 for an unknown label.
async fn delete_repo_label(
    sim: web::Data<Simulator>,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, SimError> {
    let (owner, repo, name) = path.into_inner();
    let mut state = sim.lock();
    let repo = state.repo_mut(&owner, &repo).ok_or(SimError::NotFound)?;
    repo.label(&name).ok_or(SimError::NotFound)?;
    repo.labels.retain(|l| !l.name.eq_ignore_ascii_case(&name));
    for issue in repo.issues.values_mut() {
        issue.remove_label(&name);
    }
    Ok(HttpResponse::NoContent().finish())
}

/// Label names from `{"labels": [...]}` or a bare array; entries are names or
/// `{"name": ...}` objects.
pub(super) fn label_names(body: &Value) -> Result<Vec<String>, SimError> {
    let invalid = || SimError::invalid("Label", "invalid", "labels");
    let items = match body {
        Value::Array(items) => items,
        Value::Object(map) => map
            .get("labels")
            .and_then(Value::as_array)
            .ok_or(invalid())?,
        _ => return Err(invalid()),
    };
    items
        .iter()
        .map(|item| {
            let name = item
                .as_str()
                .or_else(|| item.get("name").and_then(Value::as_str));
            name.map(str::trim)
                .filter(|n| !n.is_empty())
                .map(str::to_owned)
                .ok_or_else(invalid)
        })
        .collect()
}

/// Adds `names` to an issue (after clearing it when `replace`), creating repository
/// labels as needed; 404 when the repository or issue is unknown.
fn write_labels(
    state: &mut State,
    owner: &str,
    repo: &str,
    number: u64,
    names: Vec<String>,
    replace: bool,
) -> Result<(), SimError> {
    if state
        .repo(owner, repo)
        .and_then(|r| r.issues.get(&number))
        .is_none()
    {
        return Err(SimError::NotFound);
    }
    let names: Vec<String> = names
        .iter()
        .map(|n| ensure_repo_label(state, owner, repo, n))
        .collect();
    let issue = state
        .repo_mut(owner, repo)
        .and_then(|r| r.issues.get_mut(&number))
        .ok_or(SimError::NotFound)?;
    if replace {
        issue.labels.clear();
    }
    for name in &names {
        issue.add_label(name);
    }
    issue.updated_at = chrono::Utc::now();
    Ok(())
}

/// The label objects on an issue; 404 when the repository or issue is unknown.
fn rendered_issue_labels(
    state: &State,
    base: &str,
    owner: &str,
    repo: &str,
    number: u64,
) -> Result<Vec<Value>, SimError> {
    let repo = state.repo(owner, repo).ok_or(SimError::NotFound)?;
    let issue = repo.issues.get(&number).ok_or(SimError::NotFound)?;
    Ok(json::issue_labels(base, repo, issue))
}

fn is_hex_color(c: &str) -> bool {
    c.len() == 6 && c.bytes().all(|b| b.is_ascii_hexdigit())
}
