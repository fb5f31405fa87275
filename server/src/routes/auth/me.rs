//! `GET /api/v1/me`: who the caller is, with their roles and, for a session, the
//! CSRF token scripts need for writes.
use actix_web::HttpResponse;

use crate::auth::{Credential, Principal, Role};

/// `GET /api/v1/me`.
pub async fn show_me(principal: Principal) -> HttpResponse {
    let via = match &principal.via {
        Credential::Session { .. } => "session",
        Credential::ApiToken { .. } => "api_token",
        Credential::Bootstrap => "bootstrap_token",
    };
    HttpResponse::Ok().insert_header((actix_web::http::header::CACHE_CONTROL, "no-store")).json(serde_json::json!({
        "login": principal.login,
        "admin": principal.is_admin(),
        "role": principal.highest_role().map(Role::as_str),
        "base_role": principal.base_role.map(Role::as_str),
        "projects": principal.projects.iter().map(|(p, r)| (p.clone(), r.as_str())).collect::<std::collections::BTreeMap<_, _>>(),
        "via": via,
        "csrf_token": principal.csrf_token(),
    }))
}
