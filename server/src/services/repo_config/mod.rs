//! Configuration as code: a repository's `.github/gantry.yml`, read from its
//! DEFAULT branch only (never a pull request's or another branch's), one key per
//! plugin enabled on it, each a merge patch over what Gantry's admin or maintainers
//! set there, within the admin's ceilings (`[repository_config]`), checked against
//! the plugin's schema (docs/repository-config.md).
//!
//! - `file`: YAML with the line of every key, and the file's shape;
//! - `chain`: `extends`, the bases the file is merged over;
//! - `evaluate`: ceilings, merge, schema, where each value comes from (pure);
//! - `github`: reading the files through the contents API, a chain's bases through
//!   the repository's own installation only (another's read as "not readable");
//! - `check_run`: the `gantry/config` check run of a pull request changing the file.
//! - `onboarding`: a pull request proposing the file to a repository added to an
//!   installation without one (off by default; a write under the policy).
//!
//! The outcome is stored in `repo_configs` (`refresh`), which counts up
//! `config_version`, so every replica's next job runs with it
//! (`installed::active` applies it). A file that is invalid leaves the last valid
//! patches in force and records its error, shown on the project's page and on every
//! delivery it affects (`before_job`). A push to the default branch touching the
//! file (or a base's) reads it at once; otherwise each process reads a repository's
//! file again when it last did longer than `repository_config.refresh_secs` ago.
pub mod chain;
pub mod check_run;
pub mod evaluate;
pub mod file;
pub mod github;
pub mod onboarding;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use chrono::Utc;
use serde_json::Value;

pub use evaluate::{Patches, PluginPatch};

use crate::db::repo_configs::{self, RepoConfigRow};
use crate::db::{config_version, skips};
use crate::domain::{Project, RepoRef};
use crate::github::GitHubClient;
use crate::services::installed::active::ActivePlugins;
use crate::services::job_config::JobConfig;
use crate::services::AppState;
use file::Problem;

/// The subject a job's record names the file's error under.
pub const SUBJECT: &str = file::PATH;

/// When this process last read each repository's file.
#[derive(Debug, Default)]
pub struct RefreshClock {
    read: Mutex<HashMap<String, Instant>>,
}

/// Repositories remembered at once; past this the clock starts again.
const MAX_REMEMBERED: usize = 8192;

impl RefreshClock {
    /// Whether `project`'s file is due to be read again; notes it read now if so.
    pub fn due(&self, project: &str, every: Duration) -> bool {
        let mut read = self.read.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        if read
            .get(project)
            .is_some_and(|at| now.duration_since(*at) < every)
        {
            return false;
        }
        if read.len() >= MAX_REMEMBERED {
            read.clear();
        }
        read.insert(project.to_owned(), now);
        true
    }

    /// Notes `project`'s file read now.
    pub fn mark(&self, project: &str) {
        let mut read = self.read.lock().unwrap_or_else(PoisonError::into_inner);
        read.insert(project.to_owned(), Instant::now());
    }
}

/// What a file would set: the patches and the bases they came through.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Checked {
    /// The patches by plugin.
    pub patches: Patches,
    /// The bases of the chain (`owner/name`), nearest first.
    pub bases: Vec<String>,
}

/// Checks `text` as `repo`'s file against what Gantry has for the repository
/// (`active`), reading the bases it extends through `bases` (the repository's own
/// installation only).
///
/// # Errors
/// Every problem of the file, each with its line.
pub async fn check(
    bases: &github::BaseReader,
    repo: &str,
    text: &str,
    active: &ActivePlugins,
    settings: &crate::config::RepositoryConfigSettings,
) -> Result<Checked, Vec<Problem>> {
    let parsed = file::parse(text)?;
    let layers = chain::load(repo, parsed, move |base| {
        let bases = bases.clone();
        async move { bases.read(base).await }
    })
    .await
    .map_err(|p| vec![p])?;
    let known = known(active);
    let patches = evaluate::evaluate(&layers, &known, settings)?;
    Ok(Checked {
        patches,
        bases: layers.iter().skip(1).map(|l| l.repo.clone()).collect(),
    })
}

