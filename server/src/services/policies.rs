//! Managing policy rules (every change audited in the transaction that makes it) and
//! explaining decisions, for the CLI, the JSON API and the dashboard alike. Who may
//! change a rule is decided here too (`add_as`, `remove_as`): maintainers of its
//! repository for a `repo:` rule, admins for the others.
use sea_orm::{DatabaseConnection, DbErr, TransactionTrait};
use serde::Deserialize;
use thiserror::Error;

use crate::auth::{AccessDenied, Principal, Role};
use crate::crypto::AuditKey;
use crate::db::audit::{self, AuditEntry, ChainConflict};
use crate::domain::Visibility;
use crate::domain::{Actor, AuditAction};
use crate::policy::store as policies;
use crate::policy::{
    decide, CapabilityPattern, Conditions, Decision, Effect, Permission, Request, Rule, RuleScope,
    Target,
};

/// A rule as an operator writes it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleForm {
    /// `global`, `org:NAME` or `repo:OWNER/NAME`.
    pub scope: String,
    /// A plugin name, or absent for any plugin.
    pub plugin: Option<String>,
    /// A capability, `family:*` or `*`.
    pub capability: String,
    /// `allow`, `ask` or `deny`.
    pub effect: String,
    /// Only for writes to branches matching this glob (the branch written, not the
    /// event's).
    pub branch: Option<String>,
    /// Only for events on branches matching this glob.
    #[serde(default)]
    pub event_branch: Option<String>,
    /// Only when the actor has at least this permission.
    pub min_permission: Option<String>,
    /// A global rule narrower rules may not loosen.
    #[serde(default)]
    pub enforced: bool,
    /// For `ask`: how many distinct people must approve (1 when absent).
    #[serde(default)]
    pub approvals: Option<u32>,
}

/// Why a rule was refused.
#[derive(Debug, Error)]
pub enum PolicyError {
    /// 422: the rule is not valid; the text says which field.
    #[error("{0}")]
    Invalid(String),
    /// 404: no such rule.
    #[error("no policy rule with id {0}")]
    NotFound(i64),
    /// 403: the caller may not change rules of that scope.
    #[error("{0}")]
    Forbidden(AccessDenied),
    /// 503: the database failed.
    #[error("the database failed")]
    Database(#[from] DbErr),
}

impl ChainConflict for PolicyError {
    fn is_chain_conflict(&self) -> bool {
        matches!(self, Self::Database(e) if e.is_chain_conflict())
    }
}

impl TryFrom<RuleForm> for Rule {
    type Error = PolicyError;

