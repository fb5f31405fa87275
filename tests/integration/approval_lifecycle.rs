//! Approvals bound to what was asked and run exactly once: a push to a pull request
//! supersedes its held writes (the plugin hears it as `denied`, saying why); the
//! policy is checked again when an approved action is to run (a rule turned deny,
//! or the plugin disabled since, stops it, audited); re-approving a failed action
//! is exactly-once and audited per attempt; and an approved action whose run never
//! finished becomes failed, so it can be approved again or denied.
use std::time::Duration;

use gantry_server::db::approvals;
use gantry_server::db::audit;
use gantry_server::db::kv::{self, KvScope};
use gantry_server::domain::Actor;
use gantry_server::services::policies::{self, RuleForm};
use reqwest::Method;
use sea_orm::ConnectionTrait;

use crate::helpers::{
    corpus_payload, delivery_id, pull_request, spawn_app, wait_until, AppOptions, Plugins, TestApp,
};

fn rule(scope: &str, plugin: &str, capability: &str, effect: &str) -> RuleForm {
    RuleForm {
        scope: scope.into(),
        plugin: Some(plugin.into()),
        capability: capability.into(),
        effect: effect.into(),
        branch: None,
        event_branch: None,
        min_permission: None,
        enforced: false,
        approvals: None,
    }
}

async fn add(app: &TestApp, form: RuleForm) {
    policies::add(&app.state.db, app.state.audit_key(), &Actor::cli(), form)
        .await
        .unwrap();
}

