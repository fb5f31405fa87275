//! `gantry plugin new` (a plugin crate from the template), `gantry plugin build`
//! (that crate built for wasm32-wasip2), `gantry plugin inspect`
//! (what a component declares, without running it) and `gantry plugin test`
//! (run a plugin once against a private simulator and print what it did and what the
//! policy decided; only in builds with the `sandbox` feature, since it runs the
//! simulator); the commands managing installed plugins are in `plugin_admin`.
use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;

/// What to do with a plugin.
#[derive(Debug, Subcommand)]
pub enum PluginSubcommand {
    /// Create a plugin crate from the template.
    New {
        /// The plugin's name (lower case letters, digits and `-`).
        name: String,
        /// Where to create it (default: ./NAME).
        #[arg(long)]
        path: Option<PathBuf>,
        /// The Gantry plugin SDK (default: ./plugin-sdk in a Gantry checkout, else
        /// the SDK built into this binary, written to the crate's .gantry/sdk).
        #[arg(long)]
        sdk: Option<PathBuf>,
    },
    /// Build a plugin crate for wasm32-wasip2 and print the component's path.
    Build {
        /// The crate (default: the current folder).
        dir: Option<PathBuf>,
    },
    /// Run a plugin on one event against a private GitHub simulator; exits non-zero
    /// unless the plugin succeeds.
    Test {
        /// The plugin component (`.wasm`).
        wasm: PathBuf,
        /// A webhook payload (JSON), such as a file from GitHub's webhook examples.
        #[arg(long)]
        event: PathBuf,
        /// The event name (`X-GitHub-Event`); by default the payload file's folder
        /// name, as in `webhooks/issues/opened.payload.json`.
        #[arg(long)]
        event_name: Option<String>,
        /// Configuration (JSON or TOML) instead of the manifest's default.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show a component's WIT version, SDK version, events, commands and
    /// capabilities, read from the file without running it.
    Inspect {
        /// The plugin component (`.wasm`).
        wasm: PathBuf,
        /// Print it as JSON.
        #[arg(long)]
        json: bool,
    },
    #[command(flatten)]
    Admin(super::plugin_admin::AdminCommand),
}

/// Runs a `gantry plugin` command; those managing installed plugins open the
/// database `database` resolves.
///
/// # Errors
/// When files cannot be read, the plugin does not load, it does not succeed, or a
/// change is refused.
pub(super) async fn run(
    command: PluginSubcommand,
    database: &dyn Fn() -> anyhow::Result<super::database::CliDatabase>,
) -> anyhow::Result<()> {
    let (wasm, event, event_name, config, json) = match command {
        PluginSubcommand::New { name, path, sdk } => {
            let dir = path.unwrap_or_else(|| PathBuf::from(&name));
            let sdk = super::new_plugin::create(&name, &dir, sdk.as_deref())?;
            println!("created {} ({name}, SDK at {sdk}). Next:", dir.display());
            println!("  gantry plugin build {}", dir.display());
            println!("  gantry plugin test <the .wasm it prints> --event PAYLOAD.json");
            return Ok(());
        }
        PluginSubcommand::Build { dir } => {
            let wasm = super::build_plugin::build(&dir.unwrap_or_else(|| PathBuf::from(".")))?;
            println!("{}", wasm.display());
            return Ok(());
        }
        PluginSubcommand::Test {
            wasm,
            event,
            event_name,
            config,
            json,
        } => (wasm, event, event_name, config, json),
        PluginSubcommand::Inspect { wasm, json } => return inspect(&wasm, json),
        PluginSubcommand::Admin(command) => {
            let db = database()?;
            return super::plugin_admin::run(command, &db)
                .await
                .map_err(|err| db.explain(err));
        }
    };
    let bytes = std::fs::read(&wasm).with_context(|| format!("reading {}", wasm.display()))?;
    let payload = std::fs::read(&event).with_context(|| format!("reading {}", event.display()))?;
    let event_name = match event_name {
        Some(name) => name,
        None => event
            .parent()
            .and_then(|p| p.file_name())
            .and_then(|n| n.to_str())
            .map(str::to_owned)
            .context("say which event this is with --event-name")?,
    };
    let config = match &config {
        Some(path) => Some(super::plugin_admin::read_config(path)?),
        None => None,
    };
    test(&bytes, &event_name, &payload, config.as_ref(), json).await
}

/// Prints what a component declares and which WIT version it speaks.
fn inspect(wasm: &std::path::Path, json: bool) -> anyhow::Result<()> {
    let bytes = std::fs::read(wasm).with_context(|| format!("reading {}", wasm.display()))?;
    let runtime = crate::wasm_host::PluginRuntime::new(crate::config::Limits::default())?;
    let shown = crate::wasm_host::inspect::inspect(&bytes, &runtime)
        .with_context(|| format!("{} is not a Gantry plugin", wasm.display()))?;
    if json {
        println!("{}", serde_json::to_string_pretty(&shown)?);
    } else {
        println!("{shown}");
    }
    Ok(())
}

/// Runs the plugin once against a private simulator and prints the report.
#[cfg(feature = "sandbox")]
async fn test(
    bytes: &[u8],
    event_name: &str,
    payload: &[u8],
    config: Option<&serde_json::Value>,
    json: bool,
) -> anyhow::Result<()> {
    use crate::services::plugin_test;
    let report = plugin_test::run(bytes, event_name, payload, config).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_report(&report);
    }
    if report.outcome != "ok" {
        anyhow::bail!("the plugin ended with `{}`", report.outcome);
    }
    Ok(())
}

#[cfg(not(feature = "sandbox"))]
#[allow(clippy::unused_async)] // the same signature as the sandbox build's
async fn test(
    _: &[u8],
    _: &str,
    _: &[u8],
    _: Option<&serde_json::Value>,
    _: bool,
) -> anyhow::Result<()> {
    Err(super::without_sandbox("gantry plugin test"))
}

#[cfg(feature = "sandbox")]
fn print_report(r: &crate::services::plugin_test::TestReport) {
    println!(
        "plugin {} (sdk {}) on {}",
        r.plugin,
        r.sdk_version.as_deref().unwrap_or("unknown"),
        r.event
    );
    if !r.subscribed {
        println!(
            "note: the manifest does not subscribe to {}; it ran anyway",
            r.event
        );
    }
    println!("outcome: {} in {} ms", r.outcome, r.duration_ms);
    if let Some(message) = &r.message {
        println!("message: {message}");
    }
    if !r.log.is_empty() {
        println!("log:");
        for line in r.log.lines() {
            println!("  {line}");
        }
    }
    println!("policy:");
    if r.decisions.is_empty() {
        println!("  (no GitHub writes)");
    }
    for (capability, effect, why) in &r.decisions {
        println!("  {capability} -> {effect}: {why}");
    }
    for (id, action) in &r.held {
        println!("  held for approval {id}: {action}");
    }
    println!("GitHub (simulated) afterwards:");
    println!(
        "  labels: {}",
        if r.labels.is_empty() {
            "(none)".to_owned()
        } else {
            r.labels.join(", ")
        }
    );
    println!("  comments: {}", r.comments.len());
    for c in &r.comments {
        println!("    | {}", c.lines().next().unwrap_or_default());
    }
}
