//! The `## End to end (TESTPLAN P3)` section: per database, the events, the calls
//! seen and lost, the end-to-end latency percentiles, where the CPU went, what the
//! server stored, and the aims with what holds them back, from the run's figures.
use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use super::E2eArgs;
use crate::common::verdict::{self, Verdict};
use crate::common::{build_profile, command_line, machine, ms};
use crate::rig::cpu::Usage;
use crate::rig::metrics::Errors;
use crate::rig::process::profile_of;
use crate::rig::sender::Matched;
use crate::rig::store::Stored;
use crate::rig::{Backend, PLUGIN};

/// The heading of the section this benchmark owns.
pub const HEADING: &str = "## End to end (TESTPLAN P3)";

/// The issue's aim: webhook to simulated API call, p99.
pub const P99_AIM: Duration = Duration::from_millis(50);

/// One database's run.
#[derive(Debug, Clone)]
pub struct E2eRun {
    /// The database.
    pub backend: Backend,
    /// Events per second sent.
    pub rate: f64,
    /// For PostgreSQL, its settings.
    pub postgres_facts: Option<String>,
    /// Events sent in the measured part.
    pub sent: u64,
    /// The latest an event went out after it was due.
    pub max_lag: Duration,
    /// Events paired with their calls.
    pub matched: Matched,
    /// CPU while sending.
    pub cpu: Usage,
    /// Mean time to process one job, seconds (`gantry_job_seconds`).
    pub job_mean_s: Option<f64>,
    /// Mean plugin invocation, seconds (`gantry_plugin_invocation_seconds`).
    pub invoke_mean_s: Option<f64>,
    /// The server's error counters at the end (warm-up included).
    pub errors: Errors,
    /// What the server stored (warm-up included).
    pub stored: Stored,
    /// 202s in all, warm-up included, to compare with `stored`.
    pub accepted_in_all: u64,
    /// Whether the server exited cleanly on SIGTERM.
    pub clean_exit: bool,
    /// `(WARN, ERROR)` lines in its log.
    pub log: (usize, usize),
    /// How long the last calls took to come after the last event.
    pub drain: Duration,
    /// Body size of the events.
    pub body_bytes: usize,
    /// The server's peak resident memory, KiB (`VmHWM`, read before it stopped).
    pub peak_rss_kib: u64,
}

impl E2eRun {
    /// Every accepted delivery stored once, its job done, its run `ok`.
    #[must_use]
    pub fn stored_all(&self) -> bool {
        let n = self.accepted_in_all;
        self.stored.deliveries == n
            && self.stored.jobs("done") == n
            && self.stored.runs.get("ok").copied().unwrap_or(0) == n
    }
}

/// All runs with what the section says about the set-up.
#[derive(Debug, Clone)]
pub struct E2eOutcome {
    /// The runs, in order.
    pub runs: Vec<E2eRun>,
    command: String,
    date: String,
    machine: Option<String>,
    rates: Vec<f64>,
    seconds: u64,
    warmup_secs: u64,
    drain_timeout: u64,
    binary: String,
    binary_profile: String,
    workers: usize,
    github_latency_ms: u64,
    github_calls: usize,
    installation: Option<u64>,
}

impl E2eOutcome {
    /// Gathers what the section needs.
    #[must_use]
    pub fn new(
        args: &E2eArgs,
        binary: &Path,
        started: chrono::DateTime<chrono::Utc>,
        standalone: bool,
        runs: Vec<E2eRun>,
    ) -> Self {
        Self {
            runs,
            command: command_line(),
            date: started.format("%Y-%m-%d %H:%M UTC").to_string(),
            machine: standalone.then(machine::description),
            rates: args.rates(),
            seconds: args.seconds,
            warmup_secs: args.warmup_secs,
            drain_timeout: args.drain_timeout,
            binary: crate::common::binary_name(binary),
            binary_profile: profile_of(binary),
            workers: args.rig.jobs_in_flight(),
            github_latency_ms: args.rig.github_latency_ms,
            github_calls: args.rig.github_max_concurrent_calls.unwrap_or_else(|| {
                gantry_server::Settings::default()
                    .github
                    .max_concurrent_calls
            }),
            installation: args.rig.installation,
        }
    }

