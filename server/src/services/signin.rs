//! Signing in and out. Sign-in first reserves the attempt in the throttle (per
//! account and per client address: counted as a failure before the password is
//! checked, so parallel attempts cannot race past it), then checks the password off
//! the async threads, a bounded number at once (`verifier`; against a dummy hash
//! when the login is unknown, so both failures take as long). A success writes one
//! audit row and gives the reservations back; failures write rows only at powers of
//! two of their counts (`worth_a_row`), and refused attempts none, so a flood cannot
//! grow the audit log. Success always starts a new session (and deletes long-dead
//! sessions and forgotten throttle counts).
use chrono::Utc;
use sea_orm::DbErr;

use crate::auth::accounts::{audit, normalise_name};
use crate::auth::{password, session, throttle, AuthError, Credential, Principal};
use crate::db::{accounts as users, sessions};
use crate::domain::{Actor, AuditAction};
use crate::services::AppState;

/// How a sign-in ended.
#[derive(Debug)]
pub enum SignIn {
    /// Signed in: the session token for the cookie.
    Success {
        /// The signed session token.
        token: String,
    },
    /// Unknown login, disabled account or wrong password (indistinguishable).
    Wrong,
    /// Refused without checking the password.
    Throttled {
        /// Seconds until the next attempt may be checked.
        retry_after_secs: u64,
    },
}

/// Signs `login` in with `password` from `address`; `previous` is the session the
/// browser came with, which is ended on success.
///
/// # Errors
/// When the database fails.
pub async fn sign_in(
    state: &AppState,
    login: &str,
    password: String,
    address: &str,
    previous: Option<&Principal>,
) -> Result<SignIn, DbErr> {
    let db = &state.db;
    let limits = &state.settings.web.login;
    let name = normalise_name(login).unwrap_or_else(|_| login.chars().take(64).collect());
    let account_key = throttle::account_key(&name);
    let address_key = throttle::address_key(address);
    let claimed = Actor::user(&name, None);
    let key = state.audit_key();

    // Both attempts are counted before the password is checked (M6): parallel
    // attempts see each other's count, and a refused one costs no argon2 check.
    let (verdict, account_failures) =
        throttle::reserve(db, limits, &account_key, limits.free_failures).await?;
    if let throttle::Verdict::Refused { retry_after_secs } = verdict {
        tracing::debug!("sign-in refused by the account's throttle");
        return Ok(SignIn::Throttled { retry_after_secs });
    }
    let (verdict, address_failures) =
        throttle::reserve(db, limits, &address_key, limits.ip_free_failures).await?;
    if let throttle::Verdict::Refused { retry_after_secs } = verdict {
        throttle::release(db, limits, &account_key, limits.free_failures).await?;
        tracing::debug!("sign-in refused by the address's throttle");
        return Ok(SignIn::Throttled { retry_after_secs });
    }

    let user = users::find_user_by_login(db, &name)
        .await?
        .filter(|u| !u.disabled);
    let stored = user.as_ref().and_then(|u| u.password_hash.clone());
    let Some(verified) = state.passwords.verify(password.clone(), stored).await else {
        // Every check stayed busy: not a failure of this account or address.
        throttle::release(db, limits, &account_key, limits.free_failures).await?;
        throttle::release(db, limits, &address_key, limits.ip_free_failures).await?;
        tracing::warn!("sign-in turned away: every password check stayed busy");
        return Ok(SignIn::Throttled {
            retry_after_secs: 1,
        });
    };

    let Some(user) = user.filter(|_| verified) else {
        if worth_a_row(account_failures, address_failures) {
            let details = serde_json::json!({
                "address": address,
                "account_failures": account_failures,
                "address_failures": address_failures,
            });
            audit(
                db,
                key,
                &claimed,
                AuditAction::LoginFailed,
                "wrong_credentials",
                details,
            )
            .await?;
        }
        return Ok(SignIn::Wrong);
    };

    throttle::forget(db, &account_key).await?;
    throttle::release(db, limits, &address_key, limits.ip_free_failures).await?;
    if user
        .password_hash
        .as_deref()
        .is_some_and(password::needs_rehash)
    {
        if let Ok(Ok(hash)) = tokio::task::spawn_blocking(move || password::hash(&password)).await {
            users::set_password_hash(db, user.id, hash).await?;
        }
    }
    if let Some(old) = previous.and_then(Principal::session_id) {
        sessions::revoke_session(db, old).await?;
    }
    let sid = session::new_session_id();
    let ttl = state.settings.web.session_ttl_secs;
    let expires_at = Utc::now()
        + chrono::Duration::seconds(
            i64::try_from(ttl)
                .unwrap_or(i64::MAX / 4)
                .min(10 * 365 * 86_400),
        );
    sessions::insert_session(db, &sid, user.id, expires_at).await?;
    // Housekeeping: sessions over a day past their end, and throttle counts that are
    // forgotten anyway.
    sessions::delete_stale_sessions(db, Utc::now() - chrono::Duration::days(1)).await?;
    let forget = chrono::Duration::seconds(
        i64::try_from(limits.lockout_secs)
            .unwrap_or(i64::MAX / 4)
            .min(365 * 86_400),
    );
    sessions::delete_stale_throttle(db, Utc::now() - forget).await?;
    let token = state
        .session_keys
        .issue(&sid, user.id, ttl)
        .map_err(|e| DbErr::Custom(format!("signing the session token: {e}")))?;
    audit(
        db,
        key,
        &Actor::user(&user.login, user.github_login.as_deref()),
        AuditAction::Login,
        "ok",
        serde_json::json!({ "address": address }),
    )
    .await?;
    Ok(SignIn::Success { token })
}

/// Whether a failed sign-in writes an audit row: the address's 1st, 2nd, 4th,
/// 8th... failure in a row, and an account's 2nd, 4th, 8th... (the row carries both
/// counts). A flood from one address, or on one account, writes a logarithmic number
/// of rows, not one per attempt; attempts the throttle refuses write none.
fn worth_a_row(account_failures: u32, address_failures: u32) -> bool {
    address_failures.is_power_of_two()
        || (account_failures >= 2 && account_failures.is_power_of_two())
}

/// Ends the caller's session (nothing for token callers) with one audit row.
///
/// # Errors
/// [`AuthError::Unavailable`] when the database fails.
pub async fn sign_out(state: &AppState, principal: &Principal) -> Result<(), AuthError> {
    let Credential::Session { session_id, .. } = &principal.via else {
        return Ok(());
    };
    let fail = |e: DbErr| {
        tracing::error!(error = %e, "signing out failed");
        AuthError::Unavailable
    };
    sessions::revoke_session(&state.db, session_id)
        .await
        .map_err(fail)?;
    audit(
        &state.db,
        state.audit_key(),
        &principal.actor(),
        AuditAction::Logout,
        "ok",
        serde_json::json!({}),
    )
    .await
    .map_err(fail)?;
    Ok(())
}
