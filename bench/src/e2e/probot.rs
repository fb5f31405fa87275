//! `e2e --probot` (issue 19): the same end-to-end load against the Probot app of
//! `bench/probot` in the same run, then an intake burst against every system, and the
//! side-by-side section (`side`). Probot gets exactly what Gantry got: the same signed
//! payload (naming the App's installation, for both), the same simulator with the same
//! latency, the same rates, warm-up and length; its CPU is its `node` process's,
//! from `/proc`.
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;

use super::burst::{self, Burst};
use super::report::kept_up;
use super::side::{Point, SideBySide, System};
use super::{E2eArgs, E2eRun};
use crate::common::{build_profile, command_line, machine};
use crate::rig::cpu::{self, Usage};
use crate::rig::probot::{self, ProbotRig};
use crate::rig::sender::{self, Counters, Matched};
use crate::rig::{process, Backend, Rig};

/// The side-by-side options of `gantry-bench e2e`.
#[derive(Debug, Clone, clap::Args)]
pub struct ProbotArgs {
    /// Also run the Probot app of `bench/probot` (Probot 13 on Node, installed with
    /// `npm ci` the first time) with the same load, then an intake burst against every
    /// system, and write the side-by-side section.
    #[arg(long)]
    pub probot: bool,
    /// The Probot app's folder.
    #[arg(long, default_value = probot::DEFAULT_DIR)]
    pub probot_dir: PathBuf,
    /// With `--probot`: seconds of the intake burst each system gets; 0 skips it.
    #[arg(long, default_value_t = 20)]
    pub intake_secs: u64,
    /// With `--probot`: keep-alive connections of the intake burst.
    #[arg(long, default_value_t = 50)]
    pub intake_connections: usize,
}

impl Default for ProbotArgs {
    fn default() -> Self {
        Self {
            probot: false,
            probot_dir: PathBuf::from(probot::DEFAULT_DIR),
            intake_secs: 20,
            intake_connections: 50,
        }
    }
}

/// One rate against Probot.
#[derive(Debug, Clone)]
pub struct ProbotRun {
    /// Events per second sent.
    pub rate: f64,
    /// Events paired with their calls.
    pub matched: Matched,
    /// CPU while sending (`gantry` is the `node` process here).
    pub cpu: Usage,
    /// Its peak resident memory, KiB.
    pub peak_rss_kib: u64,
}

/// What Probot did in the run.
#[derive(Debug, Clone)]
pub struct ProbotSide {
    /// One per rate.
    pub runs: Vec<ProbotRun>,
    /// Its intake burst.
    pub burst: Option<Burst>,
    /// `node --version`.
    pub node: String,
    /// The Probot version installed.
    pub probot: String,
}

/// Installs the app if needed, so a missing `node` or `npm` stops the run before
/// the long Gantry part.
///
/// # Errors
/// As [`probot::ensure_installed`].
pub fn prepare(args: &ProbotArgs) -> anyhow::Result<()> {
    probot::ensure_installed(&args.probot_dir)
}

/// Runs Probot at every rate, the intake bursts (Gantry on each database, then
/// Probot), and puts them beside `gantry`'s runs.
///
/// # Errors
/// When a part does not start.
pub fn side_by_side(args: &E2eArgs, gantry: &[E2eRun]) -> anyhow::Result<SideBySide> {
    let started = chrono::Utc::now();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("bench-client")
        .build()
        .context("starting a runtime")?;
    let side = runtime.block_on(measure_probot(args))?;
    let mut bursts = Vec::new();
    if args.probot.intake_secs > 0 {
        for backend in &args.databases {
            bursts.push((*backend, runtime.block_on(gantry_burst(args, *backend))?));
        }
    }
    runtime.shutdown_timeout(Duration::from_secs(5));
    Ok(build(args, started, gantry, &bursts, side))
}

