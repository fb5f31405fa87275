//! Processing one job: load its delivery, let observers see it (the sandbox's
//! simulator learns from payloads), keep installations current, run every
//! subscribed plugin enabled for the event's repository (with that repository's
//! configuration) that has not already finished this job and whose manifest routes
//! admit the delivery (`routing.rs`; a refusal is recorded with the job) with the
//! repository's `.github/gantry.yml` applied (`services::repo_config`, which also
//! posts the `gantry/config` check run of a pull request changing it, and proposes
//! the file to repositories an installation event adds; a push changing ownership
//! files clears their cache, `services::owners`), then the
//! plugins whose commands a comment carries (`services::commands`), each with the
//! hooks around it (`wrapped.rs`, `services::around`), record each run, then
//! complete or retry the job, or end it `cancelled` when it was cancelled (job
//! control: its stop signal stops its plugins at their next host call).
use anyhow::Context;
use sea_orm::TransactionTrait;

use crate::db::audit::{self, AuditEntry};
use crate::db::entities::jobs::Model as Job;
use crate::db::job_start::{self, JobStart};
use crate::db::jobs::JobStatus;
use crate::db::persist::persistently;
use crate::db::{jobs, plugin_states, runs, skips};
use crate::domain::{
    is_known_action, is_known_event, Actor, AuditAction, Cause, EventMeta, RepoRef,
};
use crate::github::GitHubError;
use crate::services::around::Target;
use crate::services::commands::{self, CommentContext, Routed};
use crate::services::installed::active::ActivePlugins;
use crate::services::{approvals, installations, owners, repo_config, schedule};
use crate::wasm_host::{InvocationReport, JobEnv, Outcome, PluginCommand, PluginEvent, StopSignal};

mod routing;
mod wrapped;
use crate::services::AppState;

/// Something outside the platform that wants to see each delivery before plugins run
/// (the sandbox's GitHub simulator learns repositories and issues this way).
pub trait DeliveryObserver: Send + Sync {
    /// Called once per job attempt with the event name and the parsed payload.
    fn observe(&self, event: &str, payload: &serde_json::Value);
}

/// Runs a leased job to completion, retry or dead letter.
///
/// # Errors
/// When the database fails; the job's lease then expires and it is retried.
///
/// The job runs in a worker task, not under the request that accepted it: its
/// `process` span continues the request's trace from the `traceparent` intake kept
/// on the job (`telemetry::continue_trace`), and records `delivery.id`, the same
/// attribute as the request's `intake` span.
pub async fn process(state: &AppState, job: Job, stop: StopSignal) -> anyhow::Result<()> {
    use tracing::Instrument as _;
    let span = tracing::info_span!(
        "process",
        job = job.id,
        attempt = job.attempts,
        delivery.id = tracing::field::Empty
    );
    if let Some(parent) = &job.trace_parent {
        crate::telemetry::continue_trace(&span, parent);
    }
    run_job(state, job, stop).instrument(span).await
}

