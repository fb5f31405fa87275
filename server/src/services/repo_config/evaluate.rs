//! From a chain of files to each plugin's patch: the bases merged deeply under the
//! repository's file (RFC 7396 merge patches, deepest base first), every key checked
//! against the admin's ceilings, and the result applied over the configuration
//! Gantry's admin or maintainers set, then checked against the plugin's schema.
//! Records where each value comes from. Pure: the caller gives what Gantry knows.
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::chain::Layer;
use super::file::{escape, Problem};
use crate::config::RepositoryConfigSettings;
use crate::services::installed::config::{merge_patch, validate};
use crate::wasm_host::Manifest;

/// Top-level keys that look like Gantry settings a repository might try to set.
const RESERVED: [&str; 7] = [
    "policy",
    "policies",
    "capabilities",
    "permissions",
    "secrets",
    "enabled",
    "plugins",
];

/// An installed plugin as Gantry has it for the repository.
#[derive(Debug, Clone, Default)]
pub struct Known<'a> {
    /// Its manifest (name, schema) when it is enabled on this repository; `None`
    /// when it is installed but not enabled here.
    pub manifest: Option<&'a Manifest>,
    /// The configuration Gantry's admin or maintainers set here (defaults, `*`,
    /// the repository's row).
    pub admin: Value,
}

/// What the files set for one plugin.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PluginPatch {
    /// The merged patch, applied over the admin's configuration.
    pub patch: Value,
    /// Where each value set comes from, by JSON pointer inside the plugin's
    /// configuration: the repository (`owner/name`) whose file set it.
    pub sources: BTreeMap<String, String>,
}

/// The whole file's outcome, by plugin.
pub type Patches = BTreeMap<String, PluginPatch>;

/// Evaluates `chain` (the repository's file first) for a repository whose plugins
/// Gantry knows as `known` (every installed plugin, by name).
///
/// # Errors
/// Every problem, each at its line of the repository's file (a base's at the
/// `extends` line, naming the base).
pub fn evaluate(
    chain: &[Layer],
    known: &BTreeMap<String, Known<'_>>,
    ceilings: &RepositoryConfigSettings,
) -> Result<Patches, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut patches = Patches::new();
    let extends_line = chain
        .first()
        .and_then(|l| l.file.extends.as_ref())
        .map(|(_, line)| *line);
    for (depth, layer) in chain.iter().enumerate().rev() {
        let own = depth == 0;
        for (name, value, line) in &layer.file.plugins {
            let locate = |pointer: &str, message: String| {
                if own {
                    let at = layer
                        .file
                        .document
                        .line_of(&format!("/{}{pointer}", escape(name)));
                    Problem::at(at.or(Some(*line)), message)
                } else {
                    let at = layer
                        .file
                        .document
                        .line_of(&format!("/{}{pointer}", escape(name)))
                        .unwrap_or(*line);
                    Problem::at(
                        extends_line,
                        format!("in {}'s file, line {at}: {message}", layer.repo),
                    )
                }
            };
            let Some(plugin) = known.get(name) else {
                let hint = if RESERVED.contains(&name.as_str()) {
                    " (policies, capabilities, secrets and which plugins run are set in Gantry, never in this file)"
                } else {
                    ""
                };
                problems.push(locate(
                    "",
                    format!("`{name}` is not a plugin installed in Gantry{hint}"),
                ));
                continue;
            };
            if plugin.manifest.is_none() {
                // An organisation's defaults may name plugins a repository does not run.
                if own {
                    problems.push(locate(
                        "",
                        format!("plugin `{name}` is not enabled on this repository; this file can only configure enabled plugins (an admin or maintainer enables it in Gantry)"),
                    ));
                }
                continue;
            }
            if !ceilings.may_configure(name) {
                problems.push(locate(
                    "",
                    format!("plugin `{name}` may not be configured from the repository (`repository_config.plugins`)"),
                ));
                continue;
            }
            let mut forbidden = false;
            for key in ceilings.admin_keys(name) {
                if touches(value, key) {
                    forbidden = true;
                    let pointer = if key.starts_with('/') {
                        key.clone()
                    } else {
                        format!("/{}", escape(key))
                    };
                    problems.push(locate(
                        &pointer,
                        format!("`{name}` {pointer}: this key is set by Gantry's admin only (`repository_config.admin_keys`)"),
                    ));
                }
            }
            if forbidden {
                continue;
            }
            let entry = patches.entry(name.clone()).or_default();
            if entry.patch.is_null() {
                entry.patch = Value::Object(Map::new());
            }
            merge_patch(&mut entry.patch, value);
            record_sources(&mut entry.sources, "", value, &layer.repo);
        }
    }
    let own = chain.first();
    for (name, patch) in &patches {
        let Some((plugin, manifest)) = known.get(name).and_then(|k| k.manifest.map(|m| (k, m)))
        else {
            continue;
        };
        let mut effective = plugin.admin.clone();
        merge_patch(&mut effective, &patch.patch);
        if let Err(message) = validate(manifest, &effective) {
            let line = own.and_then(|l| {
                let at = first_pointer(&message)
                    .map(|p| format!("/{}{p}", escape(name)))
                    .unwrap_or_else(|| format!("/{}", escape(name)));
                l.file.document.line_of(&at)
            });
            problems.push(Problem::at(
                line.or(extends_line),
                format!("`{name}` does not match the plugin's schema: {message}"),
            ));
        }
    }
    if problems.is_empty() {
        Ok(patches)
    } else {
        problems.sort_by_key(|p| p.line);
        Err(problems)
    }
}

