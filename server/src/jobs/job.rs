//! One leased job in flight: its lease renewed while it waits and runs, a place
//! among its installation's jobs running here (`worker.per_installation`), then
//! `services::dispatch`; a job whose processing failed is given back at once. Its
//! stop signal (job control) is registered with the process while it runs.
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::leasing::{lock, SharedBook};
use crate::db::entities::jobs::Model as Job;
use crate::db::jobs::{self, Renewal};
use crate::services::dispatch;
use crate::services::AppState;
use crate::wasm_host::StopSignal;

/// What a job in flight holds, given back when its task ends however it ends.
pub(super) struct InFlight {
    /// The owner its lease was taken under.
    pub owner: String,
    /// How long a lease lasts.
    pub lease: Duration,
    /// Its place among `worker.in_flight`.
    pub place: OwnedSemaphorePermit,
    /// Its installation's places among `worker.per_installation`.
    pub installation_permits: std::sync::Arc<Semaphore>,
    /// Takes it out of the book when dropped.
    pub done: Done,
}

/// Takes a job out of the leasing loop's book when dropped, so a task that ends
/// any way (even by a panic) frees its installation's count.
pub(super) struct Done {
    book: SharedBook,
    id: i64,
    installation: String,
}

impl Done {
    pub(super) fn new(book: SharedBook, id: i64, installation: String) -> Self {
        Self {
            book,
            id,
            installation,
        }
    }
}

impl Drop for Done {
    fn drop(&mut self) {
        lock(&self.book).finish(self.id, &self.installation);
    }
}

/// Aborts a task when dropped (the lease keeper must not outlive its job).
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Runs one leased job to its end.
pub(super) async fn run(state: AppState, job: Job, in_flight: InFlight) {
    let InFlight {
        owner,
        lease,
        place,
        installation_permits,
        done,
    } = in_flight;
    let job_id = job.id;
    // Job control: raised by a cancel in this process at once, or by the lease
    // keeper when a renewal finds one asked elsewhere.
    let stop = StopSignal::new(job.cancel_requested_at.is_some());
    let _registered = state.stops.register(job_id, stop.clone());
    let keeper = AbortOnDrop(tokio::spawn(keep_lease(
        state.clone(),
        job_id,
        owner.clone(),
        lease,
        stop.clone(),
    )));
    // The semaphore is never closed; without a permit the job would run unbounded.
    let running = installation_permits.acquire_owned().await.ok();
    let started = std::time::Instant::now();
    let result = dispatch::process(&state, job, stop).await;
    state
        .metrics
        .job_seconds
        .observe(started.elapsed().as_secs_f64());
    if let Err(err) = result {
        give_back(&state, job_id, &owner, &format!("{err:#}"), lease).await;
    }
    // The lease keeper stops, then the job leaves the book and frees its places.
    drop(keeper);
    drop((running, done, place));
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

/// Renews a job's lease every third of its length while the job waits and runs, so
/// a long job is not taken over by another process, and raises its stop signal when
/// a renewal finds it was cancelled. Aborted when the job ends.
async fn keep_lease(
    state: AppState,
    job_id: i64,
    owner: String,
    lease: Duration,
    stop: StopSignal,
) {
    let every = (lease / 3).max(Duration::from_millis(100));
    loop {
        tokio::time::sleep(every).await;
        match jobs::renew_lease(&state.db, job_id, &owner, lease).await {
            Ok(Renewal::Held) => {}
            Ok(Renewal::StopRequested) => {
                if !stop.raised() {
                    tracing::info!(
                        job = job_id,
                        "the job was cancelled; stopping it at its next host call"
                    );
                }
                stop.raise();
            }
            Ok(Renewal::Lost) => {
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