async fn run_job(state: &AppState, job: Job, stop: StopSignal) -> anyhow::Result<()> {
    // Cancelled while its earlier lease ran out (its worker died): it ends here.
    if stop.raised() {
        return stopped(state, &job).await;
    }
    let JobStart {
        delivery,
        config_version,
        suspended_account,
    } = job_start::read(&state.db, job.delivery_pk)
        .await?
        .context("the job's delivery is missing")?;
    tracing::Span::current().record("delivery.id", delivery.delivery_id.as_str());
    let own_tick = delivery.event == schedule::EVENT
        && delivery.delivery_id.starts_with(schedule::DELIVERY_PREFIX);
    let recognised = own_tick
        || (is_known_event(&delivery.event)
            && is_known_action(&delivery.event, delivery.action.as_deref()));
    if !recognised {
        tracing::info!(event = %delivery.event, action = ?delivery.action, "unrecognised event or action: no plugin runs");
        jobs::complete(&state.db, job.id).await?;
        return Ok(());
    }
    // Parsed once: the routing fields are read from the parsed value.
    let payload = serde_json::from_slice::<serde_json::Value>(&delivery.payload).ok();
    let meta = payload
        .as_ref()
        .and_then(|p| EventMeta::from_value(p).ok())
        .unwrap_or_default();
    // Read with the delivery; read again after an installation event changed it.
    let mut refusal = delivery
        .installation_id
        .zip(suspended_account)
        .map(|(id, account)| installations::suspended(id, &account));
    if let Some(payload) = &payload {
        if let Some(observer) = &state.observer {
            observer.observe(&delivery.event, payload);
        }
        let applied = installations::apply(
            &state.db,
            state.audit_key(),
            &state.github,
            &delivery.event,
            delivery.action.as_deref(),
            payload,
        )
        .await?;
        if applied {
            refusal = installations::refusal(&state.db, meta.installation_id).await?;
        }
    }
    if let Some(reason) = refusal {
        tracing::info!(delivery = %delivery.delivery_id, %reason, "plugins not run");
        jobs::complete(&state.db, job.id).await?;
        return Ok(());
    }
    // A repository added to an installation without a `.github/gantry.yml` may be
    // proposed one (`repository_config.onboarding`).
    if let Some(payload) = &payload {
        repo_config::onboarding::on_installation(
            state,
            &delivery.delivery_id,
            &delivery.event,
            delivery.action.as_deref(),
            meta.installation_id,
            payload,
        )
        .await?;
    }
    let cause = payload
        .as_ref()
        .map(|p| Cause::of(&delivery.event, p))
        .unwrap_or_default();
    if let Some(repository) = &meta.repository {
        supersede_held(
            state,
            &delivery.event,
            delivery.action.as_deref(),
            repository,
            &cause,
        )
        .await?;
    }
    let mut event = PluginEvent {
        name: delivery.event.clone(),
        action: delivery.action.clone(),
        delivery_id: delivery.delivery_id.clone(),
        repository: meta.repository.clone(),
        payload: String::from_utf8_lossy(&delivery.payload).into_owned(),
        generation: job.generation,
        is_retry: job.attempts > 1,
        branch: meta.branch.clone(),
        config: None,
        invocation: None,
        cause,
    };
    let github = match state
        .github
        .client(meta.installation_id, meta.repository.as_ref())
        .await
    {
        Ok(github) => github,
        Err(err) => {
            return credentials_failed(
                state,
                &job,
                &delivery.delivery_id,
                meta.installation_id,
                &err,
            )
            .await
        }
    };
    let config = state
        .job_config
        .for_repository(
            &state.db,
            &state.plugins,
            meta.repository.as_ref(),
            config_version,
        )
        .await?;
    // The repository's `.github/gantry.yml`: read again when due, its error noted.
    let config = repo_config::before_job(
        state,
        &github,
        meta.installation_id,
        job.id,
        &delivery.event,
        payload.as_ref(),
        meta.repository.as_ref(),
        config,
    )
    .await?;
    // A push changing ownership files: plugins read them again (`get-owners`).
    owners::before_job(
        &state.db,
        &delivery.event,
        payload.as_ref(),
        meta.repository.as_ref(),
    )
    .await?;
    if let (Some(payload), Some(repository), "pull_request") =
        (&payload, &meta.repository, delivery.event.as_str())
    {
        repo_config::check_run::on_pull_request(
            state,
            &github,
            meta.installation_id,
            &delivery.delivery_id,
            job.attempts > 1,
            delivery.action.as_deref(),
            payload,
            repository,
            &config.active,
        )
        .await?;
    }
    let env = JobEnv {
        github,
        db: state.db.clone(),
        rules: config.rules.clone(),
        services: state.host_services.clone(),
        actors: Default::default(),
        stop: stop.clone(),
    };
    let finished = if may_have_runs(&job) {
        runs::finished_plugins(&state.db, job.id).await?
    } else {
        std::collections::HashSet::new()
    };
    let (active, disabled) = (&*config.active, config.disabled.as_slice());
    let run = JobRun {
        state,
        job: &job,
        env: &env,
        active,
        finished: &finished,
        disabled,
        delivery_id: &delivery.delivery_id,
    };
    let mut outcome = JobOutcome::default();
    let mut facts = routing::DeliveryFacts::new(
        &delivery.event,
        delivery.action.as_deref(),
        payload.as_ref(),
        meta.repository.as_ref(),
    );
    for subscriber in active.subscribers(&delivery.event, delivery.action.as_deref()) {
        let name = subscriber.plugin.manifest.name.as_str();
        if finished.contains(name) || stop.raised() {
            continue;
        }
        if disabled.iter().any(|d| d == name) {
            tracing::debug!(plugin = %name, "plugin disabled; not run");
            let reason = "disabled: the plugin was disabled after crashing repeatedly";
            skips::record(&state.db, job.id, name, reason).await?;
            continue;
        }
        match facts
            .refusal(&env.github, &subscriber.plugin.manifest)
            .await
        {
            Ok(None) => {}
            Ok(Some(reason)) => {
                tracing::info!(plugin = %name, %reason, "the plugin's routes do not admit the delivery; not run");
                skips::record(&state.db, job.id, name, &reason).await?;
                continue;
            }
            Err(err) => {
                outcome.retry_reasons.push(format!("{name}: {err}"));
                continue;
            }
        }
        event.config = Some(subscriber.config.clone());
        let target = Target {
            plugin: name,
            run_name: name,
            event: &event,
            command: None,
        };
        run.wrapped(subscriber, target, &mut outcome).await?;
    }
    if let Some(comment) = payload
        .as_ref()
        .and_then(|p| CommentContext::of(&delivery.event, delivery.action.as_deref(), p))
    {
        match commands::route(state, &env.github, &event, &comment, active).await {
            Err(err) => outcome.retry_reasons.push(format!("commands: {err:#}")),
            Ok(commands::Routing { routed, unrouted }) => {
                for skip in unrouted {
                    skips::record(&state.db, job.id, &skip.subject, &skip.reason).await?;
                }
                for (n, Routed { plugin, command }) in routed.into_iter().enumerate() {
                    // Each command line is its own run, so a retry skips the ones done.
                    let name = &plugin.plugin.manifest.name;
                    let run_name = format!("{name} /{} #{n}", command.verb);
                    if finished.contains(&run_name) || stop.raised() {
                        continue;
                    }
                    if disabled.contains(name) {
                        let subject = format!("{name} /{}", command.verb);
                        let reason = "disabled: the plugin was disabled after crashing repeatedly";
                        skips::record(&state.db, job.id, &subject, reason).await?;
                        continue;
                    }
                    let command = PluginCommand {
                        event: PluginEvent {
                            invocation: Some(run_name.clone()),
                            ..command.event
                        },
                        ..command
                    };
                    let target = Target {
                        plugin: &plugin.plugin.manifest.name,
                        run_name: &run_name,
                        event: &command.event,
                        command: Some(&command),
                    };
                    run.wrapped(&plugin, target, &mut outcome).await?;
                }
            }
        }
    }
    let JobOutcome {
        retry_reasons,
        retry_at,
    } = outcome;
    let budget = record_budget(state);
    if stop.raised() {
        stopped(state, &job).await?;
    } else if retry_reasons.is_empty() {
        persistently("completing a job", budget, || {
            jobs::complete(&state.db, job.id)
        })
        .await?;
        state
            .metrics
            .jobs_finished
            .with_label_values(&[JobStatus::Done.as_str()])
            .inc();
    } else {
        let worker = &state.settings.worker;
        let base = std::time::Duration::from_millis(worker.retry_base_ms);
        let reasons = retry_reasons.join("; ");
        let status = persistently("recording a failed attempt", budget, || {
            jobs::fail(
                &state.db,
                &job,
                &reasons,
                worker.max_attempts,
                base,
                retry_at,
            )
        })
        .await?;
        state
            .metrics
            .jobs_finished
            .with_label_values(&[status.as_str()])
            .inc();
        if status == JobStatus::Dead {
            tracing::error!(
                job = job.id,
                "job dead-lettered after {} attempts",
                job.attempts
            );
        }
    }
    Ok(())
}

