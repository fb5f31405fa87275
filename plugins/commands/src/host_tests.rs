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
