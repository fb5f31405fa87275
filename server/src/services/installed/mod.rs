//! Installed plugins: installing, upgrading and removing them, switching them on and
//! off globally and per project, configuring them per project (for the CLI and the
//! JSON API alike, every change audited), and choosing which of them a job runs.
//!
//! - `install`: install and upgrade (the manifest is read without running any code,
//!   the component compiled once and cached by digest, stored in the database);
//! - `manage`: remove, enable, disable, configure;
//! - `settings`: a plugin's project rows as one value, recomputed and checked
//!   against the schema on every change;
//! - `upload`: the dashboard's staged upload, then install or upgrade on
//!   confirmation;
//! - `view`: what `list` and `show` answer;
//! - `config`: defaults, merge patches and schema checks (pure);
//! - `compiled`: compiled plugins in memory by digest;
//! - `active`: the plugins a job runs and each one's configuration for its project;
//! - `seed`: the plugins found in `plugins.dir` at start.
pub mod active;
pub mod compiled;
pub mod config;
mod install;
mod manage;
pub mod seed;
mod settings;
mod upload;
mod view;

use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr};
use thiserror::Error;

pub use compiled::CompiledPlugins;
pub use install::Upgraded;
pub use manage::Change;
pub use upload::Staged;
pub use view::{PluginDetail, PluginStatus, ProjectStatus};

use crate::crypto::AuditKey;
use crate::db::audit::{self, AuditEntry, ChainConflict};
use crate::domain::{Actor, AuditAction, Project};

/// Why a plugin change was refused. Nothing changed when one is returned.
#[derive(Debug, Error)]
pub enum PluginAdminError {
    /// 400: not a plugin this host can run (no or invalid manifest, does not
    /// compile, needs imports the host does not provide).
    #[error("{0}")]
    InvalidPlugin(String),
    /// 413: the component is larger than `plugins.max_component_bytes`.
    #[error("the component is {size} bytes; the limit is {max} (plugins.max_component_bytes)")]
    TooLarge {
        /// Its size.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// 409: a plugin of that name is installed already.
    #[error("plugin `{name}` is already installed (version {version}): use `gantry plugin upgrade FILE` (or PUT /api/v1/plugins/{name}) to replace it")]
    AlreadyInstalled {
        /// The name.
        name: String,
        /// The installed version.
        version: String,
    },
    /// 404: no plugin of that name is installed.
    #[error("no plugin named `{0}` is installed")]
    NotInstalled(String),
    /// 400: an upgrade was given another plugin's component.
    #[error("the component is plugin `{found}`, not `{expected}`")]
    WrongPlugin {
        /// The plugin being upgraded.
        expected: String,
        /// The plugin the component declares.
        found: String,
    },
    /// 400: a configuration does not match the plugin's schema.
    #[error("invalid configuration for plugin `{plugin}` on {project}: {message}")]
    InvalidConfig {
        /// The plugin.
        plugin: String,
        /// Where the configuration applies.
        project: Project,
        /// The validator's message.
        message: String,
    },
    /// 400: an upgrade whose schema a project's configuration no longer matches.
    #[error("upgrade refused: the configuration of `{plugin}` on {project} does not match version {version}'s schema: {message}")]
    IncompatibleConfig {
        /// The plugin.
        plugin: String,
        /// The new version.
        version: String,
        /// The project whose configuration no longer matches.
        project: Project,
        /// The validator's message.
        message: String,
    },
    /// 400: not `owner/name` or `*`.
    #[error("{0}")]
    InvalidProject(String),
    /// 409: the plugin was upgraded or removed while this change was being made.
    #[error(
        "plugin `{0}` changed while this change was being made; nothing was changed, try again"
    )]
    Conflict(String),
    /// 503: the database failed.
    #[error("the database failed")]
    Database(#[from] DbErr),
}

impl ChainConflict for PluginAdminError {
    fn is_chain_conflict(&self) -> bool {
        matches!(self, Self::Database(e) if e.is_chain_conflict())
    }
}

/// Plugin changes, made on behalf of one actor.
#[derive(Debug, Clone, Copy)]
pub struct PluginAdmin<'a> {
    /// The database.
    pub db: &'a DatabaseConnection,
    /// Where components are compiled (and kept compiled).
    pub compiled: &'a CompiledPlugins,
    /// The largest component accepted.
    pub max_component_bytes: usize,
    /// Who makes the changes.
    pub actor: &'a Actor,
    /// The key of the audit chain.
    pub audit_key: &'a AuditKey,
}

impl<'a> PluginAdmin<'a> {
    /// Plugin changes on `state`'s database and compiled plugins, by `actor`: what
    /// the JSON API and the dashboard use.
    #[must_use]
    pub fn of(state: &'a crate::services::AppState, actor: &'a Actor) -> Self {
        PluginAdmin {
            db: &state.db,
            compiled: &state.plugins,
            max_component_bytes: state.settings.plugins.max_component_bytes,
            actor,
            audit_key: state.audit_key(),
        }
    }
}

impl PluginAdmin<'_> {
    /// Appends the audit row of one change on `conn`, the transaction making it.
    async fn audit(
        &self,
        conn: &impl ConnectionTrait,
        action: AuditAction,
        plugin: &str,
        project: Option<&Project>,
        details: serde_json::Value,
    ) -> Result<(), DbErr> {
        let mut details = details;
        if let Some(fields) = details.as_object_mut() {
            fields.insert("plugin".into(), plugin.into());
        }
        let mut entry = AuditEntry::new(self.actor.clone(), action)
            .outcome("ok")
            .details(details.to_string());
        if let Some(project) = project {
            entry = entry.project(project.as_str());
        }
        audit::append(conn, self.audit_key, &entry).await.map(drop)
    }
}
