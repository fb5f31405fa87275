//! The hooks plugin: configurable rules that act on events.
//!
//! Each rule names the event it reacts to (`issues.opened`, or a bare `issues` for any
//! action) and what to do: add labels, post a comment. The sandbox's default config
//! labels every newly opened issue `needs-triage` and greets new pull requests.
use gantry_plugin_sdk::{config, github, log, Event, Plugin};
use serde::Deserialize;
use serde_json::Value;

/// The plugin's configuration (see `gantry-plugin.toml` for its schema).
#[derive(Debug, Default, Deserialize)]
struct Config {
    #[serde(default)]
    rules: Vec<Rule>,
}

/// One rule: when `on` matches, add `add_labels` and post `comment`.
#[derive(Debug, Deserialize)]
struct Rule {
    on: String,
    #[serde(default)]
    add_labels: Vec<String>,
    #[serde(default)]
    comment: Option<String>,
}

impl Rule {
    fn matches(&self, event: &Event) -> bool {
        self.on == event.name || self.on == event.kind()
    }
}

/// What the rules act on: the issue or pull request the event is about.
struct Target {
    number: u64,
    author: String,
    title: String,
}

impl Target {
    /// Finds the issue or pull request in a payload (`issue`, then `pull_request`).
    fn from_payload(payload: &Value) -> Option<Self> {
        let item = payload.get("issue").or_else(|| payload.get("pull_request"))?;
        Some(Self {
            number: item.get("number")?.as_u64()?,
            author: item.pointer("/user/login").and_then(Value::as_str).unwrap_or_default().to_owned(),
            title: item.get("title").and_then(Value::as_str).unwrap_or_default().to_owned(),
        })
    }
}

struct Hooks;

impl Plugin for Hooks {
    fn handle_event(event: Event) -> Result<(), String> {
        let config: Config = config::get().map_err(|e| format!("invalid config: {e}"))?;
        let rules: Vec<&Rule> = config.rules.iter().filter(|r| r.matches(&event)).collect();
        if rules.is_empty() {
            return Ok(());
        }
        let repo = event.repo().ok_or("the event names no repository")?;
        let payload: Value = serde_json::from_str(&event.payload).map_err(|e| e.to_string())?;
        let Some(target) = Target::from_payload(&payload) else {
            log::debug(&format!("{} is not about an issue or pull request", event.kind()));
            return Ok(());
        };
        for rule in rules {
            if !rule.add_labels.is_empty() {
                github::add_labels(&repo, target.number, &rule.add_labels).map_err(|e| e.to_string())?;
                log::info(&format!("labelled #{} with {}", target.number, rule.add_labels.join(", ")));
            }
            if let Some(template) = &rule.comment {
                let body = template
                    .replace("{author}", &target.author)
                    .replace("{title}", &target.title)
                    .replace("{repo}", &format!("{}/{}", repo.owner, repo.name));
                github::create_comment(&repo, target.number, &body).map_err(|e| e.to_string())?;
                log::info(&format!("commented on #{}", target.number));
            }
        }
        Ok(())
    }
}

gantry_plugin_sdk::register_plugin!(Hooks);
