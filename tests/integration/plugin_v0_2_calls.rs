//! The GitHub calls new in v0.2, through a real plugin built against
//! `plugin-sdk/wit/v0.2` (the `author` fixture) and the simulator: opening and
//! editing an issue, reviewing with a line comment and reading it back, opening a
//! pull request and merging one. A write held by the policy answers `held` (not an error) and runs
//! exactly once on approval; merging is held by the built-in policy even though
//! pull request writes are allowed, and a held merge whose head moved before the
//! approval is refused by GitHub (409) rather than merging something else.
use std::time::Duration;

use gantry_server::db::approvals;
use gantry_server::db::kv::{self, KvScope};
use gantry_server::domain::Actor;
use gantry_server::services::policies::{self, RuleForm};
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{
    corpus_payload, delivery_id, spawn_app, wait_until, AppOptions, Plugins, TestApp,
};

const REPO: &str = "/repos/Codertocat/Hello-World";

async fn author_app() -> TestApp {
    spawn_app(AppOptions {
        plugins: Plugins::Named(&["author"]),
        ..AppOptions::default()
    })
    .await
}

/// What the fixture recorded under `key`.
async fn recorded(app: &TestApp, key: &str) -> Option<String> {
    let scope = KvScope {
        plugin: "author",
        project: "Codertocat/Hello-World",
    };
    kv::get(&app.state.db, scope, key)
        .await
        .unwrap()
        .map(|v| String::from_utf8(v).unwrap())
}

/// Sends a request to the simulator as GitHub's API, with the test token.
async fn github(app: &TestApp, method: Method, path: &str, body: Option<Value>) -> Value {
    let url = format!("{}{path}", app.state.settings.github.api_url);
    let request = app.http.request(method, url).bearer_auth("test-token");
    let request = match body {
        Some(b) => request.json(&b),
        None => request,
    };
    let answer = request.send().await.unwrap();
    assert!(answer.status().is_success(), "{path}: {}", answer.status());
    answer.json().await.unwrap()
}

async fn deliver(app: &TestApp, event: &str, body: &[u8]) {
    assert_eq!(
        app.post_webhook(event, &delivery_id(), body).await.status(),
        202
    );
    app.wait_for_idle_queue(Duration::from_secs(30)).await;
}

/// The approval id of a `held:<id>:<capability>` record.
fn held_id(record: &str) -> &str {
    record
        .strip_prefix("held:")
        .and_then(|rest| rest.split(':').next())
        .unwrap_or_else(|| panic!("not held: {record}"))
}

