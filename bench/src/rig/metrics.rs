//! What the server says about itself on `/metrics` (Prometheus text): the error
//! counters the soak samples, and the job and plugin timings the end-to-end report
//! breaks its latency down with. Every name carries the server's `gantry_` prefix.
use std::collections::BTreeMap;

use anyhow::Context;

/// One scrape: every sample line, `name{labels}` to value.
#[derive(Debug, Clone, Default)]
pub struct Scrape {
    series: BTreeMap<String, f64>,
}

impl Scrape {
    /// Parses the text exposition format; comments and malformed lines are skipped.
    #[must_use]
    pub fn parse(text: &str) -> Self {
        let series = text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| {
                let (key, value) = l.rsplit_once(' ')?;
                Some((key.trim().to_owned(), value.trim().parse::<f64>().ok()?))
            })
            .collect();
        Self { series }
    }

    /// The sum of every series of metric `name` whose labels include all of `labels`
    /// (`("outcome", "ok")`), or exclude them when `negate` is set.
    #[must_use]
    pub fn sum(&self, name: &str, labels: &[(&str, &str)], negate: bool) -> f64 {
        self.series
            .iter()
            .filter(|(key, _)| metric_name(key) == name)
            .filter(|(key, _)| {
                let has = labels
                    .iter()
                    .all(|(k, v)| key.contains(&format!("{k}=\"{v}\"")));
                has != negate
            })
            .map(|(_, value)| value)
            .sum()
    }

    /// One metric's value, all its series summed.
    #[must_use]
    pub fn total(&self, name: &str) -> f64 {
        self.sum(name, &[], false)
    }

    /// The errors the soak counts, as the server counts them: dead-lettered jobs,
    /// plugin runs that did not end `ok`, refused webhooks.
    #[must_use]
    pub fn errors(&self) -> Errors {
        Errors {
            dead_jobs: self.sum("gantry_jobs_finished_total", &[("status", "dead")], false) as u64,
            failed_runs: self.sum(
                "gantry_plugin_invocations_total",
                &[("outcome", "ok")],
                true,
            ) as u64,
            rejected: self.total("gantry_webhook_rejections_total") as u64,
            github_errors: self.sum("gantry_github_calls_total", &[("status", "2xx")], true) as u64,
        }
    }
}

fn metric_name(key: &str) -> &str {
    key.split('{').next().unwrap_or(key)
}

/// Error counters from one scrape.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Errors {
    /// Jobs dead-lettered.
    pub dead_jobs: u64,
    /// Plugin invocations with an outcome other than `ok`.
    pub failed_runs: u64,
    /// Webhooks refused.
    pub rejected: u64,
    /// GitHub answers other than 2xx.
    pub github_errors: u64,
}

impl Errors {
    /// All of them.
    #[must_use]
    pub fn total(&self) -> u64 {
        self.dead_jobs + self.failed_runs + self.rejected + self.github_errors
    }
}

/// Reads `/metrics` from the server at `address`.
///
/// # Errors
/// When the server does not answer.
pub async fn scrape(client: &reqwest::Client, address: &str) -> anyhow::Result<Scrape> {
    let text = client
        .get(format!("{address}/metrics"))
        .send()
        .await
        .context("scraping /metrics")?
        .error_for_status()?
        .text()
        .await?;
    Ok(Scrape::parse(&text))
}

/// Mean of a histogram between two scrapes, seconds: `Δ_sum / Δ_count`.
#[must_use]
pub fn mean_between(before: &Scrape, after: &Scrape, histogram: &str) -> Option<f64> {
    let count =
        after.total(&format!("{histogram}_count")) - before.total(&format!("{histogram}_count"));
    let sum = after.total(&format!("{histogram}_sum")) - before.total(&format!("{histogram}_sum"));
    (count > 0.0).then(|| sum / count)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "# HELP gantry_jobs_finished_total x\n# TYPE gantry_jobs_finished_total counter\n\
        gantry_jobs_finished_total{status=\"done\"} 120\ngantry_jobs_finished_total{status=\"dead\"} 2\n\
        gantry_plugin_invocations_total{outcome=\"ok\",plugin=\"hooks\"} 118\n\
        gantry_plugin_invocations_total{outcome=\"error\",plugin=\"hooks\"} 3\n\
        gantry_plugin_invocations_total{outcome=\"retry\",plugin=\"hooks\"} 1\n\
        gantry_webhook_rejections_total{reason=\"bad_signature\"} 4\n\
        gantry_github_calls_total{status=\"2xx\"} 118\ngantry_github_calls_total{status=\"5xx\"} 5\n\
        gantry_job_seconds_sum 1.5\ngantry_job_seconds_count 120\nbroken line\n";

    #[test]
    fn errors_are_summed_from_the_server_counters() {
        let scrape = Scrape::parse(TEXT);
        assert_eq!(
            scrape.errors(),
            Errors {
                dead_jobs: 2,
                failed_runs: 4,
                rejected: 4,
                github_errors: 5
            }
        );
        assert_eq!(scrape.errors().total(), 15);
        assert_eq!(scrape.total("gantry_jobs_finished_total"), 122.0);
        assert_eq!(Scrape::parse("").errors(), Errors::default());
    }

    #[test]
    fn histogram_means_come_from_the_differences() {
        let before = Scrape::parse("gantry_job_seconds_sum 1.0\ngantry_job_seconds_count 10\n");
        let after = Scrape::parse("gantry_job_seconds_sum 3.0\ngantry_job_seconds_count 30\n");
        assert_eq!(
            mean_between(&before, &after, "gantry_job_seconds"),
            Some(0.1)
        );
        assert_eq!(mean_between(&after, &after, "gantry_job_seconds"), None);
    }
}
