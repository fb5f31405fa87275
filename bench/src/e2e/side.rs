//! The `## Side by side with Probot (issue 19)` section: one column per system (Gantry
//! on each database, Probot), one row per figure of the issue's table: intake
//! accepted/s and p99 under a burst, the highest rate kept end to end with p99 under
//! 1 s, p99 and CPU per event at the reference rate (200/s when swept), the jobs
//! finished during the burst, peak memory, and events lost; then the ratios to Probot.
use std::fmt::Write as _;
use std::time::Duration;

use super::burst::Burst;
use super::report::SWEEP_P99;

/// The heading of the section.
pub const HEADING: &str = "## Side by side with Probot (issue 19)";

/// The rate the issue quotes p99 and CPU per event at, when it was run.
const REFERENCE_RATE: f64 = 200.0;

/// One system at one rate, end to end.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// Events per second sent.
    pub rate: f64,
    /// Webhook sent to label call received, 99th percentile, µs.
    pub p99_us: u64,
    /// p99 under 1 s with nothing lost or refused.
    pub kept_up: bool,
    /// Accepted events whose call never came.
    pub lost: u64,
    /// The system's own process, CPU ms per event.
    pub cpu_ms: f64,
    /// PostgreSQL's processes, CPU ms per event, for Gantry on PostgreSQL.
    pub database_cpu_ms: Option<f64>,
}

/// One column.
#[derive(Debug, Clone)]
pub struct System {
    /// `Gantry SQLite`, `Gantry PostgreSQL`, `Probot`.
    pub name: String,
    /// Its end-to-end runs, in the order run.
    pub points: Vec<Point>,
    /// Its intake burst, when one ran.
    pub burst: Option<Burst>,
    /// The highest peak resident memory of its processes in this run, KiB.
    pub peak_rss_kib: u64,
    /// Whether it acts before answering the webhook (Probot), so every accepted
    /// delivery's job is finished by its answer.
    pub inline: bool,
}

impl System {
    fn best(&self) -> Option<&Point> {
        self.points
            .iter()
            .filter(|p| p.kept_up)
            .max_by(|a, b| a.rate.total_cmp(&b.rate))
    }

    fn at(&self, rate: f64) -> Option<&Point> {
        self.points.iter().find(|p| (p.rate - rate).abs() < 1e-9)
    }
}

/// The whole comparison and how it was made.
#[derive(Debug, Clone)]
pub struct SideBySide {
    /// The columns, Gantry's first.
    pub systems: Vec<System>,
    /// The build and the bench's command line, one per line.
    pub command: String,
    /// When the run started.
    pub date: String,
    /// The machine and the bench's build.
    pub machine: String,
    /// How the systems were set up and loaded.
    pub setup: String,
    /// The rates run end to end.
    pub rates: Vec<f64>,
}

impl SideBySide {
    /// The rate p99 and CPU per event are given at: 200/s when it was run, else the
    /// first rate.
    #[must_use]
    pub fn reference_rate(&self) -> f64 {
        if self.rates.iter().any(|r| (r - REFERENCE_RATE).abs() < 1e-9) {
            REFERENCE_RATE
        } else {
            self.rates.first().copied().unwrap_or(REFERENCE_RATE)
        }
    }

    /// Accepted events that never caused their call, all systems.
    #[must_use]
    pub fn lost(&self) -> u64 {
        self.systems
            .iter()
            .flat_map(|s| &s.points)
            .map(|p| p.lost)
            .sum()
    }

    /// The whole section, heading included.
    #[must_use]
    pub fn section(&self) -> String {
        let mut out = format!("{HEADING}\n\n");
        let _ = writeln!(out, "- Date: {} (start)", self.date);
        let _ = writeln!(out, "- Machine: {}", self.machine);
        let _ = writeln!(out, "- Set-up: {}", self.setup);
        let _ = writeln!(
            out,
            "- Commands (from a clone):\n\n```sh\n{}\n```\n",
            self.command
        );
        out.push_str(&self.table());
        let ratios = self.ratios();
        if !ratios.is_empty() {
            let _ = write!(out, "\nAgainst Probot in this run:\n\n{ratios}");
        }
        out
    }

