//! The approvals sweep, run on a timer beside the workers: expires held actions
//! nobody decided in time (audited, never run), marks approved actions whose run
//! never finished as failed (so they can be approved again or denied), then tells
//! each plugin how its held actions ended by calling its `approval-resolved` export
//! once per approval. The claim is a conditional update, so with several workers or
//! replicas each approval is told once; a plugin that fails to handle the news is
//! logged, not retried.
use chrono::Utc;

use crate::db::approvals;
use crate::domain::{ApprovalStatus, Cause, PullHead, RepoRef};
use crate::policy::store as policies;
use crate::services::approvals as held;
use crate::services::installed::active;
use crate::services::AppState;
use crate::wasm_host::{ApprovalNotice, JobEnv};

/// Approvals told per sweep at most; the next sweep takes the rest.
const BATCH: u64 = 16;

/// How long an approved action may run before it counts as never finishing: far
/// longer than any run (a copy of the largest artifact included) takes.
const RUN_GIVEN_UP_AFTER: chrono::Duration = chrono::Duration::hours(1);

/// One sweep. Returns how many plugins were told.
///
/// # Errors
/// When the database fails.
pub async fn sweep(state: &AppState) -> anyhow::Result<usize> {
    let ttl = chrono::Duration::seconds(
        i64::try_from(state.settings.approvals.expire_after_secs).unwrap_or(i64::MAX / 2),
    );
    for row in held::expire(&state.db, state.audit_key(), Utc::now() - ttl).await? {
        tracing::info!(approval = %row.public_id, plugin = %row.plugin, "held action expired");
    }
    held::abandon(
        &state.db,
        state.audit_key(),
        Utc::now() - RUN_GIVEN_UP_AFTER,
    )
    .await?;
    let claimed = approvals::claim_unnotified(&state.db, BATCH).await?;
    if claimed.is_empty() {
        return Ok(0);
    }
    let rules = std::sync::Arc::new(policies::all(&state.db).await?);
    let mut told = 0;
    for row in claimed {
        let github = match state.github_for_delivery(&row.delivery_id).await {
            Ok(github) => github,
            Err(err) => {
                tracing::error!(approval = %row.public_id, error = %err, "no GitHub credentials to tell the plugin with; it is not told");
                continue;
            }
        };
        let env = JobEnv {
            github,
            db: state.db.clone(),
            rules: rules.clone(),
            services: state.host_services.clone(),
            actors: Default::default(),
            stop: Default::default(),
        };
        let Some((owner, name)) = row.repository.split_once('/') else {
            continue;
        };
        let repository = RepoRef {
            owner: owner.to_owned(),
            name: name.to_owned(),
        };
        let active = active::for_repository(&state.db, &state.plugins, Some(&repository)).await?;
        let Some(found) = active
            .all()
            .iter()
            .find(|p| p.plugin.manifest.name == row.plugin)
        else {
            tracing::warn!(approval = %row.public_id, plugin = %row.plugin, "the plugin of a decided approval is no longer enabled there; it is not told");
            continue;
        };
        let outcome = approvals::status(&row);
        let detail = match outcome {
            // Told as `denied` (WIT v0.1 has no such outcome); the detail says why.
            ApprovalStatus::Superseded | ApprovalStatus::Stopped => row
                .reason
                .clone()
                .map(|r| format!("{}: {r}", outcome.as_str())),
            _ => row.result.clone().or(row.reason.clone()),
        };
        let cause = Cause {
            people: approvals::requesters(&row),
            pull_request: row
                .pull_number
                .and_then(|n| u64::try_from(n).ok())
                .map(|number| PullHead {
                    number,
                    head_sha: row.head_sha.clone(),
                }),
        };
        let notice = ApprovalNotice {
            id: row.public_id.clone(),
            capability: row.capability.clone(),
            repository,
            outcome,
            decided_by: row.decided_by.clone(),
            detail,
            delivery_id: row.delivery_id.clone(),
            config: Some(found.config.clone()),
            cause,
        };
        let report = state
            .runtime
            .invoke_approval(&found.plugin, &notice, &env)
            .await;
        tracing::info!(
            plugin = %report.plugin,
            approval = %row.public_id,
            outcome = report.outcome.as_str(),
            message = report.message.as_deref().unwrap_or(""),
            "plugin told how its held action ended"
        );
        state
            .metrics
            .plugin_invocations
            .with_label_values(&[&report.plugin, report.outcome.as_str()])
            .inc();
        told += 1;
    }
    Ok(told)
}
