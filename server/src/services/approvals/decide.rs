//! Deciding a held action: the one function the JSON API, the dashboard and comment
//! commands call. It finds the action, checks the decider's right (how that is
//! established is the only thing the callers differ in: a dashboard or API role, or
//! a commenter's permission on GitHub), applies separation of duties, counts
//! distinct approvals up to the quorum, checks the policy again, runs the action
//! once with the right GitHub client, and audits every step in the transaction that
//! makes it.
use sea_orm::{DbErr, TransactionTrait};
use serde_json::json;
use thiserror::Error;

use super::recheck;
use crate::auth::{Principal, Role};
use crate::db::approvals;
use crate::db::audit::{self, AuditEntry, ChainConflict};
use crate::db::entities::approvals::Model as Held;
use crate::domain::{Actor, ApprovalStatus, AuditAction, RepoRef};
use crate::policy::HeldAction;
use crate::policy::Permission;
use crate::services::AppState;

/// Approve or deny.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Approve (run it once enough distinct people have; again, if it failed).
    Approve,
    /// Deny: it never runs.
    Deny,
}

/// How the decider's right to decide is established.
#[derive(Debug, Clone, Copy)]
pub enum Right<'a> {
    /// A dashboard or API caller: the maintainer role on the action's repository.
    Principal(&'a Principal),
    /// A GitHub commenter: their permission (at least maintain) on the repository
    /// the comment is on, which must be the action's.
    GitHub {
        /// Where the comment is.
        repository: &'a RepoRef,
        /// The commenter's permission there, from GitHub.
        permission: Permission,
    },
}

/// Who decides, and why they may.
#[derive(Debug, Clone)]
pub struct Decider<'a> {
    /// Who, as the audit log and the approvers' list record them.
    pub actor: Actor,
    /// Their right.
    pub right: Right<'a>,
}

/// What a decision did.
#[derive(Debug, Clone, PartialEq)]
pub enum Decided {
    /// Denied; it never runs.
    Denied,
    /// The approval was counted; more distinct approvers are needed.
    Waiting {
        /// Approvals so far.
        votes: u32,
        /// Approvals needed.
        required: u32,
    },
    /// It ran; what it returned.
    Executed(serde_json::Value),
}