/// Probot at every rate of `args`, then its burst.
///
/// # Errors
/// When it does not start.
pub async fn measure_probot(args: &E2eArgs) -> anyhow::Result<ProbotSide> {
    let mut runs = Vec::new();
    for rate in args.rates() {
        tracing::info!(rate, seconds = args.seconds, "end to end, probot");
        let mut rig = ProbotRig::start(&args.rig, &args.probot.probot_dir).await?;
        let run = drive(args, &mut rig, rate).await;
        rig.cleanup().await;
        let run = run?;
        tracing::info!(
            accepted = run.matched.accepted,
            lost = run.matched.lost,
            p99_us = run.matched.latency(99.0),
            "done"
        );
        runs.push(run);
    }
    let mut burst = None;
    if args.probot.intake_secs > 0 {
        tracing::info!(seconds = args.probot.intake_secs, "intake burst, probot");
        let mut rig = ProbotRig::start(&args.rig, &args.probot.probot_dir).await?;
        let result = async {
            let app = rig.probot()?;
            let mut b = burst::run(
                &app.webhook_url(),
                &rig.sim,
                &rig.events,
                args.probot.intake_connections,
                Duration::from_secs(args.probot.intake_secs),
            )
            .await?;
            b.peak_rss_kib = process::peak_rss(app.pid()).unwrap_or(0);
            anyhow::Ok(b)
        }
        .await;
        rig.cleanup().await;
        burst = Some(result?);
    }
    Ok(ProbotSide {
        runs,
        burst,
        node: probot::node_version().unwrap_or_else(|| "unknown".to_owned()),
        probot: probot::probot_version(&args.probot.probot_dir)
            .unwrap_or_else(|| "unknown".to_owned()),
    })
}

/// The measured part at `rate`, after the same warm-up Gantry gets.
async fn drive(args: &E2eArgs, rig: &mut ProbotRig, rate: f64) -> anyhow::Result<ProbotRun> {
    let (url, pid) = {
        let app = rig.probot()?;
        (app.webhook_url(), app.pid())
    };
    let counters = Arc::new(Counters::default());
    let warmup_events = (args.warmup_secs as f64 * rate).round() as u64;
    if warmup_events > 0 {
        let warmup = Duration::from_secs(args.warmup_secs);
        sender::send_at_rate(&url, &rig.events, &rig.sim, rate, warmup, 1, &counters).await?;
    }
    let writes_before = rig.sim.write_count();
    let cpu_before = cpu::sample(pid);
    let duration = Duration::from_secs(args.seconds);
    let first = warmup_events + 1;
    let sending = sender::send_at_rate(
        &url,
        &rig.events,
        &rig.sim,
        rate,
        duration,
        first,
        &counters,
    )
    .await?;
    let cpu = cpu::usage(&cpu_before, &cpu::sample(pid));
    // Probot answers after its call, so this returns at once unless it answered 202
    // ("still processing") to some.
    let accepted = sending.events.iter().filter(|e| e.ack_us.is_some()).count() as u64;
    let drain = Duration::from_secs(args.drain_timeout);
    sender::wait_for_writes(&rig.sim, writes_before + accepted, drain).await;
    let matched = sender::match_calls(&rig.sim, &rig.events, &sending.events);
    let peak_rss_kib = process::peak_rss(pid).unwrap_or(0);
    if !rig.stop_probot().await? {
        tracing::warn!("probot did not exit cleanly on SIGTERM");
    }
    Ok(ProbotRun {
        rate,
        matched,
        cpu,
        peak_rss_kib,
    })
}

/// Gantry on `backend` with the `hooks` plugin under the intake burst.
async fn gantry_burst(args: &E2eArgs, backend: Backend) -> anyhow::Result<Burst> {
    tracing::info!(
        database = backend.name(),
        seconds = args.probot.intake_secs,
        "intake burst, gantry"
    );
    let mut rig = Rig::start(&args.rig, backend).await?;
    let result = async {
        let gantry = rig.gantry()?;
        let url = format!("{}/webhooks/github", gantry.address);
        let mut b = burst::run(
            &url,
            &rig.sim,
            &rig.events,
            args.probot.intake_connections,
            Duration::from_secs(args.probot.intake_secs),
        )
        .await?;
        b.peak_rss_kib = process::peak_rss(gantry.pid()).unwrap_or(0);
        anyhow::Ok(b)
    }
    .await;
    rig.cleanup().await;
    result
}

