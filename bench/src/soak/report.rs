//! The `## Soak (TESTPLAN P4)` section: idle memory, memory and open files under
//! load with a fitted growth per hour, errors, a table of samples, and the aims.
use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use super::fit::slope;
use super::{Sample, SoakArgs};
use crate::common::verdict::{self, Verdict};
use crate::common::{build_profile, command_line, machine, ms};
use crate::rig::cpu::Usage;
use crate::rig::process::profile_of;
use crate::rig::sender::Matched;
use crate::rig::store::Stored;
use crate::rig::{Backend, PLUGIN};

/// The heading of the section this benchmark owns.
pub const HEADING: &str = "## Soak (TESTPLAN P4)";

/// The issue's aim for the idle process, MB (10⁶ bytes).
pub const IDLE_AIM_MB: f64 = 100.0;

/// What "flat" is taken to mean: the line fitted to the second half of the load
/// grows less than this many MB per hour.
pub const FLAT_MB_PER_HOUR: f64 = 5.0;

/// How long the aim asks memory to stay flat.
pub const AIM_SECONDS: f64 = 3600.0;

/// One database's soak.
#[derive(Debug, Clone)]
pub struct SoakRun {
    /// The database.
    pub backend: Backend,
    /// Every sample: idle ones (negative times), the load, one after the drain.
    pub samples: Vec<Sample>,
    /// How long the load ran.
    pub load_seconds: f64,
    /// Events paired with their calls.
    pub matched: Matched,
    /// CPU during the load.
    pub cpu: Usage,
    /// What the server stored.
    pub stored: Stored,
    /// Whether it exited cleanly on SIGTERM.
    pub clean_exit: bool,
    /// `(WARN, ERROR)` lines in its log.
    pub log: (usize, usize),
    /// How long the last calls took after the last event.
    pub drain: Duration,
    /// The sender's worst lag behind schedule.
    pub max_lag: Duration,
    /// Body size of the events.
    pub body_bytes: usize,
}

fn mb(kib: u64) -> f64 {
    kib as f64 * 1024.0 / 1e6
}

impl SoakRun {
    /// The sample taken just before the load: the idle figure.
    #[must_use]
    pub fn idle(&self) -> Sample {
        self.samples
            .iter()
            .rev()
            .find(|s| s.at_s <= 0.0)
            .copied()
            .unwrap_or_default()
    }

    fn load(&self) -> Vec<Sample> {
        self.samples
            .iter()
            .filter(|s| s.at_s > 0.0)
            .copied()
            .collect()
    }

    /// Fitted RSS growth, MB per hour, over the samples from `from` (a share of the
    /// load, 0 to 1) to its end.
    #[must_use]
    pub fn growth_mb_per_hour(&self, from: f64) -> Option<f64> {
        let start = self.load_seconds * from;
        let points: Vec<(f64, f64)> = self
            .samples
            .iter()
            .filter(|s| s.at_s > 0.0 && s.at_s >= start && s.at_s <= self.load_seconds + 1.0)
            .map(|s| (s.at_s, mb(s.memory.rss)))
            .collect();
        slope(&points).map(|per_second| per_second * 3600.0)
    }

    /// The errors of the whole soak: answers other than 202, lost events and the
    /// server's own counters.
    #[must_use]
    pub fn error_count(&self) -> u64 {
        let last = self.samples.last().copied().unwrap_or_default();
        last.not_accepted + self.matched.lost + last.errors.total()
    }
}

/// All soaks with what the section says about the set-up.
#[derive(Debug, Clone)]
pub struct SoakOutcome {
    /// The runs, in order.
    pub runs: Vec<SoakRun>,
    command: String,
    date: String,
    machine: Option<String>,
    rate: f64,
    minutes: f64,
    idle_secs: u64,
    sample_secs: u64,
    binary: String,
    binary_profile: String,
    binary_mb: f64,
    workers: usize,
}

