//! `/api/v1/installations`: the GitHub App's installations as their webhooks
//! described them, with whether each is suspended and the last credentials error
//! seen for it. A caller with only team grants sees the installations listing one
//! of their repositories, with only those repositories.
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};

use crate::auth::AnyViewer;
use crate::db::dashboard::Visibility;
use crate::routes::ApiError;
use crate::state::AppState;

/// `GET /api/v1/installations`.
pub async fn list_installations(
    caller: AnyViewer,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let rows = crate::db::installations::all(&state.db)
        .await
        .map_err(|e| {
            ApiError::internal(StatusCode::SERVICE_UNAVAILABLE, "storage_unavailable", &e)
        })?;
    let visible = caller.visible_projects();
    let items: Vec<serde_json::Value> = rows
        .iter()
        .filter_map(|i| {
            let mut repositories = i.repositories.as_deref().and_then(|r| serde_json::from_str::<serde_json::Value>(r).ok());
            if visible != Visibility::All {
                let names: Vec<String> = repositories.as_ref().and_then(|r| serde_json::from_value(r.clone()).ok()).unwrap_or_default();
                let mine: Vec<String> = names.into_iter().filter(|n| visible.shows(Some(n))).collect();
                if mine.is_empty() {
                    return None;
                }
                repositories = Some(serde_json::json!(mine));
            }
            Some(serde_json::json!({
                "id": i.id, "account": i.account, "suspended": i.suspended,
                "repositories": repositories, "last_error": i.last_error, "updated_at": i.updated_at,
            }))
        })
        .collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "installations": items })))
}
