//! The HTTP side of the simulator: route registration, the gate every GitHub request
//! passes (request log, authentication, rate limit, faults, write counting and
//! saving), and helpers the handlers share (request base URL, JSON body parsing, path
//! numbers, query parameters, the acting user, GitHub-style pagination); `checked`
//! holds the gate's checks against GitHub's description. One
//! submodule per area of GitHub's REST API, plus `control` for the simulator's own
//! `/_simulator` routes and `git_http` for git over HTTP, which has its own gate.

mod actions;
mod apps;
pub(crate) mod artifacts;
mod body;
mod checked;
mod checks;
mod collaborators;
mod comments;
mod commits;
mod contents;
mod control;
mod git;
mod git_http;
mod hook_deliveries;
mod issues;
mod job_logs;
mod labels;
mod milestones;
mod opening;
mod pull_update;
mod pulls;
mod reactions;
mod releases;
mod repos;
mod reviews;
mod runs;
mod search;
mod statuses;
mod table;
mod users;

pub(crate) use self::table::Routes;

pub(crate) use self::body::{
    opt_bool, opt_string, opt_strings, parse_json, required_string, update_string,
};

use actix_web::{
    body::{BoxBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    http::{
        header::{self, HeaderMap},
        Method, StatusCode,
    },
    middleware::{from_fn, Next},
    web, Error, HttpRequest, HttpResponse, ResponseError,
};
use std::collections::HashMap;

use serde_json::Value;

use crate::{error::SimError, faults, state::State, FaultKind, Simulator};

/// Registers the simulator's state and every route on `cfg`. The private controls and
/// git over HTTP come first, outside the gate: the empty scope after them takes every
/// other path.
pub(crate) fn configure(sim: &Simulator, cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::Data::new(sim.clone()))
        .service(web::scope(control::PREFIX).configure(control::config))
        .configure(crate::models::config)
        .configure(artifacts::storage)
        .configure(job_logs::storage)
        .configure(git_http::config)
        .service(
            web::scope("")
                .wrap(from_fn(gate))
                .configure(|cfg| register(&mut Routes::on(cfg)))
                .default_service(web::to(not_found)),
        );
}

/// Every GitHub route, in the order they are tried.
fn register(r: &mut Routes) {
    apps::config(r);
    hook_deliveries::config(r);
    repos::config(r);
    issues::config(r);
    opening::config(r);
    labels::config(r);
    comments::config(r);
    reactions::config(r);
    collaborators::config(r);
    milestones::config(r);
    pulls::config(r);
    pull_update::config(r);
    commits::config(r);
    reviews::config(r);
    checks::config(r);
    statuses::config(r);
    actions::config(r);
    runs::config(r);
    job_logs::config(r);
    artifacts::config(r);
    releases::config(r);
    contents::config(r);
    git::config(r);
    users::config(r);
    search::config(r);
}

/// The GitHub routes the simulator serves behind its gate: method and path template,
/// in the order they are tried.
pub(crate) fn table() -> Vec<(Method, &'static str)> {
    let mut routes = Routes::listing();
    register(&mut routes);
    routes.into_table()
}

/// Any path the simulator does not serve.
async fn not_found() -> Result<HttpResponse, SimError> {
    Err(SimError::NotFound)
}

