//! Fixture (policy branch conditions): on an opened issue or pull request, or on
//! `/put [BRANCH]`, puts `path` on a branch (the command's, else the configured
//! one; none means the repository's default branch) with `put-file`, and logs
//! `put BRANCH: ...` (`put (default): ...`) with the commit or the error, so a test
//! sees which branch the policy let through.
use gantry_plugin_sdk::{config, github, log, Command, Error, Event, Plugin, Repo, Written};
use serde::Deserialize;

#[derive(Deserialize)]
struct Config {
    branch: String,
    path: String,
}

struct Brancher;

fn label(branch: &str) -> &str {
    if branch.is_empty() {
        "(default)"
    } else {
        branch
    }
}

fn put(repo: &Repo, branch: &str) -> Result<(), Error> {
    let config: Config = config::get()?;
    let branch = if branch.is_empty() {
        config.branch.as_str()
    } else {
        branch
    };
    match github::put_file(
        repo,
        &config.path,
        branch,
        "brancher was here",
        b"written by the brancher fixture\n",
        None,
    ) {
        Ok(Written::Done(sha)) => log::info(&format!("put {}: ok {sha}", label(branch))),
        Ok(Written::Held(held)) => log::info(&format!("put {}: {held}", label(branch))),
        Err(e) => log::info(&format!("put {}: {e:?}", label(branch))),
    }
    Ok(())
}

impl Plugin for Brancher {
    fn handle_event(event: Event) -> Result<(), Error> {
        let repo = event.repo().ok_or("no repository")?;
        put(&repo, "")
    }

    fn handle_command(command: Command) -> Result<(), Error> {
        let repo = command.event.repo().ok_or("no repository")?;
        put(&repo, command.args.trim())
    }
}

gantry_plugin_sdk::register_plugin!(Brancher);
