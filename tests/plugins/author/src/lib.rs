//! Fixture (v0.2 calls): built against `plugin-sdk/wit/v0.2` with wit-bindgen
//! directly, so it speaks v0.2 whatever the SDK generates from. On `issues.opened`
//! it opens a follow-up issue and closes it with `update-issue`; on
//! `pull_request.opened` it reviews the pull request with a line comment, reads
//! the review comments back, opens a pull request from the branch `follow-up` and
//! merges the opened one at its head.
//! Each answer goes to KV as `done:…` or `held:<approval id>`; `approval-resolved`
//! records `resolved:<id>`.
#![allow(unsafe_code)]

wit_bindgen::generate!({
    path: "../../../plugin-sdk/wit/v0.2",
    world: "plugin",
    generate_all,
});

use gantry::plugin::github::{
    self, DiffSide, IssueUpdate, LineComment, MergeMethod, MergeRequest, NewIssue, NewPullRequest,
    NewReview, ReviewEvent, WrittenIssue, WrittenPullRequest,
};
use gantry::plugin::kv;
use gantry::plugin::types::{Held, HostError, WrittenId, WrittenSha};

#[used]
#[link_section = "gantry:manifest"]
static MANIFEST: [u8; include_bytes!("../gantry-plugin.toml").len()] =
    *include_bytes!("../gantry-plugin.toml");

#[used]
#[link_section = "gantry:sdk-version"]
static SDK_VERSION: [u8; 4] = *b"none";

struct Author;

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

fn on_issue(event: &Event) -> Result<(), String> {
    let repo = event.repository.clone().ok_or("no repository")?;
    let number = payload(event)?["issue"]["number"]
        .as_u64()
        .ok_or("no number")?;
    let opened = github::create_issue(
        &repo,
        &NewIssue {
            title: format!("Follow-up to #{number}"),
            body: "Opened by the author fixture.".into(),
            labels: vec!["follow-up".into()],
            assignees: Vec::new(),
            milestone: None,
        },
    );
    let new_number = match &opened {
        Ok(WrittenIssue::Done(issue)) => {
            record("created", &format!("done:{}:{}", issue.number, issue.title))?;
            issue.number
        }
        Ok(WrittenIssue::Held(h)) => return record("created", &held(h)),
        Err(e) => return record("created", &failed(e)),
    };
    let updated = github::update_issue(
        &repo,
        new_number,
        &IssueUpdate {
            title: Some(format!("Done: follow-up to #{number}")),
            body: None,
            state: Some(github::IssueState::Closed),
            labels: Some(vec!["done".into()]),
            assignees: None,
        },
    );
    record(
        "updated",
        &match &updated {
            Ok(WrittenIssue::Done(issue)) => {
                format!(
                    "done:{}:{}:{}",
                    issue.state,
                    issue.title,
                    issue.labels.join(",")
                )
            }
            Ok(WrittenIssue::Held(h)) => held(h),
            Err(e) => failed(e),
        },
    )
}

fn on_pull(event: &Event) -> Result<(), String> {
    let repo = event.repository.clone().ok_or("no repository")?;
    let v = payload(event)?;
    let number = v["pull_request"]["number"].as_u64().ok_or("no number")?;
    let head = v["pull_request"]["head"]["sha"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let base = v["pull_request"]["base"]["ref"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let review = github::create_review(
        &repo,
        number,
        &NewReview {
            event: ReviewEvent::Comment,
            body: "Read it through.".into(),
            comments: vec![LineComment {
                path: "README.md".into(),
                line: 1,
                side: DiffSide::Right,
                body: "A nit on the first line.".into(),
            }],
        },
    );
    record(
        "review",
        &match &review {
            Ok(WrittenId::Done(id)) => format!("done:{id}"),
            Ok(WrittenId::Held(h)) => held(h),
            Err(e) => failed(e),
        },
    )?;
    record(
        "lines",
        &match github::list_review_comments(&repo, number) {
            Ok(comments) => {
                let lines: Vec<String> = comments
                    .iter()
                    .map(|c| {
                        format!(
                            "{}:{}:{:?}:{:?}:{}:{}:{:?}",
                            c.id, c.path, c.line, c.side, c.body, c.author, c.in_reply_to
                        )
                    })
                    .collect();
                format!("done:{}", lines.join(","))
            }
            Err(e) => failed(&e),
        },
    )?;
    let opened = github::create_pull_request(
        &repo,
        &NewPullRequest {
            title: "Follow-up changes".into(),
            body: "From the author fixture.".into(),
            head: "follow-up".into(),
            base,
            draft: true,
        },
    );
    record(
        "pull",
        &match &opened {
            Ok(WrittenPullRequest::Done(pull)) => {
                format!("done:{}:{}:{}", pull.number, pull.head_ref, pull.draft)
            }
            Ok(WrittenPullRequest::Held(h)) => held(h),
            Err(e) => failed(e),
        },
    )?;
    let merged = github::merge_pull_request(
        &repo,
        number,
        &MergeRequest {
            method: MergeMethod::Squash,
            sha: head,
            commit_title: None,
            commit_message: None,
        },
    );
    record(
        "merge",
        &match &merged {
            Ok(WrittenSha::Done(sha)) => format!("done:{sha}"),
            Ok(WrittenSha::Held(h)) => held(h),
            Err(e) => failed(e),
        },
    )
}

impl Guest for Author {
    fn manifest() -> String {
        include_str!("../gantry-plugin.toml").to_owned()
    }

    /// The configuration, if any, is described in the manifest.
    fn config_schema() -> Option<String> {
        None
    }

    fn handle_event(event: Event) -> Result<(), String> {
        match event.name.as_str() {
            "issues" => on_issue(&event),
            "pull_request" => on_pull(&event),
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

export!(Author);
