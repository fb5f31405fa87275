//! The wasmtime engine shared by all plugins, and the epoch ticker that lets running
//! guest code notice its deadline.
use std::time::Duration;

use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use crate::config::Limits;

/// Builds the engine: component model on, epoch interruption for CPU deadlines, the
/// WebAssembly stack capped, and the pooling allocator, which keeps instance slots
/// (memories, tables, stacks) ready so a fresh instance per call is cheap. When the
/// pool cannot be set up (too little address space), it falls back to allocating on
/// demand and says so.
///
/// # Errors
/// When wasmtime rejects the configuration.
pub fn build(limits: &Limits) -> anyhow::Result<Engine> {
    let mut config = base_config(limits);
    config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool(limits)));
    match Engine::new(&config) {
        Ok(engine) => Ok(engine),
        Err(err) => {
            tracing::warn!(error = %err, "the pooling allocator could not be set up; allocating instances on demand");
            Ok(Engine::new(&base_config(limits))?)
        }
    }
}

fn base_config(limits: &Limits) -> Config {
    let stack = limits.stack_kib.saturating_mul(1024);
    let mut config = Config::new();
    config
        .wasm_component_model(true)
        .epoch_interruption(true)
        .max_wasm_stack(stack)
        // The async stack must hold the wasm stack plus the host's own frames.
        .async_stack_size(stack + 1024 * 1024);
    config
}

/// Slots for `pool_instances` plugin instances at once, each with room for the few
/// core instances, memories and tables a Rust component has; memories capped at the
/// memory limit.
fn pool(limits: &Limits) -> PoolingAllocationConfig {
    let n = limits.pool_instances.max(1);
    let mut pool = PoolingAllocationConfig::default();
    pool.total_component_instances(n)
        .total_core_instances(n.saturating_mul(8))
        .total_memories(n.saturating_mul(2))
        .total_tables(n.saturating_mul(8))
        .total_stacks(n)
        .max_core_instances_per_component(16)
        .max_memories_per_component(4)
        .max_tables_per_component(16)
        .max_memory_size(limits.memory_mib.saturating_mul(1024 * 1024));
    pool
}

/// Increments the engine's epoch every `tick` on its own thread, for as long as the
/// engine lives.
pub fn start_ticker(engine: &Engine, tick: Duration) {
    let weak = engine.weak();
    let spawned = std::thread::Builder::new()
        .name("gantry-epoch".into())
        .spawn(move || loop {
            std::thread::sleep(tick);
            match weak.upgrade() {
                Some(engine) => engine.increment_epoch(),
                None => break,
            }
        });
    if let Err(err) = spawned {
        tracing::error!(%err, "could not start the epoch ticker; plugin deadlines rely on the wall-clock timeout only");
    }
}
