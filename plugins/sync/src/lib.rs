//! The sync plugin: keeps the configured mirrors of a repository in step. A push to
//! a branch matching a mirror's patterns, a scheduled tick whose minute matches its
//! cron expression, or `@gantry sync` by a maintainer clones the repository (the
//! source), picks its matching branches and mirrors them (and the tags) to the
//! destination with `mirror-to`, forcing only when the mirror allows it.
//!
//! [`rules`] decides; this file makes the host calls. KV keys (per source
//! repository): `status/<mirror>` the mirror's last run ([`rules::Status`]),
//! `approval/<id>` the mirror a held push belongs to.
use gantry_plugin_sdk::events::TypedEvent;
use gantry_plugin_sdk::git::Workspace;
use gantry_plugin_sdk::{
    config, github, info, kv, warn, Approval, ApprovalOutcome, Command, Context as _, Error, Event,
    HostError, Plugin, Repo, Written,
};
use serde::Deserialize;

mod rules;

#[cfg(test)]
mod host_tests;

use rules::{Config, Mirror, Outcome, Status, SyncRequest};

struct Sync;

/// The payload of Gantry's `gantry_schedule.tick` event, as far as the plugin reads it.
#[derive(Deserialize)]
struct Tick {
    #[serde(default)]
    scheduled_at: String,
}

impl Plugin for Sync {
    fn handle_event(event: Event) -> Result<(), Error> {
        let config: Config = config::get()?;
        let repo = event.repo().context("the event names no repository")?;
        let full = full_name(&repo);
        if event.kind() == "gantry_schedule.tick" {
            let scheduled_at = event.parse::<Tick>().map(|t| t.scheduled_at);
            return tick(&repo, &config, &scheduled_at.unwrap_or_default());
        }
        match event.typed()? {
            TypedEvent::Push(push) => {
                let git_ref = &push.git_ref;
                let mirrors = rules::mirrors_for_push(&config, &full, git_ref);
                info!(
                    "push of {git_ref} on {full}: {} mirrors to run",
                    mirrors.len()
                );
                for mirror in mirrors {
                    run(&repo, mirror, "push", None)?;
                }
                Ok(())
            }
            _ => {
                warn!("{} is not an event the sync plugin handles", event.kind());
                Ok(())
            }
        }
    }

    fn handle_command(command: Command) -> Result<(), Error> {
        if command.verb != "sync" {
            warn!("/{} is not a sync command", command.verb);
            return Ok(());
        }
        let config: Config = config::get()?;
        let repo = command
            .event
            .repo()
            .context("the command's event names no repository")?;
        let full = full_name(&repo);
        let mirrors: Vec<&Mirror> = config
            .mirrors
            .iter()
            .filter(|m| m.applies_to(&full))
            .collect();
        let who = &command.author;
        let answer = match rules::parse_request(&command.args) {
            SyncRequest::Status => {
                format!("@{who}: the mirrors of {full}:\n\n{}", table(&mirrors)?)
            }
            SyncRequest::One(name) if !mirrors.iter().any(|m| m.name == name) => {
                let known: Vec<String> = mirrors.iter().map(|m| format!("`{}`", m.name)).collect();
                let known = if known.is_empty() {
                    "none are configured".to_owned()
                } else {
                    known.join(", ")
                };
                format!("@{who}: there is no mirror `{name}` for {full} ({known}); nothing ran.")
            }
            request => {
                let chosen: Vec<&Mirror> = mirrors
                    .iter()
                    .copied()
                    .filter(|m| {
                        matches!(&request, SyncRequest::One(n) if *n == m.name)
                            || request == SyncRequest::All
                    })
                    .collect();
                for mirror in &chosen {
                    run(&repo, mirror, "command", None)?;
                }
                format!(
                    "@{who}: ran {} mirror(s) of {full}:\n\n{}",
                    chosen.len(),
                    table(&mirrors)?
                )
            }
        };
        reply(&repo, command.number, &answer)?;
        match github::add_reaction(&repo, command.comment_id, "eyes") {
            Ok(_) => Ok(()),
            Err(e) if e.is_transient() => Err(e).context("reacting"),
            Err(e) => {
                warn!("could not react to comment {}: {e}", command.comment_id);
                Ok(())
            }
        }
    }

