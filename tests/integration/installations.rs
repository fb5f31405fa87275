//! Installations from GitHub's own `installation` and `installation_repositories`
//! payloads (the corpus): created with their repositories, suspended (its
//! deliveries then make no API call), unsuspended, repositories removed, deleted;
//! listed by the API and audited.
use std::time::Duration;

use reqwest::Method;
use serde_json::Value;

use crate::helpers::{corpus_payload, delivery_id, spawn_app, AppOptions, TestApp};

async fn deliver(app: &TestApp, event: &str, payload: &[u8]) -> String {
    let id = delivery_id();
    assert_eq!(app.post_webhook(event, &id, payload).await.status(), 202);
    app.wait_for_idle_queue(Duration::from_secs(30)).await;
    id
}

async fn installations(app: &TestApp) -> Vec<Value> {
    let body: Value = app
        .api(Method::GET, "/installations")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["installations"].as_array().unwrap().clone()
}

async fn installation(app: &TestApp, id: i64) -> Option<Value> {
    installations(app).await.into_iter().find(|i| i["id"] == id)
}

/// The corpus `issues.opened`, sent by installation `id`.
fn issue_from(id: i64) -> Vec<u8> {
    let mut payload: Value =
        serde_json::from_slice(&corpus_payload("issues/opened.payload.json")).unwrap();
    payload["installation"] = serde_json::json!({ "id": id });
    serde_json::to_vec(&payload).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_suspended_installation_gets_no_api_calls_until_it_is_unsuspended() {
    let app = spawn_app(AppOptions::default()).await;
    deliver(
        &app,
        "installation",
        &corpus_payload("installation/suspend.payload.json"),
    )
    .await;
    let suspended = installation(&app, 16_598_467).await.expect("recorded");
    assert_eq!(suspended["suspended"], true);
    assert_eq!(suspended["account"], "Codertocat");

    let id = deliver(&app, "issues", &issue_from(16_598_467)).await;
    assert_eq!(
        app.sim.write_count(),
        0,
        "no API call for a suspended installation"
    );
    assert!(app.runs_of(&id).await.is_empty(), "no plugin ran");

    deliver(
        &app,
        "installation",
        &corpus_payload("installation/unsuspend.payload.json"),
    )
    .await;
    assert_eq!(
        installation(&app, 16_598_467).await.unwrap()["suspended"],
        false
    );
    deliver(&app, "issues", &issue_from(16_598_467)).await;
    assert!(app
        .sim
        .issue_labels("Codertocat", "Hello-World", 1)
        .unwrap()
        .contains(&"needs-triage".to_owned()));
    let audited = gantry_server::db::audit::with_action(&app.state.db, "installation.suspend")
        .await
        .unwrap();
    assert_eq!(audited.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn installations_keep_their_repositories_and_go_when_deleted() {
    let app = spawn_app(AppOptions::default()).await;
    deliver(
        &app,
        "installation",
        &corpus_payload("installation/created.payload.json"),
    )
    .await;
    let created = installation(&app, 957_387).await.expect("recorded");
    assert_eq!(
        created["repositories"],
        serde_json::json!(["Codertocat/Hello-World"])
    );
    assert_eq!(created["suspended"], false);

    // octocat's installation 2: it loses a repository, then is deleted.
    let mut octocat: Value = serde_json::from_slice(&corpus_payload(
        "installation_repositories/removed.payload.json",
    ))
    .unwrap();
    octocat["repositories_removed"] = serde_json::json!([]);
    octocat["repositories_added"] = serde_json::json!([{ "full_name": "octocat/Spoon-Knife" }, { "full_name": "octocat/Hello-World" }]);
    octocat["action"] = "added".into();
    deliver(
        &app,
        "installation_repositories",
        &serde_json::to_vec(&octocat).unwrap(),
    )
    .await;
    assert_eq!(
        installation(&app, 2).await.unwrap()["repositories"],
        serde_json::json!(["octocat/Spoon-Knife", "octocat/Hello-World"])
    );
    deliver(
        &app,
        "installation_repositories",
        &corpus_payload("installation_repositories/removed.payload.json"),
    )
    .await;
    assert_eq!(
        installation(&app, 2).await.unwrap()["repositories"],
        serde_json::json!(["octocat/Spoon-Knife"])
    );

    deliver(
        &app,
        "installation",
        &corpus_payload("installation/deleted.payload.json"),
    )
    .await;
    assert!(installation(&app, 2).await.is_none());
    assert!(installation(&app, 957_387).await.is_some());
}