/// In front of every GitHub route, in this order: logs the request, waits the
/// latency set for its route (`Simulator::set_latency`), refuses it when
/// unauthenticated (unless anonymous access is allowed) or, when tokens are checked,
/// when its token is not one the simulator knows, counts it against the rate-limit
/// budget (refusing it with GitHub's 403 once that is used up), applies the first
/// matching fault, and after the handler counts a successful write, saves the state
/// and adds the `x-ratelimit-*` headers.
///
/// The App routes (`routes::apps`) check their JWT themselves, and their writes
/// (token requests, suspensions) are saved but not counted as writes.
///
/// A fault answers in place of the handler, so its request writes nothing and is not
/// counted, except `StatusAfterApply`: the handler runs, its write is counted and
/// saved, and only the answer is replaced. A fault's answer carries exactly the
/// headers its kind describes, so "403 without rate-limit headers" stays testable.
async fn gate(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let Some(sim) = req.app_data::<web::Data<Simulator>>().cloned() else {
        return Ok(req.into_response(SimError::NotFound.error_response()));
    };
    let method = req.method().clone();
    let path = req.path().to_owned();
    sim.control()
        .record(method.as_str(), &path, std::time::Instant::now());
    if let Some(delay) = sim.latency_for(method.as_str(), &path) {
        actix_web::rt::time::sleep(delay).await;
    }
    let app_route = apps::uses_app_jwt(&path);
    let refusal = match credential(req.headers()) {
        // The manifest conversion takes no credential: the code is one.
        None if apps::is_manifest_conversion(&path) => None,
        None if !sim.options.allow_anonymous => Some(SimError::Unauthorized),
        Some(token) if !app_route && !sim.accepts_token(token) => Some(SimError::status(
            StatusCode::UNAUTHORIZED,
            "Bad credentials",
        )),
        // A repository outside an installation token's scope is not found, as on
        // GitHub for a repository the token cannot see.
        Some(token) if repo_of(&path).is_some_and(|(o, r)| !sim.token_reaches(token, o, r)) => {
            Some(SimError::NotFound)
        }
        _ => None,
    };
    if let Some(error) = refusal {
        let mut res = error.error_response();
        sim.control()
            .take_anonymous_quota()
            .apply(res.headers_mut());
        return Ok(req.into_response(res));
    }
    let quota = match sim.control().take_quota() {
        Ok(quota) => quota,
        Err(quota) => {
            let res = faults::primary_limit(StatusCode::FORBIDDEN, quota);
            return Ok(req.into_response(res));
        }
    };
    let fault = sim.control().take_fault(method.as_str(), &path);
    if let Some(kind) = fault.as_ref().filter(|k| !k.applies_request()) {
        tracing::debug!(%method, path, ?kind, "simulator fault answers the request");
        let res = faults::respond(kind, req.request()).await;
        return Ok(req.into_response(res));
    }
    let req = match checked::check_request(&sim, req).await {
        Ok(req) => req,
        Err((req, mut res)) => {
            quota.apply(res.headers_mut());
            return Ok(checked::record_answer(&sim, req.into_response(res)).await);
        }
    };
    let is_write = !app_route
        && matches!(
            method,
            Method::POST | Method::PUT | Method::PATCH | Method::DELETE
        );
    let res = next.call(req).await?.map_into_boxed_body();
    let mut res = checked::record_answer(&sim, res).await;
    quota.apply(res.headers_mut());
    if sim.finish_request(is_write && res.status().is_success()) {
        let saver = sim.clone();
        if web::block(move || saver.save()).await.is_err() {
            tracing::warn!("the GitHub simulator's save task failed");
        }
    }
    if let Some(FaultKind::StatusAfterApply(code)) = fault {
        tracing::debug!(%method, path, code, "simulator fault replaces the answer");
        return Ok(res.into_response(faults::error_response(code)));
    }
    Ok(res)
}

/// The token of an `Authorization: token X` or `Bearer X` header (an App JWT is a
/// bearer token too).
/// The owner and name of a `/repos/{owner}/{repo}/...` path.
fn repo_of(path: &str) -> Option<(&str, &str)> {
    let mut parts = path.strip_prefix("/repos/")?.split('/');
    Some((parts.next()?, parts.next()?))
}

pub(crate) fn credential(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let mut parts = value.split_whitespace();
    let scheme = parts.next()?;
    let token = parts.next()?;
    (scheme.eq_ignore_ascii_case("token") || scheme.eq_ignore_ascii_case("bearer")).then_some(token)
}

/// `scheme://host` of the request, the base of every URL in the answers.
pub(crate) fn base_url(req: &HttpRequest) -> String {
    let info = req.connection_info();
    format!("{}://{}", info.scheme(), info.host())
}