    fn try_from(form: RuleForm) -> Result<Self, PolicyError> {
        let scope = RuleScope::parse(&form.scope).map_err(PolicyError::Invalid)?;
        if form.enforced && scope != RuleScope::Global {
            return Err(PolicyError::Invalid(
                "only global rules can be enforced".into(),
            ));
        }
        let min_permission = form
            .min_permission
            .as_deref()
            .map(|p| {
                Permission::parse(p).ok_or_else(|| {
                    PolicyError::Invalid(format!(
                        "`{p}` is not a permission (read, triage, write, maintain, admin)"
                    ))
                })
            })
            .transpose()?;
        let effect = Effect::parse(&form.effect).ok_or_else(|| {
            PolicyError::Invalid(format!("`{}` is not allow, ask or deny", form.effect))
        })?;
        let approvals = form.approvals.unwrap_or(1);
        if !(1..=Rule::MAX_APPROVALS).contains(&approvals) {
            return Err(PolicyError::Invalid(format!(
                "approvals must be 1 to {}",
                Rule::MAX_APPROVALS
            )));
        }
        if approvals > 1 && effect != Effect::Ask {
            return Err(PolicyError::Invalid(
                "approvals applies to ask rules only".into(),
            ));
        }
        Ok(Rule {
            id: 0,
            scope,
            plugin: form.plugin.filter(|p| !p.is_empty()),
            capability: CapabilityPattern::parse(&form.capability).map_err(PolicyError::Invalid)?,
            effect,
            conditions: Conditions {
                branch: form.branch.filter(|b| !b.is_empty()),
                event_branch: form.event_branch.filter(|b| !b.is_empty()),
                min_permission,
            },
            enforced: form.enforced,
            approvals,
        })
    }
}

/// Stores a rule and its audit row, in one transaction; returns its id.
///
/// # Errors
/// See [`PolicyError`].
pub async fn add(
    db: &DatabaseConnection,
    key: &AuditKey,
    actor: &Actor,
    form: RuleForm,
) -> Result<i64, PolicyError> {
    let rule = Rule::try_from(form)?;
    audit::retrying(|| async {
        let txn = db.begin().await?;
        let id = policies::insert(&txn, &rule).await?;
        let details = serde_json::to_string(&Rule { id, ..rule.clone() }).ok();
        audit::append(
            &txn,
            key,
            &change(actor, AuditAction::PolicyCreated, &rule, details),
        )
        .await?;
        txn.commit().await?;
        Ok(id)
    })
    .await
}

/// Checks that `caller` may change rules for `project` (`None`: a global or
/// organisation rule, which needs admin).
fn may_change(caller: &Principal, project: Option<&str>) -> Result<(), PolicyError> {
    match project {
        Some(repo) => caller.require(Role::Maintainer, Some(repo)),
        None => caller.require(Role::Admin, None),
    }
    .map_err(PolicyError::Forbidden)
}

/// [`add`] for a signed-in caller, who needs maintainer on the repository of a
/// `repo:` rule and admin for any other scope (one that does not parse included).
///
/// # Errors
/// [`PolicyError::Forbidden`] first; then as [`add`].
pub async fn add_as(
    db: &DatabaseConnection,
    key: &AuditKey,
    caller: &Principal,
    form: RuleForm,
) -> Result<i64, PolicyError> {
    may_change(caller, form.scope.trim().strip_prefix("repo:"))?;
    add(db, key, &caller.actor(), form).await
}

/// [`remove`] for a signed-in caller, who needs maintainer on the repository of a
/// `repo:` rule and admin for any other.
///
/// # Errors
/// [`PolicyError::NotFound`], [`PolicyError::Forbidden`]; then as [`remove`].
pub async fn remove_as(
    db: &DatabaseConnection,
    key: &AuditKey,
    caller: &Principal,
    id: i64,
) -> Result<(), PolicyError> {
    let rule = policies::find(db, id)
        .await?
        .ok_or(PolicyError::NotFound(id))?;
    may_change(
        caller,
        match &rule.scope {
            RuleScope::Repo(repo) => Some(repo.as_str()),
            RuleScope::Builtin | RuleScope::Global | RuleScope::Org(_) => None,
        },
    )?;
    remove(db, key, &caller.actor(), id).await
}

/// Deletes a rule with its audit row, in one transaction.
///
/// # Errors
/// See [`PolicyError`].
pub async fn remove(
    db: &DatabaseConnection,
    key: &AuditKey,
    actor: &Actor,
    id: i64,
) -> Result<(), PolicyError> {
    audit::retrying(|| async {
        let txn = db.begin().await?;
        let rule = policies::find(&txn, id)
            .await?
            .ok_or(PolicyError::NotFound(id))?;
        if !policies::delete(&txn, id).await? {
            return Err(PolicyError::NotFound(id));
        }
        let details = serde_json::to_string(&rule).ok();
        audit::append(
            &txn,
            key,
            &change(actor, AuditAction::PolicyDeleted, &rule, details),
        )
        .await?;
        txn.commit().await?;
        Ok(())
    })
    .await
}

fn change(actor: &Actor, action: AuditAction, rule: &Rule, details: Option<String>) -> AuditEntry {
    let mut entry = AuditEntry::new(actor.clone(), action)
        .capability(rule.capability.as_str())
        .decision(rule.effect.as_str())
        .outcome("ok");
    if let RuleScope::Repo(r) = &rule.scope {
        entry = entry.project(r.clone());
    }
    entry.details = details;
    entry
}

/// A hypothetical write for [`explain`].
#[derive(Debug, Clone, Default)]
pub struct Hypothesis<'a> {
    /// The plugin.
    pub plugin: &'a str,
    /// The capability.
    pub capability: &'a str,
    /// Whether the plugin declares it.
    pub declared: bool,
    /// `owner/name`.
    pub repository: &'a str,
    /// The branch the write changes; `None` for a write that changes no branch.
    pub branch: Option<&'a str>,
    /// The event's branch.
    pub event_branch: Option<&'a str>,
    /// The actor's permission; `None` when not known (conditions on it then fail
    /// closed, as in the gate).
    pub actor_permission: Option<Permission>,
}

/// Whether a reader who sees `visible` sees `scope`'s rules: built-in and global
/// rules always, an organisation's when one of their repositories belongs to it,
/// a repository's when they see it.
#[must_use]
pub fn visible_rule(visible: &Visibility, scope: &RuleScope) -> bool {
    match scope {
        RuleScope::Builtin | RuleScope::Global => true,
        RuleScope::Org(org) => visible.shows_org(org),
        RuleScope::Repo(repo) => visible.shows(Some(repo)),
    }
}

/// The stored rules `visible` shows (see [`visible_rule`]), oldest first.
///
/// # Errors
/// When the database fails.
pub async fn list_for(db: &DatabaseConnection, visible: &Visibility) -> Result<Vec<Rule>, DbErr> {
    let mut all = policies::all(db).await?;
    all.retain(|r| visible_rule(visible, &r.scope));
    Ok(all)
}

/// What would happen if `plugin` used `capability` on `repository`, as the gate
/// would decide it, explained to a reader who sees `visible`: the decision is made
/// under every rule, but `considered` lists only the rules that reader may see
/// (another organisation's or repository's rules never cover `repository`, so the
/// deciding rule is always among them).
///
/// # Errors
/// When the database fails.
pub async fn explain(
    db: &DatabaseConnection,
    visible: &Visibility,
    asked: &Hypothesis<'_>,
) -> Result<Decision, DbErr> {
    let Ok(capability) = asked.capability.parse::<crate::domain::Capability>() else {
        // The host never asks for a capability it does not know: nothing could use it.
        return Ok(Decision {
            effect: crate::policy::Effect::Deny,
            rule: None,
            reason: format!("`{}` is not a capability Gantry knows", asked.capability),
            considered: Vec::new(),
        });
    };
    let rules = policies::all(db).await?;
    let repository = asked.repository.to_ascii_lowercase();
    let target = asked.branch.map_or(Target::Nothing, Target::of_ref);
    let mut decision = decide(
        &rules,
        &Request {
            plugin: asked.plugin,
            capability: &capability,
            declared: asked.declared,
            repository: Some(&repository),
            target: &target,
            event_branch: asked.event_branch,
            actor_permission: asked.actor_permission,
        },
    );
    decision
        .considered
        .retain(|c| visible_rule(visible, &c.rule.scope));
    Ok(decision)
}
