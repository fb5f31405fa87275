//! Missed-delivery recovery against the simulator's App delivery log: deliveries the
//! log marks failed, or that Gantry answered but never stored, are asked for again
//! once and processed once with two replicas sweeping; deliveries refused with 503
//! while the database could not be written are redelivered by the sweep once it can;
//! the first sweep asks for nothing made before it.
use std::time::Duration;

use gantry_server::config::Settings;
use gantry_server::startup::{Application, Extras};
use gantry_simulator::NewHookDelivery;
use serde_json::Value;

use crate::faults::WriteLock;
use crate::github_app::{as_app, install_app, APP_ID, INSTALLATION};
use crate::helpers::{corpus_payload, delivery_id, spawn_app, wait_until, AppOptions, TestApp};

/// Gantry as the App, sweeping every second with no grace period.
fn sweeping_app(settings: &mut Settings) {
    as_app(settings);
    settings.recovery.enabled = true;
    settings.recovery.interval_secs = 1;
    settings.recovery.grace_secs = 0;
}

/// An app as [`sweeping_app`], the simulator knowing the App, its installation, and
/// sending the App's deliveries to Gantry; returns once the first sweep ran.
async fn app(tweak: fn(&mut Settings)) -> TestApp {
    let app = spawn_app(AppOptions {
        tweak: Some(tweak),
        ..AppOptions::default()
    })
    .await;
    install_app(&app, "test-only-app.public.pem");
    app.sim.set_hook_target(
        format!("{}/webhooks/github", app.address),
        crate::helpers::SECRET,
    );
    wait_until(Duration::from_secs(20), "the first sweep", || async {
        app.state
            .metrics
            .recovery_sweeps
            .with_label_values(&["done"])
            .get()
            >= 1
    })
    .await;
    app
}

/// The corpus `issues.opened` for issue `number`, from the installation.
fn opened(number: u64) -> Value {
    let mut payload: Value =
        serde_json::from_slice(&corpus_payload("issues/opened.payload.json")).unwrap();
    payload["issue"]["number"] = number.into();
    payload["installation"] = serde_json::json!({ "id": INSTALLATION });
    payload
}

/// A log entry for issue `number`'s delivery `guid` that got `status_code`.
fn logged(app: &TestApp, guid: &str, number: u64, status_code: u16) -> u64 {
    app.sim
        .record_hook_delivery(NewHookDelivery {
            app_id: APP_ID,
            guid: guid.to_owned(),
            event: "issues".into(),
            payload: opened(number),
            status_code,
        })
        .id
}

/// The GUID of the logged attempt `id`.
fn guid_of(app: &TestApp, id: u64) -> String {
    app.sim
        .hook_deliveries()
        .into_iter()
        .find(|d| d.id == id)
        .map(|d| d.guid)
        .unwrap()
}

/// How often labels were added to issue `number`: once per processing.
fn label_calls(app: &TestApp, number: u64) -> u64 {
    app.sim.request_count(
        "POST",
        &format!("/repos/Codertocat/Hello-World/issues/{number}/labels"),
    )
}

fn labels(app: &TestApp, number: u64) -> Vec<String> {
    app.sim
        .issue_labels("Codertocat", "Hello-World", number)
        .unwrap_or_default()
}

/// A second replica on the same database and simulator, sweeping too.
async fn second_replica(first: &TestApp) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut settings: Settings = (*first.state.settings).clone();
    settings.data_dir = dir.path().to_path_buf();
    settings.server.listen = "127.0.0.1:0".into();
    settings.plugins.dir = dir.path().join("no-plugins-here");
    let app = Application::build(
        settings,
        Extras {
            // The simulator learns issues from the deliveries either replica runs.
            observer: Some(std::sync::Arc::new(first.sim.clone())),
            sandbox: false,
            plugins: None,
        },
    )
    .await
    .unwrap();
    tokio::spawn(app.run_until_stopped());
    dir
}

