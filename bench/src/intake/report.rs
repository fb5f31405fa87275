//! Turning runs into markdown: latency percentiles, the results and CPU tables, the
//! Gantry/bare ratios, the durability lines, and the `## Intake (TESTPLAN P1)`
//! section of `docs/performance.md` (written by [`crate::common::markdown`]).
use std::fmt::Write as _;
use std::time::Duration;

use super::load::LoadResult;
use super::targets::Durability;
use crate::common::machine::{CpuUsage, GROUPS};
use crate::common::verdict::{self, Verdict};
use crate::common::{ms, percentile};

/// The heading of the section this benchmark owns.
pub const HEADING: &str = "## Intake (TESTPLAN P1)";

/// The p99 latency the issue aims for at 50 connections.
pub const P99_AIM: Duration = Duration::from_millis(10);

/// One target under one load.
#[derive(Debug, Clone)]
pub struct Run {
    /// `sqlite`, `postgres` or `bare`.
    pub target: &'static str,
    /// Connections used.
    pub concurrency: usize,
    /// What the load saw.
    pub summary: Summary,
    /// Where the CPU went.
    pub cpu: CpuUsage,
    /// For Gantry targets: what was stored.
    pub durability: Option<Durability>,
}

/// Counts, rate and latency percentiles of one load.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// Requests started.
    pub sent: u64,
    /// 202 answers.
    pub accepted: u64,
    /// Failures by kind.
    pub errors: Vec<(String, u64)>,
    /// 202 answers per second of the run.
    pub per_second: f64,
    /// Median latency of a 202, µs.
    pub p50: u64,
    /// 90th percentile, µs.
    pub p90: u64,
    /// 99th percentile, µs.
    pub p99: u64,
    /// Slowest 202, µs.
    pub max: u64,
    /// From the first request to the last response.
    pub elapsed: Duration,
}

impl Summary {
    /// Summarises a load; sorts its latencies.
    #[must_use]
    pub fn of(mut load: LoadResult) -> Self {
        load.latencies_us.sort_unstable();
        let lat = &load.latencies_us;
        Self {
            sent: load.sent,
            accepted: load.accepted,
            errors: load.errors.into_iter().collect(),
            per_second: load.accepted as f64 / load.elapsed.as_secs_f64().max(f64::EPSILON),
            p50: percentile(lat, 50.0),
            p90: percentile(lat, 90.0),
            p99: percentile(lat, 99.0),
            max: lat.last().copied().unwrap_or(0),
            elapsed: load.elapsed,
        }
    }

    fn error_total(&self) -> u64 {
        self.errors.iter().map(|(_, n)| n).sum()
    }
}

