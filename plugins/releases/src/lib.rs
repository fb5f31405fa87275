//! The releases plugin: `@gantry release vX.Y.Z` by a maintainer makes release notes
//! from the conventional commits since the previous tag, creates the release (a draft
//! whose tag is made from the default branch's head), attaches the artifacts of the
//! configured workflow's latest successful run on that commit, and publishes it.
//!
//! Creating the release is `contents:write`, which the default policy holds: the
//! plugin replies with the approval's id and keeps the plan in KV; when a maintainer
//! approves, `approval_resolved` carries the created release and the plan goes on.
//! Every later step that is held again waits the same way. [`rules`] decides; this
//! file makes the host calls. KV keys (per repository): `plan/<tag>` a release in
//! progress ([`rules::Plan`]), `approval/<id>` the tag a held step belongs to.
use gantry_plugin_sdk::events::Repository;
use gantry_plugin_sdk::git::Workspace;
use gantry_plugin_sdk::github::{self, NewRelease};
use gantry_plugin_sdk::{
    config, info, kv, warn, Approval, ApprovalOutcome, Command, Context as _, Error, HostError,
    Plugin, Repo, Written,
};
use serde::Deserialize;
use serde_json::Value;

mod rules;

#[cfg(test)]
mod host_tests;

use rules::{Asset, CommitInfo, Config, NotesInput, Plan, Step, Version, Waiting};

struct Releases;

/// What the plugin reads of any event a command came in: its repository.
#[derive(Deserialize)]
struct InRepository {
    repository: Repository,
}

impl Plugin for Releases {
    fn handle_command(command: Command) -> Result<(), Error> {
        if command.verb != "release" {
            warn!("/{} is not a releases command", command.verb);
            return Ok(());
        }
        let config: Config = config::get()?;
        let repo = command
            .event
            .repo()
            .context("the command's event names no repository")?;
        let branch = command
            .event
            .parse::<InRepository>()
            .ok()
            .and_then(|e| e.repository.default_branch)
            .filter(|b| !b.is_empty())
            .unwrap_or_else(|| "main".to_owned());
        let answer = release(&repo, &command, &branch, &config)?;
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
        let repo = approval.repository.clone();
        let key = format!("approval/{}", approval.id);
        let Some(tag) = kv::get_json::<String>(&key)? else {
            info!("approval {} is not one of a release's steps", approval.id);
            return Ok(());
        };
        let plan_key = format!("plan/{tag}");
        let Some(mut plan) = kv::get_json::<Plan>(&plan_key)? else {
            info!(
                "approval {}: release {tag} is no longer in progress",
                approval.id
            );
            forget(&key)?;
            return Ok(());
        };
        let Some(waiting) = plan.waiting.clone().filter(|w| w.approval == approval.id) else {
            info!(
                "approval {}: release {tag} waits for another step",
                approval.id
            );
            forget(&key)?;
            return Ok(());
        };
        let step = rules::step_text(&waiting.step, &plan);
        let by = approval
            .decided_by
            .as_deref()
            .map(|b| format!(" by @{b}"))
            .unwrap_or_default();
        match approval.outcome {
            ApprovalOutcome::Executed => {
                forget(&key)?;
                plan.waiting = None;
                let detail: Value = approval
                    .detail
                    .as_deref()
                    .and_then(|d| serde_json::from_str(d).ok())
                    .unwrap_or(Value::Null);
                done(&mut plan, &waiting.step, &detail);
                info!("{step}: approved{by} and done");
                let config: Config = config::get()?;
                let answer = advance(&repo, &mut plan, &config)?;
                reply(&repo, plan.number, &answer)?;
                Ok(())
            }
            ApprovalOutcome::Failed => {
                // A failed action can be approved again: keep waiting for it.
                let why = approval.detail.unwrap_or_default();
                reply(
                    &repo,
                    plan.number,
                    &format!(
                        "{} failed after approval{by}: {why}\n\nApproving `{}` again retries it.",
                        capitalise(&step),
                        approval.id
                    ),
                )?;
                Ok(())
            }
            ApprovalOutcome::Denied | ApprovalOutcome::Expired => {
                forget(&key)?;
                forget(&plan_key)?;
                let how = if matches!(approval.outcome, ApprovalOutcome::Denied) {
                    format!("was denied{by}")
                } else {
                    "expired before anyone decided".to_owned()
                };
                let left = match (plan.release, plan.published) {
                    (Some(_), false) => format!(
                        " The draft release stays on GitHub{}; delete it or publish it by hand.",
                        link(&plan.html_url)
                    ),
                    (Some(_), true) => format!(
                        " The release is published{} without the remaining assets.",
                        link(&plan.html_url)
                    ),
                    _ => String::new(),
                };
                reply(
                    &repo,
                    plan.number,
                    &format!("Release `{tag}` was not made: {step} {how}.{left}"),
                )?;
                Ok(())
            }
        }
    }
}

