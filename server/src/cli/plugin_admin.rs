//! `gantry plugin install|upgrade|remove|list|show|enable|disable|configure`:
//! managing installed plugins straight against the configured database, as the
//! `cli` actor. A running server picks each change up from its next job.
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Subcommand;

use crate::domain::{Capability, Project};
use crate::services::installed::{CompiledPlugins, PluginAdmin, PluginDetail, PluginStatus};
use crate::wasm_host::PluginRuntime;

/// Managing installed plugins.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Install a plugin component (`.wasm`): its manifest is read without running
    /// it, and it is compiled and stored. It runs nowhere until enabled.
    Install {
        /// The component.
        wasm: PathBuf,
    },
    /// Replace an installed plugin with a new component of the same name, keeping
    /// its settings (refused when a project's configuration no longer matches).
    Upgrade {
        /// The component.
        wasm: PathBuf,
    },
    /// Remove an installed plugin and its settings.
    Remove {
        /// The plugin's name.
        name: String,
    },
    /// List installed plugins: version, state (including disabled automatically and
    /// why), digest and projects.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show one installed plugin with its manifest and every project setting.
    Show {
        /// The plugin's name.
        name: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Switch a plugin on: as a whole (also after it was disabled automatically), or
    /// with --repo for one repository (`*`: every repository).
    Enable {
        /// The plugin's name.
        name: String,
        /// `OWNER/NAME`, or `*` for every repository.
        #[arg(long)]
        repo: Option<String>,
    },
    /// Switch a plugin off: as a whole, or with --repo for one repository (`*`:
    /// every repository without a setting of its own).
    Disable {
        /// The plugin's name.
        name: String,
        /// `OWNER/NAME`, or `*` for every repository.
        #[arg(long)]
        repo: Option<String>,
    },
    /// Set a plugin's configuration for a repository (`*`: every repository),
    /// checked against the plugin's schema and applied over its defaults.
    #[command(group = clap::ArgGroup::new("value").required(true).args(["file", "set"]))]
    Configure {
        /// The plugin's name.
        name: String,
        /// `OWNER/NAME`, or `*` for every repository.
        #[arg(long)]
        repo: String,
        /// A JSON (or `.toml`) file holding the configuration. (Not `--config`,
        /// which names Gantry's settings file.)
        #[arg(long)]
        file: Option<PathBuf>,
        /// The configuration as inline JSON.
        #[arg(long)]
        set: Option<String>,
    },
}

/// Runs a plugin management command.
///
/// # Errors
/// When the change is refused (the message says why; nothing changed), a file
/// cannot be read, or the database fails.
pub(super) async fn run(
    command: AdminCommand,
    database: &super::database::CliDatabase,
) -> anyhow::Result<()> {
    let settings = &database.settings;
    let db = database.open().await?;
    let runtime = PluginRuntime::new(settings.plugins.limits.clone())?.with_cache(
        settings.data_dir.join("cache/components"),
        settings.secrets.key.as_ref(),
    );
    let compiled = CompiledPlugins::new(runtime);
    let cli = crate::domain::Actor::cli();
    let audit_key = crate::crypto::AuditKey::derive(settings.secrets.key.as_ref())?;
    let admin = PluginAdmin {
        db: &db,
        compiled: &compiled,
        max_component_bytes: settings.plugins.max_component_bytes,
        actor: &cli,
        audit_key: &audit_key,
    };
    let project = |raw: &str| Project::parse(raw).map_err(anyhow::Error::msg);
    match command {
        AdminCommand::Install { wasm } => {
            let plugin = admin
                .install(read_component(&wasm, settings.plugins.max_component_bytes)?)
                .await?;
            let s = &plugin.status;
            println!(
                "installed {} {} ({}, {} bytes, sdk {})",
                s.name,
                s.version,
                short(&s.digest),
                s.size,
                s.sdk_version.as_deref().unwrap_or("unknown")
            );
            println!("it runs nowhere yet: gantry plugin enable {} --repo OWNER/NAME (or --repo '*' for every repository)", s.name);
        }
        AdminCommand::Upgrade { wasm } => {
            let upgraded = admin
                .upgrade(
                    read_component(&wasm, settings.plugins.max_component_bytes)?,
                    None,
                )
                .await?;
            let s = &upgraded.plugin.status;
            if upgraded.changed {
                println!(
                    "upgraded {} {} -> {} ({}); its settings are kept",
                    s.name,
                    upgraded.from_version,
                    s.version,
                    short(&s.digest)
                );
            } else {
                println!(
                    "{} {} is already installed with this component ({}); nothing changed",
                    s.name,
                    s.version,
                    short(&s.digest)
                );
            }
        }
        AdminCommand::Remove { name } => println!("{}", admin.remove(&name).await?.summary),
        AdminCommand::List { json } => {
            let all = admin.list().await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&all)?);
            } else {
                print_list(&all);
            }
        }
        AdminCommand::Show { name, json } => {
            let plugin = admin.show(&name).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&plugin)?);
            } else {
                print_detail(&plugin);
            }
        }
        AdminCommand::Enable { name, repo } => println!(
            "{}",
            admin
                .enable(&name, repo.as_deref().map(project).transpose()?.as_ref())
                .await?
                .summary
        ),
        AdminCommand::Disable { name, repo } => println!(
            "{}",
            admin
                .disable(&name, repo.as_deref().map(project).transpose()?.as_ref())
                .await?
                .summary
        ),
        AdminCommand::Configure {
            name,
            repo,
            file,
            set,
        } => {
            let value = match (file, set) {
                (Some(path), _) => read_config(&path)?,
                (None, Some(json)) => {
                    serde_json::from_str(&json).context("--set is not valid JSON")?
                }
                (None, None) => {
                    anyhow::bail!("give the configuration with --file FILE or --set JSON")
                }
            };
            println!(
                "{}",
                admin
                    .configure(&name, &project(&repo)?, value)
                    .await?
                    .summary
            );
        }
    }
    Ok(())
}

