//! The configuration's defaults and its derived schema: `rule-based` by default,
//! any other provider name means a model provider, named as capabilities name them.
use super::*;

#[test]
fn an_empty_configuration_takes_the_defaults() {
    let config: Config = serde_json::from_str("{}").unwrap();
    assert_eq!(config, Config::default());
    assert_eq!(config.provider, "rule-based");
    assert_eq!(config.model_provider(), None);
    assert_eq!(config.checks, Check::ALL);
    assert!(Check::ALL.iter().all(|c| config.runs(*c)));
}

#[test]
fn a_provider_other_than_rule_based_is_a_model_provider_named_as_capabilities_name_it() {
    let config: Config = serde_json::from_str(r#"{"provider": "openai"}"#).unwrap();
    assert_eq!(config.model_provider(), Some("openai"));
    let schema = gantry_plugin_sdk::config_schema::<Config>();
    let provider = &schema["properties"]["provider"];
    assert_eq!(provider["default"], "rule-based");
    assert_eq!(provider["type"], "string");
    // The name pattern of `model:<name>` (and of `[models]` tables).
    assert_eq!(provider["pattern"], "^[a-z0-9-]{1,64}$");
    assert_eq!(schema["properties"]["large_file_lines"]["default"], 500);
}

#[test]
fn unknown_keys_and_checks_are_refused() {
    assert!(serde_json::from_str::<Config>(r#"{"model": "x"}"#).is_err());
    assert!(serde_json::from_str::<Config>(r#"{"checks": ["spelling"]}"#).is_err());
    let some: Config = serde_json::from_str(r#"{"checks": ["todo", "large"]}"#).unwrap();
    assert!(some.runs(Check::Todo) && some.runs(Check::Large) && !some.runs(Check::Unwrap));
}
