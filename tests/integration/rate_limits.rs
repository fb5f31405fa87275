//! GitHub slow, limiting or refusing (TESTPLAN G1 to G5), with the simulator's
//! faults on the hooks plugin's label call: waits come from GitHub's own headers
//! and are spent in the job queue, never in a sleeping worker; a permission error
//! is not retried; a hung connection ends at the read timeout and is retried; and
//! calls on one installation wait for a free slot (`github.max_concurrent_calls`).
use std::time::{Duration, Instant};

use gantry_server::config::Settings;
use gantry_simulator::{Fault, FaultKind};

use crate::helpers::{corpus_payload, delivery_id, spawn_app, AppOptions, TestApp};

const LABELS: &str = "/repos/Codertocat/Hello-World/issues/1/labels";

fn fault(kind: FaultKind) -> Fault {
    Fault {
        method: Some("POST".into()),
        path: LABELS.into(),
        kind,
        times: Some(1),
    }
}

/// Delivers the corpus `issues.opened` (hooks labels issue 1) and returns its id.
async fn open_issue(app: &TestApp) -> String {
    let id = delivery_id();
    assert_eq!(
        app.post_webhook("issues", &id, &corpus_payload("issues/opened.payload.json"))
            .await
            .status(),
        202
    );
    id
}

fn labelled(app: &TestApp) -> bool {
    app.sim
        .issue_labels("Codertocat", "Hello-World", 1)
        .unwrap_or_default()
        .contains(&"needs-triage".to_owned())
}

async fn the_job(app: &TestApp, id: &str) -> gantry_server::db::entities::jobs::Model {
    let delivery = gantry_server::db::deliveries::find_by_delivery_id(&app.state.db, id)
        .await
        .unwrap()
        .unwrap();
    gantry_server::db::jobs::for_delivery(&app.state.db, delivery.id)
        .await
        .unwrap()
        .pop()
        .unwrap()
}

