//! Fixture (v0.2 reads and edits of pull requests, search and branches): built
//! against `plugin-sdk/wit/v0.2` with wit-bindgen directly, so it speaks v0.2
//! whatever the SDK generates from. On `pull_request.opened` it reads the pull
//! request (its size, base commit and mergeable state), its files with their
//! patches, its commits, how its head branch compares with its base branch and its
//! head commit's combined status and check runs, then retitles it, rewrites its
//! body, moves its base to `develop` and closes it with `update-pull-request`. On
//! `issues.opened` it searches the repository's issues (and tries a search of
//! another repository), then creates and deletes a branch. On
//! `workflow_run.completed` it reads the run and its jobs' logs. Each answer goes
//! to KV (`pull`, `files`, `file:<n>`, `commits`, `compare`, `patch:<file>`,
//! `status`, `checks`, `updated`; `search`, `widened`, `branch`, `deleted`; `run`,
//! `no-run`, `logs`, `no-logs`) as `done:…`,
//! `held:<approval id>:<capability>` or `error:…`; `approval-resolved` records
//! `resolved:<id>`.
#![allow(unsafe_code)]

wit_bindgen::generate!({
    path: "../../../plugin-sdk/wit/v0.2",
    world: "plugin",
    generate_all,
});

use gantry::plugin::github::{
    self, CommitSummary, IssueState, PullRequestUpdate, WrittenPullRequest,
};
use gantry::plugin::kv;
use gantry::plugin::types::{Held, HostError, Repo, Written};

#[used]
#[link_section = "gantry:manifest"]
static MANIFEST: [u8; include_bytes!("../gantry-plugin.toml").len()] =
    *include_bytes!("../gantry-plugin.toml");

#[used]
#[link_section = "gantry:sdk-version"]
static SDK_VERSION: [u8; 4] = *b"none";

struct Surveyor;

fn record(key: &str, value: &str) -> Result<(), String> {
    kv::set(key, value.as_bytes()).map_err(|e| format!("kv: {e:?}"))
}

fn held(held: &Held) -> String {
    format!("held:{}:{}", held.approval_id, held.capability)
}

fn failed(e: &HostError) -> String {
    format!("error:{e:?}")
}

fn payload(event: &Event) -> Result<serde_json::Value, String> {
    serde_json::from_str(&event.payload).map_err(|e| e.to_string())
}

/// Records the pull request's size and its files, one key per file.
fn survey(repo: &Repo, number: u64) -> Result<(), String> {
    let pull = match github::get_pull_request(repo, number) {
        Ok(p) => format!(
            "done:+{}:-{}:files={}:commits={}:base={}:{}",
            p.additions,
            p.deletions,
            p.changed_files,
            p.commits,
            p.base_sha,
            p.mergeable_state.as_deref().unwrap_or("none"),
        ),
        Err(e) => failed(&e),
    };
    record("pull", &pull)?;
    let files = match github::list_pull_request_files(repo, number) {
        Ok(files) => files,
        Err(e) => return record("files", &failed(&e)),
    };
    record("files", &format!("done:{}", files.len()))?;
    for (n, f) in files.iter().enumerate() {
        let line = format!(
            "{}:{}:+{}:-{}:{}:{}:{}",
            f.filename,
            f.status,
            f.additions,
            f.deletions,
            f.changes,
            f.patch.as_deref().unwrap_or("none"),
            f.previous_filename.as_deref().unwrap_or("none"),
        );
        record(&format!("file:{n}"), &line)?;
    }
    Ok(())
}

/// `sha|first line of the message|author` of each commit, comma separated.
fn commit_lines(commits: &[CommitSummary]) -> String {
    let lines: Vec<String> = commits
        .iter()
        .map(|c| {
            format!(
                "{}|{}|{}",
                c.sha,
                c.message.lines().next().unwrap_or_default(),
                c.author.as_deref().unwrap_or("none")
            )
        })
        .collect();
    lines.join(",")
}

