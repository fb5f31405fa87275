//! Routing in the manifest (`[[routes]]` with `paths` and `branches`), through the
//! real `router` fixture, which declares only routes: `docs/**` (and `guides/**`)
//! for `pull_request.opened`, and `main` or `release/*` for `pull_request.reopened`
//! and `push`. The host filters before instantiating the plugin, reading a pull
//! request's files from the simulator once per delivery, and records why the plugin
//! did not run with the delivery. Install refuses a route with an invalid glob.
use std::time::Duration;

use gantry_simulator::PullFile;
use reqwest::Method;
use serde_json::Value;

use crate::helpers::{
    built_wasm, corpus_payload, delivery_id, spawn_app, AppOptions, Plugins, TestApp,
};

const OWNER: &str = "Codertocat";
const NAME: &str = "Hello-World";
/// The corpus pull request's number.
const PULL: u64 = 2;

async fn router_app() -> TestApp {
    spawn_app(AppOptions {
        plugins: Plugins::Named(&["router"]),
        ..AppOptions::default()
    })
    .await
}

/// The corpus `pull_request` payload with `action`, on base branch `base`.
fn pull(action: &str, base: &str) -> Value {
    let mut v: Value =
        serde_json::from_slice(&corpus_payload("pull_request/opened.payload.json")).unwrap();
    v["action"] = action.into();
    v["pull_request"]["base"]["ref"] = base.into();
    v
}

/// The corpus push (with an installation) to `git_ref`.
fn push(git_ref: &str) -> Value {
    let mut v: Value =
        serde_json::from_slice(&corpus_payload("push/with-new-branch.payload.json")).unwrap();
    v["ref"] = git_ref.into();
    v
}

async fn deliver(app: &TestApp, event: &str, payload: &Value) -> String {
    let id = delivery_id();
    let status = app
        .post_webhook(event, &id, &serde_json::to_vec(payload).unwrap())
        .await
        .status();
    assert_eq!(status, 202);
    app.wait_for_idle_queue(Duration::from_secs(30)).await;
    id
}

/// Whether the router fixture was instantiated for the delivery (it has a run).
async fn ran(app: &TestApp, id: &str) -> bool {
    app.runs_of(id).await.iter().any(|r| r.plugin == "router")
}

/// Why plugins did not run for the delivery: (subject, reason).
async fn skipped(app: &TestApp, id: &str) -> Vec<(String, String)> {
    gantry_server::services::deliveries::show(&app.state.db, id)
        .await
        .unwrap()
        .jobs
        .into_iter()
        .flat_map(|j| j.skipped)
        .map(|s| (s.subject, s.reason))
        .collect()
}

fn files_path() -> String {
    format!("/repos/{OWNER}/{NAME}/pulls/{PULL}/files")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_with_paths_docs_is_not_instantiated_for_a_pull_request_that_changes_only_src() {
    let app = router_app().await;
    app.sim.learn("pull_request", &pull("opened", "master"));
    let src_only = [
        PullFile::modified("src/main.rs", 3, 1),
        PullFile::modified("src/docs/notes.rs", 1, 0),
    ];
    assert!(app.sim.set_pull_files(OWNER, NAME, PULL, &src_only));
    let id = deliver(&app, "pull_request", &pull("opened", "master")).await;
    assert!(!ran(&app, &id).await, "{:?}", app.runs_of(&id).await);
    let why = skipped(&app, &id).await;
    assert_eq!(why.len(), 1, "{why:?}");
    assert_eq!(why[0].0, "router");
    assert!(why[0].1.starts_with("paths did not match"), "{}", why[0].1);
    // Two routes with paths, one read of the files (one page).
    assert_eq!(app.sim.request_count("GET", &files_path()), 1);

    let with_docs = [
        PullFile::modified("src/main.rs", 3, 1),
        PullFile::modified("docs/x.md", 1, 0),
    ];
    assert!(app.sim.set_pull_files(OWNER, NAME, PULL, &with_docs));
    let id = deliver(&app, "pull_request", &pull("opened", "master")).await;
    assert!(ran(&app, &id).await, "{:?}", skipped(&app, &id).await);
    assert!(skipped(&app, &id).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_with_branches_runs_only_for_pull_requests_on_and_pushes_to_those_branches() {
    let app = router_app().await;
    app.sim.learn("pull_request", &pull("reopened", "master"));

    let id = deliver(&app, "pull_request", &pull("reopened", "master")).await;
    assert!(!ran(&app, &id).await);
    let why = skipped(&app, &id).await;
    assert_eq!(why.len(), 1, "{why:?}");
    assert!(why[0].1.starts_with("branch did not match"), "{}", why[0].1);
    assert!(why[0].1.contains("master"), "{}", why[0].1);
    for base in ["main", "release/2.0"] {
        let id = deliver(&app, "pull_request", &pull("reopened", base)).await;
        assert!(
            ran(&app, &id).await,
            "base {base}: {:?}",
            skipped(&app, &id).await
        );
    }

    let to_feature = deliver(&app, "push", &push("refs/heads/feature/x")).await;
    assert!(!ran(&app, &to_feature).await);
    assert!(skipped(&app, &to_feature).await[0]
        .1
        .starts_with("branch did not match"));
    let tag = deliver(&app, "push", &push("refs/tags/v1.0")).await;
    assert!(!ran(&app, &tag).await, "a tag is on no branch");
    let to_main = deliver(&app, "push", &push("refs/heads/main")).await;
    assert!(ran(&app, &to_main).await);
    // Routes on branches alone never read the files.
    assert_eq!(app.sim.request_count("GET", &files_path()), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn install_refuses_a_route_with_an_invalid_glob() {
    let app = spawn_app(AppOptions {
        plugins: Plugins::None,
        ..AppOptions::default()
    })
    .await;
    let good = built_wasm("test-plugins", "router");
    // The same component with `docs/**` made `docs/[*` (same length, so the custom
    // section stays well formed): an unclosed character class.
    let needle = b"docs/**";
    let mut bad = good.clone();
    let mut replaced = 0;
    for i in 0..bad.len().saturating_sub(needle.len()) {
        if &bad[i..i + needle.len()] == needle {
            bad[i..i + needle.len()].copy_from_slice(b"docs/[*");
            replaced += 1;
        }
    }
    assert!(replaced >= 1);
    let refused = app
        .api(Method::POST, "/plugins")
        .header("content-type", "application/wasm")
        .body(bad)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
    let body: Value = refused.json().await.unwrap();
    let message = body["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("`docs/[*` in `paths` is not a valid glob"),
        "{body}"
    );
    let installed = app
        .api(Method::POST, "/plugins")
        .header("content-type", "application/wasm")
        .body(good)
        .send()
        .await
        .unwrap();
    assert_eq!(installed.status(), 201, "{:?}", installed.text().await);
}
