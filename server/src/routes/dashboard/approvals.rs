//! Approvals (`/dashboard/approvals`): the queue of held actions with exactly what
//! each would run (pretty JSON), approve or deny with a reason (maintainers of the
//! action's repository; through `services::approvals`, which runs an approved action
//! once and audits both), and the decided history, of the projects the reader may
//! see. The queue refreshes every 5 s
//! from `/dashboard/approvals/live`.
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::access::{can, require, User};
use super::format::{pretty_json, time};
use super::view::{fragment, render, see_other, DashError, Nav};
use crate::auth::Role;
use crate::db;
use crate::db::entities::approvals::Model as Approval;
use crate::services::approvals::{self as service, ApprovalError};
use crate::state::AppState;

/// How many pending and decided approvals a page shows.
const SHOWN: u64 = 200;

/// One held action, as the page shows it.
#[derive(Debug)]
pub struct Row {
    /// `ap_...`.
    pub id: String,
    /// The plugin that asked.
    pub plugin: String,
    /// The capability it needs.
    pub capability: String,
    /// Where.
    pub repository: String,
    /// The delivery that led to it.
    pub delivery_id: String,
    /// Exactly what would run, pretty JSON.
    pub action: String,
    /// `pending`, `approved`, `executed`, `failed`, `denied` or `expired`.
    pub status: String,
    /// Who decided.
    pub decided_by: Option<String>,
    /// Why.
    pub reason: Option<String>,
    /// What running it returned (or its error).
    pub result: Option<String>,
    /// When it was held.
    pub created_at: String,
    /// When it was decided.
    pub decided_at: Option<String>,
    /// Whether this caller may approve or deny it.
    pub can_decide: bool,
}

fn row(a: Approval, user: &User) -> Row {
    Row {
        can_decide: a.status == "pending" && can(&user.0, Role::Maintainer, Some(&a.repository)),
        action: pretty_json(&a.action),
        result: a.result.as_deref().map(pretty_json),
        created_at: time(&a.created_at),
        decided_at: a.decided_at.as_ref().map(time),
        id: a.public_id,
        plugin: a.plugin,
        capability: a.capability,
        repository: a.repository,
        delivery_id: a.delivery_id,
        status: a.status,
        decided_by: a.decided_by,
        reason: a.reason,
    }
}

/// `pages/approvals/list.html`.
#[derive(Template)]
#[template(path = "pages/approvals/list.html", blocks = ["content", "live"])]
pub struct ApprovalsPage {
    nav: Nav,
    pending: Vec<Row>,
    decided: Vec<Row>,
}

async fn load(state: &AppState, user: &User) -> Result<ApprovalsPage, DashError> {
    let visible = user.0.visible_projects();
    let pending = db::dashboard::pending_approvals(&state.db, &visible, SHOWN)
        .await?
        .into_iter()
        .map(|a| row(a, user))
        .collect();
    let decided = db::dashboard::decided_approvals(&state.db, &visible, SHOWN)
        .await?
        .into_iter()
        .map(|a| row(a, user))
        .collect();
    Ok(ApprovalsPage {
        nav: Nav::new(&user.0, "approvals", super::sandbox::enabled(state)),
        pending,
        decided,
    })
}

/// `GET /dashboard/approvals`.
pub async fn list_approvals(
    user: User,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, DashError> {
    let page = load(&state, &user).await?;
    render(&req, &page, |p| p.as_content().render())
}

/// `GET /dashboard/approvals/live`: the queue alone, for polling.
pub async fn approvals_live(
    user: User,
    state: web::Data<AppState>,
) -> Result<HttpResponse, DashError> {
    let page = load(&state, &user).await?;
    let rendered = page.as_live().render();
    fragment(rendered)
}

/// The approve and deny forms.
#[derive(Debug, Deserialize)]
pub struct DecisionForm {
    /// Why (optional).
    #[serde(default)]
    reason: Option<String>,
}

/// The held action, after checking the caller maintains its repository.
async fn decidable(state: &AppState, user: &User, id: &str) -> Result<Approval, DashError> {
    let held = db::approvals::find(&state.db, id)
        .await?
        .ok_or_else(|| DashError::NotFound(format!("no approval with id {id}")))?;
    require(&user.0, Role::Maintainer, Some(&held.repository))?;
    Ok(held)
}

/// `POST /dashboard/approvals/{id}/approve`: runs the held action, once.
#[tracing::instrument(skip_all, fields(approval = %id))]
pub async fn approve_approval(
    user: User,
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    form: web::Form<DecisionForm>,
) -> Result<HttpResponse, DashError> {
    let held = decidable(&state, &user, &id).await?;
    let github = state
        .github_for_delivery(&held.delivery_id)
        .await
        .map_err(|e| DashError::Upstream(e.to_string()))?;
    let reason = form.into_inner().reason.filter(|r| !r.trim().is_empty());
    service::approve(
        &state.db,
        &github,
        &id,
        &user.0.audit_actor(),
        reason.as_deref(),
    )
    .await
    .map_err(dash_error)?;
    Ok(see_other(&req, "/dashboard/approvals"))
}

/// `POST /dashboard/approvals/{id}/deny`: discards the held action.
#[tracing::instrument(skip_all, fields(approval = %id))]
pub async fn deny_approval(
    user: User,
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    form: web::Form<DecisionForm>,
) -> Result<HttpResponse, DashError> {
    decidable(&state, &user, &id).await?;
    let reason = form.into_inner().reason.filter(|r| !r.trim().is_empty());
    service::deny(&state.db, &id, &user.0.audit_actor(), reason.as_deref())
        .await
        .map_err(dash_error)?;
    Ok(see_other(&req, "/dashboard/approvals"))
}

fn dash_error(err: ApprovalError) -> DashError {
    match err {
        ApprovalError::NotFound(_) => DashError::NotFound(err.to_string()),
        ApprovalError::AlreadyDecided { .. } => DashError::Conflict(err.to_string()),
        ApprovalError::Failed(_) => DashError::Upstream(err.to_string()),
        ApprovalError::Database(ref e) => DashError::internal(e),
    }
}
