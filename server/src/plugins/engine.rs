//! The wasmtime engine shared by all plugins, and the epoch ticker that lets running
//! guest code notice its deadline.
use std::time::Duration;

use wasmtime::{Config, Engine};

use crate::config::Limits;

/// Builds the engine: component model on, epoch interruption for CPU deadlines, and
/// the WebAssembly stack capped.
///
/// # Errors
/// When wasmtime rejects the configuration.
pub fn build(limits: &Limits) -> anyhow::Result<Engine> {
    let stack = limits.stack_kib.saturating_mul(1024);
    let mut config = Config::new();
    config
        .wasm_component_model(true)
        .epoch_interruption(true)
        .max_wasm_stack(stack)
        // The async stack must hold the wasm stack plus the host's own frames.
        .async_stack_size(stack + 1024 * 1024);
    Ok(Engine::new(&config)?)
}

/// Increments the engine's epoch every `tick` on its own thread, for as long as the
/// engine lives.
pub fn start_ticker(engine: &Engine, tick: Duration) {
    let weak = engine.weak();
    let spawned = std::thread::Builder::new().name("gantry-epoch".into()).spawn(move || loop {
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
