//! `e2e` (TESTPLAN P3): webhook in, plugin acts, the simulator sees the API call.
//! A real `gantry serve` process with the bundled `hooks` plugin, on SQLite and on
//! PostgreSQL, gets signed `issues`/`opened` events at a fixed rate; each makes the
//! plugin label its issue, and the time from sending the webhook to the simulator
//! receiving that call is measured per event (see [`crate::rig`]).
//!
//! With `--probot` the same load then goes to the Probot app of `bench/probot`, an
//! intake burst to every system, and a side-by-side section is written (`probot`,
//! `burst`, `side`).
mod burst;
pub mod probot;
mod report;
mod side;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};

pub use self::report::{E2eOutcome, E2eRun, HEADING};
use crate::common::markdown;
use crate::rig::sender::{self, Counters};
use crate::rig::{cpu, metrics, store, Backend, Rig, RigArgs};

/// Options of `gantry-bench e2e`.
#[derive(Debug, Clone, clap::Args)]
pub struct E2eArgs {
    /// Events per second.
    #[arg(long, default_value_t = 200.0)]
    pub rate: f64,
    /// Rates to sweep instead of `--rate`, e.g. `100,200,400,800`: each database
    /// gets each rate on a fresh server, and the section reports the highest rate
    /// whose p99 stayed under 1 s with nothing lost.
    #[arg(long, value_delimiter = ',')]
    pub sweep: Vec<f64>,
    /// Seconds of measured load per database.
    #[arg(long, default_value_t = 60)]
    pub seconds: u64,
    /// Seconds of load at the same rate before measuring (first instances, connections); not counted.
    #[arg(long, default_value_t = 5)]
    pub warmup_secs: u64,
    /// Databases, run in this order.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "sqlite,postgres"
    )]
    pub databases: Vec<Backend>,
    /// Longest wait, in seconds, after the last event for the calls still to come; what is missing then is lost.
    #[arg(long, default_value_t = 120)]
    pub drain_timeout: u64,
    /// Markdown file whose `## End to end (TESTPLAN P3)` section is written (created if missing).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Also write every measured event as CSV here (database, issue, sent at ms, 202 ms,
    /// call ms), for looking at how latency moves over the run.
    #[arg(long)]
    pub csv: Option<PathBuf>,
    #[command(flatten)]
    pub rig: RigArgs,
    #[command(flatten)]
    pub probot: probot::ProbotArgs,
}

impl E2eArgs {
    /// The rates to run: `--sweep`, or `--rate` alone.
    #[must_use]
    pub fn rates(&self) -> Vec<f64> {
        if self.sweep.is_empty() {
            vec![self.rate]
        } else {
            self.sweep.clone()
        }
    }
}

/// Runs the benchmark, prints the section and writes `--out`.
///
/// # Errors
/// When a part does not start, or the output cannot be written. Lost events are
/// reported, and make the command fail after the report is written.
pub fn run(args: &E2eArgs) -> anyhow::Result<()> {
    let mut args = args.clone();
    if args.probot.probot {
        // Probot is an App: its events name the App's installation, so Gantry's do too.
        args.rig.installation = Some(crate::rig::probot::INSTALLATION_ID);
        probot::prepare(&args.probot)?;
    }
    let outcome = measure(&args, true)?;
    let section = outcome.section();
    println!("{section}");
    if let Some(out) = &args.out {
        markdown::write_section(out, HEADING, &section)?;
        tracing::info!(file = %out.display(), "wrote the results");
    }
    let mut lost: u64 = outcome.runs.iter().map(|r| r.matched.lost).sum();
    if args.probot.probot {
        let side = probot::side_by_side(&args, &outcome.runs)?;
        let section = side.section();
        println!("{section}");
        if let Some(out) = &args.out {
            markdown::write_section(out, side::HEADING, &section)?;
        }
        lost += side.lost();
    }
    if lost > 0 {
        bail!("{lost} accepted events never caused their call: see the table");
    }
    Ok(())
}

