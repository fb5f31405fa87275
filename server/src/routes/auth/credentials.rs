//! The credentials a request carries: an `Authorization: Bearer` header, else the
//! session cookie; checked by `auth::authenticate`.
use actix_web::http::header;
use actix_web::HttpRequest;

use super::cookies::cookie_token;
use crate::auth::{check_credentials, AuthError, Checker, Presented, Principal};
use crate::services::AppState;

/// The caller of `req`, `None` when it carries no valid credential. A bearer header
/// that does not check out is a failure; the cookie is not tried then.
///
/// # Errors
/// [`AuthError::Unavailable`] when the database cannot be asked.
pub async fn authenticate(
    req: &HttpRequest,
    state: &AppState,
) -> Result<Option<Principal>, AuthError> {
    let checker = Checker {
        db: &state.db,
        settings: &state.settings,
        keys: &state.session_keys,
    };
    if let Some(value) = req.headers().get(header::AUTHORIZATION) {
        let presented = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .unwrap_or_default();
        if presented.is_empty() {
            return Ok(None);
        }
        return check_credentials(checker, Presented::Bearer(presented)).await;
    }
    match cookie_token(req) {
        Some(token) => check_credentials(checker, Presented::Session(&token)).await,
        None => Ok(None),
    }
}
