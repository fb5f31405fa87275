//! The permission policy: every capability a plugin uses is decided here as allow,
//! ask (held until a maintainer approves) or deny, with an explanation.
//!
//! - `rule`: rules, their scopes, patterns, conditions and specificity;
//! - `target`: what a write changes (the refs it writes), for branch conditions;
//! - `engine`: the decision (most specific wins, stricter wins ties, enforced rules
//!   bound what narrower ones may loosen) and its explanation.
mod engine;
mod rule;
mod target;

pub use engine::{decide, Decision, Request};
pub use rule::{builtin_rules, CapabilityPattern, Conditions, Effect, Permission, Rule, RuleScope};
pub use target::Target;
