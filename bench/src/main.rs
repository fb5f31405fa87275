//! `gantry-bench`: Gantry's benchmarks as commands rather than timed tests, so a run
//! is deliberate, takes minutes, and writes its results where people read them
//! (`docs/performance.md`). One subcommand per benchmark of the test plan: `intake`
//! is row P1, `plugin` row P2, `e2e` row P3, `soak` row P4; `db-insert` measures the
//! database's own insert rate P1 is compared with; `report` runs them all and writes
//! the whole file. `common` holds what they share, `rig` the simulator and `gantry`
//! process that P3 and P4 drive.
//!
//! P1 and P2 drive the server's library API in-process, so they measure exactly what
//! `Application::build` and `PluginRuntime::invoke` do; P3 and P4 run the built
//! `gantry` binary as a separate process, as it is deployed.
mod common;
mod e2e;
mod faults;
mod intake;
mod limits;
mod pages;
mod plugin;
mod report;
mod rig;
mod soak;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

/// Gantry's benchmarks.
#[derive(Debug, Parser)]
#[command(name = "gantry-bench", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Signed webhook deliveries at a fixed number of connections against Gantry on
    /// SQLite, Gantry on PostgreSQL and a bare actix-web server (TESTPLAN P1).
    Intake(intake::IntakeArgs),
    /// A fresh plugin instance plus one call, through Gantry and through bare
    /// wasmtime, with a tiny and a 15 KiB payload (TESTPLAN P2).
    Plugin(plugin::PluginArgs),
    /// Every dashboard page against a million audit rows and 100,000 deliveries: p50 and p99.
    Pages(pages::PagesArgs),
    /// Webhook in, plugin acts, the simulator sees the API call: latency per event at a
    /// fixed rate, on SQLite and PostgreSQL, against the `gantry` binary (TESTPLAN P3);
    /// with `--probot`, beside the Probot app of `bench/probot` (issue 19).
    E2e(e2e::E2eArgs),
    /// Storage faults at load (issue 16): PostgreSQL stopped, crashed or its backends
    /// terminated, SQLite locked or its disk full, then a SIGKILL; what was lost,
    /// doubled or slow. Writes `docs/reliability.md`'s measured table with --out.
    Faults(faults::FaultsArgs),
    /// An hour at 20 events/s against the `gantry` binary: memory, open files and
    /// errors sampled every 10 s (TESTPLAN P4).
    Soak(soak::SoakArgs),
    /// The database's own rate of one-row 9 KiB inserts at 50 writers, and that of
    /// Gantry's `store_with_job` without HTTP: the limits P1 is compared with.
    DbInsert(limits::InsertArgs),
    /// P1 to P4 and the limits in one run, written as the whole of
    /// `docs/performance.md` (the `pages` sections are kept).
    Report(Box<report::ReportArgs>),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Logs go to stderr so stdout carries only the result table. The default filter is
    // the server's own (`gantry_server::telemetry`), so spans cost what they cost in
    // production.
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,wasmtime=warn,cranelift=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(std::io::stderr)
        .try_init();
    let result = match cli.command {
        Command::Intake(args) => intake::run(&args),
        Command::Plugin(args) => plugin::run(&args),
        Command::Pages(args) => pages::run(&args),
        Command::E2e(args) => e2e::run(&args),
        Command::Soak(args) => soak::run(&args),
        Command::Faults(args) => faults::run(&args),
        Command::DbInsert(args) => limits::run(&args),
        Command::Report(args) => report::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!("{err:#}");
            ExitCode::FAILURE
        }
    }
}
