//! The configuration's defaults and its derived schema: `rule-based` is the only
//! provider, and anything else is refused with a message naming it.
use super::*;

#[test]
fn an_empty_configuration_takes_the_defaults() {
    let config: Config = serde_json::from_str("{}").unwrap();
    assert_eq!(config, Config::default());
    assert_eq!(config.provider, Provider::RuleBased);
    assert_eq!(config.checks, Check::ALL);
    assert!(Check::ALL.iter().all(|c| config.runs(*c)));
}

#[test]
fn a_provider_other_than_rule_based_is_refused_by_name() {
    let e = serde_json::from_str::<Config>(r#"{"provider": "openai-compatible"}"#).unwrap_err();
    assert!(e.to_string().contains("expected `rule-based`"), "{e}");
    let schema = gantry_plugin_sdk::config_schema::<Config>();
    let text = schema.to_string();
    assert!(text.contains("rule-based"), "{text}");
    assert!(!text.contains("openai"), "{text}");
    assert_eq!(schema["properties"]["provider"]["default"], "rule-based");
    assert_eq!(schema["properties"]["large_file_lines"]["default"], 500);
}

#[test]
fn unknown_keys_and_checks_are_refused() {
    assert!(serde_json::from_str::<Config>(r#"{"model": "x"}"#).is_err());
    assert!(serde_json::from_str::<Config>(r#"{"checks": ["spelling"]}"#).is_err());
    let some: Config = serde_json::from_str(r#"{"checks": ["todo", "large"]}"#).unwrap();
    assert!(some.runs(Check::Todo) && some.runs(Check::Large) && !some.runs(Check::Unwrap));
}
