//! Fixture: sleeps `sleep_ms` (from its config) in handle-event, through WASI's
//! monotonic clock, so tests can keep workers busy and see whether runs overlap.
use gantry_plugin_sdk::{config, log, Error, Event, Plugin};
use serde::Deserialize;

#[derive(Deserialize)]
struct Config {
    sleep_ms: u64,
}

struct Sleeper;

impl Plugin for Sleeper {
    fn handle_event(event: Event) -> Result<(), Error> {
        let config: Config = config::get()?;
        log::info(&format!(
            "sleeping {} ms for {}",
            config.sleep_ms, event.delivery_id
        ));
        std::thread::sleep(std::time::Duration::from_millis(config.sleep_ms));
        Ok(())
    }
}

gantry_plugin_sdk::register_plugin!(Sleeper);
