//! Comment commands routed by the host (`services::commands`), through the real
//! `asker` fixture, which declares `/poke` for `triage` and up: the commenter's
//! permission is checked on GitHub first; edits (of a command that does not opt
//! in, see `edited_commands`) and bots are ignored; `/help`
//! lists the enabled commands; `@gantry approve ID` by a maintainer decides a held
//! action.
use std::time::Duration;

use gantry_server::db::kv::{self, KvScope};
use serde_json::Value;

use crate::helpers::{corpus_payload, delivery_id, spawn_app, AppOptions, Plugins, TestApp};

async fn asker_app() -> TestApp {
    spawn_app(AppOptions {
        plugins: Plugins::Named(&["asker"]),
        ..AppOptions::default()
    })
    .await
}

/// Gives `user` a permission on Codertocat/Hello-World, as GitHub's API does.
pub(crate) async fn grant(app: &TestApp, user: &str, permission: &str) {
    // The simulator learns the repository from a payload it sees.
    app.sim.learn(
        "issue_comment",
        &serde_json::from_slice(&corpus_payload("issue_comment/created.payload.json")).unwrap(),
    );
    let url = format!(
        "{}/repos/Codertocat/Hello-World/collaborators/{user}",
        app.state.settings.github.api_url
    );
    let answer = app
        .http
        .put(url)
        .bearer_auth("test-token")
        .json(&serde_json::json!({ "permission": permission }))
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_success(), "{}", answer.status());
}

/// The corpus `issue_comment` payload with `body` by `user`.
pub(crate) fn comment(action: &str, user: &str, body: &str) -> Vec<u8> {
    let file = if action == "edited" {
        "issue_comment/edited.payload.json"
    } else {
        "issue_comment/created.payload.json"
    };
    let mut payload: Value = serde_json::from_slice(&corpus_payload(file)).unwrap();
    payload["comment"]["body"] = body.into();
    payload["comment"]["user"]["login"] = user.into();
    if user.ends_with("[bot]") {
        payload["comment"]["user"]["type"] = "Bot".into();
    }
    serde_json::to_vec(&payload).unwrap()
}

async fn say(app: &TestApp, action: &str, user: &str, body: &str) -> String {
    let id = delivery_id();
    assert_eq!(
        app.post_webhook("issue_comment", &id, &comment(action, user, body))
            .await
            .status(),
        202
    );
    app.wait_for_idle_queue(Duration::from_secs(30)).await;
    id
}

async fn poked(app: &TestApp) -> Option<String> {
    let scope = KvScope {
        plugin: "asker",
        project: "Codertocat/Hello-World",
    };
    kv::get(&app.state.db, scope, "command")
        .await
        .unwrap()
        .map(|v| String::from_utf8(v).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declared_command_reaches_its_plugin_with_the_commenters_permission() {
    let app = asker_app().await;
    grant(&app, "triager", "triage").await;
    let id = say(
        &app,
        "created",
        "triager",
        "Thanks!\n/poke gently please\n> /poke quoted\n<!-- /poke hidden -->",
    )
    .await;
    assert_eq!(
        poked(&app).await.as_deref(),
        Some("poke gently please by triager as Triage on #1")
    );
    let runs = app.runs_of(&id).await;
    assert_eq!(runs.len(), 1, "one command line, one run: {runs:?}");
    assert_eq!(runs[0].plugin, "asker /poke #0");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_permission_edits_and_bots_the_command_does_not_run() {
    let app = asker_app().await;
    grant(&app, "reader", "read").await;
    say(&app, "created", "reader", "/poke").await;
    assert_eq!(poked(&app).await, None, "read is below triage");
    let refused = gantry_server::db::audit::with_action(&app.state.db, "command.refused")
        .await
        .unwrap();
    assert_eq!(refused.len(), 1);
    grant(&app, "triager", "triage").await;
    say(&app, "edited", "triager", "/poke").await;
    say(&app, "created", "helper[bot]", "/poke").await;
    assert_eq!(poked(&app).await, None, "edits and bots are ignored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn help_lists_the_commands_enabled_on_the_repository_once() {
    let app = asker_app().await;
    grant(&app, "reader", "read").await;
    let id = delivery_id();
    let body = comment("created", "reader", "/help");
    for _ in 0..2 {
        // The same delivery twice: one job, one reply.
        assert_eq!(
            app.post_webhook("issue_comment", &id, &body).await.status(),
            202
        );
    }
    app.wait_for_idle_queue(Duration::from_secs(30)).await;
    let comments = app
        .sim
        .issue_comments("Codertocat", "Hello-World", 1)
        .unwrap();
    let help: Vec<&String> = comments
        .iter()
        .filter(|c| c.contains("Commands on this repository"))
        .collect();
    assert_eq!(help.len(), 1, "{comments:?}");
    assert!(
        help[0].contains("/poke") && help[0].contains("asker") && help[0].contains("triage"),
        "{}",
        help[0]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_maintainer_approves_a_held_action_with_a_comment_and_others_cannot() {
    let app = asker_app().await;
    let rule = gantry_server::services::policies::RuleForm {
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
    gantry_server::services::policies::add(
        &app.state.db,
        app.state.audit_key(),
        &gantry_server::domain::Actor::user("test", None),
        rule,
    )
    .await
    .unwrap();
    let opened = delivery_id();
    assert_eq!(
        app.post_webhook(
            "issues",
            &opened,
            &corpus_payload("issues/opened.payload.json")
        )
        .await
        .status(),
        202
    );
    app.wait_for_idle_queue(Duration::from_secs(30)).await;
    let log = app
        .runs_of(&opened)
        .await
        .pop()
        .unwrap()
        .log
        .unwrap_or_default();
    let held = log
        .split("held for approval: ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap()
        .to_owned();
    assert_eq!(app.sim.write_count(), 0);

    grant(&app, "writer", "push").await;
    say(
        &app,
        "created",
        "writer",
        &format!("@gantry approve {held}"),
    )
    .await;
    let comments = app
        .sim
        .issue_comments("Codertocat", "Hello-World", 1)
        .unwrap();
    assert!(
        comments.iter().any(|c| c.contains("only maintainers")),
        "{comments:?}"
    );
    assert!(!comments.iter().any(|c| c.contains("asker was here")));

    grant(&app, "lead", "maintain").await;
    say(&app, "created", "lead", &format!("@Gantry approve {held}")).await;
    let comments = app
        .sim
        .issue_comments("Codertocat", "Hello-World", 1)
        .unwrap();
    assert_eq!(
        comments
            .iter()
            .filter(|c| c.contains("asker was here"))
            .count(),
        1,
        "{comments:?}"
    );
    assert!(comments
        .iter()
        .any(|c| c.contains(&format!("Approved `{held}`"))));
    let approved = gantry_server::db::approvals::find(&app.state.db, &held)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(approved.decided_by.as_deref(), Some("lead"));
}