    /// The whole section, heading included.
    #[must_use]
    pub fn section(&self) -> String {
        let mut out = format!("{HEADING}\n\n");
        let _ = writeln!(out, "```sh\n{}\n```\n", self.command);
        let _ = writeln!(out, "- Date: {} (start)", self.date);
        if let Some(machine) = &self.machine {
            let _ = writeln!(
                out,
                "- Machine: {machine}; bench built with the {}",
                build_profile()
            );
        }
        let _ = writeln!(out, "- Method: {}\n", self.method());
        out.push_str(&self.results_table());
        out.push_str(
            "\nLatency: from just before the webhook is sent to the simulator receiving the plugin's `POST .../labels` for that \
             issue (its request log; the same process and clock). 202: time to the webhook's answer.\n\n",
        );
        let sweep = self.sweep_lines();
        if !sweep.is_empty() {
            let _ = writeln!(out, "### Highest rate with p99 under 1 s\n\n{sweep}");
        }
        let _ = writeln!(out, "### Where the time goes\n\nCores busy on average while sending (1.00 = one core), from `/proc`:\n");
        out.push_str(&self.cpu_table());
        let breakdown = self.breakdown_lines();
        if !breakdown.is_empty() {
            out.push('\n');
            out.push_str(&breakdown);
        }
        let _ = writeln!(
            out,
            "\n### What the server stored\n\n{}",
            self.stored_lines()
        );
        let _ = write!(
            out,
            "### Against the aims\n\n{}",
            verdict::lines(&self.verdicts())
        );
        out
    }

    fn method(&self) -> String {
        let defaults = gantry_server::Settings::default();
        let bytes = self.runs.first().map_or(0, |r| r.body_bytes);
        let postgres = self
            .runs
            .iter()
            .find_map(|r| r.postgres_facts.clone())
            .map(|f| format!(" ({f})"))
            .unwrap_or_default();
        let installation = self
            .installation
            .map(|id| format!(" naming App installation {id}, as the Probot side's"))
            .unwrap_or_default();
        format!(
            "`{}` (the {} build) run as `gantry serve` with its default settings ({} HTTP workers, default log filter to a file) \
             and {} jobs in flight at most, configured by environment variables only, with the bundled `{PLUGIN}` plugin alone and its default \
             configuration: an opened issue is labelled `needs-triage`, one `POST /repos/{{owner}}/{{repo}}/issues/{{number}}/labels` \
             per event. Databases: SQLite in a temporary directory; a fresh PostgreSQL database on this machine over loopback{postgres}. \
             GitHub: the simulator in the bench's process, over loopback, {}; at most {} calls at once on the token. Events: the corpus's `issues`/`opened` payload{installation} \
             ({bytes} B compact), one issue number per event (each event has its own call path), signed; sent open loop at \
             {} events/s for {} s (event k is due at k / rate, however slow the answers) over pooled keep-alive connections, after {} s \
             at the same rate that are not counted; afterwards up to {} s for the last calls",
            self.binary,
            self.binary_profile,
            defaults.server.http_workers,
            self.workers,
            if self.github_latency_ms == 0 {
                "answering at once".to_owned()
            } else {
                format!("answering every call {} ms late", self.github_latency_ms)
            },
            self.github_calls,
            self.rates
                .iter()
                .map(|r| format!("{r:.0}"))
                .collect::<Vec<_>>()
                .join(", then "),
            self.seconds,
            self.warmup_secs,
            self.drain_timeout
        )
    }

