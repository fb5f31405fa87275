//! Control routes over the GitHub Apps API (`crate::apps`), relative to `/_simulator`:
//!
//! - `POST /apps` with a `NewApp` `{"id", "key_pem", "slug", "name", "owner"}`
//! - `POST /installations` with a `NewInstallation` `{"id", "app_id", "account",
//!   "repositories", "suspended"}`
//! - `PUT /installations/{id}/suspended` `{"suspended": true}`
//! - `POST /installations/{id}/tokens`: a token without a JWT
//! - `POST /personal_tokens` `{"token"}`
//! - `PUT /tokens` `{"checking": true, "lifetime_secs": 3600}` (either field)
//! - `GET /app_jwts`: every App JWT seen

use std::time::Duration;

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::seed::{blocking, body};
use crate::{error::SimError, json, routes::base_url, NewApp, NewInstallation, Simulator};

/// Registers this module's routes.
pub(super) fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/apps", web::post().to(register_app))
        .route("/installations", web::post().to(add_installation))
        .route(
            "/installations/{id}/suspended",
            web::put().to(set_suspended),
        )
        .route("/installations/{id}/tokens", web::post().to(issue_token))
        .route("/personal_tokens", web::post().to(add_personal_token))
        .route("/tokens", web::put().to(set_tokens))
        .route("/app_jwts", web::get().to(list_jwts));
}

/// `POST /_simulator/apps`: registers the app; 201 with it as `GET /app` shows it, 422
/// when the key is not an RSA key in PEM.
async fn register_app(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    bytes: web::Bytes,
) -> Result<HttpResponse, SimError> {
    let app: NewApp = body(&bytes, "App")?;
    let id = app.id;
    blocking(&sim, move |sim| sim.register_app(&app))
        .await?
        .map_err(|_| SimError::invalid("App", "invalid", "key_pem"))?;
    let state = sim.lock();
    let app = state.apps.apps.get(&id).ok_or(SimError::NotFound)?;
    Ok(HttpResponse::Created().json(json::apps::app(&base_url(&req), &state, app)))
}

/// `POST /_simulator/installations`: adds the installation; 201 with it, 404 when the
/// app is unknown.
async fn add_installation(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    bytes: web::Bytes,
) -> Result<HttpResponse, SimError> {
    let installation: NewInstallation = body(&bytes, "Installation")?;
    let id = installation.id;
    if !blocking(&sim, move |sim| sim.add_installation(&installation)).await? {
        return Err(SimError::NotFound);
    }
    let state = sim.lock();
    let installation = state
        .apps
        .installations
        .get(&id)
        .ok_or(SimError::NotFound)?;
    Ok(HttpResponse::Created().json(json::apps::installation(
        &base_url(&req),
        &state,
        installation,
    )))
}

/// Whether an installation is suspended.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Suspended {
    suspended: bool,
}

/// The installation id in the path; 404 when it is not a number.
fn installation_id(raw: &str) -> Result<u64, SimError> {
    raw.parse().map_err(|_| SimError::NotFound)
}

/// `PUT /_simulator/installations/{id}/suspended` `{"suspended": true}`: 204; 404 for
/// an unknown installation.
async fn set_suspended(
    sim: web::Data<Simulator>,
    path: web::Path<String>,
    bytes: web::Bytes,
) -> Result<HttpResponse, SimError> {
    let id = installation_id(&path)?;
    let wanted: Suspended = body(&bytes, "Suspended")?;
    if !blocking(&sim, move |sim| {
        sim.set_installation_suspended(id, wanted.suspended)
    })
    .await?
    {
        return Err(SimError::NotFound);
    }
    Ok(HttpResponse::NoContent().finish())
}

/// `POST /_simulator/installations/{id}/tokens`: 201 `{"token"}`, minted without a
/// JWT and not counted as a token request; 404 for an unknown or suspended
/// installation.
async fn issue_token(
    sim: web::Data<Simulator>,
    path: web::Path<String>,
) -> Result<HttpResponse, SimError> {
    let id = installation_id(&path)?;
    let token = blocking(&sim, move |sim| sim.issue_token(id))
        .await?
        .ok_or(SimError::NotFound)?;
    Ok(HttpResponse::Created().json(serde_json::json!({ "token": token })))
}

/// A personal token to accept.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PersonalToken {
    token: String,
}

/// `POST /_simulator/personal_tokens` `{"token"}`: 204.
async fn add_personal_token(
    sim: web::Data<Simulator>,
    bytes: web::Bytes,
) -> Result<HttpResponse, SimError> {
    let wanted: PersonalToken = body(&bytes, "PersonalToken")?;
    blocking(&sim, move |sim| sim.add_personal_token(&wanted.token)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Token settings to change.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenSettings {
    #[serde(default)]
    checking: Option<bool>,
    #[serde(default)]
    lifetime_secs: Option<u64>,
}

/// `PUT /_simulator/tokens` `{"checking": true, "lifetime_secs": 5}`: 204.
async fn set_tokens(
    sim: web::Data<Simulator>,
    bytes: web::Bytes,
) -> Result<HttpResponse, SimError> {
    let wanted: TokenSettings = body(&bytes, "TokenSettings")?;
    if let Some(checking) = wanted.checking {
        sim.set_token_checking(checking);
    }
    if let Some(secs) = wanted.lifetime_secs {
        sim.set_token_lifetime(Duration::from_secs(secs));
    }
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /_simulator/app_jwts`: every App JWT seen, oldest first.
async fn list_jwts(sim: web::Data<Simulator>) -> HttpResponse {
    HttpResponse::Ok().json(sim.app_jwts())
}
