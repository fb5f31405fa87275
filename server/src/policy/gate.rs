//! The policy gate on every write a plugin makes: decides allow / ask / deny, and
//! records the decision; an `ask` stores exactly what would run, under an id derived
//! from the write's idempotency key (so a retried job finds its earlier approval
//! instead of asking again), with who caused it, the pull request head it was asked
//! for and how many approvals it needs. The held action and its audit rows are one
//! transaction.
use sea_orm::{DatabaseConnection, DbErr, TransactionTrait};

use super::HeldAction;
use super::{decide, Effect, Permission, Request, Rule, Target};
use crate::crypto::AuditKey;
use crate::db::approvals::{self, NewApproval};
use crate::db::audit::{self, AuditEntry};
use crate::domain::{Actor, ApprovalStatus, AuditAction, Capability, Cause, RepoRef};

/// The name Gantry's own writes go through the policy under, as a plugin's would
/// (its onboarding pull request): rules may name it as their plugin, and its held
/// writes are approved like any other.
pub const HOST: &str = "gantry";

/// One write a plugin wants to make, with everything the policy looks at.
#[derive(Debug)]
pub struct Write<'a> {
    /// The plugin.
    pub plugin: &'a str,
    /// Whether its manifest declares `capability`.
    pub declared: bool,
    /// The capability the write needs.
    pub capability: &'a Capability,
    /// The repository written to.
    pub repository: &'a RepoRef,
    /// The refs the write changes (branch conditions are decided on these).
    pub target: &'a Target,
    /// The event's branch (for `event_branch` conditions).
    pub event_branch: Option<&'a str>,
    /// The acting person's permission on the repository, when known.
    pub actor_permission: Option<Permission>,
    /// The delivery being handled.
    pub delivery_id: &'a str,
    /// The write's idempotency key.
    pub key: &'a str,
    /// What would run if held; `None` for a read or a check that is not a write
    /// (KV, HTTP, secrets): it cannot wait for an approval, so `ask` refuses it.
    pub action: Option<HeldAction>,
    /// Who and what caused the invocation making the write.
    pub cause: &'a Cause,
    /// The models (`provider/model`) that answered the invocation before this
    /// call: a write's audit rows say so.
    pub model: Option<&'a str>,
}

/// What the policy decided a held write on, stored with it so the policy can be
/// decided again, on the same inputs, just before the write runs.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct DecidedOn {
    /// The refs the write changes.
    pub target: Target,
    /// The event's branch.
    pub event_branch: Option<String>,
    /// The acting person's permission, when it was known.
    pub actor_permission: Option<Permission>,
}

/// What the gate says about a write.
#[derive(Debug)]
pub enum GateVerdict {
    /// Make the call now.
    Proceed,
    /// Refused, with the reason.
    Denied(String),
    /// Held for approval under this id.
    Held(String),
    /// Approved earlier and already run; this was its result.
    AlreadyDone(serde_json::Value),
}

