//! `report`: every benchmark of the test plan in one run, P1 to P4 and the limits
//! they are compared with (the bare actix-web server inside P1, bare wasmtime inside
//! P2, the database's own insert rate), written as the whole of
//! `docs/performance.md`: the machine and date once at the top, a summary of every
//! aim, then one section per benchmark. The file is rewritten after each benchmark,
//! so a failure late in the run keeps what was measured before it.
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};

use crate::common::verdict::{self, Verdict};
use crate::common::{build_profile, command_line, machine, postgres};
use crate::rig::process::profile_of;
use crate::rig::{Backend, RigArgs, PLUGIN};
use crate::{e2e, intake, limits, plugin, soak};

/// Options of `gantry-bench report`; the defaults are the test plan's figures.
#[derive(Debug, Clone, clap::Args)]
pub struct ReportArgs {
    /// The file to write (replaced as a whole).
    #[arg(long)]
    pub out: PathBuf,
    /// P1: seconds of load per target at 50 connections.
    #[arg(long, default_value_t = 60)]
    pub p1_seconds: u64,
    /// P1: seconds per target with one connection afterwards (0 skips them).
    #[arg(long, default_value_t = 10)]
    pub p1_unloaded_seconds: u64,
    /// P1: longest wait for the job queue to drain after each target.
    #[arg(long, default_value_t = 60)]
    pub p1_drain_timeout: u64,
    /// P2: timed calls per series.
    #[arg(long, default_value_t = 50_000)]
    pub p2_iterations: usize,
    /// P3: seconds of measured load per database.
    #[arg(long, default_value_t = 60)]
    pub p3_seconds: u64,
    /// P3: events per second.
    #[arg(long, default_value_t = 200.0)]
    pub p3_rate: f64,
    /// P4: minutes of load.
    #[arg(long, default_value_t = 60.0)]
    pub p4_minutes: f64,
    /// P4: events per second.
    #[arg(long, default_value_t = 20.0)]
    pub p4_rate: f64,
    /// P4: databases, each soaked for the whole duration.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "sqlite")]
    pub p4_databases: Vec<Backend>,
    /// Limit: seconds of inserts per database.
    #[arg(long, default_value_t = 20)]
    pub insert_seconds: u64,
    /// P2: the no-op plugin component (built by `scripts/build-plugins.sh`).
    #[arg(long, default_value = plugin::DEFAULT_WASM)]
    pub noop_wasm: PathBuf,
    #[command(flatten)]
    pub rig: RigArgs,
}

/// What each part produced so far.
#[derive(Debug, Default)]
struct Parts {
    insert: Option<limits::InsertOutcome>,
    intake: Option<intake::IntakeOutcome>,
    plugin: Option<plugin::PluginOutcome>,
    e2e: Option<e2e::E2eOutcome>,
    soak: Option<soak::SoakOutcome>,
    failures: Vec<String>,
}

/// Runs everything and writes `--out`.
///
/// # Errors
/// When a prerequisite is missing (checked before anything runs) or the file cannot
/// be written. A benchmark that fails is named in the file and makes the command fail
/// at the end; the others still run.
pub fn run(args: &ReportArgs) -> anyhow::Result<()> {
    check_prerequisites(args)?;
    let header = Header::gather(args)?;
    let mut parts = Parts::default();
    tracing::info!(
        at_least_minutes = estimate(args).as_secs() / 60,
        "report: running every benchmark"
    );
    for step in Step::ALL {
        tracing::info!(benchmark = step.name(), "report: starting");
        if let Err(err) = step.run(args, &mut parts) {
            tracing::error!(benchmark = step.name(), "{err:#}");
            parts.failures.push(format!("{}: {err:#}", step.name()));
        }
        write(&args.out, &header.render(&parts, false))?;
    }
    write(&args.out, &header.render(&parts, true))?;
    tracing::info!(file = %args.out.display(), "wrote the report");
    if !parts.failures.is_empty() {
        bail!(
            "{} benchmark(s) failed: {}",
            parts.failures.len(),
            parts.failures.join("; ")
        );
    }
    Ok(())
}

/// The benchmarks, in the order they run: the insert rate first, as P1's reasons use it.
#[derive(Debug, Clone, Copy)]
enum Step {
    Insert,
    Intake,
    Plugin,
    EndToEnd,
    Soak,
}

impl Step {
    const ALL: [Self; 5] = [
        Self::Insert,
        Self::Intake,
        Self::Plugin,
        Self::EndToEnd,
        Self::Soak,
    ];