    fn approval_resolved(approval: Approval) -> Result<(), Error> {
        let key = format!("approval/{}", approval.id);
        let Some(name) = kv::get_json::<String>(&key)? else {
            info!(
                "approval {} is not one of this repository's mirror pushes",
                approval.id
            );
            return Ok(());
        };
        kv::delete(&key).context("writing KV")?;
        let Some(mut status) = kv::get_json::<Status>(&format!("status/{name}"))? else {
            return Ok(());
        };
        let by = approval
            .decided_by
            .as_deref()
            .map(|b| format!(" by @{b}"))
            .unwrap_or_default();
        let detail = approval.detail.unwrap_or_default();
        (status.outcome, status.message) = match approval.outcome {
            ApprovalOutcome::Executed => (Outcome::Ok, format!("approved{by} and mirrored")),
            ApprovalOutcome::Failed => (
                Outcome::Refused,
                format!(
                    "approved{by}, then {}",
                    rules::refusal_message(&detail, false)
                ),
            ),
            ApprovalOutcome::Denied => (Outcome::Refused, format!("the push was denied{by}")),
            ApprovalOutcome::Expired => (Outcome::Failed, "the push's approval expired".to_owned()),
        };
        status.at = now();
        save(&name, &status)
    }
}

gantry_plugin_sdk::register_plugin!(Sync);

/// Runs the scheduled mirrors whose cron expression matches `scheduled_at`'s
/// minute, each at most once a minute however often the host ticks.
fn tick(repo: &Repo, config: &Config, scheduled_at: &str) -> Result<(), Error> {
    let at = rules::parse_rfc3339(scheduled_at)?;
    let full = full_name(repo);
    for mirror in config.mirrors.iter().filter(|m| m.applies_to(&full)) {
        let Some(expression) = mirror.schedule.as_deref().filter(|s| !s.trim().is_empty()) else {
            continue;
        };
        let previous = load(&mirror.name)?;
        if previous.as_ref().and_then(|s| s.scheduled_minute) == Some(at.epoch_minute) {
            continue;
        }
        match rules::Cron::parse(expression) {
            Ok(cron) if cron.matches(&at) => run(repo, mirror, "schedule", Some(at.epoch_minute))?,
            Ok(_) => {}
            Err(why) => {
                // Said once a minute at most, in the status the maintainers read.
                warn!("mirror {}: {why}", mirror.name);
                let status = Status {
                    at: now(),
                    trigger: "schedule".into(),
                    outcome: Outcome::Failed,
                    message: why,
                    branches: Vec::new(),
                    scheduled_minute: Some(at.epoch_minute),
                };
                save(&mirror.name, &status)?;
            }
        }
    }
    Ok(())
}

/// Runs one mirror and records its status. Only a failure the host wants retried
/// (unavailable, a limit) is returned as an error.
fn run(
    repo: &Repo,
    mirror: &Mirror,
    trigger: &str,
    scheduled_minute: Option<i64>,
) -> Result<(), Error> {
    let mut status = Status {
        at: now(),
        trigger: trigger.to_owned(),
        outcome: Outcome::Failed,
        message: String::new(),
        branches: Vec::new(),
        scheduled_minute,
    };
    if scheduled_minute.is_none() {
        status.scheduled_minute = load(&mirror.name)?.and_then(|s| s.scheduled_minute);
    }
    let retry = attempt(repo, mirror, &mut status);
    if retry.is_err() && trigger == "schedule" {
        // The host retries this tick: leave the minute open so the retry runs.
        status.scheduled_minute = load(&mirror.name)?.and_then(|s| s.scheduled_minute);
    }
    info!(
        "mirror {} to {}: {} ({}); branches: {}",
        mirror.name,
        mirror.destination,
        status.outcome.as_str(),
        status.message,
        status.branches.join(",")
    );
    save(&mirror.name, &status)?;
    retry
}

