//! What `/metrics` tells an operator after real work: queue depth and age,
//! approvals waiting, policy decisions by effect, GitHub answers by status, job
//! durations; and the exposition passes `promtool check metrics` (Debian's
//! prometheus package, installed by `./dev setup`).
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::helpers::{corpus_payload, delivery_id, spawn_app, AppOptions};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_describe_the_work_done_and_pass_promtool() {
    let app = spawn_app(AppOptions::default()).await;
    assert_eq!(
        app.post_webhook(
            "issues",
            &delivery_id(),
            &corpus_payload("issues/opened.payload.json")
        )
        .await
        .status(),
        202
    );
    app.wait_for_idle_queue(Duration::from_secs(30)).await;

    assert!(
        app.metric(r#"gantry_policy_decisions_total{effect="allow"}"#)
            .await
            >= 1.0,
        "the label write was decided"
    );
    assert!(
        app.metric(r#"gantry_github_calls_total{status="2xx"}"#)
            .await
            >= 1.0,
        "GitHub answered"
    );
    assert!(app.metric("gantry_job_seconds_count").await >= 1.0);
    assert_eq!(app.metric("gantry_jobs_queued").await, 0.0);
    assert_eq!(app.metric("gantry_jobs_running").await, 0.0);
    assert_eq!(
        app.metric("gantry_jobs_oldest_queued_age_seconds").await,
        0.0
    );
    assert_eq!(app.metric("gantry_approvals_waiting").await, 0.0);

    let text = app
        .http
        .get(format!("{}/metrics", app.address))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut promtool = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect(
            "promtool (Debian's prometheus package) must be installed: ./dev setup installs it",
        );
    promtool
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = promtool.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiting_job_shows_in_the_queue_gauges() {
    let app = spawn_app(AppOptions {
        workers: 0,
        ..AppOptions::default()
    })
    .await;
    assert_eq!(
        app.post_webhook(
            "issues",
            &delivery_id(),
            &corpus_payload("issues/opened.payload.json")
        )
        .await
        .status(),
        202
    );
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    assert_eq!(app.metric("gantry_jobs_queued").await, 1.0);
    assert!(app.metric("gantry_jobs_oldest_queued_age_seconds").await >= 1.0);
}
