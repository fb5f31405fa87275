#![allow(clippy::unwrap_used)]
//! The `gantry` binary's command line. Having this test also makes every workspace
//! test build produce a fresh `gantry` binary, which the process-level durability
//! tests in `tests/integration` run.
use std::process::Command;

#[path = "cli/plugin_test.rs"]
mod plugin_test;

fn gantry(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_gantry"))
        .args(args)
        .output()
        .unwrap()
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
    let (a, b) = (
        gantry(&["secrets", "generate-key"]),
        gantry(&["secrets", "generate-key"]),
    );
    let (a, b) = (
        String::from_utf8_lossy(&a.stdout).trim().to_owned(),
        String::from_utf8_lossy(&b.stdout).trim().to_owned(),
    );
    assert_eq!(a.len(), 44, "{a}");
    assert_ne!(a, b);
}

#[test]
fn an_invalid_settings_file_is_refused_with_the_offending_key() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("gantry.toml");
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
        &repo_file("tests/fixtures/webhooks/issues/opened.payload.json"),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("plugin hooks 0.1.0 (sdk 0.1.0)"), "{text}");
    assert!(text.contains("== issues.opened"), "{text}");
    assert!(text.contains("ran hooks: ok"), "{text}");
    assert!(text.contains("issues:write -> allow"), "{text}");
    assert!(
        text.contains("labels:") && text.contains("needs-triage"),
        "{text}"
    );
}

