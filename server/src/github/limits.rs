//! GitHub's rate limits, read from its answers and obeyed before the next request:
//! `retry-after` (429, and secondary limits that send it), `x-ratelimit-remaining: 0`
//! with `x-ratelimit-reset` (primary limits), and at least 60 s for a secondary
//! limit that says nothing more. A client that hit a limit sends nothing until the
//! time has passed: calls before then fail at once with the same `retry_at`, and
//! the job queue schedules the retry no earlier (TESTPLAN G1 to G3).
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use parking_lot::Mutex;

/// The least a secondary rate limit without `retry-after` is waited out.
pub const SECONDARY_WAIT: Duration = Duration::seconds(60);

/// When a rate-limited answer allows the next request, or `None` when the answer is
/// not a rate limit (a 403 without these signs is a permission error).
#[must_use]
pub fn retry_at(
    status: u16,
    headers: Option<&http::HeaderMap>,
    message: &str,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    if status != 403 && status != 429 {
        return None;
    }
    let header = |name: &str| {
        headers
            .and_then(|h| h.get(name))
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(secs) = header("retry-after").and_then(|v| v.parse::<i64>().ok()) {
        return Some(now + Duration::seconds(secs.max(1)));
    }
    if header("x-ratelimit-remaining") == Some("0") {
        let reset = header("x-ratelimit-reset")
            .and_then(|v| v.parse::<i64>().ok())
            .and_then(|t| Utc.timestamp_opt(t, 0).single());
        return Some(reset.filter(|r| *r > now).unwrap_or(now + SECONDARY_WAIT));
    }
    let text = message.to_ascii_lowercase();
    if status == 429 || text.contains("secondary rate limit") || text.contains("abuse") {
        return Some(now + SECONDARY_WAIT);
    }
    None
}

/// The time before which a client must not call GitHub, shared by its clones.
#[derive(Debug, Clone, Default)]
pub struct RateGate {
    until: Arc<Mutex<Option<DateTime<Utc>>>>,
}

impl RateGate {
    /// `Some(time)` while requests must wait until `time`.
    #[must_use]
    pub fn closed_until(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        (*self.until.lock()).filter(|t| *t > now)
    }

    /// Keeps requests back until `time` (the later of this and any earlier hold).
    pub fn close_until(&self, time: DateTime<Utc>) {
        let mut until = self.until.lock();
        if until.is_none_or(|t| t < time) {
            *until = Some(time);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> http::HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| {
                (
                    http::HeaderName::from_static(k),
                    http::HeaderValue::from_str(v).unwrap(),
                )
            })
            .collect()
    }

    #[test]
    fn each_kind_of_limit_gives_its_own_wait_and_a_permission_error_none() {
        let now = Utc::now();
        let retry = headers(&[("retry-after", "3")]);
        assert_eq!(
            retry_at(429, Some(&retry), "", now),
            Some(now + Duration::seconds(3))
        );
        let reset = (now + Duration::seconds(90)).timestamp();
        let primary = headers(&[
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", &reset.to_string()),
        ]);
        assert_eq!(
            retry_at(403, Some(&primary), "API rate limit exceeded", now)
                .unwrap()
                .timestamp(),
            reset
        );
        let secondary =
            retry_at(403, None, "You have exceeded a secondary rate limit", now).unwrap();
        assert!(secondary - now >= SECONDARY_WAIT);
        assert_eq!(
            retry_at(
                403,
                Some(&headers(&[("x-ratelimit-remaining", "4999")])),
                "Resource not accessible by integration",
                now
            ),
            None
        );
        assert_eq!(retry_at(404, Some(&retry), "", now), None);
    }

    #[test]
    fn a_gate_keeps_the_latest_hold() {
        let now = Utc::now();
        let gate = RateGate::default();
        assert_eq!(gate.closed_until(now), None);
        gate.close_until(now + Duration::seconds(10));
        gate.close_until(now + Duration::seconds(5));
        assert_eq!(gate.closed_until(now), Some(now + Duration::seconds(10)));
        assert_eq!(gate.clone().closed_until(now + Duration::seconds(11)), None);
    }
}
