//! Hostile fixture (TESTPLAN S4): writes ten thousand log lines, some of them 1 MiB
//! long, then fails with a 60 MB error message.
use gantry_plugin_sdk::{log, Error, Event, Plugin};

struct Flood;

impl Plugin for Flood {
    fn handle_event(_event: Event) -> Result<(), Error> {
        let long = "x".repeat(1024 * 1024);
        for n in 0..10_000 {
            if n % 1000 == 0 {
                log::info(&long);
            } else {
                log::info(&format!("line {n}"));
            }
        }
        Err("e".repeat(60 * 1000 * 1000).into())
    }
}

gantry_plugin_sdk::register_plugin!(Flood);
