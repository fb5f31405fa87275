//! What a component is, for `gantry plugin inspect`: the WIT version it speaks
//! (from its imports), whether this host serves it, the SDK version stamped into
//! it, and its manifest (events, routes, commands, capabilities, configuration
//! schema). All of it is read from the bytes without running the plugin, except a
//! schema derived from its configuration type, which a served component is loaded
//! for (its `config-schema` export runs once with no capabilities, as at install).
use serde::Serialize;

use super::call::PluginRuntime;
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
    /// Where its configuration schema comes from: `derived` (from its Rust type),
    /// `manifest` (written by hand), or `none`.
    pub config_schema_source: &'static str,
    /// The JSON schema of its configuration, as install checks configurations
    /// against it.
    pub config_schema: Option<serde_json::Value>,
    /// The configuration it gets when an operator sets none.
    pub default_config: Option<serde_json::Value>,
}

/// Reads `bytes` as a Gantry plugin component; a served one is loaded on `runtime`
/// for the configuration schema it derives.
///
/// # Errors
/// When the binary cannot be parsed or carries no valid manifest, or a served
/// component does not load (its `config-schema` export traps, or it both derives a
/// schema and writes one). A version this host does not serve is not an error
/// here: it is shown as such, with its manifest as written.
pub fn inspect(bytes: &[u8], runtime: &PluginRuntime) -> anyhow::Result<Inspection> {
    let wit_versions = wit_version::imported_versions(bytes)?;
    let served = wit_version::served_version(bytes).is_ok();
    let (written, sdk_version) = Manifest::from_component(bytes)?;
    let written_schema = written.config_schema.is_some();
    let manifest = if served {
        runtime.load(bytes, None)?.manifest
    } else {
        written
    };
    let config_schema_source = match (&manifest.config_schema, written_schema) {
        (None, _) => "none",
        (Some(_), true) => "manifest",
        (Some(_), false) => "derived",
    };
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
        config_schema_source,
        config_schema: manifest.config_schema,
        default_config: manifest.default_config,
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
        write!(f, "capabilities: {}", list(&self.capabilities))?;
        let pretty = |value: &serde_json::Value| {
            serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
        };
        match &self.config_schema {
            None => write!(f, "\nconfig schema: (none)")?,
            Some(schema) => {
                let from = match self.config_schema_source {
                    "derived" => "derived from the plugin's configuration type",
                    _ => "written in the manifest",
                };
                write!(f, "\nconfig schema ({from}):\n{}", pretty(schema))?;
            }
        }
        if let Some(defaults) = &self.default_config {
            write!(f, "\ndefault config:\n{}", pretty(defaults))?;
        }
        Ok(())
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
        let runtime = PluginRuntime::new(crate::config::Limits::default()).unwrap();
        let shown = inspect(&asker_v0_1(), &runtime).unwrap();
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
        assert_eq!(shown.config_schema_source, "none");
        assert!(text.contains("config schema: (none)"), "{text}");
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
