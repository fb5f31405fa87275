//! Many jobs in flight (issue 19 item 3): with the simulator answering every call
//! late, jobs waiting on GitHub do not hold each other up; one installation has at
//! most `worker.per_installation` of them running; jobs of one issue still run one
//! at a time, in order; and a stopped app finishes the jobs it holds.
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use futures::StreamExt;
use gantry_server::db::entities::plugin_runs::Model as Run;
use gantry_server::Settings;
use gantry_simulator::Latency;
use serde_json::json;

use crate::helpers::{
    corpus_payload, delivery_id, pull_request, spawn_app, wait_until, AppOptions, Plugins, TestApp,
};

/// The corpus `issues.opened` for issue `number` of `owner/Hello-World`.
fn issue_opened(owner: &str, number: u64) -> Vec<u8> {
    let mut payload: serde_json::Value =
        serde_json::from_slice(&corpus_payload("issues/opened.payload.json")).unwrap();
    payload["issue"]["number"] = number.into();
    payload["repository"]["owner"]["login"] = owner.into();
    payload["repository"]["full_name"] = format!("{owner}/Hello-World").into();
    if owner != "Codertocat" {
        payload["repository"]["id"] = 9_000_001.into();
        payload["repository"]["owner"]["id"] = 9_000_002.into();
    }
    serde_json::to_vec(&payload).unwrap()
}

/// Posts `issues.opened` for each `(owner, number)`, 16 at a time; returns the
/// delivery ids in the same order.
async fn open_issues(app: &TestApp, issues: &[(&str, u64)]) -> Vec<String> {
    futures::stream::iter(issues.iter().map(|&(owner, number)| async move {
        let id = delivery_id();
        app.post_webhook("issues", &id, &issue_opened(owner, number))
            .await;
        id
    }))
    .buffered(16)
    .collect()
    .await
}

fn interval(run: &Run) -> (DateTime<Utc>, DateTime<Utc>) {
    (
        run.started_at,
        run.started_at + chrono::Duration::milliseconds(run.duration_ms),
    )
}

/// The most runs that were running at one moment.
fn peak_overlap(runs: &[Run]) -> usize {
    let mut edges: Vec<(DateTime<Utc>, i32)> = runs
        .iter()
        .flat_map(|r| {
            let (start, end) = interval(r);
            [(start, 1), (end, -1)]
        })
        .collect();
    // At equal times an end comes before a start: touching runs do not overlap.
    edges.sort();
    let (mut now, mut peak) = (0_i32, 0_i32);
    for (_, step) in edges {
        now += step;
        peak = peak.max(now);
    }
    usize::try_from(peak).unwrap_or(0)
}

async fn runs_of_all(app: &TestApp, deliveries: &[String]) -> Vec<Run> {
    let mut runs = Vec::new();
    for id in deliveries {
        runs.extend(app.runs_of(id).await);
    }
    runs
}

fn labelled(app: &TestApp, owner: &str, number: u64) -> bool {
    app.sim
        .issue_labels(owner, "Hello-World", number)
        .is_some_and(|labels| labels.iter().any(|l| l == "needs-triage"))
}

fn labels_posted(app: &TestApp, owner: &str, number: u64) -> u64 {
    app.sim.request_count(
        "POST",
        &format!("/repos/{owner}/Hello-World/issues/{number}/labels"),
    )
}

/// Room for every call the tests put in flight (the test token is one client).
fn roomy(settings: &mut Settings) {
    settings.github.max_concurrent_calls = 64;
}

