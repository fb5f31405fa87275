//! The JSON API, version 1, under `/api/v1`. Every route needs the API token
//! (`Authorization: Bearer ...`), checked by the [`auth::ApiCaller`] extractor.
mod approvals;
mod auth;
mod deliveries;
mod installations;
mod plugins;
mod policies;

use actix_web::web;

/// Mounts `/api/v1`.
pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .route("/deliveries", web::get().to(deliveries::list_deliveries))
            .route("/deliveries/{delivery_id}", web::get().to(deliveries::show_delivery))
            .route("/deliveries/{delivery_id}/replay", web::post().to(deliveries::replay_delivery))
            .route("/approvals", web::get().to(approvals::list_approvals))
            .route("/approvals/{id}/approve", web::post().to(approvals::approve_action))
            .route("/approvals/{id}/deny", web::post().to(approvals::deny_action))
            .route("/policies", web::get().to(policies::list_policies))
            .route("/policies", web::post().to(policies::create_policy))
            .route("/policies/explain", web::get().to(policies::explain_policy))
            .route("/policies/{id}", web::delete().to(policies::delete_policy))
            .route("/audit/verify", web::get().to(policies::verify_audit))
            .route("/installations", web::get().to(installations::list_installations))
            .route("/plugins", web::get().to(plugins::list_plugins))
            .route("/plugins", web::post().to(plugins::install_plugin))
            .route("/plugins/{name}", web::get().to(plugins::show_plugin))
            .route("/plugins/{name}", web::put().to(plugins::upgrade_plugin))
            .route("/plugins/{name}", web::delete().to(plugins::remove_plugin))
            .route("/plugins/{name}/enable", web::post().to(plugins::enable_plugin))
            .route("/plugins/{name}/disable", web::post().to(plugins::disable_plugin))
            .route("/plugins/{name}/config", web::put().to(plugins::configure_all))
            .route("/plugins/{name}/projects/{owner}/{repo}", web::put().to(plugins::configure_project)),
    );
}
