//! Plugins end to end: a signed delivery reaches a real wasm plugin in wasmtime, whose
//! host calls go through octocrab over HTTP to the simulator; hostile plugins are
//! contained.
use std::time::{Duration, Instant};

use gantry_server::config::Limits;
use serde_json::Value;

use crate::helpers::{corpus_payload, delivery_id, spawn_app, wait_until, AppOptions, Plugins};

fn repo_and_number(body: &[u8]) -> (String, String, u64) {
    let v: Value = serde_json::from_slice(body).unwrap();
    let number = v["issue"]["number"]
        .as_u64()
        .or_else(|| v["number"].as_u64())
        .unwrap();
    (
        v["repository"]["owner"]["login"]
            .as_str()
            .unwrap()
            .to_owned(),
        v["repository"]["name"].as_str().unwrap().to_owned(),
        number,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_opened_issue_is_labelled_needs_triage_by_the_hooks_plugin() {
    let app = spawn_app(AppOptions::default()).await;
    let body = corpus_payload("issues/opened.payload.json");
    let (owner, repo, number) = repo_and_number(&body);
    let id = delivery_id();
    assert_eq!(app.post_webhook("issues", &id, &body).await.status(), 202);
    let sim = app.sim.clone();
    wait_until(Duration::from_secs(20), "needs-triage on the issue", || {
        let labels = sim.issue_labels(&owner, &repo, number);
        async move { labels.is_some_and(|l| l.iter().any(|l| l == "needs-triage")) }
    })
    .await;
    app.wait_for_idle_queue(Duration::from_secs(10)).await;
    let runs = app.runs_of(&id).await;
    assert_eq!(runs.len(), 1);
    assert_eq!(
        (runs[0].plugin.as_str(), runs[0].outcome.as_str()),
        ("hooks", "ok")
    );
    assert!(
        runs[0]
            .log
            .as_deref()
            .unwrap_or("")
            .contains("needs-triage"),
        "{:?}",
        runs[0].log
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_opened_pull_request_is_greeted_with_a_comment_naming_its_author() {
    let app = spawn_app(AppOptions::default()).await;
    let body = corpus_payload("pull_request/opened.payload.json");
    let (owner, repo, number) = repo_and_number(&body);
    let author = serde_json::from_slice::<Value>(&body).unwrap()["pull_request"]["user"]["login"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        app.post_webhook("pull_request", &delivery_id(), &body)
            .await
            .status(),
        202
    );
    app.wait_for_idle_queue(Duration::from_secs(20)).await;
    let comments = app.sim.issue_comments(&owner, &repo, number).unwrap();
    assert_eq!(comments.len(), 1);
    assert!(comments[0].contains(&format!("@{author}")), "{comments:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_without_the_declared_capability_is_denied_before_reaching_github() {
    let app = spawn_app(AppOptions {
        plugins: Plugins::Named(&["undeclared"]),
        ..AppOptions::default()
    })
    .await;
    let id = delivery_id();
    let body = corpus_payload("issues/opened.payload.json");
    assert_eq!(app.post_webhook("issues", &id, &body).await.status(), 202);
    app.wait_for_idle_queue(Duration::from_secs(20)).await;
    let runs = app.runs_of(&id).await;
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].outcome, "error");
    let message = runs[0].message.clone().unwrap_or_default();
    assert!(
        message.contains("denied as expected") && message.contains("issues:write"),
        "{message}"
    );
    assert_eq!(app.sim.write_count(), 0, "no call may reach GitHub");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_that_loops_forever_is_interrupted_near_its_deadline_and_the_next_job_still_runs()
{
    let limits = Limits {
        timeout_ms: 1_000,
        ..Limits::default()
    };
    let tick = Duration::from_millis(limits.epoch_tick_ms);
    let app = spawn_app(AppOptions {
        plugins: Plugins::Named(&["looper", "hooks"]),
        limits,
        ..AppOptions::default()
    })
    .await;
    let body = corpus_payload("issues/opened.payload.json");
    let (owner, repo, number) = repo_and_number(&body);
    let first = delivery_id();
    let started = Instant::now();
    assert_eq!(
        app.post_webhook("issues", &first, &body).await.status(),
        202
    );
    app.wait_for_idle_queue(Duration::from_secs(20)).await;
    let runs = app.runs_of(&first).await;
    let looper = runs
        .iter()
        .find(|r| r.plugin == "looper")
        .expect("looper ran");
    assert_eq!(looper.outcome, "timeout", "{looper:?}");
    // Interrupted within the deadline plus one tick (and scheduling slack of 200 ms).
    let limit_ms = 1_000 + tick.as_millis() as i64 + 200;
    assert!(
        looper.duration_ms >= 1_000 && looper.duration_ms <= limit_ms,
        "took {} ms",
        looper.duration_ms
    );
    // The other plugin of the same job still ran and acted.
    let hooks = runs
        .iter()
        .find(|r| r.plugin == "hooks")
        .expect("hooks ran");
    assert_eq!(hooks.outcome, "ok");
    assert!(app
        .sim
        .issue_labels(&owner, &repo, number)
        .unwrap()
        .contains(&"needs-triage".to_owned()));

    // The next job runs too (the worker survived).
    let mut second: Value = serde_json::from_slice(&body).unwrap();
    second["issue"]["number"] = (number + 1000).into();
    let second_id = delivery_id();
    assert_eq!(
        app.post_webhook("issues", &second_id, &serde_json::to_vec(&second).unwrap())
            .await
            .status(),
        202
    );
    app.wait_for_idle_queue(Duration::from_secs(20)).await;
    let runs = app.runs_of(&second_id).await;
    assert_eq!(
        runs.iter()
            .find(|r| r.plugin == "hooks")
            .map(|r| r.outcome.as_str()),
        Some("ok")
    );
    assert!(app
        .sim
        .issue_labels(&owner, &repo, number + 1000)
        .unwrap()
        .contains(&"needs-triage".to_owned()));
    assert!(started.elapsed() < Duration::from_secs(15));
}

#[test]
fn compiled_plugins_are_cached_by_digest_and_an_altered_entry_is_compiled_again() {
    use gantry_server::wasm_host::PluginRuntime;
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("components");
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../target/plugins/hooks.wasm"
    ))
    .unwrap();
    let runtime = || {
        PluginRuntime::new(Limits::default()).unwrap().with_cache(
            &cache,
            Some(&gantry_server::domain::Secret::new(
                crate::helpers::TEST_KEY,
            )),
        )
    };
    let entries = || {
        let mut files: Vec<_> = std::fs::read_dir(&cache)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        files
    };

    let first = runtime().load(&bytes, None).unwrap();
    let files = entries();
    assert_eq!(files.len(), 2, "{files:?}");
    let artifact = files
        .iter()
        .find(|p| p.extension().is_some_and(|e| e == "cwasm"))
        .unwrap()
        .clone();
    assert!(artifact
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with(&first.digest));
    let written = std::fs::metadata(&artifact).unwrap().modified().unwrap();

    // A new runtime (as after a restart) loads the entry instead of compiling.
    std::thread::sleep(Duration::from_millis(20));
    runtime().load(&bytes, None).unwrap();
    assert_eq!(
        std::fs::metadata(&artifact).unwrap().modified().unwrap(),
        written,
        "the entry was rewritten"
    );

    // An altered entry fails its checksum: compiled again, rewritten, still loads.
    let mut altered = std::fs::read(&artifact).unwrap();
    let middle = altered.len() / 2;
    altered[middle] ^= 0xff;
    std::fs::write(&artifact, &altered).unwrap();
    let again = runtime().load(&bytes, None).unwrap();
    assert_eq!(again.manifest.name, "hooks");
    assert_ne!(
        std::fs::read(&artifact).unwrap(),
        altered,
        "the altered entry was replaced"
    );
}

#[test]
fn compiled_code_planted_in_the_cache_by_someone_without_the_key_is_not_loaded() {
    use gantry_server::domain::Secret;
    use gantry_server::wasm_host::PluginRuntime;
    use sha2::{Digest, Sha256};
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("components");
    let read = |name: &str| {
        std::fs::read(format!("{}/../target/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
    };
    let hooks = read("plugins/hooks.wasm");
    let key = Secret::new(crate::helpers::TEST_KEY);
    let runtime = |key: Option<&Secret>| {
        PluginRuntime::new(Limits::default())
            .unwrap()
            .with_cache(&cache, key)
    };
    let cwasm = || {
        std::fs::read_dir(&cache)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|e| e == "cwasm"))
            .unwrap()
    };

    // Without secrets.key nothing is cached on disk.
    runtime(None).load(&hooks, None).unwrap();
    assert!(!cache.exists(), "cached without a key");

    let loaded = runtime(Some(&key)).load(&hooks, None).unwrap();
    let mode = std::fs::metadata(&cache).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700, "the cache directory is {mode:o}");
    let entry = cwasm();
    let genuine = std::fs::read(&entry).unwrap();

    // Someone who can write the data directory plants other compiled code under
    // hooks' name, with a checksum of it beside, as the cache wrote before.
    let other = tempfile::tempdir().unwrap();
    let planted = {
        let other_cache = other.path().join("components");
        PluginRuntime::new(Limits::default())
            .unwrap()
            .with_cache(
                &other_cache,
                Some(&Secret::new(
                    gantry_server::crypto::SecretBox::generate_key(),
                )),
            )
            .load(&read("test-plugins/noop.wasm"), None)
            .unwrap();
        let found = std::fs::read_dir(&other_cache)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|e| e == "cwasm"))
            .unwrap();
        std::fs::read(found).unwrap()
    };
    std::fs::write(&entry, &planted).unwrap();
    let checksum = hex::encode(Sha256::digest(&planted));
    for seal in ["cwasm.sha256", "cwasm.hmac"] {
        std::fs::write(entry.with_extension(seal), &checksum).unwrap();
    }
    let again = runtime(Some(&key)).load(&hooks, None).unwrap();
    assert_eq!(again.manifest.name, loaded.manifest.name);
    let now = std::fs::read(&entry).unwrap();
    assert_ne!(
        now, planted,
        "the planted code was trusted instead of compiling hooks again"
    );
    assert_eq!(now.len(), genuine.len(), "hooks was compiled again");
}
