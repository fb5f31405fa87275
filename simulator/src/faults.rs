//! Fault injection: the public [`Fault`] and [`FaultKind`] types, the book of active
//! faults with its path patterns and countdowns, the log of requests seen (for tests
//! asserting on retries), the rate-limit budget, and the responses a fault answers
//! with (errors, rate limits, hangs, redirects), in GitHub's shapes.
//!
//! Nothing here is persisted: faults, the request log and the budget belong to one
//! process.

use std::{
    collections::{HashMap, VecDeque},
    time::{Duration, Instant},
};

use actix_web::{
    http::{header, StatusCode},
    HttpRequest, HttpResponse,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::{
    contract::Records,
    ratelimit::{now_secs, Budget, Quota, ANONYMOUS_LIMIT, DEFAULT_LIMIT},
    routes::artifacts::Storage,
    routes::base_url,
};

/// Where GitHub's rate-limit errors point.
const RATE_LIMIT_DOCS: &str = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api";
/// GitHub's message for a secondary rate limit (403 or 429).
const SECONDARY_MESSAGE: &str =
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.";
/// Timestamps kept per `(method, path)`; older ones are dropped, the count is not.
const MAX_TIMES_PER_PATH: usize = 4096;

/// What a fault does to a matching request.
///
/// Over HTTP it is written externally tagged in snake case: `{"status": 502}`,
/// `{"status_after_apply": 502}`, `{"retry_after": 3}`,
/// `{"rate_limited": {"reset_in_secs": 5}}`,
/// `{"primary_rate_limit": {"status": 429, "reset_in_secs": 5}}`,
/// `"secondary_rate_limit"`, `{"secondary_rate_limit_retry_after": {"secs": 60}}`,
/// `{"hang": {"secs": 30}}`, `{"redirect": {"status": 301, "to": "/repos/o/r"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// Answer this status with GitHub's error body, without applying the request.
    Status(u16),
    /// Apply the request (the write happens), then answer this status instead of the
    /// real response. Models "the server created it but the reply was lost".
    StatusAfterApply(u16),
    /// 429 with `retry-after: secs` and no rate-limit headers.
    RetryAfter(u64),
    /// Primary rate limit: 403 with `x-ratelimit-remaining: 0`,
    /// `x-ratelimit-limit: 5000` and `x-ratelimit-reset` this many seconds from now.
    RateLimited {
        /// Seconds from now until the limit resets.
        reset_in_secs: u64,
    },
    /// Secondary rate limit: 403 without rate-limit headers.
    SecondaryRateLimit,
    /// Primary rate limit with a chosen status (403 or 429, GitHub uses both):
    /// `x-ratelimit-remaining: 0`, `x-ratelimit-limit`, `-used`, `-resource`, and
    /// `x-ratelimit-reset` this many seconds from now.
    PrimaryRateLimit {
        /// 403 or 429.
        status: u16,
        /// Seconds from now until the limit resets.
        reset_in_secs: u64,
    },
    /// Secondary rate limit as GitHub usually words it: 403 "You have exceeded a
    /// secondary rate limit..." with `retry-after: secs` and no rate-limit headers.
    SecondaryRateLimitRetryAfter {
        /// The `retry-after` value, in seconds.
        secs: u64,
    },
    /// Never answer: hold the request open for this many seconds, then answer 504.
    Hang {
        /// Seconds to hold the request.
        secs: u64,
    },
    /// Moved: answer `status` (GitHub sends 301 for a renamed repository's GET and
    /// 307 for other methods) with `Location` an absolute URL on this host, the
    /// request's query kept, and nothing applied. `to` is the new path: with a
    /// pattern ending in `/**` it replaces the segments before the `**` (so
    /// `/repos/old/name/**` to `/repos/o/r` moves `/repos/old/name/issues/1` to
    /// `/repos/o/r/issues/1`); otherwise it is the whole new path.
    Redirect {
        /// 301, 302, 303, 307 or 308.
        status: u16,
        /// The new path, starting with `/`.
        to: String,
    },
}

