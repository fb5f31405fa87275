//! Plugin configuration: what a plugin receives on a project is its manifest's
//! `default_config`, with the `*` configuration and then the project's own applied
//! on top as JSON merge patches (RFC 7396: objects merge key by key, `null` removes
//! a key, anything else replaces), checked against the manifest's `config_schema`.
//! Pure functions, no database.
use serde_json::Value;

use crate::wasm_host::Manifest;

/// The most validation errors one message lists.
const MAX_ERRORS: usize = 5;

/// Checks what a manifest says about configuration: the schema is a valid JSON
/// schema and the default configuration satisfies it.
///
/// # Errors
/// A message saying which of the two is wrong, and how.
pub fn check_manifest(manifest: &Manifest) -> Result<(), String> {
    let Some(schema) = &manifest.config_schema else {
        return Ok(());
    };
    jsonschema::validator_for(schema)
        .map_err(|e| format!("the manifest's config_schema is not a valid JSON schema: {e}"))?;
    validate(manifest, &layered(manifest, None, None))
        .map_err(|e| format!("the manifest's default_config does not match its config_schema: {e}"))
}

/// The configuration a plugin receives: its defaults, then `all` (the `*`
/// configuration), then `own` (the project's), each applied as a merge patch.
#[must_use]
pub fn layered(manifest: &Manifest, all: Option<&Value>, own: Option<&Value>) -> Value {
    let mut config = manifest
        .default_config
        .clone()
        .unwrap_or_else(|| Value::Object(serde_json::Map::new()));
    for patch in [all, own].into_iter().flatten() {
        merge_patch(&mut config, patch);
    }
    config
}

/// Checks a configuration against the manifest's schema (anything goes without one).
///
/// # Errors
/// The validator's messages, each with where in the configuration it applies.
pub fn validate(manifest: &Manifest, config: &Value) -> Result<(), String> {
    let Some(schema) = &manifest.config_schema else {
        return Ok(());
    };
    let validator = jsonschema::validator_for(schema)
        .map_err(|e| format!("the plugin's config_schema is not a valid JSON schema: {e}"))?;
    let errors: Vec<String> = validator
        .iter_errors(config)
        .map(|e| {
            let at = e.instance_path().to_string();
            if at.is_empty() {
                e.to_string()
            } else {
                format!("at {at}: {e}")
            }
        })
        .collect();
    match errors.len() {
        0 => Ok(()),
        n if n > MAX_ERRORS => Err(format!(
            "{} (and {} more)",
            errors[..MAX_ERRORS].join("; "),
            n - MAX_ERRORS
        )),
        _ => Err(errors.join("; ")),
    }
}

/// Applies `patch` to `target` as RFC 7396 describes.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(changes) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(serde_json::Map::new());
    }
    if let Value::Object(fields) = target {
        for (key, value) in changes {
            if value.is_null() {
                fields.remove(key);
            } else {
                merge_patch(fields.entry(key.clone()).or_insert(Value::Null), value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn manifest(schema: Option<Value>, default: Option<Value>) -> Manifest {
        toml::from_str::<Manifest>("name = \"t\"\nversion = \"0.1.0\"")
            .map(|m| Manifest {
                config_schema: schema,
                default_config: default,
                ..m
            })
            .unwrap()
    }

    #[test]
    fn project_settings_are_merge_patches_over_the_defaults_and_the_star_row() {
        let m = manifest(
            None,
            Some(json!({"greeting": "hi", "labels": ["a"], "nested": {"x": 1, "y": 2}})),
        );
        let all = json!({"labels": ["b"], "nested": {"y": 3}});
        let own = json!({"greeting": null, "nested": {"z": 4}});
        assert_eq!(
            layered(&m, Some(&all), Some(&own)),
            json!({"labels": ["b"], "nested": {"x": 1, "y": 3, "z": 4}})
        );
        assert_eq!(layered(&m, None, None), m.default_config.clone().unwrap());
        assert_eq!(layered(&manifest(None, None), None, None), json!({}));
    }

    #[test]
    fn a_configuration_outside_the_schema_is_refused_with_where_and_why() {
        let m = manifest(
            Some(
                json!({"type": "object", "properties": {"n": {"type": "integer"}}, "additionalProperties": false}),
            ),
            None,
        );
        assert!(validate(&m, &json!({"n": 3})).is_ok());
        let err = validate(&m, &json!({"n": "three", "extra": true})).unwrap_err();
        assert!(
            err.contains("at /n: \"three\" is not of type \"integer\""),
            "{err}"
        );
        assert!(err.contains("extra"), "{err}");
        assert!(
            validate(&manifest(None, None), &json!([1, 2])).is_ok(),
            "no schema: anything goes"
        );
    }

    #[test]
    fn a_manifest_whose_default_breaks_its_own_schema_is_refused() {
        let schema = json!({"type": "object", "required": ["n"]});
        assert!(check_manifest(&manifest(Some(schema.clone()), Some(json!({"n": 1})))).is_ok());
        let err = check_manifest(&manifest(Some(schema), None)).unwrap_err();
        assert!(
            err.contains("default_config") && err.contains("\"n\" is a required property"),
            "{err}"
        );
        let err = check_manifest(&manifest(Some(json!({"type": 7})), None)).unwrap_err();
        assert!(err.contains("not a valid JSON schema"), "{err}");
    }
}