/// Why deciding an approval failed. Nothing changed, except as said.
#[derive(Debug, Error)]
pub enum ApprovalError {
    /// 404: no such approval, or none the caller may see.
    #[error("no approval with id {0}")]
    NotFound(String),
    /// 403: the caller may see it but not decide it (their role or permission is
    /// too low, they caused it, or they are a bot or Gantry itself).
    #[error("{0}")]
    Forbidden(String),
    /// 409: it was already decided (or is being run).
    #[error("approval {id} is already {status}")]
    AlreadyDecided {
        /// The approval.
        id: String,
        /// Its status.
        status: String,
    },
    /// 409: this person approved it already; another must.
    #[error("you approved {0} already; it needs approvals from other people")]
    AlreadyApproved(String),
    /// 409: the policy in force now refuses it; it was stopped and never runs.
    #[error("approval {id} was stopped: {reason}")]
    Stopped {
        /// The approval.
        id: String,
        /// Why.
        reason: String,
    },
    /// 502: GitHub refused or failed; the approval is `failed` and can be approved
    /// again.
    #[error("the approved action failed: {0}")]
    Failed(String),
    /// 503: the database failed.
    #[error("the database failed")]
    Database(#[from] DbErr),
}

impl ChainConflict for ApprovalError {
    fn is_chain_conflict(&self) -> bool {
        matches!(self, Self::Database(e) if e.is_chain_conflict())
    }
}

/// Decides the held action `id` for `decider`.
///
/// # Errors
/// See [`ApprovalError`].
#[tracing::instrument(skip_all, fields(approval = %id, decision = ?decision, by = %decider.actor.name()))]
pub async fn decide(
    state: &AppState,
    decider: &Decider<'_>,
    id: &str,
    decision: Decision,
    reason: Option<&str>,
) -> Result<Decided, ApprovalError> {
    let held = approvals::find(&state.db, id)
        .await?
        .ok_or_else(|| ApprovalError::NotFound(id.to_owned()))?;
    authorise(&decider.right, &held)?;
    match decision {
        Decision::Deny => deny(state, &decider.actor, &held, reason).await,
        Decision::Approve => {
            separate(state, &decider.actor, &held).await?;
            let from = approvals::status(&held);
            if !matches!(from, ApprovalStatus::Pending | ApprovalStatus::Failed) {
                return Err(already(id, &held.status));
            }
            let required = match recheck::recheck(state, &held).await? {
                Ok(required) => required.max(u32::try_from(held.approvals_required).unwrap_or(1)),
                Err(why) => return Err(stop(state, &held, from, why).await?),
            };
            if from == ApprovalStatus::Failed {
                retry(state, &decider.actor, &held, reason).await?;
            } else if let Some(waiting) =
                approve(state, &decider.actor, &held, required, reason).await?
            {
                return Ok(waiting);
            }
            run(state, &held).await.map(Decided::Executed)
        }
    }
}

fn already(id: &str, status: &str) -> ApprovalError {
    ApprovalError::AlreadyDecided {
        id: id.to_owned(),
        status: status.to_owned(),
    }
}

/// Checks the decider's right on the held action's repository.
fn authorise(right: &Right<'_>, held: &Held) -> Result<(), ApprovalError> {
    match right {
        Right::Principal(principal) => {
            if !principal.visible_projects().shows(Some(&held.repository)) {
                return Err(ApprovalError::NotFound(held.public_id.clone()));
            }
            principal
                .require(Role::Maintainer, Some(&held.repository))
                .map_err(|denied| ApprovalError::Forbidden(denied.to_string()))
        }
        Right::GitHub {
            repository,
            permission,
        } => {
            if !held
                .repository
                .eq_ignore_ascii_case(&repository.full_name())
            {
                return Err(ApprovalError::NotFound(held.public_id.clone()));
            }
            if *permission < Permission::Maintain {
                return Err(ApprovalError::Forbidden(
                    "only maintainers can decide held actions".into(),
                ));
            }
            Ok(())
        }
    }
}

/// Separation of duties: whoever caused the action, any bot, and Gantry's own
/// identity may not approve it.
async fn separate(state: &AppState, actor: &Actor, held: &Held) -> Result<(), ApprovalError> {
    if actor.is_bot() {
        return Err(ApprovalError::Forbidden(
            "a bot cannot approve held actions".into(),
        ));
    }
    let Some(github) = actor.github_login().map(str::to_ascii_lowercase) else {
        return Ok(());
    };
    if approvals::requesters(held).contains(&github) {
        return Err(ApprovalError::Forbidden(format!(
            "{github} caused this action and cannot approve it; someone else must"
        )));
    }
    match state.own_login().await {
        Ok(Some(own)) if own == github => Err(ApprovalError::Forbidden(
            "Gantry's own GitHub identity cannot approve held actions".into(),
        )),
        Ok(_) => Ok(()),
        Err(err) => Err(ApprovalError::Forbidden(format!(
            "GitHub could not say who Gantry is, so approvals by GitHub identities wait: {err}"
        ))),
    }
}

/// Denies a pending (or failed) action, with its audit row.
async fn deny(
    state: &AppState,
    actor: &Actor,
    held: &Held,
    reason: Option<&str>,
) -> Result<Decided, ApprovalError> {
    let entry = record(actor.clone(), AuditAction::ApprovalDenied, held, "denied").details(
        reason.map_or_else(
            || held.public_id.clone(),
            |r| format!("{}: {r}", held.public_id),
        ),
    );
    audit::retrying(|| async {
        let txn = state.db.begin().await?;
        let from = [ApprovalStatus::Pending, ApprovalStatus::Failed];
        if !approvals::transition(
            &txn,
            &held.public_id,
            &from,
            ApprovalStatus::Denied,
            Some(actor.name()),
            reason,
        )
        .await?
        {
            return Err(now(&txn, held).await?);
        }
        audit::append(&txn, state.audit_key(), &entry).await?;
        txn.commit().await?;
        Ok(Decided::Denied)
    })
    .await
}

/// Counts one approval (one per person); when it is the last one needed, the action
/// becomes `approved` in the same transaction. `None` means run it now.
async fn approve(
    state: &AppState,
    actor: &Actor,
    held: &Held,
    required: u32,
    reason: Option<&str>,
) -> Result<Option<Decided>, ApprovalError> {
    audit::retrying(|| async {
        let txn = state.db.begin().await?;
        let Some(votes) = approvals::count_vote(&txn, &held.public_id).await? else {
            return Err(now(&txn, held).await?);
        };
        if !approvals::add_vote(&txn, held.id, actor).await? {
            return Err(ApprovalError::AlreadyApproved(held.public_id.clone()));
        }
        let votes = u32::try_from(votes).unwrap_or(0);
        let details = json!({ "approval": held.public_id, "approvals": votes, "required": required, "reason": reason });
        let entry = record(actor.clone(), AuditAction::ApprovalApproved, held, "approved")
            .details(details.to_string());
        audit::append(&txn, state.audit_key(), &entry).await?;
        if votes < required {
            txn.commit().await?;
            return Ok(Some(Decided::Waiting { votes, required }));
        }
        let approvers: Vec<String> = approvals::votes(&txn, held.id)
            .await?
            .into_iter()
            .map(|v| v.actor)
            .collect();
        let moved = approvals::transition(
            &txn,
            &held.public_id,
            &[ApprovalStatus::Pending],
            ApprovalStatus::Approved,
            Some(&approvers.join(", ")),
            reason,
        )
        .await?;
        if !moved {
            return Err(now(&txn, held).await?);
        }
        txn.commit().await?;
        Ok(None)
    })
    .await
}

/// Moves a failed action to `retrying`, once: of two concurrent retries one wins,
/// the other is told it is already retrying. Audited per attempt.
async fn retry(
    state: &AppState,
    actor: &Actor,
    held: &Held,
    reason: Option<&str>,
) -> Result<(), ApprovalError> {
    let entry = record(
        actor.clone(),
        AuditAction::ApprovalRetried,
        held,
        "retrying",
    )
    .details(json!({ "approval": held.public_id, "reason": reason }).to_string());
    audit::retrying(|| async {
        let txn = state.db.begin().await?;
        let from = [ApprovalStatus::Failed];
        if !approvals::transition(
            &txn,
            &held.public_id,
            &from,
            ApprovalStatus::Retrying,
            None,
            None,
        )
        .await?
        {
            return Err(now(&txn, held).await?);
        }
        audit::append(&txn, state.audit_key(), &entry).await?;
        txn.commit().await?;
        Ok(())
    })
    .await
}

/// Stops an action the policy now refuses (audited); returns the error to answer.
async fn stop(
    state: &AppState,
    held: &Held,
    from: ApprovalStatus,
    why: String,
) -> Result<ApprovalError, ApprovalError> {
    let entry = record(
        Actor::system(),
        AuditAction::ApprovalStopped,
        held,
        "stopped",
    )
    .details(format!("{}: {why}", held.public_id));
    audit::retrying(|| async {
        let txn = state.db.begin().await?;
        if !approvals::transition(
            &txn,
            &held.public_id,
            &[from],
            ApprovalStatus::Stopped,
            Some("gantry"),
            Some(&why),
        )
        .await?
        {
            return Err(now(&txn, held).await?);
        }
        audit::append(&txn, state.audit_key(), &entry).await?;
        txn.commit().await?;
        Ok(())
    })
    .await?;
    tracing::info!(approval = %held.public_id, %why, "approved action stopped by the policy");
    Ok(ApprovalError::Stopped {
        id: held.public_id.clone(),
        reason: why,
    })
}

/// Runs an approved (or retrying) action once and records how it ended.
async fn run(state: &AppState, held: &Held) -> Result<serde_json::Value, ApprovalError> {
    let outcome = match serde_json::from_str::<HeldAction>(&held.action) {
        Err(e) => Err(format!("unreadable held action: {e}")),
        Ok(action) => match state.github_for_delivery(&held.delivery_id).await {
            Err(e) => Err(format!("no GitHub credentials for it: {e}")),
            // Look first: if an earlier run of this approval got as far as GitHub,
            // its comment carries the marker and is not made again.
            Ok(github) => action.run(&github, true).await.map_err(|e| e.to_string()),
        },
    };
    let (status, result, label) = match &outcome {
        Ok(result) => (ApprovalStatus::Executed, result.to_string(), "ok"),
        Err(message) => (ApprovalStatus::Failed, message.clone(), "failed"),
    };
    let entry = record(
        Actor::plugin(&held.plugin),
        AuditAction::ActionExecuted,
        held,
        label,
    )
    .details(held.public_id.clone());
    audit::retrying(|| async {
        let txn = state.db.begin().await?;
        approvals::finish(&txn, &held.public_id, status, &result).await?;
        audit::append(&txn, state.audit_key(), &entry).await?;
        txn.commit().await?;
        Ok::<_, DbErr>(())
    })
    .await?;
    outcome.map_err(ApprovalError::Failed)
}

/// The audit row of a step in an approval's life.
pub(super) fn record(actor: Actor, action: AuditAction, held: &Held, outcome: &str) -> AuditEntry {
    AuditEntry::new(actor, action)
        .project(held.repository.clone())
        .capability(held.capability.clone())
        .decision("ask")
        .outcome(outcome)
        .delivery(held.delivery_id.clone())
}

/// The error for an approval someone else moved first, reading its status now.
async fn now<C: sea_orm::ConnectionTrait>(conn: &C, held: &Held) -> Result<ApprovalError, DbErr> {
    let status = approvals::find(conn, &held.public_id)
        .await?
        .map_or_else(|| "gone".to_owned(), |a| a.status);
    Ok(already(&held.public_id, &status))
}
