//! One `Actor` (issue 18 item 1): the same caller is recorded as the same actor
//! through every path — a policy change, an approval decision, a plugin change and
//! a replay by one API token are all `login (token:ID)` of kind `api`; the same
//! person signed in to the dashboard is `login` of kind `user`.
use std::time::Duration;

use gantry_server::auth::{accounts, Role};
use gantry_server::domain::Actor;
use gantry_server::services::policies::{self, RuleForm};
use reqwest::Method;
use serde_json::json;

use crate::helpers::{corpus_payload, delivery_id, spawn_app, AppOptions, Plugins};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_caller_is_the_same_actor_through_every_path() {
    let app = spawn_app(AppOptions {
        plugins: Plugins::Named(&["asker"]),
        ..AppOptions::default()
    })
    .await;
    let ask = RuleForm {
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
    policies::add(&app.state.db, app.state.audit_key(), &Actor::cli(), ask)
        .await
        .unwrap();
    let delivery = delivery_id();
    let body = corpus_payload("issues/opened.payload.json");
    assert_eq!(
        app.post_webhook("issues", &delivery, &body).await.status(),
        202
    );
    app.wait_for_idle_queue(Duration::from_secs(30)).await;
    let held = gantry_server::db::approvals::list(&app.state.db, None)
        .await
        .unwrap()[0]
        .public_id
        .clone();

    app.create_user("boss", Some(Role::Admin)).await;
    let (token_id, token) = accounts::create_token(
        &app.state.db,
        app.state.audit_key(),
        &Actor::cli(),
        "boss",
        "everything",
        Role::Admin,
    )
    .await
    .unwrap();
    let call = |method: Method, path: &str| {
        app.http
            .request(method, format!("{}/api/v1{path}", app.address))
            .bearer_auth(&token)
    };
    let rule = json!({"scope": "global", "capability": "checks:write", "effect": "deny"});
    assert_eq!(
        call(Method::POST, "/policies")
            .json(&rule)
            .send()
            .await
            .unwrap()
            .status(),
        201
    );
    assert_eq!(
        call(Method::POST, &format!("/approvals/{held}/deny"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        call(Method::POST, "/plugins/asker/disable")
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        call(Method::POST, &format!("/deliveries/{delivery}/replay"))
            .send()
            .await
            .unwrap()
            .status(),
        202
    );

    let expected = format!("boss (token:{token_id})");
    for action in [
        "policy.created",
        "approval.denied",
        "plugin.disabled",
        "delivery.replayed",
    ] {
        let rows = gantry_server::db::audit::with_action(&app.state.db, action)
            .await
            .unwrap();
        let last = rows.last().unwrap_or_else(|| panic!("no {action} row"));
        assert_eq!(
            (last.actor.as_str(), last.actor_kind.as_str()),
            (expected.as_str(), "api"),
            "{action}"
        );
    }

    let session = app.sign_in_as("boss").await;
    let enabled = app
        .as_user(&session, Method::POST, "/dashboard/plugins/asker/enable")
        .form(&[("project", "")])
        .send()
        .await
        .unwrap();
    assert!(enabled.status().is_redirection(), "{}", enabled.status());
    let rows = gantry_server::db::audit::with_action(&app.state.db, "plugin.enabled")
        .await
        .unwrap();
    let last = rows.last().unwrap();
    assert_eq!(
        (last.actor.as_str(), last.actor_kind.as_str()),
        ("boss", "user")
    );
}
