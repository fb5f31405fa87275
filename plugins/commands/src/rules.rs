//! What each command means, as pure functions: a command with its context (who
//! wrote it, their permission, the issue or pull request it is on) becomes a
//! [`Plan`] of GitHub changes and, where the plugin must explain something, a reply.
//! Nothing here calls the host, so `cargo test` runs it on the host target.
//!
//! The grammar and label names are Prow's (`lgtm`, `approved`, `do-not-merge/hold`,
//! `kind/…`, `area/…`, `priority/…`, `triage/…`, `lifecycle/…`).
pub use gantry_plugin_sdk::github::Milestone;
pub use gantry_plugin_sdk::Level;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The label `/lgtm` adds.
pub const LGTM: &str = "lgtm";
/// The label `/approve` adds.
pub const APPROVED: &str = "approved";
/// The label `/hold` adds.
pub const HOLD: &str = "do-not-merge/hold";
/// The lifecycle states `/lifecycle` accepts; at most one is on an issue at a time.
pub const LIFECYCLES: &[&str] = &["active", "frozen", "stale", "rotten"];
/// GitHub keeps at most this many assignees on an issue or pull request.
pub const MAX_ASSIGNEES: usize = 10;
/// A reply to an unknown `/milestone` title lists at most this many open milestones.
pub const MAX_LISTED_MILESTONES: usize = 20;

/// Labels `/label` never touches: each has its own command and permission.
const GATE_LABELS: &[&str] = &[LGTM, APPROVED, HOLD];

/// The commands plugin's configuration. Its JSON schema (the manifest's
/// `config_schema`) is derived from this type, doc comments as descriptions and
/// [`Config::default`] as defaults: `register_plugin!(Commands, config = Config)`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Labels `/label` and `/remove-label` may add or remove. Empty: any label.
    /// `lgtm`, `approved` and `do-not-merge/hold` are never allowed there: they have
    /// their own commands and permissions.
    #[schemars(inner(length(min = 1, max = 100)))]
    pub allowed_labels: Vec<String>,
    /// React to each command's comment: `+1` when it was carried out, `eyes` when
    /// the plugin replied instead.
    pub acknowledge: bool,
    /// Remove `lgtm` when new commits are pushed to the pull request
    /// (`pull_request.synchronize`), with a comment saying so.
    pub lgtm_reset_on_push: bool,
    /// When a pull request is opened, request reviews from the reviewers the
    /// repository's `OWNERS` or `CODEOWNERS` files (default branch) name for its
    /// changed files, those reviewing the most files first (never its author).
    pub request_owner_reviews: bool,
    /// How many reviewers `request_owner_reviews` asks at most.
    #[schemars(range(min = 1, max = 15))]
    pub max_owner_reviewers: u32,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            allowed_labels: Vec::new(),
            acknowledge: true,
            lgtm_reset_on_push: true,
            request_owner_reviews: false,
            max_owner_reviewers: 2,
        }
    }
}

/// The comment left when new commits remove `lgtm` (Prow's wording).
pub const LGTM_RESET_COMMENT: &str = "New changes are detected. The `lgtm` label has been removed.";

/// Whether a `pull_request` event with `action` on a pull request carrying `labels`
/// removes `lgtm`: new commits (`synchronize`) and the label is there.
#[must_use]
pub fn lgtm_reset(config: &Config, action: &str, labels: &[String]) -> bool {
    config.lgtm_reset_on_push
        && action == "synchronize"
        && labels.iter().any(|l| l.eq_ignore_ascii_case(LGTM))
}

/// Everything a command is judged by.
#[derive(Debug, Clone)]
pub struct Context<'a> {
    /// The verb, lower case (`lgtm`, `remove-label`).
    pub verb: &'a str,
    /// The rest of the command's line, trimmed.
    pub args: &'a str,
    /// The commenter's login.
    pub commenter: &'a str,
    /// The commenter's permission on the repository.
    pub level: Level,
    /// Whether the comment is on a pull request.
    pub is_pull_request: bool,
    /// The login of the or pull request's author.
    pub item_author: &'a str,
    /// Its assignees.
    pub assignees: &'a [String],
    /// Its labels.
    pub labels: &'a [String],
}

/// Open or closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Open.
    Open,
    /// Closed.
    Closed,
}

