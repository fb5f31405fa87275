//! The state of one plugin invocation and the host imports the plugin calls, one
//! submodule per WIT interface: `github`, `git`, `kv`, `secrets`, `http`, `metrics`,
//! `model` and `log` (which is linked by hand so long lines are cut before they are
//! copied); `config` is here.
//!
//! Every call that reaches outside the sandbox is checked before it leaves: the
//! target repository must be the event's own, the invocation's budgets must not be
//! spent, and the policy must allow it (an undeclared capability is always denied;
//! `ask` holds the exact write for a maintainer's approval).
use std::collections::HashSet;
use std::sync::Arc;

use wasmtime::component::ResourceTable;
use wasmtime::StoreLimits;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use super::bindings::gantry::plugin::{config, types};
use super::bindings::{HostError, Repo};
use crate::config::Limits;
use crate::domain::text::clip;
use crate::domain::{Capability, RepoRef};
use crate::github::GitHubError;

mod actor;
pub(crate) mod git;
mod github;
mod http;
mod kv;
pub(crate) mod log;
mod metrics;
mod model;
mod model_budget;
mod once;
pub(crate) mod secrets;
mod targets;
mod written;
use crate::policy::Target;
use crate::policy::{gate, GateVerdict, HeldAction, Write};
pub use actor::{ActingPerson, ActorPermissions, EventFacts};
pub use model::ModelUse;

/// Everything a store holds; a store lives for one call (one invocation).
pub struct CallData {
    pub(crate) wasi: WasiCtx,
    pub(crate) table: ResourceTable,
    pub(crate) limits: StoreLimits,
    pub(crate) invocation: CallState,
}

impl std::fmt::Debug for CallData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallData")
            .field("plugin", &self.invocation.plugin)
            .finish_non_exhaustive()
    }
}

/// What the host imports need to know and record about one call (one invocation);
/// built for each call, dropped with its store.
#[derive(Debug)]
pub struct CallState {
    /// The plugin's name.
    pub plugin: String,
    /// The capabilities its manifest declares.
    pub capabilities: Arc<HashSet<String>>,
    /// The repository of the event; plugins may only act on it.
    pub repository: Option<RepoRef>,
    /// The plugin's configuration as JSON.
    pub config_json: Arc<str>,
    /// GitHub, the database and the policy rules.
    pub env: super::call_types::JobEnv,
    /// The event's branch, for `event_branch` policy conditions.
    pub event_branch: Option<String>,
    /// The repository's default branch as the event says it, for writes that name
    /// no branch (`put-file` with an empty branch, a release without a target).
    pub default_branch: Option<String>,
    /// Who acts (the commenter of a command, the sender of an event), for
    /// `min_permission` policy conditions.
    pub actor: ActingPerson,
    /// Who and what caused the event: held writes record it.
    pub cause: crate::domain::Cause,
    /// What makes this invocation's writes idempotent.
    pub idempotency: IdempotencyScope,
    /// Writes attempted so far; numbers each write for its idempotency key.
    pub writes: u32,
    /// Log lines written so far, capped.
    pub log: LogBuffer,
    /// GitHub calls made so far, and the most allowed.
    pub github_calls: u32,
    /// The most GitHub calls allowed.
    pub github_budget: u32,
    /// Set when a GitHub call failed in a way a retry of the job may fix.
    pub transient_failure: Option<String>,
    /// The earliest a retry may run, when GitHub asked to wait.
    pub retry_at: Option<chrono::DateTime<chrono::Utc>>,
    /// When the whole call must end; host calls stop waiting then too.
    pub deadline: std::time::Instant,
    /// The most bytes of any one output (error, KV value, HTTP body).
    pub max_output_bytes: usize,
    /// Decisions on non-GitHub capabilities already taken in this call: each is
    /// decided and audited once per invocation.
    pub checked: std::collections::HashMap<String, Result<(), HostError>>,
    /// Secret handles open now.
    pub open_secrets: usize,
    /// HTTP requests sent so far.
    pub http_requests: u32,
    /// Whether a refused metric was already logged.
    pub metric_refused: bool,
    /// git workspaces open now.
    pub open_workspaces: usize,
    /// Disk one git workspace may use.
    pub max_workspace_bytes: u64,
    /// The hold the policy put on the write running now, if it did (`written`).
    pub held: Option<types::Held>,
    /// The completions asked for so far and the models that answered; the writes
    /// that follow are marked with them.
    pub models: ModelUse,
}

