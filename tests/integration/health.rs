//! Liveness and readiness.
use crate::helpers::{spawn_app, AppOptions, Plugins};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn liveness_and_readiness_answer_ok_when_the_database_is_up() {
    let app = spawn_app(AppOptions {
        plugins: Plugins::None,
        ..AppOptions::default()
    })
    .await;
    for path in ["/health/live", "/health/ready"] {
        let response = app
            .http
            .get(format!("{}{path}", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_answers_503_when_the_database_is_gone() {
    let app = spawn_app(AppOptions {
        plugins: Plugins::None,
        ..AppOptions::default()
    })
    .await;
    app.state.db.clone().close().await.unwrap();
    let response = app
        .http
        .get(format!("{}/health/ready", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    let live = app
        .http
        .get(format!("{}/health/live", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(live.status(), 200);
}