#[test]
fn plugin_test_fails_and_shows_the_denial_for_an_undeclared_capability() {
    let out = gantry(&[
        "plugin",
        "test",
        &repo_file("target/test-plugins/undeclared.wasm"),
        "--event",
        &repo_file("tests/fixtures/webhooks/issues/opened.payload.json"),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text.contains("issues:write -> deny") && text.contains("does not declare"),
        "{text}"
    );
    assert!(
        text.contains("labels:") && !text.contains("sneaky"),
        "{text}"
    );
}

/// The plugin guide's tutorial, as a reader would follow it: the guide shows the
/// template's code, `plugin new` makes the crate, the build script builds it,
/// `plugin test` runs it against the simulator on an event and on its `/hello`
/// command, and `plugin install` and `enable` put it in Gantry.
#[test]
fn the_plugin_guide_tutorial_builds_and_runs() {
    let guide = std::fs::read_to_string(repo_file("docs/plugin-guide.md")).unwrap();
    let template =
        std::fs::read_to_string(repo_file("server/src/cli/template/lib.rs.tmpl")).unwrap();
    assert!(
        guide.contains(&template),
        "docs/plugin-guide.md no longer shows the template's src/lib.rs"
    );

    let dir = std::env::temp_dir().join(format!("gantry-tutorial-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let crate_dir = dir.join("hello");
    let out = gantry(&[
        "plugin",
        "new",
        "hello",
        "--path",
        crate_dir.to_str().unwrap(),
        "--sdk",
        &repo_file("plugin-sdk"),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let build = Command::new(repo_file("scripts/build-plugins.sh"))
        .arg("--crate")
        .arg(&crate_dir)
        .output()
        .unwrap();
    assert!(
        build.status.success(),
        "{}",
        String::from_utf8_lossy(&build.stderr)
    );
    let wasm = String::from_utf8_lossy(&build.stdout).trim().to_owned();

    let event = repo_file("tests/fixtures/webhooks/issues/opened.payload.json");
    let run = gantry(&["plugin", "test", &wasm, "--event", &event]);
    let text = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(
        text.contains("Hello @Codertocat, thanks for the report!"),
        "{text}"
    );

    // Step 5's command, then step 6's install and enable.
    let command = gantry(&[
        "plugin",
        "test",
        &wasm,
        "--comment",
        "/hello",
        "--on",
        "issues/opened",
    ]);
    let text = stdout(&command);
    assert!(command.status.success(), "{text}");
    assert!(text.contains("ran hello /hello #0: ok"), "{text}");
    assert!(
        text.contains("| Hello @plugin-tester, thanks for the report!"),
        "{text}"
    );
    let data = dir.join("data");
    let install = gantry_in(&data, &["plugin", "install", &wasm]);
    assert!(install.status.success(), "{}", stdout(&install));
    assert!(stdout(&install).contains("installed hello 0.1.0"));
    let enable = gantry_in(
        &data,
        &["plugin", "enable", "hello", "--repo", "OWNER/NAME"],
    );
    assert!(
        enable.status.success(),
        "{}",
        String::from_utf8_lossy(&enable.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A plugin author with only the `gantry` binary: in an empty folder outside the
/// repository, `plugin new` writes the SDK embedded in the binary into the crate,
/// `plugin build` builds the crate where it is, and `plugin test` runs the component.
#[test]
fn a_plugin_is_made_built_and_tested_in_an_empty_folder_without_a_checkout() {
    let dir = tempfile::tempdir().unwrap();
    let in_dir = |cwd: &std::path::Path, args: &[&str]| {
        // The wasm build's own cache, as scripts/build-plugins.sh chooses it (never the
        // host build's CARGO_TARGET_DIR, which this test inherits).
        let wasm_target = std::env::var("GANTRY_WASM_TARGET_DIR").unwrap_or_else(|_| {
            format!(
                "{}/.cache/gantry/wasm-target",
                std::env::var("HOME").unwrap()
            )
        });
        Command::new(env!("CARGO_BIN_EXE_gantry"))
            .args(args)
            .current_dir(cwd)
            .env("CARGO_TARGET_DIR", wasm_target)
            .output()
            .unwrap()
    };
    let new = in_dir(dir.path(), &["plugin", "new", "hello"]);
    assert!(
        new.status.success(),
        "{}",
        String::from_utf8_lossy(&new.stderr)
    );
    let crate_dir = dir.path().join("hello");
    assert!(crate_dir.join(".gantry/sdk/wit/v0.2/world.wit").is_file());

    let build = in_dir(&crate_dir, &["plugin", "build"]);
    assert!(
        build.status.success(),
        "{}",
        String::from_utf8_lossy(&build.stderr)
    );
    let wasm = stdout(&build).trim().to_owned();
    assert!(wasm.ends_with("hello.wasm"), "{wasm}");

    let event = repo_file("tests/fixtures/webhooks/issues/opened.payload.json");
    let run = in_dir(&crate_dir, &["plugin", "test", &wasm, "--event", &event]);
    let text = stdout(&run);
    assert!(
        run.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(text.contains("ran hello: ok"), "{text}");
    assert!(
        text.contains("Hello @Codertocat, thanks for the report!"),
        "{text}"
    );

    let nothing = in_dir(dir.path(), &["plugin", "build"]);
    assert!(!nothing.status.success());
    assert!(
        String::from_utf8_lossy(&nothing.stderr).starts_with("error: no plugin crate in"),
        "{}",
        String::from_utf8_lossy(&nothing.stderr)
    );
}

/// `gantry` with its data (a fresh SQLite database) in `dir`.
fn gantry_in(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_gantry"))
        .args(args)
        .env("GANTRY_DATA_DIR", dir)
        .env_remove("GANTRY_CONFIG")
        .env_remove("GANTRY_DATABASE__URL")
        .output()
        .unwrap()
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn plugin_install_then_list_shows_the_plugin_with_its_digest_and_every_change_is_audited() {
    use sha2::Digest;
    let dir = std::env::temp_dir().join(format!("gantry-cli-plugins-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let wasm = repo_file("target/test-plugins/configured.wasm");
    let digest = hex::encode(sha2::Sha256::digest(std::fs::read(&wasm).unwrap()));

    let out = gantry_in(&dir, &["plugin", "install", &wasm]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout(&out).contains(&format!(
            "installed configured 0.1.0 (sha256:{}",
            &digest[..12]
        )),
        "{}",
        stdout(&out)
    );
    assert!(
        stdout(&out).contains("runs nowhere yet"),
        "{}",
        stdout(&out)
    );

    let again = gantry_in(&dir, &["plugin", "install", &wasm]);
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("already installed"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );

    assert!(gantry_in(
        &dir,
        &["plugin", "enable", "configured", "--repo", "Octo/App"]
    )
    .status
    .success());
    let bad = gantry_in(
        &dir,
        &[
            "plugin",
            "configure",
            "configured",
            "--repo",
            "octo/app",
            "--set",
            r#"{"greeting": ""}"#,
        ],
    );
    assert!(!bad.status.success());
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(
        stderr.contains("octo/app") && stderr.contains("at /greeting"),
        "{stderr}"
    );
    // The settings file and the plugin's configuration file side by side.
    let (settings, config) = (dir.join("gantry.toml"), dir.join("configured.json"));
    std::fs::write(
        &settings,
        format!("data_dir = {:?}\n", dir.display().to_string()),
    )
    .unwrap();
    std::fs::write(&config, r#"{"greeting": "hi"}"#).unwrap();
    let (settings, config) = (settings.to_str().unwrap(), config.to_str().unwrap());
    let good = gantry_in(
        &dir,
        &[
            "--config",
            settings,
            "plugin",
            "configure",
            "configured",
            "--repo",
            "octo/app",
            "--file",
            config,
        ],
    );
    assert!(
        good.status.success(),
        "{}",
        String::from_utf8_lossy(&good.stderr)
    );

    let list = gantry_in(&dir, &["plugin", "list"]);
    let text = stdout(&list);
    assert!(
        list.status.success(),
        "{}",
        String::from_utf8_lossy(&list.stderr)
    );
    let line = text
        .lines()
        .find(|l| l.starts_with("configured"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        line.contains("0.1.0")
            && line.contains("enabled")
            && line.contains(&digest[..12])
            && line.contains("octo/app"),
        "{line}"
    );
    let json: serde_json::Value =
        serde_json::from_slice(&gantry_in(&dir, &["plugin", "list", "--json"]).stdout).unwrap();
    assert_eq!(json[0]["digest"], digest.as_str());
    assert_eq!(
        json[0]["projects"][0]["effective_config"],
        serde_json::json!({"greeting": "hi", "loud": false})
    );

    let show = stdout(&gantry_in(&dir, &["plugin", "show", "configured"]));
    assert!(
        show.contains(&format!("sha256:{digest}")) && show.contains("config in use"),
        "{show}"
    );
    assert!(gantry_in(&dir, &["plugin", "remove", "configured"])
        .status
        .success());
    assert!(stdout(&gantry_in(&dir, &["plugin", "list"])).contains("no plugins installed"));
    let audit = gantry_in(&dir, &["audit", "verify"]);
    assert!(
        stdout(&audit).contains("audit log intact: 4 rows verified"),
        "{}",
        stdout(&audit)
    );

    let too_big = Command::new(env!("CARGO_BIN_EXE_gantry"))
        .args(["plugin", "install", &wasm])
        .env("GANTRY_DATA_DIR", &dir)
        .env("GANTRY_PLUGINS__MAX_COMPONENT_BYTES", "1000")
        .output()
        .unwrap();
    assert!(!too_big.status.success());
    assert!(
        String::from_utf8_lossy(&too_big.stderr).contains("the limit is 1000"),
        "{}",
        String::from_utf8_lossy(&too_big.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// `plugin inspect` reads a component without running it: the v0.1 fixture
/// (`tests/fixtures/plugins-v0.1/`) shows its WIT version and declarations, and the
/// same component renamed to a version this host does not serve is shown as such.
#[test]
fn plugin_inspect_shows_the_wit_version_sdk_and_declarations() {
    let fixture = repo_file("tests/fixtures/plugins-v0.1/asker.wasm");
    let out = gantry(&["plugin", "inspect", &fixture]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for line in [
        "plugin: asker 0.1.0",
        "wit: gantry:plugin@0.1.0 (served by this host)",
        "sdk: 0.1.0",
        "events: issues.opened",
        "commands: /poke",
        "capabilities: issues:write, kv",
    ] {
        assert!(text.lines().any(|l| l == line), "no `{line}` in:\n{text}");
    }

    // Every import renamed from 0.1.0 to 0.9.0: the same length, still valid.
    let bytes = std::fs::read(&fixture).unwrap();
    let mut renamed = bytes.clone();
    let mut count = 0;
    for i in 0..renamed.len().saturating_sub(5) {
        if &renamed[i..i + 6] == b"@0.1.0" {
            renamed[i..i + 6].copy_from_slice(b"@0.9.0");
            count += 1;
        }
    }
    assert!(count > 0);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("future.wasm");
    std::fs::write(&file, renamed).unwrap();
    let out = gantry(&["plugin", "inspect", "--json", file.to_str().unwrap()]);
    assert!(out.status.success());
    let shown: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(shown["wit_versions"], serde_json::json!(["0.9.0"]));
    assert_eq!(shown["served"], false);
    assert_eq!(
        shown["served_versions"],
        serde_json::json!(["0.1.0", "0.2.0"])
    );
}
