//! What decides a job's plugins and policy, kept in memory per process: the policy
//! rules, the plugins disabled after crashing, and per project the plugins enabled
//! there with their configuration (the repository's `.github/gantry.yml` applied). Each job reads one number, `config_version` (in
//! the statement that reads its delivery, `db::job_start`), which the database
//! counts up by trigger on every change to those tables whoever
//! makes it (this process, another replica, the CLI); while it is the number the
//! cache was read at, the cache is used, otherwise everything is read again. So a
//! change still applies from the next job on, on every replica.
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use sea_orm::{DatabaseConnection, DbErr};

use crate::db::plugin_states;
use crate::domain::{Project, RepoRef};
use crate::policy::store as policies;
use crate::policy::Rule;
use crate::services::installed::{self, active::ActivePlugins, CompiledPlugins};

/// Projects whose active plugins are kept at once; past this the map starts again.
const MAX_PROJECTS: usize = 4096;

/// What one job runs under.
#[derive(Debug, Clone)]
pub struct JobConfig {
    /// The policy rules in force.
    pub rules: Arc<Vec<Rule>>,
    /// Plugins disabled after crashing, by name.
    pub disabled: Arc<Vec<String>>,
    /// The plugins enabled for the job's repository, with its configuration.
    pub active: Arc<ActivePlugins>,
}

/// The per-process cache (in `AppState`).
#[derive(Debug, Default)]
pub struct JobConfigCache {
    cached: Mutex<Option<Cached>>,
}

#[derive(Debug)]
struct Cached {
    version: i64,
    rules: Arc<Vec<Rule>>,
    disabled: Arc<Vec<String>>,
    /// By project (`None`: events without a repository).
    active: HashMap<Option<String>, Arc<ActivePlugins>>,
}

impl JobConfigCache {
    /// The configuration for a job on `repository` at `version`, the
    /// `config_version` the caller read before this (a job reads it with its
    /// delivery, `db::job_start`): the cache when it was read at that version, else
    /// the tables (read after the version, so they are at least that new and never
    /// kept under a newer number than their own).
    ///
    /// # Errors
    /// When the database fails.
    pub async fn for_repository(
        &self,
        db: &DatabaseConnection,
        compiled: &CompiledPlugins,
        repository: Option<&RepoRef>,
        version: i64,
    ) -> Result<JobConfig, DbErr> {
        let project = repository.map(|r| Project::of_repo(r).as_str().to_owned());
        if let Some(hit) = self.hit(version, project.as_ref()) {
            return Ok(hit);
        }
        let rules = Arc::new(policies::all(db).await?);
        let disabled = Arc::new(plugin_states::disabled(db).await?);
        let active = Arc::new(installed::active::for_repository(db, compiled, repository).await?);
        let mut cached = self.cached.lock().unwrap_or_else(PoisonError::into_inner);
        let stale = cached.as_ref().is_none_or(|c| c.version < version);
        if stale {
            *cached = Some(Cached {
                version,
                rules: rules.clone(),
                disabled: disabled.clone(),
                active: HashMap::new(),
            });
        }
        if let Some(c) = cached.as_mut().filter(|c| c.version == version) {
            if c.active.len() >= MAX_PROJECTS {
                c.active.clear();
            }
            c.active.insert(project, active.clone());
        }
        Ok(JobConfig {
            rules,
            disabled,
            active,
        })
    }

    fn hit(&self, version: i64, project: Option<&String>) -> Option<JobConfig> {
        let cached = self.cached.lock().unwrap_or_else(PoisonError::into_inner);
        let c = cached.as_ref().filter(|c| c.version == version)?;
        let active = c.active.get(&project.cloned())?;
        Some(JobConfig {
            rules: c.rules.clone(),
            disabled: c.disabled.clone(),
            active: active.clone(),
        })
    }
}