/// Where an invocation's writes come from: a retried job finds its earlier writes
/// by the key derived from these, and does not repeat them.
#[derive(Debug, Clone)]
pub struct IdempotencyScope {
    /// GitHub's delivery id.
    pub delivery_id: String,
    /// The job's generation (replays of a finished delivery act again).
    pub generation: i32,
    /// Look for an earlier effect before writing (the job has run before).
    pub look_first: bool,
    /// Which of the plugin's invocations in the job this is (`PluginEvent::invocation`).
    pub invocation: Option<String>,
}

impl IdempotencyScope {
    /// The key of the `seq`-th write of `plugin`: the first 24 hex digits of
    /// SHA-256 over delivery, generation, plugin, the invocation when there is one,
    /// and sequence number.
    #[must_use]
    pub fn key(&self, plugin: &str, seq: u32) -> String {
        use sha2::{Digest, Sha256};
        let digest = match &self.invocation {
            None => Sha256::digest(format!(
                "{}\n{}\n{plugin}\n{seq}",
                self.delivery_id, self.generation
            )),
            Some(run) => Sha256::digest(format!(
                "{}\n{}\n{plugin}\n{run}\n{seq}",
                self.delivery_id, self.generation
            )),
        };
        hex::encode(&digest[..12])
    }
}

/// Log lines of one invocation, capped in count and length.
#[derive(Debug, Default)]
pub struct LogBuffer {
    lines: Vec<String>,
    dropped: usize,
    max_lines: usize,
    max_line_bytes: usize,
}

impl LogBuffer {
    /// An empty buffer with the limits' caps.
    #[must_use]
    pub fn new(limits: &Limits) -> Self {
        Self {
            lines: Vec::new(),
            dropped: 0,
            max_lines: limits.max_log_lines,
            max_line_bytes: limits.max_log_line_bytes,
        }
    }

    /// Adds a line, cut to the length cap; past the count cap it is only counted.
    pub fn push(&mut self, level: &str, message: &str) {
        if self.is_full() {
            self.count_dropped();
            return;
        }
        let kept = clip(message, self.max_line_bytes);
        let cut = kept.len() < message.len();
        self.push_kept(level, kept.to_owned(), cut);
    }

    /// Whether the count cap is reached.
    #[must_use]
    pub fn is_full(&self) -> bool {
        self.lines.len() >= self.max_lines
    }

    /// The length cap of a line, in bytes.
    #[must_use]
    pub fn max_line_bytes(&self) -> usize {
        self.max_line_bytes
    }

    /// Counts a line that was not kept.
    pub fn count_dropped(&mut self) {
        self.dropped += 1;
    }

    /// Adds a line already cut to the cap; `cut` says whether it was.
    pub fn push_kept(&mut self, level: &str, kept: String, cut: bool) {
        let mark = if cut { " [cut]" } else { "" };
        self.lines.push(format!("{level}: {kept}{mark}"));
    }

    /// The kept lines, with a note of how many were dropped.
    #[must_use]
    pub fn render(&self) -> String {
        let mut out = self.lines.join("\n");
        if self.dropped > 0 {
            out.push_str(&format!(
                "\n[{} more lines dropped: log cap reached]",
                self.dropped
            ));
        }
        out
    }
}

/// The longest comment body a plugin may send: GitHub's 65,536 characters less room
/// for the idempotency marker.
pub const MAX_COMMENT_CHARS: usize = 65_000;

impl CallState {
    /// The event's repository as `owner/name`, for host calls scoped to it.
    pub(crate) fn project(&self) -> Result<String, HostError> {
        self.repository
            .as_ref()
            .map(RepoRef::full_name)
            .ok_or_else(|| {
                HostError::Denied("this event has no repository to scope the call to".into())
            })
    }

    /// Checks a capability that is not a GitHub write (KV, HTTP, secrets): it must
    /// be declared and the policy must allow it; `ask` cannot hold such a call, so it
    /// refuses. The decision is audited like every other.
    pub(crate) async fn check(&mut self, capability: &Capability) -> Result<(), HostError> {
        if let Some(done) = self.checked.get(capability.as_str()) {
            return done.clone();
        }
        let target = self.repository.clone().ok_or_else(|| {
            HostError::Denied("this event has no repository to scope the call to".into())
        })?;
        let result = self
            .gate(capability, &target, &Target::Nothing, "", None)
            .await
            .map(drop);
        if !matches!(result, Err(HostError::Unavailable(_))) {
            self.checked
                .insert(capability.as_str().to_owned(), result.clone());
        }
        result
    }