/// Ends a job that was cancelled (job control) as `cancelled`: what its plugins did
/// before they were stopped stays recorded; nothing more runs.
async fn stopped(state: &AppState, job: &Job) -> anyhow::Result<()> {
    let owner = job.lease_owner.as_deref().unwrap_or_default();
    persistently("recording a cancelled job", record_budget(state), || {
        jobs::stopped(&state.db, job.id, owner)
    })
    .await?;
    tracing::info!(job = job.id, "job cancelled; its plugins were stopped");
    state
        .metrics
        .jobs_finished
        .with_label_values(&[JobStatus::Cancelled.as_str()])
        .inc();
    Ok(())
}

/// Whether runs of this job may be recorded already. A job on its first lease that
/// was never given back, failed or dead-lettered (each leaves `last_error`; a replay
/// of a dead job keeps it) has none, so its runs need not be read.
fn may_have_runs(job: &Job) -> bool {
    job.attempts > 1 || job.last_error.is_some()
}

/// A push to a pull request (`synchronize`) ends every write held on it for an
/// earlier head as superseded: the approval was for other commits. Done before the
/// plugins run, so what they hold for the new head stays.
async fn supersede_held(
    state: &AppState,
    event: &str,
    action: Option<&str>,
    repository: &RepoRef,
    cause: &Cause,
) -> anyhow::Result<()> {
    let (true, Some(pull)) = (
        event == "pull_request" && action == Some("synchronize"),
        &cause.pull_request,
    ) else {
        return Ok(());
    };
    let pusher = cause
        .people
        .first()
        .map_or_else(Actor::system, |login| Actor::github(login));
    let ended = approvals::supersede(
        &state.db,
        state.audit_key(),
        &repository.full_name(),
        pull,
        &pusher,
    )
    .await?;
    if ended > 0 {
        tracing::info!(
            pull = pull.number,
            ended,
            "held writes superseded by a push"
        );
    }
    Ok(())
}

