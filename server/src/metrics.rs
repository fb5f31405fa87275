//! Prometheus metrics: one registry per process, rendered at `GET /metrics`.
//!
//! Label values are bounded: events outside GitHub's documented list are counted as
//! `unknown`, so a signed but odd sender cannot grow the label space.
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use prometheus::core::Collector;
use prometheus::{
    Encoder, Gauge, GaugeVec, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec,
    IntGauge, IntGaugeVec, Opts, Registry, TextEncoder,
};

use crate::domain::is_known_event;

/// Every metric's name starts with `gantry_`.
const PREFIX: &str = "gantry";

/// Registers `collector` and notes its full names.
fn register<C: Collector + Clone + 'static>(
    registry: &Registry,
    names: &mut Vec<String>,
    collector: &C,
) -> prometheus::Result<()> {
    names.extend(
        collector
            .desc()
            .iter()
            .map(|d| format!("{PREFIX}_{}", d.fq_name)),
    );
    registry.register(Box::new(collector.clone()))
}

/// Every metric Gantry exports.
#[derive(Debug, Clone)]
pub struct Metrics {
    registry: Registry,
    /// Every metric's full name, in registration order.
    names: Vec<String>,
    /// Deliveries answered 202, by event, recognition and whether new or duplicate.
    pub deliveries: IntCounterVec,
    /// Deliveries refused, by reason.
    pub rejections: IntCounterVec,
    /// Verified payloads parsed at intake (never an unverified one).
    pub payload_parses: IntCounter,
    /// Jobs finished, by resulting status (`done`, `queued` for a retry, `dead`).
    pub jobs_finished: IntCounterVec,
    /// Statements sent to the database on Gantry's connection pools (requests' and,
    /// on PostgreSQL, the jobs' own), by result (`ok`, `error`); transactions'
    /// `BEGIN` and `COMMIT` are not among them.
    pub db_statements: IntCounterVec,
    /// Plugin invocations by plugin and outcome.
    pub plugin_invocations: IntCounterVec,
    /// Plugin invocation duration in seconds, by plugin.
    pub plugin_seconds: HistogramVec,
    /// Counters and gauges that plugins report.
    pub plugin_reported: PluginMetrics,
    /// GitHub's `x-ratelimit-remaining` after the last answer, by installation
    /// (`token` for a personal access token).
    pub github_rate_left: IntGaugeVec,
    /// GitHub API answers by status class (`2xx`, `4xx`, `5xx`, `error`).
    pub github_calls: IntCounterVec,
    /// Policy decisions on plugins' calls, by effect.
    pub policy_decisions: IntCounterVec,
    /// How long processing one job took, plugins included.
    pub job_seconds: Histogram,
    /// Jobs waiting, read from the database at each scrape.
    pub jobs_queued: IntGauge,
    /// Jobs leased by a worker now, read at each scrape.
    pub jobs_running: IntGauge,
    /// Age of the oldest waiting job in seconds (0 when none), read at each scrape.
    pub oldest_queued_seconds: Gauge,
    /// Actions held for approval, read at each scrape.
    pub approvals_waiting: IntGauge,
    /// Storage failures at intake: a failed write, or a delivery not stored within
    /// the webhook deadline.
    pub storage_failures: IntCounter,
    /// Intake's storage breaker: 0 closed, 1 open, 2 half-open (a probe is out).
    pub storage_breaker_state: IntGauge,
    /// 1 per plugin disabled for crashing, read at each scrape (no series when none).
    pub plugins_crash_disabled: IntGaugeVec,
    /// Missed deliveries the recovery sweep asked GitHub to deliver again.
    pub deliveries_redelivered: IntCounter,
    /// Recovery sweeps run by this process, by result (`done`, `failed`).
    pub recovery_sweeps: IntCounterVec,
    /// Model calls the budgets refused, by scope (`invocation`, `repository`,
    /// `organisation`, `overall`, `person` for the rate limit, `price`, `database`)
    /// and unit (`tokens`, `cost`, `invocations`, `none`).
    pub model_budget_refusals: IntCounterVec,
    /// Model tokens used this period (repositories today, organisations and overall
    /// this month), by scope and subject, read at each scrape for the subjects that
    /// used the most.
    pub model_tokens_used: IntGaugeVec,
    /// Model spending this period in dollars, as `model_tokens_used`.
    pub model_cost_used: GaugeVec,
    /// The share of each model budget used or reserved this period, by scope,
    /// subject and unit (`tokens`, `cost`), where a limit is set.
    pub model_budget_used_ratio: GaugeVec,
}

