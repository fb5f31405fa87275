//! Turning presented credentials into a [`Principal`]: a bearer token (the
//! bootstrap `api.token`, or a stored API token), else a session token. A bearer
//! token that does not check out is a failure; the session is not tried then.
//! Reading them from a request is `routes::auth::credentials`.
use chrono::Utc;
use sea_orm::DatabaseConnection;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::accounts::{principal_of, token_digest};
use super::error::AuthError;
use super::principal::{Credential, Principal};
use super::session::SessionKeys;
use crate::config::Settings;
use crate::db::{accounts as users, sessions};

/// What a request presented.
#[derive(Debug, Clone, Copy)]
pub enum Presented<'a> {
    /// An `Authorization: Bearer` token (not empty).
    Bearer(&'a str),
    /// The session cookie's token.
    Session(&'a str),
}

/// Where credentials are checked: the database, the settings (the bootstrap
/// `api.token`) and the keys sessions are signed with.
#[derive(Clone, Copy)]
pub struct Checker<'a> {
    /// The database.
    pub db: &'a DatabaseConnection,
    /// The settings.
    pub settings: &'a Settings,
    /// The session keys.
    pub keys: &'a SessionKeys,
}

impl std::fmt::Debug for Checker<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Checker").finish_non_exhaustive()
    }
}

/// The caller who presented `presented`, `None` when it is not valid.
///
/// # Errors
/// [`AuthError::Unavailable`] when the database cannot be asked.
pub async fn authenticate(
    checker: Checker<'_>,
    presented: Presented<'_>,
) -> Result<Option<Principal>, AuthError> {
    match presented {
        Presented::Bearer(token) => bearer(token, checker).await,
        Presented::Session(token) => cookie(token, checker).await,
    }
}

fn unavailable(err: &sea_orm::DbErr) -> AuthError {
    tracing::error!(error = %err, "could not check credentials");
    AuthError::Unavailable
}

async fn bearer(presented: &str, state: Checker<'_>) -> Result<Option<Principal>, AuthError> {
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
    let Some(token) = sessions::find_live_token(state.db, &token_digest(presented))
        .await
        .map_err(|e| unavailable(&e))?
    else {
        return Ok(None);
    };
    let Some(user) = users::find_user(state.db, token.user_id)
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
        sessions::touch_token(state.db, token.id)
            .await
            .map_err(|e| unavailable(&e))?;
    }
    let principal = principal_of(
        state.db,
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

async fn cookie(token: &str, state: Checker<'_>) -> Result<Option<Principal>, AuthError> {
    let Some(claims) = state.keys.verify(token) else {
        return Ok(None);
    };
    let Some(row) = sessions::find_session(state.db, &claims.sid)
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
    let Some(user) = users::find_user(state.db, row.user_id)
        .await
        .map_err(|e| unavailable(&e))?
        .filter(|u| !u.disabled)
    else {
        return Ok(None);
    };
    let via = Credential::Session {
        csrf: state.keys.csrf_token(&row.id),
        session_id: row.id,
    };
    let principal = principal_of(state.db, &user, via)
        .await
        .map_err(|e| unavailable(&e))?;
    Ok(Some(principal))
}
