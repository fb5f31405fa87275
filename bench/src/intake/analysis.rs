//! The "where the time goes" notes, derived from the numbers of a run so they stay
//! true when the benchmark is run again: server CPU per delivery against bare, the
//! share the load generator takes, the unloaded (one connection) cost, and how fast
//! the job workers kept up.
use std::fmt::Write as _;

use super::report::{server_cpu_us_per_delivery, Run};

/// Bullet points about the loaded runs at `concurrency` and the one-connection runs.
#[must_use]
pub fn notes(runs: &[Run], concurrency: usize) -> String {
    let mut out = String::new();
    let loaded = |target: &str, conns: usize| {
        runs.iter()
            .find(|r| r.target == target && r.concurrency == conns)
    };
    let bare = loaded("bare", concurrency);
    for run in runs
        .iter()
        .filter(|r| r.target != "bare" && r.concurrency == concurrency)
    {
        let gantry_us = server_cpu_us_per_delivery(run);
        let database = run.cpu.cores.get("SQLite threads").copied().unwrap_or(0.0)
            + run.cpu.cores.get("PostgreSQL").copied().unwrap_or(0.0);
        let http = run.cpu.cores.get("HTTP workers").copied().unwrap_or(0.0);
        let workers = run.cpu.cores.get("Gantry runtime").copied().unwrap_or(0.0);
        let _ = write!(
            out,
            "- **{}**: {:.0} µs of server CPU per accepted delivery ({http:.2} cores in the HTTP workers, which run intake \
             and its queries; {database:.2} in the database; {workers:.2} in the runtime that hosts the job workers)",
            run.target, gantry_us
        );
        if let Some(bare) = bare {
            let bare_us = server_cpu_us_per_delivery(bare);
            let _ = write!(
                out,
                "; bare needs {bare_us:.0} µs, so intake adds about {:.0} µs of CPU per delivery",
                gantry_us - bare_us
            );
        }
        out.push_str(".\n");
        if let Some(d) = &run.durability {
            let done_during = d.accepted.saturating_sub(d.backlog) as f64
                / run.summary.elapsed.as_secs_f64().max(f64::EPSILON);
            let after = if d.drained {
                format!(
                    "finished them {:.1} s after it stopped",
                    d.drain.as_secs_f64()
                )
            } else {
                format!(
                    "still had {} to do {:.0} s after it stopped",
                    d.jobs - d.jobs_done,
                    d.drain.as_secs_f64()
                )
            };
            let _ = writeln!(
                out,
                "  Job workers (default 2, no plugins) finished {done_during:.0} jobs/s while the load ran, left {} behind and {after}.",
                d.backlog
            );
        }
    }
    if let Some(run) = runs.iter().find(|r| r.concurrency == concurrency) {
        let client = run.cpu.cores.get("load generator").copied().unwrap_or(0.0);
        let cores = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
        let _ = writeln!(
            out,
            "- The load generator shares the machine: it used {client:.2} of {cores} cores during the {} run (machine {:.0}% busy), \
             so every accepted/s here is a lower bound for a server with the machine to itself.",
            run.target,
            run.cpu.machine_busy * 100.0
        );
    }
    for run in runs.iter().filter(|r| {
        r.target != "bare" && r.concurrency == concurrency && r.summary.per_second > 0.0
    }) {
        let _ = writeln!(
            out,
            "- {}: with {concurrency} connections sending back to back, Little's law fixes the mean latency at \
             {concurrency} / {:.0} per s = {:.1} ms; a p99 under 10 ms at {concurrency} connections needs more than {:.0} deliveries/s.",
            run.target,
            run.summary.per_second,
            concurrency as f64 / run.summary.per_second * 1000.0,
            concurrency as f64 / 0.010
        );
    }
    let unloaded: Vec<&Run> = runs.iter().filter(|r| r.concurrency == 1).collect();
    if !unloaded.is_empty() {
        let parts: Vec<String> = unloaded
            .iter()
            .map(|r| {
                format!(
                    "{} p50 {:.2} ms / p99 {:.2} ms",
                    r.target,
                    r.summary.p50 as f64 / 1000.0,
                    r.summary.p99 as f64 / 1000.0
                )
            })
            .collect();
        let _ = write!(
            out,
            "- Unloaded (one connection, nothing queues): {}",
            parts.join(", ")
        );
        if let Some(bare) = loaded("bare", 1) {
            for run in unloaded.iter().filter(|r| r.target != "bare") {
                let _ = write!(
                    out,
                    "; {} adds {:.2} ms to bare's round trip",
                    run.target,
                    (run.summary.p50 as f64 - bare.summary.p50 as f64) / 1000.0
                );
            }
        }
        out.push_str(".\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::time::Duration;

    use super::*;
    use crate::common::machine::CpuUsage;
    use crate::intake::report::Summary;

    fn run(target: &'static str, concurrency: usize, per_second: f64, p50: u64) -> Run {
        let summary = Summary {
            accepted: 100,
            sent: 100,
            per_second,
            p50,
            p99: p50 * 2,
            elapsed: Duration::from_secs(1),
            ..Summary::default()
        };
        let cores = BTreeMap::from([
            ("load generator", 0.5),
            ("HTTP workers", 1.0),
            ("SQLite threads", 0.5),
        ]);
        Run {
            target,
            concurrency,
            summary,
            cpu: CpuUsage {
                cores,
                machine_busy: 1.0,
            },
            durability: None,
        }
    }

    #[test]
    fn notes_compare_with_bare_and_apply_littles_law() {
        let runs = [
            run("sqlite", 50, 2000.0, 20_000),
            run("bare", 50, 20_000.0, 2_000),
            run("sqlite", 1, 1000.0, 800),
            run("bare", 1, 10_000.0, 100),
        ];
        let notes = notes(&runs, 50);
        assert!(
            notes.contains("**sqlite**: 750 µs of server CPU per accepted delivery"),
            "{notes}"
        );
        assert!(notes.contains("50 / 2000 per s = 25.0 ms"), "{notes}");
        assert!(notes.contains("more than 5000 deliveries/s"), "{notes}");
        assert!(
            notes.contains("sqlite adds 0.70 ms to bare's round trip"),
            "{notes}"
        );
    }
}