/// The `(name, label)` series each plugin has reported.
type SeriesByPlugin = HashMap<String, HashSet<(String, String)>>;

/// Series that plugins report through the `metrics` host interface, at most
/// [`PluginMetrics::MAX_SERIES`] per plugin so no plugin can grow the label space.
#[derive(Debug, Clone)]
pub struct PluginMetrics {
    counter: IntCounterVec,
    gauge: GaugeVec,
    series: Arc<Mutex<SeriesByPlugin>>,
}

impl PluginMetrics {
    /// Distinct `(name, label)` series one plugin may report.
    pub const MAX_SERIES: usize = 100;

    /// The longest label value a plugin may report.
    pub const MAX_LABEL: usize = 64;

    /// Whether `label` is a value a plugin may put on a series: at most
    /// [`Self::MAX_LABEL`] ASCII letters, digits, `_`, `-` and `.` (a branch, a
    /// version, an outcome), so a label cannot carry free text such as a file's
    /// contents or a secret to whoever reads `/metrics` (security review L6).
    #[must_use]
    pub fn valid_label(label: &str) -> bool {
        label.len() <= Self::MAX_LABEL
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
    }

    /// Whether the plugin may report this series (already known, or room left).
    fn admit(&self, plugin: &str, name: &str, label: &str) -> bool {
        let valid = !name.is_empty()
            && name.len() <= 64
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !valid || !Self::valid_label(label) {
            return false;
        }
        let mut series = self
            .series
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mine = series.entry(plugin.to_owned()).or_default();
        let key = (name.to_owned(), label.to_owned());
        if mine.contains(&key) {
            return true;
        }
        if mine.len() >= Self::MAX_SERIES {
            return false;
        }
        mine.insert(key);
        true
    }

    /// Adds to a plugin's counter; returns false when the series was refused.
    pub fn add(&self, plugin: &str, name: &str, label: &str, value: u64) -> bool {
        let ok = self.admit(plugin, name, label);
        if ok {
            self.counter
                .with_label_values(&[plugin, name, label])
                .inc_by(value);
        }
        ok
    }

    /// Sets a plugin's gauge; returns false when the series was refused.
    pub fn set(&self, plugin: &str, name: &str, label: &str, value: f64) -> bool {
        let ok = value.is_finite() && self.admit(plugin, name, label);
        if ok {
            self.gauge
                .with_label_values(&[plugin, name, label])
                .set(value);
        }
        ok
    }
}

