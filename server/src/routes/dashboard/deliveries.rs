//! Deliveries (`/dashboard/deliveries`): filtered by event, repository and job
//! status, newest first, paginated by id (keyset); one delivery with its payload
//! (pretty, escaped), its jobs and their plugin runs (outcome, message, log); the
//! replay and cancel buttons (`services::deliveries::replay` and `cancel`, as the CLI
//! and the API); and the
//! dead letters (`/dashboard/dead-letters`). Each shows only the projects the
//! reader may see; another project's delivery answers 404. The first page refreshes every 5 s
//! from `/dashboard/deliveries/live`.
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::access::{can, require, User};
use super::format::{pretty_bytes, time};
use super::view::{fragment, render, see_other, DashError, Nav};
use crate::auth::{Principal, Role};
use crate::db;
use crate::db::dashboard::{DeadLetter, DeliveryFilter};
use crate::db::deliveries::DeliverySummary;
use crate::db::jobs::JobStatus;
use crate::services::deliveries::{self as service, DeliveryDetail, DeliveryError};
use crate::services::AppState;

/// Rows per page.
const PAGE: u64 = 50;

/// The filters and cursor of the list, from the query string.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    event: String,
    #[serde(default)]
    repository: String,
    #[serde(default)]
    status: String,
    before: Option<i64>,
}

