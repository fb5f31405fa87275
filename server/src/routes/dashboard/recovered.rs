//! Recovered deliveries (`/dashboard/recovered`, admins): the deliveries GitHub could
//! not make that the recovery sweep (`services::recovery`) asked for again, newest
//! first, with how often it asked and whether the delivery has arrived since. Only
//! admins see it: a row names an event before Gantry knows its repository.
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::access::User;
use super::format::time;
use super::view::{render, DashError, Nav};
use crate::db;
use crate::services::AppState;

/// Rows shown.
const SHOWN: u64 = 100;

/// One redelivery as shown: GUID, event, asks, first and last ask, arrived.
pub struct Row {
    guid: String,
    event: String,
    asks: i32,
    first: String,
    last: String,
    arrived: Option<String>,
}

/// `pages/deliveries/recovered.html`.
#[derive(Template)]
#[template(path = "pages/deliveries/recovered.html", blocks = ["content"])]
pub struct RecoveredPage {
    nav: Nav,
    enabled: bool,
    rows: Vec<Row>,
}

/// `GET /dashboard/recovered`.
pub async fn list_recovered(
    user: User,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, DashError> {
    let rows = db::recovery::recent(&state.db, SHOWN)
        .await?
        .into_iter()
        .map(|r| Row {
            arrived: r.arrived_at.as_ref().map(time),
            first: time(&r.first_requested_at),
            last: time(&r.last_requested_at),
            guid: r.guid,
            event: r.event,
            asks: r.attempts,
        })
        .collect();
    let page = RecoveredPage {
        nav: Nav::new(&user.0, "deliveries", super::sandbox::enabled(&state)),
        enabled: state.settings.recovery.enabled
            && matches!(state.github, crate::github::GitHubAccess::App(_)),
        rows,
    };
    render(&req, &page, |p| p.as_content().render())
}