impl Metrics {
    /// Creates and registers every metric.
    ///
    /// # Errors
    /// Only if two metrics share a name, which would be a bug.
    pub fn new() -> anyhow::Result<Self> {
        let registry = Registry::new_custom(Some(PREFIX.into()), None)?;
        let mut names = Vec::new();
        let deliveries = IntCounterVec::new(
            Opts::new(
                "webhook_deliveries_total",
                "Webhook deliveries accepted (202)",
            ),
            &["event", "recognised", "result"],
        )?;
        let rejections = IntCounterVec::new(
            Opts::new("webhook_rejections_total", "Webhook deliveries refused"),
            &["reason"],
        )?;
        let payload_parses = IntCounter::new(
            "webhook_payload_parses_total",
            "Verified webhook payloads parsed at intake",
        )?;
        let jobs_finished = IntCounterVec::new(
            Opts::new(
                "jobs_finished_total",
                "Job attempts finished, by resulting status",
            ),
            &["status"],
        )?;
        let db_statements = IntCounterVec::new(
            Opts::new(
                "db_statements_total",
                "Statements sent to the database on Gantry's pools, by result",
            ),
            &["result"],
        )?;
        let plugin_invocations = IntCounterVec::new(
            Opts::new("plugin_invocations_total", "Plugin invocations by outcome"),
            &["plugin", "outcome"],
        )?;
        let plugin_seconds = HistogramVec::new(
            HistogramOpts::new(
                "plugin_invocation_seconds",
                "Plugin invocation wall-clock time, instantiation included",
            )
            .buckets(vec![
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                10.0,
            ]),
            &["plugin"],
        )?;
        register(&registry, &mut names, &deliveries)?;
        register(&registry, &mut names, &rejections)?;
        register(&registry, &mut names, &payload_parses)?;
        register(&registry, &mut names, &jobs_finished)?;
        register(&registry, &mut names, &db_statements)?;
        register(&registry, &mut names, &plugin_invocations)?;
        register(&registry, &mut names, &plugin_seconds)?;
        let plugin_reported = PluginMetrics {
            counter: IntCounterVec::new(
                Opts::new("plugin_counter_total", "Counters reported by plugins"),
                &["plugin", "name", "label"],
            )?,
            gauge: GaugeVec::new(
                Opts::new("plugin_gauge", "Gauges reported by plugins"),
                &["plugin", "name", "label"],
            )?,
            series: Arc::default(),
        };
        register(&registry, &mut names, &plugin_reported.counter)?;
        register(&registry, &mut names, &plugin_reported.gauge)?;
        let github_rate_left = IntGaugeVec::new(
            Opts::new(
                "github_rate_limit_remaining",
                "GitHub API calls left in the current rate-limit window",
            ),
            &["installation"],
        )?;
        register(&registry, &mut names, &github_rate_left)?;
        let github_calls = IntCounterVec::new(
            Opts::new("github_calls_total", "GitHub API answers by status class"),
            &["status"],
        )?;
        let policy_decisions = IntCounterVec::new(
            Opts::new(
                "policy_decisions_total",
                "Policy decisions on plugins' calls, by effect",
            ),
            &["effect"],
        )?;
        let job_seconds = Histogram::with_opts(
            HistogramOpts::new("job_seconds", "Time to process one job, plugins included").buckets(
                vec![
                    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
                ],
            ),
        )?;
        let jobs_queued = IntGauge::new("jobs_queued", "Jobs waiting to run")?;
        let jobs_running = IntGauge::new("jobs_running", "Jobs a worker holds now")?;
        let oldest_queued_seconds = Gauge::new(
            "jobs_oldest_queued_age_seconds",
            "Age of the oldest waiting job, 0 when none",
        )?;
        let approvals_waiting = IntGauge::new(
            "approvals_waiting",
            "Actions held for a maintainer's approval",
        )?;
        let storage_failures = IntCounter::new(
            "storage_failures_total",
            "Deliveries that could not be stored: a failed write or a missed deadline",
        )?;
        let storage_breaker_state = IntGauge::new(
            "storage_breaker_state",
            "Intake's storage breaker: 0 closed, 1 open, 2 half-open",
        )?;
        register(&registry, &mut names, &github_calls)?;
        register(&registry, &mut names, &policy_decisions)?;
        register(&registry, &mut names, &job_seconds)?;
        register(&registry, &mut names, &jobs_queued)?;
        register(&registry, &mut names, &jobs_running)?;
        register(&registry, &mut names, &oldest_queued_seconds)?;
        register(&registry, &mut names, &approvals_waiting)?;
        register(&registry, &mut names, &storage_failures)?;
        let plugins_crash_disabled = IntGaugeVec::new(
            Opts::new(
                "plugins_crash_disabled",
                "Plugins disabled after crashing in a row (1 each), read at each scrape",
            ),
            &["plugin"],
        )?;
        register(&registry, &mut names, &storage_breaker_state)?;
        register(&registry, &mut names, &plugins_crash_disabled)?;
        let deliveries_redelivered = IntCounter::new(
            "deliveries_redelivered_total",
            "Missed deliveries the recovery sweep asked GitHub to deliver again",
        )?;
        let recovery_sweeps = IntCounterVec::new(
            Opts::new(
                "recovery_sweeps_total",
                "Missed-delivery recovery sweeps run by this process, by result",
            ),
            &["result"],
        )?;
        register(&registry, &mut names, &deliveries_redelivered)?;
        register(&registry, &mut names, &recovery_sweeps)?;
        let model_budget_refusals = IntCounterVec::new(
            Opts::new(
                "model_budget_refusals_total",
                "Model calls refused by the budgets, by scope and unit",
            ),
            &["scope", "unit"],
        )?;
        let model_tokens_used = IntGaugeVec::new(
            Opts::new(
                "model_tokens_used",
                "Model tokens used this period (repository: today, organisation and overall: this month)",
            ),
            &["scope", "subject"],
        )?;
        let model_cost_used = GaugeVec::new(
            Opts::new(
                "model_cost_used_dollars",
                "Model spending this period in dollars (repository: today, organisation and overall: this month)",
            ),
            &["scope", "subject"],
        )?;
        let model_budget_used_ratio = GaugeVec::new(
            Opts::new(
                "model_budget_used_ratio",
                "Share of a model budget used or reserved this period, where a limit is set",
            ),
            &["scope", "subject", "unit"],
        )?;
        register(&registry, &mut names, &model_budget_refusals)?;
        register(&registry, &mut names, &model_tokens_used)?;
        register(&registry, &mut names, &model_cost_used)?;
        register(&registry, &mut names, &model_budget_used_ratio)?;
        Ok(Self {
            registry,
            names,
            deliveries,
            rejections,
            payload_parses,
            jobs_finished,
            db_statements,
            plugin_invocations,
            plugin_seconds,
            plugin_reported,
            github_rate_left,
            github_calls,
            policy_decisions,
            job_seconds,
            jobs_queued,
            jobs_running,
            oldest_queued_seconds,
            approvals_waiting,
            storage_failures,
            storage_breaker_state,
            plugins_crash_disabled,
            deliveries_redelivered,
            recovery_sweeps,
            model_budget_refusals,
            model_tokens_used,
            model_cost_used,
            model_budget_used_ratio,
        })
    }

