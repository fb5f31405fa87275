//! Installing and upgrading: the manifest is read from the component's custom
//! section (parsing only, no plugin code runs), checked (name, version, schema,
//! defaults), the component compiled once (cached by digest in memory and, with the
//! runtime's cache, on disk) so a plugin the host cannot run is refused at once,
//! its manifest completed with the configuration schema it derives (its
//! `config-schema` export, run once with no capabilities) and checked again, then
//! stored with its bytes and the change's audit row, in one transaction.
use std::sync::Arc;

use sea_orm::TransactionTrait;
use serde::Serialize;
use serde_json::json;

use super::settings::ProjectSettings;
use super::{config, view::PluginDetail, PluginAdmin, PluginAdminError};
use crate::db::audit;
use crate::db::plugins::{self as queries, NewPlugin, PluginInfo, ProjectRow};
use crate::domain::{AuditAction, Project};
use crate::wasm_host::{LoadedPlugin, Manifest};

/// The longest version or SDK version stored.
const MAX_VERSION_LEN: usize = 64;

/// What an upgrade did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Upgraded {
    /// False when the installed component is the same (nothing changed).
    pub changed: bool,
    /// The version before.
    pub from_version: String,
    /// The plugin now.
    pub plugin: PluginDetail,
}

impl PluginAdmin<'_> {
    /// Installs a plugin from its component. It runs nowhere until it is enabled for
    /// a project.
    ///
    /// # Errors
    /// [`PluginAdminError::AlreadyInstalled`] when the name is taken; invalid,
    /// too large or uncompilable components; the database.
    #[tracing::instrument(skip_all)]
    pub async fn install(&self, bytes: Vec<u8>) -> Result<PluginDetail, PluginAdminError> {
        let manifest = self.read_manifest(&bytes)?;
        if let Some(installed) = queries::find(self.db, &manifest.name).await? {
            return Err(PluginAdminError::AlreadyInstalled {
                name: installed.name,
                version: installed.version,
            });
        }
        let plugin = self.compile(bytes).await?;
        self.store_new(&plugin, None).await?;
        tracing::info!(plugin = %plugin.manifest.name, version = %plugin.manifest.version, digest = %plugin.digest, "plugin installed");
        self.show(&plugin.manifest.name).await
    }

    /// Replaces an installed plugin with a new component of the same name, keeping
    /// its switches and project configurations. `expected`, when given, is the name
    /// the caller means to upgrade.
    ///
    /// # Errors
    /// [`PluginAdminError::IncompatibleConfig`] when a project's configuration does
    /// not match the new schema; not installed; another plugin's component; invalid,
    /// too large or uncompilable components; the database.
    #[tracing::instrument(skip_all)]
    pub async fn upgrade(
        &self,
        bytes: Vec<u8>,
        expected: Option<&str>,
    ) -> Result<Upgraded, PluginAdminError> {
        let manifest = self.read_manifest(&bytes)?;
        if let Some(expected) = expected.filter(|e| *e != manifest.name) {
            return Err(PluginAdminError::WrongPlugin {
                expected: expected.to_owned(),
                found: manifest.name,
            });
        }
        let plugin = self.compile(bytes).await?;
        self.upgrade_to(&plugin).await
    }

    /// Upgrades to an already compiled plugin (see [`Self::upgrade`]).
    pub(super) async fn upgrade_to(
        &self,
        plugin: &LoadedPlugin,
    ) -> Result<Upgraded, PluginAdminError> {
        let name = &plugin.manifest.name;
        let old = queries::find(self.db, name)
            .await?
            .ok_or_else(|| PluginAdminError::NotInstalled(name.clone()))?;
        if old.digest == plugin.digest {
            return Ok(Upgraded {
                changed: false,
                from_version: old.version.clone(),
                plugin: self.show(name).await?,
            });
        }
        self.store_upgrade(plugin, &old).await?;
        tracing::info!(plugin = %name, from = %old.version, to = %plugin.manifest.version, digest = %plugin.digest, "plugin upgraded");
        Ok(Upgraded {
            changed: true,
            from_version: old.version,
            plugin: self.show(name).await?,
        })
    }

    /// Checks the size and reads the manifest, without compiling or running anything.
    fn read_manifest(&self, bytes: &[u8]) -> Result<Manifest, PluginAdminError> {
        if bytes.len() > self.max_component_bytes {
            return Err(PluginAdminError::TooLarge {
                size: bytes.len(),
                max: self.max_component_bytes,
            });
        }
        let (manifest, sdk_version) = Manifest::from_component(bytes)
            .map_err(|e| PluginAdminError::InvalidPlugin(format!("{e:#}")))?;
        check(&manifest, sdk_version.as_deref())?;
        Ok(manifest)
    }

    /// Compiles the component, which completes its manifest with the schema it
    /// derives, and checks that manifest's schema and defaults again.
    async fn compile(&self, bytes: Vec<u8>) -> Result<Arc<LoadedPlugin>, PluginAdminError> {
        let plugin = self
            .compiled
            .compile(Arc::from(bytes))
            .await
            .map_err(|e| PluginAdminError::InvalidPlugin(format!("{e:#}")))?;
        check(&plugin.manifest, plugin.sdk_version.as_deref())?;
        Ok(plugin)
    }

    /// Stores a new plugin and audits it. With `everywhere`, it is also enabled for
    /// every repository with that configuration (`Some(None)`: its defaults), in the
    /// same transaction.
    pub(super) async fn store_new(
        &self,
        plugin: &LoadedPlugin,
        everywhere: Option<Option<&serde_json::Value>>,
    ) -> Result<(), PluginAdminError> {
        let manifest = &plugin.manifest;
        let effective = everywhere
            .map(|own| {
                let value = config::layered(manifest, None, own);
                config::validate(manifest, &value)
                    .map(|()| value.to_string())
                    .map_err(|message| PluginAdminError::InvalidConfig {
                        plugin: manifest.name.clone(),
                        project: Project::All,
                        message,
                    })
            })
            .transpose()?;
        let manifest_text = manifest_text(manifest)?;
        let own = everywhere.flatten().map(serde_json::Value::to_string);
        let mut details = json!({"version": manifest.version, "digest": plugin.digest, "size": plugin.component.len()});
        if everywhere.is_some() {
            details["enabled_for"] = Project::ALL.into();
            details["config"] = everywhere.flatten().cloned().into();
        }
        audit::retrying(|| async {
            let txn = self.db.begin().await?;
            if !queries::insert(&txn, new_plugin(plugin, &manifest_text)).await? {
                txn.rollback().await?;
                let version = queries::find(self.db, &manifest.name)
                    .await?
                    .map(|p| p.version)
                    .unwrap_or_default();
                return Err(PluginAdminError::AlreadyInstalled {
                    name: manifest.name.clone(),
                    version,
                });
            }
            if let Some(effective) = &effective {
                let row = ProjectRow {
                    plugin: &manifest.name,
                    project: Project::ALL,
                    enabled: Some(true),
                    config: own.as_deref(),
                    effective_config: effective,
                };
                queries::insert_project_if_absent(&txn, row).await?;
            }
            let details = details.clone();
            self.audit(
                &txn,
                AuditAction::PluginInstalled,
                &manifest.name,
                None,
                details,
            )
            .await?;
            txn.commit().await?;
            Ok(())
        })
        .await
    }

    /// Replaces the component in one transaction with every project's configuration
    /// recomputed under the new schema; refuses (changing nothing) when one no
    /// longer matches.
    async fn store_upgrade(
        &self,
        plugin: &LoadedPlugin,
        old: &PluginInfo,
    ) -> Result<(), PluginAdminError> {
        let manifest = &plugin.manifest;
        let manifest_text = manifest_text(manifest)?;
        let details = json!({"from_version": old.version, "to_version": manifest.version, "from_digest": old.digest, "to_digest": plugin.digest});
        audit::retrying(|| async {
            let txn = self.db.begin().await?;
            if !queries::lock(&txn, &old.name, &old.digest).await? {
                txn.rollback().await?;
                return Err(PluginAdminError::Conflict(old.name.clone()));
            }
            let settings = ProjectSettings::load(&txn, &old.name).await?;
            let effective = match settings.effective(manifest) {
                Ok(effective) => effective,
                Err((project, message)) => {
                    txn.rollback().await?;
                    return Err(PluginAdminError::IncompatibleConfig {
                        plugin: old.name.clone(),
                        version: manifest.version.clone(),
                        project,
                        message,
                    });
                }
            };
            queries::replace(&txn, new_plugin(plugin, &manifest_text)).await?;
            settings.save(&txn, &effective).await?;
            let details = details.clone();
            self.audit(&txn, AuditAction::PluginUpgraded, &old.name, None, details)
                .await?;
            txn.commit().await?;
            Ok(())
        })
        .await
    }
}

