//! The HTTP side of the simulator: route registration, the gate every GitHub request
//! passes (request log, authentication, faults, write counting and saving), and
//! helpers the handlers share (request base URL, JSON body parsing, path numbers,
//! GitHub-style pagination). One submodule per area of GitHub's REST API, plus
//! `control` for the simulator's own `/_simulator` routes.

mod collaborators;
mod comments;
mod control;
mod issues;
mod labels;
mod repos;

use actix_web::{
    body::{EitherBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    http::{header, Method},
    middleware::{from_fn, Next},
    web, Error, HttpRequest, HttpResponse, ResponseError,
};
use serde::Deserialize;
use serde_json::Value;

use crate::{error::SimError, faults, FaultKind, Simulator};

/// Registers the simulator's state and every route on `cfg`. The private controls come
/// first, outside the gate: the empty scope after them takes every other path.
pub(crate) fn configure(sim: &Simulator, cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::Data::new(sim.clone()))
        .service(web::scope(control::PREFIX).configure(control::config))
        .service(
            web::scope("")
                .wrap(from_fn(gate))
                .configure(repos::config)
                .configure(issues::config)
                .configure(labels::config)
                .configure(comments::config)
                .configure(collaborators::config)
                .default_service(web::to(not_found)),
        );
}

/// Any path the simulator does not serve.
async fn not_found() -> Result<HttpResponse, SimError> {
    Err(SimError::NotFound)
}

/// In front of every GitHub route, in this order: logs the request, refuses it when
/// unauthenticated (unless anonymous access is allowed), applies the first matching
/// fault, and after the handler counts a successful write and saves the state.
///
/// A fault answers in place of the handler, so its request writes nothing and is not
/// counted, except `StatusAfterApply`: the handler runs, its write is counted and
/// saved, and only the answer is replaced.
async fn gate(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let Some(sim) = req.app_data::<web::Data<Simulator>>().cloned() else {
        return Ok(req
            .into_response(SimError::NotFound.error_response())
            .map_into_right_body());
    };
    let method = req.method().clone();
    let path = req.path().to_owned();
    sim.control()
        .record(method.as_str(), &path, std::time::Instant::now());
    if !sim.options.allow_anonymous && !has_token(&req) {
        return Ok(req
            .into_response(SimError::Unauthorized.error_response())
            .map_into_right_body());
    }
    let fault = sim.control().take_fault(method.as_str(), &path);
    if let Some(kind) = fault.as_ref().filter(|k| !k.applies_request()) {
        tracing::debug!(%method, path, ?kind, "simulator fault answers the request");
        let res = faults::respond(kind).await;
        return Ok(req.into_response(res).map_into_right_body());
    }
    let is_write = matches!(
        method,
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    );
    let res = next.call(req).await?;
    if sim.finish_request(is_write && res.status().is_success()) {
        let saver = sim.clone();
        if web::block(move || saver.save()).await.is_err() {
            tracing::warn!("the GitHub simulator's save task failed");
        }
    }
    if let Some(FaultKind::StatusAfterApply(code)) = fault {
        tracing::debug!(%method, path, code, "simulator fault replaces the answer");
        return Ok(res
            .into_response(faults::error_response(code))
            .map_into_right_body());
    }
    Ok(res.map_into_left_body())
}

/// Whether the request carries `Authorization: token X` or `Bearer X`.
fn has_token(req: &ServiceRequest) -> bool {
    let Some(value) = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let mut parts = value.split_whitespace();
    let scheme = parts.next().unwrap_or_default();
    let token = parts.next().unwrap_or_default();
    (scheme.eq_ignore_ascii_case("token") || scheme.eq_ignore_ascii_case("bearer"))
        && !token.is_empty()
}

/// `scheme://host` of the request, the base of every URL in the answers.
pub(crate) fn base_url(req: &HttpRequest) -> String {
    let info = req.connection_info();
    format!("{}://{}", info.scheme(), info.host())
}

/// Parses a request body as JSON; an empty body reads as `null`.
pub(crate) fn parse_json(body: &[u8]) -> Result<Value, SimError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    serde_json::from_slice(body).map_err(|_| SimError::BadJson)
}

/// An issue number from the path; anything else is a 404, as on GitHub.
pub(crate) fn issue_number(raw: &str) -> Result<u64, SimError> {
    raw.parse().map_err(|_| SimError::NotFound)
}

/// `per_page` and `page` query parameters, as text so bad values fall back to defaults.
#[derive(Debug, Deserialize)]
struct PageQuery {
    per_page: Option<String>,
    page: Option<String>,
}

/// Answers 200 with one page of `items` (`per_page` default 30, at most 100) and a
/// `Link` header pointing to the other pages, like GitHub's list endpoints.
pub(crate) fn paginate(req: &HttpRequest, items: Vec<Value>) -> HttpResponse {
    let query = web::Query::<PageQuery>::from_query(req.query_string()).ok();
    let number = |v: Option<&String>| v.and_then(|s| s.parse::<usize>().ok()).filter(|n| *n > 0);
    let per_page = number(query.as_ref().and_then(|q| q.per_page.as_ref()))
        .unwrap_or(30)
        .min(100);
    let page = number(query.as_ref().and_then(|q| q.page.as_ref())).unwrap_or(1);
    let last = items.len().div_ceil(per_page).max(1);
    let start = page.saturating_sub(1).saturating_mul(per_page);
    let slice: Vec<Value> = items.into_iter().skip(start).take(per_page).collect();

    let url = |p: usize| {
        format!(
            "<{}{}?per_page={per_page}&page={p}>",
            base_url(req),
            req.path()
        )
    };
    let mut links = Vec::new();
    if page < last {
        links.push(format!("{}; rel=\"next\"", url(page + 1)));
        links.push(format!("{}; rel=\"last\"", url(last)));
    }
    if page > 1 {
        links.push(format!("{}; rel=\"first\"", url(1)));
        links.push(format!("{}; rel=\"prev\"", url((page - 1).min(last))));
    }
    let mut res = HttpResponse::Ok();
    if !links.is_empty() {
        res.insert_header((header::LINK, links.join(", ")));
    }
    res.json(slice)
}
