//! `gantry plugin new` (a plugin crate from the template), `gantry plugin build`
//! (that crate built for wasm32-wasip2), `gantry plugin inspect`
//! (what a component declares, without running it) and `gantry plugin test`
//! (run a plugin on events or a comment as the server would, against a private
//! simulator, and print the report `plugin_report` shapes; only in builds with the
//! `sandbox` feature, since it runs the simulator); the commands managing installed
//! plugins are in `plugin_admin`.
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
    /// Run a plugin as the server would, on events against a private GitHub
    /// simulator: installed with install's checks, configured as `configure` does,
    /// each event processed by the server's own job code (subscriptions, routes,
    /// commands and their permission check, policy). Exits 0 when the plugin ran
    /// for every event and every run ended ok, 1 when a run failed or the plugin was
    /// refused, 2 when for some event it did not run (the report says why).
    Test(TestArgs),
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

/// What `gantry plugin test` runs, and how.
#[derive(Debug, clap::Args)]
#[cfg_attr(not(feature = "sandbox"), allow(dead_code))] // read only with the simulator
pub struct TestArgs {
    /// The plugin component (`.wasm`).
    wasm: PathBuf,
    /// A webhook payload (JSON), such as a file from GitHub's webhook examples;
    /// repeat it to run several events in order against one state.
    #[arg(long)]
    event: Vec<PathBuf>,
    /// The event name (`X-GitHub-Event`) of every `--event`; by default each
    /// payload file's folder name, as in `webhooks/issues/opened.payload.json`.
    #[arg(long)]
    event_name: Option<String>,
    /// A comment to run after the events, such as "/size": an
    /// `issue_comment.created` on what `--on` names.
    #[arg(long)]
    comment: Option<String>,
    /// What the comment is on: `pull_request/opened` or `issues/opened` (GitHub's
    /// example payloads), or a pull request or issue event's payload file.
    #[arg(long, default_value = "pull_request/opened", requires = "comment")]
    on: String,
    /// Who writes the comments: the `--comment` (default `plugin-tester`) and,
    /// when given, every comment `--event` (default: its payload's author).
    #[arg(long = "as", value_name = "LOGIN")]
    commenter: Option<String>,
    /// The commenter's permission on the repository, as the simulated GitHub
    /// answers it (the repository's owner is always admin).
    #[arg(long, default_value = "write",
          value_parser = ["none", "read", "triage", "write", "maintain", "admin"])]
    permission: String,
    /// Configuration (JSON or TOML), merged over the manifest's defaults as
    /// `gantry plugin configure NAME --repo '*'` does.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Keep the database (kv, held approvals, the plugin and its configuration) and
    /// the simulated GitHub in this folder, across runs.
    #[arg(long, value_name = "DIR")]
    state: Option<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    /// Also print the host's log (on standard error).
    #[arg(short, long)]
    verbose: bool,
}

impl TestArgs {
    /// Whether the host's log is wanted.
    #[must_use]
    pub fn verbose(&self) -> bool {
        self.verbose
    }
}

/// Who writes `--comment` without `--as`.
#[cfg(feature = "sandbox")]
const DEFAULT_COMMENTER: &str = "plugin-tester";

/// `gantry plugin test` ran, and for some event the plugin did not run: exit 2.
#[derive(Debug, thiserror::Error)]
#[cfg_attr(not(feature = "sandbox"), allow(dead_code))] // made only with the simulator
#[error("the plugin did not run for {0}; the report says why")]
pub struct NotRun(pub String);

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
    let args = match command {
        PluginSubcommand::New { name, path, sdk } => {
            let dir = path.unwrap_or_else(|| PathBuf::from(&name));
            let sdk = super::new_plugin::create(&name, &dir, sdk.as_deref())?;
            println!("created {} ({name}, SDK at {sdk}). Next:", dir.display());
            println!("  gantry plugin build {}", dir.display());
            println!("  gantry plugin test <the .wasm it prints> --event PAYLOAD.json");
            println!("  gantry plugin test <the .wasm it prints> --comment \"/VERB\" --on pull_request/opened");
            return Ok(());
        }
        PluginSubcommand::Build { dir } => {
            let wasm = super::build_plugin::build(&dir.unwrap_or_else(|| PathBuf::from(".")))?;
            println!("{}", wasm.display());
            return Ok(());
        }
        PluginSubcommand::Test(args) => args,
        PluginSubcommand::Inspect { wasm, json } => return inspect(&wasm, json),
        PluginSubcommand::Admin(command) => {
            let db = database()?;
            return super::plugin_admin::run(command, &db)
                .await
                .map_err(|err| db.explain(err));
        }
    };
    test(args).await
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

