//! Hostile fixture (TESTPLAN S1): spins forever so the host must interrupt it.
use gantry_plugin_sdk::{Error, Event, Plugin};

struct Looper;

impl Plugin for Looper {
    fn handle_event(_event: Event) -> Result<(), Error> {
        let mut n: u64 = 0;
        loop {
            n = std::hint::black_box(n.wrapping_add(1));
        }
    }
}

gantry_plugin_sdk::register_plugin!(Looper);