/// One change on GitHub.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Add these labels.
    AddLabels(Vec<String>),
    /// Remove these labels (one call each; absent ones are fine).
    RemoveLabels(Vec<String>),
    /// Assign these users.
    Assign(Vec<String>),
    /// Unassign these users.
    Unassign(Vec<String>),
    /// Request reviews from these users.
    RequestReviews(Vec<String>),
    /// Withdraw review requests from these users.
    WithdrawReviews(Vec<String>),
    /// Open or close.
    SetState(State),
    /// Change the title.
    SetTitle(String),
    /// Set (by number) or clear the milestone.
    SetMilestone(Option<u64>),
    /// Set the open milestone this names: found with [`choose_milestone`] once the
    /// repository's open milestones are listed.
    SetMilestoneNamed(String),
}

/// What a command comes to.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Plan {
    /// What the plugin's reply is about (`lgtm`, `assign`, ...): a later reply on the
    /// same topic of the same issue edits the earlier one.
    pub topic: &'static str,
    /// The changes, in order.
    pub actions: Vec<Action>,
    /// What to tell the commenter, when something was refused or needs explaining.
    pub reply: Option<String>,
}

impl Plan {
    fn new(topic: &'static str) -> Self {
        Self {
            topic,
            ..Self::default()
        }
    }

    fn act(mut self, action: Action) -> Self {
        self.actions.push(action);
        self
    }

    fn say(mut self, text: impl Into<String>) -> Self {
        self.reply = Some(text.into());
        self
    }

    fn say_also(&mut self, text: &str) {
        self.reply = Some(match self.reply.take() {
            Some(before) => format!("{before}\n\n{text}"),
            None => text.to_owned(),
        });
    }

    /// Whether nothing at all comes of the command.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.actions.is_empty() && self.reply.is_none()
    }
}

/// The reply topic of a verb: the verb without `remove-`/`un`, with `close` and
/// `reopen` sharing `state`.
#[must_use]
pub fn topic_of(verb: &str) -> &'static str {
    match verb {
        "lgtm" | "remove-lgtm" => "lgtm",
        "approve" | "remove-approve" => "approve",
        "hold" | "unhold" => "hold",
        "assign" | "unassign" => "assign",
        "cc" | "uncc" => "cc",
        "label" | "remove-label" => "label",
        "kind" | "remove-kind" => "kind",
        "area" | "remove-area" => "area",
        "priority" | "remove-priority" => "priority",
        "triage" | "remove-triage" => "triage",
        "lifecycle" | "remove-lifecycle" => "lifecycle",
        "close" | "reopen" => "state",
        "retitle" => "retitle",
        "milestone" => "milestone",
        _ => "other",
    }
}

/// Works out what a command means. A verb the plugin does not know, or a
/// pull-request command on an issue, comes to an empty plan.
#[must_use]
pub fn plan(cx: &Context<'_>, config: &Config) -> Plan {
    let topic = topic_of(cx.verb);
    let pr_only = matches!(
        cx.verb,
        "lgtm" | "remove-lgtm" | "approve" | "remove-approve" | "hold" | "unhold" | "cc" | "uncc"
    );
    if pr_only && !cx.is_pull_request {
        return Plan::new(topic);
    }
    let plan = Plan::new(topic);
    match cx.verb {
        "lgtm" => lgtm(cx, plan),
        "remove-lgtm" => plan.act(Action::RemoveLabels(vec![LGTM.into()])),
        "approve" => approve(cx, plan),
        "remove-approve" => plan.act(Action::RemoveLabels(vec![APPROVED.into()])),
        "hold" if cx.args.eq_ignore_ascii_case("cancel") => {
            plan.act(Action::RemoveLabels(vec![HOLD.into()]))
        }
        "hold" => plan.act(Action::AddLabels(vec![HOLD.into()])),
        "unhold" => plan.act(Action::RemoveLabels(vec![HOLD.into()])),
        "assign" | "unassign" | "cc" | "uncc" => people(cx, plan),
        "label" | "remove-label" => labels(cx, config, plan),
        "kind" | "area" | "priority" | "triage" => prefixed(cx, cx.verb, false, plan),
        "remove-kind" | "remove-area" | "remove-priority" | "remove-triage" => {
            prefixed(cx, &cx.verb["remove-".len()..], true, plan)
        }
        "lifecycle" | "remove-lifecycle" => lifecycle(cx, plan),
        "close" | "reopen" => state(cx, plan),
        "retitle" => retitle(cx, plan),
        "milestone" => milestone(cx, plan),
        _ => plan,
    }
}

fn mention(login: &str) -> String {
    format!("@{login}")
}

