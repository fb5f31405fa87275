//! Events at a fixed rate, open loop: event `k` is due at `start + k / rate` whatever
//! happened to the ones before (a slow server does not slow the sender down, so its
//! slowness shows in the latencies instead of hiding in a lower rate). Each event is
//! prepared, and shown to the simulator (which learns the issue, as GitHub knows
//! it), before it is due; its clock starts just before the request is sent.
//!
//! Then the simulator's request log says when the call each event caused arrived:
//! [`match_calls`] pairs them by path (one issue number per event).
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use gantry_simulator::Simulator;

use super::events::{IssueEvents, PreparedEvent, LABEL};
use crate::common::percentile;

/// Running totals, readable while the sender runs.
#[derive(Debug, Default)]
pub struct Counters {
    /// Requests started.
    pub sent: AtomicU64,
    /// 2xx answers (202 from Gantry, 200 from Probot).
    pub accepted: AtomicU64,
    /// Other answers and transport errors.
    pub failed: AtomicU64,
}

/// One event as sent.
#[derive(Debug, Clone)]
pub struct Sent {
    /// Its issue number.
    pub number: u64,
    /// Its `X-GitHub-Delivery`.
    pub delivery: String,
    /// Just before the request went out.
    pub at: Instant,
    /// Time to the answer, whatever it was (or to the transport error), µs.
    pub took_us: u64,
    /// Time to the 2xx answer, µs; `None` when it was not accepted.
    pub ack_us: Option<u64>,
    /// Why it was not accepted.
    pub failure: Option<String>,
}

/// What the sender did.
#[derive(Debug, Clone, Default)]
pub struct Sending {
    /// Every event, in the order they were due.
    pub events: Vec<Sent>,
    /// The latest an event went out after it was due (the sender's own lag).
    pub max_lag: Duration,
}

/// Sends events numbered from `first` at `rate` per second for `duration` to `url`.
///
/// # Errors
/// When the HTTP client cannot be built or an event cannot be prepared.
pub async fn send_at_rate(
    url: &str,
    events: &IssueEvents,
    sim: &Simulator,
    rate: f64,
    duration: Duration,
    first: u64,
    counters: &Arc<Counters>,
) -> anyhow::Result<Sending> {
    let client = reqwest::Client::builder()
        .tcp_nodelay(true)
        .timeout(Duration::from_secs(30))
        .build()
        .context("building an HTTP client")?;
    let interval = Duration::from_secs_f64(1.0 / rate.max(0.001));
    let total = (duration.as_secs_f64() * rate).round() as u64;
    let mut tasks = Vec::with_capacity(usize::try_from(total).unwrap_or(0));
    let mut max_lag = Duration::ZERO;
    let start = Instant::now() + Duration::from_millis(10);
    for k in 0..total {
        let event = events.event(first + k)?;
        sim.learn("issues", &event.payload);
        let due = start + interval.mul_f64(k as f64);
        tokio::time::sleep_until(due.into()).await;
        max_lag = max_lag.max(Instant::now().saturating_duration_since(due));
        tasks.push(tokio::spawn(send_one(
            client.clone(),
            url.to_owned(),
            event,
            Arc::clone(counters),
        )));
    }
    let mut sent = Vec::with_capacity(tasks.len());
    for task in tasks {
        sent.push(task.await.context("a sending task failed")?);
    }
    Ok(Sending {
        events: sent,
        max_lag,
    })
}