    fn table(&self) -> String {
        let names: Vec<&str> = self.systems.iter().map(|s| s.name.as_str()).collect();
        let mut out = format!(
            "| figure | {} |\n|---|{}\n",
            names.join(" | "),
            "--:|".repeat(names.len())
        );
        let reference = self.reference_rate();
        let rates = self
            .rates
            .iter()
            .map(|r| format!("{r:.0}"))
            .collect::<Vec<_>>()
            .join(", ");
        let bursts: Vec<&Burst> = self
            .systems
            .iter()
            .filter_map(|s| s.burst.as_ref())
            .collect();
        if let Some(first) = bursts.first() {
            let (conns, secs) = (first.connections, first.elapsed.as_secs_f64().round());
            self.row(
                &mut out,
                &format!("intake, {conns} connections: accepted/s (p99 ms)"),
                |s| {
                    s.burst.as_ref().map_or_else(dash, |b| {
                        let cell = format!("{:.0} ({:.0})", b.per_second, b.p99_us as f64 / 1000.0);
                        if b.failed > 0 {
                            format!("{cell}, {} failed", b.failed)
                        } else {
                            cell
                        }
                    })
                },
            );
            self.row(
                &mut out,
                &format!("jobs finished during {secs:.0} s of {conns}-connection intake"),
                |s| {
                    s.burst.as_ref().map_or_else(dash, |b| {
                        let share = format!("{:.1}% of accepted", b.finished_share() * 100.0);
                        if s.inline {
                            format!("{share} (inline)")
                        } else {
                            share
                        }
                    })
                },
            );
        }
        self.row(
            &mut out,
            &format!(
                "end to end: highest rate with p99 < {} s, events/s (of {rates})",
                SWEEP_P99.as_secs()
            ),
            |s| {
                s.best()
                    .map_or_else(|| "none".to_owned(), |p| format!("{:.0}", p.rate))
            },
        );
        self.row(
            &mut out,
            &format!("end to end at {reference:.0}/s: p99"),
            |s| s.at(reference).map_or_else(dash, |p| latency(p.p99_us)),
        );
        self.row(
            &mut out,
            &format!("CPU per event at {reference:.0}/s, ms"),
            |s| {
                s.at(reference)
                    .map_or_else(dash, |p| match p.database_cpu_ms {
                        Some(db) => format!("{:.2} + {db:.2} in PostgreSQL", p.cpu_ms),
                        None => format!("{:.2}", p.cpu_ms),
                    })
            },
        );
        self.row(&mut out, "peak RSS, MB", |s| {
            format!("{:.0}", s.peak_rss_kib as f64 / 1024.0)
        });
        self.row(
            &mut out,
            "end to end: accepted events never labelled",
            |s| s.points.iter().map(|p| p.lost).sum::<u64>().to_string(),
        );
        out
    }

    fn row(&self, out: &mut String, figure: &str, cell: impl Fn(&System) -> String) {
        let cells: Vec<String> = self.systems.iter().map(cell).collect();
        let _ = writeln!(out, "| {figure} | {} |", cells.join(" | "));
    }

    /// Each Gantry column against Probot's: highest rate, intake, memory.
    fn ratios(&self) -> String {
        let Some(probot) = self.systems.iter().find(|s| s.inline) else {
            return String::new();
        };
        let mut out = String::new();
        for gantry in self.systems.iter().filter(|s| !s.inline) {
            let mut parts = Vec::new();
            if let (Some(g), Some(p)) = (gantry.best(), probot.best()) {
                parts.push(format!("highest rate {:.2}×", g.rate / p.rate));
            }
            if let (Some(g), Some(p)) = (&gantry.burst, &probot.burst) {
                if p.per_second > 0.0 {
                    parts.push(format!(
                        "intake accepted/s {:.2}×",
                        g.per_second / p.per_second
                    ));
                }
            }
            if probot.peak_rss_kib > 0 {
                parts.push(format!(
                    "peak memory {:.2}×",
                    gantry.peak_rss_kib as f64 / probot.peak_rss_kib as f64
                ));
            }
            if !parts.is_empty() {
                let _ = writeln!(out, "- **{}**: {}.", gantry.name, parts.join(", "));
            }
        }
        out
    }
}

fn dash() -> String {
    "–".to_owned()
}

