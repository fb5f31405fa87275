//! Fixture (git mirrors): clones the event's repository, lists its branches, and
//! mirrors the configured ones (and the tags) to the configured destination,
//! logging the outcome.
use gantry_plugin_sdk::git::Workspace;
use gantry_plugin_sdk::{config, log, Error, Event, Plugin, Repo, Written};
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
    fn handle_event(event: Event) -> Result<(), Error> {
        let config: Config = config::get()?;
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
            Ok(Written::Done(())) => log::info("mirrored"),
            Ok(Written::Held(held)) => {
                log::info(&format!("mirror held for approval: {}", held.approval_id))
            }
            Err(e) => log::info(&format!("mirror: {e:?}")),
        }
        Ok(())
    }
}

gantry_plugin_sdk::register_plugin!(Mirrorer);
