//! The ci plugin: runs the configured GitHub Actions workflows for pull requests by
//! `workflow_dispatch` and reports each job as a check run `gantry/ci: NAME` on the
//! head commit, moved along by `workflow_run` events; `/test`, `/retest` and
//! `/ok-to-test` as in Prow.
//!
//! [`rules`] decides; this file makes the host calls. KV keys (per repository):
//! `sha/<head sha>` the check runs started on a commit ([`rules::Record`]),
//! `run/<run id>` the head commit a workflow run reports on, `fork/<branch>` the
//! commits of fork pull requests whose workflows were dispatched on that base
//! branch and are not yet matched to runs, `asked/<number>` the `/ok-to-test`
//! explanation already posted.
use gantry_plugin_sdk::events::TypedEvent;
use gantry_plugin_sdk::github::{self, CheckRun, CheckStatus};
use gantry_plugin_sdk::{
    config, debug, info, kv, warn, Command, Context as _, Error, Event, Held, Plugin, Repo, Written,
};

mod payload;
mod rules;

#[cfg(test)]
mod host_tests;

use rules::{CheckUpdate, Config, Job, Level, Pull, PullDecision, Record, Run, Status, Tracked};

/// How many fork commits may wait for their runs on one base branch.
const MAX_WAITING: usize = 100;

struct Ci;

impl Plugin for Ci {
    fn handle_event(event: Event) -> Result<(), Error> {
        let config: Config = config::get()?;
        let repo = event.repo().context("the event names no repository")?;
        match event.typed()? {
            TypedEvent::PullRequest(pr) => {
                on_pull_request(&repo, &payload::pull_event(&pr), &pr.action, &config)
            }
            TypedEvent::WorkflowRun(run) => on_workflow_run(&repo, &payload::workflow_run(&run)),
            _ => {
                debug!("{} is not an event the ci plugin handles", event.name);
                Ok(())
            }
        }
    }

    fn handle_command(command: Command) -> Result<(), Error> {
        if !command.is_pull_request {
            info!(
                "/{} on issue #{} ignored: CI runs on pull requests",
                command.verb, command.number
            );
            return Ok(());
        }
        let config: Config = config::get()?;
        let repo = command
            .event
            .repo()
            .context("the command's event names no repository")?;
        // The comment's issue as the payload shows it (labels) and its repository's page.
        let (labels, html) = match command.event.typed().ok() {
            Some(TypedEvent::IssueComment(c)) => (c.issue.label_names(), c.repository.html_url),
            _ => (Vec::new(), String::new()),
        };
        let pr = github::get_pull_request(&repo, command.number)
            .with_context(|| format!("reading #{}", command.number))?;
        let pull = Pull {
            number: pr.number,
            author: pr.author,
            head_sha: pr.head_sha,
            head_ref: pr.head_ref,
            base_ref: pr.base_ref,
            from_fork: pr.from_fork,
            labels,
        };
        if pr.state == "closed" {
            info!(
                "/{} on #{}: the pull request is closed",
                command.verb, pull.number
            );
            return Ok(());
        }
        let target = Target {
            repo: &repo,
            pull: &pull,
            html: &html,
        };
        let commenter = Level::from(command.author_permission);
        let mut notes = Vec::new();
        match command.verb.as_str() {
            "test" => {
                let request = rules::test_request(&command.args, &config);
                if request.jobs.is_empty() || !request.unknown.is_empty() {
                    notes.push(rules::test_help(&command.author, &request.unknown, &config));
                }
                if !request.jobs.is_empty() {
                    if may_run(&target, commenter, &config)? {
                        notes.extend(start(&target, &request.jobs, true)?);
                    } else {
                        notes.push(not_admitted(&command.author, &config));
                    }
                }
            }
            "retest" => {
                if may_run(&target, commenter, &config)? {
                    notes.extend(retest(&target, &command.author, &config)?);
                } else {
                    notes.push(not_admitted(&command.author, &config));
                }
            }
            "ok-to-test" => {
                carry(
                    github::remove_label(&repo, pull.number, &config.needs_ok_to_test_label),
                    "remove the needs-ok-to-test label",
                    &mut notes,
                )?;
                carry(
                    github::add_labels(
                        &repo,
                        pull.number,
                        std::slice::from_ref(&config.ok_to_test_label),
                    ),
                    "add the ok-to-test label",
                    &mut notes,
                )?;
                notes.extend(start(&target, &rules::automatic(&config), false)?);
            }
            other => warn!("/{other} is not a ci command"),
        }
        if !notes.is_empty() {
            reply(&repo, pull.number, &notes.join("\n\n"))?;
        }
        let reaction = if notes.is_empty() { "+1" } else { "eyes" };
        match github::add_reaction(&repo, command.comment_id, reaction) {
            Ok(_) => Ok(()),
            Err(e) if e.is_transient() => Err(e).context("reacting"),
            Err(e) => {
                warn!("could not react to comment {}: {e}", command.comment_id);
                Ok(())
            }
        }
    }
}