// The configuration's schema is derived from `rules::Config`.
gantry_plugin_sdk::register_plugin!(Releases, config = Config);

/// Starts a release; returns the reply.
fn release(repo: &Repo, command: &Command, branch: &str, config: &Config) -> Result<String, Error> {
    let who = &command.author;
    let asked = command.args.split_whitespace().next().unwrap_or_default();
    let Some(version) = Version::parse(asked, &config.tag_prefix).filter(|_| !asked.is_empty())
    else {
        let example = format!("{}1.2.0", config.tag_prefix);
        return Ok(format!("@{who}: `{asked}` is not a semantic version; no release was made. Usage: `@gantry release {example}`."));
    };
    let tag = version.tag(&config.tag_prefix);
    if let Some(plan) = kv::get_json::<Plan>(&format!("plan/{tag}"))? {
        let waiting = plan
            .waiting
            .map(|w| format!(" (waiting for approval `{}`)", w.approval))
            .unwrap_or_default();
        return Ok(format!(
            "@{who}: release `{tag}` is already in progress{waiting}."
        ));
    }
    if let Some(sha) = github::get_ref(repo, &format!("tags/{tag}"))
        .with_context(|| format!("reading tag {tag}"))?
    {
        return Ok(format!("@{who}: tag `{tag}` already exists (at {}); no release was made. Choose a newer version.", short(&sha)));
    }
    if let Some(existing) = github::get_release_by_tag(repo, &tag)
        .with_context(|| format!("reading the release of {tag}"))?
    {
        return Ok(format!(
            "@{who}: release `{tag}` already exists ({}); no release was made.",
            existing.html_url
        ));
    }
    let workspace =
        Workspace::clone(repo, Some(branch)).with_context(|| format!("cloning {branch}"))?;
    let head = workspace
        .head()
        .with_context(|| format!("reading the head of {branch}"))?;
    let tags = workspace.tags().context("listing tags")?;
    let previous = rules::previous_tag(&tags, &version, &config.tag_prefix);
    let commits: Vec<CommitInfo> = workspace
        .log(previous.as_deref(), config.max_commits)
        .context("reading the history")?
        .into_iter()
        .map(|c| CommitInfo {
            sha: c.sha,
            message: c.message,
            author: c.author,
        })
        .collect();
    drop(workspace);
    let notes = rules::render_notes(
        &NotesInput {
            owner: &repo.owner,
            repo: &repo.name,
            tag: &tag,
            previous: previous.as_deref(),
            commits: &commits,
        },
        config,
    );
    info!(
        "release {tag}: {} commits since {}, target {}",
        commits.len(),
        previous.as_deref().unwrap_or("the beginning"),
        short(&head)
    );
    let mut plan = Plan {
        tag: tag.clone(),
        number: command.number,
        target: head.clone(),
        branch: branch.to_owned(),
        author: who.clone(),
        published: !config.draft_first,
        ..Plan::default()
    };
    let new = NewRelease {
        tag: tag.clone(),
        target: Some(head),
        name: tag.clone(),
        body: notes.clone(),
        draft: config.draft_first,
        prerelease: version.is_prerelease(),
    };
    let created = match github::create_release(repo, &new) {
        Ok(created) => created,
        Err(e) => {
            return match e.host_error() {
                Some(HostError::Rejected(why) | HostError::Invalid(why) | HostError::NotFound(why)) => Ok(format!("@{who}: GitHub would not create release `{tag}`: {why}")),
                Some(HostError::Denied(why)) => Ok(format!("@{who}: the policy does not allow this plugin to create releases here ({why}); no release was made.")),
                _ => Err(e).with_context(|| format!("creating release {tag}")),
            }
        }
    };
    match created {
        Written::Done(created) => {
            plan.release = Some(created.id);
            plan.html_url = created.html_url;
            advance(repo, &mut plan, config)
        }
        Written::Held(held) => {
            let id = held.approval_id;
            wait(&mut plan, &id, Step::Create)?;
            info!("release {tag}: creating it is held for approval: {id}");
            Ok(format!(
                "@{who}: release `{tag}` from `{branch}` at {} waits for a maintainer's approval: `{id}`. Approve it with `@gantry approve {id}` (or in the dashboard or API).\n\n<details><summary>Release notes</summary>\n\n{notes}\n</details>",
                short(&plan.target)
            ))
        }
    }
}