/// An issue number from the path; anything else is a 404, as on GitHub.
pub(crate) fn issue_number(raw: &str) -> Result<u64, SimError> {
    raw.parse().map_err(|_| SimError::NotFound)
}

/// A query parameter, when present and not empty.
pub(crate) fn query(req: &HttpRequest, name: &str) -> Option<String> {
    web::Query::<HashMap<String, String>>::from_query(req.query_string())
        .ok()?
        .into_inner()
        .remove(name)
        .filter(|v| !v.is_empty())
}

/// Who writes when a request does not say: the app's bot account.
pub(crate) const DEFAULT_ACTOR: &str = "gantry[bot]";
/// Request header naming another acting user (a comment's author, a reviewer...).
const USER_HEADER: &str = "x-sim-user";

/// The login acting in a request: the `x-sim-user` header, or `gantry[bot]`.
pub(crate) fn actor(req: &HttpRequest) -> String {
    req.headers()
        .get(USER_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .unwrap_or(DEFAULT_ACTOR)
        .to_owned()
}

/// Registers the acting user (a bot when the login ends in `[bot]`) and returns it.
pub(crate) fn ensure_actor(state: &mut State, login: &str) -> String {
    let kind = if login.ends_with("[bot]") {
        "Bot"
    } else {
        "User"
    };
    state.ensure_user(login, kind).login
}

/// One page cut from a list, with the `Link` header pointing at the others.
pub(crate) struct Page {
    pub(crate) items: Vec<Value>,
    pub(crate) link: Option<String>,
}

/// Cuts page `page` of `per_page` items (default 30, at most 100) from `items`; the
/// links keep the request's other query parameters (filters), as GitHub's do.
pub(crate) fn cut(req: &HttpRequest, items: Vec<Value>) -> Page {
    let number = |name: &str| {
        query(req, name)
            .and_then(|s| s.parse::<usize>().ok())
            .filter(|n| *n > 0)
    };
    let per_page = number("per_page").unwrap_or(30).min(100);
    let page = number("page").unwrap_or(1);
    let last = items.len().div_ceil(per_page).max(1);
    let start = page.saturating_sub(1).saturating_mul(per_page);
    let slice: Vec<Value> = items.into_iter().skip(start).take(per_page).collect();

    let kept: String = req
        .query_string()
        .split('&')
        .filter(|pair| {
            let key = pair.split('=').next().unwrap_or_default();
            !pair.is_empty() && key != "per_page" && key != "page"
        })
        .map(|pair| format!("{pair}&"))
        .collect();
    let url = |p: usize| {
        format!(
            "<{}{}?{kept}per_page={per_page}&page={p}>",
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
    Page {
        items: slice,
        link: (!links.is_empty()).then(|| links.join(", ")),
    }
}

/// Answers 200 with one page of `items` as a JSON array and a `Link` header pointing
/// to the other pages, like GitHub's list endpoints.
pub(crate) fn paginate(req: &HttpRequest, items: Vec<Value>) -> HttpResponse {
    let page = cut(req, items);
    let mut res = HttpResponse::Ok();
    if let Some(link) = page.link {
        res.insert_header((header::LINK, link));
    }
    res.json(page.items)
}

/// Like [`paginate`] for the endpoints that wrap their page in an object:
/// `{"total_count": <all items>, "<key>": [<this page>]}` (check runs, workflow runs,
/// jobs, artifacts, workflows).
pub(crate) fn paginate_in(req: &HttpRequest, key: &str, items: Vec<Value>) -> HttpResponse {
    let total = items.len();
    let page = cut(req, items);
    let mut res = HttpResponse::Ok();
    if let Some(link) = page.link {
        res.insert_header((header::LINK, link));
    }
    let mut body = serde_json::Map::new();
    body.insert("total_count".to_owned(), Value::from(total));
    body.insert(key.to_owned(), Value::Array(page.items));
    res.json(body)
}
