//! Fixture (git workspaces): clones the event's repository, tries to escape the
//! workspace (which must fail), appends to `CHANGELOG.md`, commits, tags and pushes,
//! logging each step.
use gantry_plugin_sdk::git::{Signature, Workspace};
use gantry_plugin_sdk::{config, log, Error, Event, HostError, Plugin, Written};
use serde::Deserialize;

#[derive(Deserialize)]
struct Config {
    tag: String,
}

struct Gitter;

fn fail(step: &str) -> impl Fn(Error) -> Error + '_ {
    move |e| Error::msg(format!("{step}: {e:?}"))
}

impl Plugin for Gitter {
    fn handle_event(event: Event) -> Result<(), Error> {
        let config: Config = config::get()?;
        let repo = event.repo().ok_or("no repository")?;
        let ws = Workspace::clone(&repo, None).map_err(fail("clone"))?;
        log::info(&format!("cloned at {}", ws.head().map_err(fail("head"))?));
        for escape in ["../outside.txt", "/etc/passwd", ".git/config"] {
            match ws.read_file(escape) {
                Err(e) if matches!(e.host_error(), Some(HostError::Invalid(_))) => {
                    log::info(&format!("refused {escape}"))
                }
                other => log::info(&format!("NOT refused {escape}: {other:?}")),
            }
        }
        let mut changelog = ws
            .read_file("CHANGELOG.md")
            .map_err(fail("read"))?
            .unwrap_or_default();
        changelog.extend_from_slice(format!("- {}\n", config.tag).as_bytes());
        ws.write_file("CHANGELOG.md", &changelog)
            .map_err(fail("write"))?;
        let author = Signature {
            name: "Release Bot".into(),
            email: "release@example.com".into(),
        };
        let sha = ws
            .commit(&format!("Release {}", config.tag), Some(&author))
            .map_err(fail("commit"))?;
        log::info(&format!("committed {sha}"));
        ws.tag(&config.tag, &format!("Release {}", config.tag))
            .map_err(fail("tag"))?;
        log::info(&format!("tags: {:?}", ws.tags().map_err(fail("tags"))?));
        log::info(&format!(
            "log: {}",
            ws.log(None, 10).map_err(fail("log"))?.len()
        ));
        match ws.push(&[config.tag.clone()]) {
            Ok(Written::Done(())) => log::info("pushed"),
            Ok(Written::Held(held)) => {
                log::info(&format!("push held for approval: {}", held.approval_id))
            }
            Err(e) => return Err(format!("push: {e:?}").into()),
        }
        Ok(())
    }
}

gantry_plugin_sdk::register_plugin!(Gitter);