/// No GitHub client for the job: a transient failure is retried with backoff; a
/// refusal (wrong App key, unknown or suspended installation) will not heal by
/// itself, so the job is dead-lettered at once with the reason, which the
/// deliveries API and `gantry deliveries show` display. Never a silent retry loop.
async fn credentials_failed(
    state: &AppState,
    job: &Job,
    delivery_id: &str,
    installation: Option<i64>,
    err: &GitHubError,
) -> anyhow::Result<()> {
    let worker = &state.settings.worker;
    let base = std::time::Duration::from_millis(worker.retry_base_ms);
    let (reason, max_attempts) = match err {
        GitHubError::Transient(_) | GitHubError::RateLimited { .. } => (
            format!("GitHub could not be reached for a token: {err}"),
            worker.max_attempts,
        ),
        _ => (
            format!("no GitHub credentials for this delivery: {err}"),
            job.attempts,
        ),
    };
    tracing::error!(delivery = delivery_id, %reason, "plugins not run");
    if let Some(id) = installation {
        crate::db::installations::set_error(&state.db, id, Some(&reason)).await?;
    }
    let not_before = if let GitHubError::RateLimited { retry_at, .. } = err {
        Some(*retry_at)
    } else {
        None
    };
    let status = jobs::fail(&state.db, job, &reason, max_attempts, base, not_before).await?;
    state
        .metrics
        .jobs_finished
        .with_label_values(&[status.as_str()])
        .inc();
    Ok(())
}

/// What every run of one job shares.
struct JobRun<'a> {
    state: &'a AppState,
    job: &'a Job,
    env: &'a JobEnv,
    active: &'a ActivePlugins,
    finished: &'a std::collections::HashSet<String>,
    disabled: &'a [String],
    delivery_id: &'a str,
}

/// What the runs of one job add up to: why it must be retried, and not before when.
#[derive(Debug, Default)]
struct JobOutcome {
    retry_reasons: Vec<String>,
    retry_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Records one invocation: metrics, the plugin's crash count (disabling it, audited,
/// when it keeps crashing), the run under `run_name`, and whether the job must be
/// retried.
async fn settle(
    state: &AppState,
    job: &Job,
    delivery_id: &str,
    run_name: &str,
    report: InvocationReport,
    outcome: &mut JobOutcome,
) -> anyhow::Result<()> {
    tracing::info!(
        run = run_name,
        outcome = report.outcome.as_str(),
        duration_ms = report.duration.as_millis() as u64,
        message = report.message.as_deref().unwrap_or(""),
        "plugin invocation finished"
    );
    state
        .metrics
        .plugin_invocations
        .with_label_values(&[&report.plugin, report.outcome.as_str()])
        .inc();
    state
        .metrics
        .plugin_seconds
        .with_label_values(&[&report.plugin])
        .observe(report.duration.as_secs_f64());
    let crashed = matches!(report.outcome, Outcome::Trapped | Outcome::TimedOut);
    let limit = state.settings.plugins.max_consecutive_crashes;
    let log = (!report.log.is_empty()).then_some(report.log);
    // The run, the plugin's crash count and an automatic disable with its audit row
    // are one transaction, retried through a passing storage fault: the plugin's
    // writes have happened, and a job whose record is lost runs them again after
    // its lease.
    let budget = record_budget(state);
    let disabled = persistently("recording a plugin's run", budget, || {
        audit::retrying(|| async {
            let txn = state.db.begin().await?;
            let reason = plugin_states::record_run(
                &txn,
                &report.plugin,
                crashed,
                report.message.as_deref(),
                limit,
            )
            .await?;
            if let Some(reason) = &reason {
                let entry = AuditEntry::new(Actor::system(), AuditAction::PluginDisabled)
                    .delivery(delivery_id)
                    .outcome("disabled")
                    .details(format!("{}: {reason}", report.plugin));
                audit::append(&txn, state.audit_key(), &entry).await?;
            }
            runs::record(
                &txn,
                runs::NewRun {
                    job_id: job.id,
                    plugin: run_name,
                    outcome: report.outcome,
                    message: report.message.clone(),
                    log: log.clone(),
                    duration_ms: i64::try_from(report.duration.as_millis()).unwrap_or(i64::MAX),
                    started_at: report.started_at,
                },
            )
            .await?;
            txn.commit().await?;
            Ok::<_, sea_orm::DbErr>(reason)
        })
    })
    .await?;
    if let Some(reason) = disabled {
        tracing::error!(plugin = %report.plugin, %reason, "plugin disabled");
    }
    outcome.retry_at = outcome.retry_at.max(report.retry_at);
    if report.outcome == Outcome::Retry {
        outcome.retry_reasons.push(format!(
            "{run_name}: {}",
            report.message.as_deref().unwrap_or("retry")
        ));
    }
    Ok(())
}

/// How long the records of what a job did are retried through a storage fault:
/// half the lease, so they land before another worker could take the job over.
fn record_budget(state: &AppState) -> std::time::Duration {
    std::time::Duration::from_secs(state.settings.worker.lease_secs) / 2
}
