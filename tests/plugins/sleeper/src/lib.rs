//! Fixture: sleeps `sleep_ms` (from its config) in handle-event, through WASI's
//! monotonic clock, so tests can keep workers busy and see whether runs overlap;
//! then, when `then_label` is set, labels the event's issue or pull request with it
//! (a host call after the sleep, so job control's cancel can be seen to stop it).
use gantry_plugin_sdk::{config, github, log, Error, Event, Plugin};
use serde::Deserialize;

#[derive(Deserialize)]
struct Config {
    sleep_ms: u64,
    #[serde(default)]
    then_label: Option<String>,
}

/// The issue or pull request of the payload.
#[derive(Deserialize)]
struct Numbered {
    #[serde(alias = "pull_request")]
    issue: Option<Number>,
}

#[derive(Deserialize)]
struct Number {
    number: u64,
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
        let Some(label) = config.then_label else {
            return Ok(());
        };
        let repo = event.repo().ok_or("no repository")?;
        let numbered: Numbered = event.parse()?;
        let number = numbered.issue.ok_or("no issue or pull request")?.number;
        // Done or held, as the policy decides: either is fine for a fixture.
        let _labelled = github::add_labels(&repo, number, &[label])?;
        Ok(())
    }
}

gantry_plugin_sdk::register_plugin!(Sleeper);
