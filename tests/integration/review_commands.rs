//! Comment commands read from pull request reviews (`pull_request_review.submitted`,
//! the review's body) and review line comments (`pull_request_review_comment.created`),
//! signed corpus deliveries routed by the host exactly as issue comments are: the
//! `asker` fixture's `/poke` (triage and up), the host's `/help` replying on the pull
//! request's conversation, and the bundled `commands` plugin's `pull_requests_only`
//! `/lgtm`. Edited line comments and edited reviews do not run a command that does
//! not opt in (`edited = true`; see `edited_commands`).
use std::time::Duration;

use gantry_server::db::kv::{self, KvScope};
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{
    built_wasm, corpus_payload, delivery_id, spawn_app, AppOptions, Plugins, TestApp,
};

const REPO: &str = "Codertocat/Hello-World";
/// The pull request of the corpus review payloads.
const PULL: u64 = 2;

/// The corpus review (`pull_request_review`) or line comment
/// (`pull_request_review_comment`) payload of `action`, by `user` with `body`.
fn review_payload(event: &str, action: &str, user: &str, body: &str) -> Vec<u8> {
    let (file, field) = match (event, action) {
        ("pull_request_review", _) => (
            "pull_request_review/submitted.with-organization.payload.json",
            "review",
        ),
        (_, "edited") => ("pull_request_review_comment/edited.payload.json", "comment"),
        _ => (
            "pull_request_review_comment/created.payload.json",
            "comment",
        ),
    };
    let mut v: Value = serde_json::from_slice(&corpus_payload(file)).unwrap();
    v["action"] = action.into();
    v[field]["body"] = body.into();
    v[field]["user"]["login"] = user.into();
    v["sender"] = v[field]["user"].clone();
    serde_json::to_vec(&v).unwrap()
}

/// Sends one review delivery and waits for its job; returns the delivery id.
async fn review(app: &TestApp, event: &str, action: &str, user: &str, body: &str) -> String {
    let id = delivery_id();
    let status = app
        .post_webhook(event, &id, &review_payload(event, action, user, body))
        .await
        .status();
    assert_eq!(status, 202);
    app.wait_for_idle_queue(Duration::from_secs(30)).await;
    id
}

/// The last command the `asker` fixture recorded.
async fn poked(app: &TestApp) -> Option<String> {
    let scope = KvScope {
        plugin: "asker",
        project: REPO,
    };
    kv::get(&app.state.db, scope, "command")
        .await
        .unwrap()
        .map(|v| String::from_utf8(v).unwrap())
}

async fn asker_app() -> TestApp {
    let app = spawn_app(AppOptions {
        plugins: Plugins::Named(&["asker"]),
        ..AppOptions::default()
    })
    .await;
    // The simulator learns the repository and the pull request from a payload.
    app.sim.learn(
        "pull_request_review_comment",
        &serde_json::from_slice(&corpus_payload(
            "pull_request_review_comment/created.payload.json",
        ))
        .unwrap(),
    );
    app
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_in_a_review_body_and_in_a_review_line_comment_reach_their_plugin() {
    let app = asker_app().await;
    app.grant(REPO, "triager", "triage").await;

    let id = review(
        &app,
        "pull_request_review",
        "submitted",
        "triager",
        "Some notes.\n/poke from the review",
    )
    .await;
    assert_eq!(
        poked(&app).await.as_deref(),
        Some("poke from the review by triager as Triage on #2")
    );
    let runs = app.runs_of(&id).await;
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0].plugin, "asker /poke #0");

    let id = review(
        &app,
        "pull_request_review_comment",
        "created",
        "triager",
        "/poke from a line",
    )
    .await;
    assert_eq!(
        poked(&app).await.as_deref(),
        Some("poke from a line by triager as Triage on #2")
    );
    assert_eq!(app.runs_of(&id).await.len(), 1);

    // An edited line comment and an edited review are not read again.
    let edited = review(
        &app,
        "pull_request_review_comment",
        "edited",
        "triager",
        "/poke edited line",
    )
    .await;
    let edited_review = review(
        &app,
        "pull_request_review",
        "edited",
        "triager",
        "/poke edited review",
    )
    .await;
    assert_eq!(
        poked(&app).await.as_deref(),
        Some("poke from a line by triager as Triage on #2"),
        "edits are ignored"
    );
    assert!(app.runs_of(&edited).await.is_empty());
    assert!(app.runs_of(&edited_review).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_review_command_needs_the_same_permission_and_help_replies_on_the_pull_request() {
    let app = asker_app().await;
    app.grant(REPO, "reader", "read").await;
    review(&app, "pull_request_review", "submitted", "reader", "/poke").await;
    assert_eq!(poked(&app).await, None, "read is below triage");
    let refused = gantry_server::db::audit::with_action(&app.state.db, "command.refused")
        .await
        .unwrap();
    assert_eq!(refused.len(), 1);
    review(&app, "pull_request_review", "submitted", "ci[bot]", "/poke").await;
    assert_eq!(poked(&app).await, None, "a bot's review is not read");

    review(
        &app,
        "pull_request_review_comment",
        "created",
        "reader",
        "/help",
    )
    .await;
    let comments = app
        .sim
        .issue_comments("Codertocat", "Hello-World", PULL)
        .unwrap();
    let help: Vec<&String> = comments
        .iter()
        .filter(|c| c.contains("Commands on this repository"))
        .collect();
    assert_eq!(help.len(), 1, "{comments:?}");
    assert!(help[0].contains("/poke"), "{}", help[0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pull_request_only_command_in_a_review_runs_the_commands_plugin() {
    let app = spawn_app(AppOptions {
        plugins: Plugins::None,
        ..AppOptions::default()
    })
    .await;
    let installed = app
        .api(Method::POST, "/plugins")
        .header("content-type", "application/wasm")
        .body(built_wasm("plugins", "commands"))
        .send()
        .await
        .unwrap();
    assert_eq!(installed.status(), 201, "{:?}", installed.text().await);
    let enabled = app
        .api(Method::POST, "/plugins/commands/enable")
        .json(&json!({ "project": "*" }))
        .send()
        .await
        .unwrap();
    assert_eq!(enabled.status(), 200);
    app.sim.learn(
        "pull_request_review",
        &serde_json::from_slice(&corpus_payload(
            "pull_request_review/submitted.with-organization.payload.json",
        ))
        .unwrap(),
    );
    app.grant(REPO, "reviewer", "triage").await;

    let id = review(
        &app,
        "pull_request_review",
        "submitted",
        "reviewer",
        "Looks good to me.\n/lgtm",
    )
    .await;
    let runs: Vec<(String, String)> = app
        .runs_of(&id)
        .await
        .into_iter()
        .map(|r| (r.plugin, r.outcome))
        .collect();
    assert_eq!(runs, [("commands /lgtm #0".to_owned(), "ok".to_owned())]);
    let labels = |issue: Value| -> Vec<String> {
        issue["labels"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let pull = app.sim_get(REPO, &format!("/issues/{PULL}")).await;
    assert!(labels(pull).contains(&"lgtm".to_owned()));

    review(
        &app,
        "pull_request_review_comment",
        "created",
        "reviewer",
        "/lgtm cancel",
    )
    .await;
    let pull = app.sim_get(REPO, &format!("/issues/{PULL}")).await;
    assert!(!labels(pull).contains(&"lgtm".to_owned()));
}
