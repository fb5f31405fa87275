//! The bundled `ci` plugin end to end: signed `pull_request`, `workflow_run` and
//! `issue_comment` deliveries built from the corpus, the real wasm plugin, and the
//! check runs, workflow dispatches and re-runs it makes landing in the simulator,
//! whose workflows are seeded with its Rust API.
use std::time::Duration;

use gantry_simulator::RunOutcome;
use serde_json::{json, Value};

use crate::helpers::{corpus_payload, delivery_id, spawn_app, AppOptions, Plugins, TestApp};

const OWNER: &str = "Codertocat";
const NAME: &str = "Hello-World";
const REPO: &str = "Codertocat/Hello-World";
/// The corpus pull request: #2, head branch `changes` at this commit.
const NUMBER: u64 = 2;
const HEAD: &str = "ec26c3e57ca3a959ca5aad62de7213c562f8c821";
const BRANCH: &str = "changes";
/// Owns the corpus repository, so is an admin.
const ADMIN: &str = "Codertocat";

/// A test app running the ci plugin with three jobs (two automatic), and the
/// simulator's repository with their workflows; the operator allows its check runs
/// and workflow dispatches (Gantry's defaults would hold them for approval).
async fn ci_app() -> TestApp {
    let app = ci_app_without_rules().await;
    app.allow("ci", &["checks:write", "actions:write"]).await;
    app
}

/// [`ci_app`] with no policy rule: Gantry's built-in defaults decide.
async fn ci_app_without_rules() -> TestApp {
    let config = json!({
        "jobs": [
            {"name": "unit", "workflow": "unit.yml", "inputs": {"suite": "fast"}},
            {"name": "lint", "workflow": "lint.yml"},
            {"name": "e2e", "workflow": "e2e.yml", "always_run": false},
        ]
    });
    let app = spawn_app(AppOptions {
        plugins: Plugins::Named(&["ci"]),
        configs: vec![("ci", config)],
        ..AppOptions::default()
    })
    .await;
    app.sim
        .learn("pull_request", &pull_payload("opened", ADMIN, &[]));
    for (file, name) in [
        ("unit.yml", "Unit"),
        ("lint.yml", "Lint"),
        ("e2e.yml", "End to end"),
    ] {
        let id = app
            .sim
            .add_workflow(OWNER, NAME, &format!(".github/workflows/{file}"), name);
        // `unit` declares the input its job configures, and not `pr` or `sha`: the
        // plugin must leave those out (GitHub refuses undeclared inputs, and the
        // strict request check fails the test on such a dispatch).
        if file == "unit.yml" {
            assert!(app.sim.set_workflow_inputs(OWNER, NAME, id, &["suite"]));
        }
    }
    app
}

/// The corpus pull request #2 by `author`, with `labels`.
fn pull_payload(action: &str, author: &str, labels: &[&str]) -> Value {
    let mut v: Value =
        serde_json::from_slice(&corpus_payload("pull_request/opened.payload.json")).unwrap();
    v["action"] = action.into();
    v["pull_request"]["user"]["login"] = author.into();
    v["pull_request"]["labels"] = labels
        .iter()
        .map(|l| json!({ "name": l, "color": "ededed" }))
        .collect();
    v
}

async fn deliver(app: &TestApp, event: &str, payload: &Value) -> String {
    let delivery = delivery_id();
    let answer = app
        .post_webhook(event, &delivery, &serde_json::to_vec(payload).unwrap())
        .await;
    assert_eq!(answer.status(), 202);
    app.wait_for_idle_queue(Duration::from_secs(30)).await;
    let runs = app.runs_of(&delivery).await;
    assert!(
        runs.iter().all(|r| r.outcome == "ok"),
        "{:?}",
        runs.iter()
            .map(|r| (&r.plugin, &r.outcome, &r.message, &r.log))
            .collect::<Vec<_>>()
    );
    delivery
}

