//! One plugin invocation: a fresh instance in a fresh store, a wall-clock deadline
//! around the whole call (host calls included), epoch checks so guest code notices
//! it, a memory cap, and an outcome that says what happened.
use std::time::{Duration, Instant};

use wasmtime::component::ResourceTable;
use wasmtime::{Store, StoreLimitsBuilder, Trap, UpdateDeadline};
use wasmtime_wasi::WasiCtxBuilder;

use super::bindings::{Event, Repo};
use super::host::{HostState, IdempotencyScope, Invocation, LogBuffer};
use super::registry::{LoadedPlugin, PluginRuntime};
use crate::domain::text::clip;
use crate::domain::RepoRef;
use crate::github::GitHubClient;

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
}

/// What host calls reach outside the sandbox: GitHub, the database (approvals and
/// the audit log) and the policy rules in force for this job.
#[derive(Debug, Clone)]
pub struct HostEnv {
    /// GitHub on the installation's credentials.
    pub github: GitHubClient,
    /// The database.
    pub db: sea_orm::DatabaseConnection,
    /// The operator's policy rules.
    pub rules: std::sync::Arc<Vec<crate::policy::Rule>>,
}

/// How an invocation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The plugin returned successfully.
    Ok,
    /// The plugin returned an error of its own.
    Failed,
    /// The plugin trapped (panic, out of memory, stack overflow, ...).
    Trapped,
    /// The deadline passed.
    TimedOut,
    /// A GitHub call failed in a way a later retry may fix.
    Retry,
}

impl Outcome {
    /// The stored form.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Failed => "error",
            Self::Trapped => "trap",
            Self::TimedOut => "timeout",
            Self::Retry => "retry",
        }
    }
}

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
}

const MIB: usize = 1024 * 1024;

impl PluginRuntime {
    /// Runs `plugin` on `event` in a fresh instance. Never panics and never returns
    /// an error: every failure is an [`Outcome`].
    pub async fn invoke(&self, plugin: &LoadedPlugin, event: &PluginEvent, env: &HostEnv) -> InvocationReport {
        let limits = self.limits();
        let started = Instant::now();
        let started_at = chrono::Utc::now();
        let deadline = started + limits.timeout();
        let state = HostState {
            wasi: WasiCtxBuilder::new().allow_tcp(false).allow_udp(false).allow_ip_name_lookup(false).build(),
            table: ResourceTable::new(),
            limits: StoreLimitsBuilder::new()
                .memory_size(limits.memory_mib.saturating_mul(MIB))
                .instances(32)
                .memories(16)
                .tables(64)
                .table_elements(1_000_000)
                .build(),
            invocation: Invocation {
                plugin: plugin.manifest.name.clone(),
                capabilities: plugin.capabilities.clone(),
                repository: event.repository.clone(),
                config_json: event.config.clone().unwrap_or_else(|| plugin.config_json.clone()),
                env: env.clone(),
                branch: event.branch.clone(),
                idempotency: IdempotencyScope {
                    delivery_id: event.delivery_id.clone(),
                    generation: event.generation,
                    look_first: event.is_retry,
                },
                writes: 0,
                log: LogBuffer::new(limits),
                github_calls: 0,
                github_budget: limits.github_calls,
                transient_failure: None,
            },
        };
        let mut store = Store::new(self.engine(), state);
        store.limiter(|s| &mut s.limits);
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(move |_| {
            if Instant::now() >= deadline {
                Ok(UpdateDeadline::Interrupt)
            } else {
                // Let other tasks on this thread run, then check again next tick.
                Ok(UpdateDeadline::Yield(1))
            }
        });
        let wit_event = Event {
            name: event.name.clone(),
            action: event.action.clone(),
            delivery_id: event.delivery_id.clone(),
            repository: event.repository.as_ref().map(|r| Repo { owner: r.owner.clone(), name: r.name.clone() }),
            payload: event.payload.clone(),
        };
        let result = {
            let call = async {
                let instance = plugin.pre.instantiate_async(&mut store).await?;
                instance.call_handle_event(&mut store, &wit_event).await
            };
            tokio::time::timeout_at(deadline.into(), call).await
        };
        let duration = started.elapsed();
        let invocation = &store.data().invocation;
        let (outcome, message) = match result {
            Err(_elapsed) => (Outcome::TimedOut, Some(format!("exceeded the deadline of {} ms", limits.timeout_ms))),
            Ok(Err(err)) if err.downcast_ref::<Trap>() == Some(&Trap::Interrupt) => {
                (Outcome::TimedOut, Some(format!("interrupted at the deadline of {} ms", limits.timeout_ms)))
            }
            Ok(Err(err)) => (Outcome::Trapped, Some(describe_trap(&err))),
            Ok(Ok(Err(plugin_error))) => {
                let plugin_error = cap(&plugin_error, MAX_MESSAGE_BYTES);
                match &invocation.transient_failure {
                    Some(cause) => (Outcome::Retry, Some(format!("{plugin_error} (GitHub: {cause})"))),
                    None => (Outcome::Failed, Some(plugin_error)),
                }
            }
            Ok(Ok(Ok(()))) => (Outcome::Ok, None),
        };
        InvocationReport { plugin: plugin.manifest.name.clone(), outcome, message, log: invocation.log.render(), duration, started_at }
    }
}

/// The longest error message of a plugin that is kept; the rest is cut.
const MAX_MESSAGE_BYTES: usize = 4096;

/// `text` cut to `max` bytes on a character boundary, saying how much was cut.
fn cap(text: &str, max: usize) -> String {
    let kept = clip(text, max);
    if kept.len() == text.len() {
        return text.to_owned();
    }
    format!("{kept}… [{} more bytes cut]", text.len() - kept.len())
}

/// The trap's cause first (`wasm trap: call stack exhausted`, an out-of-memory
/// instantiation), then the first frames of the guest backtrace, capped in length.
fn describe_trap(err: &wasmtime::Error) -> String {
    let cause = match err.downcast_ref::<Trap>() {
        Some(trap) => trap.to_string(),
        None => err.root_cause().to_string(),
    };
    let detail = format!("{err:#}");
    let frames: Vec<&str> = detail.lines().take(8).collect();
    let mut out = format!("{cause}\n{}", frames.join("\n"));
    if out.len() > 2000 {
        out.truncate(clip(&out, 2000).len());
        out.push('…');
    }
    out
}