/// The gap between the first two label requests.
fn retry_gap(app: &TestApp) -> Duration {
    let times: Vec<Instant> = app.sim.request_times("POST", LABELS);
    assert_eq!(times.len(), 2, "one refused request, then one retry");
    times[1] - times[0]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn g1_a_429_with_retry_after_is_retried_no_sooner_and_the_worker_is_free_meanwhile() {
    let app = spawn_app(AppOptions::default()).await;
    app.sim.inject(fault(FaultKind::RetryAfter(3)));
    let id = open_issue(&app).await;
    app.wait_for_idle_queue(Duration::from_secs(30)).await;
    assert!(labelled(&app));
    assert!(
        retry_gap(&app) >= Duration::from_secs(3),
        "retried after {:?}",
        retry_gap(&app)
    );
    let runs = app.runs_of(&id).await;
    assert!(
        runs.iter().all(|r| r.duration_ms < 1_000),
        "a worker waited inside a run: {runs:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn g2_a_primary_limit_sends_nothing_before_the_reset() {
    let app = spawn_app(AppOptions::default()).await;
    app.sim.inject(fault(FaultKind::PrimaryRateLimit {
        status: 403,
        reset_in_secs: 3,
    }));
    open_issue(&app).await;
    // A second delivery while the limit holds: its call must wait for the reset too.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let again = corpus_payload("issues/opened.payload.json");
    let second = delivery_id();
    assert_eq!(
        app.post_webhook("issues", &second, &again).await.status(),
        202
    );
    app.wait_for_idle_queue(Duration::from_secs(30)).await;
    assert!(labelled(&app));
    let times = app.sim.request_times("POST", LABELS);
    assert!(times.len() >= 2);
    for later in &times[1..] {
        // The reset is in whole seconds: at least two of the three have passed.
        assert!(
            *later - times[0] >= Duration::from_secs(2),
            "a request went {:?} after the limit",
            *later - times[0]
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn g3_a_secondary_limit_without_headers_waits_at_least_a_minute() {
    let app = spawn_app(AppOptions::default()).await;
    app.sim.inject(fault(FaultKind::SecondaryRateLimit));
    let id = open_issue(&app).await;
    let db = app.state.db.clone();
    crate::helpers::wait_until(
        Duration::from_secs(10),
        "the first attempt to finish",
        || {
            let db = db.clone();
            let id = id.clone();
            async move {
                let delivery = gantry_server::db::deliveries::find_by_delivery_id(&db, &id)
                    .await
                    .unwrap()
                    .unwrap();
                gantry_server::db::jobs::for_delivery(&db, delivery.id)
                    .await
                    .unwrap()
                    .iter()
                    .any(|j| j.attempts == 1 && j.status == "queued")
            }
        },
    )
    .await;
    let job = the_job(&app, &id).await;
    let wait = job.run_after - job.updated_at;
    assert!(
        wait >= chrono::Duration::seconds(59),
        "the retry waits only {wait}"
    );
    assert!(job.last_error.unwrap_or_default().contains("rate limited"));
    assert_eq!(app.sim.request_count("POST", LABELS), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn g4_a_permission_403_is_not_retried_and_the_plugin_gets_a_typed_error() {
    let app = spawn_app(AppOptions::default()).await;
    app.sim.inject(fault(FaultKind::Status(403)));
    let id = open_issue(&app).await;
    app.wait_for_idle_queue(Duration::from_secs(30)).await;
    let job = the_job(&app, &id).await;
    assert_eq!((job.status.as_str(), job.attempts), ("done", 1), "no retry");
    assert_eq!(app.sim.request_count("POST", LABELS), 1);
    let run = app.runs_of(&id).await.pop().unwrap();
    assert_eq!(run.outcome, "error");
    assert!(
        run.message.unwrap_or_default().contains("rejected"),
        "the plugin saw a typed refusal"
    );
    assert!(!labelled(&app));
}

fn short_read_timeout(settings: &mut Settings) {
    settings.github.read_timeout_ms = 500;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn g5_a_connection_that_never_answers_fails_at_the_timeout_and_is_retried() {
    let app = spawn_app(AppOptions {
        tweak: Some(short_read_timeout),
        ..AppOptions::default()
    })
    .await;
    app.sim.inject(fault(FaultKind::Hang { secs: 30 }));
    let id = open_issue(&app).await;
    app.wait_for_idle_queue(Duration::from_secs(30)).await;
    assert!(labelled(&app), "the retry succeeded");
    let runs = app.runs_of(&id).await;
    let first = runs.iter().min_by_key(|r| r.started_at).unwrap();
    assert_eq!(first.outcome, "retry", "{runs:?}");
    assert!(
        first.duration_ms <= 1_500,
        "the hung call took {} ms for a 500 ms timeout",
        first.duration_ms
    );
    assert_eq!(app.sim.request_count("POST", LABELS), 2);
}

fn one_call_at_a_time(settings: &mut Settings) {
    settings.github.max_concurrent_calls = 1;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_on_one_installation_wait_for_a_free_slot() {
    let app = spawn_app(AppOptions {
        tweak: Some(one_call_at_a_time),
        ..AppOptions::default()
    })
    .await;
    app.sim.inject(Fault {
        method: Some("POST".into()),
        path: LABELS.into(),
        kind: FaultKind::Hang { secs: 2 },
        times: Some(1),
    });
    open_issue(&app).await;
    // Issue 2 is another job, on the other worker, needing the same credentials.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut second: serde_json::Value =
        serde_json::from_slice(&corpus_payload("issues/opened.payload.json")).unwrap();
    second["issue"]["number"] = 2.into();
    assert_eq!(
        app.post_webhook(
            "issues",
            &delivery_id(),
            &serde_json::to_vec(&second).unwrap()
        )
        .await
        .status(),
        202
    );
    app.wait_for_idle_queue(Duration::from_secs(30)).await;
    let hung = app.sim.request_times("POST", LABELS)[0];
    let waited = app
        .sim
        .request_times("POST", "/repos/Codertocat/Hello-World/issues/2/labels")[0];
    assert!(
        waited - hung >= Duration::from_millis(1_900),
        "the second call went {:?} after the first, while it held the only slot",
        waited - hung
    );
}
