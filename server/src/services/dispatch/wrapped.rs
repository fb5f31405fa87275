//! One plugin run of a job with the hooks around it (`services::around`): the `pre`
//! hooks, which may block it or hold it back until the job's retry, the run itself,
//! then the `post` hooks with its outcome. Every hook invocation is recorded as a run
//! of its own (`<hook> pre <target>`), so a retried job does not repeat those done.
//! Once the job is cancelled (its stop signal raised) nothing more of it runs.
use crate::db::audit::{self, AuditEntry};
use crate::db::runs;
use crate::domain::{Actor, AuditAction};
use crate::services::around::{self, Stage, Target, TargetOutcome};
use crate::services::installed::active::ActivePlugin;
use crate::wasm_host::Outcome;

use super::{settle, JobOutcome, JobRun};

/// What the `pre` hooks decided.
enum PreHookOutcome {
    /// Run the target.
    Go,
    /// A hook must be retried first: the target waits for the job's next attempt.
    Wait,
    /// A blocking hook failed: the target does not run.
    Blocked(String),
}

impl JobRun<'_> {
    /// Runs `plugin` for `target` with its hooks (none around hook plugins).
    pub(super) async fn wrapped(
        &self,
        plugin: &ActivePlugin,
        target: Target<'_>,
        outcome: &mut JobOutcome,
    ) -> anyhow::Result<()> {
        let hooked = !around::is_hook(plugin);
        if hooked {
            match self.pre(&target, outcome).await? {
                PreHookOutcome::Go => {}
                PreHookOutcome::Wait => return Ok(()),
                PreHookOutcome::Blocked(reason) => return self.block(&target, reason).await,
            }
        }
        // Cancelled meanwhile (job control): nothing more runs.
        if self.env.stop.raised() {
            return Ok(());
        }
        let report = match target.command {
            Some(command) => {
                self.state
                    .runtime
                    .invoke_command(&plugin.plugin, command, self.env)
                    .await
            }
            None => {
                self.state
                    .runtime
                    .invoke(&plugin.plugin, target.event, self.env)
                    .await
            }
        };
        let ended = TargetOutcome {
            result: report.outcome.as_str().to_owned(),
            message: report.message.clone(),
        };
        let retried = report.outcome == Outcome::Retry;
        settle(
            self.state,
            self.job,
            self.delivery_id,
            target.run_name,
            report,
            outcome,
        )
        .await?;
        if hooked && !retried && !self.env.stop.raised() {
            self.post(&target, &ended, outcome).await?;
        }
        Ok(())
    }

    async fn pre(
        &self,
        target: &Target<'_>,
        outcome: &mut JobOutcome,
    ) -> anyhow::Result<PreHookOutcome> {
        for call in around::calls(self.active, Stage::Pre, target, None) {
            if self.env.stop.raised() {
                return Ok(PreHookOutcome::Wait);
            }
            let hook = call.hook.plugin.manifest.name.as_str();
            // Done on an earlier attempt: it let the target run then (had it blocked,
            // the target's run would be recorded too, and the target skipped).
            if self.finished.contains(&call.run_name) {
                continue;
            }
            if self.disabled.iter().any(|d| d == hook) {
                if call.blocking {
                    return Ok(PreHookOutcome::Blocked(format!(
                        "the blocking hook plugin {hook} is disabled after crashing"
                    )));
                }
                continue;
            }
            let report = self
                .state
                .runtime
                .invoke(&call.hook.plugin, &call.event, self.env)
                .await;
            let failed = matches!(
                report.outcome,
                Outcome::Failed | Outcome::Trapped | Outcome::TimedOut
            );
            let why = format!(
                "{}: {}",
                report.outcome.as_str(),
                report.message.as_deref().unwrap_or("no message")
            );
            let retry = report.outcome == Outcome::Retry;
            settle(
                self.state,
                self.job,
                self.delivery_id,
                &call.run_name,
                report,
                outcome,
            )
            .await?;
            if retry {
                return Ok(PreHookOutcome::Wait);
            }
            if failed && call.blocking {
                return Ok(PreHookOutcome::Blocked(format!(
                    "blocked by the pre hook {hook} ({why})"
                )));
            }
        }
        Ok(PreHookOutcome::Go)
    }

    async fn post(
        &self,
        target: &Target<'_>,
        ended: &TargetOutcome,
        outcome: &mut JobOutcome,
    ) -> anyhow::Result<()> {
        for call in around::calls(self.active, Stage::Post, target, Some(ended)) {
            let hook = call.hook.plugin.manifest.name.as_str();
            if self.finished.contains(&call.run_name) || self.disabled.iter().any(|d| d == hook) {
                continue;
            }
            let report = self
                .state
                .runtime
                .invoke(&call.hook.plugin, &call.event, self.env)
                .await;
            settle(
                self.state,
                self.job,
                self.delivery_id,
                &call.run_name,
                report,
                outcome,
            )
            .await?;
        }
        Ok(())
    }

    /// Records the target as blocked (a finished run, so retries skip it) and audits it.
    async fn block(&self, target: &Target<'_>, reason: String) -> anyhow::Result<()> {
        tracing::info!(run = target.run_name, %reason, "plugin run blocked by a hook");
        let mut entry = AuditEntry::new(Actor::plugin(target.plugin), AuditAction::HookBlocked)
            .outcome(Outcome::Blocked.as_str())
            .delivery(self.delivery_id)
            .details(format!("{}: {reason}", target.run_name));
        if let Some(repo) = &target.event.repository {
            entry = entry.project(crate::domain::Project::of_repo(repo).as_str());
        }
        audit::record(&self.state.db, self.state.audit_key(), entry).await?;
        let run = runs::NewRun {
            job_id: self.job.id,
            plugin: target.run_name,
            outcome: Outcome::Blocked,
            message: Some(reason),
            log: None,
            duration_ms: 0,
            started_at: chrono::Utc::now(),
        };
        runs::record(&self.state.db, run).await?;
        Ok(())
    }
}