async fn redelivery_audits(app: &TestApp) -> Vec<gantry_server::db::entities::audit_log::Model> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    gantry_server::db::entities::audit_log::Entity::find()
        .filter(
            gantry_server::db::entities::audit_log::Column::Action
                .eq("delivery.redelivery_requested"),
        )
        .all(&app.state.db)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_and_never_stored_deliveries_are_redelivered_once_and_processed_once_across_two_replicas(
) {
    let app = app(sweeping_app).await;
    let _replica = second_replica(&app).await;
    // One Gantry stored; one that failed twice; one answered by something that
    // never stored it (a proxy); one that could not connect.
    let stored = delivery_id();
    let sent = app
        .sim
        .deliver_hook(APP_ID, "issues", &stored, &opened(10))
        .await
        .unwrap();
    assert_eq!(sent.status_code, 202, "{sent:?}");
    let (failed, proxied, unreachable) = (delivery_id(), delivery_id(), delivery_id());
    logged(&app, &failed, 11, 502);
    logged(&app, &failed, 11, 503);
    logged(&app, &proxied, 12, 200);
    logged(&app, &unreachable, 13, 0);

    wait_until(Duration::from_secs(30), "three redeliveries", || async {
        [11, 12, 13]
            .iter()
            .all(|n| labels(&app, *n).contains(&"needs-triage".to_owned()))
    })
    .await;
    // Several more sweeps of both replicas ask for nothing more.
    tokio::time::sleep(Duration::from_secs(4)).await;
    app.wait_for_idle_queue(Duration::from_secs(30)).await;

    let asked = app.sim.hook_redeliveries_asked();
    let mut asked_for: Vec<String> = asked.iter().map(|id| guid_of(&app, *id)).collect();
    asked_for.sort_unstable();
    let mut missing = vec![failed.clone(), proxied.clone(), unreachable.clone()];
    missing.sort_unstable();
    assert_eq!(asked_for, missing, "each missing event asked for once");
    assert!(!asked.contains(&sent.id), "the stored one is left alone");
    assert_eq!(app.delivery_count().await, 4, "each delivery stored once");
    for number in [10, 11, 12, 13] {
        assert_eq!(
            label_calls(&app, number),
            1,
            "issue {number} processed once"
        );
    }
    let redelivered: Vec<_> = app
        .sim
        .hook_deliveries()
        .into_iter()
        .filter(|d| d.redelivery)
        .collect();
    assert_eq!(redelivered.len(), 3, "{redelivered:?}");
    assert!(
        redelivered.iter().all(|d| d.status_code == 202),
        "{redelivered:?}"
    );

    let audits = redelivery_audits(&app).await;
    let mut audited: Vec<&str> = audits
        .iter()
        .map(|a| a.delivery_id.as_deref().unwrap())
        .collect();
    audited.sort_unstable();
    let mut guids = vec![failed.as_str(), proxied.as_str(), unreachable.as_str()];
    guids.sort_unstable();
    assert_eq!(audited, guids);
    assert!(audits
        .iter()
        .all(|a| a.actor_kind == "system" && a.outcome.as_deref() == Some("asked")));

    // Admins see them on the dashboard, arrived; a viewer may not look.
    use gantry_server::auth::Role;
    let admin = app.sign_in(Some(Role::Admin)).await;
    let page = app
        .as_user(&admin, reqwest::Method::GET, "/dashboard/recovered")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    for guid in &missing {
        assert!(page.contains(guid.as_str()), "{guid} not listed: {page}");
    }
    assert!(
        !page.contains(stored.as_str()),
        "the stored one is not listed"
    );
    let viewer = app.sign_in(Some(Role::Viewer)).await;
    let refused = app
        .as_user(&viewer, reqwest::Method::GET, "/dashboard/recovered")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_refused_while_the_database_could_not_be_written_are_redelivered_once_it_can() {
    let app = app(|s| {
        sweeping_app(s);
        s.webhook.deadline_ms = 1_000;
        // Asks made while the lock holds (a second apart here) are refused too.
        s.recovery.max_attempts = 100;
    })
    .await;
    // While nothing can be written, deliveries wait out the deadline (503), until the
    // storage breaker opens; the last is refused at once and never stored.
    let lock = WriteLock::take(&app).await;
    let threshold = gantry_server::services::storage_breaker::StorageBreaker::THRESHOLD;
    let mut sent = Vec::new();
    for n in 0..=u64::from(threshold) {
        let guid = delivery_id();
        let refused = app
            .sim
            .deliver_hook(APP_ID, "issues", &guid, &opened(20 + n))
            .await
            .unwrap();
        assert_eq!(refused.status_code, 503, "{refused:?}");
        sent.push((guid, 20 + n));
    }
    let (never_stored, _) = sent.last().cloned().unwrap();
    lock.release().await;

    wait_until(
        Duration::from_secs(60),
        "every delivery processed",
        || async { sent.iter().all(|(_, n)| label_calls(&app, *n) >= 1) },
    )
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    app.wait_for_idle_queue(Duration::from_secs(30)).await;
    // The one never stored was asked for until it arrived; nothing else of ours
    // needed asking beyond that, and each was stored and processed once.
    let asked_for: Vec<String> = app
        .sim
        .hook_redeliveries_asked()
        .iter()
        .map(|id| guid_of(&app, *id))
        .collect();
    assert!(asked_for.contains(&never_stored), "{asked_for:?}");
    assert!(
        asked_for.iter().all(|g| sent.iter().any(|(s, _)| s == g)),
        "{asked_for:?}"
    );
    assert_eq!(app.delivery_count().await, sent.len() as u64);
    for (_, n) in &sent {
        assert_eq!(label_calls(&app, *n), 1, "issue {n} processed once");
    }
    assert!(
        app.metric("gantry_deliveries_redelivered_total").await >= 1.0,
        "counted"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_sweep_asks_for_nothing_made_before_it() {
    let app = spawn_app(AppOptions {
        tweak: Some(sweeping_app),
        ..AppOptions::default()
    })
    .await;
    install_app(&app, "test-only-app.public.pem");
    // Failed before Gantry ever swept: another bot's business, or before Gantry ran.
    logged(&app, &delivery_id(), 31, 502);
    wait_until(Duration::from_secs(20), "two sweeps", || async {
        app.state
            .metrics
            .recovery_sweeps
            .with_label_values(&["done"])
            .get()
            >= 2
    })
    .await;
    assert!(app.sim.hook_redeliveries_asked().is_empty());
    assert_eq!(app.delivery_count().await, 0);
}
