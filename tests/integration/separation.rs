//! Separation of duties in approvals, through the real `asker` fixture (its comment
//! on each opened issue is held): whoever caused a held write (the event's sender,
//! here the issue's author `Codertocat`) cannot approve it from a comment, the
//! dashboard or the API; a dashboard account is that person only when an admin
//! linked it to the GitHub login; Gantry's own identity cannot approve; and an `ask`
//! rule may require approvals from several distinct people, counted once per person
//! whatever the channel, the action running once after the last.
use std::time::Duration;

use gantry_server::auth::accounts;
use gantry_server::auth::Role;
use gantry_server::domain::Actor;
use gantry_server::services::policies::{self, RuleForm};
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{corpus_payload, delivery_id, spawn_app, AppOptions, Plugins, TestApp};

const REPO: &str = "Codertocat/Hello-World";

/// An app with asker, whose comments ask for `approvals` distinct approvals.
async fn asker_app(approvals: u32) -> TestApp {
    let app = spawn_app(AppOptions {
        plugins: Plugins::Named(&["asker"]),
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
        approvals: Some(approvals),
    };
    policies::add(&app.state.db, app.state.audit_key(), &Actor::cli(), rule)
        .await
        .unwrap();
    app
}

/// Opens the corpus issue (by `Codertocat`); returns the id of the held comment.
async fn held(app: &TestApp) -> String {
    let id = delivery_id();
    let body = corpus_payload("issues/opened.payload.json");
    assert_eq!(app.post_webhook("issues", &id, &body).await.status(), 202);
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

async fn status_of(app: &TestApp, id: &str) -> String {
    gantry_server::db::approvals::find(&app.state.db, id)
        .await
        .unwrap()
        .unwrap()
        .status
}

/// How many times asker's comment was made on the corpus issue.
fn asker_comments(app: &TestApp) -> usize {
    app.sim
        .issue_comments("Codertocat", "Hello-World", 1)
        .unwrap_or_default()
        .iter()
        .filter(|c| c.contains("asker was here"))
        .count()
}

/// A maintainer (on every project), linked to `github` when given; returns an API
/// token of theirs.
async fn maintainer(app: &TestApp, login: &str, github: Option<&str>) -> String {
    let (db, key, cli) = (&app.state.db, app.state.audit_key(), Actor::cli());
    app.create_user(login, Some(Role::Maintainer)).await;
    if github.is_some() {
        accounts::link_github(db, key, &cli, login, github)
            .await
            .unwrap();
    }
    accounts::create_token(db, key, &cli, login, "approving", Role::Maintainer)
        .await
        .unwrap()
        .1
}

async fn approve_with(app: &TestApp, token: &str, id: &str) -> (u16, Value) {
    let answer = app
        .http
        .post(format!("{}/api/v1/approvals/{id}/approve", app.address))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = answer.status().as_u16();
    (status, answer.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_person_who_opened_the_issue_cannot_approve_what_it_caused_by_comment() {
    let app = asker_app(1).await;
    let id = held(&app).await;
    app.grant(REPO, "Codertocat", "maintain").await;
    app.comment(REPO, 1, "Codertocat", &format!("@gantry approve {id}"))
        .await;
    assert_eq!(status_of(&app, &id).await, "pending");
    assert_eq!(asker_comments(&app), 0);
    let replies = app
        .sim
        .issue_comments("Codertocat", "Hello-World", 1)
        .unwrap();
    assert!(
        replies
            .iter()
            .any(|c| c.contains("caused this action and cannot approve it")),
        "{replies:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dashboard_user_linked_to_the_requesters_github_login_cannot_approve_it() {
    let app = asker_app(1).await;
    let id = held(&app).await;
    app.create_user("cody", Some(Role::Maintainer)).await;
    let admin = app.sign_in(Some(Role::Admin)).await;
    let linked = app
        .as_user(&admin, Method::POST, "/dashboard/users/cody/github")
        .form(&[("github", "Codertocat")])
        .send()
        .await
        .unwrap();
    assert_eq!(linked.status(), 303);
    let page = app
        .as_user(&admin, Method::GET, "/dashboard/users")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("value=\"codertocat\""), "the link is shown");
    let cody = app.sign_in_as("cody").await;
    let answer = app
        .as_user(
            &cody,
            Method::POST,
            &format!("/dashboard/approvals/{id}/approve"),
        )
        .form(&[("reason", "looks fine to me")])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 403);
    assert_eq!(status_of(&app, &id).await, "pending");
    assert_eq!(asker_comments(&app), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api_token_of_a_user_linked_to_the_requester_cannot_approve_it() {
    let app = asker_app(1).await;
    let id = held(&app).await;
    let token = maintainer(&app, "cody", Some("codertocat")).await;
    let (status, body) = approve_with(&app, &token, &id).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"], "forbidden");
    assert_eq!(status_of(&app, &id).await, "pending");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unlinked_account_with_the_requesters_login_is_another_person() {
    let app = asker_app(1).await;
    let id = held(&app).await;
    let token = maintainer(&app, "codertocat", None).await;
    let (status, body) = approve_with(&app, &token, &id).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(asker_comments(&app), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gantrys_own_github_identity_cannot_approve_through_a_linked_account() {
    let app = asker_app(1).await;
    app.sim.set_token_owner("test-token", "octo-admin");
    let id = held(&app).await;
    let token = maintainer(&app, "ops", Some("octo-admin")).await;
    let (status, body) = approve_with(&app, &token, &id).await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("own GitHub identity"),
        "{body}"
    );
    assert_eq!(status_of(&app, &id).await, "pending");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_required_approvals_run_the_action_once_after_the_second_distinct_person() {
    let app = spawn_app(AppOptions {
        plugins: Plugins::Named(&["asker"]),
        ..AppOptions::default()
    })
    .await;
    let rule = json!({"scope": "global", "plugin": "asker", "capability": "issues:write", "effect": "ask", "approvals": 2});
    let created = app
        .api(Method::POST, "/policies")
        .json(&rule)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let id = held(&app).await;
    let held_row = gantry_server::db::approvals::find(&app.state.db, &id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(held_row.approvals_required, 2);
    assert_eq!(
        gantry_server::db::approvals::requesters(&held_row),
        vec!["codertocat".to_owned()]
    );
    let (ann, bob) = (
        maintainer(&app, "ann", None).await,
        maintainer(&app, "bob", None).await,
    );

    let (status, body) = approve_with(&app, &ann, &id).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(
        (body["approvals"].clone(), body["required"].clone()),
        (json!(1), json!(2))
    );
    assert_eq!(asker_comments(&app), 0, "nothing runs after one approval");
    let (status, body) = approve_with(&app, &ann, &id).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"], "already_approved");

    let (status, body) = approve_with(&app, &bob, &id).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "executed");
    assert_eq!(asker_comments(&app), 1);
    let (status, _) = approve_with(&app, &bob, &id).await;
    assert_eq!(status, 409);
    assert_eq!(asker_comments(&app), 1, "it ran once");

    let approved = gantry_server::db::audit::with_action(&app.state.db, "approval.approved")
        .await
        .unwrap();
    let who: Vec<(&str, &str)> = approved
        .iter()
        .map(|r| (r.actor.as_str(), r.actor_kind.as_str()))
        .collect();
    assert_eq!(who.len(), 2, "{who:?}");
    assert!(who[0].0.starts_with("ann (token:") && who[1].0.starts_with("bob (token:"));
    assert!(who.iter().all(|(_, kind)| *kind == "api"));
    let row = gantry_server::db::approvals::find(&app.state.db, &id)
        .await
        .unwrap()
        .unwrap();
    let votes = gantry_server::db::approvals::votes(&app.state.db, row.id)
        .await
        .unwrap();
    assert_eq!(votes.len(), 2);
    assert!(row.decided_by.unwrap().contains("ann"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_person_approving_from_the_api_and_from_github_counts_once() {
    let app = asker_app(2).await;
    let id = held(&app).await;
    let alice = maintainer(&app, "alice", Some("alice-gh")).await;
    assert_eq!(approve_with(&app, &alice, &id).await.0, 202);
    app.grant(REPO, "alice-gh", "maintain").await;
    app.comment(REPO, 1, "alice-gh", &format!("@gantry approve {id}"))
        .await;
    assert_eq!(status_of(&app, &id).await, "pending");
    let replies = app
        .sim
        .issue_comments("Codertocat", "Hello-World", 1)
        .unwrap();
    assert!(
        replies
            .iter()
            .any(|c| c.contains("approved") && c.contains("already")),
        "{replies:?}"
    );
    app.grant(REPO, "lead", "maintain").await;
    app.comment(REPO, 1, "lead", &format!("@gantry approve {id}"))
        .await;
    assert_eq!(status_of(&app, &id).await, "executed");
    assert_eq!(asker_comments(&app), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quorum_is_for_ask_rules_and_the_dashboard_form_sets_it() {
    let app = spawn_app(AppOptions {
        plugins: Plugins::None,
        ..AppOptions::default()
    })
    .await;
    let refused = app
        .api(Method::POST, "/policies")
        .json(&json!({"scope": "global", "capability": "issues:write", "effect": "allow", "approvals": 2}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 422);
    let too_many = app
        .api(Method::POST, "/policies")
        .json(&json!({"scope": "global", "capability": "issues:write", "effect": "ask", "approvals": 11}))
        .send()
        .await
        .unwrap();
    assert_eq!(too_many.status(), 422);
    let admin = app.sign_in(Some(Role::Admin)).await;
    let added = app
        .as_user(&admin, Method::POST, "/dashboard/policies")
        .form(&[
            ("scope", "global"),
            ("capability", "contents:write"),
            ("effect", "ask"),
            ("approvals", "3"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(added.status(), 303);
    let rules = gantry_server::policy::store::all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(rules.len(), 1);
    assert_eq!(rules[0].approvals, 3);
    let page = app
        .as_user(&admin, Method::GET, "/dashboard/policies")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("3 approvals"), "the quorum is shown");
}
