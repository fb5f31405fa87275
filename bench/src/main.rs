//! `gantry-bench`: Gantry's benchmarks as commands rather than timed tests, so a run
//! is deliberate, takes minutes, and writes its results where people read them
//! (`docs/performance.md`). One subcommand per benchmark of the test plan: `intake`
//! is row P1, `plugin` row P2; `common` holds what they share.
//!
//! The bench drives the server's library API in-process (no `gantry` binary), so it
//! measures exactly what `Application::build` wires up.
mod common;
mod intake;
mod pages;
mod plugin;

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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Logs go to stderr so stdout carries only the result table. The default filter is
    // the server's own (`gantry_server::telemetry`), so spans cost what they cost in
    // production.
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,wasmtime=warn,cranelift=warn"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_target(false).with_writer(std::io::stderr).try_init();
    let result = match cli.command {
        Command::Intake(args) => intake::run(&args),
        Command::Plugin(args) => plugin::run(&args),
        Command::Pages(args) => pages::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!("{err:#}");
            ExitCode::FAILURE
        }
    }
}