/// Records the pull request's commits and how its head compares with its base
/// (`compare`, and each compared file's patch as `patch:<file>`).
fn history(repo: &Repo, number: u64, base: &str, head: &str) -> Result<(), String> {
    let commits = match github::list_pull_request_commits(repo, number) {
        Ok(commits) => format!("done:{}", commit_lines(&commits)),
        Err(e) => failed(&e),
    };
    record("commits", &commits)?;
    let compared = match github::compare(repo, base, head) {
        Ok(c) => c,
        Err(e) => return record("compare", &failed(&e)),
    };
    let files: Vec<String> = compared
        .files
        .iter()
        .map(|f| {
            format!(
                "{}:{}:+{}:-{}",
                f.filename, f.status, f.additions, f.deletions
            )
        })
        .collect();
    record(
        "compare",
        &format!(
            "done:{}:ahead={}:behind={}:commits={}:files={}",
            compared.status,
            compared.ahead_by,
            compared.behind_by,
            commit_lines(&compared.commits),
            files.join(",")
        ),
    )?;
    for f in &compared.files {
        record(
            &format!("patch:{}", f.filename),
            f.patch.as_deref().unwrap_or("none"),
        )?;
    }
    Ok(())
}

/// Records the combined status (`status`) and the check runs (`checks`) of the
/// head commit.
fn checks(repo: &Repo, sha: &str) -> Result<(), String> {
    let status = match github::get_combined_status(repo, sha) {
        Ok(c) => {
            let each: Vec<String> = c
                .statuses
                .iter()
                .map(|s| {
                    format!(
                        "{}={}:{}:{}",
                        s.context,
                        s.state,
                        s.description.as_deref().unwrap_or("none"),
                        s.target_url.as_deref().unwrap_or("none")
                    )
                })
                .collect();
            format!(
                "done:{}:{}:{}:{}",
                c.state,
                c.sha,
                c.total_count,
                each.join(",")
            )
        }
        Err(e) => failed(&e),
    };
    record("status", &status)?;
    let runs = match github::list_check_runs(repo, sha) {
        Ok(runs) => {
            let each: Vec<String> = runs
                .iter()
                .map(|r| {
                    format!(
                        "{}:{}:{}:{}:{}",
                        r.name,
                        r.status,
                        r.conclusion.as_deref().unwrap_or("none"),
                        r.app.as_deref().unwrap_or("none"),
                        r.head_sha == sha
                    )
                })
                .collect();
            format!("done:{}", each.join(","))
        }
        Err(e) => failed(&e),
    };
    record("checks", &runs)
}

fn on_pull(event: &Event) -> Result<(), String> {
    let repo = event.repository.clone().ok_or("no repository")?;
    let v = payload(event)?;
    let number = v["pull_request"]["number"].as_u64().ok_or("no number")?;
    survey(&repo, number)?;
    let base = v["pull_request"]["base"]["ref"]
        .as_str()
        .unwrap_or_default();
    let head = v["pull_request"]["head"]["ref"]
        .as_str()
        .unwrap_or_default();
    history(&repo, number, base, head)?;
    let sha = v["pull_request"]["head"]["sha"]
        .as_str()
        .unwrap_or_default();
    checks(&repo, sha)?;
    let updated = github::update_pull_request(
        &repo,
        number,
        &PullRequestUpdate {
            title: Some("Surveyed".into()),
            body: Some("Read by the surveyor fixture.".into()),
            base: Some("develop".into()),
            state: Some(IssueState::Closed),
        },
    );
    record(
        "updated",
        &match &updated {
            Ok(WrittenPullRequest::Done(p)) => {
                format!("done:{}:{}:{}", p.title, p.base_ref, p.state)
            }
            Ok(WrittenPullRequest::Held(h)) => held(h),
            Err(e) => failed(e),
        },
    )
}

fn written(answer: &Result<Written, HostError>) -> String {
    match answer {
        Ok(Written::Done) => "done".to_owned(),
        Ok(Written::Held(h)) => held(h),
        Err(e) => failed(e),
    }
}

