//! HTTP routes: the only place that knows actix. One module per area, each exposing
//! what `config` mounts.
mod api;
mod error;
mod health;
mod metrics;
mod webhooks;

use actix_web::web;

pub use error::ApiError;

/// Mounts every route.
pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/webhooks/github")
            .route(web::post().to(webhooks::receive_webhook))
            .default_service(web::to(error::method_not_allowed)),
    )
    .route("/health/live", web::get().to(health::live))
    .route("/health/ready", web::get().to(health::ready))
    .route("/metrics", web::get().to(metrics::render_metrics))
    .configure(api::config);
}
