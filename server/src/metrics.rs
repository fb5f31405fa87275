//! Prometheus metrics: one registry per process, rendered at `GET /metrics`.
//!
//! Label values are bounded: events outside GitHub's documented list are counted as
//! `unknown`, so a signed but odd sender cannot grow the label space.
use prometheus::{Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, Opts, Registry, TextEncoder};

use crate::domain::is_known_event;

/// Every metric Gantry exports.
#[derive(Debug, Clone)]
pub struct Metrics {
    registry: Registry,
    /// Deliveries answered 202, by event, recognition and whether new or duplicate.
    pub deliveries: IntCounterVec,
    /// Deliveries refused, by reason.
    pub rejections: IntCounterVec,
    /// Verified payloads parsed at intake (never an unverified one).
    pub payload_parses: IntCounter,
    /// Jobs finished, by resulting status (`done`, `queued` for a retry, `dead`).
    pub jobs_finished: IntCounterVec,
    /// Plugin invocations by plugin and outcome.
    pub plugin_invocations: IntCounterVec,
    /// Plugin invocation duration in seconds, by plugin.
    pub plugin_seconds: HistogramVec,
}

impl Metrics {
    /// Creates and registers every metric.
    ///
    /// # Errors
    /// Only if two metrics share a name, which would be a bug.
    pub fn new() -> anyhow::Result<Self> {
        let registry = Registry::new_custom(Some("gantry".into()), None)?;
        let deliveries = IntCounterVec::new(
            Opts::new("webhook_deliveries_total", "Webhook deliveries accepted (202)"),
            &["event", "recognised", "result"],
        )?;
        let rejections = IntCounterVec::new(Opts::new("webhook_rejections_total", "Webhook deliveries refused"), &["reason"])?;
        let payload_parses = IntCounter::new("webhook_payload_parses_total", "Verified webhook payloads parsed at intake")?;
        let jobs_finished = IntCounterVec::new(Opts::new("jobs_finished_total", "Job attempts finished, by resulting status"), &["status"])?;
        let plugin_invocations =
            IntCounterVec::new(Opts::new("plugin_invocations_total", "Plugin invocations by outcome"), &["plugin", "outcome"])?;
        let plugin_seconds = HistogramVec::new(
            HistogramOpts::new("plugin_invocation_seconds", "Plugin invocation wall-clock time, instantiation included")
                .buckets(vec![0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0]),
            &["plugin"],
        )?;
        registry.register(Box::new(deliveries.clone()))?;
        registry.register(Box::new(rejections.clone()))?;
        registry.register(Box::new(payload_parses.clone()))?;
        registry.register(Box::new(jobs_finished.clone()))?;
        registry.register(Box::new(plugin_invocations.clone()))?;
        registry.register(Box::new(plugin_seconds.clone()))?;
        Ok(Self { registry, deliveries, rejections, payload_parses, jobs_finished, plugin_invocations, plugin_seconds })
    }

    /// Counts an accepted delivery.
    pub fn delivery_accepted(&self, event: &str, recognised: bool, duplicate: bool) {
        let event = if is_known_event(event) { event } else { "unknown" };
        let result = if duplicate { "duplicate" } else { "accepted" };
        self.deliveries.with_label_values(&[event, if recognised { "true" } else { "false" }, result]).inc();
    }

    /// The Prometheus text exposition of every metric.
    #[must_use]
    pub fn render(&self) -> String {
        let mut buffer = Vec::new();
        if let Err(err) = TextEncoder::new().encode(&self.registry.gather(), &mut buffer) {
            tracing::error!(%err, "could not encode metrics");
        }
        String::from_utf8(buffer).unwrap_or_default()
    }
}
