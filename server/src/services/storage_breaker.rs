//! Intake's storage breaker: after [`StorageBreaker::THRESHOLD`] storage failures
//! in a row (errors, or deliveries that could not be stored within the webhook
//! deadline), deliveries are refused at once with 503 instead of each waiting out
//! a timeout; after a cool-down one delivery goes through as a probe (half-open),
//! and its outcome closes or reopens the breaker. `/health/ready` reads it and,
//! while it is not healthy, probes with a write of its own.
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use prometheus::{IntCounter, IntGauge};

/// Whether a delivery may try to store now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Closed: store it.
    Go,
    /// Half-open: store it; its outcome decides for the others.
    Probe,
    /// Open (or a probe is out): refuse it; a client may try again after this.
    Refused {
        /// How long until the breaker lets a probe through.
        retry_after: Duration,
    },
}

#[derive(Debug, Clone, Copy)]
enum State {
    Closed { failures: u32 },
    Open { until: Instant },
    HalfOpen { since: Instant },
}

/// The breaker, shared by every request (cheap to clone via `Arc` in `AppState`).
#[derive(Debug)]
pub struct StorageBreaker {
    state: Mutex<State>,
    cool_down: Duration,
    /// A probe that never reported (its request went away) frees the half-open
    /// state after this.
    probe_timeout: Duration,
    gauge: IntGauge,
    failures: IntCounter,
}

impl StorageBreaker {
    /// Storage failures in a row that open the breaker.
    pub const THRESHOLD: u32 = 5;

    /// A closed breaker that stays open `cool_down` once tripped; `gauge` shows its
    /// state (0 closed, 1 open, 2 half-open), `failures` counts storage failures.
    #[must_use]
    pub fn new(
        cool_down: Duration,
        probe_timeout: Duration,
        gauge: IntGauge,
        failures: IntCounter,
    ) -> Self {
        gauge.set(0);
        Self {
            state: Mutex::new(State::Closed { failures: 0 }),
            cool_down,
            probe_timeout,
            gauge,
            failures,
        }
    }

    /// Whether a delivery may try to store now.
    pub fn admit(&self) -> Admission {
        let mut state = self.state.lock();
        let now = Instant::now();
        match *state {
            State::Closed { .. } => Admission::Go,
            State::Open { until } if now < until => Admission::Refused {
                retry_after: until - now,
            },
            State::HalfOpen { since } if now.duration_since(since) < self.probe_timeout => {
                Admission::Refused {
                    retry_after: self.cool_down,
                }
            }
            State::Open { .. } | State::HalfOpen { .. } => {
                *state = State::HalfOpen { since: now };
                self.gauge.set(2);
                Admission::Probe
            }
        }
    }

    /// A write went through: the breaker closes.
    pub fn succeeded(&self) {
        let mut state = self.state.lock();
        if !matches!(*state, State::Closed { failures: 0 }) {
            if !matches!(*state, State::Closed { .. }) {
                tracing::info!("storage takes writes again: the intake breaker is closed");
            }
            *state = State::Closed { failures: 0 };
            self.gauge.set(0);
        }
    }

    /// A write failed or missed the deadline: counted, and the breaker opens after
    /// [`Self::THRESHOLD`] in a row, or at once when a probe failed.
    pub fn failed(&self) {
        self.failures.inc();
        let mut state = self.state.lock();
        let open = match *state {
            State::Closed { failures } if failures + 1 < Self::THRESHOLD => {
                *state = State::Closed {
                    failures: failures + 1,
                };
                false
            }
            _ => true,
        };
        if open {
            if !matches!(*state, State::Open { .. }) {
                tracing::error!(cool_down_ms = self.cool_down.as_millis() as u64, "storage keeps failing: the intake breaker is open, deliveries are refused with 503 until a probe write succeeds");
            }
            *state = State::Open {
                until: Instant::now() + self.cool_down,
            };
            self.gauge.set(1);
        }
    }

    /// Whether writes are known to work: closed, and the last write did not fail.
    #[must_use]
    pub fn healthy(&self) -> bool {
        matches!(*self.state.lock(), State::Closed { failures: 0 })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn breaker(cool_down_ms: u64) -> StorageBreaker {
        StorageBreaker::new(
            Duration::from_millis(cool_down_ms),
            Duration::from_secs(5),
            IntGauge::new("g", "g").unwrap_or_else(|_| unreachable!()),
            IntCounter::new("c", "c").unwrap_or_else(|_| unreachable!()),
        )
    }

    #[test]
    fn the_breaker_opens_after_consecutive_failures_and_a_probe_closes_it() {
        let b = breaker(20);
        for _ in 0..StorageBreaker::THRESHOLD - 1 {
            b.failed();
            assert_eq!(b.admit(), Admission::Go);
        }
        b.failed();
        assert!(matches!(b.admit(), Admission::Refused { .. }));
        assert!(!b.healthy());
        std::thread::sleep(Duration::from_millis(30));
        assert_eq!(b.admit(), Admission::Probe);
        assert!(
            matches!(b.admit(), Admission::Refused { .. }),
            "one probe at a time"
        );
        b.succeeded();
        assert_eq!(b.admit(), Admission::Go);
        assert!(b.healthy());
    }

    #[test]
    fn a_failed_probe_opens_the_breaker_again() {
        let b = breaker(20);
        for _ in 0..StorageBreaker::THRESHOLD {
            b.failed();
        }
        std::thread::sleep(Duration::from_millis(30));
        assert_eq!(b.admit(), Admission::Probe);
        b.failed();
        assert!(matches!(b.admit(), Admission::Refused { .. }));
    }

    #[test]
    fn a_success_between_failures_keeps_the_breaker_closed() {
        let b = breaker(20);
        for _ in 0..3 {
            for _ in 0..StorageBreaker::THRESHOLD - 1 {
                b.failed();
            }
            b.succeeded();
        }
        assert_eq!(b.admit(), Admission::Go);
    }
}
