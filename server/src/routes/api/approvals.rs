//! `/api/v1/approvals`: held actions, listed a page at a time
//! (`services::approvals::page`, only the projects the caller may see), approved
//! (run once, after the quorum of distinct approvers) or denied, through
//! `services::approvals::decide`.
use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::entities::approvals::Model as Held;
use crate::routes::auth::{AnyMaintainer, AnyViewer};
use crate::routes::error::{ApiError, ApiErrorCode};
use crate::services::approvals::{
    self as service, ApprovalError, Decided, Decider, Decision, Right,
};
use crate::services::AppState;

/// Query of `GET /api/v1/approvals`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// A status (`pending`, `approved`, `retrying`, `executed`, `failed`, `denied`,
    /// `expired`, `superseded`, `stopped`); all when absent.
    status: Option<String>,
    /// At most this many (default 50, at most 500).
    limit: Option<u64>,
    /// Only approvals older than this one (its id, `ap_...`): the previous page's
    /// `next_before`.
    before: Option<String>,
}

/// Body of approve and deny (optional).
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct DecisionForm {
    /// Why.
    reason: Option<String>,
}

/// A page of held actions.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApprovalsResponse {
    /// Newest first.
    pub approvals: Vec<ApprovalResponse>,
    /// The `before` of the next page; `null` on the last page.
    pub next_before: Option<String>,
}

/// One held action with exactly what it would do.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApprovalResponse {
    /// Its public id (`ap_...`).
    pub id: String,
    /// `pending`, `approved`, `retrying`, `executed`, `failed`, `denied`, `expired`,
    /// `superseded` or `stopped`.
    pub status: String,
    /// The plugin that asked.
    pub plugin: String,
    /// The capability it used.
    pub capability: String,
    /// `owner/name`.
    pub repository: String,
    /// The delivery whose run asked.
    pub delivery_id: String,
    /// The held write; a held push's packfile is replaced by its size
    /// (`pack.data_bytes`).
    pub action: serde_json::Value,
    /// Who decided it last.
    pub decided_by: Option<String>,
    /// Why.
    pub reason: Option<String>,
    /// Who caused it (they may not approve it).
    pub requested_by: Vec<String>,
    /// Distinct approvals so far.
    pub approvals: i32,
    /// Distinct approvals needed.
    pub approvals_required: i32,
    /// The pull request it was held for.
    pub pull_request: Option<i64>,
    /// That pull request's head when it was held.
    pub head_sha: Option<String>,
    /// What running it returned.
    pub result: Option<serde_json::Value>,
    /// When it was held.
    pub created_at: DateTime<Utc>,
    /// When it was decided.
    pub decided_at: Option<DateTime<Utc>>,
}

impl From<Held> for ApprovalResponse {
    fn from(a: Held) -> Self {
        let requested_by = crate::db::approvals::requesters(&a);
        Self {
            action: without_pack_data(serde_json::from_str(&a.action).unwrap_or_default()),
            result: a.result.and_then(|r| serde_json::from_str(&r).ok()),
            id: a.public_id,
            status: a.status,
            plugin: a.plugin,
            capability: a.capability,
            repository: a.repository,
            delivery_id: a.delivery_id,
            decided_by: a.decided_by,
            reason: a.reason,
            requested_by,
            approvals: a.votes,
            approvals_required: a.approvals_required,
            pull_request: a.pull_number,
            head_sha: a.head_sha,
            created_at: a.created_at,
            decided_at: a.decided_at,
        }
    }
}

/// What a decision did (`status` says which).
#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum DecisionResponse {
    /// The approval was counted (202); more distinct people must approve.
    Pending {
        /// The approval.
        id: String,
        /// Distinct approvals so far.
        approvals: u32,
        /// Distinct approvals needed.
        required: u32,
    },
    /// It ran once (200); what it returned.
    Executed {
        /// The approval.
        id: String,
        /// What running it returned.
        result: serde_json::Value,
    },
    /// It was denied and never runs.
    Denied {
        /// The approval.
        id: String,
    },
}

/// Held actions, newest first, a page at a time
///
/// Held actions with exactly what they would do (`limit`, `before`;
/// `next_before` when there may be more). The packfile of a held push is left out
/// (`pack.data_bytes` says its size): a listing is no way to download up to
/// `approvals.max_held_push_bytes` per row.
#[utoipa::path(get, path = "/api/v1/approvals", tag = "approvals", params(ListQuery),
    responses((status = 200, description = "a page of held actions", body = ApprovalsResponse)))]
