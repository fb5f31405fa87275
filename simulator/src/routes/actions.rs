//! Actions workflows: listing them (`/repos/{o}/{r}/actions/workflows[/{id}]`) and
//! dispatching one (`.../actions/workflows/{id or file name}/dispatches`). Runs,
//! jobs and artifacts live in `runs`.

use super::Routes;
use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use serde_json::Value;

use super::{actor, base_url, ensure_actor, paginate_in, parse_json, required_string};
use crate::{
    contract::Problem,
    error::SimError,
    json,
    state::{
        runs::{self, NewRun},
        State, Workflow,
    },
    Simulator,
};

/// Registers this module's routes.
pub(super) fn config(r: &mut Routes) {
    r.get("/repos/{owner}/{repo}/actions/workflows", list_workflows);
    r.get(
        "/repos/{owner}/{repo}/actions/workflows/{workflow}",
        get_workflow,
    );
    r.post(
        "/repos/{owner}/{repo}/actions/workflows/{workflow}/dispatches",
        dispatch_workflow,
    );
}

/// The workflow `key` (an id or a file name such as `ci.yml`) names; 404 otherwise.
pub(super) fn find_workflow<'a>(
    state: &'a State,
    owner: &str,
    repo: &str,
    key: &str,
) -> Result<&'a Workflow, SimError> {
    state
        .repo(owner, repo)
        .ok_or(SimError::NotFound)?
        .workflows
        .iter()
        .find(|w| w.is_named(key))
        .ok_or(SimError::NotFound)
}

/// `GET /repos/{o}/{r}/actions/workflows`: `{"total_count", "workflows"}`, paginated.
async fn list_workflows(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, SimError> {
    let (owner, repo) = path.into_inner();
    let base = base_url(&req);
    let state = sim.lock();
    let repo = state.repo(&owner, &repo).ok_or(SimError::NotFound)?;
    let items = repo
        .workflows
        .iter()
        .map(|w| json::actions::workflow(&base, repo, w))
        .collect();
    Ok(paginate_in(&req, "workflows", items))
}

/// `GET /repos/{o}/{r}/actions/workflows/{id or file name}`: one workflow.
async fn get_workflow(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, SimError> {
    let (owner, repo, key) = path.into_inner();
    let state = sim.lock();
    let workflow = find_workflow(&state, &owner, &repo, &key)?;
    let repo = state.repo(&owner, &repo).ok_or(SimError::NotFound)?;
    Ok(HttpResponse::Ok().json(json::actions::workflow(&base_url(&req), repo, workflow)))
}

/// `POST .../actions/workflows/{id or file name}/dispatches` with `ref` (a branch or
/// tag, short or full) and `inputs`: queues a `workflow_dispatch` run on the ref's
/// head; 204. 404 for an unknown workflow, 422 "No ref found for: ..." for an unknown
/// ref, 422 for a workflow without a `workflow_dispatch` trigger, 422 `Unexpected
/// inputs provided: ["x"]` for inputs the workflow does not declare (recorded as a
/// violation).
async fn dispatch_workflow(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: web::Path<(String, String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, SimError> {
    let (owner, repo, key) = path.into_inner();
    let body = parse_json(&body)?;
    let git_ref = required_string(&body, "ref", "WorkflowDispatch")?;
    let given: Vec<String> = body
        .get("inputs")
        .and_then(Value::as_object)
        .map(|inputs| inputs.keys().cloned().collect())
        .unwrap_or_default();
    let mut state = sim.lock();
    let workflow = find_workflow(&state, &owner, &repo, &key)?;
    if !workflow.dispatchable {
        return Err(SimError::status(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Workflow does not have 'workflow_dispatch' trigger",
        ));
    }
    let unexpected: Vec<String> = given
        .into_iter()
        .filter(|name| !workflow.inputs.contains(name))
        .collect();
    if !unexpected.is_empty() {
        drop(state);
        let problems: Vec<Problem> = unexpected
            .iter()
            .map(|name| Problem {
                field: format!("inputs.{name}"),
                code: "invalid",
                detail: "is not an input the workflow declares".to_owned(),
            })
            .collect();
        sim.record_violation(&req, &problems);
        let listed: Vec<String> = unexpected.iter().map(|n| format!("{n:?}")).collect();
        return Err(SimError::status(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("Unexpected inputs provided: [{}]", listed.join(", ")),
        ));
    }
    let workflow_id = workflow.id;
    let (branch, sha) = branch_or_tag(&mut state, &owner, &repo, &git_ref).ok_or_else(|| {
        SimError::status(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("No ref found for: {git_ref}"),
        )
    })?;
    let who = ensure_actor(&mut state, &actor(&req));
    let new = NewRun {
        workflow_id,
        event: "workflow_dispatch".to_owned(),
        head_branch: branch,
        head_sha: sha,
        actor: who,
    };
    runs::create(&mut state, &owner, &repo, new).ok_or(SimError::NotFound)?;
    Ok(HttpResponse::NoContent().finish())
}

/// The short name and commit of a branch or tag named `git_ref` (short, or
/// `refs/heads/...`, `refs/tags/...`); `None` for anything else, SHAs included.
pub(crate) fn branch_or_tag(
    state: &mut State,
    owner: &str,
    repo: &str,
    git_ref: &str,
) -> Option<(String, String)> {
    let git = state.repo_mut(owner, repo)?.git_mut();
    let full = if git_ref.starts_with("refs/") {
        git_ref.to_owned()
    } else if git.refs.contains_key(&format!("refs/heads/{git_ref}")) {
        format!("refs/heads/{git_ref}")
    } else {
        format!("refs/tags/{git_ref}")
    };
    let short = full
        .strip_prefix("refs/heads/")
        .or_else(|| full.strip_prefix("refs/tags/"))?
        .to_owned();
    let sha = git.refs.contains_key(&full).then(|| git.resolve(&full))??;
    Some((short, sha))
}
