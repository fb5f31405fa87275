//! Policy rules: where they apply (scope), to which plugin and capabilities, with
//! which effect and conditions; and how specific each is.
use std::fmt;

use serde::{Deserialize, Serialize};

use super::target::Target;

/// What a rule does with a matching request. Ordered from loosest to strictest.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// The call is made.
    Allow,
    /// The call is held until a maintainer approves it.
    Ask,
    /// The call is refused.
    Deny,
}

impl Effect {
    /// Parses `allow`, `ask` or `deny`.
    #[must_use]
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "allow" => Some(Self::Allow),
            "ask" => Some(Self::Ask),
            "deny" => Some(Self::Deny),
            _ => None,
        }
    }

    /// The stored form.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Allow => "allow",
            Self::Ask => "ask",
            Self::Deny => "deny",
        }
    }
}

/// Where a rule applies. Also the first part of its specificity.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case", tag = "kind", content = "name")]
pub enum RuleScope {
    /// Gantry's built-in defaults, below every operator rule.
    Builtin,
    /// Every repository.
    Global,
    /// One organisation (or user account), lower case.
    Org(String),
    /// One repository, `owner/name` in lower case.
    Repo(String),
}

impl RuleScope {
    /// Parses `global`, `org:NAME` or `repo:OWNER/NAME`.
    ///
    /// # Errors
    /// A message naming the expected forms.
    pub fn parse(raw: &str) -> Result<Self, String> {
        match crate::domain::SecretScope::parse(raw)? {
            crate::domain::SecretScope::Global => Ok(Self::Global),
            crate::domain::SecretScope::Org(n) => Ok(Self::Org(n)),
            crate::domain::SecretScope::Repo(n) => Ok(Self::Repo(n)),
        }
    }

    fn rank(&self) -> u8 {
        match self {
            Self::Builtin => 0,
            Self::Global => 1,
            Self::Org(_) => 2,
            Self::Repo(_) => 3,
        }
    }

    fn covers(&self, repo: Option<&str>) -> bool {
        let repo = repo.map(str::to_ascii_lowercase);
        match self {
            Self::Builtin | Self::Global => true,
            Self::Org(org) => repo
                .as_deref()
                .and_then(|r| r.split_once('/'))
                .is_some_and(|(owner, _)| owner == org),
            Self::Repo(full) => repo.as_deref() == Some(full.as_str()),
        }
    }
}

impl fmt::Display for RuleScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Builtin => f.write_str("builtin"),
            Self::Global => f.write_str("global"),
            Self::Org(n) => write!(f, "org:{n}"),
            Self::Repo(n) => write!(f, "repo:{n}"),
        }
    }
}

/// A capability or a pattern of them: exact (`issues:write`), a family
/// (`issues:*`, `http:*`), or everything (`*`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(transparent)]
pub struct CapabilityPattern(String);

impl CapabilityPattern {
    /// Checks and wraps a pattern: `*`, `family:*` or a known capability.
    ///
    /// # Errors
    /// A message when the pattern names nothing Gantry knows.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let ok = raw == "*"
            || raw.strip_suffix(":*").is_some_and(|family| {
                !family.is_empty() && family.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
            })
            || raw.parse::<crate::domain::Capability>().is_ok();
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(format!("`{raw}` is not a capability, `family:*` or `*`"))
        }
    }

    /// The pattern as written.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn matches(&self, capability: &str) -> bool {
        match self.0.strip_suffix('*') {
            _ if self.0 == "*" => true,
            Some(prefix) => capability.starts_with(prefix),
            None => self.0 == capability,
        }
    }

    fn rank(&self) -> u8 {
        if self.0 == "*" {
            0
        } else if self.0.ends_with(":*") {
            1
        } else {
            2
        }
    }
}

/// A collaborator's permission on a repository, as GitHub names the roles.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// No access.
    None,
    /// Read.
    Read,
    /// Triage.
    Triage,
    /// Write (push).
    Write,
    /// Maintain.
    Maintain,
    /// Admin.
    Admin,
}

impl Permission {
    /// Parses GitHub's role names (and the legacy `pull`/`push`).
    #[must_use]
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "none" => Some(Self::None),
            "read" | "pull" => Some(Self::Read),
            "triage" => Some(Self::Triage),
            "write" | "push" => Some(Self::Write),
            "maintain" => Some(Self::Maintain),
            "admin" => Some(Self::Admin),
            _ => None,
        }
    }

    /// The permission in an answer of GitHub's collaborator-permission API: its
    /// `role_name` (which knows `maintain` and `triage`), else the classic
    /// `permission`; `none` when it names neither.
    #[must_use]
    pub fn of_answer(answer: &serde_json::Value) -> Self {
        let name = answer["role_name"]
            .as_str()
            .or_else(|| answer["permission"].as_str())
            .unwrap_or("none");
        Self::parse(name).unwrap_or(Self::None)
    }
}

