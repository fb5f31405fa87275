//! The plugin's handlers against the SDK's fake host (`fake-host`): what it asks of
//! GitHub when a pull request opens, and when the dispatch is held or the author is
//! not trusted. The rules themselves are tested in `rules_tests.rs`.
use gantry_plugin_sdk::fake::{self, FakeHost};
use gantry_plugin_sdk::Plugin;
use serde_json::{json, Value};

use crate::Ci;

fn opened() -> gantry_plugin_sdk::Event {
    let file = format!(
        "{}/../../tests/fixtures/webhooks/pull_request/opened.payload.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut v: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    v["pull_request"]["labels"] = json!([]);
    fake::event("pull_request", &v.to_string())
}

fn host_with_one_job() -> FakeHost {
    let host = FakeHost::install();
    host.set_config(json!({
        "jobs": [{ "name": "unit", "workflow": "ci.yml", "declared_inputs": [] }]
    }));
    host
}

#[test]
fn a_trusted_authors_pull_request_gets_a_queued_check_run_and_a_dispatch() {
    let host = host_with_one_job();
    host.reply("get-permission", json!("Write"));
    host.reply("create-check-run", json!(41));
    Ci::handle_event(opened()).unwrap();
    let check = host.calls_to("create-check-run");
    assert_eq!(check.len(), 1, "{:?}", host.calls());
    assert_eq!(check[0].args["run"]["name"], "gantry/ci: unit");
    assert_eq!(check[0].args["run"]["status"], "Queued");
    let dispatched = host.calls_to("dispatch-workflow");
    assert_eq!(dispatched[0].args["workflow"], "ci.yml");
    assert_eq!(dispatched[0].args["git_ref"], "changes");
    let record: Value = serde_json::from_slice(
        &host
            .kv_get("sha/ec26c3e57ca3a959ca5aad62de7213c562f8c821")
            .unwrap(),
    )
    .unwrap();
    assert_eq!(record["jobs"][0]["check_run"], 41, "{record}");
}

#[test]
fn a_held_dispatch_says_so_on_the_check_run() {
    let host = host_with_one_job();
    host.reply("get-permission", json!("Admin"));
    host.reply("create-check-run", json!(41));
    host.hold("dispatch-workflow", "actions:write");
    Ci::handle_event(opened()).unwrap();
    let updated = host.calls_to("update-check-run");
    assert_eq!(updated.len(), 1, "{:?}", host.calls());
    let summary = updated[0].args["run"]["summary"]
        .as_str()
        .unwrap_or_default();
    assert!(summary.contains("approval-1"), "{summary}");
}

#[test]
fn an_untrusted_author_is_asked_for_ok_to_test_once() {
    let host = host_with_one_job();
    host.always("get-permission", fake::Answer::Value(json!("Read")));
    host.reply("create-comment", json!(9));
    Ci::handle_event(opened()).unwrap();
    Ci::handle_event(opened()).unwrap();
    assert!(host.calls_to("dispatch-workflow").is_empty());
    assert_eq!(
        host.calls_to("create-comment").len(),
        1,
        "{:?}",
        host.calls()
    );
    assert_eq!(
        host.calls_to("add-labels")[0].args["labels"],
        json!(["needs-ok-to-test"])
    );
}
