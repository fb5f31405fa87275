//! The plugin SDK this binary was built with, embedded in it: the `gantry-plugin-sdk`
//! crate (its manifest, `src/` and `wit/v0.2/`) and the `gantry-commands` crate it
//! depends on. `gantry plugin new` writes it out where there is no Gantry checkout,
//! with standalone manifests (the workspace's inherited values written in).
use std::path::Path;

use anyhow::{bail, Context};

/// One embedded file, by its path relative to `plugin-sdk/`.
macro_rules! sdk_file {
    ($path:literal) => {
        ($path, include_str!(concat!("../../../plugin-sdk/", $path)))
    };
}

/// Every file of the SDK a plugin build needs (a unit test compares this list with
/// the folder, so a new SDK file cannot be forgotten). Not embedded: `tests/` and the
/// frozen `wit/v0.1/`, which the SDK does not generate from.
pub const FILES: &[(&str, &str)] = &[
    sdk_file!("Cargo.toml"),
    sdk_file!("commands/Cargo.toml"),
    sdk_file!("commands/src/lib.rs"),
    sdk_file!("src/error.rs"),
    sdk_file!("src/events/actions.rs"),
    sdk_file!("src/events/apps.rs"),
    sdk_file!("src/events/deployments.rs"),
    sdk_file!("src/events/discussions.rs"),
    sdk_file!("src/events/issues.rs"),
    sdk_file!("src/events/mod.rs"),
    sdk_file!("src/events/orgs.rs"),
    sdk_file!("src/events/projects.rs"),
    sdk_file!("src/events/pulls.rs"),
    sdk_file!("src/events/refs.rs"),
    sdk_file!("src/events/repository.rs"),
    sdk_file!("src/events/security.rs"),
    sdk_file!("src/fake.rs"),
    sdk_file!("src/host/backend.rs"),
    sdk_file!("src/host/git.rs"),
    sdk_file!("src/host/github.rs"),
    sdk_file!("src/host/mod.rs"),
    sdk_file!("src/host/model.rs"),
    sdk_file!("src/level.rs"),
    sdk_file!("src/lib.rs"),
    sdk_file!("src/macros.rs"),
    sdk_file!("src/schema.rs"),
    sdk_file!("src/written.rs"),
    sdk_file!("wit/v0.2/config.wit"),
    sdk_file!("wit/v0.2/git.wit"),
    sdk_file!("wit/v0.2/github.wit"),
    sdk_file!("wit/v0.2/http.wit"),
    sdk_file!("wit/v0.2/kv.wit"),
    sdk_file!("wit/v0.2/log.wit"),
    sdk_file!("wit/v0.2/metrics.wit"),
    sdk_file!("wit/v0.2/model.wit"),
    sdk_file!("wit/v0.2/secrets.wit"),
    sdk_file!("wit/v0.2/types.wit"),
    sdk_file!("wit/v0.2/world.wit"),
];

/// The workspace manifest the SDK's manifests inherit from.
const WORKSPACE_MANIFEST: &str = include_str!("../../../Cargo.toml");

/// Writes the embedded SDK to `dir` (which must not exist yet).
///
/// # Errors
/// When `dir` exists or a file cannot be written.
pub fn write_to(dir: &Path) -> anyhow::Result<()> {
    if dir.exists() {
        bail!("{} already exists", dir.display());
    }
    for (path, text) in FILES {
        let target = dir.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        let text = if path.ends_with("Cargo.toml") {
            standalone_manifest(text)?
        } else {
            (*text).to_owned()
        };
        std::fs::write(&target, text).with_context(|| format!("writing {}", target.display()))?;
    }
    Ok(())
}

/// `manifest` with every `workspace = true` replaced by the workspace's value, and
/// workspace lints left out, so the crate builds outside the Gantry workspace.
///
/// # Errors
/// When a manifest does not parse or inherits something the workspace lacks.
pub fn standalone_manifest(manifest: &str) -> anyhow::Result<String> {
    let workspace: toml::Table = WORKSPACE_MANIFEST.parse()?;
    let workspace = workspace
        .get("workspace")
        .and_then(toml::Value::as_table)
        .context("the workspace manifest has no [workspace]")?;
    let mut crate_manifest: toml::Table = manifest.parse()?;
    if let Some(toml::Value::Table(package)) = crate_manifest.get_mut("package") {
        let inherited = workspace.get("package").and_then(toml::Value::as_table);
        for (key, value) in package.iter_mut() {
            if inherits(value) {
                *value = inherited
                    .and_then(|t| t.get(key))
                    .cloned()
                    .with_context(|| format!("the workspace has no package.{key}"))?;
            }
        }
    }
    let shared = workspace
        .get("dependencies")
        .and_then(toml::Value::as_table);
    for section in ["dependencies", "dev-dependencies", "build-dependencies"] {
        let Some(toml::Value::Table(deps)) = crate_manifest.get_mut(section) else {
            continue;
        };
        for (name, value) in deps.iter_mut() {
            if inherits(value) {
                let base = shared
                    .and_then(|t| t.get(name))
                    .with_context(|| format!("the workspace has no dependency {name}"))?;
                *value = merged_dependency(base, value);
            }
        }
    }
    if crate_manifest.get("lints").is_some_and(inherits) {
        crate_manifest.remove("lints");
    }
    Ok(format!(
        "# Written by `gantry plugin new` from the SDK built into gantry {}.\n{}",
        env!("CARGO_PKG_VERSION"),
        toml::to_string(&crate_manifest)?
    ))
}