/// The statuses a [`FaultKind::Redirect`] may answer.
const REDIRECTS: [u16; 5] = [301, 302, 303, 307, 308];

impl FaultKind {
    /// Whether the request still reaches the handler (only [`FaultKind::StatusAfterApply`]).
    pub(crate) fn applies_request(&self) -> bool {
        matches!(self, Self::StatusAfterApply(_))
    }
}

/// One injected fault: which requests it matches, what it does, and how often.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    /// HTTP method to match, e.g. `"POST"` (any case); `None` matches any.
    #[serde(default)]
    pub method: Option<String>,
    /// Pattern matched against the request path (as sent, without the query):
    /// segments separated by `/`, where a segment `*` matches any one segment and a
    /// trailing `**` matches the rest (zero or more segments). Other segments match
    /// themselves, ignoring ASCII case as GitHub does for owners and repositories.
    /// E.g. `"/repos/*/*/issues/*/comments"`.
    pub path: String,
    /// What the fault does.
    pub kind: FaultKind,
    /// How many matching requests it affects; `None` = every one until cleared.
    #[serde(default)]
    pub times: Option<u32>,
}

impl Fault {
    /// Whether this fault applies to a request with `method` and `path`.
    fn matches(&self, method: &str, path: &str) -> bool {
        self.method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method))
            && path_matches(&self.path, path)
    }

    /// Why the fault cannot be injected over HTTP, if it cannot: the path must start
    /// with `/` and `**` may only end it; statuses must be 100 to 599, a redirect's
    /// one of [`REDIRECTS`] with a `to` starting with `/`.
    pub(crate) fn problem(&self) -> Option<&'static str> {
        let segments: Vec<&str> = self.path.split('/').collect();
        let misplaced_rest = segments
            .iter()
            .rev()
            .skip(1)
            .any(|segment| *segment == "**");
        if !self.path.starts_with('/') || misplaced_rest {
            return Some("path");
        }
        match self.kind {
            FaultKind::Status(code) | FaultKind::StatusAfterApply(code)
                if !(100..=599).contains(&code) =>
            {
                Some("kind")
            }
            FaultKind::PrimaryRateLimit { status, .. } if status != 403 && status != 429 => {
                Some("kind")
            }
            FaultKind::Redirect { status, ref to }
                if !REDIRECTS.contains(&status) || !to.starts_with('/') =>
            {
                Some("kind")
            }
            _ => None,
        }
    }
}

/// Whether `path` matches `pattern` (see [`Fault::path`]).
pub(crate) fn path_matches(pattern: &str, path: &str) -> bool {
    let mut wanted = pattern.split('/');
    let mut got = path.split('/');
    loop {
        match (wanted.next(), got.next()) {
            (Some("**"), _) if wanted.clone().next().is_none() => return true,
            (Some(w), Some(g)) if w == "*" || w.eq_ignore_ascii_case(g) => {}
            (None, None) => return true,
            _ => return false,
        }
    }
}

/// Where a [`FaultKind::Redirect`] from a fault on `pattern` sends `path`: `to`
/// followed by whatever of `path` the pattern's trailing `**` matched, or just `to`.
fn redirected_path(pattern: &str, to: &str, path: &str) -> String {
    let Some(prefix) = pattern.strip_suffix("/**") else {
        return to.to_owned();
    };
    let rest: Vec<&str> = path.split('/').skip(prefix.split('/').count()).collect();
    if rest.is_empty() {
        to.to_owned()
    } else {
        format!("{}/{}", to.trim_end_matches('/'), rest.join("/"))
    }
}

