//! The commands plugin: Prow's slash commands for Gantry (`/lgtm`, `/approve`,
//! `/hold`, `/assign`, `/cc`, `/label`, `/kind`, `/lifecycle`, `/close`, `/retitle`,
//! `/milestone`, ...), with Prow's label names.
//!
//! The host finds the commands in a comment (an issue or pull request comment, a
//! submitted review's body, a review line comment), checks the commenter's permission
//! against the manifest's `who` and calls [`Plugin::handle_command`] once per command
//! line. This file only carries out what [`rules::plan`] decided: the GitHub calls,
//! the reply (kept per issue and topic in KV so a later reply edits it instead of
//! adding a comment), and the reaction that acknowledges the command.
use gantry_plugin_sdk::github::{self, IssueState};
use gantry_plugin_sdk::{config, kv, log, Command, Event, HostError, Plugin, Repo};
use serde_json::Value;

mod payload;
mod rules;

use rules::{Action, Config, Context, Level, State};

struct Commands;

impl Plugin for Commands {
    /// New commits on a pull request remove `lgtm` (Prow's lgtm plugin), with a comment.
    fn handle_event(event: Event) -> Result<(), String> {
        let config: Config = config::get().map_err(|e| format!("invalid config: {e}"))?;
        let repo = event.repo().ok_or("the event names no repository")?;
        let payload: Value = serde_json::from_str(&event.payload).map_err(|e| e.to_string())?;
        let labels: Vec<String> = payload
            .pointer("/pull_request/labels")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|l| l["name"].as_str().map(str::to_owned))
            .collect();
        let Some(number) = payload
            .pointer("/pull_request/number")
            .and_then(Value::as_u64)
        else {
            return Ok(());
        };
        if !rules::lgtm_reset(
            &config,
            event.action.as_deref().unwrap_or_default(),
            &labels,
        ) {
            return Ok(());
        }
        match github::remove_label(&repo, number, rules::LGTM) {
            Ok(()) | Err(HostError::NotFound(_)) => {}
            Err(e) => return Err(format!("removing lgtm from #{number}: {e}")),
        }
        github::create_comment(&repo, number, rules::LGTM_RESET_COMMENT)
            .map_err(|e| format!("commenting on #{number}: {e}"))?;
        log::info(&format!("#{number}: new commits, lgtm removed"));
        Ok(())
    }

    fn handle_command(command: Command) -> Result<(), String> {
        let config: Config = config::get().map_err(|e| format!("invalid config: {e}"))?;
        let repo = command
            .event
            .repo()
            .ok_or("the command's event names no repository")?;
        let payload: Value = serde_json::from_str(&command.event.payload).unwrap_or(Value::Null);
        if let Some(reason) = payload::ignore_reason(&payload) {
            log::info(&format!("/{} ignored: {reason}", command.verb));
            return Ok(());
        }
        // The payload shows the issue as it was when the comment was made; lifecycle
        // labels replace each other, so `/lifecycle` reads them fresh.
        let item = match payload::item(&payload) {
            Some(item) if command.verb != "lifecycle" => item,
            _ => fetch_item(&repo, command.number)?,
        };
        let cx = Context {
            verb: &command.verb,
            args: &command.args,
            commenter: &command.author,
            level: Level::from(command.author_permission),
            is_pull_request: command.is_pull_request,
            item_author: &item.author,
            assignees: &item.assignees,
            labels: &item.labels,
        };
        let plan = rules::plan(&cx, &config);
        if plan.is_empty() {
            log::info(&format!(
                "/{} {} on #{}: nothing to do",
                command.verb, command.args, command.number
            ));
            return Ok(());
        }
        let mut run = Run {
            repo: &repo,
            number: command.number,
            commenter: &command.author,
            notes: Vec::new(),
            held: false,
        };
        run.notes.extend(plan.reply.clone());
        for action in &plan.actions {
            run.apply(action)?;
        }
        let replied = !run.notes.is_empty();
        if replied {
            reply(&repo, command.number, plan.topic, &run.notes.join("\n\n"))
                .map_err(|e| format!("replying: {e}"))?;
        }
        // Reactions are on issue comments only here: a review has none, and a line
        // comment's are under another path.
        if config.acknowledge && command.event.name == "issue_comment" {
            let reaction = if replied || run.held { "eyes" } else { "+1" };
            match github::add_reaction(&repo, command.comment_id, reaction) {
                Ok(()) => {}
                Err(e @ (HostError::Unavailable(_) | HostError::LimitExceeded(_))) => {
                    return Err(format!("reacting: {e}"))
                }
                Err(e) => log::warn(&format!(
                    "could not react to comment {}: {e}",
                    command.comment_id
                )),
            }
        }
        Ok(())
    }
}

gantry_plugin_sdk::register_plugin!(Commands);

/// The issue or pull request as GitHub has it now.
fn fetch_item(repo: &Repo, number: u64) -> Result<payload::Item, String> {
    let issue = github::get_issue(repo, number).map_err(|e| format!("reading #{number}: {e}"))?;
    Ok(payload::Item {
        author: issue.author,
        assignees: issue.assignees,
        labels: issue.labels,
    })
}

