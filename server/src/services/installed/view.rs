//! What `gantry plugin list` / `show` and `GET /api/v1/plugins` answer: each
//! installed plugin with its state (including an automatic disable and why, from
//! `plugin_states`) and its project settings.
use chrono::{DateTime, Utc};
use sea_orm::DbErr;
use serde::Serialize;
use serde_json::Value;

use super::{PluginAdmin, PluginAdminError};
use crate::db::entities::{plugin_projects, plugin_states};
use crate::db::plugin_states as states;
use crate::db::plugins::{self as queries, PluginInfo};
use crate::domain::Project;
use crate::domain::Visibility;
use crate::wasm_host::Manifest;

/// An installed plugin and where it runs.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PluginStatus {
    /// Its name.
    pub name: String,
    /// Its version.
    pub version: String,
    /// What it does.
    pub description: String,
    /// SHA-256 of the component, hex.
    pub digest: String,
    /// The SDK it was built with, when it says.
    pub sdk_version: Option<String>,
    /// Size of the component in bytes.
    pub size: i64,
    /// `enabled`, `disabled` (by an operator) or `auto-disabled` (after crashing
    /// repeatedly; `disabled_reason` says why).
    pub state: &'static str,
    /// The operator's switch.
    pub enabled: bool,
    /// Why it was disabled automatically.
    pub disabled_reason: Option<String>,
    /// Traps and timeouts in a row.
    pub consecutive_crashes: i32,
    /// Where it is enabled and how it is configured.
    pub projects: Vec<ProjectStatus>,
    /// When it was installed.
    pub installed_at: DateTime<Utc>,
    /// When it or its settings last changed.
    pub updated_at: DateTime<Utc>,
}

/// A plugin's settings for one project (`owner/name`) or every repository (`*`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProjectStatus {
    /// `*` or `owner/name`.
    pub project: String,
    /// Enabled, disabled, or `null`: as `*` says.
    pub enabled: Option<bool>,
    /// Whether the plugin runs here: its state is `enabled`, and it is enabled here
    /// (by this row or through `*`).
    pub active: bool,
    /// The configuration as set here.
    pub config: Option<Value>,
    /// What the plugin receives here: defaults, `*`, then this row.
    pub effective_config: Value,
    /// When this row last changed.
    pub updated_at: DateTime<Utc>,
}

impl PluginStatus {
    /// Keeps only the project settings a reader who sees `visible` may see (the
    /// `*` row always).
    pub fn keep_visible(&mut self, visible: &Visibility) {
        self.projects
            .retain(|p| p.project == Project::ALL || visible.shows(Some(&p.project)));
    }
}

/// One plugin with its manifest.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PluginDetail {
    /// Its state and settings.
    #[serde(flatten)]
    pub status: PluginStatus,
    /// What it declares: events, capabilities, configuration schema and defaults.
    pub manifest: Manifest,
}

impl PluginAdmin<'_> {
    /// Every installed plugin, by name.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn list(&self) -> Result<Vec<PluginStatus>, PluginAdminError> {
        let health = states::all(self.db).await?;
        let mut all = Vec::new();
        for info in queries::list(self.db).await? {
            let rows = queries::projects(self.db, &info.name).await?;
            let state = health.get(&info.name);
            all.push(status(info, state, rows));
        }
        Ok(all)
    }

    /// One installed plugin with its manifest.
    ///
    /// # Errors
    /// [`PluginAdminError::NotInstalled`]; the database.
    pub async fn show(&self, name: &str) -> Result<PluginDetail, PluginAdminError> {
        let info = queries::find(self.db, name)
            .await?
            .ok_or_else(|| PluginAdminError::NotInstalled(name.to_owned()))?;
        let manifest = stored_manifest(&info)?;
        let rows = queries::projects(self.db, name).await?;
        let health = states::all(self.db).await?;
        Ok(PluginDetail {
            status: status(info, health.get(name), rows),
            manifest,
        })
    }
}

/// The manifest stored with a plugin.
///
/// # Errors
/// When it does not parse (the row was edited by hand).
pub(super) fn stored_manifest(info: &PluginInfo) -> Result<Manifest, DbErr> {
    toml::from_str(&info.manifest).map_err(|e| {
        DbErr::Custom(format!(
            "the stored manifest of plugin `{}` does not parse: {e}",
            info.name
        ))
    })
}

fn status(
    info: PluginInfo,
    health: Option<&plugin_states::Model>,
    rows: Vec<plugin_projects::Model>,
) -> PluginStatus {
    let auto_disabled = health.is_some_and(|h| h.disabled);
    let state = match (info.enabled, auto_disabled) {
        (false, _) => "disabled",
        (true, true) => "auto-disabled",
        (true, false) => "enabled",
    };
    let all_enabled = rows
        .iter()
        .find(|r| r.project == "*")
        .and_then(|r| r.enabled);
    let projects = rows
        .into_iter()
        .map(|r| ProjectStatus {
            active: state == "enabled" && r.enabled.or(all_enabled).unwrap_or(false),
            config: r
                .config
                .as_deref()
                .and_then(|c| serde_json::from_str(c).ok()),
            effective_config: serde_json::from_str(&r.effective_config).unwrap_or(Value::Null),
            project: r.project,
            enabled: r.enabled,
            updated_at: r.updated_at,
        })
        .collect();
    PluginStatus {
        name: info.name,
        version: info.version,
        description: info.description,
        digest: info.digest,
        sdk_version: info.sdk_version,
        size: info.size,
        state,
        enabled: info.enabled,
        disabled_reason: health.filter(|h| h.disabled).and_then(|h| h.reason.clone()),
        consecutive_crashes: health.map_or(0, |h| h.consecutive_crashes),
        projects,
        installed_at: info.installed_at,
        updated_at: info.updated_at,
    }
}
