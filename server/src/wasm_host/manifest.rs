//! A plugin's manifest: name, version, the events it subscribes to (plainly, or
//! through `[[routes]]` filtered by changed paths and branches: `route.rs`), the
//! capabilities it may ask for, and its configuration schema and defaults.
//!
//! The SDK embeds the manifest (TOML) in the `gantry:manifest` custom section of the
//! plugin's core module, and the SDK version in `gantry:sdk-version`, so the host reads
//! both by parsing the binary, never by running the plugin. A configuration schema
//! the plugin derives from its Rust type is not in the section: loading fills it in
//! (`config_schema`).
use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};
use wasmparser::{Parser, Payload};

pub use super::route::Route;

const MANIFEST_SECTION: &str = "gantry:manifest";
const SDK_VERSION_SECTION: &str = "gantry:sdk-version";

/// What a plugin declares about itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Unique name: lower case letters, digits and `-`, 1 to 64 characters.
    pub name: String,
    /// The plugin's own version.
    pub version: String,
    /// One line saying what it does.
    #[serde(default)]
    pub description: String,
    /// Subscribed events, as `event` (any action) or `event.action`.
    #[serde(default)]
    pub events: Vec<String>,
    /// Subscriptions filtered by the files a pull request or push changes and by
    /// its branch (`[[routes]]`). An event also in `events` is refused.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub routes: Vec<Route>,
    /// Capabilities it may use (`issues:write`, `http:example.com`, ...). Anything
    /// else is denied.
    #[serde(default)]
    pub capabilities: Vec<String>,
    /// Comment commands it handles (`/verb` or `@bot verb`), for routing and help.
    #[serde(default)]
    pub commands: Vec<CommandSpec>,
    /// JSON schema of its configuration: written here, or derived from the
    /// plugin's configuration type and filled in when it is loaded (never both).
    #[serde(default)]
    pub config_schema: Option<serde_json::Value>,
    /// Configuration used when an operator sets none (with a derived schema and
    /// none written, the schema's top-level defaults).
    #[serde(default)]
    pub default_config: Option<serde_json::Value>,
}

/// One comment command a plugin handles, as its help shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommandSpec {
    /// The verb: 1 to 32 lower case letters, digits or `-` (`retest`, `release`).
    pub verb: String,
    /// How to write it, for help (`/retest`, `@gantry release VERSION`).
    #[serde(default)]
    pub usage: String,
    /// What it does, one line.
    #[serde(default)]
    pub description: String,
    /// Examples, for help.
    #[serde(default)]
    pub examples: Vec<String>,
    /// The weakest repository permission that may use it: `admin`, `maintain`,
    /// `write`, `triage` or `read`.
    #[serde(default = "default_who")]
    pub who: String,
    /// Whether it only makes sense on pull requests (ignored on issues).
    #[serde(default)]
    pub pull_requests_only: bool,
    /// Whether it also runs when a comment is edited so that it newly holds the
    /// command line (a line the comment already had does not run again); off by
    /// default, as in Prow.
    #[serde(default)]
    pub edited: bool,
}

fn default_who() -> String {
    "write".into()
}

/// Permission levels a command may require, strongest first.
pub const PERMISSIONS: &[&str] = &["admin", "maintain", "write", "triage", "read"];

impl Manifest {
    /// Reads and checks the manifest embedded in a component.
    ///
    /// # Errors
    /// When the binary cannot be parsed, carries no manifest, or the manifest is
    /// invalid.
    pub fn from_component(bytes: &[u8]) -> anyhow::Result<(Self, Option<String>)> {
        let mut manifest = None;
        let mut sdk_version = None;
        for payload in Parser::new(0).parse_all(bytes) {
            if let Payload::CustomSection(section) =
                payload.context("not a valid WebAssembly binary")?
            {
                match section.name() {
                    MANIFEST_SECTION => manifest = Some(section.data().to_vec()),
                    SDK_VERSION_SECTION => {
                        sdk_version = Some(String::from_utf8_lossy(section.data()).into_owned())
                    }
                    _ => {}
                }
            }
        }
        let Some(raw) = manifest else {
            bail!("no `{MANIFEST_SECTION}` custom section: was the plugin built with gantry_plugin_sdk::register_plugin!?")
        };
        let text = std::str::from_utf8(&raw).context("the manifest is not UTF-8")?;
        let manifest: Manifest = toml::from_str(text).context("the manifest is not valid")?;
        manifest.validate()?;
        Ok((manifest, sdk_version))
    }

    fn validate(&self) -> anyhow::Result<()> {
        let name_ok = !self.name.is_empty()
            && self.name.len() <= 64
            && self
                .name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !name_ok {
            bail!(
                "plugin name `{}` must be 1-64 lower case letters, digits or `-`",
                self.name
            );
        }
        if self.name == crate::policy::HOST {
            bail!(
                "plugin name `{}` is Gantry's own: its writes go through the policy under that name",
                self.name
            );
        }
        for event in &self.events {
            validate_event(event)?;
        }
        for (index, route) in self.routes.iter().enumerate() {
            route.validate(index)?;
            for event in &route.events {
                let (name, action) = match event.split_once('.') {
                    Some((name, action)) => (name, Some(action)),
                    None => (event.as_str(), None),
                };
                if self
                    .events
                    .iter()
                    .any(|e| e == event || (action.is_some() && e == name))
                {
                    bail!(
                        "route {}: `{event}` is also in `events`, where it runs unfiltered; list it in one place",
                        index + 1
                    );
                }
            }
        }
        for cap in &self.capabilities {
            if !is_valid_capability(cap) {
                bail!("unknown capability `{cap}`");
            }
        }
        for command in &self.commands {
            let ok = !command.verb.is_empty()
                && command.verb.len() <= 32
                && command
                    .verb
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !ok {
                bail!(
                    "command verb `{}` must be 1-32 lower case letters, digits or `-`",
                    command.verb
                );
            }
            if !PERMISSIONS.contains(&command.who.as_str()) {
                bail!(
                    "command `{}`: who = `{}` must be one of {}",
                    command.verb,
                    command.who,
                    PERMISSIONS.join(", ")
                );
            }
        }
        Ok(())
    }