    /// Counts an accepted delivery.
    pub fn delivery_accepted(&self, event: &str, recognised: bool, duplicate: bool) {
        let event = if is_known_event(event) {
            event
        } else {
            "unknown"
        };
        let result = if duplicate { "duplicate" } else { "accepted" };
        self.deliveries
            .with_label_values(&[event, if recognised { "true" } else { "false" }, result])
            .inc();
    }

    /// Reads the gauges that describe the database's state (queue depth and age,
    /// approvals waiting, plugins disabled for crashing), for a scrape.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn refresh(&self, db: &sea_orm::DatabaseConnection) -> Result<(), sea_orm::DbErr> {
        let (queued, running) = crate::db::jobs::pending_counts(db).await?;
        self.jobs_queued
            .set(i64::try_from(queued).unwrap_or(i64::MAX));
        self.jobs_running
            .set(i64::try_from(running).unwrap_or(i64::MAX));
        let oldest = crate::db::jobs::oldest_queued(db).await?;
        self.oldest_queued_seconds.set(oldest.map_or(0.0, |t| {
            (chrono::Utc::now() - t).num_milliseconds().max(0) as f64 / 1000.0
        }));
        self.approvals_waiting
            .set(i64::try_from(crate::db::approvals::count_pending(db).await?).unwrap_or(i64::MAX));
        let disabled = crate::db::plugin_states::disabled(db).await?;
        self.plugins_crash_disabled.reset();
        for plugin in &disabled {
            self.plugins_crash_disabled
                .with_label_values(&[plugin.as_str()])
                .set(1);
        }
        Ok(())
    }

    /// Every metric's full name (`gantry_jobs_queued`), also of those with no series
    /// yet: what the alerting rules and the dashboard in `deploy/` may name.
    #[must_use]
    pub fn names(&self) -> &[String] {
        &self.names
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

#[cfg(test)]
mod tests;