fn three_per_installation(settings: &mut Settings) {
    roomy(settings);
    settings.worker.per_installation = 3;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_jobs_waiting_on_a_slow_github_are_in_flight_together() {
    let app = spawn_app(AppOptions {
        workers: 64,
        tweak: Some(roomy),
        ..AppOptions::default()
    })
    .await;
    let delay = Duration::from_millis(300);
    app.sim.set_latency(Latency::everywhere(300));
    let issues: Vec<(&str, u64)> = (1..=50).map(|n| ("Codertocat", n)).collect();
    let started = Instant::now();
    let deliveries = open_issues(&app, &issues).await;
    wait_until(Duration::from_secs(60), "every issue labelled", || {
        let app = &app;
        async move { (1..=50).all(|n| labelled(app, "Codertocat", n)) }
    })
    .await;
    let took = started.elapsed();
    // One at a time, 50 label calls alone would take 15 s.
    assert!(
        took < delay * 50 / 3,
        "50 jobs of one 300 ms call each took {took:?}"
    );
    app.wait_for_idle_queue(Duration::from_secs(20)).await;
    let runs = runs_of_all(&app, &deliveries).await;
    assert_eq!(runs.len(), 50, "one run per job: {runs:?}");
    assert!(runs.iter().all(|r| r.outcome == "ok"), "{runs:?}");
    let peak = peak_overlap(&runs);
    assert!(peak >= 10, "at most {peak} jobs ran at once");
    for n in 1..=50 {
        assert_eq!(labels_posted(&app, "Codertocat", n), 1, "issue {n}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_installation_has_at_most_its_bound_of_jobs_running_and_another_is_not_held_up() {
    let app = spawn_app(AppOptions {
        workers: 32,
        tweak: Some(three_per_installation),
        ..AppOptions::default()
    })
    .await;
    app.sim.set_latency(Latency::everywhere(300));
    let issues: Vec<(&str, u64)> = (1..=12)
        .flat_map(|n| [("Codertocat", n), ("Octo-Org", n)])
        .collect();
    let deliveries = open_issues(&app, &issues).await;
    app.wait_for_idle_queue(Duration::from_secs(60)).await;
    let runs_of_owner = |owner: &str| {
        let ids: Vec<String> = issues
            .iter()
            .zip(&deliveries)
            .filter(|((o, _), _)| *o == owner)
            .map(|(_, id)| id.clone())
            .collect();
        let app = &app;
        async move { runs_of_all(app, &ids).await }
    };
    let (a, b) = (
        runs_of_owner("Codertocat").await,
        runs_of_owner("Octo-Org").await,
    );
    assert_eq!((a.len(), b.len()), (12, 12));
    assert!(a.iter().chain(&b).all(|r| r.outcome == "ok"));
    let (peak_a, peak_b) = (peak_overlap(&a), peak_overlap(&b));
    assert!(
        peak_a <= 3 && peak_b <= 3,
        "per installation at most 3: {peak_a} and {peak_b}"
    );
    assert!(
        peak_a >= 2 && peak_b >= 2,
        "each installation's jobs ran side by side: {peak_a} and {peak_b}"
    );
    let all: Vec<Run> = a.iter().chain(&b).cloned().collect();
    assert!(
        peak_overlap(&all) > 3,
        "the two installations ran at the same time"
    );
    for n in 1..=12 {
        assert_eq!(labels_posted(&app, "Codertocat", n), 1);
        assert_eq!(labels_posted(&app, "Octo-Org", n), 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn events_of_one_pull_request_run_one_at_a_time_in_order_among_many_in_flight() {
    let app = spawn_app(AppOptions {
        plugins: Plugins::Named(&["sleeper"]),
        configs: vec![("sleeper", json!({"sleep_ms": 100}))],
        workers: 32,
        tweak: Some(roomy),
        ..AppOptions::default()
    })
    .await;
    let actions = [
        "opened",
        "edited",
        "labeled",
        "unlabeled",
        "reopened",
        "edited",
    ];
    let mut same = Vec::new();
    let mut others = Vec::new();
    for (n, action) in actions.iter().enumerate() {
        let id = delivery_id();
        app.post_webhook("pull_request", &id, &pull_request(7, action))
            .await;
        same.push(id);
        let other = delivery_id();
        let number = 100 + u64::try_from(n).unwrap();
        app.post_webhook("pull_request", &other, &pull_request(number, "opened"))
            .await;
        others.push(other);
    }
    app.wait_for_idle_queue(Duration::from_secs(30)).await;
    let mut previous_end: Option<DateTime<Utc>> = None;
    for id in &same {
        let runs = app.runs_of(id).await;
        assert_eq!(runs.len(), 1, "{runs:?}");
        let (start, end) = interval(&runs[0]);
        if let Some(previous) = previous_end {
            assert!(
                previous <= start,
                "a later event of PR 7 started before the earlier one ended"
            );
        }
        previous_end = Some(end);
    }
    // The control: the other pull requests' jobs did run side by side.
    let peak = peak_overlap(&runs_of_all(&app, &others).await);
    assert!(peak >= 2, "other pull requests ran one at a time: {peak}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stopped_app_finishes_every_job_it_holds_and_none_runs_twice() {
    let app = spawn_app(AppOptions {
        workers: 32,
        tweak: Some(roomy),
        ..AppOptions::default()
    })
    .await;
    app.sim.set_latency(Latency::everywhere(800));
    let issues: Vec<(&str, u64)> = (1..=10).map(|n| ("Codertocat", n)).collect();
    let deliveries = open_issues(&app, &issues).await;
    let db = app.state.db.clone();
    wait_until(Duration::from_secs(20), "every job leased", || {
        let db = db.clone();
        async move {
            let (queued, running) = gantry_server::db::jobs::pending_counts(&db).await.unwrap();
            queued == 0 && running == 10
        }
    })
    .await;
    // The jobs are waiting on GitHub; stopping the app waits for them.
    let app = app.restart().await;
    app.sim.clear_latencies();
    for n in 1..=10 {
        assert!(labelled(&app, "Codertocat", n), "issue {n}");
    }
    app.wait_for_idle_queue(Duration::from_secs(20)).await;
    let runs = runs_of_all(&app, &deliveries).await;
    assert_eq!(runs.len(), 10, "each job ran once: {runs:?}");
    for n in 1..=10 {
        assert_eq!(labels_posted(&app, "Codertocat", n), 1, "issue {n}");
    }
}
