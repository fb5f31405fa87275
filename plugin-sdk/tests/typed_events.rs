//! Every payload of the fixture corpus (`tests/fixtures/webhooks/<event>/…`) goes
//! through `typed()` and must come out as its own event's variant, never
//! `Other(name)`: a new corpus folder without a variant fails here, and so does a
//! field made required that GitHub leaves out somewhere.
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

#[test]
fn every_corpus_payload_parses_into_its_own_variant() {
    let mut folders = Vec::new();
    let mut payloads = 0;
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
            // A corpus event without a variant of its own comes out as `Other`.
            assert!(
                !matches!(parsed, TypedEvent::Other(_)),
                "{}: no typed variant for `{name}`",
                file.display()
            );
            assert_eq!(parsed.name(), name, "{}", file.display());
            payloads += 1;
        }
        folders.push(name);
    }
    folders.sort();
    let mut typed = TypedEvent::TYPED.to_vec();
    typed.sort_unstable();
    assert_eq!(folders, typed, "TYPED lists exactly the corpus's events");
    assert!(payloads > folders.len(), "{payloads} payloads");
    let unknown = event("issues", &corpus().join("issues/opened.payload.json"));
    let unknown = Event {
        name: "not_an_event".into(),
        ..unknown
    };
    assert_eq!(
        unknown.typed().unwrap(),
        TypedEvent::Other("not_an_event".into())
    );
}

#[test]
fn the_new_event_families_read_their_fields() {
    let typed = |path: &str| {
        let name = path.split('/').next().unwrap();
        event(name, &corpus().join(path)).typed().unwrap()
    };
    let TypedEvent::WorkflowDispatch(dispatch) = typed("workflow_dispatch/payload.json") else {
        panic!("not a workflow dispatch");
    };
    assert_eq!(
        dispatch.workflow,
        ".github/workflows/hello-world-workflow.yml"
    );
    assert_eq!(
        dispatch.inputs.unwrap()["name"].as_str(),
        Some("Mona the Octocat")
    );
    let TypedEvent::DependabotAlert(alert) = typed("dependabot_alert/created.payload.json") else {
        panic!("not a Dependabot alert");
    };
    assert_eq!(alert.alert.dependency.package.name, "semver");
    let TypedEvent::MergeGroup(group) = typed("merge_group/checks_requested.payload.json") else {
        panic!("not a merge group");
    };
    assert_eq!(group.action, "checks_requested");
    assert!(group.merge_group.head_ref.contains("gh-readonly-queue"));
    let TypedEvent::Discussion(answered) = typed("discussion/answered.payload.json") else {
        panic!("not a discussion");
    };
    assert!(answered.answer.is_some() && answered.discussion.category.is_answerable);
    let TypedEvent::Installation(installation) = typed("installation/deleted.payload.json") else {
        panic!("not an installation");
    };
    assert_eq!(installation.installation.id, 2);
    let TypedEvent::SecurityAdvisory(advisory) = typed("security_advisory/withdrawn.payload.json")
    else {
        panic!("not an advisory");
    };
    assert!(advisory.security_advisory.withdrawn_at.is_some());
    assert_eq!(
        advisory.security_advisory.vulnerabilities[0].package.name,
        "static-eval"
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
