//! The decision: undeclared capabilities are denied; otherwise the most specific
//! matching rule decides (stricter effect at equal specificity), and no narrower
//! rule may be looser than an enforced global rule that matches.
use crate::domain::Capability;
use serde::Serialize;

use super::rule::{builtin_rules, Effect, Permission, Rule};
use super::target::Target;

/// What is being asked for.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    /// The plugin asking.
    pub plugin: &'a str,
    /// The capability it needs.
    pub capability: &'a Capability,
    /// Whether its manifest declares that capability.
    pub declared: bool,
    /// `owner/name` of the repository written to.
    pub repository: Option<&'a str>,
    /// The refs the write changes, for `branch` conditions.
    pub target: &'a Target,
    /// The event's branch (pull request base or pushed branch), when it has one,
    /// for `event_branch` conditions.
    pub event_branch: Option<&'a str>,
    /// The acting person's permission on the repository (the commenter of a
    /// command, the sender of an event), when known.
    pub actor_permission: Option<Permission>,
}

/// A decision and why.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Decision {
    /// Allow, ask or deny.
    pub effect: Effect,
    /// The rule that decided (`None` for an undeclared capability).
    pub rule: Option<Rule>,
    /// One sentence saying why.
    pub reason: String,
    /// Every rule considered, with why it did or did not apply.
    pub considered: Vec<Considered>,
}

impl Decision {
    /// How many distinct people must approve a write this decision holds: what the
    /// deciding `ask` rule says (1 for anything else).
    #[must_use]
    pub fn approvals_required(&self) -> u32 {
        match (&self.rule, self.effect) {
            (Some(rule), Effect::Ask) => rule.approvals.clamp(1, Rule::MAX_APPROVALS),
            _ => 1,
        }
    }
}

/// One rule as the engine saw it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Considered {
    /// The rule.
    pub rule: Rule,
    /// `None` when it applied; otherwise why not.
    pub skipped_because: Option<String>,
    /// When it applied only because a condition could not be evaluated, why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub applied_because: Option<String>,
}

