//! A stateful GitHub REST API simulator for Gantry's sandbox and integration tests.
//!
//! This module holds the public API only: [`SimulatorOptions`], the cheap-to-clone
//! [`Simulator`] handle, serving it over HTTP, and read helpers for tests. The data
//! model lives in `state`, learning from webhook payloads in `learn`, GitHub-shaped JSON
//! in `json`, and the handlers in `routes`.
//!
//! The simulator serves GitHub's own paths at the root (no `/api/v3` prefix), learns
//! repositories, issues, pull requests and users from the webhook payloads it is shown,
//! and GitHub's write endpoints change its state.

mod error;
mod json;
mod learn;
mod routes;
mod state;

use std::{net::TcpListener, sync::Arc};

use actix_web::{dev::Server, web, App, HttpServer};
use parking_lot::{Mutex, MutexGuard};

use crate::state::State;

/// Options for a simulator instance.
#[derive(Debug, Clone, Default)]
pub struct SimulatorOptions {
    /// When true, requests without an `Authorization` header are accepted (sandbox mode).
    /// When false, requests without `Authorization: token X` / `Bearer X` get 401
    /// `{"message": "Requires authentication", "documentation_url": "..."}`.
    pub allow_anonymous: bool,
}

/// A handle on one simulated GitHub; clones share the same state.
#[derive(Clone, Debug)]
pub struct Simulator {
    options: SimulatorOptions,
    state: Arc<Mutex<State>>,
}

impl Simulator {
    /// Creates an empty simulator: no repositories until [`Simulator::learn`] sees some.
    pub fn new(options: SimulatorOptions) -> Self {
        Self {
            options,
            state: Arc::new(Mutex::new(State::default())),
        }
    }

    /// Learns repositories, issues, pull requests and users from a webhook payload as
    /// GitHub would have them. `event` is the `X-GitHub-Event` name.
    ///
    /// Known issues keep the labels and comments written through the API; only their
    /// title, body and state follow the payload. Missing or oddly typed fields are
    /// ignored; this never panics.
    pub fn learn(&self, event: &str, payload: &serde_json::Value) {
        tracing::debug!(event, "simulator learning from a webhook payload");
        learn::learn(&mut self.lock(), event, payload);
    }

    /// Registers the simulator's state (as `web::Data<Simulator>`) and its routes, for
    /// `App::new().configure(|cfg| simulator.configure(cfg))`.
    pub fn configure(&self, cfg: &mut web::ServiceConfig) {
        routes::configure(self, cfg);
    }

    /// Serves the simulator on `listener` with one worker. The returned server is not
    /// running yet: spawn it (`tokio::spawn(server)`) or await it.
    ///
    /// # Errors
    ///
    /// Fails when actix cannot take over the listener.
    pub fn serve(&self, listener: TcpListener) -> std::io::Result<Server> {
        let sim = self.clone();
        let server = HttpServer::new(move || {
            let sim = sim.clone();
            App::new().configure(move |cfg| sim.configure(cfg))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)?
        .run();
        Ok(server)
    }

    /// Names of the labels on an issue or pull request, in the order they were added;
    /// `None` when the repository or the issue is unknown.
    pub fn issue_labels(&self, owner: &str, repo: &str, number: u64) -> Option<Vec<String>> {
        let state = self.lock();
        let issue = state.repo(owner, repo)?.issues.get(&number)?;
        Some(issue.labels.clone())
    }

    /// Bodies of the comments on an issue or pull request, oldest first; `None` when the
    /// repository or the issue is unknown.
    pub fn issue_comments(&self, owner: &str, repo: &str, number: u64) -> Option<Vec<String>> {
        let state = self.lock();
        let issue = state.repo(owner, repo)?.issues.get(&number)?;
        Some(issue.comments.iter().map(|c| c.body.clone()).collect())
    }

    /// Total number of write requests (POST/PUT/PATCH/DELETE) served successfully.
    pub fn write_count(&self) -> u64 {
        self.lock().writes
    }

    /// Locks the state; callers keep the guard for one short, synchronous step.
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock()
    }
}
