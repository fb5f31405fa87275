//! Bare wasmtime: the same component on an engine built by the same
//! `wasm_host::engine::build`, with a linker holding WASI p2 and Gantry's generated
//! `log` and `config` bindings over a minimal host state (other imports trap; the
//! benchmarked plugins do not call them), pre-instantiated once. Each call is a new
//! store, an instantiation and `handle-event`.
//!
//! The floor ([`Step::Floor`]) has no limits, no epoch callback and no deadline, and
//! builds a WASI context only if the guest asks for one. The later steps add what
//! `PluginRuntime::invoke` adds, one at a time and with the same values, so the
//! difference between Gantry and the floor can be taken apart.
use std::time::Instant;

use anyhow::{anyhow, bail, Context};
use gantry_server::config::Limits;
use gantry_server::wasm_host::bindings::gantry::plugin::{config, log, types};
use gantry_server::wasm_host::bindings::{Event, PluginPre};
use wasmtime::component::{Component, HasSelf, Linker, ResourceTable};
use wasmtime::{Engine, Store, StoreLimits, StoreLimitsBuilder, UpdateDeadline};
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

/// What a call sets up besides the store, cumulatively: each step has everything the
/// ones before it have. `Gantry` is `PluginRuntime::invoke` itself (not run here).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Step {
    /// A store with an empty resource table, the WASI context only on demand.
    Floor,
    /// A WASI context built up front, as Gantry builds it (no network).
    Wasi,
    /// Gantry's store limits (memory, instances, tables) and the limiter.
    Limits,
    /// Gantry's epoch deadline callback and the tokio deadline around the call.
    Deadline,
    /// `PluginRuntime::invoke`: also its invocation state, a copy of the event and
    /// the report.
    Gantry,
}

impl Step {
    /// Every step, floor first.
    pub const ALL: [Self; 5] = [
        Self::Floor,
        Self::Wasi,
        Self::Limits,
        Self::Deadline,
        Self::Gantry,
    ];

    /// How the report names the step.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Floor => "bare wasmtime (floor)",
            Self::Wasi => "+ WASI context",
            Self::Limits => "+ store limits",
            Self::Deadline => "+ epoch callback and deadline",
            Self::Gantry => "Gantry `PluginRuntime::invoke`",
        }
    }

    /// What the step adds to the one before it, in a few words.
    #[must_use]
    pub fn short(self) -> &'static str {
        match self {
            Self::Floor => "the floor",
            Self::Wasi => "WASI context",
            Self::Limits => "store limits",
            Self::Deadline => "epoch callback and deadline",
            Self::Gantry => "the rest of `invoke`",
        }
    }

    /// What the step adds to the one before it, for the report's table.
    #[must_use]
    pub fn adds(self) -> &'static str {
        match self {
            Self::Floor => "a store with an empty resource table; a WASI context only if the guest asks for one",
            Self::Wasi => "a `WasiCtx` built for every call as Gantry builds it (no network)",
            Self::Limits => "`StoreLimits` (64 MiB, 32 instances, 16 memories, 64 tables) and the limiter",
            Self::Deadline => "`epoch_deadline_callback` and `tokio::time::timeout_at` around the call",
            Self::Gantry => {
                "the `CallState` (name, capabilities, config, `JobEnv` cloned; log buffer), the event copied into its WIT form, \
                 clocks, the report; the engine's epoch ticker"
            }
        }
    }
}

/// The store's data: WASI, a resource table and (unused before [`Step::Limits`])
/// store limits.
struct BareState {
    wasi: Option<WasiCtx>,
    table: ResourceTable,
    limits: StoreLimits,
}

impl WasiView for BareState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        let ctx = self.wasi.get_or_insert_with(|| WasiCtx::builder().build());
        WasiCtxView {
            ctx,
            table: &mut self.table,
        }
    }
}

impl types::Host for BareState {}

impl log::Host for BareState {
    async fn write(&mut self, _level: log::Level, _message: String) -> wasmtime::Result<()> {
        Ok(())
    }
}

impl config::Host for BareState {
    async fn get(&mut self) -> wasmtime::Result<String> {
        Ok("{}".to_owned())
    }
}

const MIB: usize = 1024 * 1024;

