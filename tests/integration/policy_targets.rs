//! What the policy's conditions look at (security review H4 and M1), through the
//! real `brancher` fixture, which puts a file on a branch from an event or from
//! `/put BRANCH`: a `branch` condition is decided on the branch the write changes,
//! whatever the event's branch is or whether it has one; a `min_permission`
//! condition on the acting person's permission, read from GitHub, so the gate and
//! `explain` agree.
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{
    corpus_payload, delivery_id, pull_request, spawn_app, AppOptions, Plugins, TestApp,
};
use gantry_server::services::policies::{self, RuleForm};

const REPO: &str = "Codertocat/Hello-World";
/// The simulator's default branch of the corpus repository.
const MAIN: &str = "master";

async fn brancher_app() -> TestApp {
    let app = spawn_app(AppOptions {
        plugins: Plugins::Named(&["brancher"]),
        ..AppOptions::default()
    })
    .await;
    app.sim.learn(
        "issues",
        &serde_json::from_slice(&corpus_payload("issues/opened.payload.json")).unwrap(),
    );
    app
}

async fn add(app: &TestApp, rule: RuleForm) {
    policies::add(
        &app.state.db,
        app.state.audit_key(),
        &gantry_server::domain::Actor::cli(),
        rule,
    )
    .await
    .unwrap();
}

fn rule(scope: &str, effect: &str) -> RuleForm {
    RuleForm {
        scope: scope.into(),
        capability: "contents:write".into(),
        effect: effect.into(),
        ..RuleForm::default()
    }
}

