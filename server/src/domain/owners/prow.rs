//! Prow's `OWNERS` and `OWNERS_ALIASES` (kubernetes/community's owners guide): an
//! `OWNERS` file lists `approvers`, `reviewers`, `required_reviewers` and `labels`
//! for its directory and everything under it, or instead `filters`, a regular
//! expression on the file's path relative to the directory (`.*` for all) mapped
//! to those lists; `options: {no_parent_owners: true}` stops the directories
//! above from counting. `OWNERS_ALIASES` at the root names groups (`aliases:
//! {name: [logins]}`) any list may use. Logins are compared in lower case.
//! Pure, no I/O.
use std::collections::BTreeMap;

use regex_lite::Regex;
use yaml_rust2::{Yaml, YamlLoader};

/// The file's name in each directory.
pub const OWNERS: &str = "OWNERS";
/// The aliases' file, at the repository's root.
pub const ALIASES: &str = "OWNERS_ALIASES";

/// The people of one `OWNERS` entry (the whole file, or one filter).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct People {
    /// May `/approve`.
    pub approvers: Vec<String>,
    /// Asked to review.
    pub reviewers: Vec<String>,
    /// Must review.
    pub required_reviewers: Vec<String>,
    /// Labels for the files.
    pub labels: Vec<String>,
}

/// A parsed `OWNERS` file.
#[derive(Debug, Clone, Default)]
pub struct OwnersFile {
    /// Entries by the regular expression they apply to (`None`: every file).
    pub entries: Vec<(Option<Regex>, People)>,
    /// `options.no_parent_owners`.
    pub no_parent_owners: bool,
}

/// Aliases by name (lower case).
pub type Aliases = BTreeMap<String, Vec<String>>;

fn load(text: &str) -> Result<Yaml, String> {
    let mut docs = YamlLoader::load_from_str(text).map_err(|e| e.to_string())?;
    Ok(if docs.is_empty() {
        Yaml::Null
    } else {
        docs.swap_remove(0)
    })
}

fn list(value: &Yaml, key: &str) -> Result<Vec<String>, String> {
    match &value[key] {
        Yaml::BadValue | Yaml::Null => Ok(Vec::new()),
        Yaml::Array(items) => items
            .iter()
            .map(|item| match item {
                Yaml::String(s) => Ok(s.trim().to_owned()),
                Yaml::Integer(i) => Ok(i.to_string()),
                _ => Err(format!("`{key}` lists names")),
            })
            .collect(),
        _ => Err(format!("`{key}` is a list of names")),
    }
}

fn people(value: &Yaml) -> Result<People, String> {
    Ok(People {
        approvers: list(value, "approvers")?,
        reviewers: list(value, "reviewers")?,
        required_reviewers: list(value, "required_reviewers")?,
        labels: list(value, "labels")?,
    })
}

/// Parses an `OWNERS` file.
///
/// # Errors
/// YAML that does not parse, or a file of the wrong shape (a bad regular
/// expression, top-level people beside `filters`).
pub fn parse_owners(text: &str) -> Result<OwnersFile, String> {
    let doc = load(text)?;
    if !matches!(doc, Yaml::Hash(_) | Yaml::Null) {
        return Err("an OWNERS file is a mapping".into());
    }
    let no_parent_owners = matches!(doc["options"]["no_parent_owners"], Yaml::Boolean(true));
    let mut entries = Vec::new();
    match &doc["filters"] {
        Yaml::Hash(filters) => {
            let top = people(&doc)?;
            if top != People::default() {
                return Err(
                    "an OWNERS file has either `filters` or top-level lists, not both".into(),
                );
            }
            for (pattern, value) in filters {
                let Yaml::String(pattern) = pattern else {
                    return Err("each filter's key is a regular expression".into());
                };
                let regex = Regex::new(pattern)
                    .map_err(|e| format!("filter `{pattern}` is not a regular expression: {e}"))?;
                let regex = (pattern != ".*").then_some(regex);
                entries.push((regex, people(value)?));
            }
        }
        Yaml::BadValue | Yaml::Null => entries.push((None, people(&doc)?)),
        _ => return Err("`filters` maps regular expressions to people".into()),
    }
    Ok(OwnersFile {
        entries,
        no_parent_owners,
    })
}

