//! The plugin's handlers against the SDK's fake host (`fake-host`): a version that
//! is not one, and a release whose creation is held for approval and then approved.
//! The rules themselves are tested in `rules_tests.rs`.
use gantry_plugin_sdk::fake::{self, FakeHost};
use gantry_plugin_sdk::{Approval, ApprovalOutcome, Permission, Plugin, Repo};
use serde_json::json;

use crate::Releases;

const HEAD: &str = "0123456789abcdef0123456789abcdef01234567";

fn release_command(args: &str) -> gantry_plugin_sdk::Command {
    let file = format!(
        "{}/../../tests/fixtures/webhooks/issue_comment/created.payload.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let event = fake::event("issue_comment", &std::fs::read_to_string(file).unwrap());
    fake::command(
        &format!("/release {args}"),
        "maintainer",
        Permission::Maintain,
        1,
        false,
        event,
    )
}

fn replies(host: &FakeHost) -> Vec<String> {
    host.calls_to("create-comment")
        .iter()
        .map(|c| c.args["body"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn a_version_that_is_not_one_is_answered_without_any_write() {
    let host = FakeHost::install();
    Releases::handle_command(release_command("banana")).unwrap();
    let said = replies(&host);
    assert_eq!(said.len(), 1);
    assert!(said[0].contains("is not a semantic version"), "{said:?}");
    assert!(host.calls_to("create-release").is_empty());
    assert_eq!(host.calls_to("add-reaction")[0].args["content"], "eyes");
}

#[test]
fn a_held_release_waits_in_kv_and_goes_on_when_approved() {
    let host = FakeHost::install();
    host.always("workspace.head", fake::Answer::Value(json!(HEAD)));
    host.hold("create-release", "contents:write");
    Releases::handle_command(release_command("v1.2.0")).unwrap();
    let created = host.calls_to("create-release");
    assert_eq!(created[0].args["release"]["tag"], "v1.2.0");
    assert_eq!(created[0].args["release"]["target"], HEAD);
    assert!(
        replies(&host)[0].contains("waits for a maintainer's approval: `approval-1`"),
        "{:?}",
        replies(&host)
    );
    assert_eq!(
        host.kv_get("approval/approval-1"),
        Some(b"\"v1.2.0\"".to_vec())
    );

    // Approved: the release exists as a draft; the plugin publishes it.
    host.reply(
        "publish-release",
        json!({ "id": 5, "tag": "v1.2.0", "name": "v1.2.0", "draft": false, "html_url": "https://example.test/r/5" }),
    );
    let detail = json!({ "id": 5, "html_url": "https://example.test/r/5", "draft": true });
    Releases::approval_resolved(Approval {
        id: "approval-1".into(),
        capability: "contents:write".into(),
        repository: Repo {
            owner: "Codertocat".into(),
            name: "Hello-World".into(),
        },
        outcome: ApprovalOutcome::Executed,
        decided_by: Some("boss".into()),
        detail: Some(detail.to_string()),
        delivery_id: "d".into(),
    })
    .unwrap();
    assert_eq!(host.calls_to("publish-release")[0].args["release_id"], 5);
    let said = replies(&host);
    assert!(
        said.last()
            .is_some_and(|s| s.contains("released [`v1.2.0`](https://example.test/r/5)")),
        "{said:?}"
    );
    assert_eq!(
        host.kv_get("plan/v1.2.0"),
        None::<Vec<u8>>,
        "the plan is done"
    );
}
