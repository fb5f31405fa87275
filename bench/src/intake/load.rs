//! The load generator: one tokio task per connection, each with its own keep-alive
//! HTTP/1.1 client, posting signed deliveries back to back until the deadline.
//!
//! Each request has a fresh `X-GitHub-Delivery`. Bodies (and their signatures) are
//! prepared beforehand and taken in turn, so the generator spends nothing on them.
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::web::Bytes;
use anyhow::Context;

/// What to send, where, how hard and for how long.
#[derive(Debug, Clone)]
pub struct LoadPlan {
    /// The webhook endpoint, `http://127.0.0.1:PORT/webhooks/github`.
    pub url: String,
    /// Bodies with their `X-Hub-Signature-256`, used in turn.
    pub requests: Arc<Vec<(Bytes, String)>>,
    /// Connections, one task each.
    pub concurrency: usize,
    /// How long tasks keep starting requests; requests in flight at the deadline finish.
    pub duration: Duration,
}

/// What the load observed.
#[derive(Debug, Default, Clone)]
pub struct LoadResult {
    /// Requests started.
    pub sent: u64,
    /// Requests answered 2xx (202 from Gantry).
    pub accepted: u64,
    /// Failed requests by kind: `status 503`, `timeout`, `connect`, ...
    pub errors: BTreeMap<String, u64>,
    /// Latency of every 2xx, from sending to having read the whole response, in µs.
    pub latencies_us: Vec<u64>,
    /// From the first request to the last response.
    pub elapsed: Duration,
}

impl LoadResult {
    fn merge(&mut self, other: LoadResult) {
        self.sent += other.sent;
        self.accepted += other.accepted;
        for (kind, n) in other.errors {
            *self.errors.entry(kind).or_default() += n;
        }
        self.latencies_us.extend(other.latencies_us);
    }

    fn failed(&mut self, kind: String) {
        *self.errors.entry(kind).or_default() += 1;
    }
}

/// Runs `plan` and gathers what every connection saw.
///
/// # Errors
/// When a client cannot be built or a connection task panics.
pub async fn run(plan: &LoadPlan) -> anyhow::Result<LoadResult> {
    let mut clients = Vec::with_capacity(plan.concurrency);
    for _ in 0..plan.concurrency {
        // One client per task, holding at most one idle connection: each task is one
        // keep-alive connection, as GitHub's senders would be.
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(1)
            .tcp_nodelay(true)
            .timeout(Duration::from_secs(30))
            .build()
            .context("building an HTTP client")?;
        clients.push(client);
    }
    let start = Instant::now();
    let deadline = start + plan.duration;
    let tasks: Vec<_> = clients
        .into_iter()
        .enumerate()
        .map(|(n, client)| tokio::spawn(connection(client, plan.clone(), n, deadline)))
        .collect();
    let mut total = LoadResult::default();
    for task in tasks {
        total.merge(task.await.context("a connection task failed")?);
    }
    total.elapsed = start.elapsed();
    Ok(total)
}

/// Connection `n` of the plan: it sends bodies `n`, `n + concurrency`, ... in turn.
async fn connection(
    client: reqwest::Client,
    plan: LoadPlan,
    n: usize,
    deadline: Instant,
) -> LoadResult {
    let mut seen = LoadResult::default();
    let mut next = n;
    while Instant::now() < deadline {
        let Some((body, signature)) = plan.requests.get(next % plan.requests.len().max(1)) else {
            break;
        };
        next = next.wrapping_add(plan.concurrency);
        let delivery = uuid::Uuid::new_v4().to_string();
        let started = Instant::now();
        let sent = client
            .post(&plan.url)
            .header("content-type", "application/json")
            .header("x-github-event", "issues")
            .header("x-github-delivery", delivery)
            .header("x-hub-signature-256", signature)
            .body(body.clone())
            .send()
            .await;
        seen.sent += 1;
        let failure = match sent {
            Ok(response) => {
                let status = response.status();
                match response.bytes().await {
                    // 202 from Gantry; any 2xx counts, as Probot answers 200.
                    Ok(_) if status.is_success() => {
                        seen.accepted += 1;
                        seen.latencies_us
                            .push(u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX));
                        None
                    }
                    Ok(_) => Some(format!("status {}", status.as_u16())),
                    Err(err) => Some(error_kind(&err).to_owned()),
                }
            }
            Err(err) => Some(error_kind(&err).to_owned()),
        };
        if let Some(kind) = failure {
            let transport = !kind.starts_with("status");
            seen.failed(kind);
            if transport {
                // Do not spin against a server that refuses connections.
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
    seen
}

fn error_kind(err: &reqwest::Error) -> &'static str {
    if err.is_timeout() {
        "timeout"
    } else if err.is_connect() {
        "connect"
    } else if err.is_body() || err.is_decode() {
        "body"
    } else if err.is_request() {
        "request"
    } else {
        "other"
    }
}
