//! The `gantry` command line: `serve`, `migrate`, `sandbox`, `config`, `app`, `deliveries`,
//! `secrets`, `plugin`, `policy`, `audit`, and accounts: `admin`, `user`, `team`,
//! `token`.
mod accounts;
mod app;
mod build_plugin;
mod config_check;
mod database;
mod deliveries;
pub mod new_plugin;
mod plugin;
mod plugin_admin;
#[cfg(feature = "sandbox")]
mod plugin_report;
mod policy;
mod sdk_bundle;
mod secrets;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use gantry_migrations::{Migrator, MigratorTrait};

use crate::config::Settings;
use crate::startup::{Application, Extras};
use crate::{db, telemetry};

/// Gantry: a self-hosted, plugin-based agent platform for GitHub.
#[derive(Debug, Parser)]
#[command(name = "gantry", version, about)]
pub struct Cli {
    /// Settings file (TOML). `GANTRY_*` environment variables override it.
    #[arg(long, global = true, env = "GANTRY_CONFIG")]
    config: Option<PathBuf>,
    /// Log as JSON lines instead of text.
    #[arg(long, global = true)]
    log_json: bool,
    /// Use a sandbox's database and key: the folder `gantry sandbox` ran with (its
    /// --data-dir; default .gantry/sandbox). Without it, a sandbox's database in this
    /// folder is used when the settings choose none and .gantry/gantry.db is absent.
    #[arg(long, global = true, value_name = "DIR", num_args = 0..=1,
          default_missing_value = database::SANDBOX_DIR)]
    sandbox: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server: webhook intake, workers and plugins.
    Serve,
    /// Apply database migrations (or roll them back).
    Migrate {
        #[command(subcommand)]
        action: Option<MigrateAction>,
    },
    /// Run everything on one machine with a GitHub simulator and the bundled plugins.
    #[cfg(feature = "sandbox")]
    Sandbox(crate::sandbox::SandboxArgs),
    /// (Not in this build: it was built without the `sandbox` feature.)
    #[cfg(not(feature = "sandbox"))]
    #[command(hide = true)]
    Sandbox {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
        args: Vec<String>,
    },
    /// Register the GitHub App from a manifest, and store it.
    App {
        #[command(subcommand)]
        command: app::AppCommand,
    },
    /// Check the settings: the production checks and the effective configuration.
    Config {
        #[command(subcommand)]
        command: config_check::ConfigCommand,
    },
    /// Manage webhook secrets by scope (stored encrypted).
    Secrets {
        #[command(subcommand)]
        command: secrets::SecretsCommand,
    },
    /// Install and manage plugins; develop them (create one from the template, run
    /// one against a simulator).
    Plugin {
        #[command(subcommand)]
        command: plugin::PluginSubcommand,
    },
    /// Manage permission policy rules and explain decisions.
    Policy {
        #[command(subcommand)]
        command: policy::PolicyCommand,
    },
    /// Check the audit log's chain, or print its head to keep elsewhere.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Inspect and replay stored webhook deliveries.
    Deliveries {
        #[command(subcommand)]
        command: deliveries::DeliveriesCommand,
    },
    /// Create admins and set passwords.
    Admin {
        #[command(subcommand)]
        command: accounts::AdminCommand,
    },
    /// Manage dashboard users and their roles.
    User {
        #[command(subcommand)]
        command: accounts::UserCommand,
    },
    /// Manage teams, their members and their roles on projects.
    Team {
        #[command(subcommand)]
        command: accounts::TeamCommand,
    },
    /// Create, list and revoke API tokens.
    Token {
        #[command(subcommand)]
        command: accounts::TokenCommand,
    },
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Verify the chain (under `secrets.key`); names the first broken row.
    Verify {
        /// A head printed earlier by `gantry audit head` (`ID:HASH`): the check
        /// also fails when that row is gone or changed, so removing rows from the
        /// end of the log is found.
        #[arg(long)]
        expect_head: Option<String>,
    },
    /// Print the chain's last row as `ID:HASH`, to keep outside the database
    /// (logs, object storage) for `verify --expect-head`.
    Head,
}

#[derive(Debug, Subcommand)]
enum MigrateAction {
    /// Apply every pending migration (the default).
    Up,
    /// Roll back the last N migrations (all with --all). Rolling back the audit
    /// log or its protections needs --force.
    Down {
        /// How many to roll back.
        #[arg(default_value_t = 1)]
        steps: u32,
        /// Roll back every migration.
        #[arg(long)]
        all: bool,
        /// Also when that drops the audit log or its append-only guards.
        #[arg(long)]
        force: bool,
    },
    /// List migrations and whether they are applied.
    Status,
}