pub async fn list_approvals(
    caller: AnyViewer,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = service::page(
        &state.db,
        &caller.visible_projects(),
        query.status.as_deref(),
        query.before.as_deref(),
        query.limit,
    )
    .await
    .map_err(api_error)?;
    Ok(HttpResponse::Ok().json(ApprovalsResponse {
        approvals: page.items.into_iter().map(ApprovalResponse::from).collect(),
        next_before: page.next_before,
    }))
}

/// A held action with its pack's `data` (base64, up to the held-push limit)
/// replaced by its size, `data_bytes`.
fn without_pack_data(mut action: serde_json::Value) -> serde_json::Value {
    if let Some(pack) = action.get_mut("pack").and_then(|p| p.as_object_mut()) {
        if let Some(data) = pack.remove("data") {
            let bytes = data.as_str().map_or(0, str::len);
            pack.insert("data_bytes".into(), bytes.into());
        }
    }
    action
}

/// Approves a held action
///
/// Counts the caller's approval; runs the held action once enough distinct
/// people approved (200 `executed`), otherwise answers 202 `pending` with the count.
#[utoipa::path(post, path = "/api/v1/approvals/{id}/approve", tag = "approvals",
    params(("id" = String, Path, description = "the approval's id, `ap_...`")),
    request_body(content = Option<DecisionForm>, description = "optional: why"),
    responses(
        (status = 200, description = "it ran (`executed`)", body = DecisionResponse),
        (status = 202, description = "counted; more approvals needed (`pending`)", body = DecisionResponse),
    ))]
pub async fn approve_action(
    caller: AnyMaintainer,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: Option<web::Json<DecisionForm>>,
) -> Result<HttpResponse, ApiError> {
    let decided = decide(&caller, &state, &path, form, Decision::Approve).await?;
    let id = path.into_inner();
    Ok(match decided {
        Decided::Waiting { votes, required } => {
            HttpResponse::Accepted().json(DecisionResponse::Pending {
                id,
                approvals: votes,
                required,
            })
        }
        Decided::Executed(result) => {
            HttpResponse::Ok().json(DecisionResponse::Executed { id, result })
        }
        Decided::Denied => HttpResponse::Ok().json(DecisionResponse::Denied { id }),
    })
}

/// Denies a held action
///
/// Discards a pending or failed held action; it never runs.
#[utoipa::path(post, path = "/api/v1/approvals/{id}/deny", tag = "approvals",
    params(("id" = String, Path, description = "the approval's id, `ap_...`")),
    request_body(content = Option<DecisionForm>, description = "optional: why"),
    responses((status = 200, description = "denied", body = DecisionResponse)))]
pub async fn deny_action(
    caller: AnyMaintainer,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: Option<web::Json<DecisionForm>>,
) -> Result<HttpResponse, ApiError> {
    decide(&caller, &state, &path, form, Decision::Deny).await?;
    Ok(HttpResponse::Ok().json(DecisionResponse::Denied {
        id: path.into_inner(),
    }))
}

/// The caller's decision on approval `id`, with the optional reason.
async fn decide(
    caller: &AnyMaintainer,
    state: &AppState,
    id: &str,
    form: Option<web::Json<DecisionForm>>,
    decision: Decision,
) -> Result<Decided, ApiError> {
    let reason = form.and_then(|f| f.into_inner().reason);
    let decider = Decider {
        actor: caller.actor(),
        right: Right::Principal(caller),
    };
    service::decide(state, &decider, id, decision, reason.as_deref())
        .await
        .map_err(api_error)
}

fn api_error(err: ApprovalError) -> ApiError {
    let code = match &err {
        ApprovalError::NotFound(_) => ApiErrorCode::ApprovalNotFound,
        ApprovalError::Forbidden(_) => ApiErrorCode::Forbidden,
        ApprovalError::AlreadyDecided { .. } => ApiErrorCode::AlreadyDecided,
        ApprovalError::AlreadyApproved(_) => ApiErrorCode::AlreadyApproved,
        ApprovalError::Stopped { .. } => ApiErrorCode::StoppedByPolicy,
        ApprovalError::Failed(_) => ApiErrorCode::ActionFailed,
        ApprovalError::Database(_) => return ApiError::storage(&err),
    };
    ApiError::new(code, err.to_string())
}
