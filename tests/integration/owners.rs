//! Ownership files end to end: Prow `OWNERS` files (and `OWNERS_ALIASES`) on the
//! simulator repository's default branch, the bundled commands plugin reading them
//! through `get-owners`, and a pull request touching two directories. One
//! directory's approver's `/approve` gives no `approved` label and a status comment
//! naming the other directory's files and approvers; an `OWNERS` change brought by
//! the pull request itself does not count; the other approver's `/approve` gives
//! `approved`, the status comment edited in place; a push to the default branch
//! changing an `OWNERS` file is read at once. With `request_owner_reviews`, the
//! opened pull request gets review requests from the owners' reviewers.
use std::time::Duration;

use base64::Engine as _;
use gantry_simulator::PullFile;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{corpus_payload, delivery_id, spawn_app, AppOptions, Plugins, TestApp};

const OWNER: &str = "Codertocat";
const NAME: &str = "Hello-World";
const REPO: &str = "Codertocat/Hello-World";

/// A request to the simulator as GitHub's API, which must succeed.
async fn github(app: &TestApp, method: Method, path: &str, body: Option<Value>) -> Value {
    let request = app
        .http
        .request(method, app.sim_repo_url(REPO, path))
        .bearer_auth("test-token");
    let request = match body {
        Some(b) => request.json(&b),
        None => request,
    };
    let answer = request.send().await.unwrap();
    assert!(answer.status().is_success(), "{path}: {}", answer.status());
    answer.json().await.unwrap()
}

/// Commits `content` at `path` on `branch`.
async fn write_file(app: &TestApp, branch: &str, path: &str, content: &str) {
    let existing = app
        .http
        .get(app.sim_repo_url(REPO, &format!("/contents/{path}?ref={branch}")))
        .bearer_auth("test-token")
        .send()
        .await
        .unwrap();
    let mut body = json!({
        "message": format!("Write {path}"),
        "content": base64::engine::general_purpose::STANDARD.encode(content),
        "branch": branch,
    });
    if existing.status().is_success() {
        body["sha"] = existing.json::<Value>().await.unwrap()["sha"].clone();
    }
    github(app, Method::PUT, &format!("/contents/{path}"), Some(body)).await;
}

/// Delivers `payload` as `event` and waits for its job.
async fn deliver(app: &TestApp, event: &str, payload: &Value) -> String {
    let id = delivery_id();
    let answer = app
        .post_webhook(event, &id, &serde_json::to_vec(payload).unwrap())
        .await;
    assert_eq!(answer.status(), 202);
    app.wait_for_idle_queue(Duration::from_secs(30)).await;
    id
}

fn changed(path: &str) -> PullFile {
    PullFile {
        filename: path.into(),
        status: "modified".into(),
        additions: 1,
        deletions: 0,
        patch: None,
        previous_filename: None,
    }
}

/// The corpus pull request (#2, head `changes`) as it is opened.
fn opened() -> Value {
    serde_json::from_slice(&corpus_payload("pull_request/opened.payload.json")).unwrap()
}

/// Gantry with the commands plugin, the default branch's ownership files, and pull
/// request #2 changing `api/`, `web/` and (only in the pull request) `web/OWNERS`.
async fn app(config: Value) -> (TestApp, u64) {
    let app = spawn_app(AppOptions {
        plugins: Plugins::Named(&["commands"]),
        configs: vec![("commands", config)],
        ..AppOptions::default()
    })
    .await;
    let pull = opened();
    app.sim.learn("pull_request", &pull);
    let number = pull["number"].as_u64().unwrap();
    write_file(
        &app,
        "master",
        "api/OWNERS",
        "approvers:\n  - alice\nreviewers:\n  - rita\n",
    )
    .await;
    write_file(
        &app,
        "master",
        "web/OWNERS",
        "approvers:\n  - web-leads\nreviewers:\n  - sam\n",
    )
    .await;
    write_file(
        &app,
        "master",
        "OWNERS_ALIASES",
        "aliases:\n  web-leads:\n    - bob\n",
    )
    .await;
    // The pull request's head branch (known from its payload) starts at master.
    let head = github(&app, Method::GET, "/git/ref/heads/master", None).await;
    let at = json!({"sha": head["object"]["sha"], "force": true});
    github(&app, Method::PATCH, "/git/refs/heads/changes", Some(at)).await;
    // The pull request makes mallory a web approver: that must not count.
    write_file(
        &app,
        "changes",
        "web/OWNERS",
        "approvers:\n  - web-leads\n  - mallory\n",
    )
    .await;
    let files = [
        changed("api/handler.go"),
        changed("web/app.ts"),
        changed("web/OWNERS"),
    ];
    assert!(app.sim.set_pull_files(OWNER, NAME, number, &files));
    for user in ["alice", "bob", "mallory"] {
        app.grant(REPO, user, "write").await;
    }
    (app, number)
}