/// Decides a write under `rules`, audits the decision, and holds it when asked to.
///
/// # Errors
/// When the database fails.
#[tracing::instrument(name = "policy.decision", skip_all, fields(plugin = write.plugin, capability = write.capability.as_str(), effect = tracing::field::Empty))]
pub async fn gate(
    db: &DatabaseConnection,
    key: &AuditKey,
    rules: &[Rule],
    write: Write<'_>,
) -> Result<GateVerdict, DbErr> {
    let full_name = write.repository.full_name();
    let decision = decide(
        rules,
        &Request {
            plugin: write.plugin,
            capability: write.capability,
            declared: write.declared,
            repository: Some(&full_name),
            target: write.target,
            event_branch: write.event_branch,
            actor_permission: write.actor_permission,
        },
    );
    tracing::Span::current().record("effect", decision.effect.as_str());
    let entry = |action: AuditAction| {
        AuditEntry::new(Actor::plugin(write.plugin), action)
            .project(full_name.clone())
            .capability(write.capability.as_str())
            .decision(decision.effect.as_str())
            .delivery(write.delivery_id)
    };
    let reason = match write.model.filter(|_| write.action.is_some()) {
        Some(model) => format!("{}; model: {model}", decision.reason),
        None => decision.reason.clone(),
    };
    let decided = entry(AuditAction::PolicyDecision).details(reason);
    match decision.effect {
        Effect::Allow => {
            audit::record(db, key, decided).await?;
            Ok(GateVerdict::Proceed)
        }
        Effect::Deny => {
            audit::record(db, key, decided).await?;
            Ok(GateVerdict::Denied(decision.reason))
        }
        Effect::Ask if write.action.is_none() => {
            let model = matches!(write.capability, Capability::Model(_));
            let why = if model {
                "a model call cannot be held for approval: the plugin needs the answer now"
            } else {
                "a read cannot wait for approval"
            };
            let decided = if model {
                decided.details(format!("{} ({why}: refused)", decision.reason))
            } else {
                decided
            };
            audit::record(db, key, decided).await?;
            Ok(GateVerdict::Denied(format!(
                "{} ({why}; allow or deny {})",
                decision.reason, write.capability
            )))
        }
        Effect::Ask => {
            let public_id = format!("ap_{}", write.key);
            let action =
                serde_json::to_string(&write.action).map_err(|e| DbErr::Custom(e.to_string()))?;
            let requested = entry(AuditAction::ApprovalRequested)
                .outcome(ApprovalStatus::Pending.as_str())
                .details(public_id.clone());
            let pull = write.cause.pull_request.as_ref();
            let decided_on = serde_json::to_string(&DecidedOn {
                target: write.target.clone(),
                event_branch: write.event_branch.map(str::to_owned),
                actor_permission: write.actor_permission,
            })
            .map_err(|e| DbErr::Custom(e.to_string()))?;
            audit::retrying(|| async {
                let txn = db.begin().await?;
                let gate = match approvals::find(&txn, &public_id).await? {
                    Some(existing) => earlier(existing, &public_id),
                    None => {
                        approvals::create(
                            &txn,
                            NewApproval {
                                public_id: &public_id,
                                delivery_id: write.delivery_id,
                                plugin: write.plugin,
                                capability: write.capability.as_str(),
                                repository: &full_name,
                                action: &action,
                                requested_by: &write.cause.people,
                                pull_number: pull.map(|p| p.number),
                                head_sha: pull.and_then(|p| p.head_sha.as_deref()),
                                decided_on: Some(&decided_on),
                                approvals_required: decision.approvals_required(),
                            },
                        )
                        .await?;
                        audit::append(&txn, key, &requested).await?;
                        GateVerdict::Held(public_id.clone())
                    }
                };
                audit::append(&txn, key, &decided).await?;
                txn.commit().await?;
                Ok(gate)
            })
            .await
        }
    }
}

/// What an earlier approval of the same write says now.
fn earlier(existing: crate::db::entities::approvals::Model, public_id: &str) -> GateVerdict {
    match approvals::status(&existing) {
        ApprovalStatus::Executed => GateVerdict::AlreadyDone(
            existing
                .result
                .and_then(|r| serde_json::from_str(&r).ok())
                .unwrap_or_default(),
        ),
        ApprovalStatus::Denied => GateVerdict::Denied(format!(
            "approval {public_id} was denied by {}",
            existing.decided_by.unwrap_or_default()
        )),
        ApprovalStatus::Expired | ApprovalStatus::Superseded | ApprovalStatus::Stopped => {
            GateVerdict::Denied(format!(
                "approval {public_id} ended {}: {}",
                existing.status,
                existing.reason.unwrap_or_default()
            ))
        }
        ApprovalStatus::Pending
        | ApprovalStatus::Approved
        | ApprovalStatus::Retrying
        | ApprovalStatus::Failed => GateVerdict::Held(public_id.to_owned()),
    }
}
