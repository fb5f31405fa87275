//! Team grants stay on their repositories (security review H2): a team's role on one
//! repository never makes its members global admins, whether the grant was stored
//! before teams were capped at maintainer or is asked for now.
use gantry_server::auth::accounts::{self, AccountError, Actor};
use gantry_server::auth::Role;
use gantry_server::db::accounts as store;
use reqwest::Method;

use crate::helpers::{spawn_app, AppOptions, TestApp};

/// `bob`, in team `app-admins`, whose grant on `acme/app` is stored as `admin` (as
/// `gantry team grant --role admin` stored it before the fix).
async fn team_admin_of_one_repository(app: &TestApp) {
    let db = &app.state.db;
    let cli = Actor::cli();
    app.create_user("bob", None).await;
    accounts::create_team(db, app.state.audit_key(), &cli, "app-admins")
        .await
        .unwrap();
    accounts::add_member(db, app.state.audit_key(), &cli, "app-admins", "bob")
        .await
        .unwrap();
    let team_id = store::find_team_by_name(db, "app-admins")
        .await
        .unwrap()
        .unwrap()
        .id;
    store::grant(db, team_id, "acme/app", "admin")
        .await
        .unwrap();
}

#[tokio::test]
async fn team_admin_of_one_repository_cannot_disable_a_plugin_for_everyone() {
    let app = spawn_app(AppOptions::default()).await;
    team_admin_of_one_repository(&app).await;
    let bob = app.sign_in_as("bob").await;

    let everywhere = app
        .as_user(&bob, Method::POST, "/api/v1/plugins/hooks/disable")
        .send()
        .await
        .unwrap();
    assert_eq!(
        everywhere.status(),
        403,
        "{}",
        everywhere.text().await.unwrap()
    );
    let dashboard = app
        .as_user(&bob, Method::POST, "/dashboard/plugins/hooks/disable")
        .form(&[("csrf", bob.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(dashboard.status(), 403);
    let new_user = app
        .as_user(&bob, Method::POST, "/dashboard/users")
        .form(&[
            ("csrf", bob.csrf.as_str()),
            ("login", "mallory"),
            ("password", "correct horse battery staple"),
            ("role", "admin"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(new_user.status(), 403);
    assert!(store::find_user_by_login(&app.state.db, "mallory")
        .await
        .unwrap()
        .is_none());
    let hooks: serde_json::Value = app
        .api(Method::GET, "/plugins/hooks")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(hooks["state"], "enabled", "{hooks}");
    assert!(
        !hooks["projects"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["project"] == "*" && p["enabled"] == false),
        "the plugin stayed enabled everywhere: {hooks}"
    );

    // On their own repository they are a maintainer: they may switch it there.
    let own = app
        .as_user(&bob, Method::POST, "/api/v1/plugins/hooks/disable")
        .json(&serde_json::json!({ "project": "acme/app" }))
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), 200, "{}", own.text().await.unwrap());
}

#[tokio::test]
async fn a_team_cannot_be_granted_admin_on_a_repository() {
    let app = spawn_app(AppOptions::default()).await;
    let db = &app.state.db;
    let cli = Actor::cli();
    accounts::create_team(db, app.state.audit_key(), &cli, "t")
        .await
        .unwrap();
    let refused = accounts::grant(
        db,
        app.state.audit_key(),
        &cli,
        "t",
        "acme/app",
        Some(Role::Admin),
    )
    .await
    .unwrap_err();
    assert!(matches!(refused, AccountError::TeamAdmin), "{refused:?}");
    let team_id = store::find_team_by_name(db, "t").await.unwrap().unwrap().id;
    assert!(store::team_grants(db, team_id).await.unwrap().is_empty());
}
