//! Webhook trust between tenants (security review H1): a repository's owner decides
//! which scoped secrets apply, never the body's own `organization` field; installation
//! events need a global secret; and an installation id seen for one owner cannot
//! speak for another owner's repositories.
use std::time::Duration;

use gantry_server::domain::{Secret, SecretScope};
use gantry_server::secrets::webhook as secrets;
use serde_json::{json, Value};

use crate::helpers::{
    corpus_payload, delivery_id, spawn_app, AppOptions, Plugins, TestApp, TEST_KEY,
};

fn no_plugins() -> AppOptions {
    AppOptions {
        plugins: Plugins::None,
        ..AppOptions::default()
    }
}

async fn add(app: &TestApp, scope: &str, value: &str) {
    let scope = SecretScope::parse(scope).unwrap();
    secrets::add(
        &app.state.db,
        Some(&Secret::new(TEST_KEY)),
        &scope,
        None,
        value,
    )
    .await
    .unwrap();
}

/// Posts `body` as `event` signed with `secret`; returns the status and error code.
async fn post(app: &TestApp, event: &str, body: &Value, secret: &str) -> (u16, String) {
    let bytes = serde_json::to_vec(body).unwrap();
    let response = app.post_signed(event, &delivery_id(), &bytes, secret).await;
    let status = response.status().as_u16();
    let answer: Value = response.json().await.unwrap_or_default();
    (
        status,
        answer["error"].as_str().unwrap_or_default().to_owned(),
    )
}

fn corpus(relative: &str) -> Value {
    serde_json::from_slice(&corpus_payload(relative)).unwrap()
}

/// The corpus `issues.opened` (Codertocat/Hello-World) claiming to come from the
/// organisation `evil`.
fn issue_claiming_org(org: &str) -> Value {
    let mut body = corpus("issues/opened.payload.json");
    body["organization"] = json!({ "login": org });
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_event_signed_with_another_tenants_secret_is_refused() {
    let app = spawn_app(no_plugins()).await;
    add(&app, "org:evil", "evil-secret-that-is-long-enough-32b").await;
    // The victim has no scoped secrets yet: the global secret decides for it, and a
    // body naming `organization: evil` does not make evil's secret apply.
    assert_eq!(
        post(
            &app,
            "issues",
            &issue_claiming_org("evil"),
            "evil-secret-that-is-long-enough-32b"
        )
        .await,
        (401, "wrong_secret_scope".into())
    );
    // With secrets of its own, the victim's organisation decides.
    add(
        &app,
        "org:codertocat",
        "victim-secret-that-is-long-enough-32",
    )
    .await;
    assert_eq!(
        post(
            &app,
            "issues",
            &issue_claiming_org("evil"),
            "evil-secret-that-is-long-enough-32b"
        )
        .await,
        (401, "wrong_secret_scope".into())
    );
    assert_eq!(app.delivery_count().await, 0, "nothing was stored");
    // The victim's own secret still works, whatever `organization` says.
    assert_eq!(
        post(
            &app,
            "issues",
            &issue_claiming_org("evil"),
            "victim-secret-that-is-long-enough-32"
        )
        .await
        .0,
        202
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn installation_event_signed_with_a_repository_secret_is_refused() {
    let app = spawn_app(no_plugins()).await;
    add(&app, "repo:evil/x", "evil-repo-secret-that-is-long-enough").await;
    // Codertocat's installation 16598467, claimed by a body that names evil/x.
    let mut suspend = corpus("installation/suspend.payload.json");
    suspend["repository"] = json!({ "name": "x", "owner": { "login": "evil" } });
    assert_eq!(
        post(
            &app,
            "installation",
            &suspend,
            "evil-repo-secret-that-is-long-enough"
        )
        .await,
        (401, "wrong_secret_scope".into())
    );
    let mut removed = corpus("installation_repositories/removed.payload.json");
    removed["repository"] = json!({ "name": "x", "owner": { "login": "evil" } });
    assert_eq!(
        post(
            &app,
            "installation_repositories",
            &removed,
            "evil-repo-secret-that-is-long-enough"
        )
        .await,
        (401, "wrong_secret_scope".into())
    );
    assert_eq!(app.delivery_count().await, 0, "nothing was stored");
    assert!(
        gantry_server::db::installations::find(&app.state.db, 16_598_467)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn installation_id_of_another_owner_is_refused() {
    let app = spawn_app(no_plugins()).await;
    // GitHub tells Gantry (with the global secret) about Codertocat's installation.
    let created = corpus("installation/created.payload.json");
    assert_eq!(
        post(&app, "installation", &created, crate::helpers::SECRET)
            .await
            .0,
        202
    );
    app.wait_for_idle_queue(Duration::from_secs(30)).await;
    assert!(
        gantry_server::db::installations::find(&app.state.db, 957_387)
            .await
            .unwrap()
            .is_some()
    );
    let before = app.delivery_count().await;

    // evil signs, for its own repository, an event naming Codertocat's installation.
    add(&app, "org:evil", "evil-secret-that-is-long-enough-32b").await;
    let mut forged = corpus("issues/opened.payload.json");
    forged["repository"]["owner"]["login"] = "evil".into();
    forged["repository"]["full_name"] = "evil/Hello-World".into();
    forged["installation"] = json!({ "id": 957_387 });
    assert_eq!(
        post(
            &app,
            "issues",
            &forged,
            "evil-secret-that-is-long-enough-32b"
        )
        .await,
        (401, "installation_mismatch".into())
    );
    assert_eq!(app.delivery_count().await, before, "nothing was stored");

    // The same installation for its own account's repository is fine.
    let mut genuine = corpus("issues/opened.payload.json");
    genuine["installation"] = json!({ "id": 957_387 });
    assert_eq!(
        post(&app, "issues", &genuine, crate::helpers::SECRET)
            .await
            .0,
        202
    );
}

fn replay_window_on(settings: &mut gantry_server::config::Settings) {
    settings.webhook.replay_window_secs = 3600;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_body_replayed_under_a_new_delivery_id_runs_once() {
    let app = spawn_app(AppOptions {
        tweak: Some(replay_window_on),
        ..AppOptions::default()
    })
    .await;
    let body = corpus_payload("issues/opened.payload.json");
    let first = app.post_webhook("issues", &delivery_id(), &body).await;
    assert_eq!(first.status(), 202);
    assert_eq!(first.json::<Value>().await.unwrap()["duplicate"], false);
    // Someone who saw the delivery (GitHub's "Recent deliveries", a proxy log)
    // sends the same signed body again with an id of their own.
    let replayed = app.post_webhook("issues", &delivery_id(), &body).await;
    assert_eq!(replayed.status(), 202);
    assert_eq!(replayed.json::<Value>().await.unwrap()["duplicate"], true);
    app.wait_for_idle_queue(Duration::from_secs(30)).await;
    assert_eq!(app.delivery_count().await, 1);
    assert_eq!(app.job_count().await, 1, "the plugins ran once");
    // GitHub's own redelivery keeps its id and is a duplicate as before; another
    // body is a new delivery.
    let mut other: Value = serde_json::from_slice(&body).unwrap();
    other["issue"]["number"] = 2.into();
    let other = serde_json::to_vec(&other).unwrap();
    let answer = app.post_webhook("issues", &delivery_id(), &other).await;
    assert_eq!(answer.json::<Value>().await.unwrap()["duplicate"], false);
    assert_eq!(app.delivery_count().await, 2);
}
