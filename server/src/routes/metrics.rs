//! `GET /metrics`: the Prometheus text exposition.
use actix_web::{web, HttpResponse};

use crate::state::AppState;

/// Renders every metric in Prometheus' text format, the queue and approval gauges
/// read from the database first (left at their last values when it is down).
pub async fn render_metrics(state: web::Data<AppState>) -> HttpResponse {
    if let Err(error) = state.metrics.refresh(&state.db).await {
        tracing::warn!(%error, "metrics: the database gauges could not be read");
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(state.metrics.render())
}