/// On an issue: searches the repository's open issues for the issue's first word
/// (`search`), then creates the branch `survey/<number>` at the default branch's
/// head (`branch`) and deletes it again (`deleted`).
fn on_issue(event: &Event) -> Result<(), String> {
    let repo = event.repository.clone().ok_or("no repository")?;
    let v = payload(event)?;
    let number = v["issue"]["number"].as_u64().ok_or("no number")?;
    let word = v["issue"]["title"]
        .as_str()
        .and_then(|t| t.split_whitespace().next())
        .unwrap_or("bug");
    let search = match github::search_issues(&repo, &format!("is:issue is:open {word}")) {
        Ok(found) => {
            let numbers: Vec<String> = found.items.iter().map(|i| i.number.to_string()).collect();
            format!(
                "done:{}:{}:{}",
                found.total_count,
                found.incomplete,
                numbers.join(",")
            )
        }
        Err(e) => failed(&e),
    };
    record("search", &search)?;
    let widened = github::search_issues(&repo, "crash repo:someone/else");
    record(
        "widened",
        &match &widened {
            Ok(found) => format!("done:{}", found.total_count),
            Err(e) => failed(e),
        },
    )?;
    let default = v["repository"]["default_branch"].as_str().unwrap_or("main");
    let sha = match github::get_ref(&repo, &format!("heads/{default}")) {
        Ok(Some(sha)) => sha,
        Ok(None) => return record("branch", "error:no default branch"),
        Err(e) => return record("branch", &failed(&e)),
    };
    let name = format!("survey/{number}");
    record(
        "branch",
        &written(&github::create_branch(&repo, &name, &sha)),
    )?;
    record("deleted", &written(&github::delete_branch(&repo, &name)))
}

/// On a finished workflow run: reads it (`run`) and a run that does not exist
/// (`no-run`), then the last [`LOG_BYTES`] of each of its jobs' logs (`logs`, as
/// JSON: `{"truncated", "jobs": [[name, status, conclusion, truncated, log]]}`)
/// and the logs of the run that does not exist (`no-logs`).
fn on_run(event: &Event) -> Result<(), String> {
    let repo = event.repository.clone().ok_or("no repository")?;
    let id = payload(event)?["workflow_run"]["id"]
        .as_u64()
        .ok_or("no run id")?;
    let describe = |run: Result<Option<github::WorkflowRun>, HostError>| match run {
        Ok(Some(r)) => format!(
            "done:{}:{}:{}:{}:{}:{}",
            r.id,
            r.name,
            r.path,
            r.status,
            r.conclusion.as_deref().unwrap_or("none"),
            r.head_branch
        ),
        Ok(None) => "done:none".to_owned(),
        Err(e) => failed(&e),
    };
    record("run", &describe(github::get_workflow_run(&repo, id)))?;
    record(
        "no-run",
        &describe(github::get_workflow_run(&repo, id + 1_000_000)),
    )?;
    let logs = |answer: Result<Option<github::WorkflowRunLogs>, HostError>| match answer {
        Ok(Some(logs)) => {
            let jobs: Vec<serde_json::Value> = logs
                .jobs
                .iter()
                .map(|j| serde_json::json!([j.name, j.status, j.conclusion, j.truncated, j.log]))
                .collect();
            format!(
                "done:{}",
                serde_json::json!({"truncated": logs.truncated, "jobs": jobs})
            )
        }
        Ok(None) => "done:none".to_owned(),
        Err(e) => failed(&e),
    };
    record(
        "logs",
        &logs(github::get_workflow_run_logs(&repo, id, LOG_BYTES)),
    )?;
    record(
        "no-logs",
        &logs(github::get_workflow_run_logs(
            &repo,
            id + 1_000_000,
            LOG_BYTES,
        )),
    )
}

/// The most bytes of each job's log `workflow_run.completed` asks for.
const LOG_BYTES: u64 = 64;

impl Guest for Surveyor {
    fn manifest() -> String {
        include_str!("../gantry-plugin.toml").to_owned()
    }

    /// The configuration, if any, is described in the manifest.
    fn config_schema() -> Option<String> {
        None
    }

    fn handle_event(event: Event) -> Result<(), String> {
        match event.name.as_str() {
            "pull_request" => on_pull(&event),
            "issues" => on_issue(&event),
            "workflow_run" => on_run(&event),
            _ => Ok(()),
        }
    }

    fn handle_command(_command: Command) -> Result<(), String> {
        Ok(())
    }

    fn approval_resolved(approval: Approval) -> Result<(), String> {
        let outcome = format!("{:?}", approval.outcome);
        record(&format!("resolved:{}", approval.id), &outcome)
    }
}

export!(Surveyor);
