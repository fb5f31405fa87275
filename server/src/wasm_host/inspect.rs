//! What a component is, read from its bytes without compiling or running it: the
//! WIT version it speaks (from its imports), whether this host serves it, the SDK
//! version stamped into it, and its manifest (events, routes, commands, capabilities), for
//! `gantry plugin inspect`.
use serde::Serialize;

use super::manifest::Manifest;
use super::wit_version::{self, PACKAGE};

/// A component as `gantry plugin inspect` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Inspection {
    /// The plugin's name.
    pub name: String,
    /// The plugin's own version.
    pub version: String,
    /// The WIT package versions it imports (one for a plugin built with the SDK).
    pub wit_versions: Vec<String>,
    /// Whether this host serves the version it speaks.
    pub served: bool,
    /// The versions this host serves.
    pub served_versions: Vec<String>,
    /// The SDK version stamped into it, when it says.
    pub sdk_version: Option<String>,
    /// Subscribed events.
    pub events: Vec<String>,
    /// Filtered subscriptions (`[[routes]]`), one line each.
    pub routes: Vec<String>,
    /// Comment commands, as `/verb`.
    pub commands: Vec<String>,
    /// Declared capabilities.
    pub capabilities: Vec<String>,
}

/// Reads `bytes` as a Gantry plugin component.
///
/// # Errors
/// When the binary cannot be parsed or carries no valid manifest. A version this
/// host does not serve is not an error here: it is shown as such.
pub fn inspect(bytes: &[u8]) -> anyhow::Result<Inspection> {
    let wit_versions = wit_version::imported_versions(bytes)?;
    let served = wit_version::served_version(bytes).is_ok();
    let (manifest, sdk_version) = Manifest::from_component(bytes)?;
    Ok(Inspection {
        name: manifest.name,
        version: manifest.version,
        wit_versions,
        served,
        served_versions: wit_version::SERVED
            .iter()
            .map(|v| (*v).to_owned())
            .collect(),
        sdk_version,
        events: manifest.events,
        routes: manifest.routes.iter().map(describe_route).collect(),
        commands: manifest
            .commands
            .iter()
            .map(|c| format!("/{}", c.verb))
            .collect(),
        capabilities: manifest.capabilities,
    })
}

/// A route as one line: its events, then its filters.
fn describe_route(route: &super::route::Route) -> String {
    let mut out = route.events.join(", ");
    if !route.paths.is_empty() {
        out.push_str(&format!(" when paths match {}", route.paths.join(", ")));
    }
    if !route.branches.is_empty() {
        let and = if route.paths.is_empty() { "" } else { " and" };
        out.push_str(&format!(
            "{and} when the branch matches {}",
            route.branches.join(", ")
        ));
    }
    out
}

impl std::fmt::Display for Inspection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let list = |items: &[String]| {
            if items.is_empty() {
                "(none)".to_owned()
            } else {
                items.join(", ")
            }
        };
        writeln!(f, "plugin: {} {}", self.name, self.version)?;
        let wit: Vec<String> = self
            .wit_versions
            .iter()
            .map(|v| format!("{PACKAGE}@{v}"))
            .collect();
        let served = if self.served {
            "served by this host".to_owned()
        } else {
            format!(
                "NOT served by this host, which serves {}",
                wit_version::served_list()
            )
        };
        writeln!(f, "wit: {} ({served})", list(&wit))?;
        writeln!(
            f,
            "sdk: {}",
            self.sdk_version.as_deref().unwrap_or("unknown")
        )?;
        writeln!(f, "events: {}", list(&self.events))?;
        for route in &self.routes {
            writeln!(f, "route: {route}")?;
        }
        writeln!(f, "commands: {}", list(&self.commands))?;
        write!(f, "capabilities: {}", list(&self.capabilities))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asker_v0_1() -> Vec<u8> {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/fixtures/plugins-v0.1/asker.wasm"
        );
        std::fs::read(path).unwrap()
    }

    #[test]
    fn a_v0_1_component_is_shown_with_its_version_and_declarations() {
        let shown = inspect(&asker_v0_1()).unwrap();
        assert_eq!(shown.wit_versions, vec!["0.1.0".to_owned()]);
        assert!(shown.served);
        assert_eq!(shown.sdk_version.as_deref(), Some("0.1.0"));
        assert_eq!(shown.events, vec!["issues.opened".to_owned()]);
        assert_eq!(shown.commands, vec!["/poke".to_owned()]);
        let text = shown.to_string();
        assert!(
            text.contains("wit: gantry:plugin@0.1.0 (served by this host)"),
            "{text}"
        );
        assert!(text.contains("capabilities: issues:write, kv"), "{text}");
    }

    #[test]
    fn a_route_is_one_line_with_its_filters() {
        let route = |paths: &[&str], branches: &[&str]| super::super::route::Route {
            events: vec!["pull_request.opened".into(), "push".into()],
            paths: paths.iter().map(|s| (*s).to_owned()).collect(),
            branches: branches.iter().map(|s| (*s).to_owned()).collect(),
        };
        assert_eq!(
            describe_route(&route(&["docs/**"], &[])),
            "pull_request.opened, push when paths match docs/**"
        );
        assert_eq!(
            describe_route(&route(&["docs/**"], &["main", "release/*"])),
            "pull_request.opened, push when paths match docs/** and when the branch matches main, release/*"
        );
    }
}
