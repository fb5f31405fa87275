//! Gantry as a GitHub App against the simulator (TESTPLAN G6): the RS256 JWT with
//! `iat` backdated 60 s and a 10-minute life, the installation token exchange, the
//! token used for the plugin's API call, reused, and renewed near its expiry; and
//! wrong credentials ending in a clear, dead-lettered error instead of a loop.
use std::path::PathBuf;
use std::time::Duration;

use gantry_server::config::Settings;
use gantry_simulator::{NewApp, NewInstallation};

use crate::helpers::{corpus_payload, delivery_id, spawn_app, AppOptions, TestApp};

pub const APP_ID: u64 = 4242;
pub const INSTALLATION: u64 = 77;

pub fn key(name: &str) -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../simulator/tests/api/keys"
    ))
    .join(name)
}

/// Gantry authenticates as App 4242 with the test key; no personal token.
pub fn as_app(settings: &mut Settings) {
    settings.github.token = None;
    settings.github.app_id = Some(APP_ID);
    settings.github.private_key_file = Some(key("test-only-app.private.pem"));
}

/// A simulator that knows the App (with `public_key`) installed on Codertocat and
/// accepts only tokens it issued.
async fn app_with_key(public_key: &str) -> TestApp {
    let app = spawn_app(AppOptions {
        tweak: Some(as_app),
        ..AppOptions::default()
    })
    .await;
    install_app(&app, public_key);
    app
}

/// Registers App 4242 (with `public_key`) in `app`'s simulator, installed on
/// Codertocat, accepting only tokens it issued.
pub fn install_app(app: &TestApp, public_key: &str) {
    let pem = std::fs::read_to_string(key(public_key)).unwrap();
    app.sim.register_app(&NewApp::new(APP_ID, &pem)).unwrap();
    assert!(app
        .sim
        .add_installation(&NewInstallation::new(INSTALLATION, APP_ID, "Codertocat")));
    app.sim.set_token_checking(true);
}

/// Delivers the corpus `issues.opened` for issue `number` from the installation.
async fn open_issue(app: &TestApp, number: u64) -> String {
    let mut payload: serde_json::Value =
        serde_json::from_slice(&corpus_payload("issues/opened.payload.json")).unwrap();
    payload["issue"]["number"] = number.into();
    payload["installation"] = serde_json::json!({ "id": INSTALLATION });
    let id = delivery_id();
    assert_eq!(
        app.post_webhook("issues", &id, &serde_json::to_vec(&payload).unwrap())
            .await
            .status(),
        202
    );
    app.wait_for_idle_queue(Duration::from_secs(30)).await;
    id
}