/// The main table: one row per run.
#[must_use]
pub fn results_table(runs: &[Run]) -> String {
    let mut out = String::from(
        "| target | conns | sent | 202 | errors | accepted/s | p50 ms | p90 ms | p99 ms | max ms |\n|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n",
    );
    for run in runs {
        let s = &run.summary;
        let errors = if s.errors.is_empty() {
            "0".to_owned()
        } else {
            s.errors
                .iter()
                .map(|(kind, n)| format!("{n} {kind}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {:.0} | {} | {} | {} | {} |",
            run.target,
            run.concurrency,
            s.sent,
            s.accepted,
            errors,
            s.per_second,
            ms(s.p50),
            ms(s.p90),
            ms(s.p99),
            ms(s.max)
        );
    }
    out
}

/// Cores busy per part during each run, and CPU time per accepted delivery.
#[must_use]
pub fn cpu_table(runs: &[Run]) -> String {
    let mut out = String::from("| target | conns |");
    let mut rule = String::from("|---|--:|");
    for group in GROUPS {
        let _ = write!(out, " {group} |");
        rule.push_str("--:|");
    }
    out.push_str(" machine busy | server CPU µs/delivery |\n");
    rule.push_str("--:|--:|\n");
    out.push_str(&rule);
    for run in runs {
        let _ = write!(out, "| {} | {} |", run.target, run.concurrency);
        for group in GROUPS {
            let _ = write!(
                out,
                " {:.2} |",
                run.cpu.cores.get(group).copied().unwrap_or(0.0)
            );
        }
        let _ = writeln!(
            out,
            " {:.0}% | {:.0} |",
            run.cpu.machine_busy * 100.0,
            server_cpu_us_per_delivery(run)
        );
    }
    out
}

/// Server-side CPU (Gantry's or bare's threads and PostgreSQL, not the load generator
/// or other processes) per 202, µs.
#[must_use]
pub fn server_cpu_us_per_delivery(run: &Run) -> f64 {
    let server: f64 = run
        .cpu
        .cores
        .iter()
        .filter(|(group, _)| !matches!(**group, "load generator" | "other processes"))
        .map(|(_, cores)| cores)
        .sum();
    if run.summary.per_second <= 0.0 {
        0.0
    } else {
        server / run.summary.per_second * 1e6
    }
}

/// Gantry/bare for accepted/s and p99 at the same connection count.
#[must_use]
pub fn ratio_lines(runs: &[Run]) -> String {
    let mut out = String::new();
    for run in runs.iter().filter(|r| r.target != "bare") {
        let Some(bare) = runs
            .iter()
            .find(|r| r.target == "bare" && r.concurrency == run.concurrency)
        else {
            continue;
        };
        let _ = writeln!(
            out,
            "- {} / bare at {} conns: accepted/s {:.2}× ({:.0} vs {:.0}), p99 {:.1}× ({} ms vs {} ms)",
            run.target,
            run.concurrency,
            run.summary.per_second / bare.summary.per_second.max(f64::EPSILON),
            run.summary.per_second,
            bare.summary.per_second,
            run.summary.p99 as f64 / bare.summary.p99.max(1) as f64,
            ms(run.summary.p99),
            ms(bare.summary.p99)
        );
    }
    out
}

/// One line per Gantry run: stored rows against 202s, and how the queue drained.
#[must_use]
pub fn durability_lines(runs: &[Run]) -> String {
    let mut out = String::new();
    for run in runs {
        let Some(d) = &run.durability else { continue };
        let verdict = if d.holds() && run.summary.error_total() == 0 {
            "OK"
        } else {
            "FAILED"
        };
        let drain = if d.drained {
            format!(
                "all done {:.1} s after the load stopped",
                d.drain.as_secs_f64()
            )
        } else {
            format!(
                "**{} still pending** after waiting {:.0} s",
                d.jobs - d.jobs_done,
                d.drain.as_secs_f64()
            )
        };
        let _ = writeln!(
            out,
            "- {} at {} conns: **{verdict}**: {} 202s, {} rows in `deliveries`, {} distinct delivery ids, {} jobs. \
             Queue: {} jobs pending when the load stopped; {drain}.",
            run.target, run.concurrency, d.accepted, d.rows, d.distinct, d.jobs, d.backlog
        );
    }
    out
}

/// What the section is built from besides the runs.
#[derive(Debug, Clone)]
pub struct Context {
    /// The command line as run.
    pub command: String,
    /// When the run started, UTC.
    pub date: String,
    /// [`crate::common::machine::description`], when the section stands alone.
    pub machine: Option<String>,
    /// Share of the machine busy in the 2 s before the run.
    pub busy_before: f64,
    /// Body size, connections and duration, in words.
    pub load: String,
    /// The databases' relevant settings.
    pub databases: String,
}

/// The whole section, heading included.
#[must_use]
pub fn section(ctx: &Context, runs: &[Run], notes: &str, verdicts: &[Verdict]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{HEADING}\n");
    let _ = writeln!(out, "```sh\n{}\n```\n", ctx.command);
    let _ = writeln!(
        out,
        "- Date: {} (start); the machine was {:.0}% busy in the 2 s before the run",
        ctx.date,
        ctx.busy_before * 100.0
    );
    if let Some(machine) = &ctx.machine {
        let _ = writeln!(out, "- Machine: {machine}");
    }
    let _ = writeln!(out, "- Load: {}", ctx.load);
    let _ = writeln!(out, "- Databases: {}\n", ctx.databases);
    let _ = writeln!(out, "{}", results_table(runs));
    let _ = writeln!(out, "Latencies are for 202 answers, from sending the request to having read the whole response.\n");
    let _ = writeln!(out, "### Durability\n\n{}", durability_lines(runs));
    let _ = writeln!(out, "### Where the time goes\n\nCores busy on average during each run (1.00 = one core), from `/proc`:\n");
    let _ = writeln!(out, "{}", cpu_table(runs));
    out.push_str(notes.trim_end());
    let _ = write!(
        out,
        "\n\n### Against the aims\n\n{}{}",
        verdict::lines(verdicts),
        ratio_lines(runs)
    );
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn run(
        target: &'static str,
        concurrency: usize,
        latencies_us: Vec<u64>,
        errors: &[(&str, u64)],
    ) -> Run {
        let load = LoadResult {
            sent: latencies_us.len() as u64 + errors.iter().map(|(_, n)| n).sum::<u64>(),
            accepted: latencies_us.len() as u64,
            errors: errors.iter().map(|(k, n)| ((*k).to_owned(), *n)).collect(),
            latencies_us,
            elapsed: Duration::from_secs(2),
        };
        let cores = BTreeMap::from([("load generator", 0.5), ("HTTP workers", 1.0)]);
        Run {
            target,
            concurrency,
            summary: Summary::of(load),
            cpu: CpuUsage {
                cores,
                machine_busy: 0.75,
            },
            durability: None,
        }
    }

    #[test]
    fn a_summary_sorts_latencies_and_rates_by_elapsed_time() {
        let s = run("sqlite", 4, vec![3000, 1000, 2000, 9000], &[]).summary;
        assert_eq!((s.p50, s.p99, s.max), (2000, 9000, 9000));
        assert!((s.per_second - 2.0).abs() < 1e-9);
    }

    #[test]
    fn the_table_shows_milliseconds_and_errors_by_kind() {
        let runs = [
            run(
                "sqlite",
                4,
                vec![1500, 2500],
                &[("status 503", 2), ("timeout", 1)],
            ),
            run("bare", 4, vec![500, 700], &[]),
        ];
        let table = results_table(&runs);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 4, "{table}");
        assert_eq!(
            lines[2],
            "| sqlite | 4 | 5 | 2 | 2 status 503, 1 timeout | 1 | 1.50 | 2.50 | 2.50 | 2.50 |"
        );
        assert_eq!(
            lines[3],
            "| bare | 4 | 2 | 2 | 0 | 1 | 0.50 | 0.70 | 0.70 | 0.70 |"
        );
        let ratios = ratio_lines(&runs);
        assert!(
            ratios.contains("sqlite / bare at 4 conns: accepted/s 1.00×"),
            "{ratios}"
        );
        assert!(ratios.contains("p99 3.6× (2.50 ms vs 0.70 ms)"), "{ratios}");
        let cpu = cpu_table(&runs);
        assert!(cpu.contains("| sqlite | 4 | 0.50 | 1.00 | 0.00 |"), "{cpu}");
        assert!(cpu.contains("| other processes |"), "{cpu}");
        assert!(cpu.contains("75% | 1000000 |"), "{cpu}");
    }

    #[test]
    fn durability_failures_are_called_out() {
        let mut r = run("sqlite", 4, vec![1000], &[]);
        let good = Durability {
            accepted: 1,
            rows: 1,
            distinct: 1,
            jobs: 1,
            jobs_done: 1,
            drained: true,
            ..Durability::default()
        };
        r.durability = Some(good.clone());
        assert!(durability_lines(std::slice::from_ref(&r)).contains("**OK**"));
        r.durability = Some(Durability {
            jobs_done: 0,
            drained: false,
            ..good.clone()
        });
        let slow = durability_lines(std::slice::from_ref(&r));
        assert!(
            slow.contains("**OK**") && slow.contains("**1 still pending**"),
            "a slow queue is not lost data: {slow}"
        );
        r.durability = Some(Durability {
            distinct: 0,
            ..good
        });
        assert!(durability_lines(&[r]).contains("**FAILED**"));
    }
}
