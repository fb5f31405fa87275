//! Installing and managing plugins through the JSON API and the service behind it:
//! install records the digest and refuses a second install, configurations are
//! checked against the plugin's schema, plugins run only where they are enabled and
//! with that project's configuration, upgrades keep (or refuse to break) settings,
//! removal stops a plugin, the plugins found at start are installed once, and every
//! change is one audit row on an intact chain.
use std::time::Duration;

use gantry_server::db::audit;
use gantry_server::services::installed::{seed, CompiledPlugins};
use gantry_server::wasm_host::{PluginRegistry, PluginRuntime};
use reqwest::Method;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::helpers::{
    built_wasm, corpus_payload, delivery_id, spawn_app, AppOptions, Plugins, TestApp,
};

fn configured(version: u8) -> Vec<u8> {
    built_wasm(
        "test-plugins",
        if version == 1 {
            "configured"
        } else {
            "configured_v2"
        },
    )
}

async fn install(app: &TestApp, bytes: Vec<u8>) -> reqwest::Response {
    app.api(Method::POST, "/plugins")
        .header("content-type", "application/wasm")
        .body(bytes)
        .send()
        .await
        .unwrap()
}

async fn upgrade(app: &TestApp, name: &str, bytes: Vec<u8>) -> reqwest::Response {
    app.api(Method::PUT, &format!("/plugins/{name}"))
        .header("content-type", "application/wasm")
        .body(bytes)
        .send()
        .await
        .unwrap()
}

async fn configure(app: &TestApp, project: &str, config: Value) -> reqwest::Response {
    app.api(
        Method::PUT,
        &format!("/plugins/configured/projects/{project}"),
    )
    .json(&config)
    .send()
    .await
    .unwrap()
}

