//! Webhook secrets by scope: rotation (W2), the most specific scope deciding, and no
//! plaintext at rest (A9 for webhook secrets).
use gantry_server::domain::{Secret, SecretScope};
use gantry_server::secrets::webhook as secrets;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::Value;

use crate::helpers::{
    corpus_payload, delivery_id, spawn_app, AppOptions, Plugins, TestApp, SECRET, TEST_KEY,
};

fn no_plugins() -> AppOptions {
    AppOptions {
        plugins: Plugins::None,
        ..AppOptions::default()
    }
}

async fn add(app: &TestApp, scope: &str, value: &str) -> i64 {
    let scope = SecretScope::parse(scope).unwrap();
    secrets::add(
        &app.state.db,
        Some(&Secret::new(TEST_KEY)),
        &scope,
        None,
        value,
    )
    .await
    .unwrap()
}

/// Posts the corpus `issues.opened` (repository Codertocat/Hello-World) signed with
/// `secret`; returns the status and error code.
async fn post(app: &TestApp, secret: &str) -> (u16, String) {
    let response = app
        .post_signed(
            "issues",
            &delivery_id(),
            &corpus_payload("issues/opened.payload.json"),
            secret,
        )
        .await;
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or_default();
    (
        status,
        body["error"].as_str().unwrap_or_default().to_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn old_and_new_secrets_of_a_scope_are_accepted_and_unknown_or_removed_ones_are_refused() {
    let app = spawn_app(no_plugins()).await;
    let old = add(
        &app,
        "repo:Codertocat/Hello-World",
        "old-secret-padded-to-at-least-32-bytes",
    )
    .await;
    add(
        &app,
        "repo:codertocat/hello-world",
        "new-secret-padded-to-at-least-32-bytes",
    )
    .await;
    assert_eq!(
        post(&app, "old-secret-padded-to-at-least-32-bytes").await.0,
        202
    );
    assert_eq!(
        post(&app, "new-secret-padded-to-at-least-32-bytes").await.0,
        202
    );
    assert_eq!(
        post(&app, "unknown-secret-padded-to-at-least-32-bytes").await,
        (401, "bad_signature".into())
    );
    // The repository has secrets of its own, so the global one no longer applies.
    assert_eq!(post(&app, SECRET).await, (401, "wrong_secret_scope".into()));
    assert!(secrets::remove(&app.state.db, old).await.unwrap());
    assert_eq!(
        post(&app, "old-secret-padded-to-at-least-32-bytes").await,
        (401, "bad_signature".into())
    );
    assert_eq!(
        post(&app, "new-secret-padded-to-at-least-32-bytes").await.0,
        202
    );
    assert_eq!(app.delivery_count().await, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_most_specific_scope_that_has_secrets_decides() {
    let app = spawn_app(no_plugins()).await;
    add(
        &app,
        "org:codertocat",
        "org-secret-padded-to-at-least-32-bytes",
    )
    .await;
    // No repository secrets: the owner's organisation scope decides.
    assert_eq!(
        post(&app, "org-secret-padded-to-at-least-32-bytes").await.0,
        202
    );
    assert_eq!(post(&app, SECRET).await, (401, "wrong_secret_scope".into()));
    // Another owner has no scoped secrets: the global secret decides there, and the
    // organisation's secret does not apply.
    let mut other: Value =
        serde_json::from_slice(&corpus_payload("issues/opened.payload.json")).unwrap();
    other["repository"]["owner"]["login"] = "someone-else".into();
    let body = serde_json::to_vec(&other).unwrap();
    assert_eq!(
        app.post_signed("issues", &delivery_id(), &body, SECRET)
            .await
            .status(),
        202
    );
    assert_eq!(
        app.post_signed(
            "issues",
            &delivery_id(),
            &body,
            "org-secret-padded-to-at-least-32-bytes"
        )
        .await
        .status(),
        401
    );
    // A repository secret outranks the organisation's.
    add(
        &app,
        "repo:codertocat/hello-world",
        "repo-secret-padded-to-at-least-32-bytes",
    )
    .await;
    assert_eq!(
        post(&app, "org-secret-padded-to-at-least-32-bytes").await,
        (401, "wrong_secret_scope".into())
    );
    assert_eq!(
        post(&app, "repo-secret-padded-to-at-least-32-bytes")
            .await
            .0,
        202
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stored_webhook_secrets_appear_nowhere_in_the_database_in_plaintext() {
    let app = spawn_app(no_plugins()).await;
    let plaintext = "very-distinctive-webhook-secret-4711";
    add(&app, "repo:codertocat/hello-world", plaintext).await;
    assert_eq!(
        post(&app, plaintext).await.0,
        202,
        "the stored secret works"
    );
    let db = &app.state.db;
    let hex = plaintext
        .bytes()
        .map(|b| format!("{b:02x}"))
        .collect::<String>();
    match db.get_database_backend() {
        sea_orm::DbBackend::Postgres => {
            for table in ["deliveries", "jobs", "plugin_runs", "webhook_secrets"] {
                let sql =
                    format!("SELECT coalesce(string_agg(t::text, ' '), '') AS dump FROM {table} t");
                let row = db
                    .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
                    .await
                    .unwrap()
                    .unwrap();
                let dump: String = row.try_get("", "dump").unwrap();
                assert!(
                    !dump.contains(plaintext) && !dump.contains(&hex),
                    "plaintext found in {table}"
                );
            }
        }
        _ => {
            for file in ["gantry.db", "gantry.db-wal"] {
                let bytes = std::fs::read(app.dir.path().join(file)).unwrap_or_default();
                assert!(
                    !bytes
                        .windows(plaintext.len())
                        .any(|w| w == plaintext.as_bytes()),
                    "plaintext found in {file}"
                );
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stored_webhook_secret_shorter_than_32_bytes_is_refused_and_nothing_is_stored() {
    let app = spawn_app(no_plugins()).await;
    let err = secrets::add(
        &app.state.db,
        Some(&Secret::new(TEST_KEY)),
        &SecretScope::parse("repo:codertocat/hello-world").unwrap(),
        None,
        "only-31-bytes-long-secret-value",
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("32 to 1024 bytes"), "{err}");
    assert!(secrets::list(&app.state.db).await.unwrap().is_empty());
}
