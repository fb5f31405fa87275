//! Turning a request's credentials into a [`Principal`]: an `Authorization: Bearer`
//! token (the bootstrap `api.token`, or a stored API token), else the session
//! cookie. A bearer header that does not check out is a failure; the cookie is not
//! tried then.
use actix_web::http::header;
use actix_web::HttpRequest;
use chrono::Utc;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::accounts::{principal_of, token_digest};
use super::error::AuthError;
use super::principal::{Credential, Principal};
use super::session;
use crate::db::{accounts as users, sessions};
use crate::state::AppState;

/// The caller of `req`, `None` when it carries no valid credential.
///
/// # Errors
/// [`AuthError::Unavailable`] when the database cannot be asked.
pub async fn authenticate(
    req: &HttpRequest,
    state: &AppState,
) -> Result<Option<Principal>, AuthError> {
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
        return bearer(presented, state).await;
    }
    match session::cookie_token(req) {
        Some(token) => cookie(&token, state).await,
        None => Ok(None),
    }
}

fn unavailable(err: &sea_orm::DbErr) -> AuthError {
    tracing::error!(error = %err, "could not check credentials");
    AuthError::Unavailable
}

async fn bearer(presented: &str, state: &AppState) -> Result<Option<Principal>, AuthError> {
    if let Some(expected) = &state.settings.api.token {
        // Digests compared in constant time: neither content nor length leaks.
        let matches: bool = Sha256::digest(presented.as_bytes())
            .ct_eq(&Sha256::digest(expected.expose().as_bytes()))
            .into();
        if matches {
            return Ok(Some(Principal {
                user_id: 0,
                login: "api-token".into(),
                admin: true,
                base_role: None,
                projects: Default::default(),
                github_login: None,
                via: Credential::Bootstrap,
            }));
        }
    }
    let Some(token) = sessions::find_live_token(&state.db, &token_digest(presented))
        .await
        .map_err(|e| unavailable(&e))?
    else {
        return Ok(None);
    };
    let Some(user) = users::find_user(&state.db, token.user_id)
        .await
        .map_err(|e| unavailable(&e))?
        .filter(|u| !u.disabled)
    else {
        return Ok(None);
    };
    let Ok(scope) = token.role.parse() else {
        return Ok(None);
    };
    if token
        .last_used_at
        .is_none_or(|at| Utc::now() - at > chrono::Duration::seconds(60))
    {
        sessions::touch_token(&state.db, token.id)
            .await
            .map_err(|e| unavailable(&e))?;
    }
    let principal = principal_of(
        &state.db,
        &user,
        Credential::ApiToken {
            token_id: token.id,
            scope,
        },
    )
    .await
    .map_err(|e| unavailable(&e))?;
    Ok(Some(principal))
}

async fn cookie(token: &str, state: &AppState) -> Result<Option<Principal>, AuthError> {
    let Some(claims) = state.session_keys.verify(token) else {
        return Ok(None);
    };
    let Some(row) = sessions::find_session(&state.db, &claims.sid)
        .await
        .map_err(|e| unavailable(&e))?
    else {
        return Ok(None);
    };
    if row.revoked_at.is_some()
        || row.expires_at <= Utc::now()
        || row.user_id.to_string() != claims.sub
    {
        return Ok(None);
    }
    let Some(user) = users::find_user(&state.db, row.user_id)
        .await
        .map_err(|e| unavailable(&e))?
        .filter(|u| !u.disabled)
    else {
        return Ok(None);
    };
    let via = Credential::Session {
        csrf: state.session_keys.csrf_token(&row.id),
        session_id: row.id,
    };
    let principal = principal_of(&state.db, &user, via)
        .await
        .map_err(|e| unavailable(&e))?;
    Ok(Some(principal))
}
