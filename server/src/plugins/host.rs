//! The state of one plugin invocation and the host imports the plugin calls.
//!
//! Every GitHub call is checked here before it leaves the sandbox: the target
//! repository must be the event's own, the invocation's budget of calls must not be
//! spent, and the policy gate must allow it (an undeclared capability is always
//! denied; `ask` holds the exact call for a maintainer's approval).
use std::collections::HashSet;
use std::sync::Arc;

use wasmtime::component::ResourceTable;
use wasmtime::StoreLimits;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use super::bindings::gantry::plugin::{config, github, log, types};
use super::bindings::{HostError, Repo};
use crate::config::Limits;
use crate::domain::text::clip;
use crate::domain::RepoRef;
use crate::github::GitHubError;
use crate::services::approvals::{gate, Gate, HeldAction, Write};

/// Everything a store holds for one invocation.
pub struct HostState {
    pub(crate) wasi: WasiCtx,
    pub(crate) table: ResourceTable,
    pub(crate) limits: StoreLimits,
    pub(crate) invocation: Invocation,
}

impl std::fmt::Debug for HostState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostState").field("plugin", &self.invocation.plugin).finish_non_exhaustive()
    }
}

/// What the host imports need to know and record about one invocation.
#[derive(Debug)]
pub struct Invocation {
    /// The plugin's name.
    pub plugin: String,
    /// The capabilities its manifest declares.
    pub capabilities: Arc<HashSet<String>>,
    /// The repository of the event; plugins may only act on it.
    pub repository: Option<RepoRef>,
    /// The plugin's configuration as JSON.
    pub config_json: Arc<str>,
    /// GitHub, the database and the policy rules.
    pub env: super::invoke::HostEnv,
    /// The event's branch, for policy conditions.
    pub branch: Option<String>,
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
}

impl IdempotencyScope {
    /// The key of the `seq`-th write of `plugin`: the first 24 hex digits of
    /// SHA-256 over delivery, generation, plugin and sequence number.
    #[must_use]
    pub fn key(&self, plugin: &str, seq: u32) -> String {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(format!("{}\n{}\n{plugin}\n{seq}", self.delivery_id, self.generation));
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
        Self { lines: Vec::new(), dropped: 0, max_lines: limits.max_log_lines, max_line_bytes: limits.max_log_line_bytes }
    }

    /// Adds a line, cut to the length cap; past the count cap it is only counted.
    pub fn push(&mut self, level: &str, message: &str) {
        if self.lines.len() >= self.max_lines {
            self.dropped += 1;
            return;
        }
        let kept = clip(message, self.max_line_bytes);
        let cut = if kept.len() < message.len() { " [cut]" } else { "" };
        self.lines.push(format!("{level}: {kept}{cut}"));
    }

    /// The kept lines, with a note of how many were dropped.
    #[must_use]
    pub fn render(&self) -> String {
        let mut out = self.lines.join("\n");
        if self.dropped > 0 {
            out.push_str(&format!("\n[{} more lines dropped: log cap reached]", self.dropped));
        }
        out
    }
}

/// The longest comment body a plugin may send: GitHub's 65,536 characters less room
/// for the idempotency marker.
pub const MAX_COMMENT_CHARS: usize = 65_000;

impl Invocation {
    /// Numbers the next write of this invocation.
    fn next_write(&mut self) -> u32 {
        self.writes += 1;
        self.writes
    }

    /// Checks a GitHub write's target and budget before the policy sees it.
    fn authorise(&mut self, repo: &Repo) -> Result<RepoRef, HostError> {
        let target = RepoRef { owner: repo.owner.clone(), name: repo.name.clone() };
        if self.repository.as_ref() != Some(&target) {
            return Err(HostError::Denied(format!(
                "plugin `{}` may only act on the repository of the event, not {}",
                self.plugin,
                target.full_name()
            )));
        }
        if self.github_calls >= self.github_budget {
            return Err(HostError::LimitExceeded(format!("the budget of {} GitHub calls per invocation is spent", self.github_budget)));
        }
        self.github_calls += 1;
        Ok(target)
    }

