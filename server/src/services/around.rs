//! Hooks around other plugins' actions, with Atlantis' pre and post workflow hook
//! semantics: a plugin that subscribes to the `gantry_hook` event and lists rules
//! under `around` in its configuration is invoked before (`pre`) and after (`post`)
//! each run of the plugins those rules name, for an event or for a command.
//!
//! This module decides which hook invocations a target needs and builds their
//! events; `services::dispatch` runs them, records them and acts on the verdict:
//! - a `pre` invocation that fails (an error, a trap or a timeout) blocks the target
//!   only when one of the rules it was invoked for says `blocking = true`; hooks are
//!   non-blocking otherwise, as in Atlantis. A blocking hook plugin that is disabled
//!   after crashing blocks too (fail closed). A hook asking for a retry (GitHub was
//!   unreachable) holds the target back until the job's retry;
//! - `post` invocations run after the target's run, whatever its outcome except a
//!   retry (they run once, after the final attempt), and never block anything.
//!
//! The host reads only `stage`, `plugin`, `command`, `on` and `blocking` of each
//! rule; everything else in a rule (checks, comments, labels) is the hook plugin's.
//! Plugins that subscribe to `gantry_hook` are never wrapped themselves.
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::services::installed::active::{ActivePlugin, ActivePlugins};
use crate::wasm_host::{PluginCommand, PluginEvent};

/// The event hook invocations carry; the action is the stage.
pub const EVENT: &str = "gantry_hook";

/// Before or after the target runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    /// Before: may block the target.
    Pre,
    /// After: sees the target's outcome.
    Post,
}

impl Stage {
    /// The stage's name, also the hook event's action.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pre => "pre",
            Self::Post => "post",
        }
    }
}

/// What the host reads of one `around` rule.
#[derive(Debug, Deserialize)]
struct AroundRule {
    stage: Stage,
    #[serde(default = "any_plugin")]
    plugin: String,
    command: Option<String>,
    on: Option<String>,
    #[serde(default)]
    blocking: bool,
}

fn any_plugin() -> String {
    "*".into()
}

/// One plugin run that hooks may wrap: a plugin's run for the event, or one command.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    /// The wrapped plugin's name.
    pub plugin: &'a str,
    /// Its run's name in the job (`plugin_runs.plugin`).
    pub run_name: &'a str,
    /// The event it runs for.
    pub event: &'a PluginEvent,
    /// The command, when the run is one.
    pub command: Option<&'a PluginCommand>,
}

impl Target<'_> {
    fn matches(&self, rule: &AroundRule, stage: Stage) -> bool {
        if rule.stage != stage || (rule.plugin != "*" && rule.plugin != self.plugin) {
            return false;
        }
        match (&rule.command, self.command) {
            (Some(verb), Some(command)) => return verb.eq_ignore_ascii_case(&command.verb),
            (Some(_), None) => return false,
            (None, _) => {}
        }
        match &rule.on {
            None => true,
            Some(_) if self.command.is_some() => false,
            Some(on) => match on.split_once('.') {
                Some((name, action)) => {
                    name == self.event.name && Some(action) == self.event.action.as_deref()
                }
                None => *on == self.event.name,
            },
        }
    }
}

/// How a wrapped run ended, as `post` hooks are told.
#[derive(Debug, Clone, Serialize)]
pub struct TargetOutcome {
    /// `ok`, `error`, `trap`, `timeout` or `blocked`.
    pub result: String,
    /// The error, when there was one.
    pub message: Option<String>,
}

/// One hook invocation to make.
#[derive(Debug, Clone)]
pub struct HookCall {
    /// The hook plugin, with its configuration for the project.
    pub hook: ActivePlugin,
    /// The invocation's run name: `<hook> <stage> <target run>`.
    pub run_name: String,
    /// The `gantry_hook` event it receives.
    pub event: PluginEvent,
    /// Whether one of its matching rules is blocking (a failure blocks the target).
    pub blocking: bool,
}

/// Whether a plugin is a hook plugin (and so is never wrapped).
#[must_use]
pub fn is_hook(plugin: &ActivePlugin) -> bool {
    plugin
        .plugin
        .manifest
        .subscribes_to(EVENT, Some(Stage::Pre.as_str()))
        || plugin
            .plugin
            .manifest
            .subscribes_to(EVENT, Some(Stage::Post.as_str()))
}

/// The hook invocations `stage` needs around `target`: one per hook plugin with at
/// least one matching rule, in the order the plugins run.
#[must_use]
pub fn calls(
    active: &ActivePlugins,
    stage: Stage,
    target: &Target<'_>,
    outcome: Option<&TargetOutcome>,
) -> Vec<HookCall> {
    let mut calls = Vec::new();
    for hook in active.subscribers(EVENT, Some(stage.as_str())) {
        if hook.plugin.manifest.name == target.plugin {
            continue;
        }
        let rules = around_rules(&hook.config);
        let matching: Vec<usize> = rules
            .iter()
            .enumerate()
            .filter(|(_, r)| target.matches(r, stage))
            .map(|(i, _)| i)
            .collect();
        if matching.is_empty() {
            continue;
        }
        let blocking = stage == Stage::Pre && matching.iter().any(|&i| rules[i].blocking);
        let run_name = format!(
            "{} {} {}",
            hook.plugin.manifest.name,
            stage.as_str(),
            target.run_name
        );
        let event = PluginEvent {
            name: EVENT.into(),
            action: Some(stage.as_str().into()),
            payload: payload(stage, target, &matching, outcome),
            config: Some(hook.config.clone()),
            invocation: Some(run_name.clone()),
            ..target.event.clone()
        };
        calls.push(HookCall {
            hook: hook.clone(),
            run_name,
            event,
            blocking,
        });
    }
    calls
}

