//! `fix`, the calls: gathers the context (a pull request's changed files from a
//! workspace at its head branch; for an issue, the files the model names, from the
//! default branch), asks the model for edits, checks them (`fix.rs`), commits them
//! on `gantry/fix-<number>` and pushes. The push needs `git:push`, which the
//! built-in policy holds for a maintainer's approval; the pull request opens once
//! the push has run, so approving the push approves the fix, and whoever asked for
//! it cannot approve it (the host's separation of duties). KV keys (per repository):
//! `fix-branch/<comment id>` the branch a request's fix went to (a retried job pushes
//! the same one), `fix-approval/<id>` the pull request a held push opens
//! ([`fix::Pull`]).
use gantry_plugin_sdk::git::Workspace;
use gantry_plugin_sdk::github::{self, NewPullRequest};
use gantry_plugin_sdk::model::Request;
use gantry_plugin_sdk::{
    info, kv, warn, Approval, ApprovalOutcome, Command, Context as _, Error, Repo, Written,
};
use serde_json::Value;

use crate::ask::ask;
use crate::config::Config;
use crate::fix::{self, Pull, Shown, Thread};

/// The most tokens the answer naming the files to read may have.
const FILES_ANSWER_TOKENS: u32 = 1_000;

/// `fix INSTRUCTIONS` with `provider`, a model: returns the reply.
///
/// # Errors
/// A transient failure (GitHub, the model unavailable, KV): the job is retried.
pub fn run(
    repo: &Repo,
    command: &Command,
    config: &Config,
    provider: &str,
) -> Result<String, Error> {
    let (number, who) = (command.number, command.author.as_str());
    let request = command.args.trim();
    if request.is_empty() {
        return Ok(format!(
            "@{who}: say what to fix after the command, for example `@gantry fix the failing unit tests`. Nothing was changed."
        ));
    }
    let limits = config.fix_limits();
    let issue = github::get_issue(repo, number).with_context(|| format!("reading #{number}"))?;
    let thread = Thread {
        number,
        is_pull_request: command.is_pull_request,
        title: issue.title,
        body: issue.body,
        requester: who.to_owned(),
        request: request.to_owned(),
    };
    // A pull request's fix goes into its head branch; an issue's into the default one.
    let (base, changed) = if command.is_pull_request {
        let pull = github::get_pull_request(repo, number)
            .with_context(|| format!("reading pull request #{number}"))?;
        if pull.from_fork {
            return Ok(format!(
                "@{who}: #{number}'s branch lives in a fork, and the agent can only push to this repository. Nothing was changed."
            ));
        }
        let files = github::list_pull_request_files(repo, number)
            .with_context(|| format!("listing the files of #{number}"))?;
        let changed: Vec<String> = files
            .into_iter()
            .filter(|f| f.status != "removed")
            .map(|f| f.filename)
            .collect();
        (pull.head_ref, Some(changed))
    } else {
        let event: Value = command.event.parse()?;
        let Some(default) = event["repository"]["default_branch"].as_str() else {
            return Ok(format!(
                "@{who}: the event does not name the repository's default branch, so the fix has no base. Nothing was changed."
            ));
        };
        (default.to_owned(), None)
    };
    let workspace = Workspace::clone(repo, Some(base.as_str()))
        .with_context(|| format!("cloning {}/{} at `{base}`", repo.owner, repo.name))?;

    // The context: the pull request's files, or those the model asks for.
    let paths = match changed {
        Some(changed) => changed
            .into_iter()
            .filter(|p| fix::check_path(p).is_ok())
            .take(limits.max_files)
            .collect(),
        None => {
            let asked = Request::new(
                provider,
                fix::files_question(&thread, limits),
                FILES_ANSWER_TOKENS,
            )
            .with_schema(&fix::files_schema(limits));
            let answer = match ask(&asked, who, "fix")? {
                Ok(answer) => answer,
                Err(reply) => return Ok(reply),
            };
            match answer.parse::<fix::Wanted>() {
                Ok(wanted) => wanted.readable(limits),
                Err(e) => {
                    return Ok(format!(
                        "@{who}: the model's list of files to read was not what was asked for ({e}). Nothing was changed."
                    ))
                }
            }
        }
    };
    let mut shown = Vec::new();
    for path in &paths {
        shown.push(match workspace.read_file(path) {
            Ok(bytes) => Shown::read(path, bytes, limits.max_file_bytes),
            Err(e) if e.is_transient() => {
                return Err(e).with_context(|| format!("reading `{path}`"))
            }
            Err(e) => Shown {
                path: path.clone(),
                content: None,
                note: Some(format!("not shown: it could not be read ({e})")),
            },
        });
    }

    let asked = Request::new(
        provider,
        fix::edits_question(&thread, &shown, limits),
        config.fix_max_tokens,
    )
    .with_schema(&fix::edits_schema(limits));
    let completion = match ask(&asked, who, "fix")? {
        Ok(answer) => answer,
        Err(reply) => return Ok(reply),
    };
    let checked = if completion.truncated {
        Err(vec![format!(
            "the answer was cut at {} tokens (`fix_max_tokens`)",
            config.fix_max_tokens
        )])
    } else {
        match completion.parse::<fix::Answer>() {
            Ok(answer) => fix::check(answer, limits),
            Err(e) => Err(vec![format!("the answer is not the JSON asked for: {e}")]),
        }
    };
    let fix = match checked {
        Ok(fix) => fix,
        Err(problems) => {
            warn!("#{number}: the model's fix was refused: {problems:?}");
            return Ok(fix::refused_reply(who, &problems));
        }
    };

    // Apply, commit, push.
    let branch_key = format!("fix-branch/{}", command.comment_id);
    let branch = match kv::get_json::<String>(&branch_key)? {
        Some(branch) => branch,
        None => {
            let taken: Vec<String> = workspace.branches()?.into_iter().map(|(b, _)| b).collect();
            let branch = fix::branch_name(number, &taken);
            kv::set_json(&branch_key, &branch)?;
            branch
        }
    };
    workspace
        .create_branch(&branch)
        .with_context(|| format!("creating `{branch}`"))?;
    let changes = match apply(&workspace, &fix)? {
        Ok(changes) => changes,
        Err(problem) => return Ok(fix::refused_reply(who, &[problem])),
    };
    if changes == 0 {
        return Ok(fix::refused_reply(
            who,
            &["its edits change nothing in the files as they are".to_owned()],
        ));
    }
    let sha = workspace
        .commit(&fix::commit_message(&fix, &thread), None)
        .context("committing the fix")?;
    info!("#{number}: the fix is committed as {sha} on `{branch}` ({changes} files)");
    let pull = Pull {
        number,
        requester: who.to_owned(),
        head: branch,
        base,
        title: fix.title.clone(),
        body: fix::pull_body(&fix, &thread, &format!("{provider}/{}", completion.model)),
    };
    match workspace.push(&[]) {
        Ok(Written::Done(())) => {
            info!("#{number}: `{}` pushed", pull.head);
            open_pull(repo, &pull)
        }
        Ok(Written::Held(held)) => {
            info!(
                "#{number}: the push of `{}` waits for approval {}",
                pull.head, held.approval_id
            );
            kv::set_json(&format!("fix-approval/{}", held.approval_id), &pull)?;
            Ok(fix::held_reply(who, &pull, &held.approval_id))
        }
        Err(e) if e.is_transient() => Err(e).context("pushing the fix"),
        Err(e) => Ok(format!(
            "@{who}: the fix was committed but not pushed: {e}. Nothing was pushed and no pull request opened."
        )),
    }
}