    /// Passes a write through the policy gate (which audits it); `Ok(None)` means
    /// make the call now, `Ok(Some(result))` that an approved earlier run did it.
    async fn gate(&mut self, capability: &str, target: &RepoRef, key: &str, action: HeldAction) -> Result<Option<serde_json::Value>, HostError> {
        let write = Write {
            plugin: &self.plugin,
            declared: self.capabilities.contains(capability),
            capability,
            repository: target,
            branch: self.branch.as_deref(),
            delivery_id: &self.idempotency.delivery_id,
            key,
            action,
        };
        match gate(&self.env.db, &self.env.rules, write).await {
            Ok(Gate::Proceed) => Ok(None),
            Ok(Gate::AlreadyDone(result)) => Ok(Some(result)),
            Ok(Gate::Denied(reason)) => {
                tracing::info!(plugin = %self.plugin, capability, %reason, "policy denied a write");
                Err(HostError::Denied(reason))
            }
            Ok(Gate::Held(id)) => Err(HostError::Pending(id)),
            Err(err) => {
                // Without the database the decision cannot be recorded: retry later.
                self.transient_failure = Some(format!("policy check failed: {err}"));
                Err(HostError::Unavailable("the policy could not be checked".into()))
            }
        }
    }

    /// Turns a client error into what the plugin sees, remembering transient ones so
    /// the job is retried.
    fn host_error(&mut self, err: GitHubError) -> HostError {
        match err {
            GitHubError::NotFound(m) => HostError::NotFound(m),
            GitHubError::Rejected { status, message } => HostError::Rejected(format!("{status}: {message}")),
            GitHubError::Transient(m) => {
                self.transient_failure = Some(m.clone());
                HostError::Unavailable(m)
            }
        }
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

impl types::Host for HostState {}

impl log::Host for HostState {
    async fn write(&mut self, level: log::Level, message: String) -> wasmtime::Result<()> {
        let inv = &mut self.invocation;
        let name = match level {
            log::Level::Trace => "trace",
            log::Level::Debug => "debug",
            log::Level::Info => "info",
            log::Level::Warn => "warn",
            log::Level::Error => "error",
        };
        tracing::debug!(plugin = %inv.plugin, level = name, message = %message.chars().take(512).collect::<String>(), "plugin log");
        inv.log.push(name, &message);
        Ok(())
    }
}

impl config::Host for HostState {
    async fn get(&mut self) -> wasmtime::Result<String> {
        Ok(self.invocation.config_json.to_string())
    }
}

impl github::Host for HostState {
    async fn add_labels(&mut self, repo: Repo, number: u64, labels: Vec<String>) -> wasmtime::Result<Result<Vec<String>, HostError>> {
        let inv = &mut self.invocation;
        let target = match inv.authorise(&repo) {
            Ok(t) => t,
            Err(e) => return Ok(Err(e)),
        };
        if labels.is_empty() || labels.iter().any(|l| l.trim().is_empty() || l.len() > 100) {
            return Ok(Err(HostError::Invalid("labels must be 1 to 100 characters and not blank".into())));
        }
        let seq = inv.next_write();
        let key = inv.idempotency.key(&inv.plugin, seq);
        let action = HeldAction::AddLabels { owner: target.owner.clone(), repo: target.name.clone(), number, labels: labels.clone() };
        match inv.gate("issues:write", &target, &key, action).await {
            Err(e) => return Ok(Err(e)),
            Ok(Some(done)) => return Ok(Ok(serde_json::from_value(done["labels"].clone()).unwrap_or_default())),
            Ok(None) => {}
        }
        let result = inv.env.github.add_labels(&target, number, &labels).await;
        Ok(result.map_err(|e| inv.host_error(e)))
    }

    async fn create_comment(&mut self, repo: Repo, number: u64, body: String) -> wasmtime::Result<Result<u64, HostError>> {
        let inv = &mut self.invocation;
        let target = match inv.authorise(&repo) {
            Ok(t) => t,
            Err(e) => return Ok(Err(e)),
        };
        // GitHub refuses comments over 65,536 characters; the marker needs some.
        if body.trim().is_empty() || body.chars().count() > MAX_COMMENT_CHARS {
            return Ok(Err(HostError::Invalid(format!("a comment body must be 1 to {MAX_COMMENT_CHARS} characters"))));
        }
        let seq = inv.next_write();
        let key = inv.idempotency.key(&inv.plugin, seq);
        let marker = format!("<!-- gantry: plugin={} key={key} -->", inv.plugin);
        let action = HeldAction::CreateComment { owner: target.owner.clone(), repo: target.name.clone(), number, body: body.clone(), marker: marker.clone() };
        match inv.gate("issues:write", &target, &key, action).await {
            Err(e) => return Ok(Err(e)),
            Ok(Some(done)) => return Ok(Ok(done["comment_id"].as_u64().unwrap_or_default())),
            Ok(None) => {}
        }
        let result = inv.env.github.create_comment_once(&target, number, &body, &marker, inv.idempotency.look_first).await;
        Ok(result.map_err(|e| inv.host_error(e)))
    }
}
