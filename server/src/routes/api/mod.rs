//! The JSON API, version 1, under `/api/v1`. Every route needs the API token
//! (`Authorization: Bearer ...`), checked by the [`auth::ApiCaller`] extractor.
mod auth;
mod deliveries;

use actix_web::web;

/// Mounts `/api/v1`.
pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .route("/deliveries", web::get().to(deliveries::list_deliveries))
            .route("/deliveries/{delivery_id}", web::get().to(deliveries::show_delivery))
            .route("/deliveries/{delivery_id}/replay", web::post().to(deliveries::replay_delivery)),
    );
}
