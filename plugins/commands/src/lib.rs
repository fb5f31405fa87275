//! The commands plugin: Prow's slash commands for Gantry (`/lgtm`, `/approve`,
//! `/hold`, `/assign`, `/cc`, `/label`, `/kind`, `/lifecycle`, `/close`, `/retitle`,
//! `/milestone`, ...), with Prow's label names.
//!
//! The host finds the commands in a comment (an issue or pull request comment, a
//! submitted review's body, a review line comment), checks the commenter's permission
//! against the manifest's `who` and calls [`Plugin::handle_command`] once per command
//! line. This file only carries out what [`rules::plan`] decided: the GitHub calls,
//! the reply (kept per issue and topic in KV so a later reply edits it instead of
//! adding a comment), and the reaction that acknowledges the command. When the
//! repository has `OWNERS` or `CODEOWNERS` files, `/approve` follows them
//! ([`approvals`]) and a new pull request can get review requests from the owners
//! of its files.
use gantry_plugin_sdk::events::TypedEvent;
use gantry_plugin_sdk::github::{self, IssueState};
use gantry_plugin_sdk::{
    config, info, kv, warn, Command, Context as _, Error, Event, Plugin, Repo, Written,
};
use serde_json::Value;

mod approvals;
mod payload;
mod rules;

#[cfg(test)]
mod host_tests;

use rules::{Action, Config, Context, Level, Plan, State};

struct Commands;

impl Plugin for Commands {
    /// New commits on a pull request remove `lgtm` (Prow's lgtm plugin), with a
    /// comment; a new pull request gets review requests from its files' owners when
    /// `request_owner_reviews` is on.
    fn handle_event(event: Event) -> Result<(), Error> {
        let config: Config = config::get()?;
        let repo = event.repo().context("the event names no repository")?;
        let TypedEvent::PullRequest(pr) = event.typed()? else {
            return Ok(());
        };
        let number = pr.pull_request.number;
        if pr.action == "opened" {
            return request_owner_reviews(&config, &repo, number, &pr.pull_request.user.login);
        }
        if !rules::lgtm_reset(&config, &pr.action, &pr.pull_request.label_names()) {
            return Ok(());
        }
        match github::remove_label(&repo, number, rules::LGTM) {
            Ok(Written::Held(held)) => info!("#{number}: removing lgtm is {held}"),
            Ok(Written::Done(())) => {}
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e).with_context(|| format!("removing lgtm from #{number}")),
        }
        let _ = github::create_comment(&repo, number, rules::LGTM_RESET_COMMENT)
            .with_context(|| format!("commenting on #{number}"))?;
        info!("#{number}: new commits, lgtm removed");
        Ok(())
    }

    fn handle_command(command: Command) -> Result<(), Error> {
        let config: Config = config::get()?;
        let repo = command
            .event
            .repo()
            .context("the command's event names no repository")?;
        let payload: Value = serde_json::from_str(&command.event.payload).unwrap_or(Value::Null);
        if let Some(reason) = payload::ignore_reason(&payload) {
            info!("/{} ignored: {reason}", command.verb);
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
        let owned = if command.is_pull_request
            && matches!(command.verb.as_str(), "approve" | "remove-approve")
        {
            approve_with_owners(&repo, &command, &item.labels)?
        } else {
            None
        };
        let plan = match owned {
            Some(plan) => plan,
            None => rules::plan(&cx, &config),
        };
        if plan.is_empty() {
            info!(
                "/{} {} on #{}: nothing to do",
                command.verb, command.args, command.number
            );
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
                .context("replying")?;
        }
        // Reactions are on issue comments only here: a review has none, and a line
        // comment's are under another path.
        if config.acknowledge && command.event.name == "issue_comment" {
            let reaction = if replied || run.held { "eyes" } else { "+1" };
            match github::add_reaction(&repo, command.comment_id, reaction) {
                Ok(_) => {}
                Err(e) if e.is_transient() => return Err(e).context("reacting"),
                Err(e) => warn!("could not react to comment {}: {e}", command.comment_id),
            }
        }
        Ok(())
    }
}

