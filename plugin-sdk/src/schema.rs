//! The configuration's JSON schema derived from the Rust type a plugin reads its
//! configuration into (`#[derive(JsonSchema)]`), so the type is the one source of
//! truth: `register_plugin!(P, config = T)` makes the component's `config-schema`
//! export answer it, and the host fills the manifest's `config_schema` from it when
//! it loads the plugin.
use schemars::JsonSchema;

/// The JSON schema (draft 2020-12, as schemars writes it) of configuration type `T`,
/// as the host receives it: doc comments become descriptions, `#[serde(default)]`
/// fields carry their defaults (the host merges them under an operator's
/// configuration), and `#[serde(deny_unknown_fields)]` refuses unknown keys.
///
/// ```
/// #[derive(serde::Deserialize, serde::Serialize, schemars::JsonSchema, Default)]
/// #[serde(default, deny_unknown_fields)]
/// struct Config {
///     /// What to say.
///     greeting: String,
/// }
///
/// let schema = gantry_plugin_sdk::config_schema::<Config>();
/// assert_eq!(schema["properties"]["greeting"]["description"], "What to say.");
/// assert_eq!(schema["additionalProperties"], false);
/// ```
#[must_use]
pub fn config_schema<T: JsonSchema>() -> serde_json::Value {
    schemars::schema_for!(T).into()
}

/// [`config_schema`] as the text the `config-schema` export returns.
#[doc(hidden)]
#[must_use]
pub fn __config_schema_text<T: JsonSchema>() -> String {
    config_schema::<T>().to_string()
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    use super::config_schema;

    /// A configuration as a plugin writes it.
    #[derive(Debug, Deserialize, Serialize, schemars::JsonSchema)]
    #[serde(default, deny_unknown_fields)]
    struct Config {
        /// Labels to add.
        labels: Vec<String>,
        /// At most this many.
        #[schemars(range(min = 1, max = 10))]
        limit: u32,
        /// Nested, by reference.
        section: Section,
    }

    /// A nested part.
    #[derive(Debug, Default, Deserialize, Serialize, schemars::JsonSchema)]
    struct Section {
        /// Its title.
        title: String,
    }

    impl Default for Config {
        fn default() -> Self {
            Self {
                labels: vec!["triage".into()],
                limit: 3,
                section: Section::default(),
            }
        }
    }

    #[test]
    fn the_schema_carries_descriptions_defaults_bounds_and_refuses_unknown_keys() {
        let schema = config_schema::<Config>();
        assert_eq!(
            schema["$schema"],
            "https://json-schema.org/draft/2020-12/schema"
        );
        assert_eq!(schema["type"], "object");
        assert_eq!(schema["additionalProperties"], false);
        let labels = &schema["properties"]["labels"];
        assert_eq!(labels["description"], "Labels to add.");
        assert_eq!(labels["default"], serde_json::json!(["triage"]));
        let limit = &schema["properties"]["limit"];
        assert_eq!(
            (limit["minimum"].clone(), limit["maximum"].clone()),
            (1.into(), 10.into())
        );
        assert_eq!(limit["default"], 3);
        assert!(
            schema["$defs"]["Section"]["properties"]["title"].is_object(),
            "{schema}"
        );
    }
}
