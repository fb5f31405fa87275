//! The worker pool: the leasing loop (`leasing.rs`) with its jobs in flight, one
//! task sweeping approvals (expiry, telling plugins the outcome), one storing
//! scheduled ticks, one recovering deliveries GitHub could not make, and one pruning
//! old idempotency records of plugin writes, all until told to stop. A job whose processing failed is given back at once; a
//! process that dies mid-job leaves leases that expire, so another process takes
//! its jobs over.
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::leasing;
use crate::services::AppState;
use crate::services::{approval_sweep, recovery, schedule};

/// Running workers and the switch that stops them.
#[derive(Debug)]
pub struct WorkerPool {
    stop: watch::Sender<bool>,
    handles: Vec<JoinHandle<()>>,
}

impl WorkerPool {
    /// Starts the leasing loop (up to `worker.in_flight` jobs at once) and the timers.
    #[must_use]
    pub fn start(state: &AppState) -> Self {
        let (stop, stopped) = watch::channel(false);
        let process_id = uuid::Uuid::new_v4().simple().to_string();
        let mut handles = vec![tokio::spawn(leasing::run(
            state.clone(),
            process_id[..12].to_owned(),
            stopped.clone(),
        ))];
        handles.push(tokio::spawn(sweep_approvals(
            state.clone(),
            stopped.clone(),
        )));
        handles.push(tokio::spawn(tick_schedules(state.clone(), stopped.clone())));
        handles.push(tokio::spawn(recover_deliveries(
            state.clone(),
            process_id[..12].to_owned(),
            stopped.clone(),
        )));
        handles.push(tokio::spawn(prune_host_writes(
            state.clone(),
            stopped.clone(),
        )));
        Self { stop, handles }
    }

    /// Stops leasing, waits for every job in flight to finish, and stops the timers.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for handle in self.handles {
            let _ = handle.await;
        }
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

/// Offers to run the missed-delivery sweep (`services::recovery`) until stopped: the
/// lease decides which replica sweeps and when, so each looks every few seconds at
/// most and one sweeps per `recovery.interval_secs`.
async fn recover_deliveries(state: AppState, holder: String, mut stopped: watch::Receiver<bool>) {
    if !state.settings.recovery.enabled
        || !matches!(state.github, crate::github::GitHubAccess::App(_))
    {
        return;
    }
    let every = Duration::from_secs(state.settings.recovery.interval_secs.clamp(1, 30));
    while !*stopped.borrow() {
        if let Err(err) = recovery::sweep(&state, &holder).await {
            tracing::warn!(
                error = format!("{err:#}"),
                "the missed-delivery sweep failed; it runs again at the next interval"
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
