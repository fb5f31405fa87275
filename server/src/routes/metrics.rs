//! `GET /metrics`: the Prometheus text exposition.
use actix_web::{web, HttpResponse};

use crate::state::AppState;

/// Renders every metric in Prometheus' text format.
pub async fn render_metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain; version=0.0.4; charset=utf-8").body(state.metrics.render())
}
