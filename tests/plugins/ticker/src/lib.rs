//! Fixture (scheduled ticks): counts the ticks it gets in KV (`ticks`) and keeps the
//! last `scheduled_at` (`last`).
use gantry_plugin_sdk::{kv, Event, Plugin};

struct Ticker;

impl Plugin for Ticker {
    fn handle_event(event: Event) -> Result<(), String> {
        let payload: serde_json::Value = event.parse().map_err(|e| e.to_string())?;
        let ticks: u64 = kv::get_json("ticks")
            .map_err(|e| format!("{e:?}"))?
            .unwrap_or(0);
        kv::set_json("ticks", &(ticks + 1)).map_err(|e| format!("{e:?}"))?;
        kv::set_json("last", &payload["scheduled_at"]).map_err(|e| format!("{e:?}"))
    }
}

gantry_plugin_sdk::register_plugin!(Ticker);