async fn enable(app: &TestApp, project: Option<&str>) -> Value {
    let request = app.api(Method::POST, "/plugins/configured/enable");
    let request = match project {
        Some(p) => request.json(&json!({ "project": p })),
        None => request,
    };
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn show(app: &TestApp, name: &str) -> Value {
    let response = app
        .api(Method::GET, &format!("/plugins/{name}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// An `issues.opened` delivery for `owner/name`; returns the log of each plugin run.
async fn open_issue_on(app: &TestApp, owner: &str, name: &str) -> Vec<(String, String)> {
    let mut payload: Value =
        serde_json::from_slice(&corpus_payload("issues/opened.payload.json")).unwrap();
    payload["repository"]["name"] = name.into();
    payload["repository"]["full_name"] = format!("{owner}/{name}").into();
    payload["repository"]["owner"]["login"] = owner.into();
    let id = delivery_id();
    assert_eq!(
        app.post_webhook("issues", &id, &serde_json::to_vec(&payload).unwrap())
            .await
            .status(),
        202
    );
    app.wait_for_idle_queue(Duration::from_secs(30)).await;
    app.runs_of(&id)
        .await
        .into_iter()
        .map(|r| (r.plugin, r.log.unwrap_or_default()))
        .collect()
}

fn log_of<'a>(runs: &'a [(String, String)], plugin: &str) -> Option<&'a str> {
    runs.iter()
        .find(|(p, _)| p == plugin)
        .map(|(_, log)| log.as_str())
}

async fn audit_count(app: &TestApp, action: &str) -> usize {
    audit::with_action(&app.state.db, action)
        .await
        .unwrap()
        .len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_installed_plugin_is_listed_with_its_digest_and_a_second_install_is_refused() {
    let app = spawn_app(AppOptions {
        plugins: Plugins::None,
        ..AppOptions::default()
    })
    .await;
    let bytes = configured(1);
    let response = install(&app, bytes.clone()).await;
    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()["location"], "/api/v1/plugins/configured");
    let installed: Value = response.json().await.unwrap();
    let digest = hex::encode(Sha256::digest(&bytes));
    assert_eq!(installed["digest"], digest.as_str());
    assert_eq!(installed["manifest"]["version"], "0.1.0");
    assert_eq!(
        installed["projects"],
        json!([]),
        "installed, but enabled nowhere yet"
    );

    let list: Value = app
        .api(Method::GET, "/plugins")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let listed = &list["plugins"][0];
    assert_eq!(
        (
            listed["name"].as_str(),
            listed["digest"].as_str(),
            listed["state"].as_str()
        ),
        (Some("configured"), Some(digest.as_str()), Some("enabled"))
    );
    assert_eq!(listed["size"], bytes.len());

    let again = install(&app, bytes).await;
    assert_eq!(again.status(), 409);
    let body: Value = again.json().await.unwrap();
    assert_eq!(body["error"], "already_installed");
    assert!(
        body["message"].as_str().unwrap().contains("upgrade"),
        "{body}"
    );
    assert_eq!(audit_count(&app, "plugin.installed").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_is_not_an_installable_plugin_is_refused_with_the_reason() {
    let app = spawn_app(AppOptions {
        plugins: Plugins::None,
        ..AppOptions::default()
    })
    .await;
    let not_wasm = install(&app, b"definitely not wasm".to_vec()).await;
    assert_eq!(not_wasm.status(), 400);
    let body: Value = not_wasm.json().await.unwrap();
    assert_eq!(body["error"], "invalid_plugin");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("not a valid WebAssembly binary"),
        "{body}"
    );

    let untyped = app
        .api(Method::POST, "/plugins")
        .body(configured(1))
        .send()
        .await
        .unwrap();
    assert_eq!(untyped.status(), 415);
    let missing = app.api(Method::GET, "/plugins/nope").send().await.unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(
        missing.json::<Value>().await.unwrap()["error"],
        "plugin_not_found"
    );
    let anonymous = app
        .http
        .get(format!("{}/api/v1/plugins", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    assert_eq!(
        app.api(Method::GET, "/plugins")
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()["plugins"],
        json!([])
    );
    assert_eq!(
        audit::verify(&app.state.db, app.state.audit_key(), None)
            .await
            .unwrap()
            .map(|v| v.rows),
        Ok(0),
        "nothing was recorded"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_configuration_outside_the_schema_is_refused_with_the_validators_message_and_nothing_changes(
) {
    let app = spawn_app(AppOptions {
        plugins: Plugins::None,
        ..AppOptions::default()
    })
    .await;
    assert_eq!(install(&app, configured(1)).await.status(), 201);
    assert_eq!(
        configure(&app, "octo/app", json!({"greeting": "hi"}))
            .await
            .status(),
        200
    );
    let before = show(&app, "configured").await;

    for (bad, says) in [
        (json!({"greeting": ""}), "at /greeting"),
        (json!({"greeting": 7}), "is not of type \"string\""),
        (json!({"colour": "red"}), "colour"),
    ] {
        let response = configure(&app, "octo/app", bad.clone()).await;
        assert_eq!(response.status(), 400, "{bad}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "invalid_config");
        let message = body["message"].as_str().unwrap();
        assert!(
            message.contains("octo/app") && message.contains(says),
            "{message}"
        );
    }
    // The same for every repository, and a new project is not created either.
    let all = app
        .api(Method::PUT, "/plugins/configured/config")
        .json(&json!({"loud": "yes"}))
        .send()
        .await
        .unwrap();
    assert_eq!(all.status(), 400);
    assert_eq!(
        configure(&app, "octo/other", json!({"greeting": ""}))
            .await
            .status(),
        400
    );

    assert_eq!(show(&app, "configured").await, before, "nothing changed");
    assert_eq!(audit_count(&app, "plugin.configured").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_runs_only_where_it_is_enabled_and_with_that_projects_configuration() {
    // hooks comes from the plugin directory: enabled for every repository.
    let app = spawn_app(AppOptions::default()).await;
    assert_eq!(install(&app, configured(1)).await.status(), 201);
    let runs = open_issue_on(&app, "Codertocat", "Hello-World").await;
    assert!(
        log_of(&runs, "configured").is_none(),
        "installed but not enabled: {runs:?}"
    );

    enable(&app, Some("Codertocat/Hello-World")).await;
    assert_eq!(
        configure(&app, "Codertocat/Hello-World", json!({"greeting": "hi"}))
            .await
            .status(),
        200
    );
    let runs = open_issue_on(&app, "Codertocat", "Hello-World").await;
    let log = log_of(&runs, "configured").expect("configured ran on the enabled repository");
    assert!(
        log.contains(r#"config {"greeting":"hi","loud":false}"#),
        "the project's settings over the defaults: {log}"
    );
    assert!(log_of(&runs, "hooks").is_some());

    let elsewhere = open_issue_on(&app, "Codertocat", "Other").await;
    assert!(
        log_of(&elsewhere, "configured").is_none(),
        "not enabled there: {elsewhere:?}"
    );
    assert!(
        log_of(&elsewhere, "hooks").is_some(),
        "hooks runs everywhere"
    );

    // Enabled everywhere with a configuration for all: the repository keeps its own
    // greeting on top; another repository gets the `*` configuration.
    enable(&app, Some("*")).await;
    assert_eq!(
        app.api(Method::PUT, "/plugins/configured/config")
            .json(&json!({"loud": true}))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let here = open_issue_on(&app, "Codertocat", "Hello-World").await;
    assert!(
        log_of(&here, "configured")
            .unwrap()
            .contains(r#"{"greeting":"hi","loud":true}"#),
        "{here:?}"
    );
    let there = open_issue_on(&app, "Codertocat", "Other").await;
    assert!(
        log_of(&there, "configured")
            .unwrap()
            .contains(r#"{"greeting":"hello","loud":true}"#),
        "{there:?}"
    );

    // Off for one repository, or as a whole.
    let off = app
        .api(Method::POST, "/plugins/configured/disable")
        .json(&json!({"project": "Codertocat/Hello-World"}))
        .send()
        .await
        .unwrap();
    assert_eq!(off.status(), 200);
    assert!(log_of(
        &open_issue_on(&app, "Codertocat", "Hello-World").await,
        "configured"
    )
    .is_none());
    assert!(log_of(
        &open_issue_on(&app, "Codertocat", "Other").await,
        "configured"
    )
    .is_some());
    assert_eq!(
        app.api(Method::POST, "/plugins/configured/disable")
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert!(log_of(
        &open_issue_on(&app, "Codertocat", "Other").await,
        "configured"
    )
    .is_none());
    assert_eq!(show(&app, "configured").await["state"], "disabled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upgrade_keeps_the_settings_and_is_refused_when_a_project_no_longer_matches_the_schema()
{
    let app = spawn_app(AppOptions {
        plugins: Plugins::None,
        ..AppOptions::default()
    })
    .await;
    assert_eq!(install(&app, configured(1)).await.status(), 201);
    enable(&app, Some("octo/app")).await;
    assert_eq!(
        configure(&app, "octo/app", json!({"greeting": "hi"}))
            .await
            .status(),
        200
    );
    assert_eq!(
        configure(
            &app,
            "octo/site",
            json!({"greeting": "a rather long greeting"})
        )
        .await
        .status(),
        200
    );

    let refused = upgrade(&app, "configured", configured(2)).await;
    assert_eq!(refused.status(), 400);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"], "incompatible_config");
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains("octo/site")
            && message.contains("0.2.0")
            && message.contains("longer than 10 characters"),
        "{message}"
    );
    let still = show(&app, "configured").await;
    assert_eq!(
        (still["version"].as_str(), still["digest"].as_str()),
        (
            Some("0.1.0"),
            Some(hex::encode(Sha256::digest(configured(1))).as_str())
        )
    );

    // Another plugin's component is not an upgrade of this one.
    let wrong = upgrade(&app, "hooks", configured(2)).await;
    assert_eq!(wrong.status(), 400);

    assert_eq!(
        configure(&app, "octo/site", json!({"greeting": "hey"}))
            .await
            .status(),
        200
    );
    let response = upgrade(&app, "configured", configured(2)).await;
    assert_eq!(response.status(), 200);
    let upgraded: Value = response.json().await.unwrap();
    assert_eq!(
        (
            upgraded["changed"].as_bool(),
            upgraded["from_version"].as_str()
        ),
        (Some(true), Some("0.1.0"))
    );
    let plugin = &upgraded["plugin"];
    assert_eq!(plugin["version"], "0.2.0");
    let app_row = plugin["projects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["project"] == "octo/app")
        .unwrap();
    assert_eq!(app_row["enabled"], true);
    assert_eq!(
        app_row["effective_config"],
        json!({"greeting": "hi", "loud": false, "emoji": "wave"}),
        "kept, with the new default"
    );
    let runs = open_issue_on(&app, "octo", "app").await;
    assert!(
        log_of(&runs, "configured")
            .unwrap()
            .contains(r#""emoji":"wave""#),
        "the new version runs: {runs:?}"
    );

    let same = upgrade(&app, "configured", configured(2))
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(same["changed"], false);
    assert_eq!(audit_count(&app, "plugin.upgraded").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_plugin_stops_running_and_its_settings_are_gone() {
    let app = spawn_app(AppOptions {
        plugins: Plugins::None,
        ..AppOptions::default()
    })
    .await;
    assert_eq!(install(&app, configured(1)).await.status(), 201);
    enable(&app, Some("*")).await;
    assert!(log_of(&open_issue_on(&app, "octo", "app").await, "configured").is_some());

    assert_eq!(
        app.api(Method::DELETE, "/plugins/configured")
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    assert!(log_of(&open_issue_on(&app, "octo", "app").await, "configured").is_none());
    assert_eq!(
        app.api(Method::GET, "/plugins/configured")
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        app.api(Method::DELETE, "/plugins/configured")
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert!(
        gantry_server::db::plugins::projects(&app.state.db, "configured")
            .await
            .unwrap()
            .is_empty()
    );

    // Installed again, it starts from nothing.
    assert_eq!(install(&app, configured(1)).await.status(), 201);
    assert_eq!(show(&app, "configured").await["projects"], json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_plugin_change_is_one_audit_row_and_the_chain_verifies() {
    let app = spawn_app(AppOptions {
        plugins: Plugins::None,
        ..AppOptions::default()
    })
    .await;
    assert_eq!(install(&app, configured(1)).await.status(), 201);
    enable(&app, Some("octo/app")).await;
    let unchanged = enable(&app, Some("octo/app")).await;
    assert_eq!(unchanged["changed"], false, "{unchanged}");
    assert_eq!(
        configure(&app, "octo/app", json!({"greeting": "hi"}))
            .await
            .status(),
        200
    );
    assert_eq!(
        configure(&app, "octo/app", json!({"greeting": "hi"}))
            .await
            .status(),
        200
    );
    assert_eq!(
        app.api(Method::POST, "/plugins/configured/disable")
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(enable(&app, None).await["changed"], true);
    assert_eq!(
        upgrade(&app, "configured", configured(2)).await.status(),
        200
    );
    assert_eq!(
        app.api(Method::DELETE, "/plugins/configured")
            .send()
            .await
            .unwrap()
            .status(),
        204
    );

    let expected = [
        ("plugin.installed", 1),
        ("plugin.enabled", 2),
        ("plugin.configured", 1),
        ("plugin.disabled", 1),
        ("plugin.upgraded", 1),
        ("plugin.removed", 1),
    ];
    for (action, n) in expected {
        assert_eq!(audit_count(&app, action).await, n, "{action}");
    }
    let rows = audit::with_action(&app.state.db, "plugin.configured")
        .await
        .unwrap();
    assert_eq!(
        (
            rows[0].actor.as_str(),
            rows[0].actor_kind.as_str(),
            rows[0].project.as_deref()
        ),
        ("api-token", "api", Some("octo/app"))
    );
    let verify: Value = app
        .api(Method::GET, "/audit/verify")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            verify["intact"].clone(),
            verify["rows"].clone(),
            verify["keyed_rows"].clone()
        ),
        (json!(true), json!(7), json!(7))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_disabled_after_crashing_says_why_until_it_is_enabled_again() {
    let limits = gantry_server::config::Limits {
        timeout_ms: 200,
        ..Default::default()
    };
    let app = spawn_app(AppOptions {
        plugins: Plugins::Named(&["looper"]),
        limits,
        ..AppOptions::default()
    })
    .await;
    for _ in 0..app.state.settings.plugins.max_consecutive_crashes {
        open_issue_on(&app, "octo", "app").await;
    }
    let looper = show(&app, "looper").await;
    assert_eq!(looper["state"], "auto-disabled");
    assert!(
        looper["disabled_reason"]
            .as_str()
            .unwrap()
            .contains("crashes in a row"),
        "{looper}"
    );
    assert_eq!(looper["projects"][0]["active"], false);
    // The alert GantryPluginCrashDisabled (deploy/prometheus) reads this series.
    let series = r#"gantry_plugins_crash_disabled{plugin="looper"}"#;
    assert_eq!(app.metric(series).await, 1.0);

    let enabled = enable_named(&app, "looper").await;
    assert_eq!(app.metric(series).await, 0.0, "gone once enabled again");
    assert!(
        enabled["summary"]
            .as_str()
            .unwrap()
            .contains("disabled automatically"),
        "{enabled}"
    );
    let looper = show(&app, "looper").await;
    assert_eq!(
        (
            looper["state"].as_str(),
            looper["consecutive_crashes"].as_i64()
        ),
        (Some("enabled"), Some(0))
    );
    assert!(
        log_of(&open_issue_on(&app, "octo", "app").await, "looper").is_some(),
        "it runs again"
    );
}

async fn enable_named(app: &TestApp, name: &str) -> Value {
    app.api(Method::POST, &format!("/plugins/{name}/enable"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plugins_found_at_start_are_installed_once_enabled_everywhere_and_upgraded_when_they_change(
) {
    let app = spawn_app(AppOptions {
        plugins: Plugins::None,
        ..AppOptions::default()
    })
    .await;
    let compiled = CompiledPlugins::new(app.state.runtime.clone());
    let found = |version: u8| {
        let runtime: &PluginRuntime = compiled.runtime();
        let mut registry = PluginRegistry::default();
        registry
            .add(
                runtime
                    .load(
                        &configured(version),
                        Some(&json!({"greeting": "from toml"})),
                    )
                    .unwrap(),
            )
            .unwrap();
        registry
    };
    seed::install_found(&app.state.db, app.state.audit_key(), &compiled, &found(1))
        .await
        .unwrap();
    let plugin = show(&app, "configured").await;
    assert_eq!(plugin["projects"][0]["project"], "*");
    assert_eq!(
        plugin["projects"][0]["effective_config"],
        json!({"greeting": "from toml", "loud": false})
    );
    assert_eq!(audit_count(&app, "plugin.installed").await, 1);

    // An operator's change survives the next start; the same component changes nothing.
    assert_eq!(
        app.api(Method::POST, "/plugins/configured/disable")
            .json(&json!({"project": "*"}))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    seed::install_found(&app.state.db, app.state.audit_key(), &compiled, &found(1))
        .await
        .unwrap();
    assert_eq!(
        show(&app, "configured").await["projects"][0]["enabled"],
        false
    );
    assert_eq!(
        audit::verify(&app.state.db, app.state.audit_key(), None)
            .await
            .unwrap()
            .map(|v| v.rows),
        Ok(2)
    );

    // A new build in the directory is an upgrade, refused while a setting breaks it.
    assert_eq!(
        configure(
            &app,
            "octo/site",
            json!({"greeting": "a rather long greeting"})
        )
        .await
        .status(),
        200
    );
    let err = seed::install_found(&app.state.db, app.state.audit_key(), &compiled, &found(2))
        .await
        .unwrap_err();
    assert!(format!("{err:#}").contains("octo/site"), "{err:#}");
    assert_eq!(
        configure(&app, "octo/site", json!({"greeting": "hey"}))
            .await
            .status(),
        200
    );
    seed::install_found(&app.state.db, app.state.audit_key(), &compiled, &found(2))
        .await
        .unwrap();
    assert_eq!(show(&app, "configured").await["version"], "0.2.0");
    assert_eq!(audit_count(&app, "plugin.upgraded").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_an_admin_removed_or_replaced_is_not_brought_back_by_the_plugin_directory() {
    let app = spawn_app(AppOptions {
        plugins: Plugins::None,
        ..AppOptions::default()
    })
    .await;
    let compiled = CompiledPlugins::new(app.state.runtime.clone());
    let found = |version: u8| {
        let mut registry = PluginRegistry::default();
        registry
            .add(compiled.runtime().load(&configured(version), None).unwrap())
            .unwrap();
        registry
    };
    seed::install_found(&app.state.db, app.state.audit_key(), &compiled, &found(1))
        .await
        .unwrap();
    assert_eq!(
        show(&app, "configured").await["projects"][0]["enabled"],
        true
    );

    // Removed by an admin: the next start leaves it removed.
    let removed = app
        .api(Method::DELETE, "/plugins/configured")
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), 204);
    seed::install_found(&app.state.db, app.state.audit_key(), &compiled, &found(1))
        .await
        .unwrap();
    let missing = app
        .api(Method::GET, "/plugins/configured")
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404, "the removed plugin came back");
    assert_eq!(audit_count(&app, "plugin.installed").await, 1);

    // Installed again by an admin, in another version: the directory's copy does
    // not replace it, nor enable it anywhere.
    assert_eq!(install(&app, configured(2)).await.status(), 201);
    seed::install_found(&app.state.db, app.state.audit_key(), &compiled, &found(1))
        .await
        .unwrap();
    let plugin = show(&app, "configured").await;
    assert_eq!(plugin["version"], "0.2.0");
    assert!(
        plugin["projects"].as_array().unwrap().is_empty(),
        "{plugin}"
    );
}