/// Runs the steps left after the release exists: assets, then publishing. Stops at
/// the first step the policy holds (the plan waits for its approval). Returns the
/// reply.
fn advance(repo: &Repo, plan: &mut Plan, config: &Config) -> Result<String, Error> {
    let Some(release) = plan.release else {
        return Err(Error::msg(format!(
            "release {}: no release to go on with",
            plan.tag
        )));
    };
    if plan.assets.is_none() {
        plan.assets = Some(find_assets(repo, plan, config)?);
    }
    let pending: Vec<Asset> = plan
        .assets
        .iter()
        .flatten()
        .filter(|a| !a.done)
        .cloned()
        .collect();
    for asset in pending {
        match github::copy_artifact_to_release(repo, asset.artifact, release, &asset.name) {
            Ok(Written::Done(_)) => mark_copied(plan, asset.artifact),
            Ok(Written::Held(h)) => return held(plan, &h.approval_id, Step::Copy(asset.artifact)),
            Err(e) if e.is_transient() => {
                save(plan)?;
                return Err(e).with_context(|| format!("attaching {}", asset.name));
            }
            Err(e) => {
                plan.notes
                    .push(format!("`{}` could not be attached: {e}", asset.name));
                mark_copied(plan, asset.artifact);
            }
        }
    }
    if !plan.published {
        match github::publish_release(repo, release) {
            Ok(Written::Done(published)) => {
                plan.published = true;
                plan.html_url = published.html_url;
            }
            Ok(Written::Held(h)) => return held(plan, &h.approval_id, Step::Publish),
            Err(e) if e.is_transient() => {
                save(plan)?;
                return Err(e).context("publishing");
            }
            Err(e) => {
                forget(&format!("plan/{}", plan.tag))?;
                return Ok(format!(
                    "GitHub would not publish release `{}`: {e}. The draft stays{}.",
                    plan.tag,
                    link(&plan.html_url)
                ));
            }
        }
    }
    forget(&format!("plan/{}", plan.tag))?;
    let attached: Vec<String> = plan
        .assets
        .iter()
        .flatten()
        .filter(|a| a.done)
        .map(|a| format!("`{}`", a.name))
        .collect();
    let assets = if attached.is_empty() {
        String::new()
    } else {
        format!(" with {}", attached.join(", "))
    };
    let mut answer = format!(
        "@{}: released [`{}`]({}){assets}.",
        plan.author, plan.tag, plan.html_url
    );
    for note in &plan.notes {
        answer.push_str("\n\n");
        answer.push_str(note);
    }
    info!("release {} published: {}", plan.tag, plan.html_url);
    Ok(answer)
}