gantry_plugin_sdk::register_plugin!(Ci);

/// The pull request jobs are started for.
struct Target<'a> {
    repo: &'a Repo,
    pull: &'a Pull,
    /// The repository's page, for the queued check runs' links.
    html: &'a str,
}

/// The author's permission on the repository.
fn author_level(target: &Target<'_>) -> Result<Level, Error> {
    github::get_permission(target.repo, &target.pull.author)
        .map(Level::from)
        .with_context(|| format!("reading {}'s permission", target.pull.author))
}

/// Whether a command may run jobs on the pull request: it is admitted, or the
/// commenter is trusted themselves.
fn may_run(target: &Target<'_>, commenter: Level, config: &Config) -> Result<bool, Error> {
    if commenter >= config.trusted_permission || target.pull.has(&config.ok_to_test_label) {
        return Ok(true);
    }
    Ok(rules::admitted(target.pull, author_level(target)?, config))
}

fn not_admitted(commenter: &str, config: &Config) -> String {
    format!("@{commenter}: this pull request has not been admitted to CI yet; someone with write access must comment `/ok-to-test` first (it adds `{}`).", config.ok_to_test_label)
}

fn on_pull_request(
    repo: &Repo,
    event: &payload::PullEvent,
    action: &str,
    config: &Config,
) -> Result<(), Error> {
    let pull = &event.pull;
    let target = Target {
        repo,
        pull,
        html: &event.repo_html_url,
    };
    let mut failure = None;
    let decision =
        rules::on_pull_request(action, event.label.as_deref(), event.open, config, || {
            match author_level(&target) {
                Ok(level) => rules::admitted(pull, level, config),
                Err(e) => {
                    failure = Some(e);
                    false
                }
            }
        });
    if let Some(e) = failure {
        return Err(e);
    }
    match decision {
        PullDecision::Nothing => {
            debug!("pull_request.{action} on #{}: nothing to do", pull.number);
            Ok(())
        }
        PullDecision::Start => {
            if pull.has(&config.needs_ok_to_test_label) {
                let mut notes = Vec::new();
                carry(
                    github::remove_label(repo, pull.number, &config.needs_ok_to_test_label),
                    "remove the needs-ok-to-test label",
                    &mut notes,
                )?;
            }
            let notes = start(&target, &rules::automatic(config), false)?;
            if !notes.is_empty() {
                reply(repo, pull.number, &notes.join("\n\n"))?;
            }
            Ok(())
        }
        PullDecision::AskOkToTest => {
            info!(
                "#{}: {} is not trusted; waiting for /ok-to-test",
                pull.number, pull.author
            );
            if !pull.has(&config.needs_ok_to_test_label) {
                let mut notes = Vec::new();
                carry(
                    github::add_labels(
                        repo,
                        pull.number,
                        std::slice::from_ref(&config.needs_ok_to_test_label),
                    ),
                    "label it",
                    &mut notes,
                )?;
            }
            let asked = format!("asked/{}", pull.number);
            if kv::get_json::<u64>(&asked)?.is_none() {
                let id = reply(
                    repo,
                    pull.number,
                    &rules::ok_to_test_request(&pull.author, config),
                )?;
                kv::set_json(&asked, &id.unwrap_or_default())?;
            }
            Ok(())
        }
    }
}

/// The inputs a job's workflow declares: as configured, or read from the workflow
/// file at `at` (none when it cannot be read: an id, a missing file).
fn declared_inputs(repo: &Repo, job: &Job, at: &str) -> Vec<String> {
    if let Some(declared) = &job.declared_inputs {
        return declared.clone();
    }
    let Some(path) = rules::workflow_file(&job.workflow) else {
        return Vec::new();
    };
    match github::get_file(repo, &path, Some(at)) {
        Ok(Some(file)) => rules::declared_inputs(&String::from_utf8_lossy(&file.content)),
        Ok(None) => Vec::new(),
        Err(e) => {
            warn!("reading {path} for its declared inputs: {e}");
            Vec::new()
        }
    }
}