fn lgtm(cx: &Context<'_>, plan: Plan) -> Plan {
    match cx.args.to_ascii_lowercase().as_str() {
        "cancel" => plan.act(Action::RemoveLabels(vec![LGTM.into()])),
        "" | "no-issue" if cx.commenter.eq_ignore_ascii_case(cx.item_author) => plan.say(format!(
            "{}: you cannot LGTM your own pull request; a reviewer can.",
            mention(cx.commenter)
        )),
        "" | "no-issue" => plan.act(Action::AddLabels(vec![LGTM.into()])),
        _ => plan.say(usage(cx.commenter, "/lgtm [cancel]")),
    }
}

fn approve(cx: &Context<'_>, plan: Plan) -> Plan {
    match cx.args.to_ascii_lowercase().as_str() {
        "cancel" => plan.act(Action::RemoveLabels(vec![APPROVED.into()])),
        "" | "no-issue" => plan.act(Action::AddLabels(vec![APPROVED.into()])),
        _ => plan.say(usage(cx.commenter, "/approve [no-issue|cancel]")),
    }
}

fn usage(commenter: &str, usage: &str) -> String {
    format!(
        "{}: that did not do anything; the command is `{usage}`.",
        mention(commenter)
    )
}

/// A GitHub login: 1 to 39 letters, digits or single hyphens, not starting with one
/// (a bot's `name[bot]` too).
#[must_use]
pub fn is_login(login: &str) -> bool {
    let name = login.strip_suffix("[bot]").unwrap_or(login);
    !name.is_empty()
        && name.len() <= 39
        && !name.starts_with('-')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// The logins named in `args` (`@` optional, commas allowed), without repeats.
#[must_use]
pub fn logins(args: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for word in args.split(|c: char| c.is_whitespace() || c == ',') {
        let login = word.trim_start_matches('@');
        if !login.is_empty() && !out.iter().any(|l| l.eq_ignore_ascii_case(login)) {
            out.push(login.to_owned());
        }
    }
    out
}

/// `/assign`, `/unassign`, `/cc`, `/uncc`: the named users, or the commenter. With
/// less than triage permission a commenter may only name themselves.
fn people(cx: &Context<'_>, mut plan: Plan) -> Plan {
    let mut named = logins(cx.args);
    if named.is_empty() {
        named.push(cx.commenter.to_owned());
    }
    let (valid, invalid): (Vec<String>, Vec<String>) = named.into_iter().partition(|l| is_login(l));
    let (allowed, others): (Vec<String>, Vec<String>) = valid
        .into_iter()
        .partition(|l| cx.level >= Level::Triage || l.eq_ignore_ascii_case(cx.commenter));
    if !invalid.is_empty() {
        let listed: Vec<String> = invalid.iter().map(|l| format!("`{l}`")).collect();
        plan.say_also(&format!(
            "{}: {} {} not a GitHub login.",
            mention(cx.commenter),
            listed.join(", "),
            if invalid.len() == 1 { "is" } else { "are" }
        ));
    }
    if !others.is_empty() {
        let what = if matches!(cx.verb, "cc" | "uncc") {
            "review requests for others"
        } else {
            "assigning others"
        };
        let listed: Vec<String> = others.iter().map(|l| mention(l)).collect();
        plan.say_also(&format!(
            "{}: {what} needs triage permission on the repository, so {} {} left out; `/{}` with no names applies to yourself.",
            mention(cx.commenter),
            listed.join(", "),
            if others.len() == 1 { "was" } else { "were" },
            cx.verb,
        ));
    }
    if allowed.is_empty() {
        return plan;
    }
    plan.act(match cx.verb {
        "assign" => Action::Assign(allowed),
        "unassign" => Action::Unassign(allowed),
        "cc" => Action::RequestReviews(allowed),
        _ => Action::WithdrawReviews(allowed),
    })
}

/// What to say after `/assign` asked for `requested` and GitHub answered with
/// `after` as the assignees: GitHub drops logins it cannot assign without an error,
/// and keeps at most [`MAX_ASSIGNEES`].
#[must_use]
pub fn assignment_outcome(
    commenter: &str,
    requested: &[String],
    after: &[String],
) -> Option<String> {
    let dropped: Vec<String> = requested
        .iter()
        .filter(|r| !after.iter().any(|a| a.eq_ignore_ascii_case(r)))
        .map(|l| mention(l))
        .collect();
    if dropped.is_empty() {
        return None;
    }
    let why = if after.len() >= MAX_ASSIGNEES {
        format!(
            "GitHub allows at most {MAX_ASSIGNEES} assignees on an issue or pull request and this one has {}: `/unassign` someone first.",
            after.len()
        )
    } else {
        "Only the repository's owner, its collaborators and members of its organisation can be assigned.".to_owned()
    };
    Some(format!(
        "{}: GitHub did not assign {}. {why}",
        mention(commenter),
        dropped.join(", ")
    ))
}

/// Whether `/label` and `/remove-label` may touch `label`.
#[must_use]
pub fn label_allowed(label: &str, config: &Config) -> bool {
    !GATE_LABELS.iter().any(|g| g.eq_ignore_ascii_case(label))
        && (config.allowed_labels.is_empty()
            || config
                .allowed_labels
                .iter()
                .any(|a| a.eq_ignore_ascii_case(label)))
}

/// GitHub's longest label name, in characters.
pub const MAX_LABEL_CHARS: usize = 50;

/// A label name GitHub accepts: 1 to [`MAX_LABEL_CHARS`] characters.
fn label_ok(label: &str) -> bool {
    !label.is_empty() && label.chars().count() <= MAX_LABEL_CHARS
}

fn labels(cx: &Context<'_>, config: &Config, mut plan: Plan) -> Plan {
    let usage_text = if cx.verb == "label" {
        "/label LABEL ..."
    } else {
        "/remove-label LABEL ..."
    };
    let names: Vec<String> = cx.args.split_whitespace().map(str::to_owned).collect();
    if names.is_empty() {
        return plan.say(usage(cx.commenter, usage_text));
    }
    let (names, long): (Vec<String>, Vec<String>) = names.into_iter().partition(|l| label_ok(l));
    if !long.is_empty() {
        let listed: Vec<String> = long.iter().map(|l| format!("`{l}`")).collect();
        plan.say_also(&format!(
            "{}: cannot {} {}: GitHub takes label names of at most {MAX_LABEL_CHARS} characters.",
            mention(cx.commenter),
            if cx.verb == "label" { "add" } else { "remove" },
            listed.join(", "),
        ));
    }
    let (ok, refused): (Vec<String>, Vec<String>) =
        names.into_iter().partition(|l| label_allowed(l, config));
    if !refused.is_empty() {
        let listed: Vec<String> = refused.iter().map(|l| format!("`{l}`")).collect();
        let gates = refused
            .iter()
            .any(|l| GATE_LABELS.iter().any(|g| g.eq_ignore_ascii_case(l)));
        let hint = if gates {
            " `lgtm`, `approved` and `do-not-merge/hold` go with `/lgtm`, `/approve` and `/hold`."
        } else if config.allowed_labels.is_empty() {
            ""
        } else {
            " The labels this repository allows are configured in the commands plugin's `allowed_labels`."
        };
        plan.say_also(&format!(
            "{}: cannot {} {} with `/{}`.{hint}",
            mention(cx.commenter),
            if cx.verb == "label" { "add" } else { "remove" },
            listed.join(", "),
            cx.verb
        ));
    }
    if ok.is_empty() {
        return plan;
    }
    plan.act(if cx.verb == "label" {
        Action::AddLabels(ok)
    } else {
        Action::RemoveLabels(ok)
    })
}

/// `/kind bug` → `kind/bug` (also `/kind kind/bug`), several values at once.
fn prefixed(cx: &Context<'_>, prefix: &str, remove: bool, plan: Plan) -> Plan {
    let labels: Vec<String> = cx
        .args
        .split_whitespace()
        .map(|v| v.strip_prefix(&format!("{prefix}/")).unwrap_or(v))
        .filter(|v| !v.is_empty())
        .map(|v| format!("{prefix}/{v}"))
        .filter(|l| label_ok(l))
        .collect();
    if labels.is_empty() {
        let verb = if remove {
            format!("remove-{prefix}")
        } else {
            prefix.to_owned()
        };
        return plan.say(usage(
            cx.commenter,
            &format!("/{verb} {} ...", prefix.to_ascii_uppercase()),
        ));
    }
    plan.act(if remove {
        Action::RemoveLabels(labels)
    } else {
        Action::AddLabels(labels)
    })
}

/// `/lifecycle X` sets `lifecycle/X` and removes the other lifecycle labels present;
/// `/remove-lifecycle X` removes `lifecycle/X`.
fn lifecycle(cx: &Context<'_>, plan: Plan) -> Plan {
    let value = cx.args.to_ascii_lowercase();
    let value = value.strip_prefix("lifecycle/").unwrap_or(&value);
    if !LIFECYCLES.contains(&value) {
        return plan.say(usage(
            cx.commenter,
            &format!("/{} active|frozen|stale|rotten", cx.verb),
        ));
    }
    let label = format!("lifecycle/{value}");
    if cx.verb == "remove-lifecycle" {
        return plan.act(Action::RemoveLabels(vec![label]));
    }
    let others: Vec<String> = cx
        .labels
        .iter()
        .filter(|l| l.starts_with("lifecycle/") && !l.eq_ignore_ascii_case(&label))
        .cloned()
        .collect();
    let plan = if others.is_empty() {
        plan
    } else {
        plan.act(Action::RemoveLabels(others))
    };
    plan.act(Action::AddLabels(vec![label]))
}

/// `/close` and `/reopen`: the author, an assignee, or anyone with triage.
fn state(cx: &Context<'_>, plan: Plan) -> Plan {
    let involved = cx.commenter.eq_ignore_ascii_case(cx.item_author)
        || cx
            .assignees
            .iter()
            .any(|a| a.eq_ignore_ascii_case(cx.commenter));
    if cx.level < Level::Triage && !involved {
        let what = if cx.is_pull_request {
            "pull request"
        } else {
            "issue"
        };
        return plan.say(format!(
            "{}: only the {what}'s author, its assignees and people with triage permission can `/{}` it.",
            mention(cx.commenter),
            cx.verb
        ));
    }
    plan.act(Action::SetState(if cx.verb == "close" {
        State::Closed
    } else {
        State::Open
    }))
}

fn retitle(cx: &Context<'_>, plan: Plan) -> Plan {
    let title = cx.args.trim();
    if title.is_empty() || title.chars().count() > 256 {
        return plan.say(usage(
            cx.commenter,
            "/retitle NEW TITLE (1 to 256 characters)",
        ));
    }
    plan.act(Action::SetTitle(title.to_owned()))
}

/// `/milestone TITLE` sets the open milestone of that title (looked up by the host
/// calls, see [`choose_milestone`]); `/milestone clear` clears it, as in Prow.
fn milestone(cx: &Context<'_>, plan: Plan) -> Plan {
    let arg = cx.args.trim();
    if arg.is_empty() {
        return plan.say(usage(cx.commenter, "/milestone TITLE | /milestone clear"));
    }
    if arg.eq_ignore_ascii_case("clear") {
        return plan.act(Action::SetMilestone(None));
    }
    plan.act(Action::SetMilestoneNamed(arg.to_owned()))
}

/// The number of the milestone `/milestone wanted` means among the repository's
/// `open` milestones: the one titled exactly `wanted`, else the only one whose title
/// matches ignoring case, else milestone number `wanted` (`3` or `#3`) for
/// repositories used to the number. Closed milestones are never offered, as in Prow.
///
/// # Errors
/// The reply for the commenter when nothing matches (listing the open milestones'
/// titles, at most [`MAX_LISTED_MILESTONES`]) or the title is ambiguous.
pub fn choose_milestone(commenter: &str, wanted: &str, open: &[Milestone]) -> Result<u64, String> {
    let wanted = wanted.trim();
    let open: Vec<&Milestone> = open.iter().filter(|m| m.state == "open").collect();
    if let Some(exact) = open.iter().find(|m| m.title == wanted) {
        return Ok(exact.number);
    }
    let alike: Vec<&&Milestone> = open
        .iter()
        .filter(|m| m.title.to_lowercase() == wanted.to_lowercase())
        .collect();
    match alike.as_slice() {
        [one] => return Ok(one.number),
        [] => {}
        several => {
            let titles: Vec<String> = several.iter().map(|m| code(&m.title)).collect();
            return Err(format!(
                "{}: {} could be any of {}; write the title exactly as it is.",
                mention(commenter),
                code(wanted),
                titles.join(", ")
            ));
        }
    }
    if let Ok(number @ 1..) = wanted.trim_start_matches('#').parse::<u64>() {
        return Ok(number);
    }
    let listed = if open.is_empty() {
        "This repository has no open milestones.".to_owned()
    } else {
        let mut titles: Vec<String> = open
            .iter()
            .take(MAX_LISTED_MILESTONES)
            .map(|m| code(&m.title))
            .collect();
        if open.len() > MAX_LISTED_MILESTONES {
            titles.push(format!("and {} more", open.len() - MAX_LISTED_MILESTONES));
        }
        format!("The open milestones are {}.", titles.join(", "))
    };
    Err(format!(
        "{}: there is no open milestone titled {} in this repository. {listed} `/milestone clear` clears the milestone.",
        mention(commenter),
        code(wanted)
    ))
}

/// `text` as inline code in Markdown, fenced with more backticks than it holds in a row.
fn code(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    if longest == 0 {
        format!("{fence}{text}{fence}")
    } else {
        format!("{fence} {text} {fence}")
    }
}

#[cfg(test)]
#[path = "rules_tests.rs"]
mod tests;
