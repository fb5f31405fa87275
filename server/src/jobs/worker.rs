//! The worker pool: a bounded number of tasks leasing and processing jobs until told
//! to stop, one task sweeping approvals (expiry, telling plugins the outcome), one
//! storing scheduled ticks, and one pruning old idempotency records of plugin
//! writes. A worker whose job failed gives it back at once; one that dies mid-job
//! leaves a lease that expires, so another worker (in this process or another)
//! takes the job over.
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::db::jobs;
use crate::services::{approval_sweep, dispatch, schedule};
use crate::state::AppState;

/// Running workers and the switch that stops them.
#[derive(Debug)]
pub struct WorkerPool {
    stop: watch::Sender<bool>,
    handles: Vec<JoinHandle<()>>,
}

impl WorkerPool {
    /// Starts `state.settings.worker.concurrency` workers.
    #[must_use]
    pub fn start(state: &AppState) -> Self {
        let (stop, stopped) = watch::channel(false);
        let process_id = uuid::Uuid::new_v4().simple().to_string();
        let mut handles: Vec<JoinHandle<()>> = (0..state.settings.worker.concurrency)
            .map(|n| {
                let owner = format!("{}-{n}", &process_id[..12]);
                tokio::spawn(run(state.clone(), owner, stopped.clone()))
            })
            .collect();
        handles.push(tokio::spawn(sweep_approvals(
            state.clone(),
            stopped.clone(),
        )));
        handles.push(tokio::spawn(tick_schedules(state.clone(), stopped.clone())));
        handles.push(tokio::spawn(prune_host_writes(
            state.clone(),
            stopped.clone(),
        )));
        Self { stop, handles }
    }

    /// Asks every worker to stop after its current job and waits for them.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for handle in self.handles {
            let _ = handle.await;
        }
    }
}

async fn run(state: AppState, owner: String, mut stopped: watch::Receiver<bool>) {
    let poll = Duration::from_millis(state.settings.worker.poll_interval_ms);
    let lease = Duration::from_secs(state.settings.worker.lease_secs);
    while !*stopped.borrow() {
        match jobs::lease_next(&state.db, &owner, lease).await {
            Ok(Some(job)) => {
                let job_id = job.id;
                let heartbeat =
                    tokio::spawn(keep_lease(state.clone(), job_id, owner.clone(), lease));
                let started = std::time::Instant::now();
                let result = dispatch::process(&state, job).await;
                state
                    .metrics
                    .job_seconds
                    .observe(started.elapsed().as_secs_f64());
                heartbeat.abort();
                if let Err(err) = result {
                    give_back(&state, job_id, &owner, &format!("{err:#}"), lease).await;
                }
            }
            Ok(None) => {
                tokio::select! {
                    () = state.wake.notified() => {}
                    () = tokio::time::sleep(poll) => {}
                    _ = stopped.changed() => {}
                }
            }
            Err(err) => {
                tracing::warn!(error = %err, "could not lease a job; is the database reachable?");
                tokio::select! {
                    () = tokio::time::sleep(poll) => {}
                    _ = stopped.changed() => {}
                }
            }
        }
    }
}

/// A job whose processing failed (its storage failed) is queued again at once,
/// retried through the fault on a fresh connection for up to half its lease, so it
/// runs again promptly rather than after the lease expires. Its plugins that
/// finished are recorded and do not run again.
async fn give_back(state: &AppState, job_id: i64, owner: &str, error: &str, lease: Duration) {
    let retry_at = chrono::Utc::now()
        + chrono::Duration::milliseconds(
            i64::try_from(state.settings.worker.retry_base_ms).unwrap_or(1_000),
        );
    let released = crate::db::persist::persistently("giving back a failed job", lease / 2, || {
        jobs::release(&state.db, job_id, owner, error, retry_at)
    })
    .await;
    match released {
        Ok(_) => tracing::error!(
            job = job_id,
            error,
            "job processing failed; it is queued again"
        ),
        Err(release_err) => tracing::error!(
            job = job_id,
            error,
            release_error = %release_err,
            "job processing failed and could not be given back; its lease will expire and it will be retried"
        ),
    }
}

/// Runs the approvals sweep (expiry, then telling plugins) on a timer until stopped.
async fn sweep_approvals(state: AppState, mut stopped: watch::Receiver<bool>) {
    let every = Duration::from_millis(state.settings.approvals.sweep_interval_ms.max(10));
    while !*stopped.borrow() {
        if let Err(err) = approval_sweep::sweep(&state).await {
            tracing::warn!(
                error = format!("{err:#}"),
                "the approvals sweep failed; it runs again shortly"
            );
        }
        tokio::select! {
            () = tokio::time::sleep(every) => {}
            _ = stopped.changed() => {}
        }
    }
}

/// Stores the scheduled ticks of each slot until stopped.
async fn tick_schedules(state: AppState, mut stopped: watch::Receiver<bool>) {
    let every = Duration::from_secs(state.settings.schedule.interval_secs.max(1));
    while !*stopped.borrow() {
        if let Err(err) = schedule::tick(&state, chrono::Utc::now()).await {
            tracing::warn!(
                error = format!("{err:#}"),
                "storing scheduled ticks failed; the next slot tries again"
            );
        }
        tokio::select! {
            () = tokio::time::sleep(every) => {}
            _ = stopped.changed() => {}
        }
    }
}

/// How long a write's idempotency record is kept.
const HOST_WRITES_KEPT: chrono::Duration = chrono::Duration::days(30);

/// Deletes idempotency records of plugin writes older than [`HOST_WRITES_KEPT`],
/// at start and then hourly, until stopped.
async fn prune_host_writes(state: AppState, mut stopped: watch::Receiver<bool>) {
    while !*stopped.borrow() {
        let before = chrono::Utc::now() - HOST_WRITES_KEPT;
        match crate::db::host_writes::prune(&state.db, before).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(
                deleted = n,
                "pruned old idempotency records of plugin writes"
            ),
            Err(err) => {
                tracing::warn!(error = %err, "pruning idempotency records failed; the next hour tries again")
            }
        }
        tokio::select! {
            () = tokio::time::sleep(Duration::from_secs(3600)) => {}
            _ = stopped.changed() => {}
        }
    }
}

/// Renews a job's lease every third of its length while the job runs, so a long job
/// is not taken over by another worker. Aborted when the job finishes.
async fn keep_lease(state: AppState, job_id: i64, owner: String, lease: Duration) {
    let every = (lease / 3).max(Duration::from_millis(100));
    loop {
        tokio::time::sleep(every).await;
        match jobs::renew_lease(&state.db, job_id, &owner, lease).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(
                    job = job_id,
                    "lost the lease on a running job; another worker may take it over"
                );
                return;
            }
            Err(err) => tracing::warn!(job = job_id, error = %err, "could not renew a job lease"),
        }
    }
}
