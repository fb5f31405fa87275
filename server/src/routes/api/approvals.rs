//! `/api/v1/approvals`: held actions, approved (run once, after the quorum of
//! distinct approvers) or denied, through `services::approvals::decide`. The
//! listing holds only the projects the caller may see
//! (`Principal::visible_projects`).
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::auth::{AnyMaintainer, AnyViewer};
use crate::routes::ApiError;
use crate::services::approvals::{
    self as service, ApprovalError, Decided, Decider, Decision, Right,
};
use crate::state::AppState;

/// Query of `GET /api/v1/approvals`.
#[derive(Debug, Deserialize)]
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

/// Approvals per page when the query does not say.
const PAGE: u64 = 50;

/// Body of approve and deny (optional).
#[derive(Debug, Default, Deserialize)]
pub struct DecisionForm {
    /// Why.
    reason: Option<String>,
}

/// `GET /api/v1/approvals`: held actions with exactly what they would do, newest
/// first, a page at a time (`limit`, `before`; `next_before` when there may be
/// more). The packfile of a held push is left out (`pack.data_bytes` says its size):
/// a listing is no way to download up to `approvals.max_held_push_bytes` per row.
pub async fn list_approvals(
    caller: AnyViewer,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let unavailable = |e: sea_orm::DbErr| {
        ApiError::internal(StatusCode::SERVICE_UNAVAILABLE, "storage_unavailable", &e)
    };
    let visible = caller.visible_projects();
    let before = match query.before.as_deref() {
        None => None,
        Some(public_id) => match crate::db::approvals::find(&state.db, public_id)
            .await
            .map_err(unavailable)?
        {
            Some(a) if visible.shows(Some(&a.repository)) => Some(a.id),
            _ => {
                return Err(ApiError::new(
                    StatusCode::NOT_FOUND,
                    "approval_not_found",
                    format!("no approval {public_id}"),
                ))
            }
        },
    };
    let limit = query
        .limit
        .unwrap_or(PAGE)
        .clamp(1, crate::db::dashboard::MAX_PAGE);
    let items = crate::db::dashboard::approvals(
        &state.db,
        &visible,
        query.status.as_deref(),
        before,
        limit,
    )
    .await
    .map_err(unavailable)?;
    let next_before = (items.len() as u64 == limit)
        .then(|| items.last().map(|a| a.public_id.clone()))
        .flatten();
    let items: Vec<serde_json::Value> = items
        .into_iter()
        .map(|a| {
            serde_json::json!({
                "id": a.public_id, "status": a.status, "plugin": a.plugin, "capability": a.capability,
                "repository": a.repository, "delivery_id": a.delivery_id,
                "action": without_pack_data(serde_json::from_str::<serde_json::Value>(&a.action).unwrap_or_default()),
                "decided_by": a.decided_by, "reason": a.reason,
                "requested_by": crate::db::approvals::requesters(&a),
                "approvals": a.votes, "approvals_required": a.approvals_required,
                "pull_request": a.pull_number, "head_sha": a.head_sha,
                "result": a.result.and_then(|r| serde_json::from_str::<serde_json::Value>(&r).ok()),
                "created_at": a.created_at, "decided_at": a.decided_at,
            })
        })
        .collect();
    Ok(HttpResponse::Ok()
        .json(serde_json::json!({ "approvals": items, "next_before": next_before })))
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

/// `POST /api/v1/approvals/{id}/approve`: counts the caller's approval; runs the
/// held action once enough distinct people approved (200 `executed`), otherwise
/// answers 202 `pending` with the count.
pub async fn approve_action(
    caller: AnyMaintainer,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: Option<web::Json<DecisionForm>>,
) -> Result<HttpResponse, ApiError> {
    let reason = form.and_then(|f| f.into_inner().reason);
    let decider = Decider {
        actor: caller.actor(),
        right: Right::Principal(&caller),
    };
    let decided = service::decide(
        &state,
        &decider,
        &path,
        Decision::Approve,
        reason.as_deref(),
    )
    .await
    .map_err(api_error)?;
    Ok(match decided {
        Decided::Waiting { votes, required } => HttpResponse::Accepted().json(
            serde_json::json!({ "id": path.as_str(), "status": "pending", "approvals": votes, "required": required }),
        ),
        Decided::Executed(result) => HttpResponse::Ok().json(
            serde_json::json!({ "id": path.as_str(), "status": "executed", "result": result }),
        ),
        Decided::Denied => HttpResponse::Ok()
            .json(serde_json::json!({ "id": path.as_str(), "status": "denied" })),
    })
}

/// `POST /api/v1/approvals/{id}/deny`: discards the held action.
pub async fn deny_action(
    caller: AnyMaintainer,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: Option<web::Json<DecisionForm>>,
) -> Result<HttpResponse, ApiError> {
    let reason = form.and_then(|f| f.into_inner().reason);
    let decider = Decider {
        actor: caller.actor(),
        right: Right::Principal(&caller),
    };
    service::decide(&state, &decider, &path, Decision::Deny, reason.as_deref())
        .await
        .map_err(api_error)?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "id": path.as_str(), "status": "denied" })))
}

fn api_error(err: ApprovalError) -> ApiError {
    match &err {
        ApprovalError::NotFound(_) => {
            ApiError::new(StatusCode::NOT_FOUND, "approval_not_found", err.to_string())
        }
        ApprovalError::Forbidden(_) => {
            ApiError::new(StatusCode::FORBIDDEN, "forbidden", err.to_string())
        }
        ApprovalError::AlreadyDecided { .. } => {
            ApiError::new(StatusCode::CONFLICT, "already_decided", err.to_string())
        }
        ApprovalError::AlreadyApproved(_) => {
            ApiError::new(StatusCode::CONFLICT, "already_approved", err.to_string())
        }
        ApprovalError::Stopped { .. } => {
            ApiError::new(StatusCode::CONFLICT, "stopped_by_policy", err.to_string())
        }
        ApprovalError::Failed(_) => {
            ApiError::new(StatusCode::BAD_GATEWAY, "action_failed", err.to_string())
        }
        ApprovalError::Database(_) => {
            ApiError::internal(StatusCode::SERVICE_UNAVAILABLE, "storage_unavailable", &err)
        }
    }
}