/// The artifacts to attach: the wanted ones of the configured workflow's newest
/// successful run on the released commit.
fn find_assets(repo: &Repo, plan: &mut Plan, config: &Config) -> Result<Vec<Asset>, Error> {
    let workflow = config.artifacts_workflow.trim();
    if workflow.is_empty() {
        return Ok(Vec::new());
    }
    let runs: Vec<rules::Run> = github::list_workflow_runs(repo, &plan.target)
        .with_context(|| format!("listing the workflow runs of {}", short(&plan.target)))?
        .into_iter()
        .map(|r| rules::Run {
            id: r.id,
            name: r.name,
            path: r.path,
            status: r.status,
            conclusion: r.conclusion,
            head_branch: r.head_branch,
        })
        .collect();
    let Some(run) = rules::artifact_run(workflow, &plan.branch, &runs) else {
        plan.notes.push(format!(
            "No successful run of `{workflow}` on {} was found, so the release has no assets.",
            short(&plan.target)
        ));
        return Ok(Vec::new());
    };
    let artifacts = github::list_run_artifacts(repo, run.id)
        .with_context(|| format!("listing the artifacts of run {}", run.id))?;
    let assets: Vec<Asset> = artifacts
        .into_iter()
        .filter(|a| rules::artifact_wanted(&a.name, &config.artifact_names))
        .map(|a| Asset {
            artifact: a.id,
            name: rules::asset_name(&a.name),
            done: false,
        })
        .collect();
    if assets.is_empty() {
        plan.notes.push(format!("Run {} of `{workflow}` has none of the configured artifacts, so the release has no assets.", run.id));
    }
    info!(
        "release {}: {} assets from run {}",
        plan.tag,
        assets.len(),
        run.id
    );
    Ok(assets)
}

/// Records what an approved step did.
fn done(plan: &mut Plan, step: &Step, detail: &Value) {
    match step {
        Step::Create => {
            plan.release = detail["id"].as_u64();
            plan.html_url = detail["html_url"].as_str().unwrap_or_default().to_owned();
            if detail["draft"] == Value::Bool(false) {
                plan.published = true;
            }
        }
        Step::Copy(artifact) => mark_copied(plan, *artifact),
        Step::Publish => {
            plan.published = true;
            if let Some(url) = detail["html_url"].as_str() {
                plan.html_url = url.to_owned();
            }
        }
    }
}

fn mark_copied(plan: &mut Plan, artifact: u64) {
    for asset in plan
        .assets
        .iter_mut()
        .flatten()
        .filter(|a| a.artifact == artifact)
    {
        asset.done = true;
    }
}

/// Parks the plan on a held step; returns the reply saying so.
fn held(plan: &mut Plan, id: &str, step: Step) -> Result<String, Error> {
    let text = rules::step_text(&step, plan);
    wait(plan, id, step)?;
    info!("{text}: held for approval: {id}");
    Ok(format!(
        "{} waits for a maintainer's approval: `{id}`. Approve it with `@gantry approve {id}`; an operator can let the releases plugin take these steps on its own with a policy rule (see docs/plugins/releases.md).",
        capitalise(&text)
    ))
}

fn wait(plan: &mut Plan, id: &str, step: Step) -> Result<(), Error> {
    plan.waiting = Some(Waiting {
        approval: id.to_owned(),
        step,
    });
    kv::set_json(&format!("approval/{id}"), &plan.tag)?;
    save(plan)
}

fn save(plan: &Plan) -> Result<(), Error> {
    kv::set_json(&format!("plan/{}", plan.tag), plan)
}

fn forget(key: &str) -> Result<(), Error> {
    kv::delete(key).map(drop).context("writing KV")
}

fn link(url: &str) -> String {
    if url.is_empty() {
        String::new()
    } else {
        format!(" ({url})")
    }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn short(sha: &str) -> &str {
    sha.get(..7).unwrap_or(sha)
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
