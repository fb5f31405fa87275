//! The dashboard: server-rendered pages (askama templates from `web/templates`,
//! htmx for forms and live updates, assets from `web/static` embedded with
//! rust-embed). Mounted by `routes::table` under `/dashboard` and `/static`; every
//! row there says the role the page needs.
//!
//! - `access`: the signed-in extractor and role checks (`auth` does sessions and CSRF);
//! - `view`: the navigation context, full page or htmx fragment, the error page;
//! - `assets`: `/static/...`; `format`: ages, times, pretty JSON;
//! - one module per area: `overview`, `projects`, `plugins` (+ `plugin_form`, the
//!   configuration form from a JSON schema), `policies`, `approvals`, `audit`,
//!   `deliveries`, `recovered` (missed deliveries asked for again), `app` (the
//!   GitHub App and its one-click registration), `models` (model usage and
//!   budgets), `accounts`
//!   (users and teams), `commands`, `sandbox` (sends
//!   signed events to this server when it runs beside the simulator).
//!
//! Queries live in `db::dashboard` (and the existing `db` modules); writes go through
//! the same services as the CLI and the JSON API, which audit them.
pub(crate) mod access;
pub(crate) mod accounts;
pub(crate) mod app;
pub(crate) mod approvals;
pub(crate) mod assets;
pub(crate) mod audit;
pub(crate) mod commands;
pub(crate) mod deliveries;
pub(crate) mod format;
pub(crate) mod models;
pub(crate) mod overview;
pub(crate) mod plugin_form;
pub(crate) mod plugins;
pub(crate) mod policies;
pub(crate) mod projects;
pub(crate) mod recovered;
pub(crate) mod sandbox;
pub(crate) mod view;

use actix_web::http::header;
use actix_web::HttpResponse;

/// `GET /`: the dashboard.
pub async fn home() -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/dashboard"))
        .finish()
}
