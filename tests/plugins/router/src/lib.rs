//! Fixture (manifest routes): declares only `[[routes]]`, one on changed paths
//! (`docs/**` for `pull_request.opened`) and one on branches (`main`, `release/*`
//! for `pull_request.reopened` and `push`). It does nothing but log, so a run row
//! shows that the host instantiated it and its absence that routing held it back.
use gantry_plugin_sdk::{info, Error, Event, Plugin};

struct Router;

impl Plugin for Router {
    fn handle_event(event: Event) -> Result<(), Error> {
        info!(
            "routed: {}.{}",
            event.name,
            event.action.as_deref().unwrap_or("")
        );
        Ok(())
    }
}

gantry_plugin_sdk::register_plugin!(Router);
