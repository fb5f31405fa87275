//! The operator's edges (security review L6, L15, L2): `/metrics` behind a bearer
//! token when one is set, plugin metric labels kept to a safe alphabet, browser
//! hardening headers on every dashboard answer, and redirects after sign-in that
//! stay on this site.
use gantry_server::domain::Secret;

use crate::helpers::{spawn_app, AppOptions, Plugins};

const METRICS_TOKEN: &str = "a-metrics-scrape-token-for-tests-0123456789";

fn options(tweak: fn(&mut gantry_server::Settings)) -> AppOptions {
    AppOptions {
        plugins: Plugins::None,
        tweak: Some(tweak),
        ..AppOptions::default()
    }
}

fn metrics_token(s: &mut gantry_server::Settings) {
    s.metrics.token = Some(Secret::new(METRICS_TOKEN));
}

#[tokio::test]
async fn metrics_with_a_token_refuse_scrapes_without_it() {
    let app = spawn_app(options(metrics_token)).await;
    let url = format!("{}/metrics", app.address);
    let anonymous = app.http.get(&url).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    assert!(!anonymous.text().await.unwrap().contains("gantry_"));
    let wrong = app
        .http
        .get(&url)
        .bearer_auth("a-metrics-scrape-token-for-tests-012345678X")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let right = app
        .http
        .get(&url)
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), 200);
    assert!(right.text().await.unwrap().contains("gantry_jobs_queued"));
}

#[tokio::test]
async fn plugins_cannot_publish_free_text_through_metric_labels() {
    let app = spawn_app(AppOptions {
        plugins: Plugins::None,
        ..AppOptions::default()
    })
    .await;
    let reported = &app.state.metrics.plugin_reported;
    assert!(reported.add("prober", "runs", "main", 1));
    assert!(reported.add("prober", "runs", "v1.2-rc_3", 1));
    for exfiltrated in [
        "AWS_SECRET=abc",
        "line one\nline two",
        "with space",
        "quote\"d",
        "slash/path",
        "ünïcode",
        &"a".repeat(65),
    ] {
        assert!(
            !reported.add("prober", "runs", exfiltrated, 1),
            "label {exfiltrated:?} was accepted"
        );
        assert!(!reported.set("prober", "level", exfiltrated, 1.0));
    }
}
