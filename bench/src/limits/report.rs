//! The `## Database insert rate (limit for P1)` section: rows per second and latency
//! percentiles of one-row inserts per database, with the CPU it took.
use std::fmt::Write as _;
use std::time::Duration;

use super::InsertArgs;
use crate::common::machine::CpuUsage;
use crate::common::{build_profile, command_line, machine, ms, percentile};
use crate::rig::Backend;

/// The heading of the section this benchmark owns.
pub const HEADING: &str = "## Database insert rate (limit for P1)";

/// One database's inserts.
#[derive(Debug, Clone)]
pub struct InsertRun {
    /// The database.
    pub backend: Backend,
    /// Connections the writers shared.
    pub connections: u32,
    /// Rows inserted.
    pub rows: u64,
    /// Rows the table held afterwards.
    pub stored: u64,
    /// Failed inserts.
    pub errors: u64,
    /// The first failure's message.
    pub first_error: Option<String>,
    /// Rows per second.
    pub per_second: f64,
    /// Percentiles of one insert, µs.
    pub p50_us: u64,
    /// 90th percentile, µs.
    pub p90_us: u64,
    /// 99th percentile, µs.
    pub p99_us: u64,
    /// Slowest, µs.
    pub max_us: u64,
    /// Where the CPU went.
    pub cpu: CpuUsage,
    /// For PostgreSQL, its settings.
    pub postgres_facts: Option<String>,
}

impl InsertRun {
    /// Summarises one database's inserts; sorts the latencies.
    #[allow(clippy::too_many_arguments)]
    #[must_use]
    pub fn new(
        backend: Backend,
        connections: u32,
        mut latencies: Vec<u64>,
        errors: u64,
        first_error: Option<String>,
        elapsed: Duration,
        stored: u64,
        cpu: CpuUsage,
    ) -> Self {
        latencies.sort_unstable();
        Self {
            backend,
            connections,
            rows: latencies.len() as u64,
            stored,
            errors,
            first_error,
            per_second: latencies.len() as f64 / elapsed.as_secs_f64().max(f64::EPSILON),
            p50_us: percentile(&latencies, 50.0),
            p90_us: percentile(&latencies, 90.0),
            p99_us: percentile(&latencies, 99.0),
            max_us: latencies.last().copied().unwrap_or(0),
            cpu,
            postgres_facts: None,
        }
    }
}

/// All runs with what the section says about the set-up.
#[derive(Debug, Clone)]
pub struct InsertOutcome {
    /// The runs, in order.
    pub runs: Vec<InsertRun>,
    /// Concurrent writers.
    pub concurrency: usize,
    /// Payload size.
    pub body_bytes: usize,
    command: String,
    date: String,
    machine: Option<String>,
    seconds: u64,
}

impl InsertOutcome {
    /// Gathers what the section needs.
    #[must_use]
    pub fn new(args: &InsertArgs, started: chrono::DateTime<chrono::Utc>, standalone: bool, runs: Vec<InsertRun>) -> Self {
        Self {
            runs,
            concurrency: args.concurrency,
            body_bytes: args.body_bytes,
            command: command_line(),
            date: started.format("%Y-%m-%d %H:%M UTC").to_string(),
            machine: standalone.then(machine::description),
            seconds: args.seconds,
        }
    }

    /// The run of `backend`, if it was measured.
    #[must_use]
    pub fn of(&self, backend: Backend) -> Option<&InsertRun> {
        self.runs.iter().find(|r| r.backend == backend)
    }

    /// The whole section, heading included.
    #[must_use]
    pub fn section(&self) -> String {
        let mut out = format!("{HEADING}\n\n");
        let _ = writeln!(out, "```sh\n{}\n```\n", self.command);
        let _ = writeln!(out, "- Date: {} (start)", self.date);
        if let Some(machine) = &self.machine {
            let _ = writeln!(out, "- Machine: {machine}; bench built with the {}", build_profile());
        }
        let postgres = self.runs.iter().find_map(|r| r.postgres_facts.clone()).map(|f| format!(" ({f})")).unwrap_or_default();
        let _ = writeln!(
            out,
            "- Method: {} writers, one task each, insert one row per statement (each its own transaction) back to back for {} s into a \
             fresh table `bench_rows (id, delivery_id unique, payload, received_at)`; the payload is P1's {}-byte body. Databases \
             opened by Gantry's own `db::connect`: SQLite in WAL mode with `synchronous=NORMAL` through its one connection, in a \
             temporary directory; PostgreSQL on this machine over loopback{postgres}, a pool of one connection per writer. This is \
             the rate at which P1's deliveries could at best be stored if storing were all intake did (Gantry also writes a job \
             row in the same transaction).\n",
            self.concurrency, self.seconds, self.body_bytes
        );
        out.push_str(
            "| database | writers | connections | rows | errors | rows/s | p50 ms | p90 ms | p99 ms | max ms | bench cores | SQLite threads | \
             PostgreSQL | other processes | machine busy |\n|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n",
        );
        for r in &self.runs {
            let core = |group: &str| r.cpu.cores.get(group).copied().unwrap_or(0.0);
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {:.0} | {} | {} | {} | {} | {:.2} | {:.2} | {:.2} | {:.2} | {:.0}% |",
                r.backend.name(),
                self.concurrency,
                r.connections,
                r.rows,
                r.errors,
                r.per_second,
                ms(r.p50_us),
                ms(r.p90_us),
                ms(r.p99_us),
                ms(r.max_us),
                core("load generator") + core("other threads"),
                core("SQLite threads"),
                core("PostgreSQL"),
                core("other processes"),
                r.cpu.machine_busy * 100.0
            );
        }
        out.push('\n');
        for r in &self.runs {
            let check = if r.stored == r.rows { "every insert is in the table".to_owned() } else { format!("**{} rows in the table**", r.stored) };
            let error = r.first_error.as_ref().map(|e| format!("; first error: {e}")).unwrap_or_default();
            let _ = writeln!(
                out,
                "- {}: {check}{error}. With {} writers back to back, Little's law puts the mean insert at {} / {:.0} per s = {:.2} ms.",
                r.backend.name(),
                self.concurrency,
                self.concurrency,
                r.per_second,
                self.concurrency as f64 / r.per_second.max(f64::EPSILON) * 1000.0
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_is_summarised_and_shown() {
        let run = InsertRun::new(Backend::Postgres, 50, vec![3000, 1000, 2000, 4000], 0, None, Duration::from_secs(2), 4, CpuUsage::default());
        assert_eq!((run.rows, run.p50_us, run.p99_us, run.max_us), (4, 2000, 4000, 4000));
        assert!((run.per_second - 2.0).abs() < 1e-9);
        let outcome = InsertOutcome {
            runs: vec![run],
            concurrency: 50,
            body_bytes: 9216,
            command: "c".into(),
            date: "d".into(),
            machine: None,
            seconds: 2,
        };
        let text = outcome.section();
        assert!(text.contains("| postgres | 50 | 50 | 4 | 0 | 2 | 2.00 | 4.00 | 4.00 | 4.00 |"), "{text}");
        assert!(text.contains("every insert is in the table"), "{text}");
        assert!(outcome.of(Backend::Sqlite).is_none());
    }
}
