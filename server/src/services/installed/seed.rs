//! The plugins found at start (every `*.wasm` in `plugins.dir`, or those an embedder
//! such as the sandbox or the tests supplies):
//! - one never installed before (by seeding or otherwise) is installed and enabled
//!   for every repository (`*`) with its configuration from `plugins.config.NAME`
//!   (or its defaults), in one transaction and one audit row: the first install is
//!   the only one that enables anything;
//! - one seeding installed before and an admin removed since stays removed
//!   (`plugin_seeds` remembers it; `gantry plugin install FILE` brings it back);
//! - one installed with another digest is upgraded (keeping its settings, refused
//!   when a project's configuration no longer matches) only when the installed
//!   digest is the one seeding put there; one an admin installed or upgraded is
//!   left alone;
//! - one installed with the same digest is left as it is, whatever its rows say,
//!   so what operators changed with the CLI or the API stays.
//!
//! Several processes starting at once on one database agree.
use anyhow::Context;
use sea_orm::DatabaseConnection;
use serde_json::Value;

use super::install::check;
use super::{config, CompiledPlugins, PluginAdmin, PluginAdminError};
use crate::crypto::AuditKey;
use crate::db::plugin_seeds as seeds;
use crate::db::plugins as queries;
use crate::domain::{Actor, Project};
use crate::wasm_host::{LoadedPlugin, PluginRegistry};

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
        let seeded = seeds::find(admin.db, name).await?;
        let result = match (queries::find(admin.db, name).await?, seeded) {
            (None, Some(_)) => {
                tracing::warn!(
                    plugin = %name,
                    "plugin `{name}` in the plugin directory was removed by an admin; it is not installed again (install it with `gantry plugin install`)"
                );
                return Ok(());
            }
            (None, None) => admin.store_new(plugin, Some(wanted.as_ref())).await,
            (Some(installed), _) if installed.digest == plugin.digest => {
                warn_if_overridden(admin, name, wanted.as_ref()).await?;
                Ok(())
            }
            (Some(installed), Some(last)) if installed.digest == last => {
                admin.upgrade_to(plugin).await.map(drop)
            }
            (Some(installed), _) => {
                tracing::warn!(
                    plugin = %name,
                    installed = %installed.version,
                    "plugin `{name}` was installed or upgraded by an admin; the plugin directory's copy does not replace it"
                );
                return Ok(());
            }
        };
        match result {
            Err(PluginAdminError::AlreadyInstalled { .. } | PluginAdminError::Conflict(_)) => {
                continue
            }
            Ok(()) => {
                seeds::record(admin.db, name, &plugin.digest).await?;
                return Ok(());
            }
            Err(other) => return Err(other),
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