/// A latency for the table: milliseconds under a second, seconds above.
fn latency(us: u64) -> String {
    let d = Duration::from_micros(us);
    if d >= Duration::from_secs(1) {
        format!("{:.1} s", d.as_secs_f64())
    } else {
        format!("{:.0} ms", d.as_secs_f64() * 1000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(rate: f64, p99_ms: u64, cpu_ms: f64, database_cpu_ms: Option<f64>) -> Point {
        Point {
            rate,
            p99_us: p99_ms * 1000,
            kept_up: p99_ms < 1000,
            lost: 0,
            cpu_ms,
            database_cpu_ms,
        }
    }

    fn burst(per_second: f64, accepted: u64, finished: u64) -> Burst {
        Burst {
            connections: 50,
            elapsed: Duration::from_secs(20),
            accepted,
            per_second,
            p99_us: 43_000,
            finished,
            ..Burst::default()
        }
    }

    fn side() -> SideBySide {
        SideBySide {
            systems: vec![
                System {
                    name: "Gantry SQLite".into(),
                    points: vec![point(100.0, 40, 5.0, None), point(200.0, 2000, 4.9, None)],
                    burst: Some(burst(2410.0, 48_200, 289)),
                    peak_rss_kib: 63 * 1024,
                    inline: false,
                },
                System {
                    name: "Gantry PostgreSQL".into(),
                    points: vec![
                        point(100.0, 30, 3.5, Some(6.0)),
                        point(200.0, 10_000, 3.4, Some(6.4)),
                    ],
                    burst: Some(burst(1772.0, 35_440, 1240)),
                    peak_rss_kib: 67 * 1024,
                    inline: false,
                },
                System {
                    name: "Probot".into(),
                    points: vec![point(100.0, 10, 2.6, None), point(200.0, 14, 2.5, None)],
                    burst: Some(burst(1433.0, 28_660, 28_660)),
                    peak_rss_kib: 218 * 1024,
                    inline: true,
                },
            ],
            command: "cargo run -p gantry-bench -- e2e --probot --sweep 100,200".into(),
            date: "2026-12-07 13:00 UTC".into(),
            machine: "2 cores".into(),
            setup: "the same payload".into(),
            rates: vec![100.0, 200.0],
        }
    }

    #[test]
    fn the_table_has_a_column_per_system_and_the_issues_rows() {
        let text = side().section();
        for row in [
            "| figure | Gantry SQLite | Gantry PostgreSQL | Probot |",
            "| intake, 50 connections: accepted/s (p99 ms) | 2410 (43) | 1772 (43) | 1433 (43) |",
            "| jobs finished during 20 s of 50-connection intake | 0.6% of accepted | 3.5% of accepted | 100.0% of accepted (inline) |",
            "| end to end: highest rate with p99 < 1 s, events/s (of 100, 200) | 100 | 100 | 200 |",
            "| end to end at 200/s: p99 | 2.0 s | 10.0 s | 14 ms |",
            "| CPU per event at 200/s, ms | 4.90 | 3.40 + 6.40 in PostgreSQL | 2.50 |",
            "| peak RSS, MB | 63 | 67 | 218 |",
            "| end to end: accepted events never labelled | 0 | 0 | 0 |",
            "- **Gantry SQLite**: highest rate 0.50×, intake accepted/s 1.68×, peak memory 0.29×.",
        ] {
            assert!(text.contains(row), "missing {row:?} in:\n{text}");
        }
        assert!(text.starts_with(HEADING), "{text}");
        assert!(
            text.contains("```sh\ncargo run -p gantry-bench -- e2e --probot"),
            "{text}"
        );
    }

    #[test]
    fn failed_requests_of_a_burst_are_shown_beside_its_rate() {
        let mut side = side();
        if let Some(b) = side.systems[2].burst.as_mut() {
            b.failed = 12;
        }
        let text = side.section();
        assert!(text.contains("| 1433 (43), 12 failed |"), "{text}");
    }

    #[test]
    fn without_200_per_second_the_first_rate_is_the_reference_and_a_missing_burst_leaves_its_rows_out(
    ) {
        let mut side = side();
        side.rates = vec![50.0];
        for system in &mut side.systems {
            system.points = vec![point(50.0, 2000, 1.0, None)];
            system.burst = None;
        }
        let text = side.section();
        assert!(
            text.contains("| end to end at 50/s: p99 | 2.0 s | 2.0 s | 2.0 s |"),
            "{text}"
        );
        assert!(
            text.contains("events/s (of 50) | none | none | none |"),
            "{text}"
        );
        assert!(!text.contains("intake,"), "{text}");
        assert_eq!(side.lost(), 0);
    }
}
