//! What one plugin invocation takes and gives: the event, command or approval
//! notice it handles, the host environment its imports use, and the report of how
//! it ended. Running it is `call`'s job.
use std::sync::Arc;
use std::time::Duration;

use super::egress::Egress;
use crate::crypto::{AuditKey, SecretBox};
use crate::domain::{Cause, RepoRef};
use crate::github::GitHubClient;
use crate::metrics::PluginMetrics;

/// The event as handed to a plugin.
#[derive(Debug, Clone)]
pub struct PluginEvent {
    /// `X-GitHub-Event`.
    pub name: String,
    /// The payload's action.
    pub action: Option<String>,
    /// `X-GitHub-Delivery`.
    pub delivery_id: String,
    /// The event's repository.
    pub repository: Option<RepoRef>,
    /// The raw JSON payload.
    pub payload: String,
    /// Which run of the delivery this is: 0 for the original job, one more for each
    /// replay. Part of every idempotency key.
    pub generation: i32,
    /// Whether an earlier attempt of the same job may already have acted, so writes
    /// must look for their own earlier effect first.
    pub is_retry: bool,
    /// The event's branch, for policy conditions.
    pub branch: Option<String>,
    /// The configuration for the event's project; the plugin's own
    /// (`LoadedPlugin::config_json`) when not set.
    pub config: Option<std::sync::Arc<str>>,
    /// Tells apart the invocations of one plugin within a job (a command line, a
    /// hook stage) so their writes get different idempotency keys; `None` for a
    /// plugin's one run for the event.
    pub invocation: Option<String>,
    /// Who (and which pull request head) caused the event: held writes record it,
    /// and those people may not approve them.
    pub cause: Cause,
}

/// What host calls reach outside the sandbox: GitHub, the database (approvals and
/// the audit log) and the policy rules in force for this job. Built once per job (per
/// notice for the approval sweep) and cloned into each of its calls.
#[derive(Debug, Clone)]
pub struct JobEnv {
    /// GitHub on the installation's credentials.
    pub github: GitHubClient,
    /// The database.
    pub db: sea_orm::DatabaseConnection,
    /// The operator's policy rules.
    pub rules: std::sync::Arc<Vec<crate::policy::Rule>>,
    /// Services built once per process.
    pub services: Arc<ProcessServices>,
    /// People's permissions looked up for the policy during this job.
    pub actors: super::host::ActorPermissions,
    /// Raised when the job is cancelled: its calls stop at their next host call.
    pub stop: super::StopSignal,
}

/// What host imports use besides GitHub and the database, built once per process
/// and shared by every job.
#[derive(Debug, Clone)]
pub struct ProcessServices {
    /// Opens plugin secrets; `None` without `secrets.key`.
    pub secret_box: Option<SecretBox>,
    /// Keys the audit log's chain (unkeyed without `secrets.key`).
    pub audit_key: AuditKey,
    /// Outbound HTTP with address checks.
    pub egress: Egress,
    /// Where plugin-reported metrics go; `None` where nothing exports them.
    pub metrics: Option<PluginMetrics>,
    /// Counts policy decisions by effect; `None` where nothing exports them.
    pub decisions: Option<prometheus::IntCounterVec>,
    /// Where git workspaces live and clone from.
    pub git: GitPlaces,
    /// The language model providers the operator configured (`[models]`).
    pub models: Arc<crate::model::providers::ModelProviders>,
    /// What model calls may spend (`[model_spending]`): reserved before each call,
    /// shown on the dashboard and `/metrics`.
    pub model_budget: Arc<crate::model::budget::ModelBudget>,
    /// How long `get-owners` trusts the ownership files it cached before reading
    /// them again (`repository_config.refresh_secs`).
    pub ownership_refresh: std::time::Duration,
}

/// Where git workspaces clone from and live on disk.
#[derive(Debug, Clone)]
pub struct GitPlaces {
    /// Clone URLs are `{base_url}/{owner}/{name}.git`.
    pub base_url: String,
    /// Workspaces of running invocations, removed when they end.
    pub workspaces: std::path::PathBuf,
    /// The largest pack a push held for approval may store in the database.
    pub max_held_push_bytes: u64,
}

