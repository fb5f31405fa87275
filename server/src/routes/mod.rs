//! HTTP routes: the only place that knows actix. One module per area, each exposing
//! its handlers; `table` lists and mounts every route with the access it needs.
mod api;
mod auth;
mod dashboard;
mod error;
mod health;
mod metrics;
pub mod table;
mod webhooks;

use actix_web::web;

pub use error::ApiError;

/// Mounts every route: the rows of [`table::ROUTES`], nothing else.
pub fn config(cfg: &mut web::ServiceConfig) {
    table::mount(cfg);
}
