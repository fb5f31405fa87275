//! `gantry plugin test` runs what the server runs: the `pr-size` fixture of issue 21
//! for a pull request and for `/size` on it, commands refused as the server refuses
//! them (permission, not a pull request), a configuration refused with configure's
//! own message, and kv kept across events and across runs with `--state`.
use super::{gantry, gantry_in, repo_file, stdout};

const PULL_OPENED: &str = "tests/fixtures/webhooks/pull_request/opened.payload.json";
const ISSUE_OPENED: &str = "tests/fixtures/webhooks/issues/opened.payload.json";

fn pr_size() -> String {
    repo_file("target/test-plugins/pr_size.wasm")
}

fn both(out: &std::process::Output) -> String {
    format!("{}\n{}", stdout(out), String::from_utf8_lossy(&out.stderr))
}

#[test]
fn plugin_test_labels_a_pull_request_by_size_and_answers_size_on_it() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("size.json");
    // Merged over the defaults (m = 100, l = 500), as `configure` merges: the
    // example pull request's 2 changed lines are size/M.
    std::fs::write(&config, r#"{"xs": 1, "s": 2}"#).unwrap();
    let out = gantry(&[
        "plugin",
        "test",
        &pr_size(),
        "--event",
        &repo_file(PULL_OPENED),
        "--comment",
        "/size",
        "--on",
        "pull_request/opened",
        "--config",
        config.to_str().unwrap(),
    ]);
    let text = both(&out);
    assert!(out.status.success(), "{text}");
    let (event, command) = text
        .split_once("== issue_comment.created")
        .expect("a report per event");
    assert!(event.contains("== pull_request.opened"), "{text}");
    assert!(event.contains("ran pr-size: ok"), "{text}");
    // GitHub's example pull request is labelled `bug` already.
    assert!(event.contains("labels: bug, size/M"), "{text}");
    assert!(
        command.contains("comment by plugin-tester (write): /size"),
        "{text}"
    );
    assert!(command.contains("ran pr-size /size #0: ok"), "{text}");
    assert!(
        command.contains("| This pull request changes 2 lines: size/M."),
        "{text}"
    );
    // The report only: no host log lines without -v.
    assert!(!text.contains(" INFO "), "{text}");
}

#[test]
fn plugin_test_does_not_run_a_command_without_the_permission_or_off_a_pull_request() {
    let out = gantry(&[
        "plugin",
        "test",
        &pr_size(),
        "--comment",
        "/size",
        "--as",
        "mallory",
        "--permission",
        "none",
    ]);
    let text = both(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(!text.contains("ran pr-size"), "{text}");
    assert!(
        text.contains("skipped pr-size /size: permission: mallory has no access on the repository; /size of pr-size needs read or more"),
        "{text}"
    );
    assert!(
        text.contains("error: the plugin did not run for issue_comment.created"),
        "{text}"
    );

    let out = gantry(&[
        "plugin",
        "test",
        &pr_size(),
        "--comment",
        "/size",
        "--on",
        "issues/opened",
    ]);
    let text = both(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains("not a pull request: /size of pr-size is for pull requests only"),
        "{text}"
    );

    let out = gantry(&["plugin", "test", &pr_size(), "--comment", "/sise"]);
    let text = both(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains("no installed plugin declares /sise"),
        "{text}"
    );
}

#[test]
fn plugin_test_refuses_a_configuration_with_the_message_configure_gives() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"{"l": "1000"}"#).unwrap();
    let test = gantry(&[
        "plugin",
        "test",
        &pr_size(),
        "--comment",
        "/size",
        "--config",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(test.status.code(), Some(1), "{}", both(&test));
    let refused = String::from_utf8_lossy(&test.stderr).into_owned();

    let data = dir.path().join("data");
    let install = gantry_in(&data, &["plugin", "install", &pr_size()]);
    assert!(install.status.success(), "{}", both(&install));
    let configure = gantry_in(
        &data,
        &[
            "plugin",
            "configure",
            "pr-size",
            "--repo",
            "*",
            "--file",
            bad.to_str().unwrap(),
        ],
    );
    assert!(!configure.status.success());
    assert_eq!(refused.lines().count(), 1, "one plain line: {refused}");
    let message = refused.trim().strip_prefix("error: ").unwrap();
    assert!(
        message.starts_with(
            "invalid configuration for plugin `pr-size` on every repository (*): at /l:"
        ),
        "{refused}"
    );
    // configure names the database it changed before the same message.
    let configure = String::from_utf8_lossy(&configure.stderr);
    assert!(
        configure.trim_end().ends_with(message),
        "plugin test and configure refuse alike:\n{refused}\n{configure}"
    );
}

#[test]
fn plugin_test_keeps_kv_across_events_and_across_runs_with_state() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let config = dir.path().join("note.json");
    std::fs::write(&config, r#"{"note": "first"}"#).unwrap();
    let prober = repo_file("target/test-plugins/prober.wasm");
    let issue = repo_file(ISSUE_OPENED);
    let run = |note: &str, with_state: bool| {
        std::fs::write(&config, format!(r#"{{"note": "{note}"}}"#)).unwrap();
        let mut args = vec![
            "plugin",
            "test",
            &prober,
            "--event",
            &issue,
            "--config",
            config.to_str().unwrap(),
        ];
        if with_state {
            args.extend(["--state", state.to_str().unwrap()]);
        }
        let out = gantry(&args);
        let text = both(&out);
        assert!(out.status.success(), "{text}");
        text
    };
    let first = run("first", true);
    assert!(first.contains("log: info: note before: None"), "{first}");
    let second = run("second", true);
    assert!(
        second.contains(r#"log: info: note before: Some("first")"#),
        "{second}"
    );
    let elsewhere = run("third", false);
    assert!(
        elsewhere.contains("log: info: note before: None"),
        "{elsewhere}"
    );

    // Two events in one call share one state, in order.
    let out = gantry(&[
        "plugin",
        "test",
        &prober,
        "--event",
        &issue,
        "--event",
        &issue,
        "--config",
        config.to_str().unwrap(),
    ]);
    let text = both(&out);
    assert!(out.status.success(), "{text}");
    let (one, two) = text.split_at(text.rfind("== issues.opened").unwrap());
    assert!(one.contains("log: info: note before: None"), "{text}");
    assert!(
        two.contains(r#"log: info: note before: Some("third")"#),
        "{text}"
    );
}
