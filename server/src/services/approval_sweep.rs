//! The approvals sweep, run on a timer beside the workers: expires held actions
//! nobody decided in time (audited, never run), then tells each plugin how its held
//! actions ended by calling its `approval-resolved` export once per approval. The
//! claim is a conditional update, so with several workers or replicas each approval
//! is told once; a plugin that fails to handle the news is logged, not retried.
use chrono::Utc;

use crate::db::approvals;
use crate::db::audit::{self, AuditEntry};
use crate::db::policies;
use crate::domain::RepoRef;
use crate::plugins::{ApprovalNotice, HostEnv};
use crate::services::plugins::active;
use crate::state::AppState;

/// Approvals told per sweep at most; the next sweep takes the rest.
const BATCH: u64 = 16;

/// One sweep. Returns how many plugins were told.
///
/// # Errors
/// When the database fails.
pub async fn sweep(state: &AppState) -> anyhow::Result<usize> {
    let ttl = chrono::Duration::seconds(
        i64::try_from(state.settings.approvals.expire_after_secs).unwrap_or(i64::MAX / 2),
    );
    for row in approvals::expire(&state.db, Utc::now() - ttl).await? {
        tracing::info!(approval = %row.public_id, plugin = %row.plugin, "held action expired");
        let entry = AuditEntry {
            actor: "gantry".into(),
            actor_kind: "system".into(),
            action: "approval.expired".into(),
            project: Some(row.repository.clone()),
            capability: Some(row.capability.clone()),
            decision: Some("ask".into()),
            outcome: Some("expired".into()),
            delivery_id: Some(row.delivery_id.clone()),
            details: Some(row.public_id.clone()),
        };
        audit::append(&state.db, entry).await?;
    }
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
        let env = HostEnv {
            github,
            db: state.db.clone(),
            rules: rules.clone(),
            services: state.host_services.clone(),
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
        let notice = ApprovalNotice {
            id: row.public_id.clone(),
            capability: row.capability.clone(),
            repository,
            outcome: row.status.clone(),
            decided_by: row.decided_by.clone(),
            detail: row.result.clone().or(row.reason.clone()),
            delivery_id: row.delivery_id.clone(),
            config: Some(found.config.clone()),
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
