//! `/api/v1/installations`: the GitHub App's installations as their webhooks
//! described them, with whether each is suspended and the last credentials error
//! seen for it. A caller with only team grants sees the installations listing one
//! of their repositories, with only those repositories
//! (`services::installations::list_for`).
use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::routes::auth::AnyViewer;
use crate::routes::error::ApiError;
use crate::services::installations::{self, Seen};
use crate::services::AppState;

/// The App's installations.
#[derive(Debug, Serialize, ToSchema)]
pub struct InstallationsResponse {
    /// Every installation the caller may see.
    pub installations: Vec<InstallationResponse>,
}

/// One installation.
#[derive(Debug, Serialize, ToSchema)]
pub struct InstallationResponse {
    /// GitHub's installation id.
    pub id: i64,
    /// The account it is installed on.
    pub account: String,
    /// Whether it is suspended (it then gets no API calls).
    pub suspended: bool,
    /// Its repositories (`owner/name`); `null`: all of the account's.
    pub repositories: Option<Vec<String>>,
    /// Why the last token request failed (wrong key, suspended).
    pub last_error: Option<String>,
    /// When a webhook last changed it.
    pub updated_at: DateTime<Utc>,
}

impl From<Seen> for InstallationResponse {
    fn from(seen: Seen) -> Self {
        let i = seen.installation;
        Self {
            id: i.id,
            account: i.account,
            suspended: i.suspended,
            repositories: seen.repositories,
            last_error: i.last_error,
            updated_at: i.updated_at,
        }
    }
}

/// The GitHub App's installations
///
/// As their webhooks described them; `last_error` says why the last token request
/// failed.
#[utoipa::path(get, path = "/api/v1/installations", tag = "installations",
    responses((status = 200, description = "the installations", body = InstallationsResponse)))]
pub async fn list_installations(
    caller: AnyViewer,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let seen = installations::list_for(&state.db, &caller.visible_projects())
        .await
        .map_err(|e| ApiError::storage(&e))?;
    Ok(HttpResponse::Ok().json(InstallationsResponse {
        installations: seen.into_iter().map(InstallationResponse::from).collect(),
    }))
}
