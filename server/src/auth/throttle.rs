//! Login throttling per account and per client address, stored in the database so
//! every replica sees the same counts. The rules are those of
//! `config::LoginThrottleSettings`.
use chrono::{Duration, Utc};
use sea_orm::{ConnectionTrait, DbErr};

use crate::config::LoginThrottleSettings;
use crate::db::sessions as store;

/// The throttle key of an account.
#[must_use]
pub fn account_key(login: &str) -> String {
    let login: String = login.trim().to_lowercase().chars().take(128).collect();
    format!("login:{login}")
}

/// The throttle key of a client address.
#[must_use]
pub fn address_key(address: &str) -> String {
    format!("ip:{}", address.chars().take(64).collect::<String>())
}

/// Whether an attempt may go ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Check the password.
    Allowed,
    /// Refuse without checking, for this many more seconds (at least 1).
    Refused {
        /// Seconds until the next attempt is allowed.
        retry_after_secs: u64,
    },
}

/// Whether any of `keys` is currently refused.
///
/// # Errors
/// When the database fails.
pub async fn check(db: &impl ConnectionTrait, keys: &[String]) -> Result<Verdict, DbErr> {
    let now = Utc::now();
    let mut wait = 0i64;
    for key in keys {
        if let Some(until) = store::throttle_state(db, key)
            .await?
            .and_then(|s| s.locked_until)
        {
            if until > now {
                wait = wait.max((until - now).num_milliseconds());
            }
        }
    }
    Ok(if wait > 0 {
        Verdict::Refused {
            retry_after_secs: u64::try_from(wait).unwrap_or(0).div_ceil(1000).max(1),
        }
    } else {
        Verdict::Allowed
    })
}

/// Counts a failed attempt under `key`, which is free for `free` failures; returns
/// the new count.
///
/// # Errors
/// When the database fails.
pub async fn record_failure(
    db: &impl ConnectionTrait,
    settings: &LoginThrottleSettings,
    key: &str,
    free: u32,
) -> Result<u32, DbErr> {
    let now = Utc::now();
    let forget_after =
        Duration::seconds(i64::try_from(settings.lockout_secs).unwrap_or(i64::MAX / 2));
    let previous = match store::throttle_state(db, key).await? {
        Some(state) if now - state.updated_at < forget_after => {
            u32::try_from(state.failures).unwrap_or(0)
        }
        _ => 0,
    };
    let failures = previous.saturating_add(1);
    let locked_until = if failures >= settings.lockout_failures {
        Some(now + forget_after)
    } else if failures >= free {
        let doublings = (failures - free).min(30);
        let delay = settings
            .base_delay_ms
            .saturating_mul(1u64 << doublings)
            .min(settings.max_delay_ms);
        Some(now + Duration::milliseconds(i64::try_from(delay).unwrap_or(i64::MAX / 2)))
    } else {
        None
    };
    store::put_throttle(
        db,
        key,
        i32::try_from(failures).unwrap_or(i32::MAX),
        locked_until,
    )
    .await?;
    Ok(failures)
}

/// Forgets the failures under `key` (an account after a successful sign-in).
///
/// # Errors
/// When the database fails.
pub async fn forget(db: &impl ConnectionTrait, key: &str) -> Result<(), DbErr> {
    store::clear_throttle(db, key).await
}