/// The configuration's `around` rules the host can read (the schema was checked
/// when the configuration was saved; a rule it cannot read matches nothing).
fn around_rules(config: &str) -> Vec<AroundRule> {
    let Ok(Value::Object(config)) = serde_json::from_str::<Value>(config) else {
        return Vec::new();
    };
    let Some(Value::Array(rules)) = config.get("around") else {
        return Vec::new();
    };
    rules
        .iter()
        .map(|r| {
            serde_json::from_value::<AroundRule>(r.clone()).unwrap_or(AroundRule {
                stage: Stage::Pre,
                plugin: String::new(),
                command: None,
                on: None,
                blocking: false,
            })
        })
        .collect()
}

/// The hook event's payload: the stage, the wrapped plugin, the indexes of the
/// matching rules, the command (with its author and permission), the original
/// event and, after, the outcome.
fn payload(
    stage: Stage,
    target: &Target<'_>,
    rules: &[usize],
    outcome: Option<&TargetOutcome>,
) -> String {
    let original: Value = serde_json::from_str(&target.event.payload).unwrap_or(Value::Null);
    let command = target.command.map(|c| {
        json!({
            "verb": c.verb,
            "args": c.args,
            "author": c.author,
            "permission": c.author_permission,
            "number": c.number,
            "is_pull_request": c.is_pull_request,
        })
    });
    json!({
        "stage": stage.as_str(),
        "plugin": target.plugin,
        "rules": rules,
        "command": command,
        "event": target.event.name,
        "action": target.event.action,
        "payload": original,
        "outcome": outcome,
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(name: &str, action: Option<&str>) -> PluginEvent {
        PluginEvent {
            name: name.into(),
            action: action.map(Into::into),
            delivery_id: "d".into(),
            repository: None,
            payload: "{}".into(),
            generation: 0,
            is_retry: false,
            branch: None,
            config: None,
            invocation: None,
            cause: crate::domain::Cause::default(),
        }
    }

    fn rule(text: &str) -> AroundRule {
        serde_json::from_str(text).expect("a rule")
    }

    #[test]
    fn rules_match_by_stage_plugin_command_and_event() {
        let opened = event("pull_request", Some("opened"));
        let on_event = Target {
            plugin: "ci",
            run_name: "ci",
            event: &opened,
            command: None,
        };
        assert!(on_event.matches(&rule(r#"{"stage":"pre","plugin":"ci"}"#), Stage::Pre));
        assert!(
            on_event.matches(&rule(r#"{"stage":"pre"}"#), Stage::Pre),
            "no plugin means any"
        );
        assert!(!on_event.matches(&rule(r#"{"stage":"post","plugin":"ci"}"#), Stage::Pre));
        assert!(!on_event.matches(&rule(r#"{"stage":"pre","plugin":"releases"}"#), Stage::Pre));
        assert!(on_event.matches(
            &rule(r#"{"stage":"pre","on":"pull_request.opened"}"#),
            Stage::Pre
        ));
        assert!(on_event.matches(&rule(r#"{"stage":"pre","on":"pull_request"}"#), Stage::Pre));
        assert!(!on_event.matches(
            &rule(r#"{"stage":"pre","on":"pull_request.closed"}"#),
            Stage::Pre
        ));
        assert!(
            !on_event.matches(&rule(r#"{"stage":"pre","command":"test"}"#), Stage::Pre),
            "a command rule never wraps an event run"
        );
    }

    #[test]
    fn a_command_rule_matches_its_verb_only() {
        use crate::policy::Permission;
        let comment = event("issue_comment", Some("created"));
        let command = PluginCommand {
            event: comment.clone(),
            verb: "release".into(),
            args: "v1.0.0".into(),
            author: "octocat".into(),
            author_permission: Permission::Admin,
            number: 1,
            is_pull_request: false,
            comment_id: 1,
        };
        let target = Target {
            plugin: "releases",
            run_name: "releases /release #0",
            event: &comment,
            command: Some(&command),
        };
        assert!(target.matches(
            &rule(r#"{"stage":"pre","plugin":"releases","command":"Release"}"#),
            Stage::Pre
        ));
        assert!(!target.matches(&rule(r#"{"stage":"pre","command":"sync"}"#), Stage::Pre));
        assert!(
            !target.matches(&rule(r#"{"stage":"pre","on":"issue_comment"}"#), Stage::Pre),
            "an event rule never wraps a command"
        );
        assert!(target.matches(&rule(r#"{"stage":"post","plugin":"*"}"#), Stage::Post));
    }

    #[test]
    fn unreadable_configs_and_rules_match_nothing() {
        assert!(around_rules("not json").is_empty());
        assert!(around_rules(r#"{"rules":[]}"#).is_empty());
        let rules =
            around_rules(r#"{"around":[{"stage":"sideways"},{"stage":"pre","blocking":true}]}"#);
        assert_eq!(rules.len(), 2, "indexes stay those of the configuration");
        let opened = event("issues", Some("opened"));
        let target = Target {
            plugin: "x",
            run_name: "x",
            event: &opened,
            command: None,
        };
        assert!(!target.matches(&rules[0], Stage::Pre));
        assert!(target.matches(&rules[1], Stage::Pre) && rules[1].blocking);
    }
}