/// The process-local side of a simulator: active faults and the request log.
#[derive(Debug, Default)]
pub(crate) struct Control {
    faults: Vec<Fault>,
    requests: HashMap<(String, String), Seen>,
    budget: Budget,
    /// GitHub's separate, smaller budget for requests without a token, reported on the
    /// 401s those get; created at the first one.
    anonymous: Option<Budget>,
    /// Exchanges and violations recorded against GitHub's description.
    records: Records,
    /// The artifact storage's port and requests.
    storage: Storage,
}

/// Requests seen for one `(method, path)`.
#[derive(Debug, Default)]
struct Seen {
    count: u64,
    times: VecDeque<Instant>,
}

impl Control {
    /// Appends a fault; one with `times: Some(0)` would never apply and is dropped.
    pub fn inject(&mut self, fault: Fault) {
        if fault.times != Some(0) {
            self.faults.push(fault);
        }
    }

    /// Removes every fault.
    pub fn clear_faults(&mut self) {
        self.faults.clear();
    }

    /// The active faults, with the `times` they have left.
    pub fn faults(&self) -> Vec<Fault> {
        self.faults.clone()
    }

    /// Consumes one use of the first fault matching the request and returns its kind
    /// as it applies to this request (a redirect's `to` is the whole new path); a
    /// fault whose count reaches zero is removed.
    pub fn take_fault(&mut self, method: &str, path: &str) -> Option<FaultKind> {
        let index = self.faults.iter().position(|f| f.matches(method, path))?;
        let fault = self.faults.get_mut(index)?;
        let kind = match &fault.kind {
            FaultKind::Redirect { status, to } => FaultKind::Redirect {
                status: *status,
                to: redirected_path(&fault.path, to, path),
            },
            other => other.clone(),
        };
        if let Some(times) = fault.times.as_mut() {
            *times = times.saturating_sub(1);
            if *times == 0 {
                self.faults.remove(index);
            }
        }
        Some(kind)
    }

    /// Counts one request against the rate-limit budget; `Err` when it is used up.
    pub fn take_quota(&mut self) -> Result<Quota, Quota> {
        self.budget.take(now_secs())
    }

    /// Counts one request without a token against the anonymous budget (60 an hour);
    /// it is refused either way, so running out changes nothing but the headers.
    pub fn take_anonymous_quota(&mut self) -> Quota {
        let budget = self
            .anonymous
            .get_or_insert_with(|| Budget::new(ANONYMOUS_LIMIT));
        budget.take(now_secs()).unwrap_or_else(|quota| quota)
    }

    /// Changes the requests allowed per rate-limit window.
    pub fn set_rate_limit(&mut self, limit: u64) {
        self.budget.set_limit(limit);
    }

    /// What is recorded against GitHub's description.
    pub fn records(&mut self) -> &mut Records {
        &mut self.records
    }

    /// The artifact storage's port and requests.
    pub fn storage(&mut self) -> &mut Storage {
        &mut self.storage
    }

    /// Records one request to `(method, path)` at `now`.
    pub fn record(&mut self, method: &str, path: &str, now: Instant) {
        let seen = self
            .requests
            .entry((method.to_ascii_uppercase(), path.to_owned()))
            .or_default();
        seen.count = seen.count.saturating_add(1);
        if seen.times.len() == MAX_TIMES_PER_PATH {
            seen.times.pop_front();
        }
        seen.times.push_back(now);
    }

    /// How many requests were seen for `(method, path)`.
    pub fn request_count(&self, method: &str, path: &str) -> u64 {
        self.seen(method, path).map_or(0, |s| s.count)
    }

    /// When the requests to `(method, path)` arrived, oldest first.
    pub fn request_times(&self, method: &str, path: &str) -> Vec<Instant> {
        self.seen(method, path)
            .map(|s| s.times.iter().copied().collect())
            .unwrap_or_default()
    }

    fn seen(&self, method: &str, path: &str) -> Option<&Seen> {
        self.requests
            .get(&(method.to_ascii_uppercase(), path.to_owned()))
    }
}

