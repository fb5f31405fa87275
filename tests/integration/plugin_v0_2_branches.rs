//! The v0.2 calls `search-issues`, `create-branch`, `delete-branch`,
//! `get-workflow-run` and `get-workflow-run-logs`, through a real plugin built
//! against `plugin-sdk/wit/v0.2` (the `surveyor` fixture, on `issues.opened` and `workflow_run.completed`) and
//! the simulator: a search is kept to the event's repository (the host adds
//! `repo:`, and refuses a query naming another), a branch write is decided on the
//! branch's name by the policy, one held by the built-in `ask` on `contents:write`
//! is made once on approval, a workflow run is read by its id (`none` for an
//! unknown one), and so are the ends of its jobs' logs.
use std::time::Duration;

use gantry_server::db::kv::{self, KvScope};
use gantry_server::domain::Actor;
use gantry_server::services::policies::{self, RuleForm};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{
    corpus_payload, delivery_id, spawn_app, wait_until, AppOptions, Plugins, TestApp,
};

const REPO: &str = "/repos/Codertocat/Hello-World";

/// An app with the surveyor fixture that knows issue #1 of Codertocat/Hello-World,
/// pull request #2 there, and issue #7 of Codertocat/Other with the same title.
async fn surveyor_app() -> (TestApp, Vec<u8>) {
    let app = spawn_app(AppOptions {
        plugins: Plugins::Named(&["surveyor"]),
        ..AppOptions::default()
    })
    .await;
    let payload = corpus_payload("issues/opened.payload.json");
    let issue: Value = serde_json::from_slice(&payload).unwrap();
    app.sim.learn("issues", &issue);
    let pull: Value =
        serde_json::from_slice(&corpus_payload("pull_request/opened.payload.json")).unwrap();
    app.sim.learn("pull_request", &pull);
    let mut elsewhere = issue.clone();
    elsewhere["issue"]["number"] = json!(7);
    elsewhere["repository"]["id"] = json!(999_999);
    elsewhere["repository"]["name"] = json!("Other");
    elsewhere["repository"]["full_name"] = json!("Codertocat/Other");
    app.sim.learn("issues", &elsewhere);
    (app, payload)
}

async fn recorded(app: &TestApp, key: &str) -> Option<String> {
    let scope = KvScope {
        plugin: "surveyor",
        project: "Codertocat/Hello-World",
    };
    kv::get(&app.state.db, scope, key)
        .await
        .unwrap()
        .map(|v| String::from_utf8(v).unwrap())
}

async fn deliver(app: &TestApp, body: &[u8]) {
    assert_eq!(
        app.post_webhook("issues", &delivery_id(), body)
            .await
            .status(),
        202
    );
    app.wait_for_idle_queue(Duration::from_secs(30)).await;
}

/// The status of `GET` on the simulator's `path`.
async fn status(app: &TestApp, path: &str) -> StatusCode {
    let url = format!("{}{path}", app.state.settings.github.api_url);
    app.http
        .get(url)
        .bearer_auth("test-token")
        .send()
        .await
        .unwrap()
        .status()
}

