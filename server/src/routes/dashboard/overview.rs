//! The overview (`/dashboard`): deliveries per minute over the last hour, queue depth
//! and the oldest waiting job's age, approvals waiting, and plugins that are failing
//! or were disabled automatically. The delivery, queue and approval counters count
//! only the projects the reader may see (`Principal::visible_projects`); plugin
//! health is the plugin's own, shown to everyone. The counters refresh every 5 s from
//! `/dashboard/overview/live` (the page's `live` block).
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::Utc;

use super::access::User;
use super::view::{fragment, render, DashError, Nav};
use crate::db;
use crate::services::AppState;

/// One bar of the deliveries chart.
#[derive(Debug)]
pub struct Bar {
    /// `HH:MM` (UTC).
    pub label: String,
    /// Deliveries in that minute.
    pub count: i64,
    /// Height, percent of the busiest minute rounded to a multiple of 5, for the
    /// stylesheet's `.bars .hN` classes (no inline styles: the CSP allows none).
    pub step: i64,
}

/// A plugin that crashed lately or was switched off for crashing.
#[derive(Debug)]
pub struct Failing {
    /// Its name.
    pub name: String,
    /// Crashes in a row.
    pub crashes: i32,
    /// Disabled automatically.
    pub disabled: bool,
    /// Why, when disabled.
    pub reason: Option<String>,
}

/// `pages/overview/show.html`.
#[derive(Template)]
#[template(path = "pages/overview/show.html", blocks = ["content", "live"])]
pub struct OverviewPage {
    nav: Nav,
    bars: Vec<Bar>,
    last_hour: i64,
    queued: u64,
    running: u64,
    oldest_age: Option<String>,
    approvals_waiting: u64,
    failing: Vec<Failing>,
}

async fn load(state: &AppState, user: &User) -> Result<OverviewPage, DashError> {
    let now = Utc::now();
    let visible = user.0.visible_projects();
    let minutes = db::dashboard::deliveries_per_minute(&state.db, &visible, now, 60).await?;
    let busiest = minutes.iter().map(|m| m.count).max().unwrap_or(0).max(1);
    let bars = minutes
        .iter()
        .map(|m| Bar {
            label: m.minute.format("%H:%M").to_string(),
            count: m.count,
            step: (m.count * 100 / busiest + 2) / 5 * 5,
        })
        .collect();
    let (queued, running, oldest) = db::dashboard::queue(&state.db, &visible).await?;
    let oldest_age = oldest.map(|t| super::format::age(now - t));
    let mut failing: Vec<Failing> = db::plugin_states::all(&state.db)
        .await?
        .into_values()
        .filter(|s| s.disabled || s.consecutive_crashes > 0)
        .map(|s| Failing {
            name: s.name,
            crashes: s.consecutive_crashes,
            disabled: s.disabled,
            reason: s.reason,
        })
        .collect();
    failing.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(OverviewPage {
        nav: Nav::new(&user.0, "overview", super::sandbox::enabled(state)),
        last_hour: minutes.iter().map(|m| m.count).sum(),
        bars,
        queued,
        running,
        oldest_age,
        approvals_waiting: db::dashboard::pending_approval_count(&state.db, &visible).await?,
        failing,
    })
}

/// `GET /dashboard`.
pub async fn show_overview(
    user: User,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, DashError> {
    let page = load(&state, &user).await?;
    render(&req, &page, |p| p.as_content().render())
}

/// `GET /dashboard/overview/live`: the counters alone, for polling.
pub async fn overview_live(
    user: User,
    state: web::Data<AppState>,
) -> Result<HttpResponse, DashError> {
    let page = load(&state, &user).await?;
    let rendered = page.as_live().render();
    fragment(rendered)
}