/// The answer to `req`, hit by `kind` (as [`Control::take_fault`] returned it). For
/// [`FaultKind::Hang`] this waits first, without blocking the worker thread.
pub(crate) async fn respond(kind: &FaultKind, req: &HttpRequest) -> HttpResponse {
    match *kind {
        FaultKind::Status(code) | FaultKind::StatusAfterApply(code) => error_response(code),
        FaultKind::RetryAfter(secs) => HttpResponse::TooManyRequests()
            .insert_header(("retry-after", secs.to_string()))
            .json(secondary_body()),
        FaultKind::RateLimited { reset_in_secs } => primary_limit(
            StatusCode::FORBIDDEN,
            Quota {
                limit: DEFAULT_LIMIT,
                used: DEFAULT_LIMIT,
                reset: now_secs().saturating_add(reset_in_secs),
            },
        ),
        FaultKind::PrimaryRateLimit {
            status,
            reset_in_secs,
        } => primary_limit(
            StatusCode::from_u16(status).unwrap_or(StatusCode::FORBIDDEN),
            Quota {
                limit: DEFAULT_LIMIT,
                used: DEFAULT_LIMIT,
                reset: now_secs().saturating_add(reset_in_secs),
            },
        ),
        FaultKind::SecondaryRateLimitRetryAfter { secs } => HttpResponse::Forbidden()
            .insert_header(("retry-after", secs.to_string()))
            .json(secondary_body()),
        FaultKind::SecondaryRateLimit => HttpResponse::Forbidden().json(secondary_body()),
        FaultKind::Hang { secs } => {
            actix_web::rt::time::sleep(Duration::from_secs(secs)).await;
            error_response(504)
        }
        FaultKind::Redirect { status, ref to } => redirect(status, to, req),
    }
}

/// `status` with `Location: <this host><to>?<the request's query>` and GitHub's body
/// for a moved resource.
fn redirect(status: u16, to: &str, req: &HttpRequest) -> HttpResponse {
    let status = StatusCode::from_u16(status)
        .ok()
        .filter(StatusCode::is_redirection)
        .unwrap_or(StatusCode::MOVED_PERMANENTLY);
    let query = req.query_string();
    let location = if query.is_empty() {
        format!("{}{to}", base_url(req))
    } else {
        format!("{}{to}?{query}", base_url(req))
    };
    HttpResponse::build(status)
        .insert_header((header::LOCATION, location.clone()))
        .json(json!({
            "message": status.canonical_reason().unwrap_or("Moved"),
            "url": location,
            "documentation_url": "https://docs.github.com/rest/guides/best-practices-for-using-the-rest-api#follow-redirects",
        }))
}

/// GitHub's answer once the primary rate limit is used up: `status` (403 or 429) with
/// the rate-limit headers of `quota`, whose remaining count is 0.
pub(crate) fn primary_limit(status: StatusCode, quota: Quota) -> HttpResponse {
    let mut res = HttpResponse::build(status).json(json!({
        "message": "API rate limit exceeded for installation ID 1.",
        "documentation_url": RATE_LIMIT_DOCS,
    }));
    Quota {
        used: quota.used.max(quota.limit),
        ..quota
    }
    .apply(res.headers_mut());
    res
}

/// `code` with GitHub's error body; a code that is not a valid status answers 500.
pub(crate) fn error_response(code: u16) -> HttpResponse {
    let status = StatusCode::from_u16(code).unwrap_or_else(|_| {
        tracing::warn!(code, "injected fault has an invalid status; answering 500");
        StatusCode::INTERNAL_SERVER_ERROR
    });
    let message = match status {
        StatusCode::INTERNAL_SERVER_ERROR => "Server Error",
        other => other.canonical_reason().unwrap_or("Error"),
    };
    HttpResponse::build(status).json(json!({
        "message": message,
        "documentation_url": "https://docs.github.com/rest",
    }))
}

