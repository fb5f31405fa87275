//! A plugin's project rows as one value: read inside a change's transaction, changed
//! in memory, every row's effective configuration recomputed and checked against the
//! schema, and only the rows that differ written back. A change that would leave any
//! project with a configuration outside the schema is refused, naming the project.
use sea_orm::{ConnectionTrait, DbErr};
use serde_json::Value;

use super::config;
use crate::db::entities::plugin_projects;
use crate::db::plugins::{self as queries, ProjectRow};
use crate::domain::Project;
use crate::wasm_host::Manifest;

/// One project's settings.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Setting {
    /// Where it applies.
    pub project: Project,
    /// Enabled, disabled, or as `*` says.
    pub enabled: Option<bool>,
    /// The configuration as set.
    pub config: Option<Value>,
}

/// Every project setting of one plugin, as stored.
#[derive(Debug)]
pub(super) struct ProjectSettings {
    plugin: String,
    stored: Vec<(Setting, String)>,
    /// The settings, changed in memory.
    pub rows: Vec<Setting>,
}

/// A project whose configuration does not match the schema, and why.
pub(super) type Mismatch = (Project, String);

impl ProjectSettings {
    /// Reads a plugin's rows.
    ///
    /// # Errors
    /// When the database fails or holds a row that does not parse.
    pub async fn load(db: &impl ConnectionTrait, plugin: &str) -> Result<Self, DbErr> {
        let stored = queries::projects(db, plugin)
            .await?
            .into_iter()
            .map(parse)
            .collect::<Result<Vec<_>, _>>()?;
        let rows = stored.iter().map(|(s, _)| s.clone()).collect();
        Ok(Self {
            plugin: plugin.to_owned(),
            stored,
            rows,
        })
    }

    /// The setting for `project`, added when there is none: without a configuration
    /// of its own, enabled as `*` says (the `*` row itself: not enabled).
    pub fn entry(&mut self, project: &Project) -> &mut Setting {
        let index = match self.rows.iter().position(|s| &s.project == project) {
            Some(index) => index,
            None => {
                let enabled = (project == &Project::All).then_some(false);
                self.rows.push(Setting {
                    project: project.clone(),
                    enabled,
                    config: None,
                });
                self.rows.len() - 1
            }
        };
        &mut self.rows[index]
    }

    /// The setting for `project`, when there is one.
    #[must_use]
    pub fn get(&self, project: &Project) -> Option<&Setting> {
        self.rows.iter().find(|s| &s.project == project)
    }

    /// Every row's effective configuration under `manifest`.
    ///
    /// # Errors
    /// The first project whose configuration does not match the schema.
    pub fn effective(&self, manifest: &Manifest) -> Result<Vec<(Setting, String)>, Mismatch> {
        let all = self.get(&Project::All).and_then(|s| s.config.as_ref());
        self.rows
            .iter()
            .map(|setting| {
                let value = match setting.project {
                    Project::All => config::layered(manifest, None, all),
                    Project::Repo(_) => config::layered(manifest, all, setting.config.as_ref()),
                };
                config::validate(manifest, &value)
                    .map_err(|message| (setting.project.clone(), message))?;
                Ok((setting.clone(), value.to_string()))
            })
            .collect()
    }

    /// Writes the rows whose settings or effective configuration differ from what
    /// was read.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn save(
        &self,
        db: &impl ConnectionTrait,
        effective: &[(Setting, String)],
    ) -> Result<usize, DbErr> {
        let mut written = 0;
        for (setting, value) in effective {
            if self.stored.iter().any(|(s, v)| s == setting && v == value) {
                continue;
            }
            let config = setting.config.as_ref().map(Value::to_string);
            let row = ProjectRow {
                plugin: &self.plugin,
                project: setting.project.as_str(),
                enabled: setting.enabled,
                config: config.as_deref(),
                effective_config: value,
            };
            queries::upsert_project(db, row).await?;
            written += 1;
        }
        Ok(written)
    }
}

fn parse(row: plugin_projects::Model) -> Result<(Setting, String), DbErr> {
    let corrupt = |what: String| {
        DbErr::Custom(format!(
            "plugin_projects row {} ({} on {}): {what}",
            row.id, row.plugin, row.project
        ))
    };
    let project = Project::parse(&row.project).map_err(corrupt)?;
    let config = row
        .config
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(|e| corrupt(format!("unreadable configuration: {e}")))?;
    Ok((
        Setting {
            project,
            enabled: row.enabled,
            config,
        },
        row.effective_config,
    ))
}