fn some(s: &str) -> Option<String> {
    Some(s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// `pages/deliveries/list.html`.
#[derive(Template)]
#[template(path = "pages/deliveries/list.html", blocks = ["content", "live"])]
pub struct DeliveriesPage {
    nav: Nav,
    event: String,
    repository: String,
    status: String,
    first_page: bool,
    rows: Vec<DeliverySummary>,
    next: Option<String>,
}

impl DeliveriesPage {
    fn received(&self, d: &DeliverySummary) -> String {
        time(&d.received_at)
    }
}

async fn load(state: &AppState, user: &User, q: &ListQuery) -> Result<DeliveriesPage, DashError> {
    let status = some(&q.status);
    if let Some(s) = status.as_deref().filter(|s| JobStatus::parse(s).is_none()) {
        return Err(DashError::BadRequest(format!(
            "unknown status `{s}`: use queued, running, done, dead or cancelled"
        )));
    }
    let filter = DeliveryFilter {
        event: some(&q.event),
        repository: some(&q.repository),
        status,
        projects: None,
    };
    let rows = db::dashboard::deliveries_page(
        &state.db,
        &user.0.visible_projects(),
        &filter,
        q.before,
        PAGE,
    )
    .await?;
    let next = (rows.len() as u64 == PAGE)
        .then(|| rows.last().map(|d| d.id))
        .flatten()
        .map(|last| {
            url::form_urlencoded::Serializer::new(String::new())
                .append_pair("event", &q.event)
                .append_pair("repository", &q.repository)
                .append_pair("status", &q.status)
                .append_pair("before", &last.to_string())
                .finish()
        });
    Ok(DeliveriesPage {
        nav: Nav::new(&user.0, "deliveries", super::sandbox::enabled(state)),
        event: q.event.clone(),
        repository: q.repository.clone(),
        status: q.status.clone(),
        first_page: q.before.is_none(),
        rows,
        next,
    })
}

/// `GET /dashboard/deliveries`.
pub async fn list_deliveries(
    user: User,
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, DashError> {
    let page = load(&state, &user, &q).await?;
    render(&req, &page, |p| p.as_content().render())
}

/// `GET /dashboard/deliveries/live`: the first page's rows alone, for polling.
pub async fn deliveries_live(
    user: User,
    state: web::Data<AppState>,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, DashError> {
    let page = load(&state, &user, &q).await?;
    let rendered = page.as_live().render();
    fragment(rendered)
}

/// `pages/deliveries/show.html`.
#[derive(Template)]
#[template(path = "pages/deliveries/show.html", blocks = ["content"])]
pub struct DeliveryPage {
    nav: Nav,
    detail: DeliveryDetail,
    received_at: String,
    payload: String,
    can_replay: bool,
    /// The completions plugins got from language models while handling it.
    model_calls: Vec<db::model_calls::ModelCall>,
}

impl DeliveryPage {
    /// A cost in micro-dollars as US dollars.
    fn dollars(&self, micros: &i64) -> String {
        format!("${}.{:06}", micros / 1_000_000, micros % 1_000_000)
    }

    fn started(&self, t: &chrono::DateTime<chrono::Utc>) -> String {
        time(t)
    }

    /// Whether a job of the delivery is queued or running (it can be cancelled).
    fn pending(&self) -> bool {
        self.detail.jobs.iter().any(|j| {
            j.status == JobStatus::Queued.as_str() || j.status == JobStatus::Running.as_str()
        })
    }
}

/// Who may replay a delivery: a maintainer of its repository, or an admin when it
/// names none.
fn may_replay(principal: &Principal, repository: Option<&str>) -> bool {
    match repository {
        Some(r) => can(principal, Role::Maintainer, Some(r)),
        None => can(principal, Role::Admin, None),
    }
}

/// `GET /dashboard/deliveries/{delivery_id}`.
pub async fn show_delivery(
    user: User,
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, DashError> {
    if !db::dashboard::delivery_visible(&state.db, &user.0.visible_projects(), &id).await? {
        return Err(DashError::NotFound(format!("no delivery with id {id}")));
    }
    let detail = service::show(&state.db, &id).await.map_err(dash_error)?;
    let stored = db::deliveries::find_by_delivery_id(&state.db, &id)
        .await?
        .ok_or_else(|| DashError::NotFound(format!("no delivery with id {id}")))?;
    let page = DeliveryPage {
        nav: Nav::new(&user.0, "deliveries", super::sandbox::enabled(&state)),
        received_at: time(&detail.summary.received_at),
        payload: pretty_bytes(&stored.payload),
        can_replay: may_replay(&user.0, detail.summary.repository.as_deref()),
        model_calls: db::model_calls::for_delivery(&state.db, &id).await?,
        detail,
    };
    render(&req, &page, |p| p.as_content().render())
}

/// Refuses a replay or cancel of the delivery `id` unless `user` maintains its
/// repository (or is an admin, when it names none), as [`may_replay`] says.
async fn may_control(state: &AppState, user: &User, id: &str) -> Result<(), DashError> {
    let stored = db::deliveries::find_by_delivery_id(&state.db, id)
        .await?
        .ok_or_else(|| DashError::NotFound(format!("no delivery with id {id}")))?;
    match stored.repository.as_deref() {
        Some(repo) => require(&user.0, Role::Maintainer, Some(repo)),
        None => require(&user.0, Role::Admin, None),
    }
}

/// The dashboard page of the delivery `id`.
fn page_of(id: &str) -> String {
    format!(
        "/dashboard/deliveries/{}",
        url::form_urlencoded::byte_serialize(id.as_bytes()).collect::<String>()
    )
}

/// `POST /dashboard/deliveries/{delivery_id}/replay`: requeues a dead job or runs a
/// processed delivery again, then shows the delivery.
#[tracing::instrument(skip_all, fields(delivery = %id))]
pub async fn replay_delivery(
    user: User,
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, DashError> {
    may_control(&state, &user, &id).await?;
    let replay = service::replay(&state.db, state.audit_key(), &user.0.actor(), &id)
        .await
        .map_err(dash_error)?;
    state.wake_workers();
    tracing::info!(?replay, by = %user.0.audit_actor(), "delivery replayed from the dashboard");
    Ok(see_other(&req, &page_of(&id)))
}

/// `POST /dashboard/deliveries/{delivery_id}/cancel`: cancels the delivery's queued
/// job, or asks its running job to stop (job control), then shows the delivery.
#[tracing::instrument(skip_all, fields(delivery = %id))]
pub async fn cancel_delivery(
    user: User,
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, DashError> {
    may_control(&state, &user, &id).await?;
    let cancel = service::cancel(
        &state.db,
        state.audit_key(),
        &user.0.actor(),
        &id,
        Some(&state.stops),
    )
    .await
    .map_err(dash_error)?;
    tracing::info!(?cancel, by = %user.0.audit_actor(), "delivery's job cancelled from the dashboard");
    Ok(see_other(&req, &page_of(&id)))
}

/// `pages/deliveries/dead.html`.
#[derive(Template)]
#[template(path = "pages/deliveries/dead.html", blocks = ["content"])]
pub struct DeadLettersPage {
    nav: Nav,
    rows: Vec<(DeadLetter, String, bool)>,
    next: Option<String>,
}

/// The cursor of the dead-letter list.
#[derive(Debug, Deserialize)]
pub struct DeadQuery {
    before: Option<i64>,
}

/// `GET /dashboard/dead-letters`: jobs that ran out of attempts, with the reason.
pub async fn list_dead_letters(
    user: User,
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<DeadQuery>,
) -> Result<HttpResponse, DashError> {
    let dead =
        db::dashboard::dead_letters(&state.db, &user.0.visible_projects(), q.before, PAGE).await?;
    let next = (dead.len() as u64 == PAGE)
        .then(|| dead.last().map(|d| format!("before={}", d.job.id)))
        .flatten();
    let rows = dead
        .into_iter()
        .map(|d| {
            let when = time(&d.job.updated_at);
            let replay = may_replay(&user.0, d.repository.as_deref());
            (d, when, replay)
        })
        .collect();
    let page = DeadLettersPage {
        nav: Nav::new(&user.0, "deliveries", super::sandbox::enabled(&state)),
        rows,
        next,
    };
    render(&req, &page, |p| p.as_content().render())
}

fn dash_error(err: DeliveryError) -> DashError {
    match err {
        DeliveryError::NotFound(_) => DashError::NotFound(err.to_string()),
        DeliveryError::BadStatus(_) => DashError::BadRequest(err.to_string()),
        DeliveryError::Database(ref e) => DashError::internal(e),
    }
}
