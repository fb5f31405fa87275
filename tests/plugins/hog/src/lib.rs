//! Hostile fixture (TESTPLAN S2): allocates and touches memory until it cannot.
use gantry_plugin_sdk::{Error, Event, Plugin};

struct Hog;

impl Plugin for Hog {
    fn handle_event(_event: Event) -> Result<(), Error> {
        let mut hoard: Vec<Vec<u8>> = Vec::new();
        loop {
            // 1 MiB at a time, written so it is really committed.
            hoard.push(std::hint::black_box(vec![0xA5; 1024 * 1024]));
        }
    }
}

gantry_plugin_sdk::register_plugin!(Hog);
