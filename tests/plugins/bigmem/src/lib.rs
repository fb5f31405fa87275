//! Hostile fixture (TESTPLAN S2): its module declares a 128 MiB initial memory
//! (see build.rs), above the host's 64 MiB cap, so it must never be instantiated.
use gantry_plugin_sdk::{Error, Event, Plugin};

struct BigMem;

impl Plugin for BigMem {
    fn handle_event(_event: Event) -> Result<(), Error> {
        Ok(())
    }
}

gantry_plugin_sdk::register_plugin!(BigMem);