    fn name(self) -> &'static str {
        match self {
            Self::Insert => "database insert rate",
            Self::Intake => "P1 intake",
            Self::Plugin => "P2 plugin invocation",
            Self::EndToEnd => "P3 end to end",
            Self::Soak => "P4 soak",
        }
    }

    fn run(self, args: &ReportArgs, parts: &mut Parts) -> anyhow::Result<()> {
        match self {
            Self::Insert => parts.insert = Some(limits::measure(&insert_args(args), false)?),
            Self::Intake => {
                parts.intake = Some(intake::measure(
                    &intake_args(args),
                    false,
                    parts.insert.as_ref(),
                )?)
            }
            Self::Plugin => parts.plugin = Some(plugin::measure(&plugin_args(args), false)?),
            Self::EndToEnd => parts.e2e = Some(e2e::measure(&e2e_args(args), false)?),
            Self::Soak => parts.soak = Some(soak::measure(&soak_args(args), false)?),
        }
        Ok(())
    }
}

/// Writes the report over `path`, keeping the sections other commands own there
/// (`gantry-bench pages` writes `## Dashboard pages (...)`).
fn write(path: &Path, text: &str) -> anyhow::Result<()> {
    let existing = std::fs::read_to_string(path).unwrap_or_default();
    let kept = kept_sections(&existing);
    let text = if kept.is_empty() {
        text.to_owned()
    } else {
        format!("{}\n\n{kept}", text.trim_end())
    };
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

/// The sections of `doc` the report does not write, each from its `## ` heading to
/// the next one.
fn kept_sections(doc: &str) -> String {
    let mut kept = String::new();
    let mut keeping = false;
    for line in doc.lines() {
        if line.starts_with("## ") {
            keeping = line.starts_with("## Dashboard pages");
        }
        if keeping {
            kept.push_str(line);
            kept.push('\n');
        }
    }
    kept
}

/// Everything a long run needs, checked before the first benchmark starts.
fn check_prerequisites(args: &ReportArgs) -> anyhow::Result<()> {
    let binary = args.rig.binary()?;
    if !binary.exists() {
        bail!(
            "{} is missing: build it first with `cargo build --bin gantry` (the bench's profile)",
            binary.display()
        );
    }
    let hooks = args.rig.plugins_dir.join(format!("{PLUGIN}.wasm"));
    for wasm in [&hooks, &args.noop_wasm] {
        if !wasm.exists() {
            bail!("{} is missing: build the plugins first with ./dev build (or scripts/build-plugins.sh)", wasm.display());
        }
    }
    if !args
        .rig
        .corpus
        .join("webhooks/issues/opened.payload.json")
        .exists()
    {
        bail!("the webhook corpus is not at {}", args.rig.corpus.display());
    }
    if args.p3_rate <= 0.0
        || args.p4_rate <= 0.0
        || args.p4_minutes <= 0.0
        || args.p4_databases.is_empty()
    {
        bail!(
            "--p3-rate, --p4-rate and --p4-minutes must be positive and --p4-databases not empty"
        );
    }
    Ok(())
}

fn insert_args(a: &ReportArgs) -> limits::InsertArgs {
    limits::InsertArgs {
        seconds: a.insert_seconds,
        concurrency: 50,
        body_bytes: 9216,
        databases: vec![Backend::Sqlite, Backend::Postgres],
        postgres_url: a.rig.postgres_url.clone(),
        corpus: a.rig.corpus.clone(),
        out: None,
    }
}

fn intake_args(a: &ReportArgs) -> intake::IntakeArgs {
    intake::IntakeArgs {
        duration: a.p1_seconds,
        concurrency: 50,
        body_bytes: 9216,
        targets: vec![
            intake::Target::Sqlite,
            intake::Target::Postgres,
            intake::Target::Bare,
        ],
        postgres_url: a.rig.postgres_url.clone(),
        out: None,
        unloaded_secs: a.p1_unloaded_seconds,
        corpus: a.rig.corpus.clone(),
        issues: 1000,
        drain_timeout: a.p1_drain_timeout,
    }
}

fn plugin_args(a: &ReportArgs) -> plugin::PluginArgs {
    plugin::PluginArgs {
        iterations: a.p2_iterations,
        warmup: 1_000,
        rounds: 20,
        payload_bytes: 15_360,
        wasm: a.noop_wasm.clone(),
        corpus: a.rig.corpus.clone(),
        out: None,
    }
}

fn e2e_args(a: &ReportArgs) -> e2e::E2eArgs {
    e2e::E2eArgs {
        rate: a.p3_rate,
        sweep: Vec::new(),
        seconds: a.p3_seconds,
        warmup_secs: 5,
        databases: vec![Backend::Sqlite, Backend::Postgres],
        drain_timeout: 120,
        out: None,
        csv: None,
        rig: a.rig.clone(),
        probot: e2e::probot::ProbotArgs::default(),
    }
}

fn soak_args(a: &ReportArgs) -> soak::SoakArgs {
    soak::SoakArgs {
        rate: a.p4_rate,
        minutes: a.p4_minutes,
        idle_secs: 30,
        sample_secs: 10,
        databases: a.p4_databases.clone(),
        drain_timeout: 120,
        out: None,
        rig: a.rig.clone(),
    }
}

/// The top of the file: how it was made, on what, when.
#[derive(Debug, Clone)]
struct Header {
    command: String,
    started: chrono::DateTime<chrono::Utc>,
    machine: String,
    postgres: String,
    build: String,
    commit: Option<String>,
    shortened: Vec<String>,
}

impl Header {
    fn gather(args: &ReportArgs) -> anyhow::Result<Self> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let postgres = match runtime.block_on(postgres::server_version(&args.rig.postgres_url)) {
            Ok(version) => format!("PostgreSQL {version} on this machine (loopback)"),
            Err(err) => bail!("PostgreSQL is needed for P1, P3 and the insert rate: {err:#}"),
        };
        let binary = args.rig.binary()?;
        let build = format!(
            "bench built with the {}; the server is `{}`, a {} build",
            build_profile(),
            crate::common::binary_name(&binary),
            profile_of(&binary)
        );
        let commit = std::process::Command::new("git")
            .args([
                "-C",
                env!("CARGO_MANIFEST_DIR"),
                "rev-parse",
                "--short",
                "HEAD",
            ])
            .output()
            .ok()
            .filter(|o| o.status.success())
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .map(|s| s.trim().to_owned());
        Ok(Self {
            command: command_line(),
            started: chrono::Utc::now(),
            machine: machine::description(),
            postgres,
            build,
            commit,
            shortened: shortened(args),
        })
    }

    fn render(&self, parts: &Parts, finished: bool) -> String {
        let mut out = String::from("# Performance\n\n");
        out.push_str(
            "Measurements of Gantry against the aims of issue 8 and the rows P1 to P4 of the test plan. This whole file is written \
             by one command, the limits each figure is compared with measured in the same run (build the server with the bench's \
             profile first):\n\n```sh\ncargo build --bin gantry && cargo run -p gantry-bench -- report --out docs/performance.md\n```\n\n",
        );
        let _ = writeln!(out, "This run: `{}`.\n", self.command);
        let end = if finished {
            format!(" to {} UTC", chrono::Utc::now().format("%H:%M"))
        } else {
            " (**still running**)".to_owned()
        };
        let _ = writeln!(
            out,
            "- Date: {} UTC{end}",
            self.started.format("%Y-%m-%d %H:%M")
        );
        let _ = writeln!(out, "- Machine: {}; {}", self.machine, self.postgres);
        let commit = self
            .commit
            .as_ref()
            .map(|c| format!("; commit {c}"))
            .unwrap_or_default();
        let _ = writeln!(out, "- Build: {}{commit}", self.build);
        if !self.shortened.is_empty() {
            let _ = writeln!(
                out,
                "- **Not the test plan's run**: {} (the defaults are the plan's figures)",
                self.shortened.join(", ")
            );
        }
        out.push_str(
            "- The load generators, the simulator and the servers share the machine's cores; each section says how busy the machine \
             was, other processes included.\n",
        );
        let mut verdicts: Vec<Verdict> = Vec::new();
        verdicts.extend(parts.intake.iter().flat_map(|p| p.verdicts.clone()));
        verdicts.extend(parts.plugin.iter().flat_map(|p| p.verdicts.clone()));
        verdicts.extend(parts.e2e.iter().flat_map(e2e::E2eOutcome::verdicts));
        verdicts.extend(parts.soak.iter().flat_map(soak::SoakOutcome::verdicts));
        let _ = writeln!(
            out,
            "\n## Summary against the aims\n\n{}",
            verdict::table(&verdicts)
        );
        out.push_str("Each section below ends with the same verdicts and, where an aim is missed, what holds it back.\n");
        for failure in &parts.failures {
            let _ = writeln!(out, "\n**Failed**: {failure}");
        }
        let sections = [
            parts.intake.as_ref().map(|p| p.section.clone()),
            parts.insert.as_ref().map(limits::InsertOutcome::section),
            parts.plugin.as_ref().map(|p| p.section.clone()),
            parts.e2e.as_ref().map(e2e::E2eOutcome::section),
            parts.soak.as_ref().map(soak::SoakOutcome::section),
        ];
        for section in sections.into_iter().flatten() {
            out.push('\n');
            out.push_str(section.trim_end());
            out.push('\n');
        }
        out
    }
}

