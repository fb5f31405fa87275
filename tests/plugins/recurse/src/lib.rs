//! Hostile fixture (TESTPLAN S3): recurses until the WebAssembly call stack (the
//! engine's `max_wasm_stack`) runs out. Only scalars are passed, so every frame lives
//! on the wasm stack rather than Rust's shadow stack in linear memory.
use gantry_plugin_sdk::{Error, Event, Plugin};

struct Recurse;

#[inline(never)]
#[allow(unconditional_recursion)] // the point of this fixture (TESTPLAN S3)
fn dive(depth: u64) -> u64 {
    // black_box on the result keeps this a real call, not a loop.
    std::hint::black_box(dive(std::hint::black_box(depth + 1))).wrapping_add(depth)
}

impl Plugin for Recurse {
    fn handle_event(_event: Event) -> Result<(), Error> {
        Err(format!("returned {}", dive(0)).into())
    }
}

gantry_plugin_sdk::register_plugin!(Recurse);