/// Writes and deletes the fix's files in the workspace: how many changed, or why an
/// edit could not be made (a path the workspace refuses, such as a directory).
///
/// # Errors
/// A transient failure of the host: the job is retried.
fn apply(workspace: &Workspace, fix: &fix::Fix) -> Result<Result<usize, String>, Error> {
    let mut changes = 0;
    for edit in &fix.edits {
        let path = edit.path.as_str();
        let done = workspace
            .read_file(path)
            .and_then(|now| match &edit.content {
                Some(text) if now.as_deref() != Some(text.as_bytes()) => {
                    workspace.write_file(path, text.as_bytes()).map(|()| 1)
                }
                None if now.is_some() => workspace.remove_file(path).map(|_| 1),
                _ => Ok(0),
            });
        match done {
            Ok(n) => changes += n,
            Err(e) if e.is_transient() => {
                return Err(e).with_context(|| format!("editing `{path}`"))
            }
            Err(e) => return Ok(Err(format!("`{path}` could not be edited: {e}"))),
        }
    }
    Ok(Ok(changes))
}

/// Opens the pull request of a pushed fix; returns the reply.
///
/// # Errors
/// A transient failure of GitHub: the job is retried (the host makes the write
/// once across retries).
fn open_pull(repo: &Repo, pull: &Pull) -> Result<String, Error> {
    let new = NewPullRequest {
        title: pull.title.clone(),
        body: pull.body.clone(),
        head: pull.head.clone(),
        base: pull.base.clone(),
        draft: false,
    };
    match github::create_pull_request(repo, &new) {
        Ok(Written::Done(opened)) => {
            info!("#{}: pull request #{} opened", pull.number, opened.number);
            Ok(fix::opened_reply(&pull.requester, pull, opened.number))
        }
        Ok(Written::Held(held)) => Ok(format!(
            "@{}: the fix is pushed to `{}`; its pull request waits for a maintainer's approval: `{}`.",
            pull.requester, pull.head, held.approval_id
        )),
        Err(e) if e.is_transient() => Err(e).context("opening the fix's pull request"),
        Err(e) => Ok(format!(
            "@{}: the fix is pushed to `{}`, but its pull request could not be opened: {e}",
            pull.requester, pull.head
        )),
    }
}

/// How a held push of a fix ended: executed, its pull request opens; denied or
/// expired, nothing was pushed; failed, it may be approved again. Returns the
/// reply, if any, and forgets the approval once it ended.
///
/// # Errors
/// A transient failure: the follow-up is retried.
pub fn resolved(repo: &Repo, approval: &Approval, pull: &Pull) -> Result<Option<String>, Error> {
    let key = format!("fix-approval/{}", approval.id);
    let reply = match approval.outcome {
        ApprovalOutcome::Failed => {
            info!(
                "the push of `{}` failed: {}",
                pull.head,
                approval.detail.as_deref().unwrap_or_default()
            );
            return Ok(None);
        }
        ApprovalOutcome::Executed => open_pull(repo, pull)?,
        ApprovalOutcome::Denied | ApprovalOutcome::Expired => format!(
            "@{}: the fix's push (`{}`) was not approved ({}), so nothing was pushed and no pull request opened.",
            pull.requester,
            approval.id,
            approval.detail.as_deref().unwrap_or(match approval.outcome {
                ApprovalOutcome::Expired => "expired",
                _ => "denied",
            })
        ),
    };
    kv::delete(&key).map(drop).context("writing KV")?;
    Ok(Some(reply))
}

/// The held fix `approval` is about, if it is one.
///
/// # Errors
/// KV failing.
pub fn held(approval: &Approval) -> Result<Option<Pull>, Error> {
    kv::get_json::<Pull>(&format!("fix-approval/{}", approval.id))
}

#[cfg(test)]
#[path = "fixing_tests.rs"]
mod tests;
