//! Removing plugins, switching them on and off (as a whole, or per project), and
//! configuring them per project. A change that changes nothing says so and is not
//! audited; every other change appends exactly one audit row, in the transaction
//! that makes it.
use sea_orm::TransactionTrait;
use serde::Serialize;
use serde_json::{json, Value};

use super::settings::ProjectSettings;
use super::view::stored_manifest;
use super::{PluginAdmin, PluginAdminError};
use crate::db::audit;
use crate::db::plugin_states as states;
use crate::db::plugins as queries;
use crate::domain::AuditAction;
use crate::domain::Project;

/// What a change did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Change {
    /// False when everything already was as asked.
    pub changed: bool,
    /// What happened, in a sentence.
    pub summary: String,
}

impl Change {
    fn done(summary: String) -> Self {
        Self {
            changed: true,
            summary,
        }
    }

    fn nothing(summary: String) -> Self {
        Self {
            changed: false,
            summary,
        }
    }
}

impl PluginAdmin<'_> {
    /// Removes a plugin with its project settings and its crash record.
    ///
    /// # Errors
    /// [`PluginAdminError::NotInstalled`]; the database.
    #[tracing::instrument(skip(self))]
    pub async fn remove(&self, name: &str) -> Result<Change, PluginAdminError> {
        let info = queries::find(self.db, name)
            .await?
            .ok_or_else(|| PluginAdminError::NotInstalled(name.to_owned()))?;
        audit::retrying(|| async {
            let txn = self.db.begin().await?;
            if !queries::delete(&txn, name).await? {
                txn.rollback().await?;
                return Err(PluginAdminError::NotInstalled(name.to_owned()));
            }
            states::forget(&txn, name).await?;
            let details = json!({"version": info.version, "digest": info.digest});
            self.audit(&txn, AuditAction::PluginRemoved, name, None, details)
                .await?;
            txn.commit().await?;
            Ok(())
        })
        .await?;
        Ok(Change::done(format!("removed {name} {}", info.version)))
    }

    /// Switches a plugin on: as a whole (also clearing an automatic disable), or for
    /// one project (`*`: every repository).
    ///
    /// # Errors
    /// Not installed; an invalid configuration for a new project row; the database.
    #[tracing::instrument(skip(self))]
    pub async fn enable(
        &self,
        name: &str,
        project: Option<&Project>,
    ) -> Result<Change, PluginAdminError> {
        match project {
            None => self.switch(name, true).await,
            Some(project) => self.set_project_enabled(name, project, true).await,
        }
    }

    /// Switches a plugin off: as a whole (its project settings are kept), or for one
    /// project (`*`: every repository without a row of its own).
    ///
    /// # Errors
    /// Not installed; the database.
    #[tracing::instrument(skip(self))]
    pub async fn disable(
        &self,
        name: &str,
        project: Option<&Project>,
    ) -> Result<Change, PluginAdminError> {
        match project {
            None => self.switch(name, false).await,
            Some(project) => self.set_project_enabled(name, project, false).await,
        }
    }

    /// Sets a plugin's configuration for a project (`*`: for every repository,
    /// under each repository's own). It is applied to the plugin's defaults as a
    /// merge patch and must match the plugin's schema, on this project and on every
    /// project it reaches.
    ///
    /// # Errors
    /// [`PluginAdminError::InvalidConfig`] with the validator's message; not
    /// installed; the database.
    #[tracing::instrument(skip(self, config))]
    pub async fn configure(
        &self,
        name: &str,
        project: &Project,
        config: Value,
    ) -> Result<Change, PluginAdminError> {
        let details = json!({"config": config.clone()});
        let change = self
            .change_settings(
                name,
                project,
                AuditAction::PluginConfigured,
                details,
                |settings| {
                    let setting = settings.entry(project);
                    let changed = setting.config.as_ref() != Some(&config);
                    setting.config = Some(config.clone());
                    changed
                },
            )
            .await?;
        Ok(if change {
            Change::done(format!("configured {name} on {project}"))
        } else {
            Change::nothing(format!(
                "{name} already has this configuration on {project}; nothing changed"
            ))
        })
    }

    async fn switch(&self, name: &str, on: bool) -> Result<Change, PluginAdminError> {
        let word = if on { "enabled" } else { "disabled" };
        let action = if on {
            AuditAction::PluginEnabled
        } else {
            AuditAction::PluginDisabled
        };
        let switched = audit::retrying(|| async {
            let txn = self.db.begin().await?;
            let info = queries::find(&txn, name)
                .await?
                .ok_or_else(|| PluginAdminError::NotInstalled(name.to_owned()))?;
            let mut changed = info.enabled != on;
            if changed {
                queries::set_enabled(&txn, name, on).await?;
            }
            let mut cleared = None;
            if on {
                let health = states::all(&txn).await?.remove(name).filter(|s| s.disabled);
                if let Some(health) = health {
                    states::enable(&txn, name).await?;
                    cleared = Some(health.reason.unwrap_or_default());
                    changed = true;
                }
            }
            if !changed {
                txn.rollback().await?;
                return Ok(None);
            }
            let details = json!({"scope": "plugin", "cleared_automatic_disable": cleared});
            self.audit(&txn, action, name, None, details).await?;
            txn.commit().await?;
            Ok::<_, PluginAdminError>(Some(cleared))
        })
        .await?;
        let Some(cleared) = switched else {
            return Ok(Change::nothing(format!(
                "{name} is already {word}; nothing changed"
            )));
        };
        let mut summary = match &cleared {
            Some(reason) => {
                format!("enabled {name} (it had been disabled automatically: {reason})")
            }
            None if on => format!("enabled {name}"),
            None => format!("disabled {name} on every repository; its project settings are kept"),
        };
        if on
            && !self
                .show(name)
                .await?
                .status
                .projects
                .iter()
                .any(|p| p.active)
        {
            summary.push_str(&format!("; it runs on no repository yet: gantry plugin enable {name} --repo OWNER/NAME (or --repo '*')"));
        }
        Ok(Change::done(summary))
    }

    async fn set_project_enabled(
        &self,
        name: &str,
        project: &Project,
        on: bool,
    ) -> Result<Change, PluginAdminError> {
        let action = if on {
            AuditAction::PluginEnabled
        } else {
            AuditAction::PluginDisabled
        };
        let changed = self
            .change_settings(
                name,
                project,
                action,
                json!({"scope": "project"}),
                |settings| {
                    let setting = settings.entry(project);
                    let changed = setting.enabled != Some(on);
                    setting.enabled = Some(on);
                    changed
                },
            )
            .await?;
        let word = if on { "enabled" } else { "disabled" };
        if !changed {
            return Ok(Change::nothing(format!(
                "{name} is already {word} on {project}; nothing changed"
            )));
        }
        let mut summary = format!("{word} {name} on {project}");
        if on
            && !queries::find(self.db, name)
                .await?
                .is_some_and(|p| p.enabled)
        {
            summary.push_str(&format!(
                " (note: {name} itself is disabled; `gantry plugin enable {name}` switches it on)"
            ));
        }
        Ok(Change::done(summary))
    }

    /// Changes one plugin's project settings in a transaction that holds the
    /// plugin's lock: every project's configuration recomputed and checked, the
    /// changed rows written, then `action` audited. Returns false (changing nothing)
    /// when `change` says nothing changed.
    async fn change_settings(
        &self,
        name: &str,
        project: &Project,
        action: AuditAction,
        details: Value,
        change: impl Fn(&mut ProjectSettings) -> bool,
    ) -> Result<bool, PluginAdminError> {
        let info = queries::find(self.db, name)
            .await?
            .ok_or_else(|| PluginAdminError::NotInstalled(name.to_owned()))?;
        let manifest = stored_manifest(&info)?;
        audit::retrying(|| async {
            let txn = self.db.begin().await?;
            if !queries::lock(&txn, name, &info.digest).await? {
                txn.rollback().await?;
                return Err(PluginAdminError::Conflict(name.to_owned()));
            }
            let mut settings = ProjectSettings::load(&txn, name).await?;
            if !change(&mut settings) {
                txn.rollback().await?;
                return Ok(false);
            }
            let effective = match settings.effective(&manifest) {
                Ok(effective) => effective,
                Err((at, message)) => {
                    txn.rollback().await?;
                    let message = if &at == project {
                        message
                    } else {
                        format!("{message} (on {at}, which also takes the `*` configuration)")
                    };
                    return Err(PluginAdminError::InvalidConfig {
                        plugin: name.to_owned(),
                        project: project.clone(),
                        message,
                    });
                }
            };
            settings.save(&txn, &effective).await?;
            self.audit(&txn, action, name, Some(project), details.clone())
                .await?;
            txn.commit().await?;
            Ok(true)
        })
        .await
    }
}
