//! GitHub Apps, authenticated with an App JWT (`Authorization: Bearer <jwt>`): the app
//! (`GET /app`), its installations (`GET /app/installations[/{id}]`,
//! `GET /repos/{o}/{r}/installation`, `GET /orgs/{org}/installation`,
//! `GET /users/{u}/installation`), the manifest conversion (`POST
//! /app-manifests/{code}/conversions`, no credential), suspending them (`PUT` and `DELETE
//! /app/installations/{id}/suspended`) and installation tokens (`POST
//! /app/installations/{id}/access_tokens`). Every JWT these routes see is checked as
//! GitHub would (`crate::apps::jwt`) and recorded for [`Simulator::app_jwts`].

use super::Routes;
use std::collections::BTreeMap;

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde_json::Value;

use super::{base_url, credential, issue_number, opt_strings, paginate, parse_json};
use crate::{
    apps::{jwt, mint, TokenRequest},
    error::SimError,
    faults::path_matches,
    json, JwtRecord, Simulator,
};

/// Registers this module's routes.
pub(super) fn config(r: &mut Routes) {
    r.get("/app", get_app);
    r.get("/app/installations", list_installations);
    r.get("/app/installations/{id}", get_installation);
    r.put("/app/installations/{id}/suspended", suspend_installation);
    r.delete("/app/installations/{id}/suspended", unsuspend_installation);
    r.post("/app/installations/{id}/access_tokens", create_token);
    r.post("/app-manifests/{code}/conversions", convert_manifest);
    r.get("/repos/{owner}/{repo}/installation", get_repo_installation);
    r.get("/orgs/{account}/installation", get_account_installation);
    r.get("/users/{account}/installation", get_account_installation);
}

/// The paths served with an App JWT.
const JWT_PATHS: [&str; 4] = [
    "/app/**",
    "/repos/*/*/installation",
    "/orgs/*/installation",
    "/users/*/installation",
];

/// Whether `path` is the manifest conversion, which takes no credential.
pub(super) fn is_manifest_conversion(path: &str) -> bool {
    path_matches("/app-manifests/*/conversions", path)
}

