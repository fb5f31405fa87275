//! Job control inside the sandbox: a [`StopSignal`] per job, which every call of
//! the job's plugins checks as it enters a host call (and at each epoch tick while
//! the guest computes), trapping with [`Cancelled`] once it is raised; and
//! [`StopSignals`], the process's signals of the jobs it runs now, so a cancel asked
//! in this process stops its job at once (another replica's worker raises its
//! signal when it renews the job's lease and finds the ask).
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

/// Whether a job was asked to stop. Cloned into each of its calls; never lowered.
#[derive(Debug, Clone, Default)]
pub struct StopSignal(Arc<AtomicBool>);

impl StopSignal {
    /// A signal, raised already when `raised`.
    #[must_use]
    pub fn new(raised: bool) -> Self {
        Self(Arc::new(AtomicBool::new(raised)))
    }

    /// Asks the job to stop.
    pub fn raise(&self) {
        self.0.store(true, Ordering::Release);
    }

    /// Whether the job was asked to stop.
    #[must_use]
    pub fn raised(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }

    /// `Err(Cancelled)` once raised: what the store's hooks answer to trap the
    /// guest.
    ///
    /// # Errors
    /// [`Cancelled`] once the signal is raised.
    pub fn check(&self) -> wasmtime::Result<()> {
        if self.raised() {
            Err(Cancelled.into())
        } else {
            Ok(())
        }
    }
}

/// The trap a cancelled job's plugin stops with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the job was cancelled; the plugin was stopped at a host call")]
pub struct Cancelled;

/// The stop signals of the jobs this process runs now, by job id.
#[derive(Debug, Default)]
pub struct StopSignals(Mutex<HashMap<i64, StopSignal>>);

impl StopSignals {
    /// Notes the signal of a job starting here; the guard forgets it when dropped.
    #[must_use]
    pub fn register(self: &Arc<Self>, job_id: i64, signal: StopSignal) -> Registered {
        self.lock().insert(job_id, signal);
        Registered {
            signals: self.clone(),
            job_id,
        }
    }

    /// Raises the signal of `job_id` when it runs here; whether it does.
    pub fn stop(&self, job_id: i64) -> bool {
        self.lock().get(&job_id).map(StopSignal::raise).is_some()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, StopSignal>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Keeps a job's signal in [`StopSignals`] while the job runs.
#[derive(Debug)]
pub struct Registered {
    signals: Arc<StopSignals>,
    job_id: i64,
}

impl Drop for Registered {
    fn drop(&mut self) {
        self.signals.lock().remove(&self.job_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signal_raised_through_the_registry_reaches_the_job_until_it_ends() {
        let signals = Arc::new(StopSignals::default());
        let signal = StopSignal::new(false);
        let registered = signals.register(7, signal.clone());
        assert!(signal.check().is_ok());
        assert!(!signals.stop(8), "a job not running here");
        assert!(signals.stop(7));
        assert!(signal.raised());
        let trap = signal.check().unwrap_err();
        assert!(trap.downcast_ref::<Cancelled>().is_some());
        drop(registered);
        assert!(!signals.stop(7), "forgotten once the job ended");
    }
}