/// `user` comments `body` on pull request `number` (created on the simulator
/// first), and the delivery is handled.
async fn say(app: &TestApp, number: u64, user: &str, body: &str) {
    let created = github_as(app, number, user, body).await;
    let mut v: Value =
        serde_json::from_slice(&corpus_payload("issue_comment/created.payload.json")).unwrap();
    v["issue"]["number"] = number.into();
    v["issue"]["user"]["login"] = OWNER.into();
    let current = app.sim_get(REPO, &format!("/issues/{number}")).await;
    v["issue"]["labels"] = current["labels"].clone();
    v["issue"]["pull_request"] = json!({
        "url": app.sim_repo_url(REPO, &format!("/pulls/{number}")),
    });
    v["comment"]["id"] = created.into();
    v["comment"]["body"] = body.into();
    v["comment"]["user"]["login"] = user.into();
    v["comment"]["user"]["type"] = "User".into();
    v["sender"] = v["comment"]["user"].clone();
    deliver(app, "issue_comment", &v).await;
}

async fn github_as(app: &TestApp, number: u64, user: &str, body: &str) -> u64 {
    let created = app
        .http
        .post(app.sim_repo_url(REPO, &format!("/issues/{number}/comments")))
        .bearer_auth("test-token")
        .header("x-sim-user", user)
        .json(&json!({ "body": body }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    created.json::<Value>().await.unwrap()["id"]
        .as_u64()
        .unwrap()
}

async fn labels(app: &TestApp, number: u64) -> Vec<String> {
    app.sim
        .issue_labels(OWNER, NAME, number)
        .unwrap_or_default()
}

/// Gantry's comments on the pull request.
async fn replies(app: &TestApp, number: u64) -> Vec<String> {
    let comments = app
        .sim_get(REPO, &format!("/issues/{number}/comments?per_page=100"))
        .await;
    comments
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["user"]["login"] == "gantry[bot]")
        .map(|c| c["body"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approve_counts_only_from_approvers_of_the_changed_files_of_the_default_branch() {
    let (app, number) = app(json!({})).await;

    say(&app, number, "alice", "/approve").await;
    assert!(
        !labels(&app, number).await.contains(&"approved".to_owned()),
        "web/ is not approved yet"
    );
    let said = replies(&app, number).await;
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(said[0].contains("**NOT APPROVED**"), "{}", said[0]);
    assert!(said[0].contains("`web/app.ts`"), "{}", said[0]);
    assert!(said[0].contains("`web/OWNERS`"), "{}", said[0]);
    assert!(
        said[0].contains("@bob"),
        "the alias is expanded: {}",
        said[0]
    );
    assert!(!said[0].contains("api/handler.go"), "{}", said[0]);

    // Mallory is an approver only in the pull request's own web/OWNERS.
    say(&app, number, "mallory", "/approve").await;
    assert!(!labels(&app, number).await.contains(&"approved".to_owned()));
    let said = replies(&app, number).await;
    assert_eq!(said.len(), 1, "the status comment is edited: {said:?}");
    assert!(said[0].contains("does not count"), "{}", said[0]);
    assert!(said[0].contains("Approved by: @alice."), "{}", said[0]);

    say(&app, number, "bob", "/approve").await;
    assert!(
        labels(&app, number).await.contains(&"approved".to_owned()),
        "every file is approved"
    );
    let said = replies(&app, number).await;
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(said[0].contains("**APPROVED**"), "{}", said[0]);
    assert!(said[0].contains("@alice, @bob"), "{}", said[0]);

    // Withdrawing one approval takes the label away again.
    say(&app, number, "bob", "/approve cancel").await;
    assert!(!labels(&app, number).await.contains(&"approved".to_owned()));

    // Once the default branch makes mallory a web approver, the push that does it
    // drops the cached files, and mallory's approval counts.
    write_file(
        &app,
        "master",
        "web/OWNERS",
        "approvers:\n  - web-leads\n  - mallory\n",
    )
    .await;
    let mut push: Value = serde_json::from_slice(&corpus_payload("push/payload.json")).unwrap();
    push["ref"] = "refs/heads/master".into();
    push["deleted"] = false.into();
    push["created"] = false.into();
    push["commits"] = json!([{"id": "0123456789abcdef0123456789abcdef01234567", "added": [], "modified": ["web/OWNERS"], "removed": []}]);
    deliver(&app, "push", &push).await;
    say(&app, number, "mallory", "/approve").await;
    assert!(
        labels(&app, number).await.contains(&"approved".to_owned()),
        "{:?}",
        replies(&app, number).await
    );
    assert!(
        app.sim.violations().is_empty(),
        "{:?}",
        app.sim.violations()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_pull_request_asks_the_owners_reviewers_when_configured() {
    let (app, number) = app(json!({ "request_owner_reviews": true })).await;
    for user in ["rita", "sam"] {
        app.grant(REPO, user, "read").await;
    }
    deliver(&app, "pull_request", &opened()).await;
    let pull = app.sim_get(REPO, &format!("/pulls/{number}")).await;
    // The corpus pull request already asks octocat.
    let mut asked: Vec<&str> = pull["requested_reviewers"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|u| u["login"].as_str())
        .collect();
    asked.sort_unstable();
    assert_eq!(asked, ["octocat", "rita", "sam"]);
    assert!(
        app.sim.violations().is_empty(),
        "{:?}",
        app.sim.violations()
    );
}
