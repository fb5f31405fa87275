#![allow(clippy::unwrap_used)]
//! The `gantry` binary's command line. Having this test also makes every workspace
//! test build produce a fresh `gantry` binary, which the process-level durability
//! tests in `tests/integration` run.
use std::process::Command;

fn gantry(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_gantry")).args(args).output().unwrap()
}

#[test]
fn help_lists_every_command() {
    let out = gantry(&["--help"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for command in ["serve", "migrate", "sandbox", "deliveries", "secrets"] {
        assert!(text.contains(command), "`{command}` missing from:\n{text}");
    }
}

#[test]
fn generate_key_prints_a_fresh_32_byte_base64_key() {
    let (a, b) = (gantry(&["secrets", "generate-key"]), gantry(&["secrets", "generate-key"]));
    let (a, b) = (String::from_utf8_lossy(&a.stdout).trim().to_owned(), String::from_utf8_lossy(&b.stdout).trim().to_owned());
    assert_eq!(a.len(), 44, "{a}");
    assert_ne!(a, b);
}

#[test]
fn an_invalid_settings_file_is_refused_with_the_offending_key() {
    let dir = std::env::temp_dir().join(format!("gantry-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("gantry.toml");
    std::fs::write(&file, "[worker]\nconcurency = 2\n").unwrap();
    let out = gantry(&["--config", file.to_str().unwrap(), "migrate", "status"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("concurency"), "{stderr}");
}

fn repo_file(relative: &str) -> String {
    format!("{}/../{relative}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn plugin_test_runs_a_plugin_against_the_simulator_and_reports_what_it_did() {
    let out = gantry(&[
        "plugin",
        "test",
        &repo_file("target/plugins/hooks.wasm"),
        "--event",
        &repo_file("../shared/corpus/webhooks/issues/opened.payload.json"),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("plugin hooks 0.1.0 (sdk 0.1.0) on issues.opened"), "{text}");
    assert!(text.contains("outcome: ok"), "{text}");
    assert!(text.contains("issues:write -> allow"), "{text}");
    assert!(text.contains("labels:") && text.contains("needs-triage"), "{text}");
}

#[test]
fn plugin_test_fails_and_shows_the_denial_for_an_undeclared_capability() {
    let out = gantry(&[
        "plugin",
        "test",
        &repo_file("target/test-plugins/undeclared.wasm"),
        "--event",
        &repo_file("../shared/corpus/webhooks/issues/opened.payload.json"),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success());
    assert!(text.contains("issues:write -> deny") && text.contains("does not declare"), "{text}");
    assert!(text.contains("labels:") && !text.contains("sneaky"), "{text}");
}

/// The plugin guide's tutorial, as a reader would follow it: the guide shows the
/// template's code, `plugin new` makes the crate, the build script builds it, and
/// `plugin test` runs it against the simulator.
#[test]
fn the_plugin_guide_tutorial_builds_and_runs() {
    let guide = std::fs::read_to_string(repo_file("docs/plugin-guide.md")).unwrap();
    let template = std::fs::read_to_string(repo_file("server/src/cli/template/lib.rs.tmpl")).unwrap();
    assert!(guide.contains(&template), "docs/plugin-guide.md no longer shows the template's src/lib.rs");

    let dir = std::env::temp_dir().join(format!("gantry-tutorial-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let crate_dir = dir.join("hello");
    let out = gantry(&["plugin", "new", "hello", "--path", crate_dir.to_str().unwrap(), "--sdk", &repo_file("plugin-sdk")]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let build = Command::new(repo_file("scripts/build-plugins.sh")).arg("--crate").arg(&crate_dir).output().unwrap();
    assert!(build.status.success(), "{}", String::from_utf8_lossy(&build.stderr));
    let wasm = String::from_utf8_lossy(&build.stdout).trim().to_owned();

    let event = repo_file("../shared/corpus/webhooks/issues/opened.payload.json");
    let run = gantry(&["plugin", "test", &wasm, "--event", &event]);
    let text = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "{text}\n{}", String::from_utf8_lossy(&run.stderr));
    assert!(text.contains("Hello @Codertocat, thanks for the report!"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}
