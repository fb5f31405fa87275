//! The primary rate limit every GitHub answer reports (`x-ratelimit-limit`,
//! `-remaining`, `-used`, `-reset` and `-resource`), counted per simulator over an
//! hour-long window as GitHub counts an installation's requests, and enforced: once the
//! window's requests are used up, requests get GitHub's 403 until it resets.
//!
//! Like faults, the budget belongs to one process and is never saved.

use std::time::{SystemTime, UNIX_EPOCH};

use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};

/// Requests per window, as for a GitHub App installation on a small organisation.
pub(crate) const DEFAULT_LIMIT: u64 = 5000;
/// Requests per window GitHub allows without authentication.
pub(crate) const ANONYMOUS_LIMIT: u64 = 60;
/// Length of one window.
const WINDOW_SECS: u64 = 3600;

/// Requests counted in the current window.
#[derive(Debug)]
pub(crate) struct Budget {
    limit: u64,
    used: u64,
    /// Unix time the current window ends; 0 before the first request.
    reset_at: u64,
}

impl Default for Budget {
    fn default() -> Self {
        Self::new(DEFAULT_LIMIT)
    }
}

/// What the rate-limit headers of one answer say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Quota {
    pub limit: u64,
    pub used: u64,
    /// Unix time the window ends.
    pub reset: u64,
}

impl Budget {
    /// A budget of `limit` requests per window.
    pub fn new(limit: u64) -> Self {
        Self {
            limit,
            used: 0,
            reset_at: 0,
        }
    }

    /// Changes the requests allowed per window; the count so far is kept.
    pub fn set_limit(&mut self, limit: u64) {
        self.limit = limit;
    }

    /// Counts one request at Unix time `now`, starting a new window when the last one
    /// has ended. `Err` when the window's requests are used up (the request is then
    /// not counted).
    pub fn take(&mut self, now: u64) -> Result<Quota, Quota> {
        if now >= self.reset_at {
            self.used = 0;
            self.reset_at = now.saturating_add(WINDOW_SECS);
        }
        if self.used >= self.limit {
            return Err(self.quota());
        }
        self.used = self.used.saturating_add(1);
        Ok(self.quota())
    }

    fn quota(&self) -> Quota {
        Quota {
            limit: self.limit,
            used: self.used,
            reset: self.reset_at,
        }
    }
}

impl Quota {
    /// Sets the five `x-ratelimit-*` headers on `headers`.
    pub fn apply(&self, headers: &mut HeaderMap) {
        let remaining = self.limit.saturating_sub(self.used);
        for (name, value) in [
            ("x-ratelimit-limit", self.limit.to_string()),
            ("x-ratelimit-remaining", remaining.to_string()),
            ("x-ratelimit-used", self.used.to_string()),
            ("x-ratelimit-reset", self.reset.to_string()),
            ("x-ratelimit-resource", "core".to_owned()),
        ] {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(HeaderName::from_static(name), value);
            }
        }
    }
}

/// Seconds since the Unix epoch.
pub(crate) fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_used_up_window_refuses_until_it_resets() {
        let mut budget = Budget::default();
        budget.set_limit(2);
        assert_eq!(budget.take(100).unwrap().used, 1);
        let second = budget.take(200).unwrap();
        assert_eq!((second.used, second.reset), (2, 100 + WINDOW_SECS));
        assert_eq!(budget.take(300).unwrap_err().used, 2);
        assert_eq!(budget.take(100 + WINDOW_SECS).unwrap().used, 1);
    }
}
