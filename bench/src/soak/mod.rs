//! `soak` (TESTPLAN P4): the end-to-end set-up (see [`crate::rig`]) left idle, then
//! fed a steady 20 events/s for an hour, with the `gantry` process's resident memory,
//! open files and error counters sampled every 10 s. The report gives the idle
//! memory, how memory and open files moved under load (with a fitted growth per
//! hour), the errors, and the samples.
mod fit;
mod report;

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

pub use self::report::{SoakOutcome, SoakRun, HEADING};
use crate::common::markdown;
use crate::rig::process::{memory, open_files};
use crate::rig::sender::{self, Counters};
use crate::rig::{cpu, metrics, store, Backend, Rig, RigArgs};

/// Options of `gantry-bench soak`.
#[derive(Debug, Clone, clap::Args)]
pub struct SoakArgs {
    /// Events per second.
    #[arg(long, default_value_t = 20.0)]
    pub rate: f64,
    /// Minutes of load.
    #[arg(long, default_value_t = 60.0)]
    pub minutes: f64,
    /// Seconds the server sits idle after start before the load, sampled like the rest.
    #[arg(long, default_value_t = 30)]
    pub idle_secs: u64,
    /// Seconds between samples.
    #[arg(long, default_value_t = 10)]
    pub sample_secs: u64,
    /// Databases, run in this order (each for the whole duration).
    #[arg(long, value_enum, value_delimiter = ',', default_value = "sqlite")]
    pub databases: Vec<Backend>,
    /// Longest wait, in seconds, after the last event for the calls still to come.
    #[arg(long, default_value_t = 120)]
    pub drain_timeout: u64,
    /// Markdown file whose `## Soak (TESTPLAN P4)` section is written (created if missing).
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub rig: RigArgs,
}

/// One reading of the server.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sample {
    /// Seconds since the load started; negative while idle.
    pub at_s: f64,
    /// Resident memory, KiB.
    pub memory: crate::rig::process::Memory,
    /// Open file descriptors.
    pub fds: usize,
    /// Events sent so far.
    pub sent: u64,
    /// Events not answered 202 so far.
    pub not_accepted: u64,
    /// Calls the simulator served so far.
    pub calls: u64,
    /// The server's error counters.
    pub errors: metrics::Errors,
}

/// Runs the benchmark, prints the section and writes `--out`.
///
/// # Errors
/// When a part does not start, the server dies, or the output cannot be written.
pub fn run(args: &SoakArgs) -> anyhow::Result<()> {
    let outcome = measure(args, true)?;
    let section = outcome.section();
    println!("{section}");
    if let Some(out) = &args.out {
        markdown::write_section(out, HEADING, &section)?;
        tracing::info!(file = %out.display(), "wrote the results");
    }
    Ok(())
}

