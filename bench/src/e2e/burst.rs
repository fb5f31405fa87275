//! The intake burst of the side-by-side run: the intake benchmark's load generator
//! (`--intake-connections` keep-alive connections sending back to back) against a
//! system with its job running, Gantry with the `hooks` plugin or the Probot app,
//! both pointed at the simulator. Besides accepted/s and the answer's p99, it counts
//! the labels the simulator received before the burst ended: the jobs finished while
//! intake ran at full speed (Probot labels before it answers, so all of them).
use std::sync::Arc;
use std::time::{Duration, Instant};

use gantry_simulator::Simulator;

use crate::common::percentile;
use crate::intake::load::{self, LoadPlan};
use crate::rig::events::IssueEvents;

/// Deliveries are spread over this many issues, as in the intake benchmark.
const ISSUES: u64 = 1000;

/// One system's burst.
#[derive(Debug, Clone, Default)]
pub struct Burst {
    /// Connections sending.
    pub connections: usize,
    /// How long they sent.
    pub elapsed: Duration,
    /// Requests answered 2xx.
    pub accepted: u64,
    /// Requests that failed.
    pub failed: u64,
    /// 2xx answers per second.
    pub per_second: f64,
    /// 99th percentile of the time to a 2xx, µs.
    pub p99_us: u64,
    /// Labels the simulator received before the burst ended.
    pub finished: u64,
    /// The system's peak resident memory after the burst, KiB.
    pub peak_rss_kib: u64,
}

impl Burst {
    /// Jobs finished during the burst as a share of deliveries accepted, 0 to 1.
    #[must_use]
    pub fn finished_share(&self) -> f64 {
        if self.accepted == 0 {
            0.0
        } else {
            self.finished as f64 / self.accepted as f64
        }
    }
}

/// Sends `events` over `connections` connections to `url` for `duration`, issues 1
/// to [`ISSUES`] in turn (the simulator learns them first), and counts what came of it.
///
/// # Errors
/// When an event cannot be prepared or the load generator fails.
pub async fn run(
    url: &str,
    sim: &Simulator,
    events: &IssueEvents,
    connections: usize,
    duration: Duration,
) -> anyhow::Result<Burst> {
    let mut requests = Vec::new();
    for number in 1..=ISSUES {
        let event = events.event(number)?;
        sim.learn("issues", &event.payload);
        requests.push((event.body, event.signature));
    }
    let plan = LoadPlan {
        url: url.to_owned(),
        requests: Arc::new(requests),
        concurrency: connections,
        duration,
    };
    let mut result = load::run(&plan).await?;
    let ended = Instant::now();
    let finished = (1..=ISSUES)
        .map(|n| {
            sim.request_times("POST", &events.call_path(n))
                .iter()
                .filter(|t| **t <= ended)
                .count() as u64
        })
        .sum();
    result.latencies_us.sort_unstable();
    Ok(Burst {
        connections,
        elapsed: result.elapsed,
        accepted: result.accepted,
        failed: result.errors.values().sum(),
        per_second: result.accepted as f64 / result.elapsed.as_secs_f64().max(f64::EPSILON),
        p99_us: percentile(&result.latencies_us, 99.0),
        finished,
        peak_rss_kib: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_share_finished_is_of_the_accepted() {
        let burst = Burst {
            accepted: 400,
            finished: 100,
            ..Burst::default()
        };
        assert!((burst.finished_share() - 0.25).abs() < 1e-9);
        assert_eq!(Burst::default().finished_share(), 0.0);
    }
}