/// `POST /app-manifests/{code}/conversions`: the App registered from a manifest, with
/// its secrets (`pem`, `webhook_secret`, `client_secret`), once per code within an
/// hour of it; 404 otherwise.
async fn convert_manifest(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, SimError> {
    let conversion = sim
        .take_manifest_conversion(&path)
        .ok_or(SimError::NotFound)?;
    let state = sim.lock();
    let app = state
        .apps
        .apps
        .get(&conversion.app_id)
        .ok_or(SimError::NotFound)?;
    let mut body = json::apps::app(&base_url(&req), &state, app);
    body["client_id"] = conversion.client_id.into();
    body["client_secret"] = conversion.client_secret.into();
    body["webhook_secret"] = conversion.webhook_secret.into();
    body["pem"] = conversion.pem.into();
    Ok(HttpResponse::Created().json(body))
}

/// Whether `path` is served with an App JWT rather than a token: the gate then leaves
/// checking the credential to the handler.
pub(super) fn uses_app_jwt(path: &str) -> bool {
    JWT_PATHS.iter().any(|pattern| path_matches(pattern, path))
}

/// The app whose JWT the request carries, after checking and recording the JWT; 401
/// with GitHub's message otherwise.
pub(super) fn authenticate(sim: &Simulator, req: &HttpRequest) -> Result<u64, SimError> {
    let token = credential(req.headers()).ok_or(SimError::Unauthorized)?;
    let now = Utc::now().timestamp();
    let checked = jwt::check(token, now, |id| {
        sim.lock().apps.apps.get(&id).map(|app| app.key.clone())
    });
    sim.app_log().record(JwtRecord {
        received_at: now,
        method: req.method().to_string(),
        path: req.path().to_owned(),
        alg: checked.alg,
        claims: checked.claims,
        iss: checked.iss,
        iat: checked.iat,
        exp: checked.exp,
        accepted: checked.outcome.is_ok(),
        refusal: checked.outcome.err().map(str::to_owned),
    });
    if let Err(message) = checked.outcome {
        tracing::debug!(message, "simulator refused an App JWT");
    }
    checked
        .outcome
        .map_err(|message| SimError::status(StatusCode::UNAUTHORIZED, message))
}

/// `GET /app`: the app the JWT is for.
async fn get_app(sim: web::Data<Simulator>, req: HttpRequest) -> Result<HttpResponse, SimError> {
    let app_id = authenticate(&sim, &req)?;
    let state = sim.lock();
    let app = state.apps.apps.get(&app_id).ok_or(SimError::NotFound)?;
    Ok(HttpResponse::Ok().json(json::apps::app(&base_url(&req), &state, app)))
}

/// `GET /app/installations`: the app's installations by id, paginated.
async fn list_installations(
    sim: web::Data<Simulator>,
    req: HttpRequest,
) -> Result<HttpResponse, SimError> {
    let app_id = authenticate(&sim, &req)?;
    let state = sim.lock();
    let base = base_url(&req);
    let items = state
        .apps
        .installations
        .values()
        .filter(|i| i.app_id == app_id)
        .map(|i| json::apps::installation(&base, &state, i))
        .collect();
    Ok(paginate(&req, items))
}

/// `GET /app/installations/{id}`: one of the app's installations; 404 otherwise.
async fn get_installation(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, SimError> {
    let app_id = authenticate(&sim, &req)?;
    let id = issue_number(&path)?;
    let state = sim.lock();
    let installation = state
        .apps
        .installations
        .get(&id)
        .filter(|i| i.app_id == app_id)
        .ok_or(SimError::NotFound)?;
    Ok(HttpResponse::Ok().json(json::apps::installation(
        &base_url(&req),
        &state,
        installation,
    )))
}

/// `PUT /app/installations/{id}/suspended`: suspends it; 204, 404 when unknown.
async fn suspend_installation(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, SimError> {
    set_suspended(&sim, &req, &path, true).await
}

/// `DELETE /app/installations/{id}/suspended`: lifts the suspension; 204.
async fn unsuspend_installation(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, SimError> {
    set_suspended(&sim, &req, &path, false).await
}

async fn set_suspended(
    sim: &Simulator,
    req: &HttpRequest,
    id: &str,
    suspended: bool,
) -> Result<HttpResponse, SimError> {
    let app_id = authenticate(sim, req)?;
    let id = issue_number(id)?;
    let owned = sim
        .lock()
        .apps
        .installations
        .get(&id)
        .is_some_and(|i| i.app_id == app_id);
    if !owned {
        return Err(SimError::NotFound);
    }
    let saver = sim.clone();
    web::block(move || saver.set_installation_suspended(id, suspended))
        .await
        .map_err(|_| SimError::NotFound)?;
    Ok(HttpResponse::NoContent().finish())
}

/// `POST /app/installations/{id}/access_tokens` with optional `repositories` (names),
/// `repository_ids` (ignored) and `permissions`: 201 with a new token living the
/// configured lifetime (an hour by default). 403 "This installation has been
/// suspended", 404 for an installation of another app or none, 422 for repositories
/// the installation does not cover.
async fn create_token(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, SimError> {
    let id = issue_number(&path)?;
    sim.app_log().count_token_request(id);
    let app_id = authenticate(&sim, &req)?;
    let body = parse_json(&body)?;
    let request = TokenRequest {
        permissions: permissions(&body)?,
        repositories: opt_strings(&body, "repositories", "AccessToken")?
            .filter(|names| !names.is_empty()),
    };
    let lifetime = sim.app_log().token_lifetime();
    let answer = {
        let mut state = sim.lock();
        let installation = state
            .apps
            .installations
            .get(&id)
            .filter(|i| i.app_id == app_id)
            .cloned()
            .ok_or(SimError::NotFound)?;
        if installation.suspended_at.is_some() {
            return Err(SimError::status(
                StatusCode::FORBIDDEN,
                "This installation has been suspended",
            ));
        }
        let uncovered = request.repositories.iter().flatten().any(|name| {
            !installation.covers(&installation.account, name)
                || state.repo(&installation.account, name).is_none()
        });
        if uncovered {
            return Err(SimError::status(
                StatusCode::UNPROCESSABLE_ENTITY,
                "There is at least one repository that does not exist or is not accessible to the parent installation.",
            ));
        }
        let (token, issued) = mint(&mut state, &installation, request, lifetime, Utc::now());
        json::apps::token(&base_url(&req), &state, &token, &issued)
    };
    let saver = sim.clone();
    if web::block(move || saver.save()).await.is_err() {
        tracing::warn!("the GitHub simulator's save task failed");
    }
    Ok(HttpResponse::Created().json(answer))
}

/// The optional `permissions` of a token request: names to `read`, `write` or
/// `admin`.
fn permissions(body: &Value) -> Result<Option<BTreeMap<String, String>>, SimError> {
    let invalid = || SimError::invalid("AccessToken", "invalid", "permissions");
    match body.get("permissions") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map)) => map
            .iter()
            .map(|(name, level)| match level.as_str() {
                Some(l @ ("read" | "write" | "admin")) => Ok((name.clone(), l.to_owned())),
                _ => Err(invalid()),
            })
            .collect::<Result<BTreeMap<_, _>, _>>()
            .map(Some),
        Some(_) => Err(invalid()),
    }
}

/// `GET /repos/{o}/{r}/installation`: the app's installation covering the
/// repository; 404 when none does.
async fn get_repo_installation(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, SimError> {
    let app_id = authenticate(&sim, &req)?;
    let (owner, repo) = path.into_inner();
    let state = sim.lock();
    let installation = state
        .apps
        .installation_for_repo(app_id, &owner, &repo)
        .ok_or(SimError::NotFound)?;
    Ok(HttpResponse::Ok().json(json::apps::installation(
        &base_url(&req),
        &state,
        installation,
    )))
}

/// `GET /orgs/{org}/installation` and `GET /users/{u}/installation`: the app's
/// installation on the account; 404 when there is none.
async fn get_account_installation(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, SimError> {
    let app_id = authenticate(&sim, &req)?;
    let state = sim.lock();
    let installation = state
        .apps
        .installation_for_account(app_id, &path)
        .ok_or(SimError::NotFound)?;
    Ok(HttpResponse::Ok().json(json::apps::installation(
        &base_url(&req),
        &state,
        installation,
    )))
}
