//! Managing policy rules (every change audited) and explaining decisions, for the
//! CLI and the JSON API alike.
use sea_orm::{DatabaseConnection, DbErr};
use serde::Deserialize;
use thiserror::Error;

use crate::db::audit::{self, AuditEntry};
use crate::db::policies;
use crate::policy::{
    decide, CapabilityPattern, Conditions, Decision, Effect, Permission, Request, Rule, RuleScope,
};

/// A rule as an operator writes it.
#[derive(Debug, Clone, Deserialize)]
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
    /// Only for events on branches matching this glob.
    pub branch: Option<String>,
    /// Only when the actor has at least this permission.
    pub min_permission: Option<String>,
    /// A global rule narrower rules may not loosen.
    #[serde(default)]
    pub enforced: bool,
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
    /// 503: the database failed.
    #[error("the database failed")]
    Database(#[from] DbErr),
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
        Ok(Rule {
            id: 0,
            scope,
            plugin: form.plugin.filter(|p| !p.is_empty()),
            capability: CapabilityPattern::parse(&form.capability).map_err(PolicyError::Invalid)?,
            effect: Effect::parse(&form.effect).ok_or_else(|| {
                PolicyError::Invalid(format!("`{}` is not allow, ask or deny", form.effect))
            })?,
            conditions: Conditions {
                branch: form.branch.filter(|b| !b.is_empty()),
                min_permission,
            },
            enforced: form.enforced,
        })
    }
}

/// Stores a rule and audits it; returns its id.
///
/// # Errors
/// See [`PolicyError`].
pub async fn add(db: &DatabaseConnection, form: RuleForm, actor: &str) -> Result<i64, PolicyError> {
    let rule = Rule::try_from(form)?;
    let id = policies::insert(db, &rule).await?;
    let details = serde_json::to_string(&Rule { id, ..rule.clone() }).ok();
    audit::append(db, change(actor, "policy.created", &rule, details)).await?;
    Ok(id)
}

/// Deletes a rule and audits it.
///
/// # Errors
/// See [`PolicyError`].
pub async fn remove(db: &DatabaseConnection, id: i64, actor: &str) -> Result<(), PolicyError> {
    let rule = policies::all(db)
        .await?
        .into_iter()
        .find(|r| r.id == id)
        .ok_or(PolicyError::NotFound(id))?;
    policies::delete(db, id).await?;
    audit::append(
        db,
        change(
            actor,
            "policy.deleted",
            &rule,
            serde_json::to_string(&rule).ok(),
        ),
    )
    .await?;
    Ok(())
}

fn change(actor: &str, action: &str, rule: &Rule, details: Option<String>) -> AuditEntry {
    AuditEntry {
        actor: actor.to_owned(),
        actor_kind: "user".into(),
        action: action.into(),
        project: match &rule.scope {
            RuleScope::Repo(r) => Some(r.clone()),
            _ => None,
        },
        capability: Some(rule.capability.as_str().to_owned()),
        decision: Some(rule.effect.as_str().into()),
        outcome: Some("ok".into()),
        delivery_id: None,
        details,
    }
}

/// What would happen if `plugin` used `capability` on `repository`.
///
/// # Errors
/// When the database fails.
pub async fn explain(
    db: &DatabaseConnection,
    plugin: &str,
    capability: &str,
    declared: bool,
    repository: &str,
    branch: Option<&str>,
    actor_permission: Option<Permission>,
) -> Result<Decision, DbErr> {
    let rules = policies::all(db).await?;
    let repository = repository.to_ascii_lowercase();
    Ok(decide(
        &rules,
        &Request {
            plugin,
            capability,
            declared,
            repository: Some(&repository),
            branch,
            actor_permission,
        },
    ))
}
