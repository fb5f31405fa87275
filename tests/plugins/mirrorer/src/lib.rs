//! Fixture (git mirrors): clones the event's repository, lists its branches, and
//! mirrors the configured ones (and the tags) to the configured destination,
//! logging the outcome.
use gantry_plugin_sdk::git::Workspace;
use gantry_plugin_sdk::{config, log, Event, HostError, Plugin, Repo};
use serde::Deserialize;

#[derive(Deserialize)]
struct Config {
    destination: String,
    branches: Vec<String>,
    tags: bool,
    force: bool,
}

struct Mirrorer;

impl Plugin for Mirrorer {
    fn handle_event(event: Event) -> Result<(), String> {
        let config: Config = config::get().map_err(|e| e.to_string())?;
        let repo = event.repo().ok_or("no repository")?;
        let ws = Workspace::clone(&repo, None).map_err(|e| format!("clone: {e:?}"))?;
        let branches = ws.branches().map_err(|e| format!("branches: {e:?}"))?;
        log::info(&format!(
            "branches: {}",
            branches
                .iter()
                .map(|(name, _)| name.as_str())
                .collect::<Vec<_>>()
                .join(",")
        ));
        let (owner, name) = config
            .destination
            .split_once('/')
            .ok_or("destination must be owner/name")?;
        let destination = Repo {
            owner: owner.into(),
            name: name.into(),
        };
        match ws.mirror_to(&destination, &config.branches, config.tags, config.force) {
            Ok(()) => log::info("mirrored"),
            Err(HostError::Pending(id)) => log::info(&format!("mirror held for approval: {id}")),
            Err(e) => log::info(&format!("mirror: {e:?}")),
        }
        Ok(())
    }
}

gantry_plugin_sdk::register_plugin!(Mirrorer);
