//! The strict request check: every test app fails its test when Gantry sent the
//! simulator a request GitHub's description or rules refuse (`TestApp`'s drop). Here:
//! the check does fail, Gantry's file writes and releases leave absent options out
//! (GitHub refuses `null`), and a new file is written without a `sha`.
use std::panic::{catch_unwind, AssertUnwindSafe};

use gantry_server::services::policies::{self, RuleForm};
use serde_json::{json, Value};

use crate::helpers::{corpus_payload, delivery_id, spawn_app, AppOptions, Plugins};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_github_refuses_fails_the_test_that_sent_it() {
    let app = spawn_app(AppOptions::default()).await;
    app.sim.learn(
        "issues",
        &serde_json::from_slice(&corpus_payload("issues/opened.payload.json")).unwrap(),
    );
    // A release with `"target_commitish": null`, as Gantry once sent it.
    let answer = app
        .http
        .post(app.sim_repo_url("Codertocat/Hello-World", "/releases"))
        .bearer_auth("test-token")
        .json(&json!({"tag_name": "v1", "target_commitish": null}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 422);
    let violations = app.sim.violations();
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert!(violations[0].problems[0].starts_with("target_commitish"));
    let dropped = catch_unwind(AssertUnwindSafe(move || drop(app)));
    let message = dropped.expect_err("the test app must fail the test");
    let text = message
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(text.contains("requests GitHub would refuse"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_file_is_written_without_a_sha_key() {
    let app = spawn_app(AppOptions {
        plugins: Plugins::Named(&["brancher"]),
        configs: vec![("brancher", json!({ "branch": "", "path": "docs/new.md" }))],
        ..AppOptions::default()
    })
    .await;
    policies::add(
        &app.state.db,
        app.state.audit_key(),
        &gantry_server::domain::Actor::cli(),
        RuleForm {
            scope: "global".into(),
            capability: "contents:write".into(),
            effect: "allow".into(),
            ..RuleForm::default()
        },
    )
    .await
    .unwrap();
    let payload: Value =
        serde_json::from_slice(&corpus_payload("issues/opened.payload.json")).unwrap();
    app.sim.learn("issues", &payload);
    let id = delivery_id();
    let answer = app
        .post_webhook("issues", &id, &serde_json::to_vec(&payload).unwrap())
        .await;
    assert_eq!(answer.status(), 202);
    app.wait_for_idle_queue(std::time::Duration::from_secs(30))
        .await;
    let log: String = app
        .runs_of(&id)
        .await
        .into_iter()
        .map(|r| r.log.unwrap_or_default())
        .collect();
    assert!(log.contains("put (default): ok"), "{log}");
    let file = app
        .sim_get("Codertocat/Hello-World", "/contents/docs/new.md")
        .await;
    assert_eq!(file["path"], "docs/new.md");
    assert!(
        app.sim.violations().is_empty(),
        "{:?}",
        app.sim.violations()
    );
}