    /// Time left before the deadline.
    pub(crate) fn remaining(&self) -> std::time::Duration {
        self.deadline
            .saturating_duration_since(std::time::Instant::now())
    }

    /// Numbers the next write of this invocation.
    pub(crate) fn next_write(&mut self) -> u32 {
        self.writes += 1;
        self.writes
    }

    /// Checks a GitHub write's target and budget before the policy sees it.
    pub(crate) fn authorise(&mut self, repo: &Repo) -> Result<RepoRef, HostError> {
        let target = RepoRef {
            owner: repo.owner.clone(),
            name: repo.name.clone(),
        };
        if self.repository.as_ref() != Some(&target) {
            return Err(HostError::Denied(format!(
                "plugin `{}` may only act on the repository of the event, not {}",
                self.plugin,
                target.full_name()
            )));
        }
        if self.github_calls >= self.github_budget {
            return Err(HostError::LimitExceeded(format!(
                "the budget of {} GitHub calls per invocation is spent",
                self.github_budget
            )));
        }
        self.github_calls += 1;
        Ok(target)
    }

    /// Passes a call on `target` changing `refs` through the policy gate (which
    /// audits it): a write with the `action` an `ask` would hold, or (`None`) a read
    /// or a check that cannot wait for an approval. `Ok(None)` means make the call
    /// now, `Ok(Some(result))` that an approved earlier run did it.
    pub(crate) async fn gate(
        &mut self,
        capability: &Capability,
        target: &RepoRef,
        refs: &Target,
        key: &str,
        action: Option<HeldAction>,
    ) -> Result<Option<serde_json::Value>, HostError> {
        let actor_permission = self.actor_permission(target).await?;
        let model = self.models.audit_mark();
        let write = Write {
            plugin: &self.plugin,
            declared: capability.is_declared_in(self.capabilities.iter()),
            capability,
            repository: target,
            target: refs,
            event_branch: self.event_branch.as_deref(),
            actor_permission,
            delivery_id: &self.idempotency.delivery_id,
            key,
            action,
            cause: &self.cause,
            model: model.as_deref(),
        };
        let decided = gate(
            &self.env.db,
            &self.env.services.audit_key,
            &self.env.rules,
            write,
        )
        .await;
        if let (Some(counter), Ok(g)) = (&self.env.services.decisions, &decided) {
            let effect = match g {
                GateVerdict::Proceed | GateVerdict::AlreadyDone(_) => "allow",
                GateVerdict::Denied(_) => "deny",
                GateVerdict::Held(_) => "ask",
            };
            counter.with_label_values(&[effect]).inc();
        }
        match decided {
            Ok(GateVerdict::Proceed) => Ok(None),
            Ok(GateVerdict::AlreadyDone(result)) => Ok(Some(result)),
            Ok(GateVerdict::Denied(reason)) => {
                tracing::info!(plugin = %self.plugin, capability = capability.as_str(), %reason, "policy denied a call");
                Err(HostError::Denied(reason))
            }
            Ok(GateVerdict::Held(id)) => {
                // Not an error for the plugin: `written` answers `held`.
                self.held = Some(types::Held {
                    approval_id: id.clone(),
                    capability: capability.as_str().to_owned(),
                });
                Err(HostError::Denied(format!("held for approval: {id}")))
            }
            Err(err) => {
                // Without the database the decision cannot be recorded: retry later.
                self.transient_failure = Some(format!("policy check failed: {err}"));
                Err(HostError::Unavailable(
                    "the policy could not be checked".into(),
                ))
            }
        }
    }

    /// Turns a client error into what the plugin sees, remembering transient ones so
    /// the job is retried.
    pub(crate) fn host_error(&mut self, err: GitHubError) -> HostError {
        match err {
            GitHubError::NotFound(m) => HostError::NotFound(m),
            GitHubError::Rejected { status, message } => {
                HostError::Rejected(format!("{status}: {message}"))
            }
            GitHubError::RateLimited { message, retry_at } => {
                self.retry_at = self.retry_at.max(Some(retry_at));
                let m = format!("rate limited until {retry_at}: {message}");
                self.transient_failure = Some(m.clone());
                HostError::Unavailable(m)
            }
            GitHubError::Transient(m) => {
                self.transient_failure = Some(m.clone());
                HostError::Unavailable(m)
            }
        }
    }
}

impl WasiView for CallData {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl types::Host for CallData {}

impl config::Host for CallData {
    async fn get(&mut self) -> wasmtime::Result<String> {
        Ok(self.invocation.config_json.to_string())
    }
}