/// Decides `request` under the operator's `rules` (Gantry's built-in defaults are
/// added below them).
#[must_use]
pub fn decide(rules: &[Rule], request: &Request<'_>) -> Decision {
    if !request.declared {
        return Decision {
            effect: Effect::Deny,
            rule: None,
            reason: format!(
                "plugin {} does not declare {} in its manifest; undeclared is always denied",
                request.plugin, request.capability
            ),
            considered: Vec::new(),
        };
    }
    let mut considered = Vec::new();
    let mut best: Option<&Rule> = None;
    let mut ceiling: Option<&Rule> = None;
    let builtins = builtin_rules();
    for rule in rules.iter().chain(builtins.iter()) {
        let skipped_because = rule.mismatch(request);
        if skipped_because.is_none() {
            let better = match best {
                None => true,
                Some(b) => (rule.specificity(), rule.effect) > (b.specificity(), b.effect),
            };
            if better {
                best = Some(rule);
            }
            if rule.enforced && ceiling.is_none_or(|c| rule.effect > c.effect) {
                ceiling = Some(rule);
            }
        }
        let applied_because = skipped_because
            .is_none()
            .then(|| rule.applies_closed(request))
            .flatten();
        considered.push(Considered {
            rule: rule.clone(),
            skipped_because,
            applied_because,
        });
    }
    // The built-in `*` rule always matches, so there is always a best rule.
    let Some(best) = best else {
        return Decision {
            effect: Effect::Deny,
            rule: None,
            reason: "no rule matched".into(),
            considered,
        };
    };
    let describe = |r: &Rule| match r.id {
        0 => format!(
            "built-in default {} -> {}",
            r.capability.as_str(),
            r.effect.as_str()
        ),
        id => format!(
            "rule {id} ({} {} {} -> {})",
            r.scope,
            r.plugin.as_deref().unwrap_or("any plugin"),
            r.capability.as_str(),
            r.effect.as_str()
        ),
    };
    match ceiling {
        Some(c) if c.effect > best.effect => Decision {
            effect: c.effect,
            reason: format!(
                "{} would decide {}, but enforced {} does not allow loosening",
                describe(best),
                best.effect.as_str(),
                describe(c)
            ),
            rule: Some(c.clone()),
            considered,
        },
        _ => Decision {
            effect: best.effect,
            reason: match best.applies_closed(request) {
                Some(why) => format!(
                    "the most specific matching rule is {}: {why}",
                    describe(best)
                ),
                None => format!("the most specific matching rule is {}", describe(best)),
            },
            rule: Some(best.clone()),
            considered,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::rule::{CapabilityPattern, Conditions, RuleScope};

    fn rule(id: i64, scope: &str, plugin: Option<&str>, capability: &str, effect: Effect) -> Rule {
        Rule {
            id,
            scope: if scope == "global" {
                RuleScope::Global
            } else {
                RuleScope::parse(scope).unwrap()
            },
            plugin: plugin.map(str::to_owned),
            capability: CapabilityPattern::parse(capability).unwrap(),
            effect,
            conditions: Conditions::default(),
            enforced: false,
            approvals: 1,
        }
    }

    static NOTHING: Target = Target::Nothing;
    static UNKNOWN: Target = Target::Unknown;

    /// A request for `capability` (kept for the test's length).
    fn request(capability: &str) -> Request<'static> {
        let capability: &'static Capability = Box::leak(Box::new(capability.parse().unwrap()));
        Request {
            plugin: "hooks",
            capability,
            declared: true,
            repository: Some("octo/app"),
            target: &NOTHING,
            event_branch: Some("main"),
            actor_permission: Some(Permission::Write),
        }
    }

    #[test]
    fn undeclared_capabilities_are_denied_whatever_the_rules_say() {
        let rules = [rule(1, "global", None, "*", Effect::Allow)];
        let d = decide(
            &rules,
            &Request {
                declared: false,
                ..request("issues:write")
            },
        );
        assert_eq!(d.effect, Effect::Deny);
        assert!(d.reason.contains("does not declare"));
    }

    #[test]
    fn without_operator_rules_the_builtin_defaults_decide() {
        assert_eq!(decide(&[], &request("issues:write")).effect, Effect::Allow);
        assert_eq!(decide(&[], &request("contents:write")).effect, Effect::Ask);
        assert_eq!(decide(&[], &request("git:push")).effect, Effect::Ask);
    }

    #[test]
    fn a_manifest_declaring_workflows_statuses_checks_http_or_secrets_gets_no_grant_by_default() {
        for capability in [
            "actions:write",
            "statuses:write",
            "checks:write",
            "secrets:x",
            "http:example.com",
        ] {
            let d = decide(&[], &request(capability));
            assert_eq!(d.effect, Effect::Ask, "{capability}: {}", d.reason);
        }
        let named = rule(1, "global", Some("hooks"), "checks:write", Effect::Allow);
        assert_eq!(
            decide(&[named], &request("checks:write")).effect,
            Effect::Allow,
            "an operator rule naming the plugin allows it"
        );
    }

    #[test]
    fn the_most_specific_rule_wins() {
        let rules = [
            rule(1, "global", None, "issues:*", Effect::Deny),
            rule(2, "org:octo", None, "issues:write", Effect::Ask),
            rule(
                3,
                "repo:octo/app",
                Some("hooks"),
                "issues:write",
                Effect::Allow,
            ),
        ];
        let d = decide(&rules, &request("issues:write"));
        assert_eq!((d.effect, d.rule.unwrap().id), (Effect::Allow, 3));
        let other_repo = Request {
            repository: Some("octo/lib"),
            ..request("issues:write")
        };
        assert_eq!(decide(&rules, &other_repo).effect, Effect::Ask);
        let other_org = Request {
            repository: Some("else/lib"),
            ..request("issues:write")
        };
        assert_eq!(decide(&rules, &other_org).effect, Effect::Deny);
    }

    #[test]
    fn deny_beats_ask_beats_allow_at_equal_specificity() {
        let rules = [
            rule(1, "global", None, "issues:write", Effect::Allow),
            rule(2, "global", None, "issues:write", Effect::Deny),
        ];
        assert_eq!(
            decide(&rules, &request("issues:write")).effect,
            Effect::Deny
        );
        let rules = [
            rule(1, "global", None, "issues:write", Effect::Allow),
            rule(2, "global", None, "issues:write", Effect::Ask),
        ];
        assert_eq!(decide(&rules, &request("issues:write")).effect, Effect::Ask);
    }

    #[test]
    fn conditions_on_event_branch_and_permission_narrow_a_rule() {
        let mut protected = rule(1, "repo:octo/app", None, "issues:write", Effect::Deny);
        protected.conditions.event_branch = Some("release/*".into());
        let mut trusted = rule(2, "global", None, "contents:write", Effect::Allow);
        trusted.conditions.min_permission = Some(Permission::Maintain);
        let rules = [protected, trusted];
        assert_eq!(
            decide(&rules, &request("issues:write")).effect,
            Effect::Allow,
            "main is not release/*"
        );
        let release = Request {
            event_branch: Some("release/1.0"),
            ..request("issues:write")
        };
        assert_eq!(decide(&rules, &release).effect, Effect::Deny);
        let no_branch = Request {
            event_branch: None,
            ..request("issues:write")
        };
        assert_eq!(decide(&rules, &no_branch).effect, Effect::Allow);
        assert_eq!(
            decide(&rules, &request("contents:write")).effect,
            Effect::Ask,
            "write is below maintain"
        );
        let maintainer = Request {
            actor_permission: Some(Permission::Admin),
            ..request("contents:write")
        };
        assert_eq!(decide(&rules, &maintainer).effect, Effect::Allow);
    }

    #[test]
    fn a_branch_condition_is_decided_on_the_branch_written_not_the_events() {
        let rules = [
            rule(1, "global", None, "contents:write", Effect::Allow),
            Rule {
                conditions: Conditions {
                    branch: Some("main".into()),
                    ..Conditions::default()
                },
                ..rule(2, "repo:octo/app", None, "contents:write", Effect::Deny)
            },
        ];
        fn at<'a>(target: &'a Target, event_branch: Option<&'a str>) -> Request<'a> {
            Request {
                target,
                event_branch,
                ..request("contents:write")
            }
        }
        let main = &Target::of_ref("main");
        let dev = &Target::of_ref("refs/heads/dev");
        let both = &Target::refs(["dev", "main"]);
        let tag = &Target::of_ref("refs/tags/v1");
        assert_eq!(decide(&rules, &at(main, None)).effect, Effect::Deny);
        assert_eq!(decide(&rules, &at(main, Some("dev"))).effect, Effect::Deny);
        assert_eq!(decide(&rules, &at(both, Some("dev"))).effect, Effect::Deny);
        assert_eq!(decide(&rules, &at(dev, Some("main"))).effect, Effect::Allow);
        assert_eq!(decide(&rules, &at(tag, Some("main"))).effect, Effect::Allow);
        let unknown = decide(&rules, &at(&UNKNOWN, None));
        assert_eq!(unknown.effect, Effect::Deny, "fail closed");
        assert!(unknown.reason.contains("fail closed"), "{}", unknown.reason);
    }

    #[test]
    fn an_allow_on_a_branch_covers_only_writes_wholly_on_it() {
        let mut pages = rule(1, "repo:octo/app", None, "git:push", Effect::Allow);
        pages.conditions.branch = Some("gh-pages".into());
        let rules = [pages];
        fn on(target: &Target) -> Request<'_> {
            Request {
                target,
                ..request("git:push")
            }
        }
        let only = &Target::of_ref("gh-pages");
        let also_main = &Target::refs(["gh-pages", "main"]);
        assert_eq!(decide(&rules, &on(only)).effect, Effect::Allow);
        assert_eq!(decide(&rules, &on(also_main)).effect, Effect::Ask);
        assert_eq!(decide(&rules, &on(&UNKNOWN)).effect, Effect::Ask);
        assert_eq!(decide(&rules, &on(&NOTHING)).effect, Effect::Ask);
    }

    #[test]
    fn an_unknown_actor_permission_applies_deny_and_ask_but_not_allow() {
        let mut deny = rule(1, "global", None, "issues:write", Effect::Deny);
        deny.conditions.min_permission = Some(Permission::Read);
        let mut allow = rule(2, "global", None, "contents:write", Effect::Allow);
        allow.conditions.min_permission = Some(Permission::Read);
        let rules = [deny, allow];
        let unknown = |capability| Request {
            actor_permission: None,
            ..request(capability)
        };
        assert_eq!(
            decide(&rules, &unknown("issues:write")).effect,
            Effect::Deny
        );
        assert_eq!(
            decide(&rules, &unknown("contents:write")).effect,
            Effect::Ask
        );
        assert_eq!(
            decide(&rules, &request("issues:write")).effect,
            Effect::Deny
        );
        assert_eq!(
            decide(&rules, &request("contents:write")).effect,
            Effect::Allow
        );
    }

    #[test]
    fn an_enforced_global_rule_bounds_what_narrower_rules_may_loosen() {
        let mut ceiling = rule(1, "global", None, "contents:write", Effect::Ask);
        ceiling.enforced = true;
        let rules = [
            ceiling,
            rule(
                2,
                "repo:octo/app",
                Some("hooks"),
                "contents:write",
                Effect::Allow,
            ),
        ];
        let d = decide(&rules, &request("contents:write"));
        assert_eq!(d.effect, Effect::Ask);
        assert!(d.reason.contains("enforced"), "{}", d.reason);
        // Tightening is always possible.
        let rules = [
            rules[0].clone(),
            rule(3, "repo:octo/app", None, "contents:write", Effect::Deny),
        ];
        assert_eq!(
            decide(&rules, &request("contents:write")).effect,
            Effect::Deny
        );
    }

    #[test]
    fn the_explanation_lists_every_rule_with_why_it_did_not_apply() {
        let rules = [rule(
            7,
            "repo:octo/other",
            None,
            "issues:write",
            Effect::Deny,
        )];
        let d = decide(&rules, &request("issues:write"));
        let seven = d.considered.iter().find(|c| c.rule.id == 7).unwrap();
        assert!(seven
            .skipped_because
            .as_deref()
            .unwrap()
            .contains("does not cover"));
        assert!(
            d.reason.contains("built-in default issues:* -> allow"),
            "{}",
            d.reason
        );
    }
}
