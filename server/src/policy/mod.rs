//! The permission policy: every capability a plugin uses is decided here as allow,
//! ask (held until a maintainer approves) or deny, with an explanation.
//!
//! - `rule`: rules, their scopes, patterns, conditions and specificity;
//! - `target`: what a write changes (the refs it writes), for branch conditions;
//! - `engine`: the decision (most specific wins, stricter wins ties, enforced rules
//!   bound what narrower ones may loosen) and its explanation; pure;
//! - `store`: rules in the database (`policy_rules`);
//! - `gate`: where the decision is enforced: every host call a plugin makes passes
//!   it, is audited, and an `ask` holds the exact write with who caused it;
//! - `held`: what a held action is and how it runs once approved.
//!
//! Approving or denying a held action, and its other ends, are
//! `services::approvals`.
mod engine;
mod gate;
mod held;
mod rule;
pub mod store;
mod target;

pub use engine::{decide, Decision, Request};
pub use gate::{gate, DecidedOn, GateVerdict, Write, HOST};
pub use held::{HeldAction, HeldPack, HeldRef};
pub use rule::{builtin_rules, CapabilityPattern, Conditions, Effect, Permission, Rule, RuleScope};
pub use target::Target;
