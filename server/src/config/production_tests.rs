//! Unit tests of the production checks: each check on its own, and a configuration
//! that passes them all.
use super::{StoredSecrets, MIN_TOKEN_CHARS};
use crate::config::{Environment, Settings};
use crate::domain::{Secret, SANDBOX_WEBHOOK_SECRET};

/// A configuration that passes every check.
fn ready() -> Settings {
    let mut s = Settings::default();
    s.server.environment = Environment::Production;
    s.webhook.secrets = vec![Secret::new("w".repeat(40))];
    s.secrets.key = Some(Secret::new("k".repeat(44)));
    s.api.token = Some(Secret::new("a".repeat(MIN_TOKEN_CHARS)));
    s.metrics.token = Some(Secret::new("m".repeat(MIN_TOKEN_CHARS)));
    s.web.secure_cookies = true;
    s.database.url = "postgres://gantry@db/gantry".into();
    s.worker.replicas = 3;
    s
}

fn settings_named(s: &Settings, stored: &StoredSecrets) -> Vec<&'static str> {
    s.production_problems(stored)
        .into_iter()
        .map(|p| p.setting)
        .collect()
}

#[test]
fn a_ready_configuration_passes_and_starts() {
    let s = ready();
    assert!(s.production_problems(&StoredSecrets::None).is_empty());
    s.check_production(&StoredSecrets::None).unwrap();
}

#[test]
fn no_webhook_secret_fails_unless_one_is_stored() {
    let mut s = ready();
    s.webhook.secrets.clear();
    assert_eq!(
        settings_named(&s, &StoredSecrets::None),
        ["webhook.secrets"]
    );
    assert!(settings_named(&s, &StoredSecrets::Some).is_empty());
    let unknown = s.production_problems(&StoredSecrets::Unknown("connection refused".into()));
    assert!(
        unknown[0].message.contains("connection refused"),
        "{unknown:?}"
    );
}

#[test]
fn the_sandbox_default_secret_fails_even_beside_a_good_one() {
    let mut s = ready();
    s.webhook.secrets.push(Secret::new(SANDBOX_WEBHOOK_SECRET));
    let problems = s.production_problems(&StoredSecrets::Some);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].message.contains("well-known default"));
}

#[test]
fn a_missing_secrets_key_fails() {
    let mut s = ready();
    s.secrets.key = None;
    assert_eq!(settings_named(&s, &StoredSecrets::None), ["secrets.key"]);
}

#[test]
fn short_tokens_fail_and_an_unset_one_does_not() {
    let mut s = ready();
    s.api.token = Some(Secret::new("a".repeat(MIN_TOKEN_CHARS - 1)));
    s.metrics.token = Some(Secret::new("tiny5"));
    let problems = s.production_problems(&StoredSecrets::None);
    assert_eq!(
        problems.iter().map(|p| p.setting).collect::<Vec<_>>(),
        ["api.token", "metrics.token"]
    );
    assert!(
        problems[1].message.starts_with("5 characters"),
        "{problems:?}"
    );
    assert!(
        !problems.iter().any(|p| p.message.contains("tiny5")),
        "a token's value never shows in the report: {problems:?}"
    );
    s.api.token = None;
    s.metrics.token = None;
    assert!(s.production_problems(&StoredSecrets::None).is_empty());
}

#[test]
fn insecure_cookies_fail_unless_a_proxy_is_trusted_to_say_https() {
    let mut s = ready();
    s.web.secure_cookies = false;
    assert_eq!(
        settings_named(&s, &StoredSecrets::None),
        ["web.secure_cookies"]
    );
    s.web.trusted_proxies = vec!["10.0.0.0/8".into()];
    assert!(s.production_problems(&StoredSecrets::None).is_empty());
}

#[test]
fn sqlite_with_several_replicas_fails() {
    let mut s = ready();
    s.database.url = String::new();
    assert_eq!(
        settings_named(&s, &StoredSecrets::None),
        ["worker.replicas"]
    );
    s.worker.replicas = 1;
    assert!(s.production_problems(&StoredSecrets::None).is_empty());
}

#[test]
fn every_problem_is_named_at_once_and_development_is_never_refused() {
    let mut s = Settings::default();
    s.worker.replicas = 2;
    s.check_production(&StoredSecrets::None).unwrap();
    s.server.environment = Environment::Production;
    let err = format!(
        "{:#}",
        s.check_production(&StoredSecrets::None).unwrap_err()
    );
    for setting in [
        "webhook.secrets",
        "secrets.key",
        "web.secure_cookies",
        "worker.replicas",
    ] {
        assert!(
            err.contains(&format!("  - {setting}: ")),
            "{setting}: {err}"
        );
    }
    assert!(err.contains("4 problems"), "{err}");
}

#[test]
fn the_environment_is_set_from_the_file_or_the_environment() {
    let s = Settings::load_from(
        None,
        [(
            "GANTRY_SERVER__ENVIRONMENT".to_owned(),
            "production".to_owned(),
        )],
    )
    .unwrap();
    assert_eq!(s.server.environment, Environment::Production);
    let err = Settings::load_from(
        None,
        [("GANTRY_SERVER__ENVIRONMENT".to_owned(), "prod".to_owned())],
    )
    .unwrap_err();
    assert!(format!("{err:#}").contains("production"), "{err:#}");
}

#[test]
fn secrets_in_the_settings_file_keep_their_values() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("gantry.toml");
    let token = "t".repeat(MIN_TOKEN_CHARS);
    std::fs::write(
        &file,
        format!(
            "[server]\nenvironment = \"production\"\n[api]\ntoken = \"{token}\"\n[webhook]\nsecrets = [\"{}\"]\n",
            "w".repeat(40)
        ),
    )
    .unwrap();
    let s = Settings::load_from(Some(&file), []).unwrap();
    assert_eq!(
        s.api.token.as_ref().map(Secret::expose),
        Some(token.as_str())
    );
    assert_eq!(s.webhook.secrets[0].expose(), "w".repeat(40));
    assert_eq!(s.server.environment, Environment::Production);
}
