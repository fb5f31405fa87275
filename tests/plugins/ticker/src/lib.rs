//! Fixture (scheduled ticks): counts the ticks it gets in KV (`ticks`) and keeps the
//! last `scheduled_at` (`last`).
use gantry_plugin_sdk::{kv, Error, Event, Plugin};

struct Ticker;

impl Plugin for Ticker {
    fn handle_event(event: Event) -> Result<(), Error> {
        let payload: serde_json::Value = event.parse()?;
        let ticks: u64 = kv::get_json("ticks")?.unwrap_or(0);
        kv::set_json("ticks", &(ticks + 1))?;
        kv::set_json("last", &payload["scheduled_at"])
    }
}

gantry_plugin_sdk::register_plugin!(Ticker);
