//! P1 against its aims: p99 time to 202 under 10 ms at 50 connections, no errors,
//! every delivery stored once. When the p99 is missed, the reasons come from the
//! same run: Little's law on the measured throughput, the database's own insert
//! rate (when the full report measured it), the bare server, the CPU per delivery,
//! and the one-connection figures.
use std::time::Duration;

use super::report::{server_cpu_us_per_delivery, Run, P99_AIM};
use crate::common::ms;
use crate::common::verdict::Verdict;
use crate::limits::{InsertOutcome, Shape};
use crate::rig::Backend;

/// One verdict per loaded Gantry run for the latency aim, one for errors and storage.
#[must_use]
pub fn verdicts(runs: &[Run], concurrency: usize, limits: Option<&InsertOutcome>) -> Vec<Verdict> {
    let mut out = Vec::new();
    for run in runs
        .iter()
        .filter(|r| r.target != "bare" && r.concurrency == concurrency)
    {
        let s = &run.summary;
        let met = Duration::from_micros(s.p99) < P99_AIM && s.accepted > 0;
        out.push(Verdict {
            row: "P1",
            case: format!("{}, {concurrency} connections", run.target),
            aim: format!("time to 202 p99 < {} ms", P99_AIM.as_millis()),
            figure: format!(
                "p99 {} ms (p50 {} ms) at {:.0} accepted/s",
                ms(s.p99),
                ms(s.p50),
                s.per_second
            ),
            met: Some(met),
            because: if met {
                Vec::new()
            } else {
                reasons(run, runs, concurrency, limits)
            },
        });
        let errors: u64 = s.errors.iter().map(|(_, n)| n).sum();
        let stored = run
            .durability
            .as_ref()
            .is_some_and(super::targets::Durability::holds);
        let figure = match &run.durability {
            Some(d) => format!(
                "{errors} errors; {} 202s, {} stored, {} distinct, {} jobs",
                d.accepted, d.rows, d.distinct, d.jobs
            ),
            None => format!("{errors} errors; storage not checked"),
        };
        out.push(Verdict {
            row: "P1",
            case: format!("{}, {concurrency} connections", run.target),
            aim: "0 errors, every delivery stored once".into(),
            figure,
            met: Some(errors == 0 && stored),
            because: Vec::new(),
        });
    }
    out
}