// The configuration's schema is derived from `rules::Config`.
gantry_plugin_sdk::register_plugin!(Commands, config = Config);

/// The paths a pull request changes (a renamed file's old path too), by the
/// files GitHub lists.
fn changed_paths(repo: &Repo, number: u64) -> Result<Vec<String>, Error> {
    let files = github::list_pull_request_files(repo, number)
        .with_context(|| format!("listing the files of #{number}"))?;
    let mut paths: Vec<String> = Vec::new();
    for file in files {
        for path in std::iter::once(file.filename).chain(file.previous_filename) {
            if !paths.contains(&path) {
                paths.push(path);
            }
        }
    }
    Ok(paths)
}

/// `/approve`, `/approve cancel` and `/remove-approve` when the repository has
/// ownership files for the changed files: the approval is remembered (or
/// withdrawn) if it counts, and the plan sets `approved` by coverage, with the
/// status comment as its reply. `None`: no owners here (or a usage error), so
/// the command works as without them.
fn approve_with_owners(
    repo: &Repo,
    command: &Command,
    labels: &[String],
) -> Result<Option<Plan>, Error> {
    let args = command.args.trim().to_ascii_lowercase();
    let withdraw = command.verb == "remove-approve" || args == "cancel";
    if !withdraw && !matches!(args.as_str(), "" | "no-issue") {
        return Ok(None);
    }
    let number = command.number;
    let paths = changed_paths(repo, number)?;
    if paths.is_empty() {
        return Ok(None);
    }
    let owners = github::get_owners(repo, &paths)
        .with_context(|| format!("reading the owners of #{number}'s files"))?;
    if !approvals::has_owners(&owners) {
        return Ok(None);
    }
    let key = approvals::key(number);
    let before: Vec<String> = kv::get_json(&key)?.unwrap_or_default();
    let author = &command.author;
    let counts = withdraw
        || approvals::is_approver(&owners, author)
        || owners.iter().any(|o| o.approvers.is_empty());
    let note = (!counts).then(|| {
        format!(
            "@{author}: your `/approve` does not count: you are not an approver of any file this pull request changes."
        )
    });
    let after = if counts {
        approvals::update(before.clone(), author, withdraw)
    } else {
        before.clone()
    };
    if after != before {
        kv::set_json(&key, &after)?;
    }
    let status = approvals::status(&owners, &after);
    let labelled = labels
        .iter()
        .any(|l| l.eq_ignore_ascii_case(rules::APPROVED));
    let mut actions = Vec::new();
    if status.approved() && !labelled {
        actions.push(Action::AddLabels(vec![rules::APPROVED.into()]));
    } else if !status.approved() && labelled {
        actions.push(Action::RemoveLabels(vec![rules::APPROVED.into()]));
    }
    info!(
        "#{number}: /{} {} by {author}: {} of {} files waiting",
        command.verb,
        command.args,
        status.waiting.len(),
        owners.len()
    );
    Ok(Some(Plan {
        topic: rules::topic_of(&command.verb),
        actions,
        reply: Some(approvals::comment(&status, note.as_deref())),
    }))
}

/// On a new pull request, with `request_owner_reviews`: requests reviews from the
/// owners' reviewers of its files.
fn request_owner_reviews(
    config: &Config,
    repo: &Repo,
    number: u64,
    author: &str,
) -> Result<(), Error> {
    if !config.request_owner_reviews {
        return Ok(());
    }
    let paths = changed_paths(repo, number)?;
    if paths.is_empty() {
        return Ok(());
    }
    let owners = github::get_owners(repo, &paths)
        .with_context(|| format!("reading the owners of #{number}'s files"))?;
    let max = usize::try_from(config.max_owner_reviewers).unwrap_or(usize::MAX);
    let reviewers = approvals::reviewers_for(&owners, author, max);
    if reviewers.is_empty() {
        info!("#{number}: no owner to request a review from");
        return Ok(());
    }
    match github::request_reviewers(repo, number, &reviewers) {
        Ok(Written::Done(())) => {
            info!("#{number}: requested reviews from {}", reviewers.join(", "))
        }
        Ok(Written::Held(held)) => info!("#{number}: requesting reviews is {held}"),
        Err(e) => match e.refusal().map(str::to_owned) {
            Some(why) => warn!(
                "#{number}: GitHub would not request reviews from {}: {why}",
                reviewers.join(", ")
            ),
            None => return Err(e).with_context(|| format!("requesting reviews on #{number}")),
        },
    }
    Ok(())
}

