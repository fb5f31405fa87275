//! `[models]` settings: parsing from the file, the built-in provider, checks, prices.
use std::collections::BTreeMap;

use super::{check, with_builtin, Prices, ProviderKind, ProviderSettings, RULE_BASED};
use crate::config::Settings;

fn load(text: &str) -> anyhow::Result<Settings> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gantry.toml");
    std::fs::write(&path, text).unwrap();
    Settings::load_from(Some(&path), Vec::new())
}

#[test]
fn providers_are_read_from_the_file_with_their_prices() {
    let s = load(
        r#"
[models.openai]
kind = "openai-compatible"
base_url = "https://api.openai.com/v1"
model = "gpt-4o-mini"
timeout_secs = 30
api_key_secret = "openai-key"
input_per_million = 0.15
output_per_million = 0.6
"#,
    )
    .unwrap();
    let openai = &s.models["openai"];
    assert_eq!(openai.kind, ProviderKind::OpenaiCompatible);
    assert_eq!(openai.model, "gpt-4o-mini");
    assert_eq!(openai.timeout().as_secs(), 30);
    assert_eq!(openai.api_key_secret.as_deref(), Some("openai-key"));
    assert_eq!(openai.host().as_deref(), Some("api.openai.com"));
    assert_eq!(
        openai.prices(),
        Prices {
            input_micros_per_million: 150_000,
            output_micros_per_million: 600_000
        }
    );
    let all = with_builtin(&s.models);
    assert_eq!(all[RULE_BASED].kind, ProviderKind::RuleBased);
    assert_eq!(all.len(), 2);
}

#[test]
fn the_rule_based_provider_exists_with_no_configuration() {
    let s = load("").unwrap();
    assert!(s.models.is_empty());
    let all = with_builtin(&s.models);
    assert_eq!(all.keys().collect::<Vec<_>>(), vec![RULE_BASED]);
    assert_eq!(all[RULE_BASED].prices(), Prices::default());
}

#[test]
fn wrong_providers_are_refused_naming_the_setting() {
    for (text, names) in [
        (
            "[models.x]\nkind = \"openai-compatible\"\nmodel = \"m\"\n",
            "models.x.base_url",
        ),
        (
            "[models.x]\nkind = \"openai-compatible\"\nbase_url = \"ftp://h/v1\"\nmodel = \"m\"\n",
            "models.x.base_url",
        ),
        (
            "[models.x]\nkind = \"openai-compatible\"\nbase_url = \"http://h/v1\"\n",
            "models.x.model",
        ),
        (
            "[models.x]\nkind = \"openai-compatible\"\nbase_url = \"http://h/v1\"\nmodel = \"m\"\napi_key_secret = \"sk-live abc\"\n",
            "models.x.api_key_secret",
        ),
        (
            "[models.x]\nkind = \"rule-based\"\ninput_per_million = -1.0\n",
            "models.x.input_per_million",
        ),
        (
            "[models.rule-based]\nkind = \"openai-compatible\"\nbase_url = \"http://h/v1\"\nmodel = \"m\"\n",
            "models.rule-based",
        ),
        ("[models.Big]\nkind = \"rule-based\"\n", "models.Big"),
    ] {
        let err = format!("{:#}", load(text).unwrap_err());
        assert!(err.contains(names), "{text}: {err}");
    }
    let err = format!("{:#}", load("[models.x]\nkind = \"magic\"\n").unwrap_err());
    assert!(err.contains("magic") || err.contains("kind"), "{err}");
    let err = format!(
        "{:#}",
        load("[models.x]\nkind = \"rule-based\"\napi_key = \"sk\"\n").unwrap_err()
    );
    assert!(err.contains("api_key"), "{err}");
}

#[test]
fn a_provider_needs_no_key_and_a_port_is_part_of_its_host() {
    let mut models = BTreeMap::new();
    models.insert(
        "local".to_owned(),
        ProviderSettings {
            base_url: "http://127.0.0.1:11434/v1".into(),
            model: "llama3".into(),
            kind: ProviderKind::OpenaiCompatible,
            ..ProviderSettings::rule_based()
        },
    );
    check(&models).unwrap();
    assert_eq!(models["local"].host().as_deref(), Some("127.0.0.1:11434"));
}

#[test]
fn costs_are_rounded_up_to_a_micro_dollar() {
    let prices = Prices {
        input_micros_per_million: 150_000,
        output_micros_per_million: 600_000,
    };
    assert_eq!(prices.cost_micros(1_000, 0), 150);
    assert_eq!(prices.cost_micros(0, 1_000), 600);
    assert_eq!(prices.cost_micros(1, 1), 2);
    assert_eq!(prices.cost_micros(0, 0), 0);
    assert_eq!(Prices::default().cost_micros(1_000_000, 1_000_000), 0);
    assert_eq!(prices.cost_micros(1_000_000, 1_000_000), 750_000);
    // No overflow however many tokens a provider reports.
    assert!(prices.cost_micros(u64::MAX, u64::MAX) > 0);
}