/// Posts a delivery; returns the id of the approval its plugin's write is held as.
async fn held(app: &TestApp, event: &str, body: &[u8]) -> String {
    let id = delivery_id();
    assert_eq!(app.post_webhook(event, &id, body).await.status(), 202);
    app.wait_for_idle_queue(Duration::from_secs(30)).await;
    let log = app
        .runs_of(&id)
        .await
        .pop()
        .unwrap()
        .log
        .unwrap_or_default();
    log.split("held for approval: ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_else(|| panic!("not held: {log}"))
        .to_owned()
}

/// asker with its comments held; returns the approval of the corpus issue's.
async fn asker_held() -> (TestApp, String) {
    let app = spawn_app(AppOptions {
        plugins: Plugins::Named(&["asker"]),
        ..AppOptions::default()
    })
    .await;
    add(&app, rule("global", "asker", "issues:write", "ask")).await;
    let body = corpus_payload("issues/opened.payload.json");
    let id = held(&app, "issues", &body).await;
    (app, id)
}

async fn status_of(app: &TestApp, id: &str) -> String {
    approvals::find(&app.state.db, id)
        .await
        .unwrap()
        .unwrap()
        .status
}

/// What the plugin recorded when told how `approval` ended.
async fn told(app: &TestApp, plugin: &'static str, approval: &str) -> String {
    let key = format!("resolved:{approval}");
    let scope = KvScope {
        plugin,
        project: "Codertocat/Hello-World",
    };
    let read = || async {
        kv::get(&app.state.db, scope, &key)
            .await
            .unwrap()
            .map(|v| String::from_utf8(v).unwrap())
    };
    wait_until(
        Duration::from_secs(10),
        "the plugin to hear the outcome",
        || async { read().await.is_some() },
    )
    .await;
    read().await.unwrap()
}

fn asker_comments(app: &TestApp) -> usize {
    app.sim
        .issue_comments("Codertocat", "Hello-World", 1)
        .unwrap_or_default()
        .iter()
        .filter(|c| c.contains("asker was here"))
        .count()
}

/// Sets an approval's status (and when it was decided) as a crash would leave it.
async fn force_status(app: &TestApp, id: &str, status: &str, hours_ago: i64) {
    let at = (chrono::Utc::now() - chrono::Duration::hours(hours_ago)).to_rfc3339();
    // The id is hex from the write's key and the rest are constants: safe in SQL.
    app.state
        .db
        .execute_unprepared(&format!(
            "UPDATE approvals SET status = '{status}', decided_at = '{at}' WHERE public_id = '{id}'"
        ))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_to_the_pull_request_supersedes_its_held_write() {
    let app = spawn_app(AppOptions {
        plugins: Plugins::Named(&["selfapprover"]),
        ..AppOptions::default()
    })
    .await;
    let mut opened: serde_json::Value = serde_json::from_slice(&pull_request(7, "opened")).unwrap();
    opened["pull_request"]["head"]["sha"] = "1111111111111111111111111111111111111111".into();
    let first = held(&app, "pull_request", &serde_json::to_vec(&opened).unwrap()).await;
    let row = approvals::find(&app.state.db, &first)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (row.pull_number, row.head_sha.as_deref()),
        (Some(7), Some("1111111111111111111111111111111111111111"))
    );
    let mut pushed = opened.clone();
    pushed["action"] = "synchronize".into();
    pushed["pull_request"]["head"]["sha"] = "2222222222222222222222222222222222222222".into();
    let second = held(&app, "pull_request", &serde_json::to_vec(&pushed).unwrap()).await;
    assert_ne!(first, second);
    assert_eq!(status_of(&app, &first).await, "superseded");
    assert_eq!(
        status_of(&app, &second).await,
        "pending",
        "held for the new head"
    );
    let outcome = told(&app, "selfapprover", &first).await;
    assert!(
        outcome.starts_with("Denied: superseded: pull request #7 was pushed to"),
        "{outcome}"
    );
    let audited = audit::with_action(&app.state.db, "approval.superseded")
        .await
        .unwrap();
    assert_eq!(audited.len(), 1);
    assert_eq!(audited[0].actor_kind, "github");
    let late = app
        .api(Method::POST, &format!("/approvals/{first}/approve"))
        .send()
        .await
        .unwrap();
    assert_eq!(late.status(), 409, "a superseded action cannot be approved");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rule_turned_deny_after_the_hold_stops_the_approved_action() {
    let (app, id) = asker_held().await;
    add(
        &app,
        rule(
            "repo:codertocat/hello-world",
            "asker",
            "issues:write",
            "deny",
        ),
    )
    .await;
    let answer = app
        .api(Method::POST, &format!("/approvals/{id}/approve"))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 409);
    let body: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(body["error"], "stopped_by_policy");
    assert_eq!(asker_comments(&app), 0, "it never ran");
    assert_eq!(status_of(&app, &id).await, "stopped");
    let stopped = audit::with_action(&app.state.db, "approval.stopped")
        .await
        .unwrap();
    assert_eq!(stopped.len(), 1);
    assert!(stopped[0]
        .details
        .as_deref()
        .unwrap()
        .contains("the policy now denies it"));
    let outcome = told(&app, "asker", &id).await;
    assert!(
        outcome.starts_with("Denied by Some(\"gantry\")"),
        "{outcome}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_disabled_after_the_hold_does_not_run_its_approved_action() {
    let (app, id) = asker_held().await;
    let disabled = app
        .api(Method::POST, "/plugins/asker/disable")
        .send()
        .await
        .unwrap();
    assert_eq!(disabled.status(), 200);
    let answer = app
        .api(Method::POST, &format!("/approvals/{id}/approve"))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 409);
    assert_eq!(asker_comments(&app), 0);
    assert_eq!(status_of(&app, &id).await, "stopped");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_concurrent_retries_of_a_failed_approval_run_it_once_and_each_attempt_is_audited() {
    let (app, id) = asker_held().await;
    force_status(&app, &id, "failed", 0).await;
    let approve = || {
        app.api(Method::POST, &format!("/approvals/{id}/approve"))
            .send()
    };
    let (a, b) = tokio::join!(approve(), approve());
    let mut codes = vec![a.unwrap().status().as_u16(), b.unwrap().status().as_u16()];
    codes.sort_unstable();
    assert_eq!(codes, vec![200, 409]);
    assert_eq!(asker_comments(&app), 1);
    let retried = audit::with_action(&app.state.db, "approval.retried")
        .await
        .unwrap();
    assert_eq!(retried.len(), 1, "one row per attempt that ran");
    assert_eq!(retried[0].actor, "api-token");
    assert_eq!(status_of(&app, &id).await, "executed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approved_action_whose_run_never_finished_becomes_failed_and_can_be_denied() {
    let (app, id) = asker_held().await;
    force_status(&app, &id, "approved", 2).await;
    wait_until(
        Duration::from_secs(10),
        "the sweep to give up on the run",
        || async { status_of(&app, &id).await == "failed" },
    )
    .await;
    let abandoned = audit::with_action(&app.state.db, "approval.abandoned")
        .await
        .unwrap();
    assert_eq!(abandoned.len(), 1);
    let deny = app
        .api(Method::POST, &format!("/approvals/{id}/deny"))
        .send()
        .await
        .unwrap();
    assert_eq!(deny.status(), 200);
    assert_eq!(status_of(&app, &id).await, "denied");
    assert_eq!(asker_comments(&app), 0);
}
