//! The hooks plugin: configurable rules that act on events.
//!
//! Each rule names the event it reacts to (`issues.opened`, or a bare `issues` for any
//! action) and what to do: add labels, post a comment. The sandbox's default config
//! labels every newly opened issue `needs-triage` and greets new pull requests.
//! Three more hooks are off until configured: a conventional-commit check of pull
//! request titles (the check run `gantry/hooks: title`), a greeting for first-time
//! contributors, and announcements of published releases on chosen issues.
//!
//! It also runs hooks around other plugins' runs (`around` rules on `gantry_hook`
//! events, Atlantis' pre and post workflow hooks): checks that may block a run, and
//! comments and labels before or after it.
//!
//! [`rules`] and [`around`] decide; this file makes the host calls.
use gantry_plugin_sdk::events::TypedEvent;
use gantry_plugin_sdk::github::{self, CheckRun, CheckStatus, Conclusion};
use gantry_plugin_sdk::{
    config, debug, info, warn, Context as _, Error, Event, Level, Plugin, Repo, Written,
};
use serde_json::Value;

mod around;
mod rules;

#[cfg(test)]
mod host_tests;

use around::HookEvent;

use rules::{Config, Release, Target};

struct Hooks;

impl Plugin for Hooks {
    fn handle_event(event: Event) -> Result<(), Error> {
        let config: Config = config::get()?;
        if event.name == "gantry_hook" {
            return run_around(&event, &config);
        }
        let kind = event.kind();
        let action = event.action.as_deref().unwrap_or_default();
        let rules: Vec<&rules::Rule> = config
            .rules
            .iter()
            .filter(|r| r.matches(&event.name, &kind))
            .collect();
        let check_title = config.title_check.enabled
            && event.name == "pull_request"
            && rules::TITLE_CHECK_ACTIONS.contains(&action);
        let greet = config.first_time_greeting.enabled
            && (kind == "issues.opened" || kind == "pull_request.opened");
        let announce = kind == "release.published";
        let label_paths = !config.path_labels.is_empty()
            && event.name == "pull_request"
            && rules::PATH_LABEL_ACTIONS.contains(&action);
        if rules.is_empty() && !check_title && !greet && !announce && !label_paths {
            return Ok(());
        }
        let repo = event.repo().context("the event names no repository")?;
        let full_name = format!("{}/{}", repo.owner, repo.name);
        let payload: Value = event.parse()?;
        if announce {
            return announce_release(&repo, &full_name, &payload, &config.release_announcement);
        }
        let Some(target) = Target::from_payload(&payload) else {
            debug!("{kind} is not about an issue or pull request");
            return Ok(());
        };
        for rule in rules {
            if !rule.add_labels.is_empty() {
                let labelled = github::add_labels(&repo, target.number, &rule.add_labels)
                    .with_context(|| format!("labelling #{}", target.number))?;
                match labelled {
                    Written::Done(_) => info!(
                        "labelled #{} with {}",
                        target.number,
                        rule.add_labels.join(", ")
                    ),
                    Written::Held(held) => info!("labelling #{}: {held}", target.number),
                }
            }
            if let Some(template) = &rule.comment {
                let body = target.render(template, &full_name);
                let commented = github::create_comment(&repo, target.number, &body)
                    .with_context(|| format!("commenting on #{}", target.number))?;
                match commented {
                    Written::Done(_) => info!("commented on #{}", target.number),
                    Written::Held(held) => info!("commenting on #{}: {held}", target.number),
                }
            }
        }
        if let Some(body) =
            rules::first_time_greeting(&config.first_time_greeting, &kind, &target, &full_name)
        {
            let what = format!(
                "greet first-time contributor @{} on #{}",
                target.author, target.number
            );
            if soft(github::create_comment(&repo, target.number, &body), &what)? {
                info!(
                    "greeted first-time contributor @{} on #{}",
                    target.author, target.number
                );
            }
        }
        if label_paths {
            label_by_paths(&repo, target.number, &config.path_labels)?;
        }
        if check_title {
            let head_sha = match event.typed() {
                Ok(TypedEvent::PullRequest(pr)) => pr.pull_request.head.sha,
                _ => String::new(),
            };
            if head_sha.is_empty() {
                warn!(
                    "#{}: the payload names no head commit; the title is not checked",
                    target.number
                );
            } else {
                check_title_of(&repo, &target, &head_sha, &config.title_check.types)?;
            }
        }
        Ok(())
    }
}

