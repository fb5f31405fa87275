//! `/api/v1/deliveries`: list, show and replay stored deliveries. Reads hold only
//! the projects the caller may see (`Principal::visible_projects`); another
//! project's delivery answers 404, as a missing one does.
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::auth::{AdminOnly, AnyViewer};
use crate::db;
use crate::db::dashboard::{DeliveryFilter, Visibility};
use crate::routes::ApiError;
use crate::services::deliveries::{self, DeliveryError};
use crate::state::AppState;

/// Query of `GET /api/v1/deliveries`.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    /// Only deliveries whose job has this status (`queued`, `running`, `done`, `dead`).
    status: Option<String>,
    /// Page size (1 to 500, default 50).
    limit: Option<u64>,
    /// Continue after this row id (the `id` of the last item of the previous page).
    before: Option<i64>,
}

/// `GET /api/v1/deliveries`: newest first, without payloads.
pub async fn list_deliveries(
    caller: AnyViewer,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let items = match caller.visible_projects() {
        Visibility::All => deliveries::list(
            &state.db,
            query.status.as_deref(),
            query.limit.unwrap_or(50),
            query.before,
        )
        .await
        .map_err(api_error)?,
        visible => {
            if let Some(status) = query
                .status
                .as_deref()
                .filter(|s| !["queued", "running", "done", "dead"].contains(s))
            {
                return Err(api_error(DeliveryError::BadStatus(status.to_owned())));
            }
            let filter = DeliveryFilter {
                status: query.status.clone(),
                ..DeliveryFilter::default()
            };
            db::dashboard::deliveries_page(
                &state.db,
                &visible,
                &filter,
                query.before,
                query.limit.unwrap_or(50),
            )
            .await
            .map_err(|e| api_error(e.into()))?
        }
    };
    let next_before = items.last().map(|d| d.id);
    Ok(HttpResponse::Ok()
        .json(serde_json::json!({ "deliveries": items, "next_before": next_before })))
}

/// `GET /api/v1/deliveries/{delivery_id}`: the delivery, its jobs and plugin runs.
pub async fn show_delivery(
    caller: AnyViewer,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    if !db::dashboard::delivery_visible(&state.db, &caller.visible_projects(), &path)
        .await
        .map_err(|e| api_error(e.into()))?
    {
        return Err(api_error(DeliveryError::NotFound(path.to_string())));
    }
    let detail = deliveries::show(&state.db, &path)
        .await
        .map_err(api_error)?;
    Ok(HttpResponse::Ok().json(detail))
}

/// `POST /api/v1/deliveries/{delivery_id}/replay`: requeue a dead job or run a
/// processed delivery again; 202 with what was done.
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

fn api_error(err: DeliveryError) -> ApiError {
    match &err {
        DeliveryError::NotFound(_) => {
            ApiError::new(StatusCode::NOT_FOUND, "delivery_not_found", err.to_string())
        }
        DeliveryError::BadStatus(_) => {
            ApiError::new(StatusCode::BAD_REQUEST, "bad_status", err.to_string())
        }
        DeliveryError::Database(_) => {
            ApiError::internal(StatusCode::SERVICE_UNAVAILABLE, "storage_unavailable", &err)
        }
    }
}