/// `user` comments `body` on the pull request (created on the simulator first, as
/// GitHub has the comment before it sends the webhook).
async fn say(app: &TestApp, user: &str, body: &str) -> u64 {
    let issue = app.sim_get(REPO, &format!("/issues/{NUMBER}")).await;
    let created = app
        .http
        .post(app.sim_repo_url(REPO, &format!("/issues/{NUMBER}/comments")))
        .bearer_auth("test-token")
        .header("x-sim-user", user)
        .json(&json!({ "body": body }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let comment_id = created.json::<Value>().await.unwrap()["id"]
        .as_u64()
        .unwrap();
    let mut v: Value =
        serde_json::from_slice(&corpus_payload("issue_comment/created.payload.json")).unwrap();
    for key in ["number", "title", "state", "labels", "assignees", "user"] {
        v["issue"][key] = issue[key].clone();
    }
    v["issue"]["pull_request"] =
        json!({ "url": format!("https://api.github.com/repos/{OWNER}/{NAME}/pulls/{NUMBER}") });
    v["comment"]["id"] = comment_id.into();
    v["comment"]["body"] = body.into();
    v["comment"]["user"]["login"] = user.into();
    v["comment"]["user"]["type"] = "User".into();
    v["sender"] = v["comment"]["user"].clone();
    deliver(app, "issue_comment", &v).await;
    comment_id
}

/// The workflow_dispatch runs on the pull request's branch: (workflow path, run).
async fn dispatched(app: &TestApp) -> Vec<(String, Value)> {
    let runs = app
        .sim_get(
            REPO,
            &format!("/actions/runs?event=workflow_dispatch&branch={BRANCH}"),
        )
        .await;
    runs["workflow_runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["path"].as_str().unwrap().to_owned(), r.clone()))
        .collect()
}

fn paths(runs: &[(String, Value)]) -> Vec<&str> {
    let mut p: Vec<&str> = runs.iter().map(|(p, _)| p.as_str()).collect();
    p.sort_unstable();
    p
}

/// The latest check run of each name on the head commit, by name.
async fn checks(app: &TestApp) -> Vec<(String, Value)> {
    let list = app
        .sim_get(REPO, &format!("/commits/{HEAD}/check-runs"))
        .await;
    let mut all: Vec<(String, Value)> = list["check_runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["name"].as_str().unwrap().to_owned(), c.clone()))
        .collect();
    all.sort_by(|a, b| a.0.cmp(&b.0));
    all
}

async fn check(app: &TestApp, name: &str) -> Value {
    checks(app)
        .await
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, c)| c)
        .unwrap_or_else(|| panic!("no check run {name}"))
}

/// The corpus `workflow_run` payload for the simulator's run `id`, as GitHub would
/// send it for `action` on the corpus repository.
async fn run_event(app: &TestApp, action: &str, id: u64) -> Value {
    let run = app.sim_get(REPO, &format!("/actions/runs/{id}")).await;
    let mut v: Value = serde_json::from_slice(&corpus_payload(
        "workflow_run/completed.with-pull-requests.payload.json",
    ))
    .unwrap();
    v["action"] = action.into();
    for key in [
        "id",
        "name",
        "path",
        "status",
        "conclusion",
        "head_sha",
        "head_branch",
        "event",
        "html_url",
        "workflow_id",
        "run_attempt",
    ] {
        v["workflow_run"][key] = run[key].clone();
    }
    v["workflow"]["id"] = run["workflow_id"].clone();
    v["workflow"]["path"] = run["path"].clone();
    v["workflow"]["name"] = run["name"].clone();
    v["repository"] = pull_payload("opened", ADMIN, &[])["repository"].clone();
    v.as_object_mut().unwrap().remove("organization");
    v
}

async fn labels(app: &TestApp) -> Vec<String> {
    let issue = app.sim_get(REPO, &format!("/issues/{NUMBER}")).await;
    issue["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].as_str().unwrap().to_owned())
        .collect()
}

async fn replies(app: &TestApp) -> Vec<String> {
    let comments = app
        .sim_get(REPO, &format!("/issues/{NUMBER}/comments?per_page=100"))
        .await;
    comments
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["user"]["login"] == "gantry[bot]")
        .map(|c| c["body"].as_str().unwrap().to_owned())
        .collect()
}

fn run_id(runs: &[(String, Value)], file: &str) -> u64 {
    runs.iter()
        .find(|(p, _)| p.ends_with(file))
        .map(|(_, r)| r["id"].as_u64().unwrap())
        .unwrap_or_else(|| panic!("no run of {file}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trusted_authors_pull_request_gets_queued_check_runs_and_dispatched_workflows() {
    let app = ci_app().await;
    deliver(&app, "pull_request", &pull_payload("opened", ADMIN, &[])).await;

    let runs = dispatched(&app).await;
    assert_eq!(
        paths(&runs),
        [".github/workflows/lint.yml", ".github/workflows/unit.yml"],
        "the automatic jobs, not e2e"
    );
    for (_, run) in &runs {
        assert_eq!(
            (run["status"].as_str(), run["head_sha"].as_str()),
            (Some("queued"), Some(HEAD))
        );
    }
    let checks = checks(&app).await;
    assert_eq!(
        checks.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
        ["gantry/ci: lint", "gantry/ci: unit"]
    );
    let unit = &checks[1].1;
    assert_eq!(unit["status"], "queued");
    assert_eq!(
        unit["details_url"],
        "https://github.com/Codertocat/Hello-World/actions/workflows/unit.yml"
    );

    // A retried or repeated event does not start the same jobs on the same commit again.
    deliver(&app, "pull_request", &pull_payload("reopened", ADMIN, &[])).await;
    assert_eq!(dispatched(&app).await.len(), 2);
    assert!(labels(&app).await.iter().all(|l| l != "needs-ok-to-test"));
}

/// The capabilities of the approvals waiting now.
async fn held_capabilities(app: &TestApp) -> Vec<String> {
    let body: Value = app
        .api(reqwest::Method::GET, "/approvals?status=pending")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut held: Vec<String> = body["approvals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["capability"].as_str().unwrap().to_owned())
        .collect();
    held.sort();
    held.dedup();
    held
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ci_plugin_dispatching_a_workflow_with_no_operator_rule_is_held_for_approval() {
    // Its manifest declares checks:write and actions:write; no operator allowed them.
    let app = ci_app_without_rules().await;
    deliver(&app, "pull_request", &pull_payload("opened", ADMIN, &[])).await;
    assert!(dispatched(&app).await.is_empty(), "a workflow ran");
    assert!(checks(&app).await.is_empty(), "a check run was made");
    assert_eq!(held_capabilities(&app).await, ["checks:write"]);

    // Check runs allowed by a rule naming the plugin; dispatching still waits.
    let app = ci_app_without_rules().await;
    app.allow("ci", &["checks:write"]).await;
    deliver(&app, "pull_request", &pull_payload("opened", ADMIN, &[])).await;
    assert_eq!(checks(&app).await.len(), 2, "the check runs are made");
    assert!(dispatched(&app).await.is_empty(), "a workflow ran");
    assert_eq!(held_capabilities(&app).await, ["actions:write"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workflow_run_events_move_the_check_run_to_in_progress_and_then_its_conclusion_with_a_link()
{
    let app = ci_app().await;
    deliver(&app, "pull_request", &pull_payload("opened", ADMIN, &[])).await;
    let unit = run_id(&dispatched(&app).await, "unit.yml");

    app.sim.start_run(OWNER, NAME, unit);
    deliver(
        &app,
        "workflow_run",
        &run_event(&app, "in_progress", unit).await,
    )
    .await;
    let check = check(&app, "gantry/ci: unit").await;
    assert_eq!(check["status"], "in_progress");
    // The run's page, as the simulator (standing in for github.com) links it.
    let link = app.sim_get(REPO, &format!("/actions/runs/{unit}")).await["html_url"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        link.ends_with(&format!("/{OWNER}/{NAME}/actions/runs/{unit}")),
        "{link}"
    );
    assert_eq!(check["details_url"].as_str(), Some(link.as_str()));

    app.sim.complete_run(
        OWNER,
        NAME,
        unit,
        &RunOutcome::new("failure")
            .job("test", "failure")
            .job("build", "success"),
    );
    deliver(
        &app,
        "workflow_run",
        &run_event(&app, "completed", unit).await,
    )
    .await;
    let done = self::check(&app, "gantry/ci: unit").await;
    assert_eq!(
        (done["status"].as_str(), done["conclusion"].as_str()),
        (Some("completed"), Some("failure"))
    );
    assert_eq!(done["details_url"].as_str(), Some(link.as_str()));
    assert_eq!(
        self::check(&app, "gantry/ci: lint").await["status"],
        "queued",
        "lint's run has not moved"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retest_reruns_only_the_failed_jobs_and_requeues_their_check_run() {
    let app = ci_app().await;
    app.grant(REPO, "reviewer", "triage").await;
    deliver(&app, "pull_request", &pull_payload("opened", ADMIN, &[])).await;
    let runs = dispatched(&app).await;
    let (unit, lint) = (run_id(&runs, "unit.yml"), run_id(&runs, "lint.yml"));
    app.sim.complete_run(
        OWNER,
        NAME,
        unit,
        &RunOutcome::new("failure")
            .job("test", "failure")
            .job("build", "success"),
    );
    app.sim.complete_run(
        OWNER,
        NAME,
        lint,
        &RunOutcome::new("success").job("lint", "success"),
    );
    for id in [unit, lint] {
        deliver(
            &app,
            "workflow_run",
            &run_event(&app, "completed", id).await,
        )
        .await;
    }
    assert_eq!(
        check(&app, "gantry/ci: unit").await["conclusion"],
        "failure"
    );

    say(&app, "reviewer", "/retest").await;
    let path = |id: u64, what: &str| format!("/repos/{OWNER}/{NAME}/actions/runs/{id}/{what}");
    assert_eq!(
        app.sim
            .request_count("POST", &path(unit, "rerun-failed-jobs")),
        1
    );
    assert_eq!(
        app.sim.request_count("POST", &path(unit, "rerun")),
        0,
        "not the whole run"
    );
    assert_eq!(
        app.sim
            .request_count("POST", &path(lint, "rerun-failed-jobs")),
        0,
        "lint passed"
    );
    let jobs = app
        .sim_get(REPO, &format!("/actions/runs/{unit}/jobs"))
        .await;
    let states: Vec<(String, String)> = jobs["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| {
            (
                j["name"].as_str().unwrap().to_owned(),
                j["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(
        states.contains(&("test".into(), "queued".into()))
            && states.contains(&("build".into(), "completed".into())),
        "{states:?}"
    );
    assert_eq!(check(&app, "gantry/ci: unit").await["status"], "queued");
    assert_eq!(
        check(&app, "gantry/ci: lint").await["conclusion"],
        "success"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_all_and_test_name_dispatch_those_jobs_and_an_unknown_name_gets_the_list() {
    let app = ci_app().await;
    app.grant(REPO, "reviewer", "triage").await;
    say(&app, "reviewer", "/test all").await;
    assert_eq!(
        paths(&dispatched(&app).await),
        [".github/workflows/lint.yml", ".github/workflows/unit.yml"]
    );

    say(&app, "reviewer", "/test e2e").await;
    let runs = dispatched(&app).await;
    assert_eq!(runs.len(), 3);
    assert_eq!(
        runs.iter().filter(|(p, _)| p.ends_with("e2e.yml")).count(),
        1,
        "a job that runs on request only"
    );
    assert_eq!(check(&app, "gantry/ci: e2e").await["status"], "queued");

    say(&app, "reviewer", "/test unit").await;
    assert_eq!(
        dispatched(&app)
            .await
            .iter()
            .filter(|(p, _)| p.ends_with("unit.yml"))
            .count(),
        2,
        "/test runs a job again"
    );
    assert!(replies(&app).await.is_empty());

    say(&app, "reviewer", "/test x").await;
    assert_eq!(dispatched(&app).await.len(), 4, "nothing more");
    let replies = replies(&app).await;
    assert_eq!(replies.len(), 1, "{replies:?}");
    assert!(
        replies[0].contains("@reviewer: there is no CI job `x`"),
        "{}",
        replies[0]
    );
    assert!(
        replies[0].contains("`unit`, `lint`, `e2e` (on request only)"),
        "{}",
        replies[0]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untrusted_authors_pull_request_waits_for_ok_to_test() {
    let app = ci_app().await;
    app.grant(REPO, "contributor", "read").await;
    deliver(
        &app,
        "pull_request",
        &pull_payload("opened", "contributor", &[]),
    )
    .await;
    assert!(dispatched(&app).await.is_empty(), "no dispatch");
    assert!(checks(&app).await.is_empty(), "no check runs");
    assert!(labels(&app).await.iter().any(|l| l == "needs-ok-to-test"));
    let first = replies(&app).await;
    assert_eq!(first.len(), 1);
    assert!(first[0].contains("/ok-to-test"), "{}", first[0]);

    // Another push: still waiting, and the explanation is not repeated.
    deliver(
        &app,
        "pull_request",
        &pull_payload("synchronize", "contributor", &["needs-ok-to-test"]),
    )
    .await;
    assert!(dispatched(&app).await.is_empty());
    assert_eq!(replies(&app).await.len(), 1, "replied once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ok_to_test_from_a_writer_admits_the_pull_request_and_from_a_reader_is_ignored() {
    let app = ci_app().await;
    app.grant(REPO, "contributor", "read").await;
    app.grant(REPO, "writer", "write").await;
    deliver(
        &app,
        "pull_request",
        &pull_payload("opened", "contributor", &[]),
    )
    .await;

    say(&app, "contributor", "/ok-to-test").await;
    assert!(
        dispatched(&app).await.is_empty(),
        "a reader cannot admit it"
    );
    assert!(labels(&app).await.iter().any(|l| l == "needs-ok-to-test"));

    say(&app, "writer", "/ok-to-test").await;
    assert_eq!(
        paths(&dispatched(&app).await),
        [".github/workflows/lint.yml", ".github/workflows/unit.yml"]
    );
    let labels = labels(&app).await;
    assert!(
        labels.iter().any(|l| l == "ok-to-test") && !labels.iter().any(|l| l == "needs-ok-to-test"),
        "{labels:?}"
    );
    assert_eq!(check(&app, "gantry/ci: unit").await["status"], "queued");

    // GitHub's `labeled` event for the label /ok-to-test added starts nothing twice.
    let mut labeled = pull_payload("labeled", "contributor", &["ok-to-test"]);
    labeled["label"] = json!({ "name": "ok-to-test" });
    deliver(&app, "pull_request", &labeled).await;
    assert_eq!(dispatched(&app).await.len(), 2);
}