/// Carrying out one plan: what GitHub refused is collected in `notes` for the reply.
struct Run<'a> {
    repo: &'a Repo,
    number: u64,
    commenter: &'a str,
    notes: Vec<String>,
    /// Whether the policy held a call for a maintainer's approval.
    held: bool,
}

impl Run<'_> {
    /// Applies one action. GitHub refusing it is noted for the reply; a policy
    /// denial, an outage or a spent budget ends the command with an error (the
    /// host retries the job after an outage).
    fn apply(&mut self, action: &Action) -> Result<(), String> {
        let (repo, number) = (self.repo, self.number);
        let result = match action {
            Action::AddLabels(labels) => github::add_labels(repo, number, labels).map(drop),
            Action::RemoveLabels(labels) => labels
                .iter()
                .try_for_each(|l| github::remove_label(repo, number, l)),
            Action::Assign(users) => github::add_assignees(repo, number, users).map(|after| {
                self.notes
                    .extend(rules::assignment_outcome(self.commenter, users, &after));
            }),
            Action::Unassign(users) => github::remove_assignees(repo, number, users).map(drop),
            Action::RequestReviews(users) => github::request_reviewers(repo, number, users),
            Action::WithdrawReviews(users) => github::remove_reviewers(repo, number, users),
            Action::SetState(state) => github::set_state(
                repo,
                number,
                if *state == State::Closed {
                    IssueState::Closed
                } else {
                    IssueState::Open
                },
            ),
            Action::SetTitle(title) => github::set_title(repo, number, title),
            Action::SetMilestone(milestone) => github::set_milestone(repo, number, *milestone),
            Action::SetMilestoneNamed(wanted) => match github::list_milestones(repo, "open") {
                Ok(open) => match rules::choose_milestone(self.commenter, wanted, &open) {
                    Ok(milestone) => github::set_milestone(repo, number, Some(milestone)),
                    Err(why) => {
                        log::info(&format!("#{number}: no open milestone matches “{wanted}”"));
                        self.notes.push(why);
                        return Ok(());
                    }
                },
                Err(e) => Err(e),
            },
        };
        match result {
            Ok(()) => {
                log::info(&format!("#{number}: {}", describe(action)));
                Ok(())
            }
            Err(HostError::Pending(id)) => {
                log::info(&format!(
                    "#{number}: {} is held for approval: {id}",
                    describe(action)
                ));
                self.held = true;
                Ok(())
            }
            Err(HostError::NotFound(why) | HostError::Rejected(why) | HostError::Invalid(why)) => {
                log::warn(&format!("#{number}: could not {}: {why}", describe(action)));
                self.notes.push(format!(
                    "@{}: GitHub would not {}: {why}",
                    self.commenter,
                    describe(action)
                ));
                Ok(())
            }
            Err(e) => Err(format!("#{number}: could not {}: {e}", describe(action))),
        }
    }
}

/// An action in words, for logs and replies.
fn describe(action: &Action) -> String {
    let quoted = |items: &[String]| {
        items
            .iter()
            .map(|i| format!("`{i}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let people = |items: &[String]| {
        items
            .iter()
            .map(|i| format!("@{i}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match action {
        Action::AddLabels(labels) => format!("add {}", quoted(labels)),
        Action::RemoveLabels(labels) => format!("remove {}", quoted(labels)),
        Action::Assign(users) => format!("assign {}", people(users)),
        Action::Unassign(users) => format!("unassign {}", people(users)),
        Action::RequestReviews(users) => format!("request reviews from {}", people(users)),
        Action::WithdrawReviews(users) => {
            format!("withdraw the review requests of {}", people(users))
        }
        Action::SetState(State::Closed) => "close it".into(),
        Action::SetState(State::Open) => "reopen it".into(),
        Action::SetTitle(title) => format!("retitle it to “{title}”"),
        Action::SetMilestone(Some(n)) => format!("set the milestone to number {n}"),
        Action::SetMilestone(None) => "clear the milestone".into(),
        Action::SetMilestoneNamed(wanted) => format!("set the milestone to “{wanted}”"),
    }
}

/// Replies on the issue: edits the plugin's earlier reply on the same topic when it
/// still exists, otherwise comments and remembers the new comment's id.
fn reply(repo: &Repo, number: u64, topic: &str, body: &str) -> Result<(), HostError> {
    let key = format!("reply/{number}/{topic}");
    if let Some(id) = kv::get_json::<u64>(&key)? {
        match github::update_comment(repo, id, body) {
            Ok(()) => {
                log::info(&format!("#{number}: edited the {topic} reply {id}"));
                return Ok(());
            }
            Err(HostError::NotFound(_)) => log::info(&format!(
                "#{number}: the {topic} reply {id} is gone; replying anew"
            )),
            Err(e) => return Err(e),
        }
    }
    match github::create_comment(repo, number, body) {
        Ok(id) => {
            log::info(&format!("#{number}: replied about {topic} in comment {id}"));
            kv::set_json(&key, &id)
        }
        Err(HostError::Pending(id)) => {
            log::info(&format!(
                "#{number}: the {topic} reply is held for approval: {id}"
            ));
            Ok(())
        }
        Err(e) => Err(e),
    }
}
