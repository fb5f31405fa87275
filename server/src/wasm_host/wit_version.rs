//! Which version of the `gantry:plugin` WIT package a component speaks, read from
//! the names of its imports (`gantry:plugin/github@0.2.0`) without running or
//! compiling it, and the versions this host serves. Every served version has a
//! module of its own: the newest in `bindings`, older ones adapted onto it
//! (`v0_1`); see `docs/adr/0012-serving-wit-versions.md`.
use anyhow::{bail, Context};
use wasmparser::{Parser, Payload};

/// The WIT package plugins import from.
pub const PACKAGE: &str = "gantry:plugin";

/// Every version of [`PACKAGE`] this host serves, oldest first.
pub const SERVED: &[&str] = &["0.1.0", "0.2.0"];

/// The newest served version: what the SDK of this release builds against.
pub const CURRENT: &str = "0.2.0";

/// The versions of [`PACKAGE`] a component imports, in the order first seen. A
/// component built with the SDK imports exactly one; one that imports none of
/// Gantry's interfaces gives an empty list.
///
/// # Errors
/// When the binary cannot be parsed.
pub fn imported_versions(bytes: &[u8]) -> anyhow::Result<Vec<String>> {
    let prefix = format!("{PACKAGE}/");
    let mut versions: Vec<String> = Vec::new();
    for payload in Parser::new(0).parse_all(bytes) {
        if let Payload::ComponentImportSection(imports) =
            payload.context("not a valid WebAssembly binary")?
        {
            for import in imports {
                let import = import.context("not a valid WebAssembly binary")?;
                let Some(rest) = import.name.name.strip_prefix(&prefix) else {
                    continue;
                };
                let version = rest.split_once('@').map_or("", |(_, v)| v).to_owned();
                if !versions.contains(&version) {
                    versions.push(version);
                }
            }
        }
    }
    Ok(versions)
}

/// The one served version a component speaks (`None` when it imports nothing of
/// Gantry's).
///
/// # Errors
/// When the binary cannot be parsed, mixes versions, or speaks a version this host
/// does not serve; the message names the versions served.
pub fn served_version(bytes: &[u8]) -> anyhow::Result<Option<String>> {
    let versions = imported_versions(bytes)?;
    match versions.as_slice() {
        [] => Ok(None),
        [one] if SERVED.contains(&one.as_str()) => Ok(Some(one.clone())),
        [one] => bail!(
            "the plugin was built against {PACKAGE}@{one}, which this host does not serve; it serves {}",
            served_list()
        ),
        many => bail!(
            "the plugin imports several versions of {PACKAGE} ({}); a plugin speaks one of {}",
            many.join(", "),
            served_list()
        ),
    }
}

/// The served versions as `gantry:plugin@0.1.0 and gantry:plugin@0.2.0`.
#[must_use]
pub fn served_list() -> String {
    let names: Vec<String> = SERVED.iter().map(|v| format!("{PACKAGE}@{v}")).collect();
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => names.concat(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_served_list_names_every_version() {
        assert_eq!(served_list(), "gantry:plugin@0.1.0 and gantry:plugin@0.2.0");
        assert_eq!(SERVED.last().copied(), Some(CURRENT));
    }

    #[test]
    fn a_binary_that_is_not_wasm_is_refused() {
        assert!(imported_versions(b"not wasm at all").is_err());
    }
}