async fn send_one(
    client: reqwest::Client,
    url: String,
    event: PreparedEvent,
    counters: Arc<Counters>,
) -> Sent {
    let delivery = uuid::Uuid::new_v4().to_string();
    let request = client
        .post(&url)
        .header("content-type", "application/json")
        .header("x-github-event", "issues")
        .header("x-github-delivery", &delivery)
        .header("x-hub-signature-256", event.signature)
        .body(event.body);
    counters.sent.fetch_add(1, Ordering::Relaxed);
    let at = Instant::now();
    let answer = match request.send().await {
        Ok(response) => {
            let status = response.status();
            match response.bytes().await {
                // Gantry answers 202 once the delivery is stored; Probot 200 once
                // its handler ran (or 202 when that takes over 9 s).
                Ok(_) if status.is_success() => Ok(at.elapsed()),
                Ok(_) => Err(format!("status {}", status.as_u16())),
                Err(err) => Err(format!("reading the answer: {err}")),
            }
        }
        Err(err) => Err(if err.is_timeout() {
            "timeout".to_owned()
        } else {
            format!("sending: {err}")
        }),
    };
    let took_us = micros(at.elapsed());
    match answer {
        Ok(took) => {
            counters.accepted.fetch_add(1, Ordering::Relaxed);
            Sent {
                number: event.number,
                delivery,
                at,
                took_us,
                ack_us: Some(micros(took)),
                failure: None,
            }
        }
        Err(failure) => {
            counters.failed.fetch_add(1, Ordering::Relaxed);
            Sent {
                number: event.number,
                delivery,
                at,
                took_us,
                ack_us: None,
                failure: Some(failure),
            }
        }
    }
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

/// Waits until the simulator has served `writes` successful writes in all, or
/// `timeout` passed; returns how long it waited.
pub async fn wait_for_writes(sim: &Simulator, writes: u64, timeout: Duration) -> Duration {
    let started = Instant::now();
    while sim.write_count() < writes && started.elapsed() < timeout {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    started.elapsed()
}

/// Accepted events paired with the calls they caused.
#[derive(Debug, Clone, Default)]
pub struct Matched {
    /// Events answered 2xx (202 from Gantry).
    pub accepted: u64,
    /// From sending each accepted event to its first call arriving, µs, sorted.
    pub latencies_us: Vec<u64>,
    /// 202 latencies of the accepted events, µs, sorted.
    pub acks_us: Vec<u64>,
    /// Accepted events whose call never arrived.
    pub lost: u64,
    /// Calls beyond the first for an event (retries or duplicates).
    pub extra_calls: u64,
    /// Accepted events whose issue did not end up labelled (the call failed).
    pub unlabelled: u64,
    /// Events not accepted, by reason.
    pub failures: Vec<(String, u64)>,
}

impl Matched {
    /// The `p`th percentile of the end-to-end latency, µs.
    #[must_use]
    pub fn latency(&self, p: f64) -> u64 {
        percentile(&self.latencies_us, p)
    }

    /// The `p`th percentile of the 202 latency, µs.
    #[must_use]
    pub fn ack(&self, p: f64) -> u64 {
        percentile(&self.acks_us, p)
    }

    /// Events not accepted.
    #[must_use]
    pub fn failed(&self) -> u64 {
        self.failures.iter().map(|(_, n)| n).sum()
    }
}

/// Appends one line per event to the CSV file at `path` (with a header when it is
/// new): database, issue number, when it was sent (ms from the first event), its 202
/// latency and its call latency (ms; empty when there was none).
///
/// # Errors
/// When the file cannot be written.
pub fn append_csv(
    path: &std::path::Path,
    database: &str,
    sim: &Simulator,
    events: &IssueEvents,
    sent: &[Sent],
) -> anyhow::Result<()> {
    use std::io::Write as _;
    let new = !path.exists();
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("opening {}", path.display()))?;
    let mut out = String::new();
    if new {
        out.push_str("database,issue,sent_ms,ack_ms,call_ms\n");
    }
    let Some(origin) = sent.first().map(|e| e.at) else {
        return Ok(());
    };
    let ms = |d: Duration| format!("{:.3}", d.as_secs_f64() * 1000.0);
    for event in sent {
        let call = sim
            .request_times("POST", &events.call_path(event.number))
            .first()
            .map(|t| ms(t.saturating_duration_since(event.at)));
        let ack = event.ack_us.map(|us| format!("{:.3}", us as f64 / 1000.0));
        out.push_str(&format!(
            "{database},{},{},{},{}\n",
            event.number,
            ms(event.at.saturating_duration_since(origin)),
            ack.unwrap_or_default(),
            call.unwrap_or_default()
        ));
    }
    file.write_all(out.as_bytes())
        .with_context(|| format!("writing {}", path.display()))
}

/// Pairs each accepted event with the first `POST` to its issue's labels.
#[must_use]
pub fn match_calls(sim: &Simulator, events: &IssueEvents, sent: &[Sent]) -> Matched {
    let mut matched = Matched::default();
    let mut failures = std::collections::BTreeMap::<String, u64>::new();
    for event in sent {
        let Some(ack) = event.ack_us else {
            *failures
                .entry(event.failure.clone().unwrap_or_default())
                .or_default() += 1;
            continue;
        };
        matched.accepted += 1;
        matched.acks_us.push(ack);
        let times = sim.request_times("POST", &events.call_path(event.number));
        match times.first() {
            Some(first) => {
                matched
                    .latencies_us
                    .push(micros(first.saturating_duration_since(event.at)));
                matched.extra_calls += times.len() as u64 - 1;
            }
            None => matched.lost += 1,
        }
        let labelled = sim
            .issue_labels(&events.owner, &events.repo, event.number)
            .is_some_and(|l| l.iter().any(|n| n == LABEL));
        if !labelled {
            matched.unlabelled += 1;
        }
    }
    matched.latencies_us.sort_unstable();
    matched.acks_us.sort_unstable();
    matched.failures = failures.into_iter().collect();
    matched
}