    fn results_table(&self) -> String {
        let mut out = String::from(
            "| database | events/s | events | 202 | not accepted | calls seen | lost | extra calls | p50 ms | p90 ms | p99 ms | max ms | 202 p50 ms | 202 p99 ms |\n\
             |---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n",
        );
        for r in &self.runs {
            let m = &r.matched;
            let _ = writeln!(
                out,
                "| {} | {:.0} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                r.backend.name(),
                r.rate,
                r.sent,
                m.accepted,
                failures(m),
                m.latencies_us.len(),
                m.lost,
                m.extra_calls,
                ms(m.latency(50.0)),
                ms(m.latency(90.0)),
                ms(m.latency(99.0)),
                ms(m.latencies_us.last().copied().unwrap_or(0)),
                ms(m.ack(50.0)),
                ms(m.ack(99.0)),
            );
        }
        out
    }

    fn cpu_table(&self) -> String {
        let mut out = String::from(
            "| database | events/s | gantry process | bench (sender + simulator) | PostgreSQL | other processes | machine busy | gantry CPU ms per event | PostgreSQL CPU ms per event | mean job ms | mean plugin invocation ms |\n\
             |---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n",
        );
        for r in &self.runs {
            let c = &r.cpu;
            let _ = writeln!(
                out,
                "| {} | {:.0} | {:.2} | {:.2} | {:.2} | {:.2} | {:.0}% | {:.2} | {:.2} | {} | {} |",
                r.backend.name(),
                r.rate,
                c.gantry,
                c.bench,
                c.postgres,
                c.other,
                c.machine_busy * 100.0,
                c.gantry * 1000.0 / r.rate,
                c.postgres * 1000.0 / r.rate,
                seconds_as_ms(r.job_mean_s),
                seconds_as_ms(r.invoke_mean_s)
            );
        }
        out
    }

    /// The breakdown of runs that met the latency aim; for the others the verdict
    /// gives it as its reasons.
    fn breakdown_lines(&self) -> String {
        let mut out = String::new();
        for r in self
            .runs
            .iter()
            .filter(|r| Duration::from_micros(r.matched.latency(99.0)) < P99_AIM)
        {
            let _ = writeln!(
                out,
                "- **{}**: {}.",
                r.backend.name(),
                breakdown(r, r.rate, self.workers).join("; ")
            );
        }
        out
    }

