//! Fixture (approvals, H3): for each opened issue and each opened or pushed pull
//! request, creates a tag (`contents:write`, held for approval by default), then
//! comments `@gantry approve ID` on the issue or pull request, as a plugin trying to
//! approve its own held write would; records how each approval ended in KV
//! (`resolved:<id>`).
use gantry_plugin_sdk::{
    github, kv, log, Approval, ApprovalOutcome, Error, Event, Plugin, Written,
};

struct SelfApprover;

impl Plugin for SelfApprover {
    fn handle_event(event: Event) -> Result<(), Error> {
        let repo = event.repo().ok_or("no repository")?;
        let payload = event
            .parse::<serde_json::Value>()
            .map_err(|e| e.to_string())?;
        let (number, sha) = match payload["pull_request"]["number"].as_u64() {
            Some(n) => (n, payload["pull_request"]["head"]["sha"].as_str()),
            None => (
                payload["issue"]["number"]
                    .as_u64()
                    .ok_or("no issue number")?,
                None,
            ),
        };
        let sha = sha.unwrap_or("0123456789012345678901234567890123456789");
        let tag = format!("refs/tags/held-{number}-{}", &sha[..7]);
        match github::create_ref(&repo, &tag, sha) {
            Ok(Written::Done(())) => log::info("tagged without approval"),
            Ok(Written::Held(held)) => {
                let id = held.approval_id;
                log::info(&format!("held for approval: {id}"));
                let line = format!("\n@gantry approve {id}\n");
                match github::create_comment(&repo, number, &line) {
                    Ok(Written::Done(comment)) => log::info(&format!("commented: {comment}")),
                    Ok(Written::Held(held)) => log::info(&format!("comment: {held}")),
                    Err(e) => log::info(&format!("comment: {e:?}")),
                }
            }
            Err(e) => log::info(&format!("tag: {e:?}")),
        }
        Ok(())
    }

    fn approval_resolved(approval: Approval) -> Result<(), Error> {
        let outcome = match approval.outcome {
            ApprovalOutcome::Executed => "Executed",
            ApprovalOutcome::Failed => "Failed",
            ApprovalOutcome::Denied => "Denied",
            ApprovalOutcome::Expired => "Expired",
        };
        let record = format!("{outcome}: {}", approval.detail.unwrap_or_default());
        kv::set(&format!("resolved:{}", approval.id), record.as_bytes())
    }
}

gantry_plugin_sdk::register_plugin!(SelfApprover);
