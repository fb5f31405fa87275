//! Onboarding (`repository_config.onboarding`): a repository added to an
//! installation without a `.github/gantry.yml` is proposed one in a pull request
//! from `gantry/onboarding`, every enabled plugin's options as comments. It is a
//! write of Gantry's own under the policy: held for approval by Gantry's defaults
//! and run once approved (through the API, as any held write), at once where a rule
//! allows it. Never twice for a repository: not for a second event, not for a
//! replayed delivery, not after the pull request was closed.
use std::time::Duration;

use base64::Engine as _;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{corpus_payload, delivery_id, spawn_app, AppOptions, Plugins, TestApp};

const OWNER: &str = "Codertocat";
const NAME: &str = "Hello-World";
const REPO: &str = "/repos/Codertocat/Hello-World";
const BRANCH: &str = "gantry/onboarding";

/// Gantry with the hooks plugin, repository configuration and onboarding on; the
/// simulator knows the repository.
async fn app() -> TestApp {
    let app = spawn_app(AppOptions {
        plugins: Plugins::Named(&["hooks"]),
        tweak: Some(|s| {
            s.repository_config.enabled = true;
            s.repository_config.onboarding = true;
        }),
        ..AppOptions::default()
    })
    .await;
    let issue: Value =
        serde_json::from_slice(&corpus_payload("issues/opened.payload.json")).unwrap();
    app.sim.learn("issues", &issue);
    app
}

/// Delivers `payload` as `event` and waits for its job; returns the delivery id.
async fn deliver(app: &TestApp, event: &str, payload: &Value) -> String {
    let id = delivery_id();
    let answer = app
        .post_webhook(event, &id, &serde_json::to_vec(payload).unwrap())
        .await;
    assert_eq!(answer.status(), 202);
    app.wait_for_idle_queue(Duration::from_secs(30)).await;
    id
}

/// `installation.created` on Codertocat with the repository selected.
fn created() -> Value {
    json!({
        "action": "created",
        "installation": { "id": 77, "account": { "login": OWNER } },
        "repositories": [{ "full_name": "Codertocat/Hello-World" }],
        "sender": { "login": OWNER }
    })
}

/// `installation_repositories.added` adding the repository again.
fn added() -> Value {
    json!({
        "action": "added",
        "installation": { "id": 77, "account": { "login": OWNER } },
        "repository_selection": "selected",
        "repositories_added": [{ "full_name": "Codertocat/Hello-World" }],
        "repositories_removed": [],
        "sender": { "login": OWNER }
    })
}

/// The held writes of Gantry itself (`plugin` `gantry`).
async fn gantrys_approvals(app: &TestApp) -> Vec<Value> {
    let all: Value = app
        .api(Method::GET, "/approvals")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    all["approvals"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|a| a["plugin"] == "gantry")
        .collect()
}

/// The proposed file on the onboarding branch, if there is one.
async fn proposed(app: &TestApp) -> Option<String> {
    let url = format!(
        "{}{REPO}/contents/.github/gantry.yml?ref={BRANCH}",
        app.state.settings.github.api_url
    );
    let answer = app
        .http
        .get(url)
        .bearer_auth("test-token")
        .send()
        .await
        .unwrap();
    if !answer.status().is_success() {
        return None;
    }
    let file: Value = answer.json().await.unwrap();
    let content: String = file["content"]
        .as_str()
        .unwrap()
        .split_whitespace()
        .collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(content)
        .unwrap();
    Some(String::from_utf8(bytes).unwrap())
}

/// A request to the simulator as GitHub's API.
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