    /// Whether the plugin subscribes to this event and action, plainly or through
    /// a route (whose filters the host then checks: [`Manifest::subscription`]).
    #[must_use]
    pub fn subscribes_to(&self, event: &str, action: Option<&str>) -> bool {
        !matches!(self.subscription(event, action), Subscription::None)
    }

    /// How the plugin subscribes to this event and action.
    #[must_use]
    pub fn subscription(&self, event: &str, action: Option<&str>) -> Subscription<'_> {
        if self.events.iter().any(|e| event_matches(e, event, action)) {
            return Subscription::Always;
        }
        let routes: Vec<&Route> = self
            .routes
            .iter()
            .filter(|r| r.names(event, action))
            .collect();
        if routes.is_empty() {
            Subscription::None
        } else {
            Subscription::Routed(routes)
        }
    }
}

/// How a plugin subscribes to one event and action.
#[derive(Debug, PartialEq, Eq)]
pub enum Subscription<'a> {
    /// Not at all.
    None,
    /// In `events`: every delivery.
    Always,
    /// Through these routes: a delivery that passes one of them.
    Routed(Vec<&'a Route>),
}

/// Whether a subscription (`event` or `event.action`) names this event and action.
#[must_use]
pub fn event_matches(subscription: &str, event: &str, action: Option<&str>) -> bool {
    match subscription.split_once('.') {
        Some((name, act)) => name == event && Some(act) == action,
        None => subscription == event,
    }
}

/// Checks the shape of a subscription (`issues` or `issues.opened`).
///
/// # Errors
/// When it is not one.
pub fn validate_event(event: &str) -> anyhow::Result<()> {
    let ok = !event.is_empty()
        && event
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'.');
    if !ok {
        bail!("event `{event}` must look like `issues` or `issues.opened`");
    }
    Ok(())
}

/// Whether a capability string is one Gantry knows (`domain::Capability`).
#[must_use]
pub fn is_valid_capability(cap: &str) -> bool {
    cap.parse::<crate::domain::Capability>().is_ok()
}

#[cfg(test)]
#[path = "manifest_reference_tests.rs"]
mod reference_tests;

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(events: &[&str]) -> Manifest {
        Manifest {
            name: "t".into(),
            version: "0.1.0".into(),
            description: String::new(),
            events: events.iter().map(|s| (*s).to_owned()).collect(),
            routes: vec![],
            capabilities: vec![],
            commands: vec![],
            config_schema: None,
            default_config: None,
        }
    }

    #[test]
    fn subscriptions_match_events_with_or_without_actions() {
        let m = manifest(&["issues", "pull_request.opened"]);
        assert!(m.subscribes_to("issues", Some("closed")));
        assert!(m.subscribes_to("pull_request", Some("opened")));
        assert!(!m.subscribes_to("pull_request", Some("closed")));
        assert!(!m.subscribes_to("push", None));
    }

    #[test]
    fn capabilities_come_from_a_known_vocabulary() {
        assert!(is_valid_capability("issues:write"));
        assert!(is_valid_capability("http:api.example.com"));
        assert!(is_valid_capability("secrets:deploy-key"));
        assert!(!is_valid_capability("issues:admin"));
        assert!(!is_valid_capability("http:"));
    }

    #[test]
    fn a_binary_without_a_manifest_is_refused_with_a_hint() {
        // The smallest valid core module: magic and version.
        let err = Manifest::from_component(b"\0asm\x01\0\0\0").unwrap_err();
        assert!(err.to_string().contains("register_plugin!"), "{err}");
        assert!(Manifest::from_component(b"not wasm").is_err());
    }

    #[test]
    fn routes_are_read_from_toml_beside_plain_events_and_checked() {
        let text = r#"
            name = "docs-bot"
            version = "0.1.0"
            events = ["issues.opened"]
            [[routes]]
            events = ["pull_request.opened", "push"]
            paths = ["docs/**"]
            branches = ["main"]
        "#;
        let m: Manifest = toml::from_str(text).unwrap();
        m.validate().unwrap();
        assert_eq!(
            m.subscription("issues", Some("opened")),
            Subscription::Always
        );
        assert!(matches!(
            m.subscription("pull_request", Some("opened")),
            Subscription::Routed(r) if r.len() == 1
        ));
        assert!(m.subscribes_to("push", None));
        assert!(!m.subscribes_to("pull_request", Some("closed")));
        let twice: Manifest = toml::from_str(&text.replace(
            r#"events = ["issues.opened"]"#,
            r#"events = ["pull_request"]"#,
        ))
        .unwrap();
        let err = twice.validate().unwrap_err();
        assert!(err.to_string().contains("also in `events`"), "{err}");
        let bad: Manifest = toml::from_str(&text.replace("docs/**", "docs/[")).unwrap();
        let err = bad.validate().unwrap_err();
        assert!(err.to_string().contains("not a valid glob"), "{err}");
    }
}
