//! HTTP routes: with `startup`'s wiring (and the sandbox's and the CLI's start-up),
//! the only place that knows actix. One module per area, each exposing its
//! handlers; `auth` resolves the caller (middleware, extractors, cookies); `table` lists and mounts every route with the access it needs;
//! `headers` adds the browser-hardening headers to every answer.
mod api;
mod auth;
mod dashboard;
mod error;
mod headers;
mod health;
mod metrics;
pub mod table;
mod webhooks;

use actix_web::web;

pub use auth::middleware::admit;
pub use error::{ApiError, ApiErrorCode, ErrorResponse};
pub use headers::{harden, CONTENT_SECURITY_POLICY};

/// Mounts every route: the rows of [`table::ROUTES`], nothing else; extractors
/// that cannot read a request answer in the API's error shape.
pub fn config(cfg: &mut web::ServiceConfig) {
    error::extractor_errors(cfg);
    table::mount(cfg);
}
