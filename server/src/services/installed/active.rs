//! The plugins a job runs: installed, switched on, and enabled for the event's
//! repository (by its own row or through `*`), each with the configuration for that
//! repository. Read from the database whenever `config_version` moved (kept per
//! process by `services::job_config`), so a change made with the CLI, the API or
//! another replica applies from the next job on, without a restart; a
//! plugin installed or upgraded elsewhere is compiled here by the first job that
//! needs it (or loaded from the disk cache), then kept in memory by digest.
//!
//! Plugins disabled automatically after crashing are left out by dispatch, which
//! reads `plugin_states` itself.
//!
//! A repository's `.github/gantry.yml` (`services::repo_config`, stored in
//! `repo_configs`) applies last: its last valid patch per plugin over the
//! configuration Gantry's admin or maintainers set, checked against the schema again
//! (an admin change since may have made it invalid: then Gantry's configuration
//! alone applies, and the error says so).
use std::collections::HashSet;
use std::sync::Arc;

use sea_orm::{ConnectionTrait, DbErr};

use super::CompiledPlugins;
use crate::db::plugins::{self as queries, PluginHead};
use crate::db::repo_configs;
use crate::domain::{Project, RepoRef};
use crate::services::installed::config::{merge_patch, validate};
use crate::services::repo_config::Patches;
use crate::wasm_host::LoadedPlugin;

/// A plugin to run, with its configuration for the event's project.
#[derive(Debug, Clone)]
pub struct ActivePlugin {
    /// The compiled plugin.
    pub plugin: Arc<LoadedPlugin>,
    /// Its effective configuration on this project (JSON), the repository's file
    /// applied.
    pub config: Arc<str>,
    /// The configuration Gantry's admin or maintainers set (JSON), without the file.
    pub admin_config: Arc<str>,
}

/// The plugins enabled for one repository, by name.
#[derive(Debug, Clone, Default)]
pub struct ActivePlugins {
    plugins: Vec<ActivePlugin>,
    /// Every installed plugin's name (enabled here or not).
    installed: Vec<String>,
    /// What the repository's `.github/gantry.yml` sets, when it was read.
    file: Option<RepoFile>,
}

/// The state of a repository's `.github/gantry.yml` as the plugins see it.
#[derive(Debug, Clone, Default)]
pub struct RepoFile {
    /// The last valid patches, in force.
    pub patches: Patches,
    /// Why the newest file (or a patch under today's schema) is not in force.
    pub error: Option<String>,
    /// When the file was last read.
    pub checked_at: Option<chrono::DateTime<chrono::Utc>>,
    /// When the patches in force were read (`None`: no valid file yet).
    pub valid_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl ActivePlugins {
    /// Those subscribed to this event and action.
    pub fn subscribers<'a>(
        &'a self,
        event: &'a str,
        action: Option<&'a str>,
    ) -> impl Iterator<Item = &'a ActivePlugin> + 'a {
        self.plugins
            .iter()
            .filter(move |p| p.plugin.manifest.subscribes_to(event, action))
    }

    /// All of them.
    #[must_use]
    pub fn all(&self) -> &[ActivePlugin] {
        &self.plugins
    }

    /// The names of every installed plugin, enabled here or not.
    #[must_use]
    pub fn installed(&self) -> &[String] {
        &self.installed
    }

    /// The repository's `.github/gantry.yml` as applied, when it was read.
    #[must_use]
    pub fn file(&self) -> Option<&RepoFile> {
        self.file.as_ref()
    }
}

