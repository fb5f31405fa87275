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

/// How many times [`reserve`] and [`release`] re-read a row another request changed
/// under them before giving up.
const RACES: usize = 50;

/// When the `failures`-th failure in a row under a key free for `free` failures
/// locks it: after `lockout_failures`, for `lockout_secs`; after `free`, for the
/// base delay doubled per further failure (up to the longest delay).
fn lock_after(
    settings: &LoginThrottleSettings,
    failures: u32,
    free: u32,
) -> Option<chrono::DateTime<Utc>> {
    let now = Utc::now();
    if failures >= settings.lockout_failures {
        let lock = i64::try_from(settings.lockout_secs).unwrap_or(i64::MAX / 2);
        Some(now + Duration::seconds(lock.min(365 * 86_400)))
    } else if failures >= free {
        let doublings = (failures - free).min(30);
        let delay = settings
            .base_delay_ms
            .saturating_mul(1u64 << doublings)
            .min(settings.max_delay_ms);
        Some(now + Duration::milliseconds(i64::try_from(delay).unwrap_or(i64::MAX / 2)))
    } else {
        None
    }
}

/// Reserves one attempt under `key` before the password is checked: refused while
/// the key is locked; otherwise the attempt is counted as a failure (and the key
/// locked as that failure would lock it) at once, in one compare-and-swap, so a
/// burst of parallel attempts cannot all pass the check before any failure is
/// counted. A successful sign-in gives the attempt back with [`release`] (or
/// [`forget`]). Returns the verdict and, when allowed, the count with this attempt.
///
/// # Errors
/// When the database fails, or the row kept changing under us.
pub async fn reserve(
    db: &impl ConnectionTrait,
    settings: &LoginThrottleSettings,
    key: &str,
    free: u32,
) -> Result<(Verdict, u32), DbErr> {
    let forget_after =
        Duration::seconds(i64::try_from(settings.lockout_secs).unwrap_or(i64::MAX / 2));
    for _ in 0..RACES {
        let now = Utc::now();
        let seen = store::throttle_state(db, key).await?;
        if let Some(until) = seen.as_ref().and_then(|s| s.locked_until) {
            if until > now {
                let wait = u64::try_from((until - now).num_milliseconds()).unwrap_or(0);
                let retry_after_secs = wait.div_ceil(1000).max(1);
                return Ok((Verdict::Refused { retry_after_secs }, 0));
            }
        }
        let previous = match &seen {
            Some(state) if now - state.updated_at < forget_after => {
                u32::try_from(state.failures).unwrap_or(0)
            }
            _ => 0,
        };
        let failures = previous.saturating_add(1);
        let stored = i32::try_from(failures).unwrap_or(i32::MAX);
        let locked_until = lock_after(settings, failures, free);
        let swapped = match &seen {
            None => store::insert_throttle(db, key, stored, locked_until).await?,
            Some(old) => store::swap_throttle(db, old, stored, locked_until).await?,
        };
        if swapped {
            return Ok((Verdict::Allowed, failures));
        }
    }
    Err(DbErr::Custom(format!(
        "the login throttle row changed under {RACES} attempts"
    )))
}

/// Gives back an attempt [`reserve`] counted under `key` (a client address after a
/// successful sign-in): one failure fewer, and no lock unless the failures left
/// reach `free`.
///
/// # Errors
/// When the database fails, or the row kept changing under us.
pub async fn release(
    db: &impl ConnectionTrait,
    settings: &LoginThrottleSettings,
    key: &str,
    free: u32,
) -> Result<(), DbErr> {
    for _ in 0..RACES {
        let Some(old) = store::throttle_state(db, key).await? else {
            return Ok(());
        };
        if old.failures <= 0 {
            return Ok(());
        }
        let failures = old.failures - 1;
        let left = u32::try_from(failures).unwrap_or(0);
        let locked_until = if left >= free || left >= settings.lockout_failures {
            old.locked_until
        } else {
            None
        };
        if store::swap_throttle(db, &old, failures, locked_until).await? {
            return Ok(());
        }
    }
    Err(DbErr::Custom(format!(
        "the login throttle row changed under {RACES} attempts"
    )))
}

/// Forgets the failures under `key` (an account after a successful sign-in).
///
/// # Errors
/// When the database fails.
pub async fn forget(db: &impl ConnectionTrait, key: &str) -> Result<(), DbErr> {
    store::clear_throttle(db, key).await
}
