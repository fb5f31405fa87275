//! Fixture (release assets from artifacts): drafts a release for the configured
//! tag, lists the configured workflow run's artifacts and copies each into the
//! release as `NAME.zip`, logging the ids or why not.
use gantry_plugin_sdk::github::{self, NewRelease};
use gantry_plugin_sdk::{config, log, Error, Event, Plugin, Written};
use serde::Deserialize;

#[derive(Deserialize)]
struct Config {
    tag: String,
    run_id: u64,
}

struct Releaser;

impl Plugin for Releaser {
    fn handle_event(event: Event) -> Result<(), Error> {
        let config: Config = config::get()?;
        let repo = event.repo().ok_or("no repository")?;
        let spec = NewRelease {
            tag: config.tag.clone(),
            target: None,
            name: config.tag.clone(),
            body: "Notes".into(),
            draft: true,
            prerelease: false,
        };
        let release = match github::create_release(&repo, &spec) {
            Ok(Written::Done(r)) => r,
            Ok(Written::Held(held)) => {
                log::info(&format!("release: {held}"));
                return Ok(());
            }
            Err(e) => {
                log::info(&format!("release: {e:?}"));
                return Ok(());
            }
        };
        log::info(&format!("release {}", release.id));
        for artifact in github::list_run_artifacts(&repo, config.run_id)
            .map_err(|e| format!("artifacts: {e:?}"))?
        {
            match github::copy_artifact_to_release(
                &repo,
                artifact.id,
                release.id,
                &format!("{}.zip", artifact.name),
            ) {
                Ok(Written::Done(asset)) => log::info(&format!(
                    "asset {asset} from {} ({} bytes)",
                    artifact.name, artifact.size
                )),
                Ok(Written::Held(held)) => {
                    log::info(&format!("asset from {}: {held}", artifact.name))
                }
                Err(e) => log::info(&format!("asset from {}: {e:?}", artifact.name)),
            }
        }
        Ok(())
    }
}

gantry_plugin_sdk::register_plugin!(Releaser);
