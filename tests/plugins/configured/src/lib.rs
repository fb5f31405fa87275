//! Fixture: logs `config <the configuration as JSON>` for every event, so tests can
//! see which projects run it and with which configuration. Shared by the
//! `configured-v2` fixture, which differs only in its manifest.
use gantry_plugin_sdk::{config, log, Error, Event, Plugin};

struct Configured;

impl Plugin for Configured {
    fn handle_event(_event: Event) -> Result<(), Error> {
        let config: serde_json::Value = config::get()?;
        log::info(&format!("config {config}"));
        Ok(())
    }
}

gantry_plugin_sdk::register_plugin!(Configured);
