//! The plugin's handlers against the SDK's fake host (`fake-host`): what it asks of
//! GitHub for a command and an event, and what it does when a write is held or
//! refused. The rules themselves are tested in `rules_tests.rs`.
use gantry_plugin_sdk::fake::{self, FakeHost};
use gantry_plugin_sdk::{Permission, Plugin};
use serde_json::{json, Value};

use crate::Commands;

fn corpus(path: &str) -> String {
    let file = format!(
        "{}/../../tests/fixtures/webhooks/{path}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// The corpus comment, by `user`, on pull request #2 opened by `author`.
fn comment_on_pull(user: &str, author: &str) -> gantry_plugin_sdk::Event {
    let mut v: Value = serde_json::from_str(&corpus("issue_comment/created.payload.json")).unwrap();
    v["issue"]["number"] = 2.into();
    v["issue"]["user"]["login"] = author.into();
    v["issue"]["labels"] = json!([]);
    v["issue"]["pull_request"] =
        json!({ "url": "https://api.github.com/repos/Codertocat/Hello-World/pulls/2" });
    v["comment"]["user"] = json!({ "login": user, "type": "User" });
    fake::event("issue_comment", &v.to_string())
}

#[test]
fn lgtm_by_a_reviewer_labels_the_pull_request_and_reacts() {
    let host = FakeHost::install();
    let event = comment_on_pull("reviewer", "author");
    let command = fake::command("/lgtm", "reviewer", Permission::Triage, 2, true, event);
    Commands::handle_command(command).unwrap();
    let labelled = host.calls_to("add-labels");
    assert_eq!(labelled.len(), 1, "{:?}", host.calls());
    assert_eq!(labelled[0].args["labels"], json!(["lgtm"]));
    assert_eq!(labelled[0].args["number"], 2);
    let reacted = host.calls_to("add-reaction");
    assert_eq!(reacted[0].args["content"], "+1", "{:?}", host.calls());
    assert!(host.calls_to("create-comment").is_empty());
}

#[test]
fn a_held_label_is_not_a_failure_and_the_reaction_says_it_waits() {
    let host = FakeHost::install();
    host.hold("add-labels", "issues:write");
    let event = comment_on_pull("reviewer", "author");
    let command = fake::command("/lgtm", "reviewer", Permission::Triage, 2, true, event);
    Commands::handle_command(command).unwrap();
    assert_eq!(host.calls_to("add-reaction")[0].args["content"], "eyes");
    assert!(
        host.logs()
            .iter()
            .any(|l| l.contains("held for approval: approval-1")),
        "{:?}",
        host.logs()
    );
}

#[test]
fn a_refused_label_is_explained_in_a_reply_remembered_in_kv() {
    let host = FakeHost::install();
    host.answer(
        "add-labels",
        fake::Answer::Error(gantry_plugin_sdk::HostError::Rejected("locked".into())),
    );
    host.reply("create-comment", json!(77));
    let event = comment_on_pull("reviewer", "author");
    let command = fake::command("/lgtm", "reviewer", Permission::Triage, 2, true, event);
    Commands::handle_command(command).unwrap();
    let replied = host.calls_to("create-comment");
    assert_eq!(replied.len(), 1, "{:?}", host.calls());
    assert!(
        replied[0].args["body"]
            .as_str()
            .unwrap_or_default()
            .contains("locked"),
        "{replied:?}"
    );
    assert_eq!(host.kv_get("reply/2/lgtm"), Some(b"77".to_vec()));
}

#[test]
fn new_commits_remove_lgtm_with_a_comment() {
    let host = FakeHost::install();
    let mut v: Value =
        serde_json::from_str(&corpus("pull_request/synchronize.payload.json")).unwrap();
    v["pull_request"]["labels"] = json!([{ "name": "lgtm" }]);
    let number = v["pull_request"]["number"].as_u64().unwrap();
    Commands::handle_event(fake::event("pull_request", &v.to_string())).unwrap();
    let removed = host.calls_to("remove-label");
    assert_eq!(removed[0].args["label"], "lgtm");
    assert_eq!(removed[0].args["number"], number);
    assert_eq!(host.calls_to("create-comment").len(), 1);
}

#[test]
fn a_denied_write_fails_the_command_with_a_readable_message() {
    let host = FakeHost::install();
    host.deny("add-labels", "issues:write is not declared");
    let event = comment_on_pull("reviewer", "author");
    let command = fake::command("/lgtm", "reviewer", Permission::Triage, 2, true, event);
    let e = Commands::handle_command(command).unwrap_err();
    assert!(
        e.to_string()
            .contains("denied by the policy: issues:write is not declared"),
        "{e}"
    );
}

/// Pull request #2 changes one file in `api/` and one in `web/`.
fn two_directory_files(host: &FakeHost) {
    let file = |name: &str| {
        json!({ "filename": name, "status": "modified", "additions": 1, "deletions": 0,
                "changes": 1, "patch": null, "previous_filename": null })
    };
    host.always(
        "list-pull-request-files",
        fake::Answer::Value(json!([file("api/a.go"), file("web/c.ts")])),
    );
    host.set_owners(&[("api", &["alice"], &["rita"]), ("web", &["bob"], &["sam"])]);
}

fn approve_by(user: &str) {
    let event = comment_on_pull(user, "author");
    let command = fake::command("/approve", user, Permission::Write, 2, true, event);
    Commands::handle_command(command).unwrap();
}

#[test]
fn with_owners_approve_labels_only_once_every_directory_is_approved() {
    let host = FakeHost::install();
    two_directory_files(&host);
    host.reply("create-comment", json!(77));
    approve_by("alice");
    assert!(host.calls_to("add-labels").is_empty(), "{:?}", host.calls());
    let asked = host.calls_to("get-owners");
    assert_eq!(asked[0].args["paths"], json!(["api/a.go", "web/c.ts"]));
    let body = host.calls_to("create-comment")[0].args["body"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        body.contains("`web/c.ts`: ask @bob (`web/OWNERS`)"),
        "{body}"
    );
    assert!(!body.contains("api/a.go"), "{body}");
    assert_eq!(host.kv_get("approvals/2"), Some(br#"["alice"]"#.to_vec()));

    approve_by("bob");
    assert_eq!(
        host.calls_to("add-labels")[0].args["labels"],
        json!(["approved"])
    );
    // The status comment is edited in place.
    let edited = host.calls_to("update-comment");
    assert_eq!(edited[0].args["comment_id"], 77, "{:?}", host.calls());
    assert!(edited[0].args["body"]
        .as_str()
        .unwrap_or_default()
        .contains("**APPROVED**"));
}

#[test]
fn with_owners_a_non_approvers_approve_does_not_count() {
    let host = FakeHost::install();
    two_directory_files(&host);
    approve_by("mallory");
    assert!(host.calls_to("add-labels").is_empty());
    assert_eq!(host.kv_get("approvals/2"), None);
    let body = host.calls_to("create-comment")[0].args["body"].clone();
    assert!(
        body.as_str().unwrap_or_default().contains("does not count"),
        "{body}"
    );
}

#[test]
fn without_owners_approve_labels_at_once() {
    let host = FakeHost::install();
    host.always(
        "list-pull-request-files",
        fake::Answer::Value(
            json!([{ "filename": "a.go", "status": "modified", "additions": 1,
            "deletions": 0, "changes": 1, "patch": null, "previous_filename": null }]),
        ),
    );
    approve_by("anyone");
    assert_eq!(
        host.calls_to("add-labels")[0].args["labels"],
        json!(["approved"])
    );
}

#[test]
fn a_new_pull_request_asks_the_owners_reviewers_when_configured() {
    let opened = || {
        let mut v: Value =
            serde_json::from_str(&corpus("pull_request/synchronize.payload.json")).unwrap();
        v["action"] = "opened".into();
        v["pull_request"]["user"]["login"] = "author".into();
        fake::event("pull_request", &v.to_string())
    };
    let host = FakeHost::install();
    two_directory_files(&host);
    Commands::handle_event(opened()).unwrap();
    assert!(
        host.calls_to("request-reviewers").is_empty(),
        "off by default"
    );
    assert!(host.calls_to("get-owners").is_empty());

    host.set_config(json!({ "request_owner_reviews": true }));
    Commands::handle_event(opened()).unwrap();
    let asked = host.calls_to("request-reviewers");
    assert_eq!(
        asked[0].args["users"],
        json!(["rita", "sam"]),
        "{:?}",
        host.calls()
    );
}