async fn rule(app: &TestApp, effect: &str, branch: Option<&str>) {
    let form = RuleForm {
        scope: "global".into(),
        plugin: Some("surveyor".into()),
        capability: "contents:write".into(),
        effect: effect.into(),
        branch: branch.map(str::to_owned),
        event_branch: None,
        min_permission: None,
        enforced: false,
        approvals: None,
    };
    policies::add(&app.state.db, app.state.audit_key(), &Actor::cli(), form)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_search_finds_only_the_events_repositorys_issues() {
    let (app, payload) = surveyor_app().await;
    deliver(&app, &payload).await;
    // #7 of Codertocat/Other has the same title; the pull request is not an issue.
    assert_eq!(
        recorded(&app, "search").await.as_deref(),
        Some("done:1:false:1")
    );
    let widened = recorded(&app, "widened").await.unwrap();
    assert!(
        widened.starts_with("error:HostError::Invalid("),
        "{widened}"
    );
    assert_eq!(
        app.sim.request_count("GET", "/search/issues"),
        1,
        "the refused search never left the host"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rule_on_the_branchs_name_lets_it_be_created_and_deleted() {
    let (app, payload) = surveyor_app().await;
    rule(&app, "allow", Some("survey/*")).await;
    deliver(&app, &payload).await;
    assert_eq!(recorded(&app, "branch").await.as_deref(), Some("done"));
    assert_eq!(recorded(&app, "deleted").await.as_deref(), Some("done"));
    assert_eq!(
        app.sim.request_count("POST", &format!("{REPO}/git/refs")),
        1
    );
    assert_eq!(
        app.sim
            .request_count("DELETE", &format!("{REPO}/git/refs/heads/survey/1")),
        1
    );
    assert_eq!(
        status(&app, &format!("{REPO}/git/ref/heads/survey/1")).await,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_branch_held_by_the_built_in_ask_is_created_once_on_approval() {
    let (app, payload) = surveyor_app().await;
    // A rule for other branches does not match `survey/1`: the built-in ask decides.
    rule(&app, "allow", Some("release/*")).await;
    deliver(&app, &payload).await;
    let branch = recorded(&app, "branch").await.unwrap();
    assert!(branch.ends_with(":contents:write"), "{branch}");
    let deleted = recorded(&app, "deleted").await.unwrap();
    assert!(deleted.starts_with("held:"), "{deleted}");
    assert_eq!(
        app.sim.request_count("POST", &format!("{REPO}/git/refs")),
        0
    );

    let id = branch
        .strip_prefix("held:")
        .and_then(|r| r.split(':').next())
        .unwrap()
        .to_owned();
    let approve = || async {
        app.api(Method::POST, &format!("/approvals/{id}/approve"))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    };
    assert_eq!(approve().await, 200);
    let key = format!("resolved:{id}");
    wait_until(
        Duration::from_secs(10),
        "the plugin to hear the outcome",
        || async { recorded(&app, &key).await.is_some() },
    )
    .await;
    assert_eq!(
        recorded(&app, &key).await.as_deref(),
        Some("ApprovalOutcome::Executed")
    );
    assert_eq!(
        status(&app, &format!("{REPO}/git/ref/heads/survey/1")).await,
        StatusCode::OK
    );
    assert_eq!(approve().await, 409, "decided once");
    assert_eq!(
        app.sim.request_count("POST", &format!("{REPO}/git/refs")),
        1,
        "created exactly once"
    );
}

/// Dispatches the CI workflow on `master`, completes its run as `outcome` says and
/// delivers `workflow_run.completed` for it (the corpus run on the issue payload's
/// repository, sender and installation); returns the run's id.
async fn deliver_completed_run(app: &TestApp, outcome: &gantry_simulator::RunOutcome) -> u64 {
    let workflow = app.sim.add_workflow(
        "Codertocat",
        "Hello-World",
        ".github/workflows/ci.yml",
        "CI",
    );
    let url = format!(
        "{}{REPO}/actions/workflows/{workflow}/dispatches",
        app.state.settings.github.api_url
    );
    let sent = app
        .http
        .post(url)
        .bearer_auth("test-token")
        .json(&json!({"ref": "master"}))
        .send()
        .await
        .unwrap();
    assert!(sent.status().is_success(), "{}", sent.status());
    let runs_url = format!("{}{REPO}/actions/runs", app.state.settings.github.api_url);
    let runs: Value = app
        .http
        .get(runs_url)
        .bearer_auth("test-token")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = runs["workflow_runs"][0]["id"].as_u64().unwrap();
    assert!(app
        .sim
        .complete_run("Codertocat", "Hello-World", id, outcome));
    let run: Value =
        serde_json::from_slice(&corpus_payload("workflow_run/requested.payload.json")).unwrap();
    let mut event: Value =
        serde_json::from_slice(&corpus_payload("issues/opened.payload.json")).unwrap();
    let map = event.as_object_mut().unwrap();
    map.remove("issue");
    map.insert("action".into(), json!("completed"));
    let mut workflow_run = run["workflow_run"].clone();
    workflow_run["id"] = json!(id);
    workflow_run["repository"] = map["repository"].clone();
    workflow_run["head_repository"] = map["repository"].clone();
    map.insert("workflow_run".into(), workflow_run);
    let body = serde_json::to_vec(&event).unwrap();
    assert_eq!(
        app.post_webhook("workflow_run", &delivery_id(), &body)
            .await
            .status(),
        202
    );
    app.wait_for_idle_queue(Duration::from_secs(30)).await;
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_reads_one_workflow_run_and_hears_none_for_an_unknown_id() {
    use gantry_simulator::RunOutcome;
    let (app, _) = surveyor_app().await;
    let id = deliver_completed_run(&app, &RunOutcome::new("failure")).await;
    assert_eq!(
        recorded(&app, "run").await,
        Some(format!(
            "done:{id}:CI:.github/workflows/ci.yml:completed:failure:master"
        ))
    );
    assert_eq!(recorded(&app, "no-run").await.as_deref(), Some("done:none"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_reads_the_tail_of_each_jobs_log_failed_jobs_first() {
    use gantry_simulator::RunOutcome;
    let (app, _) = surveyor_app().await;
    // 300 lines, far over the plugin's 64 bytes a job.
    let long: String = (1..=300).map(|n| format!("test step {n}\n")).collect();
    let outcome = RunOutcome::new("failure")
        .job_with_log("build", "success", "built\n")
        .job_with_log("test", "failure", &long);
    deliver_completed_run(&app, &outcome).await;
    let logs = recorded(&app, "logs").await.unwrap();
    let logs: Value = serde_json::from_str(logs.strip_prefix("done:").unwrap()).unwrap();
    assert_eq!(logs["truncated"], true, "{logs}");
    let jobs = logs["jobs"].as_array().unwrap();
    assert_eq!(jobs.len(), 2, "{logs}");
    // GitHub's order; the short log whole, the long one its last whole lines.
    assert_eq!(
        jobs[0],
        json!(["build", "completed", "success", false, "built\n"])
    );
    assert_eq!(jobs[1][0], "test");
    assert_eq!(jobs[1][2], "failure");
    assert_eq!(jobs[1][3], true);
    let tail = jobs[1][4].as_str().unwrap();
    assert!(tail.len() <= 64, "{tail:?}");
    assert!(tail.starts_with("test step "), "{tail:?}");
    assert!(tail.ends_with("test step 300\n"), "{tail:?}");
    assert_eq!(
        recorded(&app, "no-logs").await.as_deref(),
        Some("done:none")
    );
    // Each log came through the 302 to the storage, without the token, the
    // failed job's first.
    let fetched = app.sim.storage_requests();
    assert_eq!(fetched.len(), 2, "{fetched:?}");
    assert!(fetched.iter().all(|r| !r.authorization), "{fetched:?}");
    let order: Vec<u64> = fetched
        .iter()
        .map(|r| r.path.rsplit('/').next().unwrap().parse().unwrap())
        .collect();
    assert!(
        order[0] > order[1],
        "the failed job (added last) is read first: {order:?}"
    );
}