/// Runs the events against a private simulator and prints the report.
#[cfg(feature = "sandbox")]
async fn test(args: TestArgs) -> anyhow::Result<()> {
    use crate::services::plugin_test::{self, comment, TestEvent, TestOptions};
    let bytes =
        std::fs::read(&args.wasm).with_context(|| format!("reading {}", args.wasm.display()))?;
    let mut events = Vec::new();
    for path in &args.event {
        let payload = read_json(path)?;
        let name = match &args.event_name {
            Some(name) => name.clone(),
            None => event_name_of(path)?,
        };
        events.push(TestEvent { name, payload });
    }
    let mut context = Vec::new();
    if let Some(text) = &args.comment {
        let on = match comment::built_in(&args.on) {
            Some(on) => on,
            None if std::path::Path::new(&args.on).is_file() => {
                comment::target_of(read_json(std::path::Path::new(&args.on))?)
                    .map_err(anyhow::Error::msg)?
            }
            None => anyhow::bail!(
                "--on {}: no such file; give a payload file or one of {}",
                args.on,
                comment::BUILT_IN.join(", ")
            ),
        };
        let id = 9_000_000 + u64::try_from(events.len()).unwrap_or_default();
        let login = args.commenter.as_deref().unwrap_or(DEFAULT_COMMENTER);
        events.push(comment::on(&on, text, login, id));
        context.push(on);
    }
    if events.is_empty() {
        anyhow::bail!("nothing to run: give --event PAYLOAD.json, or --comment \"/VERB\" (on --on pull_request/opened)");
    }
    let config = args
        .config
        .as_deref()
        .map(super::plugin_admin::read_config)
        .transpose()?;
    let options = TestOptions {
        state_dir: args.state.as_deref(),
        config: config.as_ref(),
        context,
        commenter: args.commenter.as_deref(),
        permission: &args.permission,
    };
    let report = plugin_test::run(&bytes, &events, &options).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        super::plugin_report::print(&report);
    }
    if !report.all_ok() {
        anyhow::bail!("a run of the plugin did not end ok (see the report above)");
    }
    let not_run: Vec<&str> = report.not_run().map(|e| e.event.as_str()).collect();
    if !not_run.is_empty() {
        return Err(NotRun(not_run.join(", ")).into());
    }
    Ok(())
}

#[cfg(not(feature = "sandbox"))]
#[allow(clippy::unused_async)] // the same signature as the sandbox build's
async fn test(_: TestArgs) -> anyhow::Result<()> {
    Err(super::without_sandbox("gantry plugin test"))
}

/// A JSON file, read and parsed.
#[cfg(feature = "sandbox")]
fn read_json(path: &std::path::Path) -> anyhow::Result<serde_json::Value> {
    let text = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_slice(&text).with_context(|| format!("{} is not JSON", path.display()))
}

/// The event a payload file holds, from its folder's name (GitHub's examples are
/// laid out as `EVENT/ACTION.payload.json`).
#[cfg(feature = "sandbox")]
fn event_name_of(path: &std::path::Path) -> anyhow::Result<String> {
    let folder = path
        .parent()
        .and_then(|p| p.file_name())
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    if crate::domain::is_known_event(folder) {
        Ok(folder.to_owned())
    } else {
        anyhow::bail!(
            "say which event {} is with --event-name EVENT (its folder `{folder}` is not a GitHub event name)",
            path.display()
        )
    }
}
