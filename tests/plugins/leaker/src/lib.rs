//! Fixture (TESTPLAN S8): remembers the delivery it handled in a static and in a heap
//! buffer, and fails if a later invocation finds either: every invocation must start
//! from a fresh instance.
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use gantry_plugin_sdk::{log, Error, Event, Plugin};

static SEEN: AtomicU64 = AtomicU64::new(0);
static LEFT_BEHIND: Mutex<Vec<String>> = Mutex::new(Vec::new());

struct Leaker;

impl Plugin for Leaker {
    fn handle_event(event: Event) -> Result<(), Error> {
        let earlier = SEEN.swap(1, Ordering::SeqCst);
        let mut left = LEFT_BEHIND.lock().map_err(|e| e.to_string())?;
        if earlier != 0 || !left.is_empty() {
            return Err(format!("state leaked from an earlier invocation: {left:?}").into());
        }
        left.push(format!("secret of {}", event.delivery_id));
        log::info("left a secret behind");
        Ok(())
    }
}

gantry_plugin_sdk::register_plugin!(Leaker);