/// Starts jobs on the pull request's head commit: a queued check run each, then the
/// workflow dispatch. Without `force`, jobs already started on the commit are left
/// alone (a retried event, or `ok-to-test` added by `/ok-to-test` itself). Returns
/// what to tell people (GitHub's refusals, held calls).
fn start(target: &Target<'_>, jobs: &[&Job], force: bool) -> Result<Vec<String>, Error> {
    let (repo, pull) = (target.repo, target.pull);
    let key = format!("sha/{}", pull.head_sha);
    let mut record: Record = kv::get_json(&key)
        .map_err(|e| format!("reading KV: {e}"))?
        .unwrap_or_default();
    record.pr = pull.number;
    record.dispatch_ref = pull.dispatch_ref().to_owned();
    let mut notes = Vec::new();
    let mut dispatched = false;
    for job in jobs {
        if !force && record.started(&job.name) {
            info!(
                "#{}: {} already started on {}",
                pull.number,
                job.name,
                rules::short(&pull.head_sha)
            );
            continue;
        }
        let name = rules::check_name(&job.name);
        let queued = CheckRun {
            name: name.clone(),
            head_sha: pull.head_sha.clone(),
            status: CheckStatus::Queued,
            conclusion: None,
            details_url: Some(rules::queued_link(target.html, &job.workflow)),
            title: Some("Queued".into()),
            summary: Some(format!(
                "Dispatching workflow `{}` on `{}` for #{}.",
                job.workflow,
                pull.dispatch_ref(),
                pull.number
            )),
        };
        let what = format!("create the check run `{name}`");
        let check_run = match github::create_check_run(repo, &queued) {
            Ok(Written::Done(id)) => id,
            Ok(Written::Held(held)) => {
                held_note(&held, &what, &mut notes);
                continue;
            }
            Err(e) => {
                soft(e, &what, &mut notes)?;
                continue;
            }
        };
        let declared = declared_inputs(repo, job, pull.dispatch_ref());
        let inputs = rules::dispatch_inputs(job, pull, &declared).to_string();
        let dispatch = github::dispatch_workflow(repo, &job.workflow, pull.dispatch_ref(), &inputs);
        match dispatch {
            Ok(Written::Done(())) => {
                info!(
                    "#{}: dispatched {} ({}) on {}",
                    pull.number,
                    job.name,
                    job.workflow,
                    pull.dispatch_ref()
                );
                record.track(Tracked {
                    job: job.name.clone(),
                    workflow: job.workflow.clone(),
                    check_run,
                    run: None,
                });
                dispatched = true;
            }
            Ok(Written::Held(Held {
                approval_id: id, ..
            })) => {
                info!(
                    "#{}: dispatching {} is held for approval: {id}",
                    pull.number, job.name
                );
                record.track(Tracked {
                    job: job.name.clone(),
                    workflow: job.workflow.clone(),
                    check_run,
                    run: None,
                });
                dispatched = true;
                let held = CheckRun {
                    summary: Some(format!(
                        "Dispatching workflow `{}` waits for a maintainer's approval (`{id}`).",
                        job.workflow
                    )),
                    ..queued
                };
                soft_update(repo, check_run, &held)?;
            }
            Err(e) if e.refusal().is_some() => {
                let why = e.refusal().unwrap_or_default();
                warn!(
                    "#{}: could not dispatch {}: {why}",
                    pull.number, job.workflow
                );
                let failed = CheckRun {
                    status: CheckStatus::Completed,
                    conclusion: Some(github::Conclusion::Failure),
                    title: Some("Could not start".into()),
                    summary: Some(format!(
                        "GitHub would not dispatch workflow `{}` on `{}`: {why}",
                        job.workflow,
                        pull.dispatch_ref()
                    )),
                    ..queued
                };
                soft_update(repo, check_run, &failed)?;
                notes.push(format!(
                    "GitHub would not start `{}` (workflow `{}`): {why}",
                    job.name, job.workflow
                ));
            }
            Err(e) => return Err(e).with_context(|| format!("dispatching {}", job.workflow)),
        }
        kv::set_json(&key, &record)?;
    }
    if dispatched && pull.from_fork {
        // A fork's runs happen on the base branch, at its commit: remember which pull
        // requests wait there, so their runs can be told apart from others.
        let waiting_key = format!("fork/{}", pull.dispatch_ref());
        let mut waiting: Vec<String> = kv::get_json(&waiting_key)?.unwrap_or_default();
        waiting.retain(|s| s != &pull.head_sha);
        waiting.push(pull.head_sha.clone());
        let excess = waiting.len().saturating_sub(MAX_WAITING);
        waiting.drain(..excess);
        kv::set_json(&waiting_key, &waiting)?;
    }
    Ok(notes)
}