    /// Per database, the highest rate of the sweep whose p99 stayed under
    /// [`SWEEP_P99`] with nothing lost or refused, and the CPU per event there;
    /// empty without a sweep.
    fn sweep_lines(&self) -> String {
        let mut out = String::new();
        if self.rates.len() < 2 {
            return out;
        }
        let mut backends: Vec<Backend> = Vec::new();
        for r in &self.runs {
            if !backends.contains(&r.backend) {
                backends.push(r.backend);
            }
        }
        for backend in backends {
            let best = self
                .runs
                .iter()
                .filter(|r| r.backend == backend && sustained(r))
                .max_by(|a, b| a.rate.total_cmp(&b.rate));
            let _ = match best {
                Some(r) => writeln!(
                    out,
                    "- **{}**: {:.0} events/s (p99 {} ms); CPU per event there: {:.2} ms in Gantry, {:.2} ms in PostgreSQL.",
                    backend.name(),
                    r.rate,
                    ms(r.matched.latency(99.0)),
                    r.cpu.gantry * 1000.0 / r.rate,
                    r.cpu.postgres * 1000.0 / r.rate
                ),
                None => writeln!(
                    out,
                    "- **{}**: none of the rates swept ({}).",
                    backend.name(),
                    self.rates
                        .iter()
                        .map(|r| format!("{r:.0}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
        }
        out
    }

    fn stored_lines(&self) -> String {
        let mut out = String::new();
        for r in &self.runs {
            let verdict = if r.stored_all() { "OK" } else { "**MISMATCH**" };
            let _ = writeln!(
                out,
                "- {}: **{verdict}**: {} events accepted in all (warm-up included); {} deliveries stored; jobs: {}; plugin runs: {}; \
                 server counters: {} dead jobs, {} runs not `ok`, {} GitHub answers not 2xx; log: {} warnings, {} errors; \
                 {} on SIGTERM; the last call came {:.1} s after the last event.",
                r.backend.name(),
                r.accepted_in_all,
                r.stored.deliveries,
                Stored::describe(&r.stored.jobs),
                Stored::describe(&r.stored.runs),
                r.errors.dead_jobs,
                r.errors.failed_runs,
                r.errors.github_errors,
                r.log.0,
                r.log.1,
                if r.clean_exit { "exited cleanly" } else { "**did not exit cleanly**" },
                r.drain.as_secs_f64()
            );
        }
        out
    }

    /// The aims, per database: p99 under 50 ms, no event lost.
    #[must_use]
    pub fn verdicts(&self) -> Vec<Verdict> {
        let mut out = Vec::new();
        for r in &self.runs {
            let m = &r.matched;
            let p99 = m.latency(99.0);
            let met =
                m.lost == 0 && !m.latencies_us.is_empty() && Duration::from_micros(p99) < P99_AIM;
            let mut because = Vec::new();
            if !met && m.lost == 0 {
                because = breakdown(r, r.rate, self.workers);
            }
            out.push(Verdict {
                row: "P3",
                case: format!("{}, {:.0} events/s", r.backend.name(), r.rate),
                aim: format!("webhook to API call p99 < {} ms", P99_AIM.as_millis()),
                figure: format!("p99 {} ms (p50 {} ms)", ms(p99), ms(m.latency(50.0))),
                met: Some(met),
                because,
            });
            let mut because = Vec::new();
            if m.lost > 0 {
                because.push(format!(
                    "{} of {} accepted events caused no call within {:.0} s of the last one; {} issues were not labelled; server counters: \
                     {} dead jobs, {} runs not `ok`",
                    m.lost,
                    m.accepted,
                    r.drain.as_secs_f64(),
                    m.unlabelled,
                    r.errors.dead_jobs,
                    r.errors.failed_runs
                ));
            }
            out.push(Verdict {
                row: "P3",
                case: format!("{}, {:.0} events/s", r.backend.name(), r.rate),
                aim: "no event lost".into(),
                figure: format!(
                    "{} lost of {} accepted, {} not accepted",
                    m.lost,
                    m.accepted,
                    failures(m)
                ),
                met: Some(m.lost == 0 && m.failed() == 0),
                because,
            });
        }
        out
    }
}

fn failures(m: &Matched) -> String {
    if m.failures.is_empty() {
        "0".to_owned()
    } else {
        m.failures
            .iter()
            .map(|(kind, n)| format!("{n} {kind}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn seconds_as_ms(s: Option<f64>) -> String {
    s.map_or_else(|| "–".to_owned(), |s| format!("{:.2}", s * 1000.0))
}

/// Where an event's time goes, from the run's own figures.
fn breakdown(r: &E2eRun, rate: f64, workers: usize) -> Vec<String> {
    let m = &r.matched;
    let mut out = Vec::new();
    let mean = |v: &[u64]| {
        if v.is_empty() {
            0.0
        } else {
            v.iter().sum::<u64>() as f64 / v.len() as f64 / 1000.0
        }
    };
    let (e2e, ack) = (mean(&m.latencies_us), mean(&m.acks_us));
    out.push(format!("on average an event's call came {e2e:.2} ms after it was sent: the 202 after {ack:.2} ms, the call {:.2} ms after that", e2e - ack));
    if let Some(job) = r.job_mean_s {
        let workers = workers.max(1);
        let busy = rate * job / workers as f64;
        let invoke = r
            .invoke_mean_s
            .map(|s| {
                format!(
                    " (the plugin's invocation, its GitHub call included, {:.2} ms)",
                    s * 1000.0
                )
            })
            .unwrap_or_default();
        let load = if busy >= 1.0 {
            format!(
                "the {workers} places for jobs in flight would have to be busy {:.0}% of the time: they cannot keep up at this rate (at most {:.0} jobs/s), \
                 so the queue grew as long as the load lasted",
                busy * 100.0,
                workers as f64 / job
            )
        } else {
            format!(
                "the {workers} places for jobs in flight were busy {:.0}% of the time",
                busy * 100.0
            )
        };
        out.push(format!(
            "a job took {:.2} ms from lease to completion{invoke}, so at {rate:.0} events/s {load}; the rest of the gap, at least {:.2} ms, \
             is an event waiting to be leased",
            job * 1000.0,
            (e2e - ack - job * 1000.0).max(0.0)
        ));
    }
    let p50 = m.latency(50.0).max(1) as f64;
    out.push(format!(
        "the tail: p99 is {:.1}× p50 and the slowest call came after {} ms",
        m.latency(99.0) as f64 / p50,
        ms(m.latencies_us.last().copied().unwrap_or(0))
    ));
    let c = &r.cpu;
    let cores = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    out.push(format!(
        "the machine's {cores} cores were {:.0}% busy: gantry {:.2} cores, PostgreSQL {:.2}, this bench (sender and simulator) {:.2}, other processes {:.2}",
        c.machine_busy * 100.0,
        c.gantry,
        c.postgres,
        c.bench,
        c.other
    ));
    if r.max_lag > Duration::from_millis(5) {
        out.push(format!("the sender itself fell up to {} ms behind its schedule, so some events went out in bursts", ms(micros(r.max_lag))));
    }
    out
}

/// The p99 a rate must keep to count as sustained in a sweep.
pub const SWEEP_P99: Duration = Duration::from_secs(1);

/// Whether a run kept its rate: p99 under [`SWEEP_P99`], nothing lost or refused.
fn sustained(r: &E2eRun) -> bool {
    kept_up(&r.matched)
}

/// Whether events paired with their calls show the rate kept: p99 under
/// [`SWEEP_P99`], nothing lost or refused.
pub fn kept_up(m: &Matched) -> bool {
    m.lost == 0
        && m.failed() == 0
        && !m.latencies_us.is_empty()
        && Duration::from_micros(m.latency(99.0)) < SWEEP_P99
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(latencies_ms: &[u64], lost: u64) -> E2eRun {
        let matched = Matched {
            accepted: latencies_ms.len() as u64 + lost,
            latencies_us: latencies_ms.iter().map(|l| l * 1000).collect(),
            acks_us: latencies_ms.iter().map(|_| 1000).collect(),
            lost,
            ..Matched::default()
        };
        E2eRun {
            backend: Backend::Sqlite,
            rate: 200.0,
            postgres_facts: None,
            sent: matched.accepted,
            max_lag: Duration::ZERO,
            matched,
            cpu: Usage {
                gantry: 0.5,
                bench: 0.2,
                postgres: 0.0,
                other: 0.1,
                machine_busy: 0.4,
            },
            job_mean_s: Some(0.004),
            invoke_mean_s: Some(0.002),
            errors: Errors::default(),
            stored: Stored::default(),
            accepted_in_all: latencies_ms.len() as u64 + lost,
            clean_exit: true,
            log: (0, 0),
            drain: Duration::ZERO,
            body_bytes: 100,
            peak_rss_kib: 60_000,
        }
    }

    fn outcome(runs: Vec<E2eRun>) -> E2eOutcome {
        E2eOutcome {
            runs,
            command: "cargo run -p gantry-bench -- e2e".into(),
            date: "2026-11-21 05:00 UTC".into(),
            machine: None,
            rates: vec![200.0],
            seconds: 1,
            warmup_secs: 0,
            drain_timeout: 1,
            binary: "target/debug/gantry".into(),
            binary_profile: "dev".into(),
            workers: 2,
            github_latency_ms: 0,
            github_calls: 8,
            installation: None,
        }
    }

    #[test]
    fn a_fast_run_meets_the_aims_and_a_slow_one_says_why_not() {
        let fast = outcome(vec![run(&[2, 3, 4, 5], 0)]).verdicts();
        assert_eq!(fast.len(), 2);
        assert!(fast.iter().all(|v| v.met == Some(true)), "{fast:?}");
        let slow = outcome(vec![run(&[2, 3, 4, 80], 0)]).verdicts();
        assert_eq!(slow[0].met, Some(false));
        let reasons = slow[0].because.join("\n");
        assert!(reasons.contains("a job took 4.00 ms"), "{reasons}");
        assert!(
            reasons.contains("2 places for jobs in flight were busy 40% of the time"),
            "{reasons}"
        );
        let mut saturated = run(&[2, 3, 4, 80], 0);
        saturated.job_mean_s = Some(0.0125);
        let reasons = outcome(vec![saturated]).verdicts()[0].because.join("\n");
        assert!(
            reasons.contains(
                "busy 125% of the time: they cannot keep up at this rate (at most 160 jobs/s)"
            ),
            "{reasons}"
        );
        assert!(reasons.contains("p99 is 26.7× p50"), "{reasons}");
        let lossy = outcome(vec![run(&[2, 3], 1)]).verdicts();
        assert_eq!((lossy[0].met, lossy[1].met), (Some(false), Some(false)));
        assert!(
            lossy[1].because[0].starts_with("1 of 3 accepted events caused no call"),
            "{:?}",
            lossy[1].because
        );
    }

    #[test]
    fn a_sweep_names_the_highest_rate_kept_under_a_second_with_its_cpu_per_event() {
        let at = |rate: f64, p99_ms: u64| E2eRun {
            rate,
            ..run(&[2, 3, p99_ms], 0)
        };
        let mut sweep = outcome(vec![at(100.0, 20), at(200.0, 900), at(400.0, 3000)]);
        sweep.rates = vec![100.0, 200.0, 400.0];
        let text = sweep.section();
        assert!(
            text.contains("- **sqlite**: 200 events/s (p99 900.00 ms); CPU per event there: 2.50 ms in Gantry, 0.00 ms in PostgreSQL."),
            "{text}"
        );
        let mut none = outcome(vec![at(100.0, 2000), at(200.0, 3000)]);
        none.rates = vec![100.0, 200.0];
        assert!(
            none.section()
                .contains("- **sqlite**: none of the rates swept (100, 200)."),
            "{}",
            none.section()
        );
        assert!(
            outcome(vec![at(200.0, 20)]).sweep_lines().is_empty(),
            "one rate is no sweep"
        );
    }

    #[test]
    fn the_method_says_when_the_events_name_an_installation() {
        let plain = outcome(vec![run(&[2, 3], 0)]);
        assert!(!plain.section().contains("naming App installation"));
        let mut app = plain.clone();
        app.installation = Some(19);
        assert!(
            app.section()
                .contains("payload naming App installation 19, as the Probot side's"),
            "{}",
            app.section()
        );
    }

    #[test]
    fn the_section_has_the_table_the_aims_and_the_store_check() {
        let text = outcome(vec![run(&[2, 3, 4, 5], 0)]).section();
        assert!(
            text.starts_with(&format!("{HEADING}\n\n```sh\ncargo run")),
            "{text}"
        );
        assert!(
            text.contains(
                "| sqlite | 200 | 4 | 4 | 0 | 4 | 0 | 0 | 3.00 | 5.00 | 5.00 | 5.00 | 1.00 | 1.00 |"
            ),
            "{text}"
        );
        assert!(
            text.contains("### Against the aims\n\n- sqlite, 200 events/s: p99 5.00 ms"),
            "{text}"
        );
        assert!(
            text.trim_end().ends_with("(aim: no event lost): met"),
            "the aims end the section: {text}"
        );
        assert!(
            text.contains("**MISMATCH**"),
            "nothing was stored in this fake run: {text}"
        );
    }
}
