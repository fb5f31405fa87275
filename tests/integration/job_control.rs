//! Job control (issue 24 item 4): a queued job cancelled through the API never runs;
//! a running one stops at its plugin's next host call and ends `cancelled`, whether
//! the cancel is asked in the process running it (the API, the dashboard) or in
//! another (the CLI, another replica: its worker finds the ask when it renews the
//! lease); every cancel is audited; a cancelled delivery can be replayed.
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{json, Value};

use gantry_server::auth::Role;
use gantry_server::db::jobs::Cancel;
use gantry_server::domain::Actor;
use gantry_server::services::deliveries;
use gantry_server::Settings;

use crate::helpers::{
    corpus_payload, delivery_id, spawn_app, wait_until, AppOptions, Plugins, TestApp,
};

const LABELS: &str = "/repos/Codertocat/Hello-World/issues/1/labels";

/// The sleeper sleeps `ms`, then labels issue 1 `after-sleep` (a host call).
async fn sleeper_app(ms: u64, tweak: Option<fn(&mut Settings)>) -> TestApp {
    spawn_app(AppOptions {
        plugins: Plugins::Named(&["sleeper"]),
        configs: vec![(
            "sleeper",
            json!({"sleep_ms": ms, "then_label": "after-sleep"}),
        )],
        tweak,
        ..AppOptions::default()
    })
    .await
}

/// Posts a comment on issue 1; returns its delivery id.
async fn comment(app: &TestApp) -> String {
    let id = delivery_id();
    let body = corpus_payload("issue_comment/created.payload.json");
    assert_eq!(
        app.post_webhook("issue_comment", &id, &body).await.status(),
        202
    );
    id
}

/// The status of the delivery's latest job.
async fn status(app: &TestApp, delivery: &str) -> String {
    let db = &app.state.db;
    let d = gantry_server::db::deliveries::find_by_delivery_id(db, delivery)
        .await
        .unwrap()
        .unwrap();
    let jobs = gantry_server::db::jobs::for_delivery(db, d.id)
        .await
        .unwrap();
    jobs.last().unwrap().status.clone()
}

async fn wait_for_status(app: &TestApp, delivery: &str, want: &str, within: Duration) {
    wait_until(within, &format!("the job to be {want}"), || async move {
        status(app, delivery).await == want
    })
    .await;
}

fn labels_posted(app: &TestApp) -> u64 {
    app.sim.request_count("POST", LABELS)
}

