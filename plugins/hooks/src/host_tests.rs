//! The plugin's handlers against the SDK's fake host (`fake-host`): labels and
//! comments a rule asks for, the title check, and a held or refused write. The rules
//! themselves are tested in `rules_tests.rs`.
use gantry_plugin_sdk::fake::{self, Answer, FakeHost};
use gantry_plugin_sdk::{HostError, Plugin};
use serde_json::{json, Value};

use crate::Hooks;

fn corpus(path: &str) -> String {
    let file = format!(
        "{}/../../tests/fixtures/webhooks/{path}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{file}: {e}"))
}

fn triage(host: &FakeHost) {
    host.set_config(json!({
        "rules": [{ "on": "issues.opened", "add_labels": ["needs-triage"], "comment": "Thanks @{author}!" }]
    }));
}

#[test]
fn an_opened_issue_is_labelled_and_greeted_by_its_rule() {
    let host = FakeHost::install();
    triage(&host);
    Hooks::handle_event(fake::event("issues", &corpus("issues/opened.payload.json"))).unwrap();
    let labelled = host.calls_to("add-labels");
    assert_eq!(labelled[0].args["labels"], json!(["needs-triage"]));
    assert_eq!(labelled[0].args["number"], 1);
    let commented = host.calls_to("create-comment");
    assert_eq!(commented[0].args["body"], "Thanks @Codertocat!");
}

#[test]
fn held_writes_are_logged_not_failed() {
    let host = FakeHost::install();
    triage(&host);
    host.hold("add-labels", "issues:write");
    host.hold("create-comment", "issues:write");
    Hooks::handle_event(fake::event("issues", &corpus("issues/opened.payload.json"))).unwrap();
    let logs = host.logs();
    assert!(
        logs.iter()
            .any(|l| l.contains("held for approval approval-1")),
        "{logs:?}"
    );
}

#[test]
fn a_refused_label_fails_the_run_saying_what_and_why() {
    let host = FakeHost::install();
    triage(&host);
    host.answer(
        "add-labels",
        Answer::Error(HostError::Rejected("403 forbidden".into())),
    );
    let e = Hooks::handle_event(fake::event("issues", &corpus("issues/opened.payload.json")))
        .unwrap_err();
    assert_eq!(e.to_string(), "labelling #1: rejected: 403 forbidden");
    assert!(host.calls_to("create-comment").is_empty());
}

#[test]
fn the_title_check_reports_on_the_head_commit() {
    let host = FakeHost::install();
    host.set_config(json!({ "title_check": { "enabled": true } }));
    let mut v: Value = serde_json::from_str(&corpus("pull_request/opened.payload.json")).unwrap();
    v["pull_request"]["title"] = "fix: the parser".into();
    Hooks::handle_event(fake::event("pull_request", &v.to_string())).unwrap();
    let checks = host.calls_to("create-check-run");
    assert_eq!(checks.len(), 1, "{:?}", host.calls());
    assert_eq!(
        checks[0].args["run"]["head_sha"],
        "ec26c3e57ca3a959ca5aad62de7213c562f8c821"
    );
    assert_eq!(checks[0].args["run"]["conclusion"], "Success");
}
