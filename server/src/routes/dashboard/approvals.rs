//! Approvals (`/dashboard/approvals`): the queue of held actions with exactly what
//! each would run (pretty JSON), who caused it and how many approvals it has and
//! needs; approve or deny with a reason (maintainers of the action's repository,
//! through `services::approvals::decide`, which applies separation of duties, runs
//! an approved action once and audits every step); and the decided history, of the
//! projects the reader may see. The queue refreshes every 5 s from
//! `/dashboard/approvals/live`.
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::access::{can, User};
use super::format::{pretty_json, time};
use super::view::{fragment, render, see_other, DashError, Nav};
use crate::auth::Role;
use crate::db;
use crate::db::entities::approvals::Model as Approval;
use crate::domain::ApprovalStatus;
use crate::services::approvals::{self as service, ApprovalError, Decider, Decision, Right};
use crate::services::AppState;

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
    /// Its status (`ApprovalStatus`).
    pub status: String,
    /// Who caused it (GitHub logins; they may not approve it).
    pub requested_by: String,
    /// Approvals so far, and needed.
    pub quorum: String,
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
    let open = matches!(
        db::approvals::status(&a),
        ApprovalStatus::Pending | ApprovalStatus::Failed
    );
    Row {
        can_decide: open && can(&user.0, Role::Maintainer, Some(&a.repository)),
        requested_by: db::approvals::requesters(&a).join(", "),
        quorum: format!("{} of {}", a.votes, a.approvals_required),
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

/// Decides the held action `id` for the signed-in user.
async fn decide(
    state: &AppState,
    user: &User,
    id: &str,
    decision: Decision,
    form: DecisionForm,
) -> Result<(), DashError> {
    let reason = form.reason.filter(|r| !r.trim().is_empty());
    let decider = Decider {
        actor: user.0.actor(),
        right: Right::Principal(&user.0),
    };
    service::decide(state, &decider, id, decision, reason.as_deref())
        .await
        .map_err(dash_error)?;
    Ok(())
}

/// `POST /dashboard/approvals/{id}/approve`: counts the approval; runs the held
/// action once enough distinct people approved.
#[tracing::instrument(skip_all, fields(approval = %id))]
pub async fn approve_approval(
    user: User,
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    form: web::Form<DecisionForm>,
) -> Result<HttpResponse, DashError> {
    decide(&state, &user, &id, Decision::Approve, form.into_inner()).await?;
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
    decide(&state, &user, &id, Decision::Deny, form.into_inner()).await?;
    Ok(see_other(&req, "/dashboard/approvals"))
}

fn dash_error(err: ApprovalError) -> DashError {
    match err {
        ApprovalError::NotFound(_) => DashError::NotFound(err.to_string()),
        ApprovalError::Forbidden(_) => DashError::Forbidden(err.to_string()),
        ApprovalError::AlreadyDecided { .. }
        | ApprovalError::AlreadyApproved(_)
        | ApprovalError::Stopped { .. } => DashError::Conflict(err.to_string()),
        ApprovalError::Failed(_) => DashError::Upstream(err.to_string()),
        ApprovalError::Database(ref e) => DashError::internal(e),
    }
}