/// Creates `branch` on the simulator at the default branch's head.
async fn create_branch(app: &TestApp, branch: &str) {
    let main = app.sim_get(REPO, &format!("/branches/{MAIN}")).await;
    let created = app
        .http
        .post(app.sim_repo_url(REPO, "/git/refs"))
        .bearer_auth("test-token")
        .json(&json!({ "ref": format!("refs/heads/{branch}"), "sha": main["commit"]["sha"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201, "{}", created.text().await.unwrap());
}

/// Whether `notes.txt` exists on `branch` of the simulator's repository.
async fn has_notes(app: &TestApp, branch: &str) -> bool {
    app.http
        .get(app.sim_repo_url(REPO, &format!("/contents/notes.txt?ref={branch}")))
        .bearer_auth("test-token")
        .send()
        .await
        .unwrap()
        .status()
        .is_success()
}

/// The brancher's log for a delivery.
async fn log_of(app: &TestApp, delivery: &str) -> String {
    app.runs_of(delivery)
        .await
        .into_iter()
        .filter(|r| r.plugin.starts_with("brancher"))
        .map(|r| r.log.unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n")
}

async fn deliver(app: &TestApp, event: &str, payload: &Value) -> String {
    let id = delivery_id();
    let answer = app
        .post_webhook(event, &id, &serde_json::to_vec(payload).unwrap())
        .await;
    assert_eq!(answer.status(), 202);
    app.wait_for_idle_queue(std::time::Duration::from_secs(30))
        .await;
    id
}

/// Writes are allowed everywhere but `master` of the repository, which is denied.
async fn protect_main(app: &TestApp) {
    add(app, rule("global", "allow")).await;
    add(
        app,
        RuleForm {
            branch: Some(MAIN.into()),
            ..rule("repo:codertocat/hello-world", "deny")
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_without_an_event_branch_cannot_put_a_file_on_a_branch_a_deny_protects() {
    let app = brancher_app().await;
    protect_main(&app).await;
    create_branch(&app, "dev").await;
    app.grant(REPO, "writer", "push").await;
    app.sim.learn(
        "issues",
        &serde_json::from_slice(&corpus_payload("issues/opened.payload.json")).unwrap(),
    );

    // An issue_comment has no branch: the deny must still hold for the branch written.
    let denied = app
        .comment(REPO, 1, "writer", &format!("/put {MAIN}"))
        .await;
    let log = log_of(&app, &denied).await;
    assert!(
        log.contains(&format!("put {MAIN}: HostError::Denied")),
        "{log}"
    );
    assert!(!has_notes(&app, MAIN).await, "the file reached {MAIN}");

    // The deny is about that branch only: another is written.
    let allowed = app.comment(REPO, 1, "writer", "/put dev").await;
    let log = log_of(&app, &allowed).await;
    assert!(log.contains("put dev: ok"), "{log}");
    assert!(has_notes(&app, "dev").await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pull_request_into_dev_cannot_write_to_a_branch_a_deny_protects() {
    let app = brancher_app().await;
    protect_main(&app).await;
    create_branch(&app, "dev").await;
    // The pull request's base is dev; the plugin writes master.
    let mut payload: Value = serde_json::from_slice(&pull_request(9, "opened")).unwrap();
    payload["pull_request"]["base"]["ref"] = "dev".into();
    let id = deliver(&app, "pull_request", &payload).await;
    let log = log_of(&app, &id).await;
    // It names no branch: the default branch, master, as the event says.
    assert!(log.contains("put (default): HostError::Denied"), "{log}");
    assert!(!has_notes(&app, MAIN).await, "the file reached {MAIN}");

    // The event's own branch can be a condition too, and still is the event's.
    policies::add(
        &app.state.db,
        app.state.audit_key(),
        &gantry_server::domain::Actor::cli(),
        RuleForm {
            event_branch: Some("dev".into()),
            ..rule("repo:codertocat/hello-world", "deny")
        },
    )
    .await
    .unwrap();
    let explained: Value = app
        .api(
            Method::GET,
            "/policies/explain?plugin=brancher&capability=contents:write&repository=Codertocat/Hello-World&branch=feature&event_branch=dev",
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(explained["effect"], "deny", "{explained}");
}

/// The corpus `issues.opened` delivery sent by `sender`.
fn issue_by(sender: &str) -> Value {
    let mut v: Value =
        serde_json::from_slice(&corpus_payload("issues/opened.payload.json")).unwrap();
    v["sender"]["login"] = sender.into();
    v
}

async fn explain_for(app: &TestApp, permission: &str) -> Value {
    app.api(
        Method::GET,
        &format!("/policies/explain?plugin=brancher&capability=contents:write&repository=Codertocat/Hello-World&branch={MAIN}&permission={permission}"),
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap()
}

async fn pending(app: &TestApp) -> usize {
    let body: Value = app
        .api(Method::GET, "/approvals?status=pending")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["approvals"].as_array().map_or(0, Vec::len)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_permission_condition_is_applied_to_the_events_sender_as_explain_says() {
    let app = brancher_app().await;
    add(
        &app,
        RuleForm {
            min_permission: Some("write".into()),
            ..rule("repo:codertocat/hello-world", "allow")
        },
    )
    .await;
    app.grant(REPO, "writer", "push").await;

    // A write collaborator: explain says allow, and the gate lets the write through.
    assert_eq!(explain_for(&app, "write").await["effect"], "allow");
    let id = deliver(&app, "issues", &issue_by("writer")).await;
    let log = log_of(&app, &id).await;
    assert!(log.contains("put (default): ok"), "{log}");
    assert_eq!(pending(&app).await, 0);

    // Someone without access: explain says the built-in ask decides, and it holds.
    assert_eq!(explain_for(&app, "none").await["effect"], "ask");
    let id = deliver(&app, "issues", &issue_by("stranger")).await;
    let log = log_of(&app, &id).await;
    assert!(log.contains("held for approval"), "{log}");
    assert_eq!(pending(&app).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deny_with_a_permission_condition_applies_to_a_commenter_who_has_it() {
    let app = brancher_app().await;
    add(&app, rule("global", "allow")).await;
    add(
        &app,
        RuleForm {
            min_permission: Some("write".into()),
            ..rule("repo:codertocat/hello-world", "deny")
        },
    )
    .await;
    app.grant(REPO, "writer", "push").await;
    app.sim.learn(
        "issues",
        &serde_json::from_slice(&corpus_payload("issues/opened.payload.json")).unwrap(),
    );
    assert_eq!(explain_for(&app, "write").await["effect"], "deny");
    let id = app
        .comment(REPO, 1, "writer", &format!("/put {MAIN}"))
        .await;
    let log = log_of(&app, &id).await;
    assert!(
        log.contains(&format!("put {MAIN}: HostError::Denied")),
        "{log}"
    );
    assert!(!has_notes(&app, MAIN).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_release_that_would_tag_a_protected_branch_is_decided_on_that_branch() {
    // The releaser drafts a release with no target: GitHub makes the tag from the
    // default branch, which the event names, so that is the branch decided on.
    let app = spawn_app(AppOptions {
        plugins: Plugins::Named(&["releaser"]),
        ..AppOptions::default()
    })
    .await;
    app.sim.learn(
        "issues",
        &serde_json::from_slice(&corpus_payload("issues/opened.payload.json")).unwrap(),
    );
    protect_main(&app).await;
    let id = deliver(&app, "issues", &issue_by("Codertocat")).await;
    let log = app
        .runs_of(&id)
        .await
        .into_iter()
        .map(|r| r.log.unwrap_or_default())
        .collect::<String>();
    assert!(log.contains("release: HostError::Denied"), "{log}");
    let releases = app.sim_get(REPO, "/releases").await;
    assert_eq!(releases.as_array().map(Vec::len), Some(0), "{releases}");
}
