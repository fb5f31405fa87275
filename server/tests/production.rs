#![allow(clippy::unwrap_used)]
//! Production checks through the `gantry` binary: `gantry serve` with
//! `server.environment = "production"` refuses to start naming every problem, starts
//! once they are fixed, and `gantry config check` prints the same report and the
//! effective configuration with secrets masked.
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const WEBHOOK_SECRET: &str = "0123456789abcdef0123456789abcdef-webhook";
const API_TOKEN: &str = "api-token-0123456789abcdef0123456789";

/// `gantry ARGS` in `dir` with no `GANTRY_*` variable but `env`.
fn gantry(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gantry"));
    for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("GANTRY_")) {
        cmd.env_remove(key);
    }
    cmd.current_dir(dir).args(args).envs(env.iter().copied());
    cmd
}

fn secrets_key(dir: &std::path::Path) -> String {
    let out = gantry(dir, &["secrets", "generate-key"], &[])
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[test]
fn serve_in_production_refuses_to_start_naming_every_problem() {
    let dir = tempfile::tempdir().unwrap();
    let out = gantry(
        dir.path(),
        &["serve"],
        &[
            ("GANTRY_SERVER__ENVIRONMENT", "production"),
            ("GANTRY_SERVER__LISTEN", "127.0.0.1:0"),
            ("GANTRY_API__TOKEN", "too-short"),
            ("GANTRY_METRICS__TOKEN", "also-short"),
            ("GANTRY_WORKER__REPLICAS", "3"),
        ],
    )
    .output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "it started: {stderr}");
    assert!(stderr.contains("6 problems"), "{stderr}");
    for (setting, says) in [
        ("webhook.secrets", "none is set"),
        ("secrets.key", "gantry secrets generate-key"),
        ("api.token", "9 characters"),
        ("metrics.token", "10 characters"),
        ("web.secure_cookies", "trusted_proxies"),
        ("worker.replicas", "3 replicas declared on SQLite"),
    ] {
        let line = stderr
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("- {setting}: ")))
            .unwrap_or_else(|| panic!("no line for {setting}: {stderr}"));
        assert!(line.contains(says), "{setting}: {line}");
    }
    assert!(!stderr.contains("too-short") && !stderr.contains("also-short"));
    assert!(!stderr.contains("gantry is serving"), "{stderr}");
}

#[test]
fn serve_in_production_starts_once_every_check_passes() {
    let dir = tempfile::tempdir().unwrap();
    let key = secrets_key(dir.path());
    let mut child = gantry(
        dir.path(),
        &["serve"],
        &[
            ("GANTRY_SERVER__ENVIRONMENT", "production"),
            ("GANTRY_SERVER__LISTEN", "127.0.0.1:0"),
            ("GANTRY_WEBHOOK_SECRET", WEBHOOK_SECRET),
            ("GANTRY_SECRETS__KEY", &key),
            ("GANTRY_API__TOKEN", API_TOKEN),
            ("GANTRY_WEB__SECURE_COOKIES", "true"),
        ],
    )
    .stdout(Stdio::null())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    // The log goes to standard error; read it until the server says it serves.
    let (tx, rx) = std::sync::mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = Vec::new();
    let served = loop {
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(line) if line.contains("gantry is serving") => break true,
            Ok(line) => seen.push(line),
            Err(_) if child.try_wait().unwrap().is_some() || Instant::now() > deadline => {
                break false
            }
            Err(_) => {}
        }
    };
    let _ = child.kill();
    let _ = child.wait();
    assert!(served, "it did not start:\n{}", seen.join("\n"));
}

#[test]
fn config_check_prints_the_report_and_the_effective_configuration_masked() {
    let dir = tempfile::tempdir().unwrap();
    let production = [
        ("GANTRY_SERVER__ENVIRONMENT", "production"),
        ("GANTRY_API__TOKEN", API_TOKEN),
        ("GANTRY_WEBHOOK_SECRET", WEBHOOK_SECRET),
    ];
    let out = gantry(dir.path(), &["config", "check"], &production)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stdout}");
    assert!(stderr.contains("2 production checks failed"), "{stderr}");
    assert!(stdout.contains("environment: production"), "{stdout}");
    assert!(stdout.contains("production checks: 2 problems"), "{stdout}");
    assert!(stdout.contains("  - secrets.key: missing"), "{stdout}");
    assert!(stdout.contains("  - web.secure_cookies: "), "{stdout}");
    // The effective configuration, as TOML, with the secrets masked.
    let toml_part = stdout.split("# effective configuration").nth(1).unwrap();
    let shown: toml::Value = toml::from_str(toml_part.split_once('\n').unwrap().1).unwrap();
    assert_eq!(shown["api"]["token"].as_str(), Some("***"));
    assert_eq!(shown["webhook"]["secrets"][0].as_str(), Some("***"));
    assert_eq!(shown["server"]["environment"].as_str(), Some("production"));
    assert!(!stdout.contains(API_TOKEN) && !stdout.contains(WEBHOOK_SECRET));
    assert!(!stderr.contains(API_TOKEN) && !stderr.contains(WEBHOOK_SECRET));

    // In development the same problems are reported, and it passes.
    let out = gantry(dir.path(), &["config", "check"], &production[1..])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("environment: development"), "{stdout}");
    assert!(
        stdout.contains("(in production, `gantry serve` would refuse to start)"),
        "{stdout}"
    );
}

/// The `gantry.toml` of the Kubernetes ConfigMap, out of its YAML block.
fn kubernetes_settings() -> String {
    let yaml = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../deploy/kubernetes/configmap.yaml"
    ))
    .unwrap();
    let block = yaml.split_once("gantry.toml: |\n").unwrap().1;
    block
        .lines()
        .map(|l| l.strip_prefix("    ").unwrap_or(l.trim()))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_shipped_production_settings_pass_once_their_secrets_are_given() {
    let dir = tempfile::tempdir().unwrap();
    let key = secrets_key(dir.path());
    let kubernetes = dir.path().join("kubernetes.toml");
    std::fs::write(&kubernetes, kubernetes_settings()).unwrap();
    let compose = concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/compose/gantry.toml");
    for (file, database) in [
        (
            kubernetes.to_str().unwrap(),
            "postgres://gantry@127.0.0.1:1/gantry",
        ),
        (compose, "postgres://gantry@127.0.0.1:1/gantry"),
    ] {
        let secrets = [
            ("GANTRY_WEBHOOK_SECRET", WEBHOOK_SECRET),
            ("GANTRY_SECRETS__KEY", key.as_str()),
            ("GANTRY_DATABASE__URL", database),
        ];
        let out = gantry(dir.path(), &["--config", file, "config", "check"], &secrets)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{file}: {stdout}");
        assert!(
            stdout.contains("environment: production"),
            "{file}: {stdout}"
        );
        assert!(
            stdout.contains("production checks: all pass"),
            "{file}: {stdout}"
        );
        // Without the secrets the same file is refused.
        let out = gantry(
            dir.path(),
            &["--config", file, "config", "check"],
            &secrets[2..],
        )
        .output()
        .unwrap();
        assert!(!out.status.success(), "{file}");
    }
}
