//! Fixture (approvals, commands): comments on each opened issue, which a policy may
//! hold for approval; records in KV how each approval ended (`resolved:<id>`) and the
//! last command it handled (`command`).
use gantry_plugin_sdk::{
    github, kv, log, Approval, ApprovalOutcome, Command, Event, Permission, Plugin,
};

struct Asker;

impl Plugin for Asker {
    fn handle_event(event: Event) -> Result<(), String> {
        let repo = event.repo().ok_or("no repository")?;
        let number = event
            .parse::<serde_json::Value>()
            .map_err(|e| e.to_string())?["issue"]["number"]
            .as_u64()
            .ok_or("no issue number")?;
        match github::create_comment(&repo, number, "asker was here") {
            Ok(id) => log::info(&format!("commented: {id}")),
            Err(gantry_plugin_sdk::HostError::Pending(id)) => {
                log::info(&format!("held for approval: {id}"))
            }
            Err(e) => log::info(&format!("comment: {e:?}")),
        }
        Ok(())
    }

    fn handle_command(command: Command) -> Result<(), String> {
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
        kv::set("command", record.as_bytes()).map_err(|e| format!("{e:?}"))
    }

    fn approval_resolved(approval: Approval) -> Result<(), String> {
        let outcome = match approval.outcome {
            ApprovalOutcome::Executed => "Executed",
            ApprovalOutcome::Failed => "Failed",
            ApprovalOutcome::Denied => "Denied",
            ApprovalOutcome::Expired => "Expired",
        };
        let outcome = format!("{outcome} by {:?}", approval.decided_by);
        kv::set(&format!("resolved:{}", approval.id), outcome.as_bytes())
            .map_err(|e| format!("{e:?}"))
    }
}

gantry_plugin_sdk::register_plugin!(Asker);