/// Runs the `around` rules a `gantry_hook` event was sent for: each rule's checks,
/// then (when they pass) its labels and comment. Fails, with the reasons, only when
/// a blocking rule's checks fail (the host then blocks the wrapped run), after
/// explaining why on the issue or pull request; a non-blocking rule that fails is
/// logged, as Atlantis does with non-blocking hooks.
fn run_around(event: &Event, config: &Config) -> Result<(), Error> {
    let repo = event.repo().context("the event names no repository")?;
    let full_name = format!("{}/{}", repo.owner, repo.name);
    let hook: HookEvent =
        serde_json::from_str(&event.payload).context("unreadable gantry_hook payload")?;
    let number = hook.number();
    let mut blocked = Vec::new();
    let mut explain = false;
    for rule in hook.matched(&config.around) {
        let permission = match (rule.require_permission, &hook.command) {
            (None, _) => None,
            (Some(_), Some(command)) => Some(command.permission),
            (Some(_), None) => Some(
                github::get_permission(&repo, &hook.actor())
                    .map(Level::from)
                    .with_context(|| format!("reading @{}'s permission", hook.actor()))?,
            ),
        };
        let unmet = around::unmet(rule, &hook, permission);
        if !unmet.is_empty() {
            let severity = if rule.blocking {
                "blocking"
            } else {
                "non-blocking"
            };
            warn!(
                "{} {} hook for {}: {}",
                severity,
                hook.stage,
                hook.what(),
                unmet.join("; ")
            );
            if rule.blocking {
                explain |= rule.explain;
                blocked.extend(unmet);
            }
            continue;
        }
        let Some(number) = number else {
            debug!("{}: no issue or pull request to act on", hook.what());
            continue;
        };
        if !rule.add_labels.is_empty()
            && soft(
                github::add_labels(&repo, number, &rule.add_labels),
                &format!("label #{number}"),
            )?
        {
            info!(
                "{} hook: labelled #{number} {}",
                hook.stage,
                rule.add_labels.join(", ")
            );
        }
        if let Some(template) = &rule.comment {
            if soft(
                github::create_comment(&repo, number, &hook.render(template, &full_name)),
                &format!("comment on #{number}"),
            )? {
                info!("{} hook: commented on #{number}", hook.stage);
            }
        }
    }
    if blocked.is_empty() {
        return Ok(());
    }
    if let (true, Some(number)) = (explain, number) {
        soft(
            github::create_comment(&repo, number, &around::blocked_comment(&hook, &blocked)),
            &format!("explain the block on #{number}"),
        )?;
    }
    Err(Error::msg(blocked.join("; ")))
}

/// Reports on the pull request's title as the completed check run
/// `gantry/hooks: title` on its head commit.
fn check_title_of(
    repo: &Repo,
    target: &Target,
    head_sha: &str,
    types: &[String],
) -> Result<(), Error> {
    let report = rules::title_report(&target.title, types);
    let run = CheckRun {
        name: rules::TITLE_CHECK_NAME.into(),
        head_sha: head_sha.into(),
        status: CheckStatus::Completed,
        conclusion: Some(if report.success {
            Conclusion::Success
        } else {
            Conclusion::Failure
        }),
        details_url: None,
        title: Some(report.title),
        summary: Some(report.summary),
    };
    let verdict = if report.success { "passes" } else { "fails" };
    if soft(
        github::create_check_run(repo, &run),
        &format!("report the title check on #{}", target.number),
    )? {
        info!(
            "#{}: the title {verdict} the conventional-commit check",
            target.number
        );
    }
    Ok(())
}

/// Labels the pull request by the paths it changes.
fn label_by_paths(repo: &Repo, number: u64, rules: &[rules::PathLabel]) -> Result<(), Error> {
    let paths: Vec<String> = match github::list_pull_request_files(repo, number) {
        Ok(files) => files.into_iter().map(|f| f.filename).collect(),
        Err(e) => {
            soft::<()>(Err(e), &format!("list the files of #{number}"))?;
            return Ok(());
        }
    };
    let labels = rules::labels_for_paths(rules, &paths);
    if labels.is_empty() {
        return Ok(());
    }
    if soft(
        github::add_labels(repo, number, &labels),
        &format!("label #{number} by its paths"),
    )? {
        info!(
            "#{number}: labelled {} by its changed paths",
            labels.join(", ")
        );
    }
    Ok(())
}

/// Comments on the configured issues (and the mentioned ones, when asked) that a
/// release was published.
fn announce_release(
    repo: &Repo,
    full_name: &str,
    payload: &Value,
    config: &rules::ReleaseAnnouncement,
) -> Result<(), Error> {
    let Some(release) = Release::from_payload(payload) else {
        warn!("release.published without a release tag");
        return Ok(());
    };
    let repo_url = payload
        .pointer("/repository/html_url")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let targets = rules::announcement_targets(config, &release, repo_url);
    if targets.is_empty() {
        debug!("{}: no issue to announce it on", release.tag);
        return Ok(());
    }
    let body = release.render(&config.message, full_name);
    for number in targets {
        if soft(
            github::create_comment(repo, number, &body),
            &format!("announce {} on #{number}", release.tag),
        )? {
            info!("announced {} on #{number}", release.tag);
        }
    }
    Ok(())
}

/// Logs a call GitHub refused (an issue that does not exist) or the policy held, and
/// goes on; a denial, an outage or a spent budget ends the invocation (the host
/// retries the job after an outage, and its writes are idempotent across retries).
/// Says whether the call was made.
fn soft<T>(result: Result<Written<T>, Error>, what: &str) -> Result<bool, Error> {
    match result {
        Ok(Written::Done(_)) => Ok(true),
        Ok(Written::Held(held)) => {
            info!("{what}: held for approval {}", held.approval_id);
            Ok(false)
        }
        Err(e) => match e.refusal() {
            Some(why) => {
                warn!("could not {what}: {why}");
                Ok(false)
            }
            None => Err(e).with_context(|| format!("could not {what}")),
        },
    }
}

gantry_plugin_sdk::register_plugin!(Hooks);
