//! `gantry app register` and `gantry app convert`: the dashboard's one-click GitHub
//! App registration from the command line. `register` prints the App manifest built
//! from the installed plugins and the GitHub page to post it to, and writes a page
//! that posts it when opened in a browser; after creating the App, GitHub redirects
//! to `/dashboard/app/callback?code=...`, and `convert CODE` stores the App (its key
//! sealed, its webhook secret as a global secret), audited.
use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;

use super::database::CliDatabase;
use crate::domain::Actor;
use crate::services::app_setup;

/// The GitHub App.
#[derive(Debug, Subcommand)]
pub enum AppCommand {
    /// Print the App manifest (the permissions and events the installed plugins
    /// need) and write a page that posts it to GitHub's registration page.
    Register {
        /// Where GitHub reaches this Gantry (`https://gantry.example.com`).
        #[arg(long)]
        url: String,
        /// Register it for this organisation (default: your own account).
        #[arg(long)]
        org: Option<String>,
        /// GitHub's address: GitHub.com or your GitHub Enterprise Server.
        #[arg(long, default_value = "https://github.com")]
        github: String,
        /// The page to write.
        #[arg(long, default_value = "register-github-app.html")]
        out: PathBuf,
    },
    /// Store the App GitHub created, from the `code` of its redirect.
    Convert {
        /// The `code` query parameter GitHub added to the redirect.
        code: String,
    },
}

/// Runs `gantry app ...` on the database `db` names.
///
/// # Errors
/// When the database fails, the arguments are wrong, or GitHub refuses the code.
pub(super) async fn run(db: &CliDatabase, command: AppCommand) -> anyhow::Result<()> {
    match command {
        AppCommand::Register {
            url,
            org,
            github,
            out,
        } => {
            let conn = db.open_existing().await?;
            let needed = app_setup::installed_needs(&conn).await?;
            let manifest = app_setup::app_manifest(&needed, &url, "Gantry");
            // No session to tie it to: `convert` takes the code by hand.
            let target = app_setup::registration_url(&github, org.as_deref(), "cli")?;
            let json = serde_json::to_string_pretty(&manifest)?;
            let page = format!(
                "<!doctype html>\n<meta charset=\"utf-8\"><title>Register GitHub App</title>\n<form method=\"post\" action=\"{}\">\n<input type=\"hidden\" name=\"manifest\" value=\"{}\">\n<button type=\"submit\">Register GitHub App</button>\n</form>\n",
                escape(&target),
                escape(&serde_json::to_string(&manifest)?)
            );
            std::fs::write(&out, page).with_context(|| format!("writing {}", out.display()))?;
            println!("{json}");
            println!();
            println!(
                "Open {} in a browser and press the button: it posts this manifest to {target}.",
                out.display()
            );
            println!(
                "GitHub then sends you to {}/dashboard/app/callback?code=CODE&state=cli;",
                url.trim_end_matches('/')
            );
            println!("run `gantry app convert CODE` with that code (good once, for an hour).");
            Ok(())
        }
        AppCommand::Convert { code } => {
            let conn = db.open().await?;
            let app =
                app_setup::convert(&conn, &db.settings, &db.audit_key()?, &code, Actor::cli())
                    .await?;
            println!(
                "stored the GitHub App {} (id {}); restart Gantry to run as it, and install it: {}/installations/new",
                app.slug, app.app_id, app.html_url
            );
            Ok(())
        }
    }
}

/// `text` safe inside a double-quoted HTML attribute.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
