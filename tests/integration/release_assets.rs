//! A workflow run's artifact copied into a release by the host, through the real
//! `releaser` fixture: the bytes never pass through the plugin; under the default
//! `ask` for `contents:write` the copy waits for a maintainer and then runs once.
use std::time::Duration;

use gantry_server::services::policies::{self, RuleForm};
use gantry_simulator::RunOutcome;
use reqwest::Method;
use serde_json::Value;

use crate::helpers::{corpus_payload, delivery_id, spawn_app, AppOptions, Plugins, TestApp};

/// A releaser app whose configuration names a completed run with a 3000-byte `dist`.
async fn releaser_app() -> TestApp {
    let app = spawn_app(AppOptions {
        plugins: Plugins::Named(&["releaser"]),
        ..AppOptions::default()
    })
    .await;
    app.sim.learn(
        "issues",
        &serde_json::from_slice(&corpus_payload("issues/opened.payload.json")).unwrap(),
    );
    app.sim.add_workflow(
        "Codertocat",
        "Hello-World",
        ".github/workflows/build.yml",
        "build",
    );
    let run = app
        .sim
        .trigger_workflow("Codertocat", "Hello-World", "build.yml", "push", "master")
        .expect("a run");
    assert!(app.sim.complete_run(
        "Codertocat",
        "Hello-World",
        run,
        &RunOutcome::new("success").artifact("dist", 3000)
    ));
    let config = serde_json::json!({ "tag": "v0.0.1", "run_id": run });
    assert_eq!(
        app.api(Method::PUT, "/plugins/releaser/config")
            .json(&config)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    app
}

async fn open_issue(app: &TestApp) -> String {
    let id = delivery_id();
    assert_eq!(
        app.post_webhook("issues", &id, &corpus_payload("issues/opened.payload.json"))
            .await
            .status(),
        202
    );
    app.wait_for_idle_queue(Duration::from_secs(30)).await;
    app.runs_of(&id)
        .await
        .pop()
        .unwrap()
        .log
        .unwrap_or_default()
}

async fn assets(app: &TestApp, log: &str) -> Vec<Value> {
    let release = log
        .split("release ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_else(|| panic!("no release:\n{log}"));
    let url = format!(
        "{}/repos/Codertocat/Hello-World/releases/{release}/assets",
        app.state.settings.github.api_url
    );
    let body: Value = app
        .http
        .get(url)
        .bearer_auth("test-token")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body.as_array().unwrap().clone()
}

fn allow_contents_write() -> RuleForm {
    RuleForm {
        scope: "global".into(),
        plugin: Some("releaser".into()),
        capability: "contents:write".into(),
        effect: "allow".into(),
        branch: None,
        event_branch: None,
        min_permission: None,
        enforced: false,
        approvals: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_allowed_copy_puts_the_artifact_into_the_release() {
    let app = releaser_app().await;
    policies::add(
        &app.state.db,
        app.state.audit_key(),
        &gantry_server::domain::Actor::user("test", None),
        allow_contents_write(),
    )
    .await
    .unwrap();
    let log = open_issue(&app).await;
    assert!(log.contains("from dist (3000 bytes)"), "{log}");
    let assets = assets(&app, &log).await;
    assert_eq!(assets.len(), 1, "{assets:?}");
    assert_eq!(assets[0]["name"], "dist.zip");
    assert_eq!(assets[0]["size"], 3000, "the artifact's bytes, all of them");
    // GitHub answers the download with a redirect to its storage, another origin:
    // Gantry followed it, without its token.
    let fetched = app.sim.storage_requests();
    assert_eq!(fetched.len(), 1, "{fetched:?}");
    assert!(
        !fetched[0].authorization,
        "the token went to the storage origin"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_artifact_is_reported_clearly() {
    let app = releaser_app().await;
    policies::add(
        &app.state.db,
        app.state.audit_key(),
        &gantry_server::domain::Actor::user("test", None),
        allow_contents_write(),
    )
    .await
    .unwrap();
    const REPO: &str = "Codertocat/Hello-World";
    for run in app.sim_get(REPO, "/actions/runs").await["workflow_runs"]
        .as_array()
        .unwrap()
    {
        let id = run["id"].as_u64().unwrap();
        let listed = app
            .sim_get(REPO, &format!("/actions/runs/{id}/artifacts"))
            .await;
        for artifact in listed["artifacts"].as_array().unwrap() {
            let id = artifact["id"].as_u64().unwrap();
            assert!(app.sim.expire_artifact("Codertocat", "Hello-World", id));
        }
    }
    let log = open_issue(&app).await;
    assert!(
        log.contains("410") && log.contains("Artifact has expired"),
        "{log}"
    );
    assert!(app.sim.storage_requests().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_ask_the_release_waits_for_approval_and_nothing_is_written() {
    let app = releaser_app().await;
    let log = open_issue(&app).await;
    // contents:write asks by default: the release itself is held.
    assert!(log.contains("release: held for approval "), "{log}");
    let body: Value = app
        .api(Method::GET, "/approvals?status=pending")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["approvals"].as_array().unwrap().len(), 1);
    assert_eq!(app.sim.write_count(), 0);
}
