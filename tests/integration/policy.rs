//! Policies and approvals end to end (S6), and the audit log's chain (A8 for
//! decisions, approvals and policy changes).
use std::time::Duration;

use gantry_server::db::audit;
use gantry_server::services::policies::{self, RuleForm};
use reqwest::Method;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::Value;

use crate::helpers::{delivery_id, pull_request, spawn_app, AppOptions, TestApp};

fn rule(effect: &str) -> RuleForm {
    RuleForm {
        scope: "repo:codertocat/hello-world".into(),
        plugin: Some("hooks".into()),
        capability: "issues:write".into(),
        effect: effect.into(),
        branch: None,
        event_branch: None,
        min_permission: None,
        enforced: false,
        approvals: None,
    }
}

/// Sets the only rule for hooks' writes to `effect`.
async fn set_rule(app: &TestApp, effect: &str) {
    for existing in gantry_server::policy::store::all(&app.state.db)
        .await
        .unwrap()
    {
        policies::remove(
            &app.state.db,
            app.state.audit_key(),
            &gantry_server::domain::Actor::user("test", None),
            existing.id,
        )
        .await
        .unwrap();
    }
    policies::add(
        &app.state.db,
        app.state.audit_key(),
        &gantry_server::domain::Actor::user("test", None),
        rule(effect),
    )
    .await
    .unwrap();
}

/// Opens pull request `number` and waits for its job; returns the comment count.
async fn open_pull_request(app: &TestApp, number: u64) -> usize {
    let id = delivery_id();
    assert_eq!(
        app.post_webhook("pull_request", &id, &pull_request(number, "opened"))
            .await
            .status(),
        202
    );
    app.wait_for_idle_queue(Duration::from_secs(20)).await;
    app.sim
        .issue_comments("Codertocat", "Hello-World", number)
        .map_or(0, |c| c.len())
}

