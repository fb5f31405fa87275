//! Fixture (KV quota): writes keys `k0`, `k1`, ... with `size` bytes each, `count`
//! times or until the host refuses one, and logs `kept N` and the refusal.
use gantry_plugin_sdk::{config, kv, log, Event, Plugin};
use serde::Deserialize;

#[derive(Deserialize)]
struct Config {
    count: u32,
    size: usize,
}

struct Hoarder;

impl Plugin for Hoarder {
    fn handle_event(_event: Event) -> Result<(), String> {
        let config: Config = config::get().map_err(|e| e.to_string())?;
        let value = vec![b'x'; config.size];
        let mut kept = 0;
        for n in 0..config.count {
            match kv::set(&format!("k{n}"), &value) {
                Ok(()) => kept += 1,
                Err(e) => {
                    log::info(&format!("refused at k{n}: {e:?}"));
                    break;
                }
            }
        }
        log::info(&format!("kept {kept}"));
        Ok(())
    }
}

gantry_plugin_sdk::register_plugin!(Hoarder);