/// The plugins that run for an event on `repository` (only those enabled with `*`
/// when the event has no repository).
///
/// # Errors
/// When the database fails. A plugin that does not compile is logged and left out.
pub async fn for_repository(
    db: &impl ConnectionTrait,
    compiled: &CompiledPlugins,
    repository: Option<&RepoRef>,
) -> Result<ActivePlugins, DbErr> {
    let heads = queries::heads(db).await?;
    compiled.retain(
        &heads
            .iter()
            .map(|h| h.digest.as_str())
            .collect::<HashSet<_>>(),
    );
    let project = repository.map(Project::of_repo);
    let rows = queries::rows_for_project(db, project.as_ref().map(Project::as_str)).await?;
    let mut plugins = Vec::new();
    for head in heads.iter().filter(|h| h.enabled) {
        let row = |p: &str| {
            rows.iter()
                .find(|r| r.plugin == head.name && r.project == p)
        };
        let own = project.as_ref().and_then(|p| row(p.as_str()));
        let all = row(Project::ALL);
        if !own
            .and_then(|r| r.enabled)
            .or(all.and_then(|r| r.enabled))
            .unwrap_or(false)
        {
            continue;
        }
        let Some(config) = own
            .or(all)
            .map(|r| Arc::<str>::from(r.effective_config.as_str()))
        else {
            continue;
        };
        if let Some(plugin) = load(db, compiled, head).await? {
            plugins.push(ActivePlugin {
                plugin,
                admin_config: config.clone(),
                config,
            });
        }
    }
    let mut file = match &project {
        Some(project) => repo_file(db, project).await?,
        None => None,
    };
    if let Some(file) = &mut file {
        for plugin in &mut plugins {
            let name = plugin.plugin.manifest.name.clone();
            let Some(patch) = file.patches.get(&name) else {
                continue;
            };
            if let Err(message) = apply(plugin, &patch.patch) {
                let note = format!("the file's configuration of `{name}` no longer matches the plugin's schema ({message}); Gantry's configuration applies to it");
                file.error = Some(match file.error.take() {
                    Some(e) => format!("{e}; {note}"),
                    None => note,
                });
            }
        }
    }
    Ok(ActivePlugins {
        plugins,
        installed: heads.iter().map(|h| h.name.clone()).collect(),
        file,
    })
}

/// The repository's `repo_configs` row, parsed (a row that does not parse is
/// logged and left out: Gantry's configuration applies).
async fn repo_file(
    db: &impl ConnectionTrait,
    project: &Project,
) -> Result<Option<RepoFile>, DbErr> {
    let Some(row) = repo_configs::get(db, project.as_str()).await? else {
        return Ok(None);
    };
    let patches = match row.patches.as_deref().map(serde_json::from_str::<Patches>) {
        None => Patches::new(),
        Some(Ok(patches)) => patches,
        Some(Err(err)) => {
            tracing::error!(project = %project.as_str(), error = %err, "a repo_configs row does not parse; the repository's file is not applied");
            Patches::new()
        }
    };
    Ok(Some(RepoFile {
        patches,
        error: row.error,
        checked_at: Some(row.checked_at),
        valid_at: row.valid_at,
    }))
}

/// Applies the file's patch over the admin's configuration when the result still
/// matches the plugin's schema.
///
/// # Errors
/// The validator's message; the plugin then keeps the admin's configuration.
fn apply(plugin: &mut ActivePlugin, patch: &serde_json::Value) -> Result<(), String> {
    let mut config = serde_json::from_str::<serde_json::Value>(&plugin.admin_config)
        .map_err(|e| e.to_string())?;
    merge_patch(&mut config, patch);
    validate(&plugin.plugin.manifest, &config)?;
    plugin.config = Arc::from(config.to_string().as_str());
    Ok(())
}

/// Compiles every switched-on installed plugin not yet in memory, so the first job
/// after a start does not wait for it.
///
/// # Errors
/// When the database fails. A plugin that does not compile is logged.
pub async fn warm(db: &impl ConnectionTrait, compiled: &CompiledPlugins) -> Result<(), DbErr> {
    for head in queries::heads(db).await?.iter().filter(|h| h.enabled) {
        load(db, compiled, head).await?;
    }
    Ok(())
}

async fn load(
    db: &impl ConnectionTrait,
    compiled: &CompiledPlugins,
    head: &PluginHead,
) -> Result<Option<Arc<LoadedPlugin>>, DbErr> {
    if let Some(plugin) = compiled.get(&head.digest) {
        return Ok(Some(plugin));
    }
    // Removed since the heads were read: nothing to run.
    let Some(bytes) = queries::component(db, &head.name).await? else {
        return Ok(None);
    };
    match compiled.compile(Arc::from(bytes)).await {
        Ok(plugin) => Ok(Some(plugin)),
        Err(err) => {
            tracing::error!(plugin = %head.name, digest = %head.digest, error = format!("{err:#}"), "an installed plugin does not load on this host; it is not run");
            Ok(None)
        }
    }
}