/// Measures every database in turn. `standalone` puts the machine in the section
/// (the full report states it once at the top instead).
///
/// # Errors
/// As [`run`].
pub fn measure(args: &E2eArgs, standalone: bool) -> anyhow::Result<E2eOutcome> {
    let rates = args.rates();
    if rates.iter().any(|r| *r <= 0.0) || args.seconds == 0 || args.databases.is_empty() {
        bail!("--rate, --sweep and --seconds must be positive and --databases not empty");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("bench-client")
        .build()
        .context("starting a runtime")?;
    let started = chrono::Utc::now();
    let mut runs = Vec::new();
    for (backend, rate) in args
        .databases
        .iter()
        .flat_map(|b| rates.iter().map(move |r| (*b, *r)))
    {
        tracing::info!(
            database = backend.name(),
            rate,
            seconds = args.seconds,
            "end to end"
        );
        let run = runtime.block_on(run_one(args, backend, rate))?;
        tracing::info!(
            database = backend.name(),
            accepted = run.matched.accepted,
            lost = run.matched.lost,
            p50_us = run.matched.latency(50.0),
            p99_us = run.matched.latency(99.0),
            "done"
        );
        runs.push(run);
    }
    runtime.shutdown_timeout(Duration::from_secs(5));
    Ok(E2eOutcome::new(
        args,
        &args.rig.binary()?,
        started,
        standalone,
        runs,
    ))
}

async fn run_one(args: &E2eArgs, backend: Backend, rate: f64) -> anyhow::Result<E2eRun> {
    let mut rig = Rig::start(&args.rig, backend).await?;
    let result = drive(args, &mut rig, rate).await;
    rig.cleanup().await;
    result
}

async fn drive(args: &E2eArgs, rig: &mut Rig, rate: f64) -> anyhow::Result<E2eRun> {
    let (address, pid) = {
        let gantry = rig.gantry()?;
        (gantry.address.clone(), gantry.pid())
    };
    let url = format!("{address}/webhooks/github");
    let http = reqwest::Client::new();
    let drain_timeout = Duration::from_secs(args.drain_timeout);
    let counters = Arc::new(Counters::default());
    let mut warmup_accepted = 0;
    let warmup_events = (args.warmup_secs as f64 * rate).round() as u64;
    if warmup_events > 0 {
        let warm = sender::send_at_rate(
            &url,
            &rig.events,
            &rig.sim,
            rate,
            Duration::from_secs(args.warmup_secs),
            1,
            &counters,
        )
        .await?;
        warmup_accepted = warm.events.iter().filter(|e| e.ack_us.is_some()).count() as u64;
        sender::wait_for_writes(&rig.sim, warmup_accepted, drain_timeout).await;
    }

    let writes_before = rig.sim.write_count();
    let scrape_before = metrics::scrape(&http, &address).await?;
    let cpu_before = cpu::sample(pid);
    let duration = Duration::from_secs(args.seconds);
    let sending = sender::send_at_rate(
        &url,
        &rig.events,
        &rig.sim,
        rate,
        duration,
        warmup_events + 1,
        &counters,
    )
    .await?;
    let cpu = cpu::usage(&cpu_before, &cpu::sample(pid));
    let accepted = sending.events.iter().filter(|e| e.ack_us.is_some()).count() as u64;
    let drain = sender::wait_for_writes(&rig.sim, writes_before + accepted, drain_timeout).await;
    let scrape_after = metrics::scrape(&http, &address).await?;
    let matched = sender::match_calls(&rig.sim, &rig.events, &sending.events);
    if let Some(path) = &args.csv {
        sender::append_csv(
            path,
            rig.backend.name(),
            &rig.sim,
            &rig.events,
            &sending.events,
        )?;
    }
    let log = rig.gantry()?.log_problems();
    let peak_rss_kib = crate::rig::process::peak_rss(pid).unwrap_or(0);
    let clean_exit = rig.stop_gantry().await?;
    let stored = store::count(&rig.database_url).await?;
    Ok(E2eRun {
        backend: rig.backend,
        rate,
        postgres_facts: rig.postgres_facts.clone(),
        sent: sending.events.len() as u64,
        max_lag: sending.max_lag,
        matched,
        cpu,
        job_mean_s: metrics::mean_between(&scrape_before, &scrape_after, "gantry_job_seconds"),
        invoke_mean_s: metrics::mean_between(
            &scrape_before,
            &scrape_after,
            "gantry_plugin_invocation_seconds",
        ),
        errors: scrape_after.errors(),
        stored,
        accepted_in_all: warmup_accepted + accepted,
        clean_exit,
        log,
        drain,
        body_bytes: rig.events.bytes,
        peak_rss_kib,
    })
}