impl SoakOutcome {
    /// Gathers what the section needs.
    #[must_use]
    pub fn new(
        args: &SoakArgs,
        binary: &Path,
        started: chrono::DateTime<chrono::Utc>,
        standalone: bool,
        runs: Vec<SoakRun>,
    ) -> Self {
        Self {
            runs,
            command: command_line(),
            date: started.format("%Y-%m-%d %H:%M UTC").to_string(),
            machine: standalone.then(machine::description),
            rate: args.rate,
            minutes: args.minutes,
            idle_secs: args.idle_secs,
            sample_secs: args.sample_secs,
            binary: crate::common::binary_name(binary),
            binary_profile: profile_of(binary),
            binary_mb: std::fs::metadata(binary).map_or(0.0, |m| m.len() as f64 / 1e6),
            workers: args.rig.jobs_in_flight(),
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
        let _ = writeln!(
            out,
            "- Method: the end-to-end set-up (P3 above: `{}`, the {} build, {:.1} MB on disk, default settings, the bundled `{PLUGIN}` \
             plugin labelling each opened issue through the simulator, {} jobs in flight at most); after it is ready it sits idle for {} s, then gets {:.0} events/s \
             ({} B each, one issue each) for {} min. Every {} s: the process's `VmRSS`, `RssAnon` and `RssFile` (`/proc/PID/status`), \
             its open descriptors (`/proc/PID/fd`), and its error counters (`/metrics`: dead-lettered jobs, plugin runs not `ok`, \
             refused webhooks, GitHub answers not 2xx) besides the sender's answers other than 202. MB are 10⁶ bytes.\n",
            self.binary,
            self.binary_profile,
            self.binary_mb,
            self.workers,
            self.idle_secs,
            self.rate,
            self.runs.first().map_or(0, |r| r.body_bytes),
            minutes(self.minutes),
            self.sample_secs
        );
        out.push_str(&self.summary_table());
        for r in &self.runs {
            let _ = writeln!(
                out,
                "\n### Samples, {}\n\n{}",
                r.backend.name(),
                self.samples_table(r)
            );
            out.push_str(&run_notes(r));
            out.push('\n');
        }
        let _ = write!(
            out,
            "\n### Against the aims\n\n{}",
            verdict::lines(&self.verdicts())
        );
        out
    }

    fn summary_table(&self) -> String {
        let mut out = String::from(
            "| database | idle RSS MB | RSS at load start MB | at end MB | max MB | growth MB/h (whole load) | growth MB/h (second half) | \
             open files start / end / max | events | errors | p50 / p99 ms |\n|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n",
        );
        for r in &self.runs {
            let load = r.load();
            let first = load.first().copied().unwrap_or_default();
            let last = r.samples.last().copied().unwrap_or_default();
            let max_rss = r.samples.iter().map(|s| s.memory.rss).max().unwrap_or(0);
            let fds: Vec<usize> = load.iter().map(|s| s.fds).collect();
            let _ = writeln!(
                out,
                "| {} | {:.1} | {:.1} | {:.1} | {:.1} | {} | {} | {} / {} / {} | {} | {} | {} / {} |",
                r.backend.name(),
                mb(r.idle().memory.rss),
                mb(first.memory.rss),
                mb(last.memory.rss),
                mb(max_rss),
                signed(r.growth_mb_per_hour(0.0)),
                signed(r.growth_mb_per_hour(0.5)),
                first.fds,
                last.fds,
                fds.iter().max().copied().unwrap_or(0),
                last.sent,
                r.error_count(),
                ms(r.matched.latency(50.0)),
                ms(r.matched.latency(99.0))
            );
        }
        out
    }

    fn samples_table(&self, r: &SoakRun) -> String {
        let mut out = String::from(
            "| t | RSS MB | anon MB | file MB | open files | events sent | calls seen | not 202 | dead jobs | runs not ok |\n\
             |--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n",
        );
        let every = row_interval(r.load_seconds, self.sample_secs);
        let mut last_row = 0.0;
        for (i, s) in r.samples.iter().enumerate() {
            let is_last = i + 1 == r.samples.len();
            let idle_edge =
                s.at_s <= 0.0 && (i == 0 || r.samples.get(i + 1).is_none_or(|n| n.at_s > 0.0));
            let due = s.at_s > 0.0 && s.at_s - last_row >= every - 0.5 * self.sample_secs as f64;
            if !(idle_edge || due || is_last) {
                continue;
            }
            if s.at_s > 0.0 {
                last_row = (s.at_s / every).round() * every;
            }
            let label = if is_last {
                format!("{} (after the drain)", clock(s.at_s))
            } else if s.at_s <= 0.0 {
                format!("{} (idle)", clock(s.at_s))
            } else {
                clock(s.at_s)
            };
            let _ = writeln!(
                out,
                "| {label} | {:.1} | {:.1} | {:.1} | {} | {} | {} | {} | {} | {} |",
                mb(s.memory.rss),
                mb(s.memory.anon),
                mb(s.memory.file),
                s.fds,
                s.sent,
                s.calls,
                s.not_accepted,
                s.errors.dead_jobs,
                s.errors.failed_runs
            );
        }
        out
    }

    /// The aims per database: idle memory, flat memory over the hour, no errors.
    #[must_use]
    pub fn verdicts(&self) -> Vec<Verdict> {
        let mut out = Vec::new();
        for r in &self.runs {
            let idle = r.idle().memory;
            let case = format!("{}, {:.0} events/s", r.backend.name(), self.rate);
            let idle_met = mb(idle.rss) < IDLE_AIM_MB;
            out.push(Verdict {
                row: "P4",
                case: format!("{}, idle", r.backend.name()),
                aim: format!("RSS < {IDLE_AIM_MB:.0} MB idle"),
                figure: format!(
                    "{:.1} MB (anonymous {:.1}, file-backed {:.1})",
                    mb(idle.rss),
                    mb(idle.anon),
                    mb(idle.file)
                ),
                met: Some(idle_met),
                because: if idle_met {
                    Vec::new()
                } else {
                    idle_reasons(idle, self.binary_mb, &self.binary_profile)
                },
            });
            let growth = r.growth_mb_per_hour(0.5);
            let max_rss = r.samples.iter().map(|s| s.memory.rss).max().unwrap_or(0);
            let figure = format!(
                "{} MB/h fitted over the second half of {} min (max RSS {:.1} MB)",
                signed(growth),
                minutes(r.load_seconds / 60.0),
                mb(max_rss)
            );
            let flat = growth.is_some_and(|g| g < FLAT_MB_PER_HOUR);
            let (met, because) = if r.load_seconds + 1.0 < AIM_SECONDS {
                (
                    None,
                    vec![format!(
                        "the load ran {} min; the aim is about an hour (`--minutes 60`)",
                        minutes(r.load_seconds / 60.0)
                    )],
                )
            } else if flat {
                (Some(true), Vec::new())
            } else {
                (Some(false), growth_reasons(r))
            };
            out.push(Verdict {
                row: "P4",
                case: case.clone(),
                aim: format!("memory flat over the hour (< {FLAT_MB_PER_HOUR:.0} MB/h)"),
                figure,
                met,
                because,
            });
            let last = r.samples.last().copied().unwrap_or_default();
            let errors = r.error_count();
            out.push(Verdict {
                row: "P4",
                case,
                aim: "no errors".into(),
                figure: format!(
                    "{errors} ({} not 202, {} lost, {} dead jobs, {} runs not ok, {} refused, {} GitHub answers not 2xx)",
                    last.not_accepted, r.matched.lost, last.errors.dead_jobs, last.errors.failed_runs, last.errors.rejected, last.errors.github_errors
                ),
                met: Some(errors == 0),
                because: Vec::new(),
            });
        }
        out
    }
}

fn idle_reasons(idle: crate::rig::process::Memory, binary_mb: f64, profile: &str) -> Vec<String> {
    vec![
        format!(
            "{:.1} MB of it is file-backed: pages of the binary ({binary_mb:.1} MB on disk, {profile} build) and of shared libraries \
             mapped in",
            mb(idle.file)
        ),
        format!("{:.1} MB is anonymous: the heap, thread stacks, and wasmtime's compiled plugin and instance pool", mb(idle.anon)),
    ]
}

fn growth_reasons(r: &SoakRun) -> Vec<String> {
    let load = r.load();
    let (Some(first), Some(last)) = (load.first(), load.last()) else {
        return Vec::new();
    };
    vec![format!(
        "from the first to the last sample under load, anonymous memory moved {:+.1} MB and file-backed {:+.1} MB; open files {} → {}",
        mb(last.memory.anon) - mb(first.memory.anon),
        mb(last.memory.file) - mb(first.memory.file),
        first.fds,
        last.fds
    )]
}

fn run_notes(r: &SoakRun) -> String {
    let c = &r.cpu;
    format!(
        "- {}: {} events accepted, {} deliveries stored, jobs {}, plugin runs {}; {} on SIGTERM; log: {} warnings, {} errors; the last \
         call came {:.1} s after the last event; the sender was at most {} ms behind schedule. During the load: gantry {:.2} cores, \
         PostgreSQL {:.2}, the bench {:.2}, other processes {:.2} (machine {:.0}% busy).",
        r.backend.name(),
        r.matched.accepted,
        r.stored.deliveries,
        Stored::describe(&r.stored.jobs),
        Stored::describe(&r.stored.runs),
        if r.clean_exit { "exited cleanly" } else { "**did not exit cleanly**" },
        r.log.0,
        r.log.1,
        r.drain.as_secs_f64(),
        ms(u64::try_from(r.max_lag.as_micros()).unwrap_or(u64::MAX)),
        c.gantry,
        c.postgres,
        c.bench,
        c.other,
        c.machine_busy * 100.0
    )
}

/// Seconds between rows of the samples table: 5 minutes for runs of half an hour or
/// more, else about a tenth of the load, in whole samples.
fn row_interval(load_seconds: f64, sample_secs: u64) -> f64 {
    let step = sample_secs.max(1) as f64;
    if load_seconds >= 1800.0 {
        300.0
    } else {
        ((load_seconds / 10.0 / step).round() * step).max(step)
    }
}

fn clock(seconds: f64) -> String {
    let sign = if seconds < 0.0 { "-" } else { "" };
    let total = seconds.abs().round() as u64;
    format!("{sign}{}:{:02}", total / 60, total % 60)
}

fn minutes(m: f64) -> String {
    if (m - m.round()).abs() < 0.05 {
        format!("{:.0}", m)
    } else {
        format!("{m:.1}")
    }
}

fn signed(x: Option<f64>) -> String {
    x.map_or_else(
        || "–".to_owned(),
        |x| {
            if x.abs() < 0.05 {
                "0.0".to_owned()
            } else {
                format!("{x:+.1}")
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rig::metrics::Errors;
    use crate::rig::process::Memory;

    fn sample(at_s: f64, rss_mb: f64, fds: usize) -> Sample {
        let kib = (rss_mb * 1e6 / 1024.0).round() as u64;
        Sample {
            at_s,
            memory: Memory {
                rss: kib,
                anon: kib / 2,
                file: kib / 2,
                shmem: 0,
            },
            fds,
            sent: (at_s.max(0.0) * 20.0) as u64,
            ..Sample::default()
        }
    }

    fn soak(load_seconds: f64, growth_per_hour: f64, idle_mb: f64) -> SoakRun {
        let mut samples = vec![sample(-30.0, idle_mb - 1.0, 20), sample(0.0, idle_mb, 20)];
        let mut t = 10.0;
        while t <= load_seconds {
            samples.push(sample(t, idle_mb + 5.0 + growth_per_hour * t / 3600.0, 24));
            t += 10.0;
        }
        SoakRun {
            backend: Backend::Sqlite,
            samples,
            load_seconds,
            matched: Matched::default(),
            cpu: Usage::default(),
            stored: Stored::default(),
            clean_exit: true,
            log: (0, 0),
            drain: Duration::ZERO,
            max_lag: Duration::ZERO,
            body_bytes: 100,
        }
    }

    fn outcome(runs: Vec<SoakRun>) -> SoakOutcome {
        SoakOutcome {
            runs,
            command: "cargo run -p gantry-bench -- soak".into(),
            date: "d".into(),
            machine: None,
            rate: 20.0,
            minutes: 60.0,
            idle_secs: 30,
            sample_secs: 10,
            binary: "target/debug/gantry".into(),
            binary_profile: "dev".into(),
            binary_mb: 90.0,
            workers: 2,
        }
    }

    #[test]
    fn growth_is_fitted_per_hour_and_judged_only_over_an_hour() {
        let run = soak(3600.0, 12.0, 60.0);
        assert!((run.growth_mb_per_hour(0.5).unwrap() - 12.0).abs() < 0.1);
        let verdicts = outcome(vec![run]).verdicts();
        assert_eq!(verdicts.len(), 3);
        assert_eq!(verdicts[0].met, Some(true), "60 MB idle is under 100");
        assert_eq!(verdicts[1].met, Some(false), "12 MB/h is not flat");
        assert!(
            verdicts[1].because[0].contains("anonymous memory moved"),
            "{:?}",
            verdicts[1].because
        );
        assert_eq!(verdicts[2].met, Some(true));
        let flat = outcome(vec![soak(3600.0, 1.0, 120.0)]).verdicts();
        assert_eq!((flat[0].met, flat[1].met), (Some(false), Some(true)));
        assert!(
            flat[0].because[0].contains("file-backed"),
            "{:?}",
            flat[0].because
        );
        let short = outcome(vec![soak(180.0, 0.0, 60.0)]).verdicts();
        assert_eq!(
            short[1].met, None,
            "three minutes say nothing about an hour"
        );
    }

    #[test]
    fn errors_count_every_kind() {
        let mut run = soak(60.0, 0.0, 60.0);
        if let Some(last) = run.samples.last_mut() {
            last.not_accepted = 1;
            last.errors = Errors {
                dead_jobs: 2,
                failed_runs: 3,
                rejected: 0,
                github_errors: 4,
            };
        }
        run.matched.lost = 5;
        assert_eq!(run.error_count(), 15);
        assert_eq!(outcome(vec![run]).verdicts()[2].met, Some(false));
    }

    #[test]
    fn the_samples_table_has_the_idle_edges_regular_rows_and_the_end() {
        let run = soak(3600.0, 0.0, 60.0);
        let o = outcome(vec![run.clone()]);
        let table = o.samples_table(&run);
        let labels: Vec<&str> = table
            .lines()
            .skip(2)
            .map(|l| l.split(" | ").next().unwrap_or(""))
            .collect();
        assert_eq!(labels.first(), Some(&"| -0:30 (idle)"));
        assert_eq!(labels.get(1), Some(&"| 0:00 (idle)"));
        assert_eq!(labels.get(2), Some(&"| 5:00"));
        assert_eq!(labels.last(), Some(&"| 60:00 (after the drain)"));
        assert_eq!(labels.len(), 2 + 12, "{table}");
        assert_eq!(row_interval(180.0, 10), 20.0);
        assert_eq!(clock(-30.0), "-0:30");
        assert_eq!(clock(3725.0), "62:05");
    }
}