/// `/retest`: re-runs the failed jobs of the latest failed runs on the head commit
/// and puts their check runs back to queued.
fn retest(target: &Target<'_>, commenter: &str, config: &Config) -> Result<Vec<String>, Error> {
    let (repo, pull) = (target.repo, target.pull);
    let key = format!("sha/{}", pull.head_sha);
    let mut record: Record = kv::get_json(&key)?.unwrap_or_default();
    let runs: Vec<Run> = github::list_workflow_runs(repo, &pull.head_sha)
        .with_context(|| {
            format!(
                "listing the workflow runs of {}",
                rules::short(&pull.head_sha)
            )
        })?
        .into_iter()
        .map(|r| Run {
            id: r.id,
            name: r.name,
            path: r.path,
            workflow_id: Some(r.workflow_id),
            status: r.status,
            conclusion: r.conclusion,
            head_sha: r.head_sha,
            head_branch: r.head_branch,
            event: Some(r.event),
            html_url: r.html_url,
        })
        .collect();
    let plan = rules::retest_plan(config, &record, &runs);
    if plan.is_empty() {
        return Ok(vec![format!(
            "@{commenter}: nothing to retest: no CI job failed on {}.",
            rules::short(&pull.head_sha)
        )]);
    }
    let mut notes = Vec::new();
    for retest in plan {
        let what = format!("re-run the failed jobs of run {}", retest.run);
        match github::rerun_failed_jobs(repo, retest.run) {
            Ok(Written::Done(())) => info!(
                "#{}: re-running the failed jobs of run {}",
                pull.number, retest.run
            ),
            Ok(Written::Held(held)) => {
                held_note(&held, &what, &mut notes);
                continue;
            }
            Err(e) => {
                soft(e, &what, &mut notes)?;
                continue;
            }
        }
        let run = runs
            .iter()
            .find(|r| r.id == retest.run)
            .cloned()
            .unwrap_or_default();
        for tracked in record
            .jobs
            .iter_mut()
            .filter(|t| retest.jobs.contains(&t.job))
        {
            tracked.run = Some(retest.run);
            let queued = CheckUpdate {
                status: Status::Queued,
                ..rules::check_update(&run, &tracked.job)
            };
            soft_update(
                repo,
                tracked.check_run,
                &check_run(&tracked.job, &queued, "Re-running the failed jobs"),
            )?;
        }
    }
    kv::set_json(&key, &record)?;
    Ok(notes)
}

fn on_workflow_run(repo: &Repo, run: &Run) -> Result<(), Error> {
    let Some((sha, mut record)) = find_record(run)? else {
        debug!("workflow run {} is not one of ours", run.id);
        return Ok(());
    };
    let jobs = rules::bind(&mut record, run);
    if jobs.is_empty() {
        debug!(
            "workflow run {} ({}) matches no job started on {}",
            run.id,
            run.path,
            rules::short(&sha)
        );
        return Ok(());
    }
    for i in jobs {
        let tracked = &record.jobs[i];
        let update = rules::check_update(run, &tracked.job);
        soft_update(
            repo,
            tracked.check_run,
            &check_run(&tracked.job, &update, &update.title),
        )?;
        info!(
            "check run {} ({}): {:?} from run {}",
            tracked.check_run, tracked.job, update.status, run.id
        );
    }
    kv::set_json(&format!("sha/{sha}"), &record)?;
    kv::set_json(&format!("run/{}", run.id), &sha)?;
    if record.dispatch_ref == run.head_branch && record.jobs.iter().all(|t| t.run.is_some()) {
        let waiting_key = format!("fork/{}", run.head_branch);
        if let Some(mut waiting) = kv::get_json::<Vec<String>>(&waiting_key)? {
            if waiting.iter().any(|s| s == &sha) {
                waiting.retain(|s| s != &sha);
                kv::set_json(&waiting_key, &waiting)?;
            }
        }
    }
    Ok(())
}