/// The `repo_config.onboarding` audit rows: `outcome: details`.
async fn onboarding_audits(app: &TestApp) -> Vec<String> {
    gantry_server::db::audit::with_action(&app.state.db, "repo_config.onboarding")
        .await
        .unwrap()
        .into_iter()
        .map(|row| {
            format!(
                "{}: {}",
                row.outcome.unwrap_or_default(),
                row.details.unwrap_or_default()
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn onboarding_is_held_for_approval_runs_once_approved_and_is_never_proposed_twice() {
    let app = app().await;
    let first = deliver(&app, "installation", &created()).await;

    // Held: nothing on GitHub yet.
    let held = gantrys_approvals(&app).await;
    assert_eq!(held.len(), 1, "{held:?}");
    let approval = &held[0];
    assert_eq!(approval["status"], "pending", "{approval}");
    assert_eq!(approval["capability"], "contents:write");
    assert_eq!(approval["action"]["kind"], "propose_file", "{approval}");
    assert_eq!(approval["action"]["branch"], BRANCH);
    assert_eq!(app.sim.branch_head(OWNER, NAME, BRANCH), None);
    assert_eq!(
        onboarding_audits(&app).await,
        [format!("held: {}", approval["id"].as_str().unwrap())]
    );

    // A second event and a replay of the first ask for nothing more.
    deliver(&app, "installation_repositories", &added()).await;
    let replayed = app
        .api(Method::POST, &format!("/deliveries/{first}/replay"))
        .send()
        .await
        .unwrap();
    assert!(replayed.status().is_success(), "{}", replayed.status());
    app.wait_for_idle_queue(Duration::from_secs(30)).await;
    assert_eq!(gantrys_approvals(&app).await.len(), 1);

    // Approved through the API like any held write: the branch, the file, the pull request.
    let id = approval["id"].as_str().unwrap();
    let approve = app
        .api(Method::POST, &format!("/approvals/{id}/approve"))
        .json(&json!({"reason": "welcome"}))
        .send()
        .await
        .unwrap();
    assert_eq!(approve.status(), 200);
    let decided: Value = approve.json().await.unwrap();
    let number = decided["result"]["number"]
        .as_u64()
        .unwrap_or_else(|| panic!("a pull request was opened: {decided}"));
    assert!(app.sim.branch_head(OWNER, NAME, BRANCH).is_some());
    let text = proposed(&app).await.expect("the file is on the branch");
    assert!(text.contains("\n# hooks:\n"), "{text}");
    assert!(
        text.contains("#   # Rules, tried in order; every rule whose `on` matches the event runs."),
        "the schema's descriptions: {text}"
    );
    assert!(
        text.contains("#     enabled: false\n"),
        "the schema's defaults: {text}"
    );
    for line in text.lines().filter(|l| !l.is_empty()) {
        assert!(line.starts_with('#'), "everything is commented out: {line}");
    }
    let pull = github(&app, Method::GET, &format!("{REPO}/pulls/{number}"), None).await;
    assert_eq!(pull["head"]["ref"], BRANCH);
    assert_eq!(pull["base"]["ref"], "master");
    assert_eq!(pull["state"], "open");

    // Closed: another event never reopens or proposes it again.
    github(
        &app,
        Method::PATCH,
        &format!("{REPO}/pulls/{number}"),
        Some(json!({"state": "closed"})),
    )
    .await;
    deliver(&app, "installation_repositories", &added()).await;
    let pull = github(&app, Method::GET, &format!("{REPO}/pulls/{number}"), None).await;
    assert_eq!(pull["state"], "closed");
    assert_eq!(gantrys_approvals(&app).await.len(), 1);
    assert_eq!(onboarding_audits(&app).await.len(), 1);
    assert!(
        app.sim.violations().is_empty(),
        "{:?}",
        app.sim.violations()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn onboarding_allowed_by_a_rule_opens_the_pull_request_at_once_and_skips_a_repository_with_a_file(
) {
    let app = app().await;
    app.allow("gantry", &["contents:write"]).await;
    deliver(&app, "installation", &created()).await;
    assert!(gantrys_approvals(&app).await.is_empty());
    let audits = onboarding_audits(&app).await;
    assert_eq!(audits.len(), 1, "{audits:?}");
    assert!(audits[0].starts_with("opened: #"), "{audits:?}");
    assert!(proposed(&app).await.is_some());

    // Another repository that already has a file is left alone.
    let mut other: Value =
        serde_json::from_slice(&corpus_payload("issues/opened.payload.json")).unwrap();
    other["repository"]["id"] = 9100.into();
    other["repository"]["name"] = "configured".into();
    other["repository"]["full_name"] = "Codertocat/configured".into();
    app.sim.learn("issues", &other);
    let body = json!({
        "message": "Configure Gantry",
        "content": base64::engine::general_purpose::STANDARD.encode("hooks: {}\n"),
        "branch": "master",
    });
    github(
        &app,
        Method::PUT,
        "/repos/Codertocat/configured/contents/.github/gantry.yml",
        Some(body),
    )
    .await;
    let mut payload = added();
    payload["repositories_added"] = json!([{ "full_name": "Codertocat/configured" }]);
    deliver(&app, "installation_repositories", &payload).await;
    assert_eq!(
        app.sim.branch_head(OWNER, "configured", BRANCH),
        None,
        "a repository with a file is not proposed one"
    );
    let audits = onboarding_audits(&app).await;
    assert_eq!(
        audits.last().map(String::as_str),
        Some("not needed: the repository has a file")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn onboarding_is_off_by_default() {
    let app = spawn_app(AppOptions {
        plugins: Plugins::Named(&["hooks"]),
        tweak: Some(|s| s.repository_config.enabled = true),
        ..AppOptions::default()
    })
    .await;
    let issue: Value =
        serde_json::from_slice(&corpus_payload("issues/opened.payload.json")).unwrap();
    app.sim.learn("issues", &issue);
    deliver(&app, "installation", &created()).await;
    assert!(gantrys_approvals(&app).await.is_empty());
    assert!(onboarding_audits(&app).await.is_empty());
    assert_eq!(app.sim.branch_head(OWNER, NAME, BRANCH), None);
}
