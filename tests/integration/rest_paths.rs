//! REST paths built from plugin input (security review M8): a file path or ref with
//! dot segments, in any spelling, is refused by the host as `invalid` before any
//! request leaves, so the plugin cannot step out of the repository the host
//! authorised, whatever GitHub or a proxy does with dot segments.
use gantry_server::services::policies::{self, RuleForm};
use serde_json::{json, Value};

use crate::helpers::{corpus_payload, delivery_id, spawn_app, AppOptions, Plugins, TestApp};

/// The `brancher` fixture putting a file at `path` on the default branch.
async fn brancher_putting(path: &str) -> TestApp {
    let app = spawn_app(AppOptions {
        plugins: Plugins::Named(&["brancher"]),
        configs: vec![("brancher", json!({ "branch": "", "path": path }))],
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
    app
}

async fn brancher_log(app: &TestApp) -> String {
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
    app.runs_of(&id)
        .await
        .into_iter()
        .map(|r| r.log.unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_file_with_dot_segments_into_another_repository_is_invalid_and_sends_nothing() {
    for path in [
        "../../x/contents/y",
        "docs/%2e%2e/%2e%2e/x",
        "a/..%2f..%2fx",
    ] {
        let app = brancher_putting(path).await;
        let log = brancher_log(&app).await;
        assert!(
            log.contains("put (default): HostError::Invalid") && log.contains("dot segment"),
            "{path}: {log}"
        );
        assert_eq!(
            app.sim.write_count(),
            0,
            "{path}: no write reached the simulator"
        );
        let naive = format!("/repos/Codertocat/Hello-World/contents/{path}");
        assert_eq!(app.sim.request_count("PUT", &naive), 0, "{naive}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ordinary_nested_path_is_still_written() {
    let app = brancher_putting("docs/notes v1.0.txt").await;
    let log = brancher_log(&app).await;
    assert!(log.contains("put (default): ok"), "{log}");
}