async fn pending_approvals(app: &TestApp) -> Vec<Value> {
    let body: Value = app
        .api(Method::GET, "/approvals?status=pending")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["approvals"].as_array().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_write_under_deny_ask_and_allow_reaches_github_zero_then_once_after_approval_then_once()
{
    let app = spawn_app(AppOptions::default()).await;

    set_rule(&app, "deny").await;
    assert_eq!(open_pull_request(&app, 3).await, 0);
    assert_eq!(app.sim.write_count(), 0, "deny: no call");

    set_rule(&app, "ask").await;
    assert_eq!(open_pull_request(&app, 4).await, 0);
    assert_eq!(app.sim.write_count(), 0, "ask: no call before approval");
    let pending = pending_approvals(&app).await;
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0]["action"]["kind"], "create_comment");
    assert_eq!(pending[0]["action"]["number"], 4);
    let id = pending[0]["id"].as_str().unwrap().to_owned();
    let approve = app
        .api(Method::POST, &format!("/approvals/{id}/approve"))
        .json(&serde_json::json!({"reason": "looks fine"}))
        .send()
        .await
        .unwrap();
    assert_eq!(approve.status(), 200);
    assert_eq!(
        app.sim
            .issue_comments("Codertocat", "Hello-World", 4)
            .unwrap()
            .len(),
        1,
        "exactly one after approval"
    );
    let again = app
        .api(Method::POST, &format!("/approvals/{id}/approve"))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 409);
    assert_eq!(
        app.sim
            .issue_comments("Codertocat", "Hello-World", 4)
            .unwrap()
            .len(),
        1,
        "approving twice still gives one"
    );

    set_rule(&app, "allow").await;
    assert_eq!(open_pull_request(&app, 5).await, 1);
    assert_eq!(
        app.sim.write_count(),
        2,
        "one approved write and one allowed write in all"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_denied_approval_never_runs() {
    let app = spawn_app(AppOptions::default()).await;
    set_rule(&app, "ask").await;
    open_pull_request(&app, 6).await;
    let id = pending_approvals(&app).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let deny = app
        .api(Method::POST, &format!("/approvals/{id}/deny"))
        .json(&serde_json::json!({"reason": "no"}))
        .send()
        .await
        .unwrap();
    assert_eq!(deny.status(), 200);
    let approve = app
        .api(Method::POST, &format!("/approvals/{id}/approve"))
        .send()
        .await
        .unwrap();
    assert_eq!(approve.status(), 409);
    assert_eq!(app.sim.write_count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explain_says_which_rule_decides_and_why() {
    let app = spawn_app(AppOptions::default()).await;
    set_rule(&app, "ask").await;
    let q =
        "/policies/explain?plugin=hooks&capability=issues:write&repository=Codertocat/Hello-World";
    let body: Value = app
        .api(Method::GET, q)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["effect"], "ask");
    assert!(
        body["reason"]
            .as_str()
            .unwrap()
            .contains("repo:codertocat/hello-world"),
        "{body}"
    );
    let other: Value = app
        .api(Method::GET, &q.replace("Hello-World", "Other"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        other["effect"], "allow",
        "the built-in default decides elsewhere"
    );
    let invalid = app.api(Method::POST, "/policies").json(&serde_json::json!({"scope": "repo:x", "capability": "issues:write", "effect": "allow"})).send().await.unwrap();
    assert_eq!(invalid.status(), 422);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_log_records_each_step_refuses_changes_and_detects_a_flipped_byte() {
    let app = spawn_app(AppOptions::default()).await;
    set_rule(&app, "ask").await;
    open_pull_request(&app, 7).await;
    let id = pending_approvals(&app).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.api(Method::POST, &format!("/approvals/{id}/approve"))
        .send()
        .await
        .unwrap();
    let db = &app.state.db;
    for (action, expected) in [
        ("policy.created", 1),
        ("policy.decision", 1),
        ("approval.requested", 1),
        ("approval.approved", 1),
        ("action.executed", 1),
    ] {
        assert_eq!(
            audit::with_action(db, action).await.unwrap().len(),
            expected,
            "{action}"
        );
    }
    let verified = audit::verify(db, app.state.audit_key(), None)
        .await
        .unwrap()
        .expect("the chain verifies");
    assert_eq!(
        verified.rows, 6,
        "the five steps, after hooks was installed from the plugin directory at start"
    );

    // The database refuses to change or delete audit rows...
    let backend = db.get_database_backend();
    let update = "UPDATE audit_log SET actor = 'mallory' WHERE id = 3";
    assert!(
        db.execute_unprepared(update).await.is_err(),
        "updates must be refused"
    );
    assert!(
        db.execute_unprepared("DELETE FROM audit_log WHERE id = 3")
            .await
            .is_err(),
        "deletes must be refused"
    );
    // ...and when someone with enough access changes one byte anyway, verify finds it.
    let disable = match backend {
        sea_orm::DbBackend::Postgres => {
            "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"
        }
        _ => "DROP TRIGGER audit_log_no_update",
    };
    db.execute_unprepared(disable).await.unwrap();
    db.execute_raw(Statement::from_string(
        backend,
        "UPDATE audit_log SET outcome = 'pendinG' WHERE id = 3",
    ))
    .await
    .unwrap();
    let broken = audit::verify(db, app.state.audit_key(), None)
        .await
        .unwrap()
        .expect_err("the chain must break");
    assert_eq!(broken.id, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stored_branch_condition_keeps_its_meaning_across_the_event_branch_migration() {
    use gantry_migrations::{Migrator, MigratorTrait};
    let dir = tempfile::tempdir().unwrap();
    let database = crate::helpers::fresh_database_url(&dir).await;
    let db = &gantry_server::db::connect(&database.url, 2).await.unwrap();
    // The schema before `event_branch`: twelve migrations.
    Migrator::up(db, Some(12)).await.unwrap();
    for (capability, branch) in [("issues:*", "release/*"), ("contents:write", "main")] {
        db.execute_unprepared(&format!(
            "INSERT INTO policy_rules (scope, scope_name, capability, effect, branch, enforced, created_at) \
             VALUES ('org', 'octo', '{capability}', 'deny', '{branch}', false, CURRENT_TIMESTAMP)"
        ))
        .await
        .unwrap();
    }
    Migrator::up(db, None).await.unwrap();
    let rules = gantry_server::policy::store::all(db).await.unwrap();
    // Issue writes never change a branch: the condition was about the event's.
    assert_eq!(rules[0].conditions.branch, None);
    assert_eq!(
        rules[0].conditions.event_branch.as_deref(),
        Some("release/*")
    );
    // A contents write protects the branch it writes.
    assert_eq!(rules[1].conditions.branch.as_deref(), Some("main"));
    assert_eq!(rules[1].conditions.event_branch, None);
}