async fn cancels(app: &TestApp) -> Vec<gantry_server::db::entities::audit_log::Model> {
    gantry_server::db::audit::with_action(&app.state.db, "job.cancelled")
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cancelling_a_running_job_stops_it_at_its_next_host_call() {
    let app = sleeper_app(1_500, None).await;
    // Uncancelled, the sleeper labels the issue after its sleep.
    let control = comment(&app).await;
    app.wait_for_idle_queue(Duration::from_secs(30)).await;
    assert_eq!(status(&app, &control).await, "done");
    assert_eq!(
        labels_posted(&app),
        1,
        "the sleeper labels when not cancelled"
    );

    let id = comment(&app).await;
    wait_for_status(&app, &id, "running", Duration::from_secs(10)).await;
    // Well inside the sleep, so the next host call is the label.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let asked = Instant::now();
    let answer = app
        .api(Method::POST, &format!("/deliveries/{id}/cancel"))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 202);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["cancel"], "stopping", "{body}");
    wait_for_status(&app, &id, "cancelled", Duration::from_secs(10)).await;
    // Stopped as the sleep ended, not after a lease renewal (60 s).
    assert!(
        asked.elapsed() < Duration::from_secs(5),
        "{:?}",
        asked.elapsed()
    );
    assert_eq!(
        labels_posted(&app),
        1,
        "the label after the cancel was never sent"
    );
    let runs = app.runs_of(&id).await;
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0].outcome, "cancelled", "{runs:?}");
    // Cancelling is not crashing.
    let states = gantry_server::db::plugin_states::all(&app.state.db)
        .await
        .unwrap();
    // (A plugin has a state row once it has crashed.)
    let crashes = states.get("sleeper").map_or(0, |s| s.consecutive_crashes);
    assert_eq!(crashes, 0, "{states:?}");
    let audited = cancels(&app).await;
    assert_eq!(audited.len(), 1);
    assert_eq!(audited[0].outcome.as_deref(), Some("stopping"));
    assert_eq!(audited[0].delivery_id.as_deref(), Some(id.as_str()));
    // Nothing left to cancel now.
    let again: Value = app
        .api(Method::POST, &format!("/deliveries/{id}/cancel"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(again["cancel"], "nothing_pending", "{again}");
    assert_eq!(again["status"], "cancelled", "{again}");
}

fn short_lease(settings: &mut Settings) {
    settings.worker.lease_secs = 3;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_cancel_asked_by_another_process_stops_the_job_when_its_lease_is_renewed() {
    // Renewals every second; the sleep outlasts two of them.
    let app = sleeper_app(2_500, Some(short_lease)).await;
    let id = comment(&app).await;
    wait_for_status(&app, &id, "running", Duration::from_secs(10)).await;
    // As the CLI does: straight against the database, no signal in this process.
    let cancel = deliveries::cancel(
        &app.state.db,
        app.state.audit_key(),
        &Actor::cli(),
        &id,
        None,
    )
    .await
    .unwrap();
    assert!(matches!(cancel, Cancel::Stopping { .. }), "{cancel:?}");
    wait_for_status(&app, &id, "cancelled", Duration::from_secs(15)).await;
    assert_eq!(labels_posted(&app), 0);
    let runs = app.runs_of(&id).await;
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0].outcome, "cancelled");
    let audited = cancels(&app).await;
    assert_eq!(audited.len(), 1);
    assert_eq!(
        (
            audited[0].actor.as_str(),
            audited[0].outcome.as_deref().unwrap_or_default()
        ),
        ("cli", "stopping")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_cancelled_queued_job_never_runs_and_the_next_of_its_target_does() {
    // One worker: the first comment's job holds it while the others queue behind
    // it (same issue, so in order).
    let app = spawn_app(AppOptions {
        plugins: Plugins::Named(&["sleeper"]),
        configs: vec![(
            "sleeper",
            json!({"sleep_ms": 800, "then_label": "after-sleep"}),
        )],
        workers: 1,
        ..AppOptions::default()
    })
    .await;
    let first = comment(&app).await;
    wait_for_status(&app, &first, "running", Duration::from_secs(10)).await;
    let second = comment(&app).await;
    let third = comment(&app).await;
    let session = {
        app.create_user("maya", Some(Role::Maintainer)).await;
        app.sign_in_as("maya").await
    };
    // The delivery page offers the button while the job is queued.
    let page = app
        .as_user(
            &session,
            Method::GET,
            &format!("/dashboard/deliveries/{second}"),
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Cancel job"), "{page}");
    let answer = app
        .as_user(
            &session,
            Method::POST,
            &format!("/dashboard/deliveries/{second}/cancel"),
        )
        .form(&[("csrf", session.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 303);
    assert_eq!(status(&app, &second).await, "cancelled");
    app.wait_for_idle_queue(Duration::from_secs(30)).await;
    assert_eq!(status(&app, &first).await, "done");
    assert_eq!(
        status(&app, &third).await,
        "done",
        "a cancelled job does not block its target"
    );
    assert!(
        app.runs_of(&second).await.is_empty(),
        "the cancelled job never ran"
    );
    assert_eq!(labels_posted(&app), 2);
    let audited = cancels(&app).await;
    assert_eq!(audited.len(), 1);
    assert_eq!(
        (
            audited[0].actor.as_str(),
            audited[0].outcome.as_deref().unwrap_or_default()
        ),
        ("maya", "cancelled")
    );
    // Replaying the cancelled delivery runs it after all.
    let replay: Value = app
        .api(Method::POST, &format!("/deliveries/{second}/replay"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(replay["replay"], "requeued", "{replay}");
    app.wait_for_idle_queue(Duration::from_secs(30)).await;
    assert_eq!(status(&app, &second).await, "done");
    assert_eq!(labels_posted(&app), 3);
}

#[tokio::test]
async fn only_maintainers_and_admins_cancel_and_an_unknown_delivery_is_404() {
    let app = sleeper_app(10, None).await;
    let id = comment(&app).await;
    app.wait_for_idle_queue(Duration::from_secs(30)).await;
    let viewer = app.sign_in(Some(Role::Viewer)).await;
    let refused = app
        .as_user(
            &viewer,
            Method::POST,
            &format!("/dashboard/deliveries/{id}/cancel"),
        )
        .form(&[("csrf", viewer.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    let missing = app
        .api(Method::POST, "/deliveries/no-such-id/cancel")
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(
        missing.json::<Value>().await.unwrap()["error"],
        "delivery_not_found"
    );
    assert!(
        cancels(&app).await.is_empty(),
        "a refused cancel is not recorded as one"
    );
}
