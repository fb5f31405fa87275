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
use std::collections::HashSet;
use std::sync::Arc;

use sea_orm::{ConnectionTrait, DbErr};

use super::CompiledPlugins;
use crate::db::plugins::{self as queries, PluginHead};
use crate::domain::{Project, RepoRef};
use crate::wasm_host::LoadedPlugin;

/// A plugin to run, with its configuration for the event's project.
#[derive(Debug, Clone)]
pub struct ActivePlugin {
    /// The compiled plugin.
    pub plugin: Arc<LoadedPlugin>,
    /// Its effective configuration on this project (JSON).
    pub config: Arc<str>,
}

/// The plugins enabled for one repository, by name.
#[derive(Debug, Clone, Default)]
pub struct ActivePlugins {
    plugins: Vec<ActivePlugin>,
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
        let Some(config) = own.or(all).map(|r| Arc::from(r.effective_config.as_str())) else {
            continue;
        };
        if let Some(plugin) = load(db, compiled, head).await? {
            plugins.push(ActivePlugin { plugin, config });
        }
    }
    Ok(ActivePlugins { plugins })
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
