//! `gantry config check`: the production checks `gantry serve` makes with
//! `server.environment = "production"`, run in any environment, and the effective
//! configuration (file, then environment, then defaults) with every secret masked.
use anyhow::bail;
use clap::Subcommand;

use super::database::CliDatabase;
use crate::config::production::{self, StoredSecrets};
use crate::config::Environment;

/// What to do with the settings.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Run the production checks and print the effective configuration, secrets
    /// masked. Exits non-zero when a check fails in production.
    Check,
}

/// Runs `gantry config check` on the settings (and database) `db` resolved.
///
/// # Errors
/// In production, when a check fails (the report is printed first).
pub(super) async fn run(db: &CliDatabase, command: ConfigCommand) -> anyhow::Result<()> {
    let ConfigCommand::Check = command;
    let settings = &db.settings;
    let stored = if settings.webhook.secrets.is_empty() {
        match db.open_existing().await {
            Ok(conn) => crate::secrets::webhook::stored(&conn).await,
            Err(err) => StoredSecrets::Unknown(format!("{err:#}")),
        }
    } else {
        StoredSecrets::None
    };
    let problems = settings.production_problems(&stored);
    let production = settings.server.environment == Environment::Production;
    println!(
        "environment: {}",
        if production {
            "production"
        } else {
            "development"
        }
    );
    if problems.is_empty() {
        println!("production checks: all pass");
    } else {
        println!(
            "production checks: {} problem{}{}",
            problems.len(),
            if problems.len() == 1 { "" } else { "s" },
            if production {
                ""
            } else {
                " (in production, `gantry serve` would refuse to start)"
            }
        );
        println!("{}", production::list(&problems));
    }
    println!();
    println!("# effective configuration (secrets masked as \"***\")");
    print!("{}", toml::to_string_pretty(settings)?);
    if production && !problems.is_empty() {
        bail!(
            "{} production check{} failed",
            problems.len(),
            if problems.len() == 1 { "" } else { "s" }
        );
    }
    Ok(())
}