/// The columns: Gantry per database (its end-to-end runs and burst), then Probot.
#[must_use]
pub fn build(
    args: &E2eArgs,
    started: chrono::DateTime<chrono::Utc>,
    gantry: &[E2eRun],
    bursts: &[(Backend, Burst)],
    probot: ProbotSide,
) -> SideBySide {
    let mut systems = Vec::new();
    for backend in &args.databases {
        let runs: Vec<&E2eRun> = gantry.iter().filter(|r| r.backend == *backend).collect();
        let burst = bursts
            .iter()
            .find(|(b, _)| b == backend)
            .map(|(_, b)| b.clone());
        if runs.is_empty() && burst.is_none() {
            continue;
        }
        let peak = runs.iter().map(|r| r.peak_rss_kib);
        systems.push(System {
            name: format!("Gantry {}", database_name(*backend)),
            points: runs.iter().map(|r| gantry_point(r)).collect(),
            peak_rss_kib: peak
                .chain(burst.iter().map(|b| b.peak_rss_kib))
                .max()
                .unwrap_or(0),
            burst,
            inline: false,
        });
    }
    let peak = probot.runs.iter().map(|r| r.peak_rss_kib);
    systems.push(System {
        name: "Probot".to_owned(),
        points: probot.runs.iter().map(probot_point).collect(),
        peak_rss_kib: peak
            .chain(probot.burst.iter().map(|b| b.peak_rss_kib))
            .max()
            .unwrap_or(0),
        burst: probot.burst.clone(),
        inline: true,
    });
    SideBySide {
        systems,
        command: commands(),
        date: started.format("%Y-%m-%d %H:%M UTC").to_string(),
        machine: format!(
            "{}; bench built with the {}",
            machine::description(),
            build_profile()
        ),
        setup: setup(args, &probot),
        rates: args.rates(),
    }
}

/// How to build and run what ran: the bench's profile, and its arguments given to the
/// built binary.
fn commands() -> String {
    let line = command_line();
    let arguments = line
        .strip_prefix("cargo run -p gantry-bench --")
        .unwrap_or(&line);
    let (flag, profile) = if cfg!(debug_assertions) {
        ("", "debug")
    } else {
        (" --release", "release")
    };
    format!("cargo build{flag} -p gantry-server -p gantry-bench\ntarget/{profile}/gantry-bench{arguments}")
}

fn database_name(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "SQLite",
        Backend::Postgres => "PostgreSQL",
    }
}

fn gantry_point(r: &E2eRun) -> Point {
    Point {
        rate: r.rate,
        p99_us: r.matched.latency(99.0),
        kept_up: kept_up(&r.matched),
        lost: r.matched.lost,
        cpu_ms: r.cpu.gantry * 1000.0 / r.rate,
        database_cpu_ms: (r.backend == Backend::Postgres).then(|| r.cpu.postgres * 1000.0 / r.rate),
    }
}

fn probot_point(r: &ProbotRun) -> Point {
    Point {
        rate: r.rate,
        p99_us: r.matched.latency(99.0),
        kept_up: kept_up(&r.matched),
        lost: r.matched.lost,
        cpu_ms: r.cpu.gantry * 1000.0 / r.rate,
        database_cpu_ms: None,
    }
}