fn labels(app: &TestApp, number: u64) -> Vec<String> {
    app.sim
        .issue_labels("Codertocat", "Hello-World", number)
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_flow_signs_a_proper_jwt_reuses_its_token_and_renews_it_near_expiry() {
    let app = app_with_key("test-only-app.public.pem").await;
    // Tokens that live four minutes are inside the five-minute renewal margin.
    app.sim.set_token_lifetime(Duration::from_secs(240));
    open_issue(&app, 1).await;
    assert!(
        labels(&app, 1).contains(&"needs-triage".to_owned()),
        "the plugin call went through on the installation token"
    );
    assert_eq!(app.sim.token_requests(INSTALLATION), 1);
    open_issue(&app, 2).await;
    assert_eq!(
        app.sim.token_requests(INSTALLATION),
        2,
        "a token near expiry is renewed"
    );

    app.sim.set_token_lifetime(Duration::from_secs(3600));
    open_issue(&app, 3).await;
    assert_eq!(app.sim.token_requests(INSTALLATION), 3);
    open_issue(&app, 4).await;
    open_issue(&app, 5).await;
    assert_eq!(
        app.sim.token_requests(INSTALLATION),
        3,
        "a fresh token is reused"
    );
    assert!(labels(&app, 5).contains(&"needs-triage".to_owned()));
    let left = app
        .metric(&format!(
            "gantry_github_rate_limit_remaining{{installation=\"{INSTALLATION}\"}}"
        ))
        .await;
    assert!(
        left > 0.0 && left < 5000.0,
        "the rate limit left is exported: {left}"
    );

    let jwts = app.sim.app_jwts();
    assert_eq!(jwts.len(), 3);
    for jwt in &jwts {
        assert!(jwt.accepted, "{jwt:?}");
        assert_eq!(jwt.alg.as_deref(), Some("RS256"));
        assert_eq!(jwt.iss, Some(APP_ID));
        let (iat, exp) = (jwt.iat.unwrap(), jwt.exp.unwrap());
        assert!(
            (59..=62).contains(&(jwt.received_at - iat)),
            "iat backdated 60 s: {jwt:?}"
        );
        assert!(
            exp - iat <= 600 && exp > jwt.received_at,
            "exp at most 10 minutes: {jwt:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_app_key_is_a_clear_dead_lettered_error_not_a_retry_loop() {
    // GitHub knows the App by another key than the one Gantry signs with.
    let app = app_with_key("test-only-other.public.pem").await;
    let id = open_issue(&app, 1).await;
    assert!(!labels(&app, 1).contains(&"needs-triage".to_owned()));
    let delivery = gantry_server::db::deliveries::find_by_delivery_id(&app.state.db, &id)
        .await
        .unwrap()
        .unwrap();
    let job = gantry_server::db::jobs::for_delivery(&app.state.db, delivery.id)
        .await
        .unwrap()
        .pop()
        .unwrap();
    assert_eq!(job.status, "dead");
    assert_eq!(job.attempts, 1, "no retry loop");
    let error = job.last_error.unwrap_or_default();
    assert!(
        error.contains("refused the App's credentials") && error.contains("github.private_key"),
        "{error}"
    );
    assert_eq!(
        app.sim.token_requests(INSTALLATION),
        1,
        "one refused attempt, not a loop"
    );
    let jwts = app.sim.app_jwts();
    assert!(
        !jwts.is_empty() && jwts.iter().all(|j| !j.accepted),
        "{jwts:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_github_revokes_early_is_replaced_and_the_job_retried_with_the_new_one() {
    let app = app_with_key("test-only-app.public.pem").await;
    open_issue(&app, 1).await;
    assert_eq!(app.sim.token_requests(INSTALLATION), 1);
    // GitHub revokes the cached hour-long token: the next call gets 401.
    assert_eq!(app.sim.revoke_tokens(INSTALLATION), 1);
    let id = open_issue(&app, 2).await;
    assert!(
        labels(&app, 2).contains(&"needs-triage".to_owned()),
        "the retry used a new token"
    );
    assert_eq!(
        app.sim.token_requests(INSTALLATION),
        2,
        "one new token, not one per call"
    );
    let delivery = gantry_server::db::deliveries::find_by_delivery_id(&app.state.db, &id)
        .await
        .unwrap()
        .unwrap();
    let job = gantry_server::db::jobs::for_delivery(&app.state.db, delivery.id)
        .await
        .unwrap()
        .pop()
        .unwrap();
    assert_eq!(
        (job.status.as_str(), job.attempts),
        ("done", 2),
        "the refused attempt, then the one on the new token"
    );
    // The new token stays cached.
    open_issue(&app, 3).await;
    assert_eq!(app.sim.token_requests(INSTALLATION), 2);
}

/// Delivers the corpus `issues.opened` for `owner/Hello-World` from the installation.
async fn open_issue_on(app: &TestApp, owner: &str) -> String {
    let mut payload: serde_json::Value =
        serde_json::from_slice(&corpus_payload("issues/opened.payload.json")).unwrap();
    payload["repository"]["owner"]["login"] = owner.into();
    payload["repository"]["full_name"] = format!("{owner}/Hello-World").into();
    payload["repository"]["id"] = 9_999_999.into();
    payload["installation"] = serde_json::json!({ "id": INSTALLATION });
    let id = delivery_id();
    let body = serde_json::to_vec(&payload).unwrap();
    assert_eq!(app.post_webhook("issues", &id, &body).await.status(), 202);
    app.wait_for_idle_queue(Duration::from_secs(30)).await;
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn installation_id_of_another_owner_gets_no_token_for_the_repository() {
    let app = app_with_key("test-only-app.public.pem").await;
    // Codertocat's installation works for Codertocat/Hello-World.
    open_issue(&app, 1).await;
    assert!(labels(&app, 1).contains(&"needs-triage".to_owned()));
    // An event for evil/Hello-World naming Codertocat's installation (Gantry has not
    // seen that installation's own events): GitHub hands out a token for the
    // same-named repository of Codertocat, which does not bind it to evil's.
    let id = open_issue_on(&app, "evil").await;
    assert!(!app
        .sim
        .issue_labels("evil", "Hello-World", 1)
        .unwrap_or_default()
        .contains(&"needs-triage".to_owned()));
    let delivery = gantry_server::db::deliveries::find_by_delivery_id(&app.state.db, &id)
        .await
        .unwrap()
        .unwrap();
    let job = gantry_server::db::jobs::for_delivery(&app.state.db, delivery.id)
        .await
        .unwrap()
        .pop()
        .unwrap();
    assert_eq!((job.status.as_str(), job.attempts), ("dead", 1));
    let error = job.last_error.unwrap_or_default();
    assert!(error.contains("does not cover evil/Hello-World"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn installation_tokens_reach_only_the_event_repository() {
    let app = app_with_key("test-only-app.public.pem").await;
    open_issue(&app, 1).await;
    // Another repository of the same installation.
    let mut other: serde_json::Value =
        serde_json::from_slice(&corpus_payload("issues/opened.payload.json")).unwrap();
    other["repository"]["name"] = "Other".into();
    other["repository"]["full_name"] = "Codertocat/Other".into();
    other["repository"]["id"] = 4242_4242.into();
    app.sim.learn("issues", &other);
    let gantry_server::github::GitHubAccess::App(installations) = &app.state.github else {
        panic!("Gantry runs as an App here");
    };
    let repo = gantry_server::domain::RepoRef {
        owner: "Codertocat".into(),
        name: "Hello-World".into(),
    };
    let token = installations
        .client(INSTALLATION, Some(&repo))
        .await
        .unwrap()
        .git_token()
        .unwrap();
    assert_eq!(
        app.sim.token_requests(INSTALLATION),
        1,
        "the event's token, cached"
    );
    let get = |repo: &str| {
        app.http
            .get(app.sim_repo_url(repo, ""))
            .header("authorization", format!("token {}", token.expose()))
            .send()
    };
    assert_eq!(get("Codertocat/Hello-World").await.unwrap().status(), 200);
    assert_eq!(
        get("Codertocat/Other").await.unwrap().status(),
        404,
        "the token was requested for the event's repository only"
    );
}