/// Extra conditions a rule can require; a rule whose conditions fail does not match.
///
/// A condition that cannot be evaluated (the write's branch or the actor's
/// permission is not known) fails closed: a `deny` or `ask` rule applies, an `allow`
/// rule does not.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Conditions {
    /// A branch the write changes must match this glob (`main`, `release/*`, `*`):
    /// for `deny` and `ask` any of them, for `allow` every one (and there must be
    /// one). Writes that change no branch never match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    /// The event's branch (pull request base, or the pushed branch) must match this
    /// glob; an event without a branch does not match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_branch: Option<String>,
    /// The actor must have at least this permission on the repository.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_permission: Option<Permission>,
}

impl Conditions {
    fn count(&self) -> u8 {
        u8::from(self.branch.is_some())
            + u8::from(self.event_branch.is_some())
            + u8::from(self.min_permission.is_some())
    }
}

/// One policy rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Rule {
    /// Its id (0 for built-in rules).
    pub id: i64,
    /// Where it applies.
    pub scope: RuleScope,
    /// The plugin it applies to; `None` for any.
    pub plugin: Option<String>,
    /// The capabilities it applies to.
    pub capability: CapabilityPattern,
    /// What it decides.
    pub effect: Effect,
    /// What must also hold for it to apply.
    #[serde(default)]
    pub conditions: Conditions,
    /// A global rule that narrower rules may not loosen.
    #[serde(default)]
    pub enforced: bool,
    /// For `ask`: how many distinct people must approve a held write (1 to
    /// [`Rule::MAX_APPROVALS`]).
    #[serde(default = "one")]
    pub approvals: u32,
}

fn one() -> u32 {
    1
}

impl Rule {
    /// The most approvals a rule may require.
    pub const MAX_APPROVALS: u32 = 10;

    /// How specific the rule is: scope, then plugin, then capability, then
    /// conditions. Compared lexicographically; higher is more specific.
    #[must_use]
    pub fn specificity(&self) -> (u8, u8, u8, u8) {
        (
            self.scope.rank(),
            u8::from(self.plugin.is_some()),
            self.capability.rank(),
            self.conditions.count(),
        )
    }

    /// Why the rule does not apply to `request`, or `None` when it does.
    #[must_use]
    pub fn mismatch(&self, request: &super::Request<'_>) -> Option<String> {
        if !self.scope.covers(request.repository) {
            return Some(format!(
                "scope {} does not cover {}",
                self.scope,
                request.repository.unwrap_or("(no repository)")
            ));
        }
        if let Some(plugin) = &self.plugin {
            if plugin != request.plugin {
                return Some(format!("applies to plugin {plugin}"));
            }
        }
        if !self.capability.matches(request.capability.as_str()) {
            return Some(format!(
                "capability {} does not match",
                self.capability.as_str()
            ));
        }
        if let Some(why) = self.branch_mismatch(request.target) {
            return Some(why);
        }
        if let Some(pattern) = &self.conditions.event_branch {
            match request.event_branch {
                Some(branch) if glob(pattern, branch) => {}
                Some(branch) => {
                    return Some(format!(
                        "the event's branch {branch} does not match {pattern}"
                    ))
                }
                None => return Some(format!("the event has no branch to match {pattern}")),
            }
        }
        if let Some(min) = self.conditions.min_permission {
            match request.actor_permission {
                Some(actual) if actual >= min => {}
                Some(actual) => {
                    return Some(
                        format!("the actor's permission {actual:?} is below {min:?}")
                            .to_lowercase(),
                    )
                }
                None if self.effect == Effect::Allow => {
                    return Some(format!(
                    "the actor's permission is not known, so an allow needing {} does not apply",
                    format!("{min:?}").to_lowercase()
                ))
                }
                None => {}
            }
        }
        None
    }

