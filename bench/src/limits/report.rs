//! The `## Database insert rate (limit for P1)` section: calls per second and latency
//! percentiles of one-row inserts and of Gantry's `store_with_job` per database,
//! with the CPU they took.
use std::fmt::Write as _;
use std::time::Duration;

use super::InsertArgs;
use crate::common::machine::CpuUsage;
use crate::common::{build_profile, command_line, machine, ms, percentile};
use crate::rig::Backend;

/// The heading of the section this benchmark owns.
pub const HEADING: &str = "## Database insert rate (limit for P1)";

/// What each writer stores per call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// One row, one statement, its own transaction.
    Row,
    /// Gantry's `store_with_job`: the delivery and its job in one transaction.
    GantryStore,
}

impl Shape {
    /// Both, in the order they run.
    pub const ALL: [Self; 2] = [Self::Row, Self::GantryStore];

    /// What the table calls it.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Row => "one-row insert",
            Self::GantryStore => "Gantry's `store_with_job`",
        }
    }
}

/// One database's inserts of one shape.
#[derive(Debug, Clone)]
pub struct InsertRun {
    /// The database.
    pub backend: Backend,
    /// What each call stores.
    pub shape: Shape,
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
            shape: Shape::Row,
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
    pub fn new(
        args: &InsertArgs,
        started: chrono::DateTime<chrono::Utc>,
        standalone: bool,
        runs: Vec<InsertRun>,
    ) -> Self {
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

    /// The run of `backend` and `shape`, if it was measured.
    #[must_use]
    pub fn of(&self, backend: Backend, shape: Shape) -> Option<&InsertRun> {
        self.runs
            .iter()
            .find(|r| r.backend == backend && r.shape == shape)
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
        let postgres = self
            .runs
            .iter()
            .find_map(|r| r.postgres_facts.clone())
            .map(|f| format!(" ({f})"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "- Method: {} writers, one task each, store back to back for {} s per row of the table, each call with a new delivery id \
             and P1's {}-byte body as the payload. *One-row insert*: one statement, its own transaction, into a fresh table \
             `bench_rows (id, delivery_id unique, payload, received_at)`: the database's own rate. *Gantry's `store_with_job`*: the \
             function intake calls, on a freshly migrated database (the delivery and its job in one transaction: begin, two \
             inserts, commit on SQLite; one statement on PostgreSQL): intake's rate without HTTP, the signature check and parsing. \
             Databases opened by Gantry's own `db::connect`: SQLite in WAL mode with `synchronous=NORMAL` through its one connection, \
             in a temporary directory; PostgreSQL on this machine over loopback{postgres}, a pool of one connection per writer.\n",
            self.concurrency, self.seconds, self.body_bytes
        );
        out.push_str(
            "| database | what | writers | connections | stored | errors | per s | p50 ms | p90 ms | p99 ms | max ms | bench cores | \
             SQLite threads | PostgreSQL | other processes | machine busy |\n|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n",
        );
        for r in &self.runs {
            let core = |group: &str| r.cpu.cores.get(group).copied().unwrap_or(0.0);
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {:.0} | {} | {} | {} | {} | {:.2} | {:.2} | {:.2} | {:.2} | {:.0}% |",
                r.backend.name(),
                r.shape.name(),
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
            let check = if r.stored == r.rows {
                "everything stored is in the table".to_owned()
            } else {
                format!("**{} rows in the table**", r.stored)
            };
            let error = r
                .first_error
                .as_ref()
                .map(|e| format!("; first error: {e}"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "- {}, {}: {check}{error}. With {} writers back to back, Little's law puts the mean call at {} / {:.0} per s = {:.2} ms.",
                r.backend.name(),
                r.shape.name(),
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
        let run = InsertRun::new(
            Backend::Postgres,
            50,
            vec![3000, 1000, 2000, 4000],
            0,
            None,
            Duration::from_secs(2),
            4,
            CpuUsage::default(),
        );
        assert_eq!(
            (run.rows, run.p50_us, run.p99_us, run.max_us),
            (4, 2000, 4000, 4000)
        );
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
        assert!(
            text.contains(
                "| postgres | one-row insert | 50 | 50 | 4 | 0 | 2 | 2.00 | 4.00 | 4.00 | 4.00 |"
            ),
            "{text}"
        );
        assert!(text.contains("everything stored is in the table"), "{text}");
        assert!(outcome.of(Backend::Postgres, Shape::Row).is_some());
        assert!(
            outcome.of(Backend::Sqlite, Shape::Row).is_none()
                && outcome.of(Backend::Postgres, Shape::GantryStore).is_none()
        );
    }
}