/// The options that differ from the test plan's figures, in words.
fn shortened(a: &ReportArgs) -> Vec<String> {
    let mut out = Vec::new();
    let mut differs = |name: &str, value: String, plan: String| {
        if value != plan {
            out.push(format!("{name} {value} (plan: {plan})"));
        }
    };
    differs("P1", format!("{} s", a.p1_seconds), "60 s".into());
    differs(
        "P2",
        format!("{} calls per series", a.p2_iterations),
        "50000 calls per series".into(),
    );
    differs(
        "P3",
        format!("{} s at {:.0}/s", a.p3_seconds, a.p3_rate),
        "60 s at 200/s".into(),
    );
    differs(
        "P4",
        format!("{} min at {:.0}/s", a.p4_minutes, a.p4_rate),
        "60 min at 20/s".into(),
    );
    if let Some(in_flight) = a.rig.jobs_in_flight {
        out.push(format!(
            "P3 and P4 with {in_flight} jobs in flight at most (Gantry's default: {})",
            gantry_server::Settings::default().worker.in_flight
        ));
    }
    out
}

/// How long a report with these options takes at least, for the log.
#[must_use]
pub fn estimate(a: &ReportArgs) -> Duration {
    let p1 = 3 * (a.p1_seconds + a.p1_unloaded_seconds);
    let p3 = 2 * (a.p3_seconds + 5);
    let p4 = (a.p4_minutes * 60.0) as u64 * a.p4_databases.len() as u64;
    Duration::from_secs(4 * a.insert_seconds + p1 + p3 + p4)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_pages_sections_are_kept_and_nothing_else() {
        let doc = "# Performance\n\n## Intake\nold\n## Dashboard pages (SQLite)\n| a |\n## Plugin\nold\n## Dashboard pages (PostgreSQL)\n| b |\n";
        assert_eq!(
            super::kept_sections(doc),
            "## Dashboard pages (SQLite)\n| a |\n## Dashboard pages (PostgreSQL)\n| b |\n"
        );
        assert_eq!(super::kept_sections("# Performance\n## Intake\n"), "");
    }

    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        report: ReportArgs,
    }

    #[test]
    fn the_defaults_are_the_test_plans_figures_and_shortened_runs_say_so() {
        let full = Cli::parse_from(["report", "--out", "x.md"]).report;
        assert!(shortened(&full).is_empty());
        assert_eq!(
            (
                full.p1_seconds,
                full.p3_seconds,
                full.p3_rate,
                full.p4_minutes,
                full.p4_rate
            ),
            (60, 60, 200.0, 60.0, 20.0)
        );
        assert!(estimate(&full) >= Duration::from_secs(3600));
        let short = Cli::parse_from([
            "report",
            "--out",
            "x.md",
            "--p1-seconds",
            "10",
            "--p3-seconds",
            "20",
            "--p4-minutes",
            "3",
        ])
        .report;
        assert_eq!(
            shortened(&short),
            [
                "P1 10 s (plan: 60 s)",
                "P3 20 s at 200/s (plan: 60 s at 200/s)",
                "P4 3 min at 20/s (plan: 60 min at 20/s)"
            ]
        );
    }

    #[test]
    fn the_header_names_the_command_and_a_run_still_going() {
        let header = Header {
            command: "cargo run -p gantry-bench -- report --out docs/performance.md".into(),
            started: chrono::Utc::now(),
            machine: "2 cores".into(),
            postgres: "PostgreSQL 15".into(),
            build: "dev".into(),
            commit: Some("abc1234".into()),
            shortened: vec![],
        };
        let parts = Parts {
            failures: vec!["P4 soak: gone".into()],
            ..Parts::default()
        };
        let text = header.render(&parts, false);
        assert!(text.starts_with("# Performance\n\n"), "{text}");
        assert!(text.contains("cargo build --bin gantry && cargo run -p gantry-bench -- report --out docs/performance.md"), "{text}");
        assert!(
            text.contains("(**still running**)") && text.contains("commit abc1234"),
            "{text}"
        );
        assert!(text.contains("**Failed**: P4 soak: gone"), "{text}");
        assert!(
            header.render(&parts, true).contains(" to "),
            "a finished run has an end time"
        );
    }
}
