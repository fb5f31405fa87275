//! Fixture: a plugin whose configuration schema is derived from [`Config`]. It logs
//! `config <the configuration as JSON>` for every event, so tests see the defaults
//! the host merged. Shared by `derived-twice`, which differs only in its manifest.
use gantry_plugin_sdk::{config, info, Error, Event, Plugin};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The fixture's configuration.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
struct Config {
    /// What to say; never empty.
    #[schemars(length(min = 1))]
    greeting: String,
    /// How many times to say it.
    #[schemars(range(min = 1, max = 3))]
    times: u8,
    /// Where to say it.
    place: Place,
}

/// Where the greeting goes (a type of its own, so the schema has `$defs`).
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
enum Place {
    /// In a comment.
    Comment,
    /// In the log only.
    Log,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            greeting: "hello".into(),
            times: 1,
            place: Place::Log,
        }
    }
}

struct Derived;

impl Plugin for Derived {
    fn handle_event(_event: Event) -> Result<(), Error> {
        let config: Config = config::get()?;
        info!(
            "config {}",
            serde_json::to_string(&config).unwrap_or_default()
        );
        Ok(())
    }
}

gantry_plugin_sdk::register_plugin!(Derived, config = Config);
