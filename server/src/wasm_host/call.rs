//! The plugin runtime ([`PluginRuntime`]; built in `registry`) and running one call
//! into a plugin with it: the store with its limits and deadline, a fresh
//! instance, the export for the entry point, and the outcome. Return values are
//! lifted as [`WasmStr`] views and cut at the output cap before they are copied.
use std::sync::Arc;
use std::time::Instant;

use wasmtime::component::Linker;
use wasmtime::component::{ComponentType, Instance, Lower, ResourceTable, WasmStr};
use wasmtime::{Engine, Store, StoreLimitsBuilder, Trap, UpdateDeadline};
use wasmtime_wasi::WasiCtxBuilder;

use super::bindings::gantry::plugin::types::{Approval, ApprovalOutcome, Command};
use super::bindings::{Event, Repo};
use super::cache::ComponentCache;
use super::call_types::{
    ApprovalNotice, InvocationReport, JobEnv, Outcome, PluginCommand, PluginEvent,
};
use super::host::{ActingPerson, CallData, CallState, EventFacts, IdempotencyScope, LogBuffer};
use super::registry::LoadedPlugin;
use crate::config::Limits;
use crate::domain::text::clip;
use crate::domain::{ApprovalStatus, RepoRef};

const MIB: usize = 1024 * 1024;

/// Which export to call, with its argument.
enum Entry {
    Event(Event),
    Command(Command),
    Approval(Approval),
}

impl Entry {
    fn export(&self) -> &'static str {
        match self {
            Self::Event(_) => "handle-event",
            Self::Command(_) => "handle-command",
            Self::Approval(_) => "approval-resolved",
        }
    }
}

fn wit_repo(r: &RepoRef) -> Repo {
    Repo {
        owner: r.owner.clone(),
        name: r.name.clone(),
    }
}

fn wit_event(event: &PluginEvent) -> Event {
    Event {
        name: event.name.clone(),
        action: event.action.clone(),
        delivery_id: event.delivery_id.clone(),
        repository: event.repository.as_ref().map(wit_repo),
        payload: event.payload.clone(),
    }
}

/// The WIT outcome of an ended approval. v0.1 knows four; an action superseded by a
/// push or stopped by the policy never ran, as a denied one, and the detail says
/// which it was.
fn approval_outcome(status: ApprovalStatus) -> ApprovalOutcome {
    match status {
        ApprovalStatus::Executed => ApprovalOutcome::Executed,
        ApprovalStatus::Denied | ApprovalStatus::Superseded | ApprovalStatus::Stopped => {
            ApprovalOutcome::Denied
        }
        ApprovalStatus::Expired => ApprovalOutcome::Expired,
        ApprovalStatus::Failed
        | ApprovalStatus::Pending
        | ApprovalStatus::Approved
        | ApprovalStatus::Retrying => ApprovalOutcome::Failed,
    }
}

/// The engine, the linker with every host import, and the limits of each call.
#[derive(Clone)]
pub struct PluginRuntime {
    pub(super) engine: Engine,
    pub(super) linker: Arc<Linker<CallData>>,
    pub(super) limits: Limits,
    pub(super) cache: Option<ComponentCache>,
    /// One permit per instance slot of the pool (`limits.pool_instances`): an
    /// invocation holds one from before its instance exists until it is gone, so
    /// more jobs in flight than slots wait for a slot instead of failing to
    /// instantiate.
    pub(super) slots: Arc<tokio::sync::Semaphore>,
}

