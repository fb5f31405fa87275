//! Fixture (approvals, commands): comments on each opened issue, which a policy may
//! hold for approval; records in KV how each approval ended (`resolved:<id>`) and the
//! last command it handled (`command`).
use gantry_plugin_sdk::{
    github, kv, log, Approval, ApprovalOutcome, Command, Error, Event, Permission, Plugin, Written,
};

struct Asker;

impl Plugin for Asker {
    fn handle_event(event: Event) -> Result<(), Error> {
        let repo = event.repo().ok_or("no repository")?;
        let number = event
            .parse::<serde_json::Value>()
            .map_err(|e| e.to_string())?["issue"]["number"]
            .as_u64()
            .ok_or("no issue number")?;
        match github::create_comment(&repo, number, "asker was here") {
            Ok(Written::Done(id)) => log::info(&format!("commented: {id}")),
            Ok(Written::Held(held)) => {
                log::info(&format!("held for approval: {}", held.approval_id))
            }
            Err(e) => log::info(&format!("comment: {e:?}")),
        }
        Ok(())
    }

    fn handle_command(command: Command) -> Result<(), Error> {
        let permission = match command.author_permission {
            Permission::Admin => "Admin",
            Permission::Maintain => "Maintain",
            Permission::Write => "Write",
            Permission::Triage => "Triage",
            Permission::Read => "Read",
            Permission::None => "None",
        };
        let record = format!(
            "{} {} by {} as {permission} on #{}",
            command.verb, command.args, command.author, command.number
        );
        kv::set("command", record.as_bytes())
    }

    fn approval_resolved(approval: Approval) -> Result<(), Error> {
        let outcome = match approval.outcome {
            ApprovalOutcome::Executed => "Executed",
            ApprovalOutcome::Failed => "Failed",
            ApprovalOutcome::Denied => "Denied",
            ApprovalOutcome::Expired => "Expired",
        };
        let outcome = format!("{outcome} by {:?}", approval.decided_by);
        kv::set(&format!("resolved:{}", approval.id), outcome.as_bytes())
    }
}

gantry_plugin_sdk::register_plugin!(Asker);
