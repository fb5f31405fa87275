//! The agent plugin: `@gantry review` on a pull request, `@gantry plan` and
//! `@gantry split` on an issue, and `@gantry fix INSTRUCTIONS`, answered by the
//! configured provider: `rule-based` (deterministic checks and text rules, no model
//! and no network; `fix` then answers how to configure a model), or a model
//! provider the operator configured, asked through the host ([`ask`]) for the
//! review's findings, the plan's items and `fix`'s edits as structured output (with
//! a model, `fixing.rs` commits, pushes and opens the pull request, and the held
//! push is followed up here in `approval_resolved`).
//!
//! The analysis is pure and lives beside this file ([`diff`], [`review`], [`plan`],
//! [`split`], the prompts and answers of a model in `review::model` and
//! `plan::model`); this file reads from GitHub, asks the provider's functions, and makes
//! the writes, each of which passes the host's policy (held writes are followed up
//! in `approval_resolved`). What issues, pull requests and comments say is data: it
//! becomes the text of findings, plan items and issue titles, never a choice of what
//! the plugin does. KV keys (per repository): `plan/<number>` an issue's plan
//! ([`plan::Plan`]), `approval/<id>` what a held plan comment or split issue was
//! ([`Pending`]).
use gantry_plugin_sdk::github::{self, DiffSide, ReviewEvent};
use gantry_plugin_sdk::{
    info, kv, warn, Approval, ApprovalOutcome, Command, Context as _, Error, Plugin, Repo, Written,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub mod ask;
pub mod config;
pub mod diff;
pub mod fix;
mod fixing;
pub mod plan;
pub mod review;
pub mod split;

#[cfg(test)]
mod host_tests;
#[cfg(test)]
mod model_host_tests;

use config::Config;
use plan::Plan;
use split::{Outcome, Report};

struct Agent;

/// What a held write of the agent was, kept under `approval/<id>` until it ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
enum Pending {
    /// The plan comment of issue `issue`.
    PlanComment { issue: u64 },
    /// The issue split from entry `entry` of issue `issue`'s plan.
    SplitIssue { issue: u64, entry: usize },
}

impl Plugin for Agent {
    fn handle_command(command: Command) -> Result<(), Error> {
        let config: Config = gantry_plugin_sdk::config::get()
            .context("reading the agent's configuration (see docs/agents.md)")?;
        let repo = command
            .event
            .repo()
            .context("the command's event names no repository")?;
        let answer = match command.verb.as_str() {
            "review" => review_pull(&repo, &command, &config)?,
            "plan" => plan_issue(&repo, &command, &config)?,
            "split" => Some(split_plan(&repo, &command)?),
            "fix" => Some(match config.model_provider() {
                Some(provider) => fixing::run(&repo, &command, &config, provider)?,
                None => fix_answer(&command.author),
            }),
            other => {
                warn!("/{other} is not an agent command");
                None
            }
        };
        if let Some(text) = answer {
            reply(&repo, command.number, &text)?;
        }
        Ok(())
    }

    fn approval_resolved(approval: Approval) -> Result<(), Error> {
        if let Some(pull) = fixing::held(&approval)? {
            let repo = approval.repository.clone();
            if let Some(text) = fixing::resolved(&repo, &approval, &pull)? {
                reply(&repo, pull.number, &text)?;
            }
            return Ok(());
        }
        let key = format!("approval/{}", approval.id);
        let Some(pending) = kv::get_json::<Pending>(&key)? else {
            info!("approval {} is not one the agent follows", approval.id);
            return Ok(());
        };
        if approval.outcome == ApprovalOutcome::Failed {
            // A failed action can be approved again: keep waiting for it.
            info!(
                "approval {} failed: {}",
                approval.id,
                approval.detail.as_deref().unwrap_or_default()
            );
            return Ok(());
        }
        let repo = approval.repository.clone();
        let issue = match pending {
            Pending::PlanComment { issue } | Pending::SplitIssue { issue, .. } => issue,
        };
        let plan_key = format!("plan/{issue}");
        let Some(mut plan) = kv::get_json::<Plan>(&plan_key)? else {
            forget(&key)?;
            return Ok(());
        };
        let executed = approval.outcome == ApprovalOutcome::Executed;
        let detail: Value = approval
            .detail
            .as_deref()
            .and_then(|d| serde_json::from_str(d).ok())
            .unwrap_or(Value::Null);
        match pending {
            Pending::PlanComment { .. } if plan.held.as_deref() == Some(approval.id.as_str()) => {
                if executed {
                    plan.held = None;
                    plan.comment_id = detail["comment_id"].as_u64();
                    save(&plan)?;
                    info!("#{issue}: the plan comment was approved and posted");
                } else {
                    forget(&plan_key)?;
                    info!("#{issue}: the plan comment was not approved; no plan is kept");
                }
            }
            Pending::PlanComment { .. } => {
                info!("#{issue}: approval {} is of an older plan", approval.id)
            }
            Pending::SplitIssue { entry, .. } => {
                if split::held_entry(&plan, &approval.id) == Some(entry) {
                    let outcome = match detail["number"].as_u64() {
                        Some(number) if executed => Outcome::Opened(number),
                        _ => Outcome::Dropped,
                    };
                    info!("#{issue}: item {entry}'s issue: {outcome:?}");
                    split::record(&mut plan, entry, outcome);
                    save(&plan)?;
                    edit_plan(&repo, &plan)?;
                }
            }
        }
        forget(&key)
    }
}

// The configuration's schema is derived from `config::Config`.
gantry_plugin_sdk::register_plugin!(Agent, config = Config);

/// `review`: one `COMMENT` review of the pull request's files.
fn review_pull(repo: &Repo, command: &Command, config: &Config) -> Result<Option<String>, Error> {
    let number = command.number;
    if !command.is_pull_request {
        return Ok(Some(format!(
            "@{}: `review` works on pull requests; #{number} is an issue.",
            command.author
        )));
    }
    let files: Vec<review::FileDiff> = github::list_pull_request_files(repo, number)
        .with_context(|| format!("listing the files of #{number}"))?
        .into_iter()
        .map(|f| review::FileDiff {
            path: f.filename,
            status: f.status,
            additions: f.additions,
            deletions: f.deletions,
            patch: f.patch,
        })
        .collect();
    let found = match config.model_provider() {
        None => review::review(&files, config),
        Some(provider) => match model_review(&files, config, provider, &command.author)? {
            Ok(found) => found,
            Err(reply) => return Ok(Some(reply)),
        },
    };
    info!(
        "#{number}: {} files reviewed, {} line comments",
        files.len(),
        found.comments.len()
    );
    let comments = found
        .comments
        .iter()
        .map(|c| github::LineComment {
            path: c.path.clone(),
            line: c.line,
            side: DiffSide::Right,
            body: c.body.clone(),
        })
        .collect();
    let new = github::NewReview {
        event: ReviewEvent::Comment,
        body: found.body.clone(),
        comments,
    };
    let written = match github::create_review(repo, number, &new) {
        Err(e) if e.refusal().is_some() && !new.comments.is_empty() => {
            // GitHub placed no comment (a line it cannot resolve in the diff): the
            // same findings, listed in the body.
            warn!("#{number}: GitHub refused the line comments ({e}); listing them in the body");
            let mut body = found.body;
            body.push_str("\n\nGitHub would not place these comments on their lines:");
            for c in &found.comments {
                body.push_str(&format!(
                    "\n- `{}` line {}: {}",
                    c.path,
                    c.line,
                    c.body.replace("\n\n", " ")
                ));
            }
            let flat = github::NewReview {
                event: ReviewEvent::Comment,
                body,
                comments: Vec::new(),
            };
            github::create_review(repo, number, &flat)
        }
        other => other,
    };
    match written {
        Ok(Written::Done(id)) => {
            info!("#{number}: review {id} posted");
            Ok(None)
        }
        Ok(Written::Held(held)) => Ok(Some(format!(
            "@{}: the review waits for a maintainer's approval: `{}`.",
            command.author, held.approval_id
        ))),
        Err(e) if e.is_transient() => Err(e).with_context(|| format!("reviewing #{number}")),
        Err(e) => Ok(Some(format!(
            "@{}: the review could not be posted: {e}",
            command.author
        ))),
    }
}

/// `review` with a model: its findings placed on the diff, or the reply saying why
/// there is no review to post.
fn model_review(
    files: &[review::FileDiff],
    config: &Config,
    provider: &str,
    who: &str,
) -> Result<Result<review::Review, String>, Error> {
    let (request, shown) = review::model::request(
        provider,
        files,
        config.prompt_chars(),
        config.max_answer_tokens,
    );
    let completion = match ask::ask(&request, who, "review")? {
        Ok(completion) => completion,
        Err(reply) => return Ok(Err(reply)),
    };
    Ok(match review::model::parse(&completion.content) {
        Ok(findings) => Ok(review::model::place(
            files,
            findings,
            config.max_line_comments,
            provider,
            &shown,
        )),
        Err(why) => Err(ask::unusable(who, "review", &why, completion.truncated)),
    })
}

/// `plan`: a checklist comment from the issue's headings and list items, or the
/// model's checklist.
fn plan_issue(repo: &Repo, command: &Command, config: &Config) -> Result<Option<String>, Error> {
    let number = command.number;
    let key = format!("plan/{number}");
    if let Some(earlier) = kv::get_json::<Plan>(&key)? {
        let split_into = earlier.issues();
        let waiting = earlier.items().any(|i| i.held.is_some());
        if !split_into.is_empty() || waiting {
            return Ok(Some(format!(
                "@{}: #{number}'s plan was split already{}; a new plan would lose its links, so none was written. Edit the plan comment instead.",
                command.author,
                if split_into.is_empty() {
                    String::new()
                } else {
                    format!(
                        " into {}",
                        split_into
                            .iter()
                            .map(|n| format!("#{n}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                }
            )));
        }
    }
    let issue = github::get_issue(repo, number).with_context(|| format!("reading #{number}"))?;
    let mut plan = match config.model_provider() {
        None => Plan::of_issue(
            number,
            &issue.body,
            usize::try_from(config.max_plan_items).unwrap_or(usize::MAX),
            &config.plan_template,
        ),
        Some(provider) => {
            let request = plan::model::request(
                provider,
                &issue.title,
                &issue.body,
                config.max_plan_items,
                config.prompt_chars(),
                config.max_answer_tokens,
            );
            let completion = match ask::ask(&request, &command.author, "plan")? {
                Ok(completion) => completion,
                Err(reply) => return Ok(Some(reply)),
            };
            let by = format!("{provider}/{}", completion.model);
            match plan::model::parse(&completion.content, number, config.max_plan_items, &by) {
                Ok(plan) => plan,
                Err(why) => {
                    return Ok(Some(ask::unusable(
                        &command.author,
                        "plan",
                        &why,
                        completion.truncated,
                    )))
                }
            }
        }
    };
    match github::create_comment(repo, number, &plan::render(&plan)) {
        Ok(Written::Done(id)) => {
            plan.comment_id = Some(id);
            info!(
                "#{number}: plan of {} items posted (comment {id})",
                plan.items().count()
            );
        }
        Ok(Written::Held(held)) => {
            info!(
                "#{number}: the plan comment waits for approval {}",
                held.approval_id
            );
            kv::set_json(
                &format!("approval/{}", held.approval_id),
                &Pending::PlanComment { issue: number },
            )?;
            plan.held = Some(held.approval_id);
        }
        Err(e) if e.is_transient() => return Err(e).with_context(|| format!("planning #{number}")),
        Err(e) => {
            return Ok(Some(format!(
                "@{}: the plan could not be posted: {e}",
                command.author
            )))
        }
    }
    save(&plan)?;
    Ok(None)
}

/// `split`: one issue per unchecked item of the plan, then the plan's items become
/// links. Returns the reply.
fn split_plan(repo: &Repo, command: &Command) -> Result<String, Error> {
    let (number, who) = (command.number, &command.author);
    let Some(mut plan) = kv::get_json::<Plan>(&format!("plan/{number}"))? else {
        return Ok(format!(
            "@{who}: #{number} has no plan from the agent yet: `@gantry plan` writes one, then `@gantry split` opens its items as issues."
        ));
    };
    if let Some(id) = &plan.held {
        return Ok(format!(
            "@{who}: #{number}'s plan comment still waits for approval `{id}`; split it once it is posted."
        ));
    }
    let mut report = Report::default();
    for at in split::pending(&plan) {
        let Some(text) = split::issue_for(&plan, at) else {
            continue;
        };
        let new = github::NewIssue {
            title: text.title.clone(),
            body: text.body,
            labels: Vec::new(),
            assignees: Vec::new(),
            milestone: None,
        };
        match github::create_issue(repo, &new) {
            Ok(Written::Done(issue)) => {
                split::record(&mut plan, at, Outcome::Opened(issue.number));
                report.opened.push(issue.number);
            }
            Ok(Written::Held(held)) => {
                kv::set_json(
                    &format!("approval/{}", held.approval_id),
                    &Pending::SplitIssue {
                        issue: number,
                        entry: at,
                    },
                )?;
                split::record(&mut plan, at, Outcome::Held(held.approval_id.clone()));
                report.held.push(held.approval_id);
            }
            Err(e) if e.is_transient() => {
                // What was opened so far is kept (an outage, or the invocation's
                // budget of GitHub calls spent): a retry or another `split` opens
                // only the rest.
                save(&plan)?;
                let opened = report.opened.len();
                return Err(e).with_context(|| {
                    format!(
                        "opening an issue for “{}” after {opened} opened; `@gantry split` again opens the rest",
                        text.title
                    )
                });
            }
            Err(e) => report.refused.push((text.title, e.to_string())),
        }
        // Saved after every write, so nothing is opened twice whatever happens next.
        save(&plan)?;
    }
    if !report.opened.is_empty() || !report.held.is_empty() {
        report.edit_held = edit_plan(repo, &plan)?;
    }
    info!(
        "#{number}: split into {:?}, {} held, {} refused",
        report.opened,
        report.held.len(),
        report.refused.len()
    );
    Ok(report.reply(who, &plan))
}

/// Writes the plan comment again as the plan is now; returns the approval the edit
/// waits for, if the policy held it.
fn edit_plan(repo: &Repo, plan: &Plan) -> Result<Option<String>, Error> {
    let Some(comment) = plan.comment_id else {
        return Ok(None);
    };
    match github::update_comment(repo, comment, &plan::render(plan)) {
        Ok(Written::Done(())) => Ok(None),
        Ok(Written::Held(held)) => Ok(Some(held.approval_id)),
        Err(e) if e.is_transient() => Err(e).context("editing the plan comment"),
        Err(e) => {
            warn!(
                "#{}: the plan comment could not be edited: {e}",
                plan.number
            );
            Ok(None)
        }
    }
}

/// `fix` with the rule-based provider, which writes no code: how to configure a
/// model provider (with one, `fixing::run` answers).
fn fix_answer(who: &str) -> String {
    format!(
        "@{who}: `fix` needs a model provider, and the agent here uses the {} provider (deterministic checks, no model), which cannot write a fix. Nothing was changed.\n\nAn operator configures a model provider for the agent as Gantry's docs/agents.md says (\"Model providers\"). Until then, `@gantry review` and `@gantry plan` work without one.",
        config::RULE_BASED
    )
}

fn save(plan: &Plan) -> Result<(), Error> {
    kv::set_json(&format!("plan/{}", plan.number), plan)
}

fn forget(key: &str) -> Result<(), Error> {
    kv::delete(key).map(drop).context("writing KV")
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