/// Checks what is stored beside the component: version lengths, and that the
/// configuration schema is valid and the defaults match it.
pub(super) fn check(
    manifest: &Manifest,
    sdk_version: Option<&str>,
) -> Result<(), PluginAdminError> {
    if manifest.version.is_empty()
        || manifest.version.len() > MAX_VERSION_LEN
        || sdk_version.is_some_and(|v| v.len() > MAX_VERSION_LEN)
    {
        return Err(PluginAdminError::InvalidPlugin(format!(
            "plugin `{}`: the version must be 1 to {MAX_VERSION_LEN} characters",
            manifest.name
        )));
    }
    config::check_manifest(manifest)
        .map_err(|e| PluginAdminError::InvalidPlugin(format!("plugin `{}`: {e}", manifest.name)))
}

fn new_plugin<'a>(plugin: &'a LoadedPlugin, manifest_text: &'a str) -> NewPlugin<'a> {
    NewPlugin {
        name: &plugin.manifest.name,
        version: &plugin.manifest.version,
        description: &plugin.manifest.description,
        digest: &plugin.digest,
        sdk_version: plugin.sdk_version.as_deref(),
        manifest: manifest_text,
        component: &plugin.component,
    }
}

/// The manifest as stored: TOML, as the host understood it.
fn manifest_text(manifest: &Manifest) -> Result<String, PluginAdminError> {
    toml::to_string(manifest).map_err(|e| {
        PluginAdminError::InvalidPlugin(format!(
            "plugin `{}`: the manifest cannot be stored: {e}",
            manifest.name
        ))
    })
}
