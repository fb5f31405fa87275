//! One-click GitHub App registration against the simulator: the dashboard's manifest
//! asks for what the installed plugins need and nothing more, GitHub's redirect is
//! accepted only with this session's state, the code is converted once into a stored
//! App that Gantry runs as after a restart (an installation token request succeeds
//! and the plugin acts), and the page then names the permissions the App lacks.
use std::time::Duration;

use gantry_server::auth::Role;
use gantry_server::config::Settings;
use gantry_simulator::NewInstallation;
use serde_json::Value;

use crate::github_app::key;
use crate::helpers::{corpus_payload, delivery_id, spawn_app, AppOptions, Session, TestApp};

const INSTALLATION: u64 = 91;

/// No GitHub credentials at all: the App is to be registered.
fn no_credentials(settings: &mut Settings) {
    settings.github.token = None;
}

async fn get(app: &TestApp, session: &Session, path: &str) -> (u16, String) {
    let answer = app
        .as_user(session, reqwest::Method::GET, path)
        .send()
        .await
        .unwrap();
    (answer.status().as_u16(), answer.text().await.unwrap())
}

/// The text of `attribute="..."` after `marker` in `html`, unescaped.
fn attribute(html: &str, marker: &str, attribute: &str) -> String {
    let from = &html[html
        .find(marker)
        .unwrap_or_else(|| panic!("no {marker} in {html}"))..];
    let start = from.find(&format!("{attribute}=\"")).unwrap() + attribute.len() + 2;
    let value = &from[start..];
    value[..value.find('"').unwrap()]
        .replace("&quot;", "\"")
        .replace("&#x22;", "\"")
        .replace("&#34;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#x2f;", "/")
        .replace("&#x2F;", "/")
        .replace("&amp;", "&")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_manifest_flow_stores_a_working_app_and_the_page_names_missing_permissions() {
    let app = spawn_app(AppOptions {
        tweak: Some(no_credentials),
        ..AppOptions::default()
    })
    .await;
    let admin = app.sign_in(Some(Role::Admin)).await;
    let (status, page) = get(
        &app,
        &admin,
        "/dashboard/app?org=acme&base=https%3A%2F%2Fgantry.example.com",
    )
    .await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("nothing yet"), "{page}");
    let action = attribute(&page, "id=\"register-app\"", "action");
    let (target, state) = action.split_once("?state=").unwrap();
    assert_eq!(
        target,
        "https://github.com/organizations/acme/settings/apps/new"
    );
    let manifest: Value =
        serde_json::from_str(&attribute(&page, "name=\"manifest\"", "value")).unwrap();
    // The bundled hooks plugin: issues (read, write), checks (write), pull requests
    // (read); events issues, pull_request, release, which GitHub gives only with
    // contents (read). Nothing else.
    assert_eq!(
        manifest["default_permissions"],
        serde_json::json!({"checks": "write", "contents": "read", "issues": "write", "metadata": "read", "pull_requests": "read"})
    );
    assert_eq!(
        manifest["default_events"],
        serde_json::json!(["issues", "pull_request", "release"])
    );
    assert_eq!(
        manifest["hook_attributes"]["url"],
        "https://gantry.example.com/webhooks/github"
    );

    // The admin creates it on GitHub, leaving checks out.
    let mut granted = manifest.clone();
    granted["default_permissions"]
        .as_object_mut()
        .unwrap()
        .remove("checks");
    let pem = std::fs::read_to_string(key("test-only-app.private.pem")).unwrap();
    let approved = app.sim.approve_manifest(&granted, "acme", &pem).unwrap();
    let (code, app_id) = (approved.code, approved.app_id);

    let (status, body) = get(
        &app,
        &admin,
        &format!("/dashboard/app/callback?code={code}&state=not-this-session"),
    )
    .await;
    assert_eq!(status, 400, "another session's redirect is refused: {body}");
    let other = app.sign_in(Some(Role::Admin)).await;
    let (status, _) = get(
        &app,
        &other,
        &format!("/dashboard/app/callback?code={code}&state={state}"),
    )
    .await;
    assert_eq!(status, 400, "the state is the first admin's session's");
    let (status, body) = get(
        &app,
        &admin,
        &format!("/dashboard/app/callback?code={code}&state={state}"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("GitHub App registered"), "{body}");
    let (status, body) = get(
        &app,
        &admin,
        &format!("/dashboard/app/callback?code={code}&state={state}"),
    )
    .await;
    assert_eq!(status, 400, "a code converts once: {body}");
    assert!(body.contains("good once"), "{body}");

    // From the next start Gantry runs as the App: a token request succeeds and the
    // plugin labels the issue with it.
    let app = app.restart().await;
    assert!(app
        .sim
        .add_installation(&NewInstallation::new(INSTALLATION, app_id, "Codertocat")));
    app.sim.set_token_checking(true);
    let mut payload: Value =
        serde_json::from_slice(&corpus_payload("issues/opened.payload.json")).unwrap();
    payload["installation"] = serde_json::json!({ "id": INSTALLATION });
    let delivered = app
        .post_webhook(
            "issues",
            &delivery_id(),
            &serde_json::to_vec(&payload).unwrap(),
        )
        .await;
    assert_eq!(delivered.status(), 202);
    app.wait_for_idle_queue(Duration::from_secs(30)).await;
    assert_eq!(app.sim.token_requests(INSTALLATION), 1);
    let number = payload["issue"]["number"].as_u64().unwrap();
    assert!(app
        .sim
        .issue_labels("Codertocat", "Hello-World", number)
        .unwrap_or_default()
        .contains(&"needs-triage".to_owned()));

    let admin = app.sign_in(Some(Role::Admin)).await;
    let (status, page) = get(&app, &admin, "/dashboard/app").await;
    assert_eq!(status, 200);
    assert!(page.contains(&format!("the GitHub App {app_id}")), "{page}");
    assert!(
        page.contains("need permissions the App lacks: <strong>checks: write</strong>"),
        "{page}"
    );
}
