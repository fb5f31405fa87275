//! The plugins found at start (every `*.wasm` in `plugins.dir`, or those an embedder
//! such as the sandbox or the tests supplies): each one not installed yet is
//! installed and enabled for every repository (`*`) with its configuration from
//! `plugins.config.NAME` (or its defaults), in one transaction and one audit row;
//! one installed with another digest is upgraded (keeping its settings, refused when
//! a project's configuration no longer matches); one installed with the same digest
//! is left as it is, whatever its rows say, so what operators changed with the CLI
//! or the API stays. Several processes starting at once on one database agree.
use anyhow::Context;
use sea_orm::DatabaseConnection;
use serde_json::Value;

use super::install::check;
use super::{config, CompiledPlugins, PluginAdmin, PluginAdminError};
use crate::crypto::AuditKey;
use crate::db::plugins as queries;
use crate::domain::{Actor, Project};
use crate::plugins::{LoadedPlugin, PluginRegistry};

/// Installs or upgrades every plugin in `found` (see the module header) and keeps
/// each compiled in `compiled`.
///
/// # Errors
/// When a plugin cannot be installed or upgraded (the message names it and why),
/// or the database fails.
pub async fn install_found(
    db: &DatabaseConnection,
    audit_key: &AuditKey,
    compiled: &CompiledPlugins,
    found: &PluginRegistry,
) -> anyhow::Result<()> {
    let system = Actor::system();
    let admin = PluginAdmin {
        db,
        compiled,
        max_component_bytes: usize::MAX,
        actor: &system,
        audit_key,
    };
    for plugin in found.all() {
        compiled.insert(plugin.clone());
        seed(&admin, plugin).await.with_context(|| {
            format!(
                "installing plugin `{}` found at start",
                plugin.manifest.name
            )
        })?;
    }
    Ok(())
}

async fn seed(admin: &PluginAdmin<'_>, plugin: &LoadedPlugin) -> Result<(), PluginAdminError> {
    check(&plugin.manifest, plugin.sdk_version.as_deref())?;
    let name = &plugin.manifest.name;
    let wanted = configured(plugin);
    // A second round when another process installed or upgraded it meanwhile.
    for _ in 0..3 {
        let result = match queries::find(admin.db, name).await? {
            None => admin.store_new(plugin, Some(wanted.as_ref())).await,
            Some(installed) if installed.digest == plugin.digest => {
                warn_if_overridden(admin, name, wanted.as_ref()).await?;
                Ok(())
            }
            Some(_) => admin.upgrade_to(plugin).await.map(drop),
        };
        match result {
            Err(PluginAdminError::AlreadyInstalled { .. } | PluginAdminError::Conflict(_)) => {
                continue
            }
            other => return other,
        }
    }
    Err(PluginAdminError::Conflict(name.clone()))
}

/// The configuration a plugin was loaded with, when it is not just its defaults.
fn configured(plugin: &LoadedPlugin) -> Option<Value> {
    let loaded: Value = serde_json::from_str(&plugin.config_json).ok()?;
    (loaded != config::layered(&plugin.manifest, None, None)).then_some(loaded)
}

/// Says when `plugins.config.NAME` differs from the configuration stored for `*`:
/// the stored one is used.
async fn warn_if_overridden(
    admin: &PluginAdmin<'_>,
    name: &str,
    wanted: Option<&Value>,
) -> Result<(), PluginAdminError> {
    let Some(wanted) = wanted else { return Ok(()) };
    let stored = queries::projects(admin.db, name)
        .await?
        .into_iter()
        .find(|r| r.project == Project::ALL)
        .and_then(|r| r.config);
    if stored
        .and_then(|s| serde_json::from_str::<Value>(&s).ok())
        .as_ref()
        != Some(wanted)
    {
        tracing::warn!(
            plugin = name,
            "plugins.config.{name} differs from the configuration stored for `*`; the stored one is used (change it with `gantry plugin configure {name} --repo '*'`)"
        );
    }
    Ok(())
}
