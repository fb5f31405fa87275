//! The plugin side of approvals and commands, through the real `asker` fixture: a
//! plugin whose write was held hears how it ended (`approval-resolved`) once it is
//! approved, denied or expired; an expired action never runs; and `handle-command`
//! receives the command with the commenter's permission.
use std::time::Duration;

use gantry_server::db::kv::{self, KvScope};
use gantry_server::services::policies::{self, RuleForm};
use gantry_server::wasm_host::{JobEnv, PluginCommand, PluginEvent};
use reqwest::Method;
use serde_json::Value;

use crate::helpers::{
    corpus_payload, delivery_id, spawn_app, wait_until, AppOptions, Plugins, TestApp,
};

const PROJECT: &str = "Codertocat/Hello-World";

async fn asker_app(tweak: Option<fn(&mut gantry_server::config::Settings)>) -> TestApp {
    let app = spawn_app(AppOptions {
        plugins: Plugins::Named(&["asker"]),
        tweak,
        ..AppOptions::default()
    })
    .await;
    let rule = RuleForm {
        scope: "global".into(),
        plugin: Some("asker".into()),
        capability: "issues:write".into(),
        effect: "ask".into(),
        branch: None,
        event_branch: None,
        min_permission: None,
        enforced: false,
        approvals: None,
    };
    policies::add(
        &app.state.db,
        app.state.audit_key(),
        &gantry_server::domain::Actor::user("test", None),
        rule,
    )
    .await
    .unwrap();
    app
}

/// Opens the corpus issue; returns the id of the approval holding asker's comment.
async fn held_comment(app: &TestApp) -> String {
    let id = delivery_id();
    assert_eq!(
        app.post_webhook("issues", &id, &corpus_payload("issues/opened.payload.json"))
            .await
            .status(),
        202
    );
    app.wait_for_idle_queue(Duration::from_secs(30)).await;
    let run = app.runs_of(&id).await.pop().unwrap();
    let log = run.log.unwrap_or_default();
    let approval = log
        .split("held for approval: ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("not held: {log}"));
    approval.to_owned()
}

async fn asker_kv(app: &TestApp, key: &str) -> Option<String> {
    let scope = KvScope {
        plugin: "asker",
        project: PROJECT,
    };
    kv::get(&app.state.db, scope, key)
        .await
        .unwrap()
        .map(|v| String::from_utf8(v).unwrap())
}

async fn told(app: &TestApp, approval: &str) -> String {
    let key = format!("resolved:{approval}");
    wait_until(
        Duration::from_secs(10),
        "the plugin to hear the outcome",
        || async { asker_kv(app, &key).await.is_some() },
    )
    .await;
    asker_kv(app, &key).await.unwrap()
}

fn issue_number() -> u64 {
    let payload: Value =
        serde_json::from_slice(&corpus_payload("issues/opened.payload.json")).unwrap();
    payload["issue"]["number"].as_u64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approved_action_runs_once_and_the_plugin_hears_it_executed() {
    let app = asker_app(None).await;
    let approval = held_comment(&app).await;
    assert_eq!(app.sim.write_count(), 0);
    let approve = app
        .api(Method::POST, &format!("/approvals/{approval}/approve"))
        .json(&serde_json::json!({"reason": "ok"}))
        .send()
        .await
        .unwrap();
    assert_eq!(approve.status(), 200);
    assert_eq!(
        app.sim
            .issue_comments("Codertocat", "Hello-World", issue_number())
            .unwrap()
            .len(),
        1
    );
    let outcome = told(&app, &approval).await;
    assert!(outcome.starts_with("Executed by Some("), "{outcome}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_denied_action_never_runs_and_the_plugin_hears_who_denied_it() {
    let app = asker_app(None).await;
    let approval = held_comment(&app).await;
    let deny = app
        .api(Method::POST, &format!("/approvals/{approval}/deny"))
        .json(&serde_json::json!({"reason": "no"}))
        .send()
        .await
        .unwrap();
    assert_eq!(deny.status(), 200);
    let outcome = told(&app, &approval).await;
    assert!(outcome.starts_with("Denied by Some("), "{outcome}");
    assert_eq!(app.sim.write_count(), 0);
}

fn expire_at_once(settings: &mut gantry_server::config::Settings) {
    settings.approvals.expire_after_secs = 0;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_action_nobody_decides_expires_never_runs_and_is_audited() {
    let app = asker_app(Some(expire_at_once)).await;
    let approval = held_comment(&app).await;
    let outcome = told(&app, &approval).await;
    assert_eq!(outcome, "Expired by Some(\"gantry\")");
    let late = app
        .api(Method::POST, &format!("/approvals/{approval}/approve"))
        .send()
        .await
        .unwrap();
    assert_eq!(late.status(), 409, "an expired action cannot be approved");
    assert_eq!(app.sim.write_count(), 0);
    let expired = gantry_server::db::audit::with_action(&app.state.db, "approval.expired")
        .await
        .unwrap();
    assert_eq!(expired.len(), 1);
    assert_eq!(expired[0].details.as_deref(), Some(approval.as_str()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handle_command_receives_the_command_and_the_commenters_permission() {
    let app = spawn_app(AppOptions {
        plugins: Plugins::Named(&["asker"]),
        ..AppOptions::default()
    })
    .await;
    let repo = gantry_server::domain::RepoRef {
        owner: "Codertocat".into(),
        name: "Hello-World".into(),
    };
    let active = gantry_server::services::installed::active::for_repository(
        &app.state.db,
        &app.state.plugins,
        Some(&repo),
    )
    .await
    .unwrap();
    let plugin = active
        .all()
        .iter()
        .find(|p| p.plugin.manifest.name == "asker")
        .unwrap()
        .plugin
        .clone();
    assert_eq!(plugin.manifest.commands[0].verb, "poke");
    assert_eq!(plugin.manifest.commands[0].who, "triage");
    let env = JobEnv {
        github: app.state.github.client(None, None).await.unwrap(),
        db: app.state.db.clone(),
        rules: std::sync::Arc::new(vec![]),
        services: app.state.host_services.clone(),
        actors: Default::default(),
        stop: Default::default(),
    };
    let command = PluginCommand {
        event: PluginEvent {
            name: "issue_comment".into(),
            action: Some("created".into()),
            delivery_id: delivery_id(),
            repository: Some(gantry_server::domain::RepoRef {
                owner: "Codertocat".into(),
                name: "Hello-World".into(),
            }),
            payload: "{}".into(),
            generation: 0,
            is_retry: false,
            branch: None,
            config: None,
            invocation: None,
            cause: gantry_server::domain::Cause::default(),
        },
        verb: "poke".into(),
        args: "gently please".into(),
        author: "octocat".into(),
        author_permission: gantry_server::policy::Permission::Triage,
        number: 7,
        is_pull_request: false,
        comment_id: 42,
    };
    let report = app
        .state
        .runtime
        .invoke_command(&plugin, &command, &env)
        .await;
    assert_eq!(report.outcome.as_str(), "ok", "{report:?}");
    assert_eq!(
        asker_kv(&app, "command").await.as_deref(),
        Some("poke gently please by octocat as Triage on #7")
    );
}