/// Whether a manifest value is `{ workspace = true, ... }`.
fn inherits(value: &toml::Value) -> bool {
    value
        .as_table()
        .and_then(|t| t.get("workspace"))
        .and_then(toml::Value::as_bool)
        == Some(true)
}

/// The workspace's dependency `base` (a version string or a table) with what the
/// crate adds on top (`features` appended, `optional` and the like kept).
fn merged_dependency(base: &toml::Value, local: &toml::Value) -> toml::Value {
    let mut merged = match base {
        toml::Value::Table(t) => t.clone(),
        other => toml::Table::from_iter([("version".to_owned(), other.clone())]),
    };
    for (key, value) in local.as_table().into_iter().flatten() {
        match (key.as_str(), value) {
            ("workspace", _) => {}
            ("features", toml::Value::Array(extra)) => {
                let features = merged
                    .entry("features")
                    .or_insert_with(|| toml::Value::Array(Vec::new()));
                if let toml::Value::Array(list) = features {
                    for feature in extra {
                        if !list.contains(feature) {
                            list.push(feature.clone());
                        }
                    }
                }
            }
            _ => {
                merged.insert(key.clone(), value.clone());
            }
        }
    }
    toml::Value::Table(merged)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::{Path, PathBuf};

    use super::{merged_dependency, standalone_manifest, FILES};

    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            if rel == "tests" || rel == "wit/v0.1" || rel == "target" {
                continue;
            }
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                out.insert(rel, std::fs::read_to_string(&path).unwrap());
            }
        }
    }

    #[test]
    fn the_embedded_sdk_is_every_file_of_plugin_sdk_as_it_is_on_disk() {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../plugin-sdk");
        let mut on_disk = BTreeMap::new();
        walk(&root, &root, &mut on_disk);
        let embedded: BTreeMap<String, String> = FILES
            .iter()
            .map(|(p, t)| ((*p).to_owned(), (*t).to_owned()))
            .collect();
        let missing: Vec<_> = on_disk
            .keys()
            .filter(|p| !embedded.contains_key(*p))
            .collect();
        let extra: Vec<_> = embedded
            .keys()
            .filter(|p| !on_disk.contains_key(*p))
            .collect();
        assert!(
            missing.is_empty(),
            "not embedded (add to FILES): {missing:?}"
        );
        assert!(
            extra.is_empty(),
            "embedded but gone from plugin-sdk: {extra:?}"
        );
        assert_eq!(embedded, on_disk);
    }

    #[test]
    fn standalone_manifests_inherit_nothing_and_keep_the_workspace_values() {
        for (path, text) in FILES.iter().filter(|(p, _)| p.ends_with("Cargo.toml")) {
            let out = standalone_manifest(text).unwrap();
            assert!(!out.contains("workspace ="), "{path}:\n{out}");
            assert!(!out.contains(".workspace"), "{path}:\n{out}");
            let parsed: toml::Table = out.parse().unwrap();
            assert_eq!(
                parsed["package"]["version"].as_str(),
                Some(env!("CARGO_PKG_VERSION"))
            );
            assert!(parsed["package"]["edition"].is_str(), "{path}:\n{out}");
        }
        let sdk: toml::Table = standalone_manifest(FILES[0].1).unwrap().parse().unwrap();
        let deps = &sdk["dependencies"];
        assert!(deps["wit-bindgen"]["version"].is_str(), "{deps}");
        assert!(deps["serde"]["features"]
            .as_array()
            .unwrap()
            .contains(&"derive".into()));
        assert_eq!(deps["gantry-commands"]["path"].as_str(), Some("commands"));
    }

    #[test]
    fn a_crate_adds_features_and_keeps_its_own_keys_over_the_workspace_dependency() {
        let base: toml::Value = toml::Value::String("1".into());
        let local: toml::Value =
            toml::from_str::<toml::Table>("workspace = true\nfeatures = [\"a\"]\noptional = true")
                .unwrap()
                .into();
        let merged = merged_dependency(&base, &local);
        assert_eq!(merged["version"].as_str(), Some("1"));
        assert_eq!(merged["features"].as_array().unwrap().len(), 1);
        assert_eq!(merged["optional"].as_bool(), Some(true));
        assert!(merged.get("workspace").is_none());
    }
}