/// Reads a component file, refusing one over the size limit before reading it.
fn read_component(path: &Path, max: usize) -> anyhow::Result<Vec<u8>> {
    let size = std::fs::metadata(path)
        .with_context(|| format!("reading {}", path.display()))?
        .len();
    if usize::try_from(size).map_or(true, |size| size > max) {
        anyhow::bail!(
            "{} is {size} bytes; the limit is {max} (plugins.max_component_bytes)",
            path.display()
        );
    }
    std::fs::read(path).with_context(|| format!("reading {}", path.display()))
}

/// `sha256:` and the first 12 hex digits.
fn short(digest: &str) -> String {
    format!("sha256:{}", &digest[..digest.len().min(12)])
}

fn print_list(all: &[PluginStatus]) {
    if all.is_empty() {
        println!("(no plugins installed: gantry plugin install FILE.wasm)");
        return;
    }
    println!(
        "{:<20}  {:<10}  {:<13}  {:<19}  PROJECTS",
        "PLUGIN", "VERSION", "STATE", "DIGEST"
    );
    for p in all {
        println!(
            "{:<20}  {:<10}  {:<13}  {:<19}  {}",
            p.name,
            p.version,
            p.state,
            short(&p.digest),
            projects(p)
        );
        if let Some(reason) = &p.disabled_reason {
            println!("    {reason}");
        }
    }
}

/// `*, octo/app (off)`: each project, marked when the plugin is off there.
fn projects(p: &PluginStatus) -> String {
    let all = p
        .projects
        .iter()
        .find(|r| r.project == Project::ALL)
        .and_then(|r| r.enabled);
    let names: Vec<String> = p
        .projects
        .iter()
        .map(|r| {
            if r.enabled.or(all).unwrap_or(false) {
                r.project.clone()
            } else {
                format!("{} (off)", r.project)
            }
        })
        .collect();
    if names.is_empty() {
        "(none)".into()
    } else {
        names.join(", ")
    }
}

fn print_detail(plugin: &PluginDetail) {
    let (s, m) = (&plugin.status, &plugin.manifest);
    println!("{} {}: {}", s.name, s.version, s.description);
    println!(
        "  state:         {}{}",
        s.state,
        s.disabled_reason
            .as_deref()
            .map(|r| format!(" ({r})"))
            .unwrap_or_default()
    );
    println!("  digest:        sha256:{}", s.digest);
    println!(
        "  size:          {} bytes, sdk {}",
        s.size,
        s.sdk_version.as_deref().unwrap_or("unknown")
    );
    println!(
        "  installed:     {} (changed {})",
        s.installed_at.to_rfc3339(),
        s.updated_at.to_rfc3339()
    );
    println!("  events:        {}", m.events.join(", "));
    println!(
        "  capabilities:  {}",
        if m.capabilities.is_empty() {
            "(none)".to_owned()
        } else {
            m.capabilities.join(", ")
        }
    );
    for (capability, note) in m
        .capabilities
        .iter()
        .filter_map(|c| Capability::declared_note(c).map(|n| (c, n)))
    {
        println!("                 {capability}: {note}");
    }
    println!(
        "  config schema: {}",
        m.config_schema.as_ref().map_or_else(
            || "(none: any configuration)".to_owned(),
            ToString::to_string
        )
    );
    println!("  projects:");
    if s.projects.is_empty() {
        println!("    (none: enable it with --repo OWNER/NAME or --repo '*')");
    }
    for p in &s.projects {
        let enabled = match p.enabled {
            Some(true) => "enabled",
            Some(false) => "disabled",
            None => "as *",
        };
        let runs = if p.active { "runs" } else { "does not run" };
        println!("    {:<30}  {enabled:<8}  {runs}", p.project);
        if let Some(config) = &p.config {
            println!("      config set:     {config}");
        }
        println!("      config in use:  {}", p.effective_config);
    }
}

/// Reads a configuration file: TOML when it ends in `.toml`, JSON otherwise.
pub(super) fn read_config(path: &std::path::Path) -> anyhow::Result<serde_json::Value> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    if path.extension().is_some_and(|e| e == "toml") {
        Ok(toml::from_str(&text)
            .with_context(|| format!("{} is not valid TOML", path.display()))?)
    } else {
        Ok(serde_json::from_str(&text)
            .with_context(|| format!("{} is not valid JSON", path.display()))?)
    }
}
