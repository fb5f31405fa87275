//! `gantry sandbox`: the whole platform on one machine with no GitHub account. It
//! starts the GitHub simulator (answering without credentials), points the GitHub
//! client and git traffic (`github.git_url`) at it, stores everything on SQLite under `--data-dir`, loads the bundled
//! plugins, turns on reading repositories' `.github/gantry.yml`
//! (`[repository_config]`, off by default elsewhere), and lets the simulator learn
//! from every delivery. Everything (database,
//! queued jobs, the simulator's state) lives under `--data-dir`, so a restarted
//! sandbox goes on where it stopped.
//!
//! The sandbox is for a developer's machine: it refuses to start on an address other
//! than loopback (its simulator answers anyone, and without `GANTRY_WEBHOOK_SECRET`
//! its webhook secret is a known one), and when `database.url` is set (it would take
//! that database's jobs and run them against the simulator), unless `--force`; a
//! non-loopback address with the default secret is refused even then.
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context};
use gantry_simulator::{Simulator, SimulatorOptions};

use crate::config::Settings;
use crate::domain::Secret;
use crate::services::dispatch::DeliveryObserver;
use crate::startup::{Application, Extras};
use crate::wasm_host::{PluginRegistry, PluginRuntime};

/// The webhook secret used when `GANTRY_WEBHOOK_SECRET` is not set. It only guards a
/// sandbox on the loopback interface talking to a simulator.
pub const DEFAULT_SANDBOX_SECRET: &str = crate::domain::SANDBOX_WEBHOOK_SECRET;

/// Options of `gantry sandbox`.
#[derive(Debug, clap::Args)]
pub struct SandboxArgs {
    /// Where Gantry listens.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: String,
    /// Where the GitHub simulator listens.
    #[arg(long, default_value = "127.0.0.1:8081")]
    sim_listen: String,
    /// Where the SQLite database and caches live.
    #[arg(long, default_value = ".gantry/sandbox")]
    data_dir: PathBuf,
    /// Directory of plugin components (built by `./dev build`).
    #[arg(long, default_value = "target/plugins")]
    plugins_dir: PathBuf,
    /// Start even on a non-loopback address or with `database.url` set.
    #[arg(long)]
    force: bool,
}