impl std::fmt::Debug for PluginRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginRuntime")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl PluginRuntime {
    /// Runs `plugin` on `event` in a fresh instance. Never panics and never returns
    /// an error: every failure is an [`Outcome`].
    pub async fn invoke(
        &self,
        plugin: &LoadedPlugin,
        event: &PluginEvent,
        env: &JobEnv,
    ) -> InvocationReport {
        self.run(plugin, event, Entry::Event(wit_event(event)), env, None)
            .await
    }

    /// Runs `plugin`'s `handle-command` for a command whose verb it declares.
    pub async fn invoke_command(
        &self,
        plugin: &LoadedPlugin,
        command: &PluginCommand,
        env: &JobEnv,
    ) -> InvocationReport {
        let wit = Command {
            verb: command.verb.clone(),
            args: command.args.clone(),
            author: command.author.clone(),
            author_permission: command.author_permission.into(),
            number: command.number,
            is_pull_request: command.is_pull_request,
            comment_id: command.comment_id,
            event: wit_event(&command.event),
        };
        let actor = ActingPerson {
            login: Some(command.author.clone()),
            permission: Some(command.author_permission),
        };
        self.run(
            plugin,
            &command.event,
            Entry::Command(wit),
            env,
            Some(actor),
        )
        .await
    }

    /// Tells `plugin` how one of its held actions ended (`approval-resolved`). Its
    /// host calls are scoped to the action's repository and keyed by the approval.
    pub async fn invoke_approval(
        &self,
        plugin: &LoadedPlugin,
        notice: &ApprovalNotice,
        env: &JobEnv,
    ) -> InvocationReport {
        let context = PluginEvent {
            name: "approval".into(),
            action: Some(notice.outcome.as_str().to_owned()),
            delivery_id: format!("{}:{}", notice.delivery_id, notice.id),
            repository: Some(notice.repository.clone()),
            payload: String::new(),
            generation: 0,
            is_retry: true,
            branch: None,
            config: notice.config.clone(),
            invocation: None,
            cause: notice.cause.clone(),
        };
        let wit = Approval {
            id: notice.id.clone(),
            capability: notice.capability.clone(),
            repository: wit_repo(&notice.repository),
            outcome: approval_outcome(notice.outcome),
            decided_by: notice.decided_by.clone(),
            detail: notice.detail.clone(),
            delivery_id: notice.delivery_id.clone(),
        };
        self.run(
            plugin,
            &context,
            Entry::Approval(wit),
            env,
            Some(ActingPerson::default()),
        )
        .await
    }

    #[tracing::instrument(name = "plugin.invoke", skip_all, fields(plugin = %plugin.manifest.name, entry = entry.export()))]
    async fn run(
        &self,
        plugin: &LoadedPlugin,
        event: &PluginEvent,
        entry: Entry,
        env: &JobEnv,
        actor: Option<ActingPerson>,
    ) -> InvocationReport {
        // Who acts: the command's author or nobody as the caller says, else the
        // event's sender.
        let facts = EventFacts::of(&event.payload);
        let actor = actor.unwrap_or_else(|| ActingPerson {
            login: facts.sender(),
            permission: None,
        });
        let limits = self.limits();
        // Declared before the store, so it is released after the instance is gone.
        let _slot = self.instance_slot().await;
        let started = Instant::now();
        let started_at = chrono::Utc::now();
        let deadline = started + limits.timeout();
        let state = CallData {
            wasi: WasiCtxBuilder::new()
                .allow_tcp(false)
                .allow_udp(false)
                .allow_ip_name_lookup(false)
                .build(),
            table: ResourceTable::new(),
            limits: StoreLimitsBuilder::new()
                .memory_size(limits.memory_mib.saturating_mul(MIB))
                .instances(32)
                .memories(16)
                .tables(64)
                .table_elements(1_000_000)
                .build(),
            invocation: CallState {
                plugin: plugin.manifest.name.clone(),
                capabilities: plugin.capabilities.clone(),
                repository: event.repository.clone(),
                config_json: event
                    .config
                    .clone()
                    .unwrap_or_else(|| plugin.config_json.clone()),
                env: env.clone(),
                event_branch: event.branch.clone(),
                default_branch: facts.default_branch(),
                actor,
                cause: event.cause.clone(),
                idempotency: IdempotencyScope {
                    delivery_id: event.delivery_id.clone(),
                    generation: event.generation,
                    look_first: event.is_retry,
                    invocation: event.invocation.clone(),
                },
                writes: 0,
                log: LogBuffer::new(limits),
                github_calls: 0,
                github_budget: limits.github_calls,
                transient_failure: None,
                retry_at: None,
                deadline,
                max_output_bytes: limits.max_output_bytes,
                checked: std::collections::HashMap::new(),
                open_secrets: 0,
                http_requests: 0,
                metric_refused: false,
                open_workspaces: 0,
                max_workspace_bytes: limits.workspace_mib.saturating_mul(1024 * 1024),
                held: None,
                models: super::host::ModelUse::default(),
            },
        };
        let mut store = Store::new(self.engine(), state);
        store.limiter(|s| &mut s.limits);
        store.set_epoch_deadline(1);
        // Job control: a cancelled job's plugin stops as it enters its next host
        // call, or at the next epoch tick while it computes.
        let stop = env.stop.clone();
        store.call_hook(move |_, hook| {
            if hook.entering_host() {
                stop.check()
            } else {
                Ok(())
            }
        });
        let stop = env.stop.clone();
        store.epoch_deadline_callback(move |_| {
            stop.check()?;
            if Instant::now() >= deadline {
                Ok(UpdateDeadline::Interrupt)
            } else {
                // Let other tasks on this thread run, then check again next tick.
                Ok(UpdateDeadline::Yield(1))
            }
        });
        let export = entry.export();
        let result = {
            let call = async {
                let instance = plugin.pre.instantiate_async(&mut store).await?;
                let returned = match entry {
                    Entry::Event(arg) => call_export(&instance, &mut store, export, arg).await?,
                    Entry::Command(arg) => call_export(&instance, &mut store, export, arg).await?,
                    Entry::Approval(arg) => call_export(&instance, &mut store, export, arg).await?,
                };
                // Only the capped part of an error string is copied out of the sandbox.
                Ok::<_, wasmtime::Error>(match returned {
                    Ok(()) => Ok(()),
                    Err(text) => Err(capped(&text.to_str(&store)?, MAX_MESSAGE_BYTES)),
                })
            };
            tokio::time::timeout_at(deadline.into(), call).await
        };
        let duration = started.elapsed();
        let invocation = &store.data().invocation;
        let (outcome, message) = match result {
            Err(_elapsed) => (
                Outcome::TimedOut,
                Some(format!("exceeded the deadline of {} ms", limits.timeout_ms)),
            ),
            Ok(Err(err)) if err.downcast_ref::<Trap>() == Some(&Trap::Interrupt) => (
                Outcome::TimedOut,
                Some(format!(
                    "interrupted at the deadline of {} ms",
                    limits.timeout_ms
                )),
            ),
            Ok(Err(err)) if err.downcast_ref::<super::Cancelled>().is_some() => {
                (Outcome::Cancelled, Some(super::Cancelled.to_string()))
            }
            Ok(Err(err)) => (Outcome::Trapped, Some(describe_trap(&err))),
            Ok(Ok(Err(plugin_error))) => match &invocation.transient_failure {
                Some(cause) => (
                    Outcome::Retry,
                    Some(format!("{plugin_error} (GitHub: {cause})")),
                ),
                None => (Outcome::Failed, Some(plugin_error)),
            },
            Ok(Ok(Ok(()))) => (Outcome::Ok, None),
        };
        InvocationReport {
            plugin: plugin.manifest.name.clone(),
            outcome,
            message,
            log: invocation.log.render(),
            duration,
            started_at,
            retry_at: invocation.retry_at,
        }
    }
}

/// Calls the export `name`, which takes one `A` and returns `result<_, string>`; the
/// error string stays a view into the plugin's memory.
async fn call_export<A>(
    instance: &Instance,
    store: &mut Store<CallData>,
    name: &str,
    arg: A,
) -> wasmtime::Result<Result<(), WasmStr>>
where
    A: ComponentType + Lower + Send + Sync + 'static,
{
    let f = instance.get_typed_func::<(A,), (Result<(), WasmStr>,)>(&mut *store, name)?;
    Ok(f.call_async(&mut *store, (arg,)).await?.0)
}

/// The longest error message of a plugin that is kept; the rest is cut.
const MAX_MESSAGE_BYTES: usize = 4096;

/// `text` cut to `max` bytes on a character boundary, saying how much was cut.
fn capped(text: &str, max: usize) -> String {
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