async fn approve(app: &TestApp, id: &str) -> u16 {
    app.api(Method::POST, &format!("/approvals/{id}/approve"))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn told(app: &TestApp, id: &str) -> String {
    let key = format!("resolved:{id}");
    wait_until(
        Duration::from_secs(10),
        "the plugin to hear the outcome",
        || async { recorded(app, &key).await.is_some() },
    )
    .await;
    recorded(app, &key).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_opens_a_follow_up_issue_and_closes_it_with_new_labels() {
    let app = author_app().await;
    deliver(
        &app,
        "issues",
        &corpus_payload("issues/opened.payload.json"),
    )
    .await;
    let created = recorded(&app, "created").await.unwrap();
    let number: u64 = created
        .strip_prefix("done:")
        .and_then(|r| r.split(':').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("not done: {created}"));
    assert_eq!(
        recorded(&app, "updated").await.as_deref(),
        Some("done:closed:Done: follow-up to #1:done")
    );
    let issue = github(&app, Method::GET, &format!("{REPO}/issues/{number}"), None).await;
    assert_eq!(issue["state"], "closed");
    assert_eq!(issue["title"], "Done: follow-up to #1");
    assert_eq!(issue["labels"][0]["name"], "done");
    assert_eq!(issue["user"]["login"], "gantry[bot]");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_issue_held_by_an_ask_rule_answers_held_and_is_opened_once_on_approval() {
    let app = author_app().await;
    let form = RuleForm {
        scope: "global".into(),
        plugin: Some("author".into()),
        capability: "issues:write".into(),
        effect: "ask".into(),
        branch: None,
        event_branch: None,
        min_permission: None,
        enforced: false,
        approvals: None,
    };
    policies::add(&app.state.db, app.state.audit_key(), &Actor::cli(), form)
        .await
        .unwrap();
    deliver(
        &app,
        "issues",
        &corpus_payload("issues/opened.payload.json"),
    )
    .await;
    let created = recorded(&app, "created").await.unwrap();
    assert!(created.ends_with(":issues:write"), "{created}");
    let id = held_id(&created).to_owned();
    assert_eq!(approve(&app, &id).await, 200);
    assert_eq!(told(&app, &id).await, "ApprovalOutcome::Executed");
    let opened = github(&app, Method::GET, &format!("{REPO}/issues/2"), None).await;
    assert_eq!(opened["title"], "Follow-up to #1");
    assert_eq!(approve(&app, &id).await, 409, "decided once");
    assert_eq!(
        app.sim.request_count("POST", &format!("{REPO}/issues")),
        1,
        "opened exactly once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pull_request_is_reviewed_a_follow_up_opened_and_its_merge_held_until_approved() {
    let app = author_app().await;
    let payload = corpus_payload("pull_request/opened.payload.json");
    let pull: Value = serde_json::from_slice(&payload).unwrap();
    app.sim.learn("pull_request", &pull);
    let head = pull["pull_request"]["head"]["sha"].clone();
    let branch = json!({"ref": "refs/heads/follow-up", "sha": head});
    github(
        &app,
        Method::POST,
        &format!("{REPO}/git/refs"),
        Some(branch),
    )
    .await;
    // The follow-up branch must differ from the base: point it at the head.
    deliver(&app, "pull_request", &payload).await;

    let review = recorded(&app, "review").await.unwrap();
    assert!(review.starts_with("done:"), "{review}");
    let reviews = github(&app, Method::GET, &format!("{REPO}/pulls/2/reviews"), None).await;
    assert_eq!(reviews[0]["state"], "COMMENTED");
    assert_eq!(reviews[0]["body"], "Read it through.");
    let lines = github(&app, Method::GET, &format!("{REPO}/pulls/2/comments"), None).await;
    assert_eq!(lines.as_array().map(Vec::len), Some(1), "{lines}");
    assert_eq!(lines[0]["path"], "README.md");
    assert_eq!(lines[0]["line"], 1);
    assert_eq!(lines[0]["side"], "RIGHT");
    assert_eq!(lines[0]["body"], "A nit on the first line.");
    assert_eq!(lines[0]["pull_request_review_id"], reviews[0]["id"]);
    // The plugin read the same line comment back (`list-review-comments`).
    assert_eq!(
        recorded(&app, "lines").await,
        Some(format!(
            "done:{}:README.md:Some(1):Some(DiffSide::Right):A nit on the first line.:{}:None",
            lines[0]["id"],
            lines[0]["user"]["login"].as_str().unwrap()
        ))
    );

    assert_eq!(
        recorded(&app, "pull").await.as_deref(),
        Some("done:3:follow-up:true")
    );

    // pull_requests:write is allowed by default; merging is not.
    let merge = recorded(&app, "merge").await.unwrap();
    assert!(merge.ends_with(":pull_requests:merge"), "{merge}");
    let id = held_id(&merge).to_owned();
    let before = github(&app, Method::GET, &format!("{REPO}/pulls/2"), None).await;
    assert_eq!(before["merged"], false);
    assert_eq!(approve(&app, &id).await, 200);
    assert_eq!(told(&app, &id).await, "ApprovalOutcome::Executed");
    let after = github(&app, Method::GET, &format!("{REPO}/pulls/2"), None).await;
    assert_eq!(after["merged"], true);
    assert_eq!(
        app.sim
            .request_count("PUT", &format!("{REPO}/pulls/2/merge")),
        1,
        "merged exactly once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_merge_whose_head_moved_before_approval_fails_with_githubs_409() {
    let app = author_app().await;
    let payload = corpus_payload("pull_request/opened.payload.json");
    deliver(&app, "pull_request", &payload).await;
    let merge = recorded(&app, "merge").await.unwrap();
    let id = held_id(&merge).to_owned();
    // Someone pushes to the pull request on GitHub; Gantry has not heard of it yet.
    let mut moved: Value = serde_json::from_slice(&payload).unwrap();
    moved["pull_request"]["head"]["sha"] = "0000000000000000000000000000000000000001".into();
    app.sim.learn("pull_request", &moved);
    approve(&app, &id).await;
    assert_eq!(told(&app, &id).await, "ApprovalOutcome::Failed");
    let stored = approvals::find(&app.state.db, &id).await.unwrap().unwrap();
    assert_eq!(stored.status, "failed");
    let why = stored.result.unwrap_or_default();
    assert!(why.contains("409"), "{why}");
    let after = github(&app, Method::GET, &format!("{REPO}/pulls/2"), None).await;
    assert_eq!(
        after["merged"], false,
        "the merge was made at the head it named, or not at all"
    );
    assert_eq!(
        app.sim
            .request_count("PUT", &format!("{REPO}/pulls/2/merge")),
        1,
        "sent once, refused by GitHub"
    );
}