/// The first `at /pointer:` of a validation message.
fn first_pointer(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("at ")?;
    rest.split(": ").next()
}

/// Whether `patch` sets, replaces or removes anything at or under `key` (a JSON
/// pointer, or a top-level key without the leading `/`).
#[must_use]
pub fn touches(patch: &Value, key: &str) -> bool {
    let parts: Vec<String> = key
        .strip_prefix('/')
        .unwrap_or(key)
        .split('/')
        .map(|p| p.replace("~1", "/").replace("~0", "~"))
        .collect();
    let mut at = patch;
    for part in &parts {
        match at {
            Value::Object(fields) => match fields.get(part) {
                Some(next) => at = next,
                None => return false,
            },
            // A scalar, list or null here replaces or removes everything below.
            _ => return true,
        }
    }
    true
}

/// Notes `repo` as the source of every value `value` sets under `pointer`, and
/// forgets the sources of what it removes or replaces.
fn record_sources(
    sources: &mut BTreeMap<String, String>,
    pointer: &str,
    value: &Value,
    repo: &str,
) {
    match value {
        Value::Object(fields) => {
            for (key, v) in fields {
                record_sources(sources, &format!("{pointer}/{}", escape(key)), v, repo);
            }
        }
        other => {
            let below = format!("{pointer}/");
            sources.retain(|k, _| k != pointer && !k.starts_with(&below));
            if !other.is_null() {
                sources.insert(pointer.to_owned(), repo.to_owned());
            }
        }
    }
}

/// The source of the value at `pointer` in a plugin's effective configuration:
/// the repository whose file set it, or `None` (Gantry's own configuration).
#[must_use]
pub fn source_of<'a>(sources: &'a BTreeMap<String, String>, pointer: &str) -> Option<&'a str> {
    let mut at = pointer;
    loop {
        if let Some(repo) = sources.get(at) {
            return Some(repo);
        }
        at = &at[..at.rfind('/')?];
    }
}

/// Every leaf of `value` (scalars, lists and empty objects) by JSON pointer.
#[must_use]
pub fn leaves(value: &Value) -> BTreeMap<String, Value> {
    fn walk(out: &mut BTreeMap<String, Value>, pointer: String, value: &Value) {
        match value {
            Value::Object(fields) if !fields.is_empty() => {
                for (key, v) in fields {
                    walk(out, format!("{pointer}/{}", escape(key)), v);
                }
            }
            other => {
                out.insert(pointer, other.clone());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(&mut out, String::new(), value);
    out
}

/// What changes from `before` to `after`: keys added, changed and removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Change {
    /// Pointers set now and not before.
    pub added: Vec<String>,
    /// Pointers whose value changes.
    pub changed: Vec<String>,
    /// Pointers set before and not now.
    pub removed: Vec<String>,
}

impl Change {
    /// Whether nothing changes.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.changed.is_empty() && self.removed.is_empty()
    }
}

/// The change from `before` to `after`, leaf by leaf.
#[must_use]
pub fn diff(before: &Value, after: &Value) -> Change {
    let (old, new) = (leaves(before), leaves(after));
    let mut change = Change::default();
    for (pointer, value) in &new {
        match old.get(pointer) {
            None => change.added.push(pointer.clone()),
            Some(v) if v != value => change.changed.push(pointer.clone()),
            Some(_) => {}
        }
    }
    change.removed = old
        .keys()
        .filter(|p| !new.contains_key(*p))
        .cloned()
        .collect();
    change
}
