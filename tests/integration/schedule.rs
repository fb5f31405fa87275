//! Scheduled ticks (`services::schedule`) through the real `ticker` fixture: a
//! plugin subscribed to `gantry_schedule.tick` gets one delivery per interval for
//! each repository it is enabled on by name, none for a `*` enablement, and a
//! webhook cannot pose as a tick.
use std::time::Duration;

use gantry_server::config::Settings;
use gantry_server::db::kv::{self, KvScope};
use reqwest::Method;

use crate::helpers::{delivery_id, spawn_app, wait_until, AppOptions, Plugins, TestApp};

fn tick_every_second(settings: &mut Settings) {
    settings.schedule.interval_secs = 1;
}

async fn ticks(app: &TestApp, project: &str) -> u64 {
    let scope = KvScope {
        plugin: "ticker",
        project,
    };
    kv::get(&app.state.db, scope, "ticks")
        .await
        .unwrap()
        .map_or(0, |v| serde_json::from_slice(&v).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_enabled_on_a_repository_gets_a_tick_per_interval_there() {
    let app = spawn_app(AppOptions {
        plugins: Plugins::Named(&["ticker"]),
        tweak: Some(tick_every_second),
        ..AppOptions::default()
    })
    .await;
    // Enabled for `*` only: no repository is named, so no ticks.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert_eq!(app.delivery_count().await, 0);

    let enable = app
        .api(Method::POST, "/plugins/ticker/enable")
        .json(&serde_json::json!({ "project": "octo-org/tools" }))
        .send()
        .await
        .unwrap();
    assert_eq!(enable.status(), 200);
    let db = app.state.db.clone();
    wait_until(Duration::from_secs(10), "two ticks", || {
        let db = db.clone();
        async move {
            let value = kv::get(
                &db,
                KvScope {
                    plugin: "ticker",
                    project: "octo-org/tools",
                },
                "ticks",
            )
            .await
            .unwrap();
            value.is_some_and(|v| serde_json::from_slice::<u64>(&v).unwrap() >= 2)
        }
    })
    .await;
    assert!(ticks(&app, "octo-org/tools").await >= 2);
    // One delivery per slot and repository, whatever number of workers tick.
    let deliveries = gantry_server::db::deliveries::list(&app.state.db, None, 100, None)
        .await
        .unwrap();
    let ids: std::collections::HashSet<_> =
        deliveries.iter().map(|d| d.delivery_id.clone()).collect();
    assert_eq!(ids.len(), deliveries.len());
    assert!(deliveries.iter().all(|d| d
        .delivery_id
        .starts_with("gantry-schedule:octo-org/tools:")
        && d.event == "gantry_schedule"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_cannot_pose_as_a_scheduled_tick() {
    let app = spawn_app(AppOptions {
        plugins: Plugins::Named(&["ticker"]),
        ..AppOptions::default()
    })
    .await;
    let body = serde_json::json!({ "action": "tick", "repository": { "name": "r", "full_name": "o/r", "owner": { "login": "o" } } });
    let posed = app
        .post_webhook(
            "gantry_schedule",
            "gantry-schedule:o/r:1",
            &serde_json::to_vec(&body).unwrap(),
        )
        .await;
    assert_eq!(posed.status(), 400);
    // Under its own delivery id it is stored but not recognised, so nothing runs.
    let id = delivery_id();
    assert_eq!(
        app.post_webhook("gantry_schedule", &id, &serde_json::to_vec(&body).unwrap())
            .await
            .status(),
        202
    );
    app.wait_for_idle_queue(Duration::from_secs(10)).await;
    assert!(app.runs_of(&id).await.is_empty());
    assert_eq!(ticks(&app, "o/r").await, 0);
}