fn secondary_body() -> serde_json::Value {
    json!({
        "message": SECONDARY_MESSAGE,
        "documentation_url": format!("{RATE_LIMIT_DOCS}#about-secondary-rate-limits"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_star_matches_exactly_one_segment() {
        let pattern = "/repos/*/*/issues/*/comments";
        assert!(path_matches(pattern, "/repos/o/r/issues/1/comments"));
        assert!(!path_matches(pattern, "/repos/o/r/issues/comments"));
        assert!(!path_matches(pattern, "/repos/o/r/issues/1/comments/2"));
        assert!(!path_matches(pattern, "/repos/o/r/pulls/1/comments"));
    }

    #[test]
    fn a_trailing_double_star_matches_the_rest_including_nothing() {
        assert!(path_matches("/repos/**", "/repos/o/r/issues/1"));
        assert!(path_matches("/repos/**", "/repos"));
        assert!(path_matches("/**", "/anything/at/all"));
        assert!(!path_matches("/repos/**", "/users/o"));
    }

    #[test]
    fn literal_segments_ignore_ascii_case() {
        assert!(path_matches("/repos/Codertocat/*", "/repos/codertocat/x"));
    }

    #[test]
    fn a_double_star_before_the_end_is_refused_over_http() {
        let fault = |path: &str| Fault {
            method: None,
            path: path.to_owned(),
            kind: FaultKind::Status(500),
            times: None,
        };
        assert_eq!(fault("/repos/**/issues").problem(), Some("path"));
        assert_eq!(fault("repos/*").problem(), Some("path"));
        assert_eq!(fault("/repos/**").problem(), None);
    }

    #[test]
    fn a_redirect_replaces_what_the_pattern_names_before_its_trailing_double_star() {
        let to = "/repos/o/r";
        assert_eq!(
            redirected_path("/repos/old/name/**", to, "/repos/old/name/issues/1"),
            "/repos/o/r/issues/1"
        );
        assert_eq!(
            redirected_path("/repos/*/*/**", to, "/repos/x/y/labels"),
            "/repos/o/r/labels"
        );
        assert_eq!(
            redirected_path("/repos/old/name/**", to, "/repos/old/name"),
            to
        );
        assert_eq!(
            redirected_path("/repos/old/name/issues/*", to, "/repos/old/name/issues/1"),
            to,
            "without a trailing ** the whole path is replaced"
        );
        assert_eq!(redirected_path("/**", "/v3/", "/a/b"), "/v3/a/b");
    }

    #[test]
    fn a_redirect_must_name_a_redirect_status_and_an_absolute_path() {
        let fault = |status, to: &str| Fault {
            method: None,
            path: "/x".to_owned(),
            kind: FaultKind::Redirect {
                status,
                to: to.to_owned(),
            },
            times: None,
        };
        assert_eq!(fault(301, "/y").problem(), None);
        assert_eq!(fault(307, "/y").problem(), None);
        assert_eq!(fault(200, "/y").problem(), Some("kind"));
        assert_eq!(fault(301, "y").problem(), Some("kind"));
        assert_eq!(fault(301, "http://elsewhere/y").problem(), Some("kind"));
    }

    #[test]
    fn a_fault_with_times_is_removed_when_used_up_and_the_next_one_applies() {
        let mut control = Control::default();
        let fault = |kind, times| Fault {
            method: Some("post".to_owned()),
            path: "/x".to_owned(),
            kind,
            times,
        };
        control.inject(fault(FaultKind::Status(502), Some(1)));
        control.inject(fault(FaultKind::Status(503), None));
        assert_eq!(control.take_fault("GET", "/x"), None);
        assert_eq!(
            control.take_fault("POST", "/x"),
            Some(FaultKind::Status(502))
        );
        assert_eq!(
            control.take_fault("POST", "/x"),
            Some(FaultKind::Status(503))
        );
        assert_eq!(control.faults().len(), 1);
    }
}