/// The bare host: its own engine (no epoch ticker) and the pre-instantiated component.
pub struct Bare {
    engine: Engine,
    pre: PluginPre<BareState>,
    limits: Limits,
}

impl std::fmt::Debug for Bare {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bare")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl Bare {
    /// Builds the engine as Gantry does, links WASI and the bindings, compiles
    /// `wasm` and pre-instantiates it.
    ///
    /// # Errors
    /// When wasmtime rejects the configuration, the imports or the component.
    pub fn new(limits: Limits, wasm: &[u8]) -> anyhow::Result<Self> {
        let engine = gantry_server::wasm_host::engine::build(&limits)?;
        let mut linker: Linker<BareState> = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)
            .map_err(anyhow::Error::from)
            .context("linking WASI")?;
        types::add_to_linker::<BareState, HasSelf<BareState>>(&mut linker, |state| state)
            .map_err(anyhow::Error::from)
            .context("linking types")?;
        log::add_to_linker::<BareState, HasSelf<BareState>>(&mut linker, |state| state)
            .map_err(anyhow::Error::from)
            .context("linking log")?;
        config::add_to_linker::<BareState, HasSelf<BareState>>(&mut linker, |state| state)
            .map_err(anyhow::Error::from)
            .context("linking config")?;
        let component = Component::from_binary(&engine, wasm)
            .map_err(anyhow::Error::from)
            .context("compiling the plugin")?;
        // The benchmarked plugins call no other host import; any other traps.
        linker
            .define_unknown_imports_as_traps(&component)
            .map_err(anyhow::Error::from)
            .context("stubbing the other imports")?;
        let instance_pre = linker
            .instantiate_pre(&component)
            .map_err(anyhow::Error::from)
            .context("pre-instantiating the plugin")?;
        let pre = PluginPre::new(instance_pre)
            .map_err(anyhow::Error::from)
            .context("the plugin does not export the world")?;
        Ok(Self {
            engine,
            pre,
            limits,
        })
    }

    /// One fresh instance and one call with what `step` sets up; the store is dropped
    /// before this returns. Returns whether, at the floor, the guest asked for a WASI
    /// context (false for the other steps, which always build one).
    ///
    /// # Errors
    /// When instantiation or the call traps, times out, or the plugin returns an error.
    pub async fn call(&self, step: Step, event: &Event) -> anyhow::Result<bool> {
        let wasi = (step >= Step::Wasi).then(|| {
            WasiCtxBuilder::new()
                .allow_tcp(false)
                .allow_udp(false)
                .allow_ip_name_lookup(false)
                .build()
        });
        let limits = if step >= Step::Limits {
            // The same values as `PluginRuntime::invoke`.
            StoreLimitsBuilder::new()
                .memory_size(self.limits.memory_mib.saturating_mul(MIB))
                .instances(32)
                .memories(16)
                .tables(64)
                .table_elements(1_000_000)
                .build()
        } else {
            StoreLimits::default()
        };
        let mut store = Store::new(
            &self.engine,
            BareState {
                wasi,
                table: ResourceTable::new(),
                limits,
            },
        );
        if step >= Step::Limits {
            store.limiter(|s| &mut s.limits);
        }
        // Epoch checks are compiled in (same engine configuration), so a deadline is
        // needed; this engine's epoch never moves, so it is never reached.
        store.set_epoch_deadline(1);
        let deadline = Instant::now() + self.limits.timeout();
        if step >= Step::Deadline {
            store.epoch_deadline_callback(move |_| {
                if Instant::now() >= deadline {
                    Ok(UpdateDeadline::Interrupt)
                } else {
                    Ok(UpdateDeadline::Yield(1))
                }
            });
        }
        let result = {
            let call = async {
                let instance = self.pre.instantiate_async(&mut store).await?;
                instance.call_handle_event(&mut store, event).await
            };
            if step >= Step::Deadline {
                tokio::time::timeout_at(deadline.into(), call)
                    .await
                    .map_err(|_| anyhow!("the call passed its deadline"))?
            } else {
                call.await
            }
        };
        match result
            .map_err(anyhow::Error::from)
            .context("the call trapped")?
        {
            Ok(()) => Ok(step == Step::Floor && store.data().wasi.is_some()),
            Err(message) => bail!("the plugin returned an error: {message}"),
        }
    }
}
