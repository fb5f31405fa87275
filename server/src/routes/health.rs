//! Liveness (the process answers) and readiness (the database answers too).
use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::state::AppState;

/// `GET /health/live`: 200 while the process serves HTTP.
pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// `GET /health/ready`: 200 when the database answers, 503 otherwise.
pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
    match state.db.ping().await {
        Ok(()) => HttpResponse::Ok().json(json!({"status": "ok", "database": "ok"})),
        Err(err) => {
            tracing::warn!(error = %err, "readiness check: database unreachable");
            HttpResponse::ServiceUnavailable()
                .json(json!({"status": "unavailable", "database": "unreachable"}))
        }
    }
}