/// Whether `listen` (`host:port`) is on the loopback interface.
fn loopback(listen: &str) -> bool {
    let host = listen.rsplit_once(':').map_or(listen, |(h, _)| h);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Why the sandbox must not start with these settings, if it must not.
fn refusal(args: &SandboxArgs, settings: &Settings) -> Option<String> {
    let exposed = [&args.listen, &args.sim_listen]
        .into_iter()
        .find(|l| !loopback(l));
    if let Some(address) = exposed {
        if settings.webhook.secrets.is_empty() {
            return Some(format!("the sandbox would listen on {address} with its well-known default webhook secret: set GANTRY_WEBHOOK_SECRET, or listen on 127.0.0.1"));
        }
        if !args.force {
            return Some(format!("the sandbox would listen on {address}, outside loopback, with a simulator that answers anyone: listen on 127.0.0.1, or pass --force"));
        }
    }
    if !settings.database.url.is_empty() && !args.force {
        return Some("database.url is set (GANTRY_DATABASE__URL): the sandbox would take that database's jobs and run them against its simulator; unset it (the sandbox keeps SQLite under --data-dir), or pass --force".into());
    }
    None
}

impl DeliveryObserver for Simulator {
    fn observe(&self, event: &str, payload: &serde_json::Value) {
        self.learn(event, payload);
    }
}

/// Runs the sandbox until interrupted.
///
/// # Errors
/// When it must not start here (see the module header), a listener cannot be
/// bound, no plugins are found, or the server fails.
pub async fn run(config: Option<&Path>, args: SandboxArgs) -> anyhow::Result<()> {
    let mut settings = Settings::load(config)?;
    if let Some(reason) = refusal(&args, &settings) {
        bail!("{reason}");
    }
    let sim_listener = TcpListener::bind(&args.sim_listen)
        .with_context(|| format!("binding the simulator to {}", args.sim_listen))?;
    let sim_addr = sim_listener.local_addr()?;
    // The simulator keeps its state beside the database, so a sandbox stopped or
    // killed and started again with the same --data-dir goes on where it was.
    let sim_state = args.data_dir.join("simulator.json");
    let simulator = Simulator::with_persistence(
        SimulatorOptions {
            allow_anonymous: true,
        },
        sim_state.clone(),
    )
    .with_context(|| format!("loading the simulator state from {}", sim_state.display()))?;
    let sim_server = simulator
        .serve(sim_listener)
        .context("starting the GitHub simulator")?;
    tokio::spawn(sim_server);

    settings.data_dir = args.data_dir.clone();
    settings.server.listen = args.listen.clone();
    settings.github.api_url = format!("http://{sim_addr}");
    // git traffic (clones, pushes of the releases and sync plugins) goes to the
    // simulator's git over HTTP too, never to github.com.
    settings.github.git_url = format!("http://{sim_addr}");
    settings.github.token = Some(Secret::new("sandbox-token"));
    settings.plugins.dir = args.plugins_dir.clone();
    // The sandbox shows configuration as code: a repository's `.github/gantry.yml`
    // is read (off by default elsewhere; docs/repository-config.md).
    settings.repository_config.enabled = true;
    let key_in_data_dir = settings.secrets.key.is_none();
    if key_in_data_dir {
        settings.secrets.key = Some(sandbox_key(&args.data_dir)?);
    }
    let default_secret = settings.webhook.secrets.is_empty();
    if default_secret {
        settings
            .webhook
            .secrets
            .push(Secret::new(DEFAULT_SANDBOX_SECRET));
    }

    let runtime = PluginRuntime::new(settings.plugins.limits.clone())?.with_cache(
        args.data_dir.join("cache/components"),
        settings.secrets.key.as_ref(),
    );
    if !args.plugins_dir.is_dir() {
        bail!(
            "no plugins at {}: build them first with `./dev build` (or scripts/build-plugins.sh)",
            args.plugins_dir.display()
        );
    }
    let plugins = PluginRegistry::load_dir(&runtime, &args.plugins_dir, &settings.plugins.config)?;
    if plugins.all().is_empty() {
        bail!(
            "no .wasm plugins in {}: build them first with `./dev build`",
            args.plugins_dir.display()
        );
    }
    let names: Vec<&str> = plugins
        .all()
        .iter()
        .map(|p| p.manifest.name.as_str())
        .collect();
    let names = names.join(", ");

    let app = Application::build(
        settings,
        Extras {
            observer: Some(Arc::new(simulator) as Arc<dyn DeliveryObserver>),
            sandbox: true,
            plugins: Some((runtime, plugins)),
        },
    )
    .await?;
    // The sandbox is its database's only user: jobs a killed sandbox was running are
    // taken up again at once rather than after their leases expire.
    let released = crate::db::jobs::release_all_leases(&app.state().db).await?;
    if released > 0 {
        tracing::info!(
            released,
            "resuming jobs the previous sandbox run left unfinished"
        );
    }
    let loaded: Vec<String> = names.split(", ").map(str::to_owned).collect();
    let rules = sandbox_rules(&app.state().db, app.state().audit_key(), &loaded).await?;
    let port = app.port();
    let host = args.listen.rsplit_once(':').map_or("127.0.0.1", |(h, _)| h);
    println!();
    println!("Gantry sandbox is running.");
    println!("  webhooks:          POST http://{host}:{port}/webhooks/github");
    println!("  health:            http://{host}:{port}/health/ready");
    println!(
        "  dashboard:         http://{host}:{port}/dashboard  (sandbox page: /dashboard/sandbox)"
    );
    let exe =
        std::env::current_exe().map_or_else(|_| "gantry".to_owned(), |p| p.display().to_string());
    let cli = cli_for_this_sandbox(&exe, &args.data_dir, config, key_in_data_dir);
    println!("  first admin:       {cli} admin create --login admin");
    println!("  (the same prefix runs any command on this sandbox: {cli} policy list)");
    println!(
        "  GitHub simulator:  http://{sim_addr}/  (e.g. GET /repos/OWNER/REPO/issues/1/labels;"
    );
    println!("                     git: http://{sim_addr}/OWNER/REPO.git)");
    println!(
        "  plugins:           {names}  (from {})",
        args.plugins_dir.display()
    );
    println!("  data:              {}", args.data_dir.display());
    println!("  policy rules:      {rules}  (gantry policy list; docs/policies.md)");
    println!("  repository config: on  (.github/gantry.yml; docs/repository-config.md, \"Try it in the sandbox\")");
    if default_secret {
        println!(
            "  webhook secret:    the sandbox default (set GANTRY_WEBHOOK_SECRET to choose one)"
        );
    } else {
        println!("  webhook secret:    from GANTRY_WEBHOOK_SECRET / settings");
    }
    println!("  try:               scripts/send-event.sh issues/opened   (see README)");
    println!();
    app.run_until_stopped()
        .await
        .context("the HTTP server failed")
}

/// How to run a `gantry` command on this sandbox's data: its data directory, its
/// settings file, and the audit key it made there (`secrets.key`), read by the shell
/// when the command runs, so the key is not printed and the command's audit rows
/// extend the sandbox's keyed chain instead of breaking it.
fn cli_for_this_sandbox(
    exe: &str,
    data_dir: &Path,
    config: Option<&Path>,
    key_in_data_dir: bool,
) -> String {
    let quote = |p: &Path| format!("'{}'", p.display().to_string().replace('\'', "'\\''"));
    let mut cli = format!("GANTRY_DATA_DIR={}", quote(data_dir));
    if key_in_data_dir {
        cli.push_str(&format!(
            " GANTRY_SECRETS__KEY=\"$(cat {})\"",
            quote(&data_dir.join("secrets.key"))
        ));
    }
    cli.push_str(&format!(" {}", quote(Path::new(exe))));
    if let Some(config) = config {
        cli.push_str(&format!(" --config {}", quote(config)));
    }
    cli
}

/// The rules the sandbox adds for its bundled plugins, so their demos run without
/// approvals: Gantry's built-in defaults hold check runs, commit statuses and
/// workflow dispatches for approval, and a production deployment allows them for the
/// plugins it trusts with rules like these (docs/policies.md).
pub const SANDBOX_RULES: &[(&str, &str)] = &[
    ("hooks", "checks:write"),
    ("ci", "checks:write"),
    ("ci", "actions:write"),
];

/// Adds the [`SANDBOX_RULES`] of the loaded plugins as global `allow` rules (audited,
/// as Gantry itself) at each start, unless a rule for the same plugin and capability is
/// there (so one an operator wrote, whatever its effect, stays in charge). Returns
/// them as the banner shows them.
async fn sandbox_rules(
    db: &sea_orm::DatabaseConnection,
    key: &crate::crypto::AuditKey,
    loaded: &[String],
) -> anyhow::Result<String> {
    use crate::services::policies::{self, RuleForm};
    let existing = crate::policy::store::all(db).await?;
    let mut shown = Vec::new();
    for (plugin, capability) in SANDBOX_RULES {
        if !loaded.iter().any(|l| l == plugin) {
            continue;
        }
        shown.push(format!("global {plugin} {capability} allow"));
        let present = existing
            .iter()
            .any(|r| r.plugin.as_deref() == Some(*plugin) && r.capability.as_str() == *capability);
        if !present {
            let form = RuleForm {
                scope: "global".into(),
                plugin: Some((*plugin).to_owned()),
                capability: (*capability).to_owned(),
                effect: "allow".into(),
                ..RuleForm::default()
            };
            policies::add(db, key, &crate::domain::Actor::system(), form).await?;
        }
    }
    Ok(if shown.is_empty() {
        "none added (built-in defaults)".into()
    } else {
        shown.join("; ")
    })
}

/// The sandbox's key for stored secrets: `secrets.key` in the data directory, made
/// on first start, readable by the owner only.
fn sandbox_key(data_dir: &Path) -> anyhow::Result<Secret> {
    let path = data_dir.join("secrets.key");
    if let Ok(key) = std::fs::read_to_string(&path) {
        return Ok(Secret::new(key.trim()));
    }
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("creating {}", data_dir.display()))?;
    let key = crate::crypto::SecretBox::generate_key();
    std::fs::write(&path, &key).with_context(|| format!("writing {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(Secret::new(key))
}

#[cfg(test)]
mod refusal_tests {
    use super::*;

    fn args(listen: &str, force: bool) -> SandboxArgs {
        SandboxArgs {
            listen: listen.into(),
            sim_listen: "127.0.0.1:8081".into(),
            data_dir: ".gantry/sandbox".into(),
            plugins_dir: "target/plugins".into(),
            force,
        }
    }

    fn with_secret() -> Settings {
        let mut settings = Settings::default();
        settings.webhook.secrets = vec![Secret::new("x".repeat(32))];
        settings
    }

    #[test]
    fn the_sandbox_refuses_a_non_loopback_address_unless_forced_and_never_with_the_default_secret()
    {
        assert_eq!(
            refusal(&args("127.0.0.1:8080", false), &Settings::default()),
            None
        );
        assert_eq!(
            refusal(&args("localhost:8080", false), &Settings::default()),
            None
        );
        assert_eq!(
            refusal(&args("[::1]:8080", false), &Settings::default()),
            None
        );
        let open = refusal(&args("0.0.0.0:8080", false), &with_secret()).unwrap();
        assert!(open.contains("--force"), "{open}");
        assert_eq!(refusal(&args("0.0.0.0:8080", true), &with_secret()), None);
        let default = refusal(&args("0.0.0.0:8080", true), &Settings::default()).unwrap();
        assert!(default.contains("GANTRY_WEBHOOK_SECRET"), "{default}");
    }

    #[test]
    fn the_sandbox_refuses_a_configured_database_unless_forced() {
        let mut production = Settings::default();
        production.database.url = "postgres://db/gantry".into();
        let refused = refusal(&args("127.0.0.1:8080", false), &production).unwrap();
        assert!(refused.contains("database.url"), "{refused}");
        assert_eq!(refusal(&args("127.0.0.1:8080", true), &production), None);
    }
}
