//! Serving more than one WIT version: a component built against the frozen
//! `gantry:plugin@0.1.0` (`tests/fixtures/plugins-v0.1/`, built before v0.2 existed)
//! installs and runs unchanged against the current host, its held write runs once
//! on approval as before; a component for a version the host does not serve is
//! refused at install, the message naming the versions it serves.
use std::time::Duration;

use gantry_server::db::kv::{self, KvScope};
use gantry_server::domain::Actor;
use gantry_server::services::policies::{self, RuleForm};
use gantry_server::wasm_host::wit_version;
use reqwest::Method;
use serde_json::Value;

use crate::commands::{comment, grant};
use crate::helpers::{
    corpus_payload, delivery_id, fixture_component, spawn_app, wait_until, AppOptions, Plugins,
    TestApp,
};

/// The asker fixture as built against v0.1 at the commit before v0.2.
const ASKER_V0_1: &str = "plugins-v0.1/asker.wasm";

async fn ask_for_comments(app: &TestApp) {
    let form = RuleForm {
        scope: "global".into(),
        plugin: Some("asker".into()),
        capability: "issues:write".into(),
        effect: "ask".into(),
        branch: None,
        event_branch: None,
        min_permission: None,
        enforced: false,
        approvals: None,
    };
    policies::add(&app.state.db, app.state.audit_key(), &Actor::cli(), form)
        .await
        .unwrap();
}

fn asker_comments(app: &TestApp) -> usize {
    app.sim
        .issue_comments("Codertocat", "Hello-World", 1)
        .unwrap_or_default()
        .iter()
        .filter(|c| c.contains("asker was here"))
        .count()
}

async fn kv_value(app: &TestApp, key: &str) -> Option<String> {
    let scope = KvScope {
        plugin: "asker",
        project: "Codertocat/Hello-World",
    };
    kv::get(&app.state.db, scope, key)
        .await
        .unwrap()
        .map(|v| String::from_utf8(v).unwrap())
}

#[test]
fn the_v0_1_fixture_speaks_v0_1_only() {
    let bytes = fixture_component(ASKER_V0_1);
    assert_eq!(
        wit_version::imported_versions(&bytes).unwrap(),
        vec!["0.1.0".to_owned()]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_v0_1_component_runs_unchanged_and_its_held_comment_runs_once_on_approval() {
    let app = spawn_app(AppOptions {
        plugins: Plugins::Named(&[ASKER_V0_1]),
        ..AppOptions::default()
    })
    .await;
    ask_for_comments(&app).await;
    let delivery = delivery_id();
    let body = corpus_payload("issues/opened.payload.json");
    assert_eq!(
        app.post_webhook("issues", &delivery, &body).await.status(),
        202
    );
    app.wait_for_idle_queue(Duration::from_secs(30)).await;
    let log = app.runs_of(&delivery).await.pop().unwrap().log.unwrap();
    // v0.1 hears a held write as the error `pending(id)`, as it always did.
    let id = log
        .split("held for approval: ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_else(|| panic!("not held: {log}"))
        .to_owned();
    assert_eq!(asker_comments(&app), 0, "held, not sent");

    let approved = app
        .api(Method::POST, &format!("/approvals/{id}/approve"))
        .send()
        .await
        .unwrap();
    assert_eq!(approved.status(), 200);
    let key = format!("resolved:{id}");
    wait_until(
        Duration::from_secs(10),
        "the v0.1 plugin to hear the outcome",
        || async { kv_value(&app, &key).await.is_some() },
    )
    .await;
    assert!(
        kv_value(&app, &key)
            .await
            .unwrap()
            .starts_with("Executed by Some("),
        "approval-resolved reached the v0.1 export"
    );
    assert_eq!(asker_comments(&app), 1, "run exactly once");

    // Its command export, with the commenter's permission, works as before.
    grant(&app, "triager", "triage").await;
    let command = comment("created", "triager", "/poke from v0.1");
    assert_eq!(
        app.post_webhook("issue_comment", &delivery_id(), &command)
            .await
            .status(),
        202
    );
    app.wait_for_idle_queue(Duration::from_secs(30)).await;
    assert_eq!(
        kv_value(&app, "command").await.as_deref(),
        Some("poke from v0.1 by triager as Triage on #1")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_component_for_a_version_the_host_does_not_serve_is_refused_at_install() {
    let app = spawn_app(AppOptions {
        plugins: Plugins::None,
        ..AppOptions::default()
    })
    .await;
    // The v0.1 component with every import renamed to 0.9.0: the same length, so the
    // binary stays valid; only the version it asks for changes.
    let renamed = replace_all(&fixture_component(ASKER_V0_1), b"@0.1.0", b"@0.9.0");
    assert_eq!(
        wit_version::imported_versions(&renamed).unwrap(),
        vec!["0.9.0".to_owned()]
    );
    let response = app
        .api(Method::POST, "/plugins")
        .header("content-type", "application/wasm")
        .body(renamed)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_plugin");
    let message = body["message"].as_str().unwrap();
    assert!(message.contains("gantry:plugin@0.9.0"), "{message}");
    assert!(
        message.contains("gantry:plugin@0.1.0 and gantry:plugin@0.2.0"),
        "{message}"
    );
    let listed = app.api(Method::GET, "/plugins").send().await.unwrap();
    let listed: Value = listed.json().await.unwrap();
    assert!(!listed.to_string().contains("asker"), "nothing installed");
}

fn replace_all(bytes: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    assert_eq!(from.len(), to.len());
    let mut out = bytes.to_vec();
    let mut i = 0;
    let mut replaced = 0;
    while i + from.len() <= out.len() {
        if &out[i..i + from.len()] == from {
            out[i..i + from.len()].copy_from_slice(to);
            replaced += 1;
            i += from.len();
        } else {
            i += 1;
        }
    }
    assert!(replaced > 0, "nothing to rename");
    out
}