fn reasons(
    run: &Run,
    runs: &[Run],
    concurrency: usize,
    limits: Option<&InsertOutcome>,
) -> Vec<String> {
    let s = &run.summary;
    let mut out = Vec::new();
    let needed = concurrency as f64 / P99_AIM.as_secs_f64();
    out.push(format!(
        "{concurrency} connections sending back to back make the mean latency {concurrency} / {:.0} per s = {:.1} ms (Little's law); \
         a p99 under {} ms needs well over {needed:.0} deliveries/s, {:.1}× what was accepted",
        s.per_second,
        concurrency as f64 / s.per_second.max(f64::EPSILON) * 1000.0,
        P99_AIM.as_millis(),
        needed / s.per_second.max(f64::EPSILON)
    ));
    let backend = match run.target {
        "sqlite" => Some(Backend::Sqlite),
        "postgres" => Some(Backend::Postgres),
        _ => None,
    };
    if let (Some(backend), Some(limits)) = (backend, limits) {
        if let Some(row) = limits.of(backend, Shape::Row) {
            let mut line = format!(
                "the database alone, one-row {}-byte inserts from {} writers, managed {:.0} rows/s at p99 {} ms (same run): intake \
                 reached {:.0}% of that rate",
                limits.body_bytes,
                limits.concurrency,
                row.per_second,
                ms(row.p99_us),
                s.per_second / row.per_second.max(f64::EPSILON) * 100.0
            );
            if Duration::from_micros(row.p99_us) >= P99_AIM {
                line.push_str(&format!(
                    "; the database on its own misses a {} ms p99 at this concurrency",
                    P99_AIM.as_millis()
                ));
            }
            out.push(line);
        }
        if let Some(store) = limits.of(backend, Shape::GantryStore) {
            out.push(format!(
                "Gantry's own `store_with_job` (delivery and job in one transaction), called by {} tasks without HTTP, the signature \
                 or parsing, managed {:.0} deliveries/s at p99 {} ms: storing alone {} the aim at this concurrency, and the rest of \
                 intake brings the rate down to {:.0}% of it",
                limits.concurrency,
                store.per_second,
                ms(store.p99_us),
                if Duration::from_micros(store.p99_us) >= P99_AIM { "misses" } else { "meets" },
                s.per_second / store.per_second.max(f64::EPSILON) * 100.0
            ));
        }
    }
    if let Some(bare) = runs
        .iter()
        .find(|r| r.target == "bare" && r.concurrency == concurrency)
    {
        out.push(format!(
            "a bare actix-web 202 handler on the same cores answered {:.0}/s at p99 {} ms: the HTTP stack is not the limit",
            bare.summary.per_second,
            ms(bare.summary.p99)
        ));
        let cores = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
        let client = run.cpu.cores.get("load generator").copied().unwrap_or(0.0);
        out.push(format!(
            "Gantry spent {:.0} µs of server CPU per delivery (bare: {:.0} µs); the machine was {:.0}% busy and the load generator in \
             the same process took {client:.2} of its {cores} cores",
            server_cpu_us_per_delivery(run),
            server_cpu_us_per_delivery(bare),
            run.cpu.machine_busy * 100.0
        ));
    }
    let others = run.cpu.cores.get("other processes").copied().unwrap_or(0.0);
    if others > 0.2 {
        out.push(format!("other processes, not this benchmark, kept {others:.2} cores busy during the run: the figures are lower than on a quiet machine"));
    }
    if let Some(one) = runs
        .iter()
        .find(|r| r.target == run.target && r.concurrency == 1)
    {
        out.push(format!(
            "with one connection (nothing queues) the p99 is {} ms at {:.0} deliveries/s",
            ms(one.summary.p99),
            one.summary.per_second
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::common::machine::CpuUsage;
    use crate::intake::report::Summary;
    use crate::intake::targets::Durability;

    fn run(target: &'static str, concurrency: usize, per_second: f64, p99_ms: u64) -> Run {
        let summary = Summary {
            accepted: 100,
            sent: 100,
            per_second,
            p50: p99_ms * 500,
            p99: p99_ms * 1000,
            ..Summary::default()
        };
        let cores = BTreeMap::from([
            ("HTTP workers", 0.5),
            ("load generator", 0.25),
            ("other processes", 0.5),
        ]);
        let durability = (target != "bare").then(|| Durability {
            accepted: 100,
            rows: 100,
            distinct: 100,
            jobs: 100,
            ..Durability::default()
        });
        Run {
            target,
            concurrency,
            summary,
            cpu: CpuUsage {
                cores,
                machine_busy: 0.9,
            },
            durability,
        }
    }

    #[test]
    fn a_missed_p99_is_explained_from_the_same_runs_figures() {
        let runs = [
            run("sqlite", 50, 2500.0, 20),
            run("bare", 50, 50_000.0, 2),
            run("sqlite", 1, 1000.0, 3),
        ];
        let found = verdicts(&runs, 50, None);
        assert_eq!(
            found.len(),
            2,
            "latency and storage for the one Gantry run at 50 connections"
        );
        assert_eq!(found[0].met, Some(false));
        let reasons = found[0].because.join("\n");
        assert!(
            reasons.contains("50 / 2500 per s = 20.0 ms (Little's law)"),
            "{reasons}"
        );
        assert!(
            reasons.contains("needs well over 5000 deliveries/s, 2.0× what was accepted"),
            "{reasons}"
        );
        assert!(
            reasons.contains(
                "bare actix-web 202 handler on the same cores answered 50000/s at p99 2.00 ms"
            ),
            "{reasons}"
        );
        assert!(
            reasons.contains("other processes, not this benchmark, kept 0.50 cores busy"),
            "{reasons}"
        );
        assert!(
            reasons.contains("with one connection (nothing queues) the p99 is 3.00 ms"),
            "{reasons}"
        );
        assert_eq!(
            found[1].met,
            Some(true),
            "no errors, everything stored once"
        );
        let fast = verdicts(&[run("postgres", 50, 9000.0, 5)], 50, None);
        assert_eq!(fast[0].met, Some(true));
        assert!(fast[0].because.is_empty());
    }
}
