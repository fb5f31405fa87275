//! Benchmark fixture (TESTPLAN P2): returns `Ok` at once without reading the event,
//! so what `gantry-bench plugin` measures is the host's cost of a fresh instance and
//! one call, not the plugin's work.
use gantry_plugin_sdk::{Error, Event, Plugin};

struct Noop;

impl Plugin for Noop {
    fn handle_event(_event: Event) -> Result<(), Error> {
        Ok(())
    }
}

gantry_plugin_sdk::register_plugin!(Noop);