/// The head commit and record a run reports on: the one it was bound to, the one of
/// its own commit, or a fork pull request's waiting on its branch.
fn find_record(run: &Run) -> Result<Option<(String, Record)>, Error> {
    let read = |sha: &str| kv::get_json::<Record>(&format!("sha/{sha}"));
    if let Some(sha) = kv::get_json::<String>(&format!("run/{}", run.id))? {
        if let Some(record) = read(&sha)? {
            return Ok(Some((sha, record)));
        }
    }
    if let Some(record) = read(&run.head_sha)? {
        return Ok(Some((run.head_sha.clone(), record)));
    }
    let waiting: Vec<String> =
        kv::get_json(&format!("fork/{}", run.head_branch))?.unwrap_or_default();
    for sha in waiting {
        if let Some(record) = read(&sha)? {
            if record
                .jobs
                .iter()
                .any(|t| t.run.is_none() && rules::workflow_matches(&t.workflow, run))
            {
                return Ok(Some((sha, record)));
            }
        }
    }
    Ok(None)
}

/// The check run a [`CheckUpdate`] describes.
fn check_run(job: &str, update: &CheckUpdate, title: &str) -> CheckRun {
    let (status, conclusion) = match update.status {
        Status::Queued => (CheckStatus::Queued, None),
        Status::InProgress => (CheckStatus::InProgress, None),
        Status::Completed(c) => (CheckStatus::Completed, Some(conclusion(c))),
    };
    CheckRun {
        name: rules::check_name(job),
        head_sha: String::new(),
        status,
        conclusion,
        details_url: Some(update.details_url.clone()).filter(|u| !u.is_empty()),
        title: Some(title.to_owned()),
        summary: Some(update.summary.clone()),
    }
}

fn conclusion(c: rules::Conclusion) -> github::Conclusion {
    use rules::Conclusion as C;
    match c {
        C::Success => github::Conclusion::Success,
        C::Failure => github::Conclusion::Failure,
        C::Neutral => github::Conclusion::Neutral,
        C::Cancelled => github::Conclusion::Cancelled,
        C::Skipped => github::Conclusion::Skipped,
        C::TimedOut => github::Conclusion::TimedOut,
        C::ActionRequired => github::Conclusion::ActionRequired,
    }
}

/// Updates a check run; one that GitHub no longer has or refuses is logged.
fn soft_update(repo: &Repo, id: u64, run: &CheckRun) -> Result<(), Error> {
    match github::update_check_run(repo, id, run) {
        Ok(Written::Done(())) => Ok(()),
        Ok(Written::Held(held)) => {
            info!(
                "updating check run {id} is held for approval: {}",
                held.approval_id
            );
            Ok(())
        }
        Err(e) => match e.refusal() {
            Some(why) => {
                warn!("could not update check run {id}: {why}");
                Ok(())
            }
            None => Err(e).with_context(|| format!("updating check run {id}")),
        },
    }
}

/// Notes a call the policy held for approval.
fn held_note(held: &Held, what: &str, notes: &mut Vec<String>) {
    let id = &held.approval_id;
    info!("{what}: held for approval {id}");
    notes.push(format!(
        "To {what} waits for a maintainer's approval (`{id}`)."
    ));
}

/// Notes a call GitHub refused; a denial, an outage or a spent budget ends the
/// invocation (the host retries the job after an outage).
fn soft(error: Error, what: &str, notes: &mut Vec<String>) -> Result<(), Error> {
    match error.refusal() {
        Some(why) => {
            warn!("could not {what}: {why}");
            notes.push(format!("GitHub would not {what}: {why}"));
            Ok(())
        }
        None => Err(error).with_context(|| format!("could not {what}")),
    }
}

/// Notes a write GitHub refused or the policy held.
fn carry<T>(
    result: Result<Written<T>, Error>,
    what: &str,
    notes: &mut Vec<String>,
) -> Result<(), Error> {
    match result {
        Ok(Written::Done(_)) => Ok(()),
        Ok(Written::Held(held)) => {
            held_note(&held, what, notes);
            Ok(())
        }
        Err(e) => soft(e, what, notes),
    }
}

/// Comments on the pull request; returns the comment's id (`None` when held).
fn reply(repo: &Repo, number: u64, body: &str) -> Result<Option<u64>, Error> {
    match github::create_comment(repo, number, body)
        .with_context(|| format!("replying on #{number}"))?
    {
        Written::Done(id) => Ok(Some(id)),
        Written::Held(held) => {
            info!(
                "#{number}: the reply is held for approval: {}",
                held.approval_id
            );
            Ok(None)
        }
    }
}