    /// Why the branch condition does not hold for a write changing `target`.
    fn branch_mismatch(&self, target: &Target) -> Option<String> {
        let pattern = self.conditions.branch.as_deref()?;
        let Some(branches) = target.branches() else {
            return (self.effect == Effect::Allow).then(|| {
                format!("the write's branch is not known, so an allow on {pattern} does not apply")
            });
        };
        if branches.is_empty() {
            return Some(format!("the write changes no branch to match {pattern}"));
        }
        let outside: Vec<&str> = branches
            .iter()
            .copied()
            .filter(|b| !glob(pattern, b))
            .collect();
        match self.effect {
            // An allow covers a write only when every branch it changes matches.
            Effect::Allow if !outside.is_empty() => Some(format!(
                "the write changes {} outside {pattern}",
                outside.join(", ")
            )),
            // A deny or ask holds when any branch the write changes matches.
            Effect::Ask | Effect::Deny if outside.len() == branches.len() => Some(format!(
                "the write changes {}, none matching {pattern}",
                branches.join(", ")
            )),
            _ => None,
        }
    }

    /// When the rule applies only because a condition could not be evaluated, why.
    #[must_use]
    pub fn applies_closed(&self, request: &super::Request<'_>) -> Option<String> {
        if self.effect == Effect::Allow {
            return None;
        }
        let mut unknown = Vec::new();
        if self.conditions.branch.is_some() && request.target.branches().is_none() {
            unknown.push("the write's branch");
        }
        if self.conditions.min_permission.is_some() && request.actor_permission.is_none() {
            unknown.push("the actor's permission");
        }
        (!unknown.is_empty()).then(|| {
            format!(
                "{} is not known, so this {} applies (fail closed)",
                unknown.join(" and "),
                self.effect.as_str()
            )
        })
    }
}

/// `*` matches any run of characters (including `/`); everything else literally.
fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let [first, middle @ .., last] = parts.as_slice() else {
        return pattern == text;
    };
    if !text.starts_with(first) || text.len() < first.len() + last.len() || !text.ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

/// Gantry's defaults when no operator rule matches. Reads, comments, labels, review
/// requests, reviews, opening pull requests, KV and cloning are allowed; merging a
/// pull request asks. Everything that can change code or what CI
/// and deployments do or report asks: file and ref writes, pushes, workflow
/// dispatches and reruns (`actions:write`), commit statuses and check runs (they can
/// forge required results). Outbound HTTP and secrets ask too; as they cannot wait
/// for an approval, they are refused until an operator rule allows them, so
/// declaring `http:HOST` or `secrets:NAME` in a manifest is never consent on its own.
/// Anything not listed asks.
#[must_use]
pub fn builtin_rules() -> Vec<Rule> {
    let rule = |capability: &str, effect| Rule {
        id: 0,
        scope: RuleScope::Builtin,
        plugin: None,
        capability: CapabilityPattern(capability.to_owned()),
        effect,
        conditions: Conditions::default(),
        enforced: false,
        approvals: 1,
    };
    vec![
        rule("*", Effect::Ask),
        rule("issues:*", Effect::Allow),
        rule("pull_requests:*", Effect::Allow),
        rule("pull_requests:merge", Effect::Ask),
        rule("actions:read", Effect::Allow),
        rule("contents:read", Effect::Allow),
        rule("checks:read", Effect::Allow),
        rule("statuses:read", Effect::Allow),
        rule("git:clone", Effect::Allow),
        rule("kv", Effect::Allow),
        rule("actions:write", Effect::Ask),
        rule("checks:write", Effect::Ask),
        rule("statuses:write", Effect::Ask),
        rule("http:*", Effect::Ask),
        rule("secrets:*", Effect::Ask),
        rule("model:rule-based", Effect::Allow),
        rule("contents:write", Effect::Ask),
        rule("git:push", Effect::Ask),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_branches() {
        assert!(glob("main", "main"));
        assert!(!glob("main", "maintenance"));
        assert!(glob("release/*", "release/1.2"));
        assert!(glob("*", "anything/at/all"));
        assert!(glob("feat-*-x", "feat-abc-x"));
        assert!(!glob("feat-*-x", "feat-abc-y"));
    }

    #[test]
    fn capability_patterns_match_exactly_by_family_or_all() {
        let p = |s: &str| CapabilityPattern::parse(s).unwrap();
        assert!(p("issues:write").matches("issues:write"));
        assert!(!p("issues:write").matches("issues:read"));
        assert!(p("issues:*").matches("issues:read"));
        assert!(p("http:*").matches("http:api.example.com"));
        assert!(p("*").matches("git:push"));
        assert!(CapabilityPattern::parse("issues:admin").is_err());
        assert!(CapabilityPattern::parse("is sues:*").is_err());
    }
}
