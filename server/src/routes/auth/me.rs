//! `GET /api/v1/me`: who the caller is, with their roles and, for a session, the
//! CSRF token scripts need for writes.
use std::collections::BTreeMap;

use actix_web::HttpResponse;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::{Credential, Principal, Role};

/// Who the caller is.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeResponse {
    /// Their login.
    pub login: String,
    /// Whether they act as an admin.
    pub admin: bool,
    /// Their highest role (`viewer`, `maintainer`, `admin`), capped by a token's
    /// scope.
    pub role: Option<&'static str>,
    /// Their own role, before team grants.
    pub base_role: Option<&'static str>,
    /// Roles by `owner/repo`, from their teams.
    pub projects: BTreeMap<String, &'static str>,
    /// How they signed in: `session`, `api_token` or `bootstrap_token`.
    pub via: &'static str,
    /// For a session: the token writes need in `X-CSRF-Token`.
    pub csrf_token: Option<String>,
}

/// Who the caller is
///
/// The caller's login, roles and, for a session, the CSRF token for writes.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth",
    responses((status = 200, description = "the caller", body = MeResponse)))]
pub async fn show_me(principal: Principal) -> HttpResponse {
    let via = match &principal.via {
        Credential::Session { .. } => "session",
        Credential::ApiToken { .. } => "api_token",
        Credential::Bootstrap => "bootstrap_token",
    };
    HttpResponse::Ok()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(MeResponse {
            login: principal.login.clone(),
            admin: principal.is_admin(),
            role: principal.highest_role().map(Role::as_str),
            base_role: principal.base_role.map(Role::as_str),
            projects: principal
                .projects
                .iter()
                .map(|(p, r)| (p.clone(), r.as_str()))
                .collect(),
            via,
            csrf_token: principal.csrf_token().map(str::to_owned),
        })
}
