//! Every payload of the fixture corpus (`tests/fixtures/webhooks/<event>/…`) goes
//! through `typed()`: the events the SDK models parse into their own variant, the
//! others come out as `Other(name)`. A field made required that GitHub leaves out
//! somewhere fails here.
use std::path::{Path, PathBuf};

use gantry_plugin_sdk::events::TypedEvent;
use gantry_plugin_sdk::Event;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/webhooks")
}

fn event(name: &str, path: &Path) -> Event {
    Event {
        name: name.to_owned(),
        action: None,
        delivery_id: "test".into(),
        repository: None,
        payload: std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    }
}

/// The variant's event name, to check that each payload landed in its own.
fn name_of(typed: &TypedEvent) -> &str {
    match typed {
        TypedEvent::Issues(_) => "issues",
        TypedEvent::IssueComment(_) => "issue_comment",
        TypedEvent::PullRequest(_) => "pull_request",
        TypedEvent::PullRequestReview(_) => "pull_request_review",
        TypedEvent::PullRequestReviewComment(_) => "pull_request_review_comment",
        TypedEvent::Push(_) => "push",
        TypedEvent::Create(_) => "create",
        TypedEvent::Delete(_) => "delete",
        TypedEvent::Release(_) => "release",
        TypedEvent::CheckRun(_) => "check_run",
        TypedEvent::CheckSuite(_) => "check_suite",
        TypedEvent::WorkflowRun(_) => "workflow_run",
        TypedEvent::WorkflowJob(_) => "workflow_job",
        TypedEvent::Status(_) => "status",
        TypedEvent::Other(name) => name,
    }
}

#[test]
fn every_corpus_payload_of_a_typed_event_parses_into_its_variant() {
    let mut typed = 0;
    let mut other = 0;
    for dir in std::fs::read_dir(corpus()).unwrap() {
        let dir = dir.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        let name = dir.file_name().unwrap().to_str().unwrap().to_owned();
        for file in std::fs::read_dir(&dir).unwrap() {
            let file = file.unwrap().path();
            let parsed = event(&name, &file)
                .typed()
                .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            assert_eq!(name_of(&parsed), name, "{}", file.display());
            if TypedEvent::TYPED.contains(&name.as_str()) {
                assert!(
                    !matches!(parsed, TypedEvent::Other(_)),
                    "{}",
                    file.display()
                );
                typed += 1;
            } else {
                assert_eq!(parsed, TypedEvent::Other(name.clone()));
                other += 1;
            }
        }
    }
    // The corpus has payloads of every modelled event and of others.
    assert!(
        typed >= TypedEvent::TYPED.len() && other > 0,
        "{typed} {other}"
    );
}

#[test]
fn the_pull_request_carries_its_size_state_and_branches() {
    let opened = event(
        "pull_request",
        &corpus().join("pull_request/opened.payload.json"),
    );
    let TypedEvent::PullRequest(pr) = opened.typed().unwrap() else {
        panic!("not a pull request event");
    };
    let pull = &pr.pull_request;
    assert_eq!((pr.number, pull.number), (2, 2));
    assert_eq!(
        (
            pull.additions,
            pull.deletions,
            pull.changed_files,
            pull.commits
        ),
        (Some(1), Some(1), Some(1), Some(1))
    );
    assert_eq!(pull.changed_lines(), Some(2));
    assert_eq!(pull.mergeable_state.as_deref(), Some("unknown"));
    assert!(!pull.draft);
    assert_eq!(
        (pull.head.name.as_str(), pull.base.name.as_str()),
        ("changes", "master")
    );
    assert!(!pull.is_from_fork());
    assert_eq!(pull.label_names(), ["bug"]);
    let draft = event(
        "pull_request",
        &corpus().join("pull_request/converted_to_draft.payload.json"),
    );
    let TypedEvent::PullRequest(draft) = draft.typed().unwrap() else {
        panic!("not a pull request event");
    };
    assert!(draft.pull_request.draft);
}

#[test]
fn comments_reviews_pushes_and_runs_read_their_fields() {
    let typed = |path: &str| {
        let name = path.split('/').next().unwrap();
        event(name, &corpus().join(path)).typed().unwrap()
    };
    let TypedEvent::IssueComment(c) = typed("issue_comment/created.payload.json") else {
        panic!("not an issue comment");
    };
    assert_eq!(c.action, "created");
    assert!(!c.comment.user.login.is_empty());
    let TypedEvent::IssueComment(edited) = typed("issue_comment/edited.payload.json") else {
        panic!("not an issue comment");
    };
    assert!(edited.changes.is_some());
    let TypedEvent::PullRequestReviewComment(rc) =
        typed("pull_request_review_comment/created.payload.json")
    else {
        panic!("not a review comment");
    };
    assert!(!rc.comment.path.is_empty() && rc.pull_request.number > 0);
    let TypedEvent::Push(push) = typed("push/payload.json") else {
        panic!("not a push");
    };
    assert!(push.git_ref.starts_with("refs/"));
    assert_eq!(
        push.branch().is_some(),
        push.git_ref.starts_with("refs/heads/")
    );
    let TypedEvent::WorkflowRun(run) =
        typed("workflow_run/completed.with-pull-requests.payload.json")
    else {
        panic!("not a workflow run");
    };
    assert_eq!(run.workflow_run.id, 289_782_451);
    assert_eq!(run.workflow_name(), "test");
    assert_eq!(run.workflow_run.conclusion.as_deref(), Some("success"));
}

#[test]
fn a_payload_that_does_not_fit_its_event_is_an_error_naming_it() {
    let mut bad = event(
        "pull_request",
        &corpus().join("pull_request/opened.payload.json"),
    );
    bad.payload = "{\"action\": \"opened\"}".into();
    let e = bad.typed().unwrap_err();
    assert!(
        e.to_string()
            .starts_with("reading the pull_request payload: unexpected JSON"),
        "{e}"
    );
}
