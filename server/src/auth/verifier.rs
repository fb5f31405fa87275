//! Password checks for sign-in, bounded: argon2id needs about 19 MiB and a core for
//! each check, so at most `web.login.max_concurrent_verifications` run at once (a
//! semaphore; others wait up to [`PasswordVerifier::WAIT`], then the sign-in is
//! answered "try again"). It also counts checks, for tests and operators.
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;

use super::password;

/// Runs argon2 checks off the async threads, a bounded number at once.
#[derive(Debug)]
pub struct PasswordVerifier {
    permits: Arc<Semaphore>,
    started: AtomicU64,
    running: AtomicUsize,
    peak: AtomicUsize,
}

impl PasswordVerifier {
    /// How long a sign-in waits for a free check before it is turned away.
    pub const WAIT: Duration = Duration::from_secs(10);

    /// A verifier running at most `max` checks at once (at least one).
    #[must_use]
    pub fn new(max: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(max.clamp(1, Semaphore::MAX_PERMITS))),
            started: AtomicU64::new(0),
            running: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
        }
    }

    /// Checks `candidate` against `stored` (against a dummy hash when there is no
    /// stored hash, so an unknown login costs the same); `None` when no check
    /// became free within [`Self::WAIT`].
    pub async fn verify(&self, candidate: String, stored: Option<String>) -> Option<bool> {
        let permit = tokio::time::timeout(Self::WAIT, Arc::clone(&self.permits).acquire_owned())
            .await
            .ok()?
            .ok()?;
        self.started.fetch_add(1, Ordering::Relaxed);
        let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
        let verified = tokio::task::spawn_blocking(move || match stored {
            Some(hash) => password::verify(&candidate, &hash),
            None => {
                let _ = password::verify(&candidate, password::dummy_hash());
                false
            }
        })
        .await
        .unwrap_or(false);
        self.running.fetch_sub(1, Ordering::SeqCst);
        drop(permit);
        Some(verified)
    }

    /// How many checks have started since the process did.
    #[must_use]
    pub fn verifications(&self) -> u64 {
        self.started.load(Ordering::Relaxed)
    }

    /// The most checks that ran at once.
    #[must_use]
    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::SeqCst)
    }
}
