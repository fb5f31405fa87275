//! The job queue: one job at a time per pull request (J4), replay of processed and
//! dead-lettered deliveries.
use std::time::Duration;

use gantry_server::db::entities::plugin_runs::Model as Run;
use gantry_server::db::jobs::{self, Replay};
use serde_json::json;

use crate::helpers::{delivery_id, pull_request, spawn_app, wait_until, AppOptions, Plugins};
use gantry_simulator::{Fault, FaultKind};

fn interval(run: &Run) -> (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>) {
    (
        run.started_at,
        run.started_at + chrono::Duration::milliseconds(run.duration_ms),
    )
}

fn overlap(a: &Run, b: &Run) -> bool {
    let ((a0, a1), (b0, b1)) = (interval(a), interval(b));
    a0 < b1 && b0 < a1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_events_for_the_same_pull_request_are_processed_one_after_the_other() {
    let app = spawn_app(AppOptions {
        plugins: Plugins::Named(&["sleeper"]),
        configs: vec![("sleeper", json!({"sleep_ms": 400}))],
        workers: 4,
        ..AppOptions::default()
    })
    .await;
    let (same_a, same_b, other_a, other_b) =
        (delivery_id(), delivery_id(), delivery_id(), delivery_id());
    // Two events for PR 7, 10 ms apart; and, as a control, two for PRs 8 and 9.
    app.post_webhook("pull_request", &same_a, &pull_request(7, "opened"))
        .await;
    tokio::time::sleep(Duration::from_millis(10)).await;
    app.post_webhook("pull_request", &same_b, &pull_request(7, "labeled"))
        .await;
    app.post_webhook("pull_request", &other_a, &pull_request(8, "opened"))
        .await;
    app.post_webhook("pull_request", &other_b, &pull_request(9, "opened"))
        .await;
    app.wait_for_idle_queue(Duration::from_secs(20)).await;
    let run = |runs: Vec<Run>| runs.into_iter().next().expect("one run");
    let (a, b) = (
        run(app.runs_of(&same_a).await),
        run(app.runs_of(&same_b).await),
    );
    assert!(
        !overlap(&a, &b),
        "runs for the same PR interleaved: {a:?} {b:?}"
    );
    assert!(
        interval(&a).1 <= interval(&b).0,
        "the earlier event must run first"
    );
    // The control shows the workers do run in parallel, so the check above can fail.
    let (c, d) = (
        run(app.runs_of(&other_a).await),
        run(app.runs_of(&other_b).await),
    );
    assert!(
        overlap(&c, &d),
        "different PRs should run in parallel: {c:?} {d:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replaying_a_processed_delivery_runs_its_plugins_again_as_a_new_generation() {
    let app = spawn_app(AppOptions::default()).await;
    let id = delivery_id();
    app.post_webhook("pull_request", &id, &pull_request(2, "opened"))
        .await;
    app.wait_for_idle_queue(Duration::from_secs(20)).await;
    let comments = || {
        app.sim
            .issue_comments("Codertocat", "Hello-World", 2)
            .unwrap()
    };
    assert_eq!(comments().len(), 1);

    let delivery = gantry_server::db::deliveries::find_by_delivery_id(&app.state.db, &id)
        .await
        .unwrap()
        .unwrap();
    let replay = jobs::replay(&app.state.db, delivery.id).await.unwrap();
    assert!(
        matches!(replay, Replay::NewJob { generation: 1, .. }),
        "{replay:?}"
    );
    // A second replay while the first is pending changes nothing.
    let again = jobs::replay(&app.state.db, delivery.id).await.unwrap();
    assert!(
        matches!(again, Replay::AlreadyPending { .. })
            || matches!(again, Replay::NewJob { generation: 2, .. }),
        "{again:?}"
    );
    app.state.wake_workers();
    app.wait_for_idle_queue(Duration::from_secs(20)).await;
    let after = comments();
    let expected = if matches!(again, Replay::AlreadyPending { .. }) {
        2
    } else {
        3
    };
    assert_eq!(after.len(), expected, "{after:?}");
    // Each generation's comment carries its own idempotency key.
    let keys: std::collections::HashSet<_> = after
        .iter()
        .filter_map(|c| c.split("key=").nth(1))
        .collect();
    assert_eq!(keys.len(), expected);
}

const COMMENTS: &str = "/repos/*/*/issues/*/comments";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_comment_created_before_a_502_is_found_by_the_retry_and_not_posted_twice() {
    let app = spawn_app(AppOptions::default()).await;
    app.sim.inject(Fault {
        method: Some("POST".into()),
        path: COMMENTS.into(),
        kind: FaultKind::StatusAfterApply(502),
        times: Some(1),
    });
    let id = delivery_id();
    app.post_webhook("pull_request", &id, &pull_request(2, "opened"))
        .await;
    wait_until(Duration::from_secs(20), "the retried job to finish", || {
        let app = &app;
        let id = id.clone();
        async move { app.runs_of(&id).await.iter().any(|r| r.outcome == "ok") }
    })
    .await;
    let runs = app.runs_of(&id).await;
    assert_eq!(
        runs.iter().map(|r| r.outcome.as_str()).collect::<Vec<_>>(),
        ["retry", "ok"]
    );
    assert_eq!(
        app.sim
            .issue_comments("Codertocat", "Hello-World", 2)
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        app.sim
            .request_count("POST", "/repos/Codertocat/Hello-World/issues/2/comments"),
        1,
        "no second POST"
    );
    assert!(
        app.sim
            .request_count("GET", "/repos/Codertocat/Hello-World/issues/2/comments")
            >= 1,
        "the retry looked first"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_that_keeps_failing_backs_off_with_jitter_is_dead_lettered_and_replays_once() {
    let app = spawn_app(AppOptions::default()).await;
    app.sim.inject(Fault {
        method: Some("POST".into()),
        path: COMMENTS.into(),
        kind: FaultKind::Status(502),
        times: None,
    });
    let id = delivery_id();
    app.post_webhook("pull_request", &id, &pull_request(2, "opened"))
        .await;
    let db = app.state.db.clone();
    let delivery = gantry_server::db::deliveries::find_by_delivery_id(&db, &id)
        .await
        .unwrap()
        .unwrap();
    wait_until(
        Duration::from_secs(30),
        "the job to be dead-lettered",
        || {
            let db = db.clone();
            async move { jobs::for_delivery(&db, delivery.id).await.unwrap()[0].status == "dead" }
        },
    )
    .await;
    let job = &jobs::for_delivery(&db, delivery.id).await.unwrap()[0];
    assert_eq!(job.attempts, app.state.settings.worker.max_attempts);
    assert!(
        job.last_error.as_deref().unwrap_or("").contains("502"),
        "{:?}",
        job.last_error
    );
    // Attempts were spaced by at least half of base * 2^(n-1) (equal jitter).
    let times = app
        .sim
        .request_times("POST", "/repos/Codertocat/Hello-World/issues/2/comments");
    assert_eq!(times.len() as i32, job.attempts);
    let base = Duration::from_millis(app.state.settings.worker.retry_base_ms);
    for (n, pair) in times.windows(2).enumerate() {
        let nominal = base * (1 << n);
        assert!(
            pair[1] - pair[0] >= nominal / 2,
            "gap {n} was {:?}, nominal {nominal:?}",
            pair[1] - pair[0]
        );
    }
    assert!(app
        .sim
        .issue_comments("Codertocat", "Hello-World", 2)
        .unwrap()
        .is_empty());

    // Fixed upstream: replaying the dead job succeeds, once.
    app.sim.clear_faults();
    assert!(matches!(
        jobs::replay(&db, delivery.id).await.unwrap(),
        Replay::Requeued { .. }
    ));
    app.state.wake_workers();
    app.wait_for_idle_queue(Duration::from_secs(20)).await;
    assert_eq!(
        jobs::for_delivery(&db, delivery.id).await.unwrap()[0].status,
        "done"
    );
    assert_eq!(
        app.sim
            .issue_comments("Codertocat", "Hello-World", 2)
            .unwrap()
            .len(),
        1
    );
}

/// Issue 16 item 3: a label added before a later write of the same run failed is
/// answered from its idempotency record when the job runs again, not sent twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_label_added_before_a_502_is_not_added_again_by_the_retry() {
    let config = serde_json::json!({ "rules": [
        { "on": "pull_request.opened", "add_labels": ["triaged"], "comment": "Thanks!" }
    ]});
    let app = spawn_app(AppOptions {
        configs: vec![("hooks", config)],
        ..AppOptions::default()
    })
    .await;
    app.sim.inject(Fault {
        method: Some("POST".into()),
        path: COMMENTS.into(),
        kind: FaultKind::Status(502),
        times: Some(1),
    });
    let id = delivery_id();
    app.post_webhook("pull_request", &id, &pull_request(2, "opened"))
        .await;
    wait_until(Duration::from_secs(20), "the retried job to finish", || {
        let app = &app;
        let id = id.clone();
        async move { app.runs_of(&id).await.iter().any(|r| r.outcome == "ok") }
    })
    .await;
    let runs = app.runs_of(&id).await;
    assert_eq!(
        runs.iter().map(|r| r.outcome.as_str()).collect::<Vec<_>>(),
        ["retry", "ok"]
    );
    assert_eq!(
        app.sim
            .request_count("POST", "/repos/Codertocat/Hello-World/issues/2/labels"),
        1,
        "the retry answered the label from its record"
    );
    assert!(app
        .sim
        .issue_labels("Codertocat", "Hello-World", 2)
        .unwrap()
        .contains(&"triaged".to_owned()));
}
