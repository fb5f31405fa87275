//! Queries on `policy_rules`, converting rows to and from `policy::Rule`.
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait, QueryOrder,
};

use super::{CapabilityPattern, Conditions, Effect, Permission, Rule, RuleScope};
use crate::db::entities::policy_rules;

/// Stores a rule (its `id` is ignored); returns the new id.
///
/// # Errors
/// When the database fails.
pub async fn insert<C: ConnectionTrait>(db: &C, rule: &Rule) -> Result<i64, DbErr> {
    let (scope, scope_name) = match &rule.scope {
        RuleScope::Builtin | RuleScope::Global => ("global", String::new()),
        RuleScope::Org(n) => ("org", n.clone()),
        RuleScope::Repo(n) => ("repo", n.clone()),
    };
    let row = policy_rules::ActiveModel {
        scope: Set(scope.into()),
        scope_name: Set(scope_name),
        plugin: Set(rule.plugin.clone()),
        capability: Set(rule.capability.as_str().to_owned()),
        effect: Set(rule.effect.as_str().into()),
        branch: Set(rule.conditions.branch.clone()),
        event_branch: Set(rule.conditions.event_branch.clone()),
        min_permission: Set(rule
            .conditions
            .min_permission
            .map(|p| format!("{p:?}").to_lowercase())),
        enforced: Set(rule.enforced),
        approvals: Set(i32::try_from(rule.approvals).unwrap_or(1)),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(row.id)
}

/// Every stored rule, oldest first. Rows that no longer parse are skipped and
/// logged (they can only come from editing the table by hand).
///
/// # Errors
/// When the database fails.
pub async fn all<C: ConnectionTrait>(db: &C) -> Result<Vec<Rule>, DbErr> {
    let rows = policy_rules::Entity::find()
        .order_by_asc(policy_rules::Column::Id)
        .all(db)
        .await?;
    Ok(rows.into_iter().filter_map(|row| to_rule(&row).map_err(|e| tracing::error!(rule = row.id, error = %e, "unreadable policy rule ignored")).ok()).collect())
}

fn to_rule(row: &policy_rules::Model) -> Result<Rule, String> {
    let scope = match row.scope.as_str() {
        "global" => RuleScope::Global,
        "org" => RuleScope::Org(row.scope_name.clone()),
        "repo" => RuleScope::Repo(row.scope_name.clone()),
        other => return Err(format!("unknown scope {other}")),
    };
    Ok(Rule {
        id: row.id,
        scope,
        plugin: row.plugin.clone(),
        capability: CapabilityPattern::parse(&row.capability)?,
        effect: Effect::parse(&row.effect).ok_or("unknown effect")?,
        conditions: Conditions {
            branch: row.branch.clone(),
            event_branch: row.event_branch.clone(),
            min_permission: row
                .min_permission
                .as_deref()
                .map(|p| Permission::parse(p).ok_or("unknown permission"))
                .transpose()?,
        },
        enforced: row.enforced,
        approvals: u32::try_from(row.approvals).unwrap_or(1).max(1),
    })
}

/// One rule by id; `None` when there is none (or it no longer parses).
///
/// # Errors
/// When the database fails.
pub async fn find<C: ConnectionTrait>(db: &C, id: i64) -> Result<Option<Rule>, DbErr> {
    Ok(policy_rules::Entity::find_by_id(id)
        .one(db)
        .await?
        .and_then(|row| to_rule(&row).ok()))
}

/// Deletes a rule; returns whether it existed.
///
/// # Errors
/// When the database fails.
pub async fn delete<C: ConnectionTrait>(db: &C, id: i64) -> Result<bool, DbErr> {
    Ok(policy_rules::Entity::delete_by_id(id)
        .exec(db)
        .await?
        .rows_affected
        == 1)
}
