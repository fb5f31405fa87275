//! Configuration schemas derived from a plugin's Rust type (`register_plugin!(P,
//! config = T)`): the host fills the manifest from the plugin's `config-schema`
//! export when it loads it, so install and configure check against it with the
//! validator's messages and merge its defaults as written ones; `plugin inspect`
//! shows it; a plugin that also writes one by hand, or whose export calls the host,
//! is refused; and the bundled
//! plugins moved to derived schemas keep the schema and defaults they had, beside
//! those still written by hand.
use gantry_server::config::Limits;
use gantry_server::wasm_host::inspect::inspect;
use gantry_server::wasm_host::PluginRuntime;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{built_wasm, spawn_app, AppOptions, Plugins, TestApp};

fn runtime() -> PluginRuntime {
    PluginRuntime::new(Limits::default()).unwrap()
}

async fn app() -> TestApp {
    spawn_app(AppOptions {
        plugins: Plugins::None,
        ..AppOptions::default()
    })
    .await
}

async fn install(app: &TestApp, bytes: Vec<u8>) -> reqwest::Response {
    app.api(Method::POST, "/plugins")
        .header("content-type", "application/wasm")
        .body(bytes)
        .send()
        .await
        .unwrap()
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

async fn configure(app: &TestApp, project: &str, config: Value) -> reqwest::Response {
    app.api(Method::PUT, &format!("/plugins/derived/projects/{project}"))
        .json(&config)
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_derived_schema_becomes_the_manifests_and_its_defaults_are_merged_under_a_projects_settings(
) {
    let app = app().await;
    let response = install(&app, built_wasm("test-plugins", "derived")).await;
    assert_eq!(response.status(), 201);
    let installed: Value = response.json().await.unwrap();
    let schema = &installed["manifest"]["config_schema"];
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert_eq!(
        schema["properties"]["greeting"]["description"],
        "What to say; never empty."
    );
    assert!(schema["$defs"]["Place"].is_object(), "{schema}");
    assert_eq!(
        installed["manifest"]["default_config"],
        json!({"greeting": "hello", "times": 1, "place": "log"}),
        "the struct's defaults, as a written default_config would be"
    );

    assert_eq!(
        configure(&app, "octo/app", json!({"greeting": "hi"}))
            .await
            .status(),
        200
    );
    let shown = show(&app, "derived").await;
    assert_eq!(
        shown["projects"][0]["effective_config"],
        json!({"greeting": "hi", "times": 1, "place": "log"})
    );
    assert_eq!(
        shown["manifest"]["config_schema"], *schema,
        "the stored manifest keeps the derived schema"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_configuration_outside_a_derived_schema_is_refused_with_the_schemas_message() {
    let app = app().await;
    assert_eq!(
        install(&app, built_wasm("test-plugins", "derived"))
            .await
            .status(),
        201
    );
    for (bad, says) in [
        (
            json!({"times": 5}),
            "at /times: 5 is greater than the maximum of 3",
        ),
        (json!({"greeting": ""}), "at /greeting"),
        (json!({"place": "mail"}), "at /place"),
        (json!({"loud": true}), "loud"),
    ] {
        let response = configure(&app, "octo/app", bad.clone()).await;
        assert_eq!(response.status(), 400, "{bad}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "invalid_config");
        let message = body["message"].as_str().unwrap();
        assert!(message.contains(says), "{bad}: {message}");
    }
    assert_eq!(
        show(&app, "derived").await["projects"],
        json!([]),
        "nothing was configured"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_that_derives_its_schema_and_writes_one_too_is_refused_naming_the_fix() {
    let app = app().await;
    let response = install(&app, built_wasm("test-plugins", "derived_twice")).await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_plugin");
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains("plugin `derived-twice` has two configuration schemas")
            && message.contains("delete the `[config_schema]` table"),
        "{message}"
    );
    let err = runtime()
        .load(&built_wasm("test-plugins", "derived_twice"), None)
        .unwrap_err();
    assert!(
        format!("{err:#}").contains("two configuration schemas"),
        "{err:#}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_whose_schema_export_calls_the_host_is_refused_at_load_saying_so() {
    let bytes = built_wasm("test-plugins", "schema_trap");
    let err = format!("{:#}", runtime().load(&bytes, None).unwrap_err());
    assert!(
        err.contains("plugin `schema-trap`: its `config-schema` export failed")
            && err.contains("with no capabilities"),
        "{err}"
    );
    let app = app().await;
    let response = install(&app, bytes).await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_plugin");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("`config-schema` export failed"),
        "{body}"
    );
}

#[test]
fn inspect_shows_a_derived_schema_and_says_where_each_schema_comes_from() {
    let runtime = runtime();
    let derived = inspect(&built_wasm("test-plugins", "derived"), &runtime).unwrap();
    assert_eq!(derived.config_schema_source, "derived");
    let text = derived.to_string();
    assert!(
        text.contains("config schema (derived from the plugin's configuration type):"),
        "{text}"
    );
    assert!(
        text.contains("\"maximum\": 3") && text.contains("\"greeting\": \"hello\""),
        "{text}"
    );

    let hooks = inspect(&built_wasm("plugins", "hooks"), &runtime).unwrap();
    assert_eq!(hooks.config_schema_source, "manifest");
    assert!(
        hooks
            .to_string()
            .contains("config schema (written in the manifest):"),
        "{hooks}"
    );
    let noop = inspect(&built_wasm("test-plugins", "noop"), &runtime).unwrap();
    assert_eq!(noop.config_schema_source, "none");
}

/// `releases` and `commands` derive their schemas; `hooks`, `ci` and `sync` still
/// write theirs. The derived ones keep the bounds and defaults they were written
/// with, so existing configurations still pass and fail the same way.
#[test]
fn the_bundled_plugins_derive_or_write_their_schemas_and_keep_their_defaults() {
    let runtime = runtime();
    let releases = runtime
        .load(&built_wasm("plugins", "releases"), None)
        .unwrap()
        .manifest;
    let schema = releases.config_schema.unwrap();
    assert_eq!(schema["additionalProperties"], false);
    let max_commits = &schema["properties"]["max_commits"];
    assert_eq!(
        (&max_commits["minimum"], &max_commits["maximum"]),
        (&json!(1), &json!(5000))
    );
    assert_eq!(schema["properties"]["tag_prefix"]["maxLength"], 20);
    let defaults = releases.default_config.unwrap();
    assert_eq!(defaults["tag_prefix"], "v");
    assert_eq!(defaults["max_commits"], 1000);
    assert_eq!(defaults["draft_first"], true);
    assert_eq!(
        defaults["notes_sections"][0],
        json!({"title": "Features", "types": ["feat"]})
    );

    let commands = runtime
        .load(&built_wasm("plugins", "commands"), None)
        .unwrap()
        .manifest;
    assert_eq!(
        commands.default_config,
        Some(json!({
            "allowed_labels": [],
            "acknowledge": true,
            "lgtm_reset_on_push": true,
            "request_owner_reviews": false,
            "max_owner_reviewers": 2
        }))
    );
    let schema = commands.config_schema.unwrap();
    assert_eq!(
        schema["properties"]["allowed_labels"]["items"]["maxLength"],
        100
    );

    for written in ["hooks", "ci", "sync"] {
        let bytes = built_wasm("plugins", written);
        let (manifest, _) = gantry_server::wasm_host::Manifest::from_component(&bytes).unwrap();
        assert!(
            manifest.config_schema.is_some(),
            "{written} writes its schema"
        );
        let loaded = runtime.load(&bytes, None).unwrap().manifest;
        assert_eq!(loaded.config_schema, manifest.config_schema, "{written}");
    }
}
