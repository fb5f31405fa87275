//! The plugin's handlers against the SDK's fake host (`fake-host`): a push that runs
//! a mirror, held for approval and then approved. The rules themselves are tested in
//! `rules_tests.rs`.
use gantry_plugin_sdk::fake::{self, FakeHost};
use gantry_plugin_sdk::{Approval, ApprovalOutcome, Plugin, Repo};
use serde_json::{json, Value};

use crate::Sync;

fn push_to_main() -> gantry_plugin_sdk::Event {
    let file = format!(
        "{}/../../tests/fixtures/webhooks/push/payload.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut v: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    v["ref"] = "refs/heads/main".into();
    fake::event("push", &v.to_string())
}

fn status(host: &FakeHost) -> Value {
    serde_json::from_slice(&host.kv_get("status/backup").unwrap_or_default()).unwrap_or_default()
}

#[test]
fn a_push_mirrors_the_matching_branches_and_a_held_push_waits_for_approval() {
    let host = FakeHost::install();
    host.set_config(json!({
        "mirrors": [{ "name": "backup", "destination": "Codertocat/mirror", "branches": ["main"] }]
    }));
    host.reply(
        "workspace.branches",
        json!([["main", "a1"], ["feature", "b2"]]),
    );
    host.hold("workspace.mirror-to", "git:push");
    Sync::handle_event(push_to_main()).unwrap();
    let mirrored = host.calls_to("workspace.mirror-to");
    assert_eq!(mirrored.len(), 1, "{:?}", host.calls());
    assert_eq!(mirrored[0].args["branches"], json!(["main"]));
    assert_eq!(mirrored[0].args["destination"]["name"], "mirror");
    assert_eq!(status(&host)["outcome"], "held", "{}", status(&host));
    assert_eq!(
        host.kv_get("approval/approval-1"),
        Some(b"\"backup\"".to_vec())
    );

    Sync::approval_resolved(Approval {
        id: "approval-1".into(),
        capability: "git:push".into(),
        repository: Repo {
            owner: "Codertocat".into(),
            name: "Hello-World".into(),
        },
        outcome: ApprovalOutcome::Executed,
        decided_by: Some("boss".into()),
        detail: None,
        delivery_id: "d".into(),
    })
    .unwrap();
    assert_eq!(status(&host)["outcome"], "ok");
    assert_eq!(status(&host)["message"], "approved by @boss and mirrored");
    assert_eq!(host.kv_get("approval/approval-1"), None);
}

#[test]
fn a_clone_the_policy_denies_is_recorded_not_retried() {
    let host = FakeHost::install();
    host.set_config(json!({
        "mirrors": [{ "name": "backup", "destination": "Codertocat/mirror", "branches": ["main"] }]
    }));
    host.deny("workspace.clone", "git:clone is not allowed");
    Sync::handle_event(push_to_main()).unwrap();
    assert_eq!(status(&host)["outcome"], "failed");
    let message = status(&host)["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        message.starts_with("cloning the source: denied by the policy"),
        "{message}"
    );
}
