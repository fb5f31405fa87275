//! `GET /metrics`: the Prometheus text exposition, behind `metrics.token` when one
//! is set (compared in constant time; 401 without it).
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::services::AppState;

/// Renders every metric in Prometheus' text format, the queue, approval and model
/// usage gauges read from the database first (left at their last values when it is
/// down).
pub async fn render_metrics(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    if let Some(expected) = &state.settings.metrics.token {
        let presented = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        // Digests compared in constant time: neither content nor length leaks.
        let matches: bool = Sha256::digest(presented.trim().as_bytes())
            .ct_eq(&Sha256::digest(expected.expose().as_bytes()))
            .into();
        if !matches {
            return HttpResponse::Unauthorized()
                .insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"metrics\""))
                .content_type("text/plain; charset=utf-8")
                .body("/metrics needs the metrics token (metrics.token) as a bearer token\n");
        }
    }
    if let Err(error) = state.metrics.refresh(&state.db).await {
        tracing::warn!(%error, "metrics: the database gauges could not be read");
    }
    if let Err(error) = state
        .host_services
        .model_budget
        .publish(&state.db, &state.metrics)
        .await
    {
        tracing::warn!(%error, "metrics: model usage could not be read");
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(state.metrics.render())
}
