//! `/api/v1/deliveries`: list, show, replay and cancel stored deliveries. Reads hold only
//! the projects the caller may see (`services::deliveries::list_for`, `show_for`);
//! another project's delivery answers 404, as a missing one does.
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::deliveries::DeliverySummary;
use crate::routes::auth::{AdminOnly, AnyViewer};
use crate::routes::error::{ApiError, ApiErrorCode};
use crate::services::deliveries::{self, DeliveryError};
use crate::services::AppState;

/// Query of `GET /api/v1/deliveries`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only deliveries whose job has this status (`queued`, `running`, `done`, `dead`).
    status: Option<String>,
    /// Page size (1 to 500, default 50).
    limit: Option<u64>,
    /// Continue after this row id (the `next_before` of the previous page).
    before: Option<i64>,
}

/// A page of deliveries.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveriesResponse {
    /// Newest first, without payloads, each with its latest job.
    pub deliveries: Vec<DeliverySummary>,
    /// The `before` of the next page (the last row's id); `null` when empty.
    pub next_before: Option<i64>,
}

/// Deliveries, newest first
///
/// Stored deliveries without their payloads, each with its latest job.
#[utoipa::path(get, path = "/api/v1/deliveries", tag = "deliveries", params(ListQuery),
    responses((status = 200, description = "a page of deliveries", body = DeliveriesResponse)))]
pub async fn list_deliveries(
    caller: AnyViewer,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let items = deliveries::list_for(
        &state.db,
        &caller.visible_projects(),
        query.status.as_deref(),
        query.limit.unwrap_or(50),
        query.before,
    )
    .await
    .map_err(api_error)?;
    let next_before = items.last().map(|d| d.id);
    Ok(HttpResponse::Ok().json(DeliveriesResponse {
        deliveries: items,
        next_before,
    }))
}

/// One delivery
///
/// The delivery (GitHub's id), every job and every plugin run: outcome, message,
/// log, timing.
#[utoipa::path(get, path = "/api/v1/deliveries/{delivery_id}", tag = "deliveries",
    params(("delivery_id" = String, Path, description = "GitHub's delivery id")),
    responses((status = 200, description = "the delivery", body = deliveries::DeliveryDetail)))]
pub async fn show_delivery(
    caller: AnyViewer,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let detail = deliveries::show_for(&state.db, &caller.visible_projects(), &path)
        .await
        .map_err(api_error)?;
    Ok(HttpResponse::Ok().json(detail))
}

/// Replays a delivery
///
/// Requeues a dead-lettered job (it resumes where it stopped) or runs a
/// processed delivery again as a new generation; `already_pending` when a job of
/// it is still queued or running.
#[utoipa::path(post, path = "/api/v1/deliveries/{delivery_id}/replay", tag = "deliveries",
    params(("delivery_id" = String, Path, description = "GitHub's delivery id")),
    responses((status = 202, description = "what was done", body = crate::db::jobs::Replay)))]
pub async fn replay_delivery(
    caller: AdminOnly,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let replay = deliveries::replay(&state.db, state.audit_key(), &caller.actor(), &path)
        .await
        .map_err(api_error)?;
    state.wake_workers();
    tracing::info!(delivery = %path, ?replay, "delivery replayed through the API");
    Ok(HttpResponse::Accepted().json(replay))
}

/// Cancels a delivery's job
///
/// Cancels its queued job at once (`cancelled`), or asks its running job to stop
/// (`stopping`): the plugin stops at its next host call and the job ends
/// `cancelled`. `nothing_pending` when no job of it is queued or running.
/// Audited (`job.cancelled`).
#[utoipa::path(post, path = "/api/v1/deliveries/{delivery_id}/cancel", tag = "deliveries",
    params(("delivery_id" = String, Path, description = "GitHub's delivery id")),
    responses((status = 202, description = "what was done", body = crate::db::jobs::Cancel)))]
pub async fn cancel_delivery(
    caller: AdminOnly,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let cancel = deliveries::cancel(
        &state.db,
        state.audit_key(),
        &caller.actor(),
        &path,
        Some(&state.stops),
    )
    .await
    .map_err(api_error)?;
    tracing::info!(delivery = %path, ?cancel, "delivery's job cancelled through the API");
    Ok(HttpResponse::Accepted().json(cancel))
}

fn api_error(err: DeliveryError) -> ApiError {
    let code = match &err {
        DeliveryError::NotFound(_) => ApiErrorCode::DeliveryNotFound,
        DeliveryError::BadStatus(_) => ApiErrorCode::BadStatus,
        DeliveryError::Database(_) => return ApiError::storage(&err),
    };
    ApiError::new(code, err.to_string())
}
