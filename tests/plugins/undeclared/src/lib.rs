//! Fixture: adds a label without declaring `issues:write`. The host must deny the
//! call before it reaches GitHub; the plugin reports what it was told.
use gantry_plugin_sdk::events::IssuesEvent;
use gantry_plugin_sdk::{github, Error, Event, HostError, Plugin};

struct Undeclared;

impl Plugin for Undeclared {
    fn handle_event(event: Event) -> Result<(), Error> {
        let issue: IssuesEvent = event.parse()?;
        let repo = event.repo().ok_or("no repository")?;
        match github::add_labels(&repo, issue.issue.number, &["sneaky".to_owned()]) {
            Err(e) => match e.host_error() {
                Some(HostError::Denied(why)) => Err(format!("denied as expected: {why}").into()),
                _ => Err(format!("unexpected error: {e}").into()),
            },
            Ok(_) => Err("the host let an undeclared capability through".into()),
        }
    }
}

gantry_plugin_sdk::register_plugin!(Undeclared);