fn setup(args: &E2eArgs, probot: &ProbotSide) -> String {
    let latency = match args.rig.github_latency_ms {
        0 => "answering at once".to_owned(),
        ms => format!("answering every call {ms} ms late"),
    };
    let burst = if args.probot.intake_secs > 0 {
        format!(
            " Intake burst: {} keep-alive connections sending back to back for {} s to a fresh instance of each, the same events over 1000 issues; \
             \"jobs finished\" counts the labels the simulator received before the burst ended.",
            args.probot.intake_connections, args.probot.intake_secs
        )
    } else {
        String::new()
    };
    format!(
        "the job of the issue: each `issues`/`opened` event makes the system add the label `needs-triage` to its issue \
         (Gantry: the bundled `hooks` plugin, as in the end-to-end section, default settings, a personal token; \
         Probot {} on Node {}: `bench/probot/app.js` served by `createNodeMiddleware` on a plain `http` server, \
         authenticated as a GitHub App with an installation token, write throttling off). Both get the same signed payload \
         (the corpus's, naming the App's installation), the same simulated GitHub in the bench's process ({latency}), \
         the same rates ({} events/s, {} s each after {} s of warm-up, a fresh instance per rate), open loop; \
         p99 is from sending the webhook to the simulator receiving the label call. CPU per event is the system's own \
         process (`gantry` or `node`) from `/proc`, PostgreSQL's apart; peak RSS is `VmHWM`.{burst}",
        probot.probot,
        probot.node.trim_start_matches('v'),
        args.rates()
            .iter()
            .map(|r| format!("{r:.0}"))
            .collect::<Vec<_>>()
            .join(", "),
        args.seconds,
        args.warmup_secs
    )
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        e2e: E2eArgs,
    }

    #[test]
    #[allow(clippy::print_stderr)] // a skipped test must say why
    fn probot_labels_every_opened_issue_and_the_side_by_side_has_its_column() {
        if probot::node_version().is_none() {
            eprintln!("SKIPPED: `node` cannot be run here, so the Probot side cannot be tested (install Node.js 20 and npm)");
            return;
        }
        let args = Cli::parse_from([
            "e2e",
            "--probot",
            "--rate",
            "10",
            "--seconds",
            "2",
            "--warmup-secs",
            "1",
            "--intake-secs",
            "1",
            "--intake-connections",
            "4",
            "--drain-timeout",
            "10",
        ])
        .e2e;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .unwrap();
        let side = runtime.block_on(measure_probot(&args)).unwrap();
        runtime.shutdown_timeout(Duration::from_secs(5));

        let run = &side.runs[0];
        assert_eq!(run.matched.accepted, 20, "{:?}", run.matched.failures);
        assert_eq!(
            run.matched.latencies_us.len(),
            20,
            "every event caused its call"
        );
        assert_eq!((run.matched.lost, run.matched.unlabelled), (0, 0));
        assert_eq!(run.matched.extra_calls, 0);
        assert!(run.cpu.gantry > 0.0 && run.peak_rss_kib > 10_000, "{run:?}");
        // With write throttling on, Octokit would send one write a second, and the
        // last of these 30 events would wait about 20 s for its label.
        let p99 = Duration::from_micros(run.matched.latency(99.0));
        assert!(p99 < Duration::from_secs(5), "throttled? p99 {p99:?}");
        let burst = side.burst.clone().unwrap();
        assert!(burst.accepted > 0 && burst.failed == 0, "{burst:?}");
        assert!(
            burst.finished >= burst.accepted,
            "Probot labels before it answers: {burst:?}"
        );
        assert_eq!(side.probot, "13.4.7");

        let text = build(&args, chrono::Utc::now(), &[], &[], side).section();
        assert!(text.contains("| figure | Probot |"), "{text}");
        // A machine busy with other tests may hold an event over a second.
        let highest = if p99 < Duration::from_secs(1) {
            "10"
        } else {
            "none"
        };
        assert!(
            text.contains(&format!(
                "| end to end: highest rate with p99 < 1 s, events/s (of 10) | {highest} |"
            )),
            "{text}"
        );
        assert!(text.contains("(inline) |"), "{text}");
        assert!(
            text.contains("| end to end: accepted events never labelled | 0 |"),
            "{text}"
        );
        assert!(text.contains("Probot 13.4.7 on Node 2"), "{text}");
        assert!(text.contains("```sh\ncargo build"), "{text}");
    }
}