impl ProcessServices {
    /// Builds them from the settings.
    ///
    /// # Errors
    /// When `secrets.key` is not a valid key or the HTTP client cannot be built.
    pub fn new(
        settings: &crate::config::Settings,
        metrics: Option<&crate::metrics::Metrics>,
    ) -> anyhow::Result<Self> {
        let secret_box = settings
            .secrets
            .key
            .as_ref()
            .map(SecretBox::from_key)
            .transpose()?;
        let audit_key = AuditKey::derive(settings.secrets.key.as_ref())?;
        let git = GitPlaces {
            base_url: settings.github.git_url.trim_end_matches('/').to_owned(),
            workspaces: settings.data_dir.join("workspaces"),
            max_held_push_bytes: settings.approvals.max_held_push_bytes,
        };
        Ok(Self {
            secret_box,
            audit_key,
            egress: Egress::new(&settings.plugins.http)?,
            metrics: metrics.map(|m| m.plugin_reported.clone()),
            decisions: metrics.map(|m| m.policy_decisions.clone()),
            git,
            models: Arc::new(crate::model::providers::ModelProviders::new(
                &settings.models,
            )),
            model_budget: Arc::new(model_budget(settings, metrics)),
            ownership_refresh: std::time::Duration::from_secs(
                settings.repository_config.refresh_secs,
            ),
        })
    }
}

/// The model budgets of `settings`: `[model_spending]`'s limits and prices, and for
/// a provider `[model_spending.prices]` does not name, the prices its `[models]`
/// table gives (the same the provenance records).
fn model_budget(
    settings: &crate::config::Settings,
    metrics: Option<&crate::metrics::Metrics>,
) -> crate::model::budget::ModelBudget {
    let spending = &settings.model_spending;
    let mut prices = spending.prices.clone();
    for (name, provider) in &settings.models {
        let priced = provider.input_per_million > 0.0 || provider.output_per_million > 0.0;
        if priced && !prices.iter().any(|p| &p.provider == name) {
            prices.push(crate::config::ModelPrice {
                provider: name.clone(),
                model: "*".into(),
                prompt_per_million: provider.input_per_million,
                completion_per_million: provider.output_per_million,
            });
        }
    }
    let budget =
        crate::model::budget::ModelBudget::from_settings(&spending.budgets).with_prices(&prices);
    match metrics {
        Some(metrics) => budget.with_metrics(metrics),
        None => budget,
    }
}

/// A command from a comment, as handed to the plugin that declares its verb.
#[derive(Debug, Clone)]
pub struct PluginCommand {
    /// The delivery the comment came in; its repository scopes every host call.
    pub event: PluginEvent,
    /// The verb, lower case.
    pub verb: String,
    /// The rest of the line.
    pub args: String,
    /// The commenter.
    pub author: String,
    /// The commenter's permission on the repository.
    pub author_permission: crate::policy::Permission,
    /// The issue or pull request.
    pub number: u64,
    /// Whether it is a pull request.
    pub is_pull_request: bool,
    /// The comment's id.
    pub comment_id: u64,
}

/// The end of a held action, as told to the plugin that asked for it.
#[derive(Debug, Clone)]
pub struct ApprovalNotice {
    /// The approval's id.
    pub id: String,
    /// The capability of the action.
    pub capability: String,
    /// The repository.
    pub repository: RepoRef,
    /// How it ended (`ApprovalStatus::TOLD`).
    pub outcome: crate::domain::ApprovalStatus,
    /// Who decided.
    pub decided_by: Option<String>,
    /// The result or the failure.
    pub detail: Option<String>,
    /// The delivery that asked.
    pub delivery_id: String,
    /// The plugin's configuration for the repository.
    pub config: Option<std::sync::Arc<str>>,
    /// What caused the held action, which also caused whatever the plugin holds
    /// while handling its end.
    pub cause: Cause,
}

/// How an invocation ended (`blocked` is never an invocation's: a hook stopped it).
pub use crate::domain::RunOutcome as Outcome;

/// What one invocation did.
#[derive(Debug, Clone)]
pub struct InvocationReport {
    /// The plugin's name.
    pub plugin: String,
    /// How it ended.
    pub outcome: Outcome,
    /// The error, trap or timeout, when there was one.
    pub message: Option<String>,
    /// The plugin's log lines.
    pub log: String,
    /// Wall-clock time, instantiation included.
    pub duration: Duration,
    /// When it started.
    pub started_at: chrono::DateTime<chrono::Utc>,
    /// The earliest a retry may run, when GitHub asked to wait (a rate limit).
    pub retry_at: Option<chrono::DateTime<chrono::Utc>>,
}