/// Parses an `OWNERS_ALIASES` file.
///
/// # Errors
/// YAML that does not parse, or no `aliases` mapping of lists.
pub fn parse_aliases(text: &str) -> Result<Aliases, String> {
    let doc = load(text)?;
    let mut aliases = Aliases::new();
    match &doc["aliases"] {
        Yaml::Hash(map) => {
            for (name, _) in map {
                let Yaml::String(name) = name else {
                    return Err("each alias is named".into());
                };
                let members = list(&doc["aliases"], name)?
                    .into_iter()
                    .map(|m| m.to_ascii_lowercase())
                    .collect();
                aliases.insert(name.to_ascii_lowercase(), members);
            }
        }
        Yaml::BadValue | Yaml::Null => {}
        _ => return Err("`aliases` maps names to lists of logins".into()),
    }
    Ok(aliases)
}

/// `names` in lower case, aliases replaced by their members, each once.
#[must_use]
pub fn expand(names: &[String], aliases: &Aliases) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for name in names {
        let name = name.to_ascii_lowercase();
        let members = aliases
            .get(&name)
            .cloned()
            .unwrap_or_else(|| vec![name.clone()]);
        for member in members {
            if !out.contains(&member) {
                out.push(member);
            }
        }
    }
    out
}

/// The people of one file at `path` (from the root, no leading `/`) and the
/// `OWNERS` files that gave them, nearest first: the union up the directory
/// tree, stopping after a file with `no_parent_owners`. `files` holds the parsed
/// `OWNERS` files by directory (`""` for the root).
#[must_use]
pub fn people_of(
    files: &BTreeMap<String, OwnersFile>,
    aliases: &Aliases,
    path: &str,
) -> (People, Vec<String>) {
    let mut found = People::default();
    let mut sources = Vec::new();
    let add = |into: &mut Vec<String>, names: &[String]| {
        for name in expand(names, aliases) {
            if !into.contains(&name) {
                into.push(name);
            }
        }
    };
    for dir in directories(path) {
        let Some(file) = files.get(&dir) else {
            continue;
        };
        let relative = if dir.is_empty() {
            path
        } else {
            &path[dir.len() + 1..]
        };
        let mut matched = false;
        for (regex, people) in &file.entries {
            if regex.as_ref().is_none_or(|r| r.is_match(relative)) {
                matched = true;
                add(&mut found.approvers, &people.approvers);
                add(&mut found.reviewers, &people.reviewers);
                add(&mut found.required_reviewers, &people.required_reviewers);
                for label in &people.labels {
                    if !found.labels.contains(label) {
                        found.labels.push(label.clone());
                    }
                }
            }
        }
        if matched {
            sources.push(owners_path(&dir));
        }
        if file.no_parent_owners {
            break;
        }
    }
    (found, sources)
}

/// The path of the `OWNERS` file of `dir`.
#[must_use]
pub fn owners_path(dir: &str) -> String {
    if dir.is_empty() {
        OWNERS.to_owned()
    } else {
        format!("{dir}/{OWNERS}")
    }
}

/// The directories holding `path`, nearest first, the root (`""`) last.
#[must_use]
pub fn directories(path: &str) -> Vec<String> {
    let path = path.trim_matches('/');
    let mut out = Vec::new();
    let mut at = path;
    while let Some(cut) = at.rfind('/') {
        at = &at[..cut];
        out.push(at.to_owned());
    }
    out.push(String::new());
    out
}

#[cfg(test)]
#[path = "prow_tests.rs"]
mod tests;
