//! Hooks around other plugins' runs, as pure functions: reading the `gantry_hook`
//! event the host sends before (`pre`) and after (`post`) a run of another plugin,
//! picking the `around` rules it was sent for, judging a rule's checks (required
//! labels, the actor's permission), and writing the comments. The host decides from
//! the rules' `blocking` flags whether a failure blocks the run; this plugin fails
//! the invocation when a rule's checks are not met (see `docs/plugins/hooks.md`).
use gantry_plugin_sdk::Level;
use serde::Deserialize;
use serde_json::Value;

/// One `around` rule, as far as this plugin reads it: `stage`, `plugin`, `command`
/// and `on` are the host's, which calls the plugin for the runs they match;
/// `blocking` is read by both (the host decides from it what a failure means).
#[derive(Debug, Clone, Deserialize)]
pub struct AroundRule {
    /// Whether failing checks block the run (pre only).
    #[serde(default)]
    pub blocking: bool,
    /// Labels the issue or pull request must carry (pre).
    #[serde(default)]
    pub require_labels: Vec<String>,
    /// The least permission the actor (the commenter, else the event's sender) needs.
    #[serde(default)]
    pub require_permission: Option<Level>,
    /// A comment to post when the checks pass.
    #[serde(default)]
    pub comment: Option<String>,
    /// Labels to add when the checks pass.
    #[serde(default)]
    pub add_labels: Vec<String>,
    /// Whether a failed check is explained in a comment.
    #[serde(default = "yes")]
    pub explain: bool,
}

fn yes() -> bool {
    true
}

/// The command a hook is called around.
#[derive(Debug, Clone, Deserialize)]
pub struct HookCommand {
    /// The verb.
    pub verb: String,
    /// The rest of the line.
    #[serde(default)]
    pub args: String,
    /// The commenter.
    pub author: String,
    /// The commenter's permission.
    pub permission: Level,
    /// The issue or pull request.
    pub number: u64,
}

/// How the wrapped run ended (post only).
#[derive(Debug, Clone, Deserialize)]
pub struct HookOutcome {
    /// `ok`, `error`, `trap` or `timeout`.
    pub result: String,
    /// The error, when there was one.
    #[serde(default)]
    pub message: Option<String>,
}

/// The payload of a `gantry_hook` event.
#[derive(Debug, Clone, Deserialize)]
pub struct HookEvent {
    /// `pre` or `post`.
    pub stage: String,
    /// The wrapped plugin.
    pub plugin: String,
    /// Indexes of the `around` rules that matched.
    pub rules: Vec<usize>,
    /// The command, when the run is one.
    #[serde(default)]
    pub command: Option<HookCommand>,
    /// The original event's name.
    pub event: String,
    /// The original event's action.
    #[serde(default)]
    pub action: Option<String>,
    /// The original payload.
    #[serde(default)]
    pub payload: Value,
    /// How the run ended (post only).
    #[serde(default)]
    pub outcome: Option<HookOutcome>,
}

impl HookEvent {
    /// The issue or pull request concerned, if any.
    #[must_use]
    pub fn number(&self) -> Option<u64> {
        self.command.as_ref().map(|c| c.number).or_else(|| {
            ["/issue/number", "/pull_request/number", "/number"]
                .iter()
                .find_map(|p| self.payload.pointer(p).and_then(Value::as_u64))
        })
    }

    /// The labels the issue or pull request carries, as the payload shows them.
    #[must_use]
    pub fn labels(&self) -> Vec<String> {
        ["/issue/labels", "/pull_request/labels"]
            .iter()
            .find_map(|p| self.payload.pointer(p).and_then(Value::as_array))
            .map(|labels| {
                labels
                    .iter()
                    .filter_map(|l| l["name"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Who acts: the commenter, else the event's sender.
    #[must_use]
    pub fn actor(&self) -> String {
        match &self.command {
            Some(c) => c.author.clone(),
            None => self
                .payload
                .pointer("/sender/login")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
        }
    }

    /// What was wrapped, for people: `` `/release v1.0.0` `` or `releases on pull_request.opened`.
    #[must_use]
    pub fn what(&self) -> String {
        match &self.command {
            Some(c) if c.args.is_empty() => format!("`/{}`", c.verb),
            Some(c) => format!("`/{} {}`", c.verb, c.args),
            None => match &self.action {
                Some(action) => format!("{} on {}.{action}", self.plugin, self.event),
                None => format!("{} on {}", self.plugin, self.event),
            },
        }
    }

    /// The matched rules of `rules` (indexes out of range are skipped).
    #[must_use]
    pub fn matched<'a>(&self, rules: &'a [AroundRule]) -> Vec<&'a AroundRule> {
        self.rules.iter().filter_map(|&i| rules.get(i)).collect()
    }

    /// `template` with `{plugin}`, `{command}`, `{args}`, `{author}`, `{repo}`,
    /// `{number}`, `{stage}`, `{outcome}` and `{message}` replaced.
    #[must_use]
    pub fn render(&self, template: &str, repo: &str) -> String {
        let (verb, args) = self
            .command
            .as_ref()
            .map(|c| (c.verb.as_str(), c.args.as_str()))
            .unwrap_or_default();
        let (outcome, message) = self
            .outcome
            .as_ref()
            .map(|o| (o.result.as_str(), o.message.as_deref().unwrap_or_default()))
            .unwrap_or_default();
        template
            .replace("{plugin}", &self.plugin)
            .replace("{command}", verb)
            .replace("{args}", args)
            .replace("{author}", &self.actor())
            .replace("{repo}", repo)
            .replace(
                "{number}",
                &self.number().map(|n| n.to_string()).unwrap_or_default(),
            )
            .replace("{stage}", &self.stage)
            .replace("{outcome}", outcome)
            .replace("{message}", message)
    }
}

/// What a rule's checks found wanting: empty when they pass. `permission` is the
/// actor's permission, when the rule requires one (the host call's answer, or the
/// command's).
#[must_use]
pub fn unmet(rule: &AroundRule, event: &HookEvent, permission: Option<Level>) -> Vec<String> {
    let mut unmet = Vec::new();
    let labels = event.labels();
    let missing: Vec<&str> = rule
        .require_labels
        .iter()
        .filter(|want| !labels.iter().any(|l| l.eq_ignore_ascii_case(want)))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        let what = if event.number().is_some() {
            "it"
        } else {
            "the event names no issue or pull request, so it"
        };
        unmet.push(format!(
            "{what} needs the label{} {}",
            if missing.len() == 1 { "" } else { "s" },
            quoted(&missing)
        ));
    }
    if let Some(need) = rule.require_permission {
        let have = permission.unwrap_or(Level::None);
        if have < need {
            unmet.push(format!(
                "@{} has {have} access; {need} is needed",
                event.actor()
            ));
        }
    }
    unmet
}

/// The comment that explains a blocked run.
#[must_use]
pub fn blocked_comment(event: &HookEvent, reasons: &[String]) -> String {
    let mut body = format!(
        "{} did not run: a required pre-run check failed.\n",
        event.what()
    );
    for reason in reasons {
        body.push_str(&format!("\n- {reason}"));
    }
    body
}

fn quoted(items: &[&str]) -> String {
    items
        .iter()
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
