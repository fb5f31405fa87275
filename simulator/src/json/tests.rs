//! Every JSON shape the simulator emits must deserialize into octocrab's model for it,
//! because the server reads the simulator through octocrab.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::Utc;
use octocrab::models;
use serde_json::Value;

use crate::state::{ensure_repo_label, Collaborator, Comment, Issue, PullInfo, Repo, Role, State};

const BASE: &str = "http://127.0.0.1:8080";

fn fixture() -> State {
    let mut state = State::default();
    state.ensure_user("octocat", "User");
    state.ensure_user("gantry[bot]", "Bot");
    let now = Utc::now();
    let issue = |number: u64, pull: Option<PullInfo>| Issue {
        id: number + 100,
        node_id: format!("I_{number}"),
        number,
        title: "A title".to_owned(),
        body: None,
        user: "octocat".to_owned(),
        open: true,
        locked: false,
        labels: vec!["needs triage".to_owned()],
        assignees: vec!["octocat".to_owned()],
        comments: vec![Comment {
            id: 7,
            node_id: "IC_7".to_owned(),
            body: "hello".to_owned(),
            user: "gantry[bot]".to_owned(),
            created_at: now,
            updated_at: now,
            reactions: Vec::new(),
        }],
        pull,
        created_at: now,
        updated_at: now,
        closed_at: None,
        state_reason: None,
        milestone: None,
    };
    let mut repo = Repo::new(1, "octocat", "hello world", now);
    repo.node_id = "R_1".to_owned();
    repo.issues.insert(1, issue(1, None));
    let pull = PullInfo {
        id: 9,
        head_ref: "feature".into(),
        head_sha: "abc".into(),
        ..Default::default()
    };
    repo.issues.insert(2, issue(2, Some(pull)));
    repo.collaborators.insert(
        "octocat".to_owned(),
        Collaborator {
            login: "octocat".to_owned(),
            role: Role::Maintain,
        },
    );
    state.repos.insert("octocat/hello world".to_owned(), repo);
    ensure_repo_label(&mut state, "octocat", "hello world", "needs triage");
    state
}

fn parse<T: serde::de::DeserializeOwned>(value: Value) -> T {
    match serde_json::from_value(value.clone()) {
        Ok(parsed) => parsed,
        Err(e) => panic!("{e}: {value:#}"),
    }
}

fn repo(state: &State) -> &Repo {
    state.repo("octocat", "hello world").unwrap()
}

#[test]
fn user_json_deserializes_into_an_octocrab_author() {
    let state = fixture();
    let author: models::Author =
        parse(super::user(BASE, &state.user_or_placeholder("gantry[bot]")));
    assert_eq!(author.login, "gantry[bot]");
    assert_eq!(author.r#type, "Bot");
}

#[test]
fn label_json_deserializes_into_an_octocrab_label() {
    let state = fixture();
    let repo = repo(&state);
    let label: models::Label = parse(super::label(BASE, repo, &repo.labels[0]));
    assert_eq!(label.name, "needs triage");
    assert_eq!(label.color, "ededed");
    assert!(label.url.as_str().ends_with("/labels/needs%20triage"));
}

#[test]
fn comment_json_deserializes_into_an_octocrab_comment() {
    let state = fixture();
    let repo = repo(&state);
    let issue = &repo.issues[&1];
    let comment: models::issues::Comment =
        parse(super::comment(BASE, &state, repo, 1, &issue.comments[0]));
    assert_eq!(comment.body.as_deref(), Some("hello"));
    assert_eq!(comment.user.login, "gantry[bot]");
}

#[test]
fn issue_json_deserializes_into_an_octocrab_issue() {
    let state = fixture();
    let repo = repo(&state);
    let issue: models::issues::Issue = parse(super::issue(BASE, &state, repo, &repo.issues[&1]));
    assert_eq!(issue.number, 1);
    assert_eq!(issue.labels.len(), 1);
    assert_eq!(issue.comments, 1);
    assert!(issue.pull_request.is_none());
}

#[test]
fn issue_json_of_a_pull_request_carries_the_pull_request_link() {
    let state = fixture();
    let repo = repo(&state);
    let issue: models::issues::Issue = parse(super::issue(BASE, &state, repo, &repo.issues[&2]));
    assert!(issue.pull_request.is_some());
}

#[test]
fn pull_request_json_deserializes_into_an_octocrab_pull_request() {
    let state = fixture();
    let repo = repo(&state);
    let json = super::pull_request(BASE, &state, repo, &repo.issues[&2]).unwrap();
    let pull: models::pulls::PullRequest = parse(json);
    assert_eq!(pull.head.ref_field, "feature");
    assert_eq!(pull.head.sha, "abc");
    assert!(super::pull_request(BASE, &state, repo, &repo.issues[&1]).is_none());
}

#[test]
fn repository_json_deserializes_into_an_octocrab_repository() {
    let state = fixture();
    let repository: models::Repository = parse(super::repository(BASE, &state, repo(&state)));
    assert_eq!(repository.full_name.as_deref(), Some("octocat/hello world"));
    assert_eq!(
        repository.owner.map(|o| o.login).as_deref(),
        Some("octocat")
    );
    assert_eq!(repository.open_issues_count, Some(2));
}

#[test]
fn collaborator_json_deserializes_into_an_octocrab_collaborator() {
    let state = fixture();
    let who = state.user_or_placeholder("octocat");
    let collaborator: models::Collaborator =
        parse(super::collaborator(BASE, &who, Some(Role::Maintain)));
    assert!(collaborator.permissions.maintain && collaborator.permissions.push);
    assert!(!collaborator.permissions.admin);
}

#[test]
fn permission_json_for_an_admin_deserializes_into_an_octocrab_repo_permission() {
    // octocrab 0.54 types `permission` with the role enum (pull/push/admin/...), so only
    // "admin" — the one value both vocabularies share — parses; GitHub (and the simulator)
    // answer "write"/"read"/"none" for the others.
    let state = fixture();
    let who = state.user_or_placeholder("octocat");
    let permission: models::repos::RepoPermission =
        parse(super::permission(BASE, &who, Some(Role::Admin)));
    assert_eq!(permission.role_name, "admin");
    let write = super::permission(BASE, &who, Some(Role::Maintain));
    assert_eq!(write["permission"], "write");
    assert_eq!(write["role_name"], "maintain");
    let _: models::Collaborator = parse(write["user"].clone());
}

#[test]
fn path_segments_are_percent_encoded() {
    assert_eq!(super::seg("good first issue"), "good%20first%20issue");
    assert_eq!(super::seg("area/server"), "area%2Fserver");
    assert_eq!(super::seg("gantry[bot]"), "gantry%5Bbot%5D");
    assert_eq!(super::seg("a-b_c.d~"), "a-b_c.d~");
}
