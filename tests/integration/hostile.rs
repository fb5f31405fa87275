//! Hostile plugins (TESTPLAN S2, S3, S4, S8): each is a real guest crate in
//! `tests/plugins/`; the host stops it, stays up, and runs the others.
use std::time::Duration;

use crate::helpers::{corpus_payload, delivery_id, spawn_app, AppOptions, Plugins, TestApp};
use gantry_server::db::entities::plugin_runs::Model as Run;

/// Delivers the corpus `issues.opened` and returns the runs of its job.
async fn deliver_issue(app: &TestApp) -> Vec<Run> {
    let id = delivery_id();
    assert_eq!(
        app.post_webhook("issues", &id, &corpus_payload("issues/opened.payload.json"))
            .await
            .status(),
        202
    );
    app.wait_for_idle_queue(Duration::from_secs(30)).await;
    app.runs_of(&id).await
}

fn run<'a>(runs: &'a [Run], plugin: &str) -> &'a Run {
    runs.iter()
        .find(|r| r.plugin == plugin)
        .unwrap_or_else(|| panic!("{plugin} did not run: {runs:?}"))
}

/// Resident memory of this process in KiB, from /proc.
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").parse().ok())
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_that_grows_memory_without_end_is_stopped_at_the_cap_and_the_host_stays_bounded() {
    let app = spawn_app(AppOptions {
        plugins: Plugins::Named(&["hog", "hooks"]),
        ..AppOptions::default()
    })
    .await;
    let before = rss_kib();
    for _ in 0..3 {
        let runs = deliver_issue(&app).await;
        assert_eq!(run(&runs, "hog").outcome, "trap", "{:?}", run(&runs, "hog"));
        assert_eq!(run(&runs, "hooks").outcome, "ok");
    }
    // Three hogs each filled the 64 MiB cap; the host kept none of it.
    let grown_mib = rss_kib().saturating_sub(before) / 1024;
    assert!(grown_mib < 96, "the host grew by {grown_mib} MiB");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_declaring_a_huge_initial_memory_is_refused_before_it_can_run() {
    // Its module asks for 128 MiB up front, above the 64 MiB cap: the pooling
    // allocator's slots cannot hold it, so it is refused when loaded.
    let runtime =
        gantry_server::wasm_host::PluginRuntime::new(gantry_server::config::Limits::default())
            .unwrap();
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../target/test-plugins/bigmem.wasm"
    ))
    .unwrap();
    let err = runtime.load(&bytes, None).unwrap_err();
    assert!(format!("{err:#}").contains("memory"), "{err:#}");
    // A plugin within the cap loads on the same runtime.
    let hooks = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../target/plugins/hooks.wasm"
    ))
    .unwrap();
    assert!(runtime.load(&hooks, None).is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unbounded_recursion_traps_with_a_stack_overflow_and_the_host_survives() {
    let app = spawn_app(AppOptions {
        plugins: Plugins::Named(&["recurse", "hooks"]),
        ..AppOptions::default()
    })
    .await;
    for _ in 0..2 {
        let runs = deliver_issue(&app).await;
        let recurse = run(&runs, "recurse");
        assert_eq!(recurse.outcome, "trap");
        assert!(
            recurse.message.as_deref().unwrap_or("").contains("stack"),
            "{recurse:?}"
        );
        assert_eq!(run(&runs, "hooks").outcome, "ok");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_a_plugin_leaves_in_memory_is_seen_by_the_next_invocation() {
    let app = spawn_app(AppOptions {
        plugins: Plugins::Named(&["leaker"]),
        ..AppOptions::default()
    })
    .await;
    for _ in 0..3 {
        let runs = deliver_issue(&app).await;
        let leaker = run(&runs, "leaker");
        assert_eq!(leaker.outcome, "ok", "{leaker:?}");
        assert!(leaker
            .log
            .as_deref()
            .unwrap_or("")
            .contains("left a secret behind"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flooded_log_and_a_huge_error_are_cut_at_their_caps() {
    let app = spawn_app(AppOptions {
        plugins: Plugins::Named(&["flood", "hooks"]),
        ..AppOptions::default()
    })
    .await;
    crate::alloc::reset_largest();
    let runs = deliver_issue(&app).await;
    // The 60 MB error and the 1 MiB log lines were read in place and cut: no host
    // allocation came near their size (the output cap is 1 MiB).
    let largest = crate::alloc::largest();
    assert!(
        largest < app.state.settings.plugins.limits.max_output_bytes,
        "the host allocated {largest} bytes at once"
    );
    let flood = run(&runs, "flood");
    assert_eq!(flood.outcome, "error");
    let message = flood.message.as_deref().unwrap();
    assert!(
        message.len() < 5_000 && message.contains("more bytes cut"),
        "{} bytes",
        message.len()
    );
    let log = flood.log.as_deref().unwrap();
    let limits = &app.state.settings.plugins.limits;
    assert!(
        log.lines().count() <= limits.max_log_lines + 1,
        "{} lines",
        log.lines().count()
    );
    assert!(
        log.len() < limits.max_log_lines * (limits.max_log_line_bytes + 64),
        "{} bytes",
        log.len()
    );
    assert!(log.contains("more lines dropped: log cap reached"));
    assert_eq!(run(&runs, "hooks").outcome, "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_that_keeps_crashing_is_disabled_automatically_and_says_why() {
    let limits = gantry_server::config::Limits {
        timeout_ms: 200,
        ..Default::default()
    };
    let app = spawn_app(AppOptions {
        plugins: Plugins::Named(&["looper", "hooks"]),
        limits,
        ..AppOptions::default()
    })
    .await;
    let limit = app.state.settings.plugins.max_consecutive_crashes;
    for n in 0..limit {
        let runs = deliver_issue(&app).await;
        assert_eq!(run(&runs, "looper").outcome, "timeout", "crash {n}");
    }
    let states = gantry_server::db::plugin_states::all(&app.state.db)
        .await
        .unwrap();
    let looper = &states["looper"];
    assert!(looper.disabled);
    assert!(
        looper
            .reason
            .as_deref()
            .unwrap_or("")
            .contains(&format!("after {limit} crashes in a row")),
        "{looper:?}"
    );
    // Disabled: it no longer runs, and the other plugin goes on.
    let runs = deliver_issue(&app).await;
    assert!(runs.iter().all(|r| r.plugin != "looper"), "{runs:?}");
    assert_eq!(run(&runs, "hooks").outcome, "ok");
    assert!(
        states.get("hooks").is_none_or(|s| !s.disabled),
        "a plugin that never crashed has no crash record to disable it"
    );
    assert_eq!(
        gantry_server::db::audit::with_action(&app.state.db, "plugin.disabled")
            .await
            .unwrap()
            .len(),
        1
    );
    // An operator enables it again.
    assert!(
        gantry_server::db::plugin_states::enable(&app.state.db, "looper")
            .await
            .unwrap()
    );
    let runs = deliver_issue(&app).await;
    assert_eq!(run(&runs, "looper").outcome, "timeout");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_filling_its_key_value_store_is_stopped_at_the_byte_quota() {
    // 20 values of 1 MiB: the 16 MiB quota (keys and values) stops it at the 16th.
    let app = spawn_app(AppOptions {
        plugins: Plugins::Named(&["hoarder"]),
        ..AppOptions::default()
    })
    .await;
    let runs = deliver_issue(&app).await;
    let hoarder = run(&runs, "hoarder");
    let log = hoarder.log.clone().unwrap_or_default();
    assert!(
        log.contains("refused at k15: HostError::LimitExceeded(") && log.contains("kept 15"),
        "{log}"
    );
    let scope = gantry_server::db::kv::KvScope {
        plugin: "hoarder",
        project: "Codertocat/Hello-World",
    };
    let stored = gantry_server::db::kv::bytes(&app.state.db, scope)
        .await
        .unwrap();
    assert!(stored <= 16 * 1024 * 1024, "{stored} bytes stored");

    // Replacing a value is measured against what it replaces: still possible.
    let again = deliver_issue(&app).await;
    assert!(run(&again, "hoarder")
        .log
        .clone()
        .unwrap_or_default()
        .contains("refused at k15"));
}