/// The issue or pull request as GitHub has it now.
fn fetch_item(repo: &Repo, number: u64) -> Result<payload::Item, Error> {
    let issue = github::get_issue(repo, number).with_context(|| format!("reading #{number}"))?;
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
    fn apply(&mut self, action: &Action) -> Result<(), Error> {
        let (repo, number) = (self.repo, self.number);
        let result: Result<Written<()>, Error> = match action {
            Action::AddLabels(labels) => {
                github::add_labels(repo, number, labels).map(|w| w.map(drop))
            }
            Action::RemoveLabels(labels) => remove_labels(repo, number, labels),
            Action::Assign(users) => github::add_assignees(repo, number, users).map(|written| {
                written.map(|after| {
                    self.notes
                        .extend(rules::assignment_outcome(self.commenter, users, &after));
                })
            }),
            Action::Unassign(users) => {
                github::remove_assignees(repo, number, users).map(|w| w.map(drop))
            }
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
                        info!("#{number}: no open milestone matches “{wanted}”");
                        self.notes.push(why);
                        return Ok(());
                    }
                },
                Err(e) => Err(e),
            },
        };
        match result {
            Ok(Written::Done(())) => {
                info!("#{number}: {}", describe(action));
                Ok(())
            }
            Ok(Written::Held(held)) => {
                info!(
                    "#{number}: {} is held for approval: {}",
                    describe(action),
                    held.approval_id
                );
                self.held = true;
                Ok(())
            }
            Err(e) => match e.refusal().map(str::to_owned) {
                Some(why) => {
                    warn!("#{number}: could not {}: {why}", describe(action));
                    self.notes.push(format!(
                        "@{}: GitHub would not {}: {why}",
                        self.commenter,
                        describe(action)
                    ));
                    Ok(())
                }
                None => {
                    Err(e).with_context(|| format!("#{number}: could not {}", describe(action)))
                }
            },
        }
    }
}

/// Removes labels one by one, stopping at the first removal held for approval.
fn remove_labels(repo: &Repo, number: u64, labels: &[String]) -> Result<Written<()>, Error> {
    for label in labels {
        if let Written::Held(held) = github::remove_label(repo, number, label)? {
            return Ok(Written::Held(held));
        }
    }
    Ok(Written::Done(()))
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
fn reply(repo: &Repo, number: u64, topic: &str, body: &str) -> Result<(), Error> {
    let key = format!("reply/{number}/{topic}");
    if let Some(id) = kv::get_json::<u64>(&key)? {
        match github::update_comment(repo, id, body) {
            Ok(Written::Done(())) => {
                info!("#{number}: edited the {topic} reply {id}");
                return Ok(());
            }
            Ok(Written::Held(held)) => {
                info!("#{number}: editing the {topic} reply {id} is {held}");
                return Ok(());
            }
            Err(e) if e.is_not_found() => {
                info!("#{number}: the {topic} reply {id} is gone; replying anew");
            }
            Err(e) => return Err(e),
        }
    }
    match github::create_comment(repo, number, body)? {
        Written::Done(id) => {
            info!("#{number}: replied about {topic} in comment {id}");
            kv::set_json(&key, &id)
        }
        Written::Held(held) => {
            info!(
                "#{number}: the {topic} reply is held for approval: {}",
                held.approval_id
            );
            Ok(())
        }
    }
}
