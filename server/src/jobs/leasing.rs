//! The leasing loop: one per process. It leases as many available jobs as it has
//! room for (`worker.in_flight`) in one statement, passing over installations that
//! have `worker.per_installation` jobs in flight here and jobs it still runs, and
//! starts each as a task of its own (`job.rs`). It leases again when a delivery is
//! stored (`AppState::wake_workers`), after the poll interval, and when a job
//! finishes if the last lease passed jobs over (`db::jobs::Leased::passed_over`).
//! Told to stop, it leases nothing more and waits for every job in flight.
//!
//! Per-target order comes from the database (a job is leased only when no earlier
//! job of its target is unfinished), so it holds across processes too. Every lease
//! statement has an owner of its own (`{process}-{n}`): a job this process leases
//! again after its lease expired is a new attempt under a new owner, and the old
//! task's renewals and give-back no longer match it.
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;

use super::job;
use crate::db::jobs::{installation_key, lease_batch, Candidate};
use crate::services::AppState;

/// What this process has in flight: job ids, and per installation how many jobs
/// and the permits that bound how many of them run at once.
#[derive(Debug, Default)]
pub(super) struct Book {
    jobs: HashSet<i64>,
    installations: HashMap<String, Installation>,
}

#[derive(Debug)]
struct Installation {
    jobs: usize,
    permits: Arc<Semaphore>,
}

/// The shared [`Book`].
pub(super) type SharedBook = Arc<Mutex<Book>>;

impl Book {
    /// Notes a job taken into flight; returns its installation's permits.
    fn start(&mut self, id: i64, installation: &str, bound: usize) -> Arc<Semaphore> {
        self.jobs.insert(id);
        let entry = self
            .installations
            .entry(installation.to_owned())
            .or_insert_with(|| Installation {
                jobs: 0,
                permits: Arc::new(Semaphore::new(bound)),
            });
        entry.jobs += 1;
        entry.permits.clone()
    }

    /// Notes a job out of flight (finished, failed or its task gone).
    pub(super) fn finish(&mut self, id: i64, installation: &str) {
        self.jobs.remove(&id);
        if let Some(entry) = self.installations.get_mut(installation) {
            entry.jobs = entry.jobs.saturating_sub(1);
            if entry.jobs == 0 {
                self.installations.remove(installation);
            }
        }
    }

    /// What to do with a candidate job: pass it over when this process still runs
    /// it (its lease expired under it) or its installation is at its bound here.
    fn judge(&self, id: i64, target_key: Option<&str>, bound: usize) -> Candidate {
        if self.jobs.contains(&id) {
            Candidate::Running
        } else if self
            .installations
            .get(&installation_key(target_key))
            .is_some_and(|i| i.jobs >= bound)
        {
            Candidate::Wait
        } else {
            Candidate::Take
        }
    }
}

/// Locks the book; a poisoned lock (a panic while it was held) still holds
/// consistent counts, as every change is one step.
pub(super) fn lock(book: &SharedBook) -> std::sync::MutexGuard<'_, Book> {
    book.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Runs the leasing loop until `stopped`, then waits for the jobs in flight.
pub(super) async fn run(state: AppState, process: String, mut stopped: watch::Receiver<bool>) {
    let worker = &state.settings.worker;
    let poll = Duration::from_millis(worker.poll_interval_ms);
    let lease = Duration::from_secs(worker.lease_secs);
    let bound = worker.per_installation.max(1);
    if worker.in_flight == 0 {
        // This process takes deliveries and leaves the jobs to others.
        let _ = stopped.wait_for(|stop| *stop).await;
        return;
    }
    let room = Arc::new(Semaphore::new(worker.in_flight));
    let book = SharedBook::default();
    let mut tasks = JoinSet::new();
    let mut statement = 0_u64;
    while !*stopped.borrow() {
        while tasks.try_join_next().is_some() {}
        let free = room.available_permits();
        if free == 0 {
            tokio::select! {
                _ = tasks.join_next() => {}
                _ = stopped.changed() => {}
            }
            continue;
        }
        statement += 1;
        let owner = format!("{process}-{statement}");
        let leased = {
            let book = book.clone();
            lease_batch(&state.db, &owner, lease, free, move |id, key| {
                lock(&book).judge(id, key, bound)
            })
            .await
        };
        let (full, passed_over) = match leased {
            Ok(leased) => {
                let full = leased.jobs.len() == free;
                for leased_job in leased.jobs {
                    let Ok(place) = room.clone().acquire_owned().await else {
                        break;
                    };
                    let installation = installation_key(leased_job.target_key.as_deref());
                    let permits = lock(&book).start(leased_job.id, &installation, bound);
                    let in_flight = job::InFlight {
                        owner: owner.clone(),
                        lease,
                        place,
                        installation_permits: permits,
                        done: job::Done::new(book.clone(), leased_job.id, installation),
                    };
                    tasks.spawn(job::run(state.clone(), leased_job, in_flight));
                }
                (full, leased.passed_over)
            }
            Err(err) => {
                tracing::warn!(error = %err, "could not lease jobs; is the database reachable?");
                (false, true)
            }
        };
        if full {
            continue;
        }
        // Nothing more now: lease again when a delivery arrives, the poll interval
        // passes, or a job finishes while jobs were passed over (the next job of
        // its target may be due, its installation has room again). When none was,
        // a finished job makes nothing leasable, and leasing again would be a
        // statement per job for nothing.
        let poll_passed = tokio::time::sleep(poll);
        tokio::pin!(poll_passed);
        loop {
            tokio::select! {
                () = state.wake.notified() => break,
                () = &mut poll_passed => break,
                Some(_) = tasks.join_next(), if !tasks.is_empty() => {
                    if passed_over {
                        break;
                    }
                }
                _ = stopped.changed() => break,
            }
        }
    }
    while tasks.join_next().await.is_some() {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_installation_at_its_bound_is_passed_over_until_one_of_its_jobs_finishes() {
        let mut book = Book::default();
        book.start(1, "octo", 2);
        book.start(2, "octo", 2);
        book.start(3, "other", 2);
        assert_eq!(book.judge(9, Some("Octo/r#1"), 2), Candidate::Wait);
        assert_eq!(book.judge(9, Some("other/r#1"), 2), Candidate::Take);
        assert_eq!(
            book.judge(3, Some("x/y"), 2),
            Candidate::Running,
            "a job still in flight"
        );
        book.finish(1, "octo");
        assert_eq!(book.judge(9, Some("octo/r#1"), 2), Candidate::Take);
        book.finish(2, "octo");
        assert!(!book.installations.contains_key("octo"));
    }
}
