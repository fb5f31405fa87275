//! Fixture: adds a label without declaring `issues:write`. The host must deny the
//! call before it reaches GitHub; the plugin reports what it was told.
use gantry_plugin_sdk::events::IssuesEvent;
use gantry_plugin_sdk::{github, Event, HostError, Plugin};

struct Undeclared;

impl Plugin for Undeclared {
    fn handle_event(event: Event) -> Result<(), String> {
        let issue: IssuesEvent = event.parse().map_err(|e| e.to_string())?;
        let repo = event.repo().ok_or("no repository")?;
        match github::add_labels(&repo, issue.issue.number, &["sneaky".to_owned()]) {
            Err(HostError::Denied(why)) => Err(format!("denied as expected: {why}")),
            Err(other) => Err(format!("unexpected error: {other}")),
            Ok(_) => Err("the host let an undeclared capability through".to_owned()),
        }
    }
}

gantry_plugin_sdk::register_plugin!(Undeclared);