/// Every installed plugin as the evaluation sees it for the repository.
fn known(active: &ActivePlugins) -> BTreeMap<String, evaluate::Known<'_>> {
    let mut known: BTreeMap<String, evaluate::Known<'_>> = active
        .installed()
        .iter()
        .map(|name| (name.clone(), evaluate::Known::default()))
        .collect();
    for plugin in active.all() {
        known.insert(
            plugin.plugin.manifest.name.clone(),
            evaluate::Known {
                manifest: Some(&plugin.plugin.manifest),
                admin: serde_json::from_str(&plugin.admin_config).unwrap_or(Value::Null),
            },
        );
    }
    known
}

/// Every problem on one line each, for a record.
#[must_use]
pub fn describe(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// The reader of the bases of a repository of `installation` (the event's).
#[must_use]
pub fn bases_of(state: &AppState, installation: Option<i64>) -> github::BaseReader {
    github::BaseReader::new(state.github.clone(), state.db.clone(), installation)
}

/// Reads `repo`'s file from its default branch (`branch` when the caller knows
/// it) with `github` (a client for `repo`), checks it (its bases read through
/// `installation`), and stores the outcome: the new patches when it is valid (or
/// none when there is no file), else its error beside the last valid patches.
/// Returns whether the stored configuration changed.
///
/// # Errors
/// When GitHub cannot be reached for the repository's own file (nothing is stored:
/// a later read tries again) or the database fails.
pub async fn refresh(
    state: &AppState,
    github: &GitHubClient,
    installation: Option<i64>,
    repo: &RepoRef,
    branch: Option<&str>,
) -> anyhow::Result<bool> {
    let full = repo.full_name();
    let project = Project::of_repo(repo);
    state.repo_config_clock.mark(project.as_str());
    let branch = match branch {
        Some(b) => b.to_owned(),
        None => github::default_branch(github, &full).await?,
    };
    let text = github::read_file(github, &full, &branch).await?;
    let active =
        crate::services::installed::active::for_repository(&state.db, &state.plugins, Some(repo))
            .await?;
    let settings = &state.settings.repository_config;
    let outcome = match &text {
        None => Ok(Checked::default()),
        Some(text) => {
            let bases = bases_of(state, installation);
            check(&bases, &full, text, &active, settings).await
        }
    };
    let now = Utc::now();
    let old = repo_configs::get(&state.db, project.as_str()).await?;
    let mut row = old.clone().unwrap_or(RepoConfigRow {
        project: project.as_str().to_owned(),
        patches: None,
        bases: "[]".into(),
        valid_at: None,
        error: None,
        error_at: None,
        checked_at: now,
    });
    row.checked_at = now;
    match outcome {
        Ok(checked) => {
            row.patches = text
                .is_some()
                .then(|| serde_json::to_string(&checked.patches))
                .transpose()?;
            let bases: Vec<String> = checked
                .bases
                .iter()
                .map(|b| b.to_ascii_lowercase())
                .collect();
            row.bases = serde_json::to_string(&bases)?;
            row.error = None;
            row.error_at = None;
            row.valid_at = Some(now);
        }
        Err(problems) => {
            let error = describe(&problems);
            tracing::warn!(repository = %full, %error, "the repository's .github/gantry.yml is invalid; its last valid configuration stays in force");
            if row.error.as_deref() != Some(error.as_str()) {
                row.error_at = Some(now);
            }
            row.error = Some(error);
        }
    }
    let same = old
        .as_ref()
        .is_some_and(|o| o.patches == row.patches && o.error == row.error && o.bases == row.bases);
    if same {
        repo_configs::touch(&state.db, project.as_str(), now).await?;
    } else {
        repo_configs::put(&state.db, &row).await?;
    }
    Ok(!same)
}

/// Before a job's plugins run: reads the repository's file again when a push to
/// its default branch touched it (and the files of repositories extending it) or
/// when this process read it too long ago, then returns the configuration the job
/// runs with (read again when the file changed it), and records the file's error,
/// when there is one, with the job. Everything is read through the event's
/// installation (`installation`): a repository extending the pushed one is read
/// with a token for it from that installation, never with the pushed one's.
///
/// # Errors
/// When the database fails (GitHub failing to answer is logged: the last stored
/// configuration applies, and a later job reads the file again).
#[allow(clippy::too_many_arguments)]
pub async fn before_job(
    state: &AppState,
    github: &GitHubClient,
    installation: Option<i64>,
    job_id: i64,
    event: &str,
    payload: Option<&Value>,
    repository: Option<&RepoRef>,
    config: JobConfig,
) -> anyhow::Result<JobConfig> {
    let settings = &state.settings.repository_config;
    let Some(repo) = repository.filter(|_| settings.enabled) else {
        return Ok(config);
    };
    let project = Project::of_repo(repo);
    let pushed = (event == "push")
        .then(|| payload.and_then(github::pushed_default_branch))
        .flatten();
    let mut changed = false;
    if let Some(push) = pushed.as_ref().filter(|p| p.touches_file) {
        changed |= refresh_logged(state, github, installation, repo, Some(&push.branch)).await;
        for dependent in repo_configs::extending(&state.db, project.as_str()).await? {
            if let Some((owner, name)) = dependent.split_once('/') {
                let dependent = RepoRef {
                    owner: owner.to_owned(),
                    name: name.to_owned(),
                };
                // A token for the dependent from the same installation (as an
                // App, the event's token covers the pushed repository only).
                match state.github.client(installation, Some(&dependent)).await {
                    Ok(client) => {
                        changed |=
                            refresh_logged(state, &client, installation, &dependent, None).await;
                    }
                    Err(err) => {
                        tracing::info!(repository = %dependent.full_name(), error = %err, "a repository extending the pushed one is not in its installation; it is read again at its own next event");
                    }
                }
            }
        }
    }
    let every = Duration::from_secs(settings.refresh_secs);
    if pushed.as_ref().is_none_or(|p| !p.touches_file)
        && !config.active.all().is_empty()
        && state.repo_config_clock.due(project.as_str(), every)
    {
        changed |= refresh_logged(state, github, installation, repo, None).await;
    }
    let config = if changed {
        let version = config_version::current(&state.db).await?;
        state
            .job_config
            .for_repository(&state.db, &state.plugins, Some(repo), version)
            .await?
    } else {
        config
    };
    if let Some(file) = config.active.file() {
        if let Some(error) = &file.error {
            let reason = in_force(error, file.valid_at.is_some());
            skips::record(&state.db, job_id, SUBJECT, &reason).await?;
        }
    }
    Ok(config)
}

/// How a job's record and the project's page say the file's error, and what
/// applies instead.
#[must_use]
pub fn in_force(error: &str, ever_valid: bool) -> String {
    if ever_valid {
        format!("repository config error: {error} (last valid config in force)")
    } else {
        format!("repository config error: {error} (no valid file yet: Gantry's config in force)")
    }
}

async fn refresh_logged(
    state: &AppState,
    github: &GitHubClient,
    installation: Option<i64>,
    repo: &RepoRef,
    branch: Option<&str>,
) -> bool {
    match refresh(state, github, installation, repo, branch).await {
        Ok(changed) => changed,
        Err(err) => {
            tracing::warn!(repository = %repo.full_name(), error = format!("{err:#}"), "could not read the repository's .github/gantry.yml; the last stored configuration applies");
            false
        }
    }
}

#[cfg(test)]
mod tests;