/// Soaks every database in turn. `standalone` puts the machine in the section.
///
/// # Errors
/// As [`run`].
pub fn measure(args: &SoakArgs, standalone: bool) -> anyhow::Result<SoakOutcome> {
    if args.rate <= 0.0 || args.minutes <= 0.0 || args.sample_secs == 0 || args.databases.is_empty()
    {
        bail!("--rate, --minutes and --sample-secs must be positive and --databases not empty");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("bench-client")
        .build()
        .context("starting a runtime")?;
    let started = chrono::Utc::now();
    let mut runs = Vec::new();
    for backend in &args.databases {
        tracing::info!(
            database = backend.name(),
            rate = args.rate,
            minutes = args.minutes,
            "soak"
        );
        runs.push(runtime.block_on(run_one(args, *backend))?);
    }
    runtime.shutdown_timeout(Duration::from_secs(5));
    Ok(SoakOutcome::new(
        args,
        &args.rig.binary()?,
        started,
        standalone,
        runs,
    ))
}

async fn run_one(args: &SoakArgs, backend: Backend) -> anyhow::Result<SoakRun> {
    let mut rig = Rig::start(&args.rig, backend).await?;
    let result = drive(args, &mut rig).await;
    rig.cleanup().await;
    result
}

async fn drive(args: &SoakArgs, rig: &mut Rig) -> anyhow::Result<SoakRun> {
    let (address, pid) = {
        let gantry = rig.gantry()?;
        (gantry.address.clone(), gantry.pid())
    };
    let http = reqwest::Client::new();
    let every = Duration::from_secs(args.sample_secs);
    let counters = Arc::new(Counters::default());
    let mut samples = Vec::new();

    // Idle: started and ready, nothing sent yet.
    let idle_from = Instant::now() + Duration::from_secs(args.idle_secs);
    loop {
        let at_s = -idle_from
            .saturating_duration_since(Instant::now())
            .as_secs_f64();
        samples.push(sample(pid, at_s, &counters, rig, &http, &address).await?);
        if Instant::now() >= idle_from {
            break;
        }
        tokio::time::sleep(every.min(idle_from.saturating_duration_since(Instant::now()))).await;
    }

    let duration = Duration::from_secs_f64(args.minutes * 60.0);
    let url = format!("{address}/webhooks/github");
    let (events, sim) = (rig.events.clone(), rig.sim.clone());
    let task_counters = Arc::clone(&counters);
    let rate = args.rate;
    let cpu_before = cpu::sample(pid);
    let load_start = Instant::now();
    let sending = tokio::spawn(async move {
        sender::send_at_rate(&url, &events, &sim, rate, duration, 1, &task_counters).await
    });
    let mut next = load_start + every;
    while !sending.is_finished() {
        tokio::time::sleep_until(next.into()).await;
        next += every;
        if sending.is_finished() {
            break;
        }
        let at_s = load_start.elapsed().as_secs_f64();
        let reading = sample(pid, at_s, &counters, rig, &http, &address)
            .await
            .context("the gantry process stopped answering during the soak")?;
        tracing::info!(
            at_s = at_s as u64,
            rss_mib = reading.memory.rss / 1024,
            fds = reading.fds,
            sent = reading.sent,
            errors = reading.errors.total() + reading.not_accepted,
            "sample"
        );
        samples.push(reading);
    }
    let sending = sending.await.context("the sender failed")??;
    let cpu = cpu::usage(&cpu_before, &cpu::sample(pid));
    let load_seconds = load_start.elapsed().as_secs_f64();
    let accepted = counters.accepted.load(Ordering::Relaxed);
    let drain =
        sender::wait_for_writes(&rig.sim, accepted, Duration::from_secs(args.drain_timeout)).await;
    let last = sample(
        pid,
        load_start.elapsed().as_secs_f64(),
        &counters,
        rig,
        &http,
        &address,
    )
    .await?;
    samples.push(last);
    let matched = sender::match_calls(&rig.sim, &rig.events, &sending.events);
    let log = rig.gantry()?.log_problems();
    let clean_exit = rig.stop_gantry().await?;
    let stored = store::count(&rig.database_url).await?;
    Ok(SoakRun {
        backend: rig.backend,
        samples,
        load_seconds,
        matched,
        cpu,
        stored,
        clean_exit,
        log,
        drain,
        max_lag: sending.max_lag,
        body_bytes: rig.events.bytes,
    })
}

async fn sample(
    pid: u32,
    at_s: f64,
    counters: &Counters,
    rig: &Rig,
    http: &reqwest::Client,
    address: &str,
) -> anyhow::Result<Sample> {
    let memory = memory(pid).context("the gantry process is gone")?;
    let fds = open_files(pid).context("the gantry process is gone")?;
    let errors = metrics::scrape(http, address).await?.errors();
    Ok(Sample {
        at_s,
        memory,
        fds,
        sent: counters.sent.load(Ordering::Relaxed),
        not_accepted: counters.failed.load(Ordering::Relaxed),
        calls: rig.sim.write_count(),
        errors,
    })
}