/// Clones, selects and mirrors, filling in `status`.
fn attempt(repo: &Repo, mirror: &Mirror, status: &mut Status) -> Result<(), Error> {
    let Some((owner, name)) = mirror.destination.split_once('/') else {
        status.message = format!("destination `{}` is not owner/name", mirror.destination);
        return Ok(());
    };
    let destination = Repo {
        owner: owner.to_owned(),
        name: name.to_owned(),
    };
    let workspace = match Workspace::clone(repo, None) {
        Ok(w) => w,
        Err(e) => return failed(status, "cloning the source", e),
    };
    let branches: Vec<String> = match workspace.branches() {
        Ok(b) => b.into_iter().map(|(name, _)| name).collect(),
        Err(e) => return failed(status, "listing the branches", e),
    };
    status.branches = mirror.select(&branches).into_iter().cloned().collect();
    if status.branches.is_empty() && !mirror.tags {
        status.outcome = Outcome::Ok;
        status.message = "no branch matches; nothing to push".to_owned();
        return Ok(());
    }
    match workspace.mirror_to(
        &destination,
        &status.branches,
        mirror.tags,
        mirror.allow_force,
    ) {
        Ok(Written::Done(())) => {
            status.outcome = Outcome::Ok;
            let tags = if mirror.tags { " and the tags" } else { "" };
            let forced = if mirror.allow_force {
                " (force allowed)"
            } else {
                ""
            };
            status.message = format!(
                "mirrored {} branch(es){tags}{forced}",
                status.branches.len()
            );
        }
        Ok(Written::Held(held)) => {
            let id = held.approval_id;
            status.outcome = Outcome::Held;
            status.message = format!("waiting for approval `{id}` (`@gantry approve {id}`)");
            kv::set_json(&format!("approval/{id}"), &mirror.name)?;
        }
        Err(e) => match e.host_error() {
            Some(HostError::Denied(why)) => {
                status.outcome = Outcome::Refused;
                status.message = format!("not allowed: {why}");
            }
            Some(HostError::Rejected(why) | HostError::Invalid(why)) => {
                status.outcome = Outcome::Refused;
                status.message = rules::refusal_message(why, mirror.allow_force);
            }
            _ => return failed(status, "pushing", e),
        },
    }
    Ok(())
}

/// Records a failed step; returns an error when the host should retry later.
fn failed(status: &mut Status, step: &str, e: Error) -> Result<(), Error> {
    status.outcome = Outcome::Failed;
    status.message = format!("{step}: {e}");
    if e.is_transient() {
        Err(Error::msg(&status.message))
    } else {
        Ok(())
    }
}

fn table(mirrors: &[&Mirror]) -> Result<String, Error> {
    let mut rows = Vec::new();
    for mirror in mirrors {
        rows.push((*mirror, load(&mirror.name)?));
    }
    Ok(rules::render_status(&rows))
}

fn load(name: &str) -> Result<Option<Status>, Error> {
    kv::get_json(&format!("status/{name}"))
}

fn save(name: &str, status: &Status) -> Result<(), Error> {
    kv::set_json(&format!("status/{name}"), status)
}

fn full_name(repo: &Repo) -> String {
    format!("{}/{}", repo.owner, repo.name)
}

/// The wall clock (WASI) as RFC 3339.
fn now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    rules::format_rfc3339(i64::try_from(secs).unwrap_or(0))
}

/// Comments on the issue or pull request; a held or refused reply is logged.
fn reply(repo: &Repo, number: u64, body: &str) -> Result<(), Error> {
    match github::create_comment(repo, number, body) {
        Ok(Written::Done(_)) => Ok(()),
        Ok(Written::Held(held)) => {
            info!(
                "#{number}: the reply is held for approval: {}",
                held.approval_id
            );
            Ok(())
        }
        Err(e) if e.is_transient() => Err(e).with_context(|| format!("replying on #{number}")),
        Err(e) => {
            warn!("could not reply on #{number}: {e}");
            Ok(())
        }
    }
}