/// Parses the command line and runs the command.
#[must_use]
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    // Only `serve` exports spans. Its settings are read before the subscriber exists;
    // if they cannot be read, `run` reads them again and reports why.
    let exporting = match cli.command {
        Command::Serve => Settings::load(cli.config.as_deref())
            .ok()
            .map(|s| s.telemetry),
        _ => None,
    };
    // Dropped when `main` returns, after the runtime: the last spans are flushed then.
    let _telemetry = match exporting {
        Some(settings) => {
            telemetry::init_exporting(cli.log_json, &settings).unwrap_or_else(|err| {
                telemetry::init(cli.log_json);
                tracing::error!("span export is off: {err:#}");
                telemetry::Telemetry::default()
            })
        }
        None if quiet(&cli.command) => {
            telemetry::init_quiet(cli.log_json);
            telemetry::Telemetry::default()
        }
        None => {
            telemetry::init(cli.log_json);
            telemetry::Telemetry::default()
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            tracing::error!(%err, "could not start the async runtime");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            report_error(&err);
            if err.downcast_ref::<plugin::NotRun>().is_some() {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

/// Whether the command prints a report and logs only when asked
/// (`gantry plugin test` without `-v`).
fn quiet(command: &Command) -> bool {
    match command {
        Command::Plugin {
            command: plugin::PluginSubcommand::Test(args),
        } => !args.verbose(),
        _ => false,
    }
}

/// A failed command's error as one plain line on standard error (no log prefix), the
/// causes after the message.
#[allow(clippy::print_stderr)]
fn report_error(err: &anyhow::Error) {
    eprintln!("error: {err:#}");
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = cli.config.as_deref();
    let resolve = || database::CliDatabase::resolve(config, cli.sandbox.as_deref());
    match cli.command {
        Command::Serve => {
            let settings = Settings::load(config)?;
            let app = Application::build(settings, Extras::default()).await?;
            tracing::info!(port = app.port(), "gantry is serving");
            app.run_until_stopped()
                .await
                .context("the HTTP server failed")
        }
        Command::Migrate { action } => {
            let db = resolve()?;
            let outcome = async {
                let conn = db::connect(&db.settings.database_url(), 2).await?;
                match action.unwrap_or(MigrateAction::Up) {
                    MigrateAction::Up => db::migrate(&conn).await?,
                    MigrateAction::Down { steps, all, force } => {
                        db::roll_back(&conn, if all { None } else { Some(steps) }, force).await?;
                    }
                    MigrateAction::Status => Migrator::status(&conn)
                        .await
                        .context("reading migration status")?,
                }
                tracing::info!("migrations done");
                anyhow::Ok(())
            };
            outcome.await.map_err(|err| db.explain(err))
        }
        #[cfg(feature = "sandbox")]
        Command::Sandbox(args) => crate::sandbox::run(config, args).await,
        #[cfg(not(feature = "sandbox"))]
        Command::Sandbox { .. } => Err(without_sandbox("gantry sandbox")),
        Command::Plugin { command } => plugin::run(command, &resolve).await,
        command => {
            let db = resolve()?;
            run_on_database(&db, command)
                .await
                .map_err(|err| db.explain(err))
        }
    }
}

/// Runs a command that works on the database `db` names.
async fn run_on_database(db: &database::CliDatabase, command: Command) -> anyhow::Result<()> {
    match command {
        Command::Secrets { command } => secrets::run(&db.settings, db.open(), command).await,
        Command::Config { command } => config_check::run(db, command).await,
        Command::App { command } => app::run(db, command).await,
        Command::Policy { command } => {
            policy::run(&db.open().await?, &db.audit_key()?, command).await
        }
        Command::Audit { command } => {
            let (conn, key) = (db.open().await?, db.audit_key()?);
            match command {
                AuditCommand::Verify { expect_head } => {
                    policy::verify_audit(&conn, &key, expect_head.as_deref()).await
                }
                AuditCommand::Head => policy::audit_head(&conn).await,
            }
        }
        Command::Deliveries { command } => {
            let key = db.audit_key()?;
            deliveries::run(&db.open_existing().await?, &key, command).await
        }
        Command::Admin { command } => {
            accounts::run_admin(&db.open().await?, &db.audit_key()?, command).await
        }
        Command::User { command } => {
            accounts::run_user(&db.open().await?, &db.audit_key()?, command).await
        }
        Command::Team { command } => {
            accounts::run_team(&db.open().await?, &db.audit_key()?, command).await
        }
        Command::Token { command } => {
            accounts::run_token(&db.open().await?, &db.audit_key()?, command).await
        }
        Command::Serve
        | Command::Migrate { .. }
        | Command::Sandbox { .. }
        | Command::Plugin { .. } => {
            anyhow::bail!("this command does not run on the database alone")
        }
    }
}

/// The error of a command this build leaves out: production builds have no simulator.
#[cfg(not(feature = "sandbox"))]
pub(crate) fn without_sandbox(command: &str) -> anyhow::Error {
    anyhow::anyhow!(
        "`{command}` runs the GitHub simulator, which this build of gantry leaves out (a \
         production build, without the `sandbox` feature); use a development build \
         (`cargo build --bin gantry`, or ./dev sandbox)"
    )
}
