//! Fixture (KV quota): writes keys `k0`, `k1`, ... with `size` bytes each, `count`
//! times or until the host refuses one, and logs `kept N` and the refusal.
use gantry_plugin_sdk::{config, kv, log, Error, Event, Plugin};
use serde::Deserialize;

#[derive(Deserialize)]
struct Config {
    count: u32,
    size: usize,
}

struct Hoarder;

impl Plugin for Hoarder {
    fn handle_event(_event: Event) -> Result<(), Error> {
        let config: Config = config::get()?;
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
