//! Answer latency: a delay before requests matching a method and path pattern are
//! handled, to play a GitHub that answers in 100 to 500 ms instead of the
//! simulator's own ~1 ms. Unlike a fault, a latency is never used up and changes
//! nothing but when the answer comes: the request is then handled (and faulted) as
//! usual. Process-local like faults: never persisted.
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::faults::path_matches;

/// Longest delay accepted, in milliseconds: GitHub's own timeout for a request is
/// 10 s, and a longer wait is a hang (a fault) rather than latency.
pub const MAX_LATENCY_MS: u64 = 60_000;

/// A delay applied to every request matching `method` and `path`.
///
/// Over HTTP: `{"method": "POST" | null, "path": "/repos/**", "ms": 200}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Latency {
    /// HTTP method to match (any case); `None` matches any.
    #[serde(default)]
    pub method: Option<String>,
    /// Path pattern, as a [`crate::Fault`]'s: `*` one segment, a trailing `**` the
    /// rest, other segments themselves without ASCII case; `"/**"` is every route.
    pub path: String,
    /// How long the answer is held back, in milliseconds.
    pub ms: u64,
}

impl Latency {
    /// The same delay for every route.
    #[must_use]
    pub fn everywhere(ms: u64) -> Self {
        Self {
            method: None,
            path: "/**".to_owned(),
            ms,
        }
    }

    /// Whether this latency applies to a request with `method` and `path`.
    fn matches(&self, method: &str, path: &str) -> bool {
        self.method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method))
            && path_matches(&self.path, path)
    }

    /// Why it cannot be set over HTTP, if it cannot: the path must start with `/`
    /// with `**` only at its end; `ms` at most [`MAX_LATENCY_MS`].
    pub(crate) fn problem(&self) -> Option<&'static str> {
        let misplaced_rest = self
            .path
            .split('/')
            .rev()
            .skip(1)
            .any(|segment| segment == "**");
        if !self.path.starts_with('/') || misplaced_rest {
            return Some("path");
        }
        (self.ms > MAX_LATENCY_MS).then_some("ms")
    }
}

/// The latencies in force, the first match applying.
#[derive(Debug, Default)]
pub(crate) struct Latencies(Vec<Latency>);

impl Latencies {
    /// Adds one after the others; one with the same method and path replaces it.
    pub fn set(&mut self, latency: Latency) {
        let same = |l: &Latency| {
            l.path == latency.path
                && l.method.as_deref().map(str::to_ascii_uppercase)
                    == latency.method.as_deref().map(str::to_ascii_uppercase)
        };
        match self.0.iter_mut().find(|l| same(l)) {
            Some(existing) => *existing = latency,
            None => self.0.push(latency),
        }
    }

    /// Removes them all.
    pub fn clear(&mut self) {
        self.0.clear();
    }

    /// Those in force, in the order they are tried.
    pub fn list(&self) -> Vec<Latency> {
        self.0.clone()
    }

    /// The delay for a request, when one applies.
    pub fn delay(&self, method: &str, path: &str) -> Option<Duration> {
        self.0
            .iter()
            .find(|l| l.matches(method, path))
            .map(|l| Duration::from_millis(l.ms))
            .filter(|d| !d.is_zero())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_matching_latency_applies_and_a_same_route_one_replaces_it() {
        let mut latencies = Latencies::default();
        latencies.set(Latency {
            method: Some("post".into()),
            path: "/repos/*/*/issues/*/labels".into(),
            ms: 300,
        });
        latencies.set(Latency::everywhere(20));
        assert_eq!(
            latencies.delay("POST", "/repos/o/r/issues/1/labels"),
            Some(Duration::from_millis(300))
        );
        assert_eq!(
            latencies.delay("GET", "/repos/o/r/issues/1/labels"),
            Some(Duration::from_millis(20))
        );
        latencies.set(Latency {
            method: Some("POST".into()),
            path: "/repos/*/*/issues/*/labels".into(),
            ms: 0,
        });
        assert_eq!(latencies.list().len(), 2);
        assert_eq!(
            latencies.delay("POST", "/repos/o/r/issues/1/labels"),
            None,
            "a zero delay is none"
        );
        latencies.clear();
        assert_eq!(latencies.delay("GET", "/x"), None);
    }

    #[test]
    fn a_malformed_path_or_an_overlong_delay_is_refused_over_http() {
        let latency = |path: &str, ms| Latency {
            method: None,
            path: path.into(),
            ms,
        };
        assert_eq!(latency("/repos/**", 200).problem(), None);
        assert_eq!(latency("repos/*", 200).problem(), Some("path"));
        assert_eq!(latency("/**/labels", 200).problem(), Some("path"));
        assert_eq!(latency("/**", MAX_LATENCY_MS + 1).problem(), Some("ms"));
    }
}
