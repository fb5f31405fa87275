//! The App's webhook deliveries, with an App JWT: listing them newest first, paged by
//! cursor (`GET /app/hook/deliveries`, `per_page` up to 100, `status` `success` or
//! `failure`), and asking for one to be delivered again (`POST
//! /app/hook/deliveries/{delivery_id}/attempts`: 202 at once, sent afterwards, as
//! GitHub does). The log itself is `crate::hooks`.
use actix_web::{http::header, web, HttpRequest, HttpResponse};

use super::apps::authenticate;
use super::{base_url, issue_number, query, Routes};
use crate::{error::SimError, Simulator};

/// Registers this module's routes.
pub(super) fn config(r: &mut Routes) {
    r.get("/app/hook/deliveries", list);
    r.post("/app/hook/deliveries/{delivery_id}/attempts", redeliver);
}

/// The cursor naming the attempt a page starts at.
fn cursor_of(id: u64) -> String {
    format!("v1_{id}")
}

/// `GET /app/hook/deliveries`: the App's attempts, newest first; a `link` header's
/// `rel="next"` carries the cursor of the next page.
async fn list(sim: web::Data<Simulator>, req: HttpRequest) -> Result<HttpResponse, SimError> {
    let app_id = authenticate(&sim, &req)?;
    let per_page = match query(&req, "per_page") {
        None => 30,
        Some(raw) => raw
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=100).contains(n))
            .ok_or_else(|| SimError::invalid("WebhookDelivery", "invalid", "per_page"))?,
    };
    let start = match query(&req, "cursor") {
        None => None,
        Some(raw) => Some(
            raw.strip_prefix("v1_")
                .and_then(|id| id.parse::<u64>().ok())
                .ok_or_else(|| SimError::invalid("WebhookDelivery", "invalid", "cursor"))?,
        ),
    };
    let success = match query(&req, "status").as_deref() {
        None => None,
        Some("success") => Some(true),
        Some("failure") => Some(false),
        Some(_) => return Err(SimError::invalid("WebhookDelivery", "invalid", "status")),
    };
    let mut matching = sim
        .hooks
        .lock()
        .of_app(app_id)
        .into_iter()
        .filter(|d| start.is_none_or(|s| d.id <= s))
        .filter(|d| success.is_none_or(|ok| (200..400).contains(&d.status_code) == ok));
    let page: Vec<_> = matching.by_ref().take(per_page).collect();
    let mut answer = HttpResponse::Ok();
    if let Some(next) = matching.next() {
        let status = query(&req, "status")
            .map(|s| format!("&status={s}"))
            .unwrap_or_default();
        answer.insert_header((
            header::LINK,
            format!(
                "<{}{}?per_page={per_page}&cursor={}{status}>; rel=\"next\"",
                base_url(&req),
                req.path(),
                cursor_of(next.id)
            ),
        ));
    }
    Ok(answer.json(page))
}

/// `POST /app/hook/deliveries/{delivery_id}/attempts`: 202 `{}` and the attempt is
/// sent again; 404 for an attempt that is not the App's.
async fn redeliver(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, SimError> {
    let app_id = authenticate(&sim, &req)?;
    let id = issue_number(&path)?;
    if !sim.hooks.lock().of_app(app_id).iter().any(|d| d.id == id) {
        return Err(SimError::NotFound);
    }
    let sim = sim.get_ref().clone();
    actix_web::rt::spawn(async move {
        sim.redeliver_hook(id).await;
    });
    Ok(HttpResponse::Accepted().json(serde_json::json!({})))
}
