//! A stateful GitHub REST API simulator for Gantry's sandbox and integration tests.
//!
//! This module holds the public API only: [`SimulatorOptions`], the cheap-to-clone
//! [`Simulator`] handle, serving it over HTTP, fault injection ([`Fault`]), and read
//! helpers for tests. Seeding workflows, runs and pull request details lives in
//! `seed`, GitHub Apps, installations and tokens in `apps`. The data model lives in
//! `state`, saving it to a file in `persist`, the bare git repositories behind git over
//! HTTP in `mirror`, learning from webhook payloads in `learn`, GitHub-shaped JSON in
//! `json`, faults and the request log in `faults`, the App's webhook deliveries (sent,
//! logged, redelivered) in `hooks`, an OpenAI-compatible model server (`/v1`) in
//! `models`, answer delays in `latency`, the
//! rate-limit budget in `ratelimit`, the handlers in `routes`, and GitHub's OpenAPI
//! description (the part served), with what is checked and recorded against it, in
//! `contract`.
//!
//! The simulator serves GitHub's own paths at the root (no `/api/v3` prefix), learns
//! repositories, issues, pull requests and users from the webhook payloads it is shown,
//! and GitHub's write endpoints change its state. It also plays GitHub Apps (App
//! JWTs, installations, installation tokens) and serves git over HTTP
//! (`/{owner}/{repo}.git`) with the real `git`. Its own controls live under the
//! private prefix `/_simulator` (see [`Simulator::configure`]).

mod apps;
pub mod contract;
mod error;
mod faults;
mod hooks;
mod json;
mod latency;
mod learn;
mod mirror;
mod models;
mod persist;
mod ratelimit;
mod routes;
mod seed;
mod state;

use std::{net::TcpListener, path::PathBuf, sync::Arc, time::Instant};

use actix_web::{dev::Server, web, App, HttpServer};
use parking_lot::{Mutex, MutexGuard};

pub use crate::routes::artifacts::{artifact_bytes, StorageRequest};
use crate::{
    apps::AppLog, faults::Control, latency::Latencies, mirror::Mirrors, persist::Store,
    state::State,
};
pub use crate::{
    apps::{AppKeyError, JwtRecord, ManifestApproved, ManifestRefused, NewApp, NewInstallation},
    faults::{Fault, FaultKind},
    hooks::{HookDelivery, HookTarget, NewHookDelivery},
    latency::{Latency, MAX_LATENCY_MS},
    models::{ModelFault, ModelRequest},
    seed::{JobOutcome, PullFile, RunArtifact, RunOutcome},
};

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
    /// Faults and the request log: never persisted, never locked with `state`.
    control: Arc<Mutex<Control>>,
    /// Answer delays by route: never persisted.
    latencies: Arc<Mutex<Latencies>>,
    /// App JWTs seen, token requests and token settings: never persisted.
    app_log: Arc<Mutex<AppLog>>,
    /// The App's webhook deliveries and where they go: never persisted.
    hooks: Arc<Mutex<hooks::HookLog>>,
    /// The OpenAI-compatible model stand-in: never persisted.
    models: Arc<Mutex<models::Models>>,
    /// Where the bare repositories behind git over HTTP live.
    mirrors: Arc<Mirrors>,
    /// Where the state is saved after each change, for a persistent simulator.
    store: Option<Arc<Store>>,
}

impl Simulator {
    /// Creates an empty simulator: no repositories until [`Simulator::learn`] sees some.
    pub fn new(options: SimulatorOptions) -> Self {
        Self {
            options,
            state: Arc::new(Mutex::new(State::default())),
            control: Arc::default(),
            latencies: Arc::default(),
            app_log: Arc::default(),
            hooks: Arc::default(),
            models: Arc::default(),
            mirrors: Arc::new(Mirrors::temporary()),
            store: None,
        }
    }

    /// A simulator whose state is loaded from `path` if it exists and saved there
    /// after every change (learning, or a successful write), atomically: a process
    /// killed at any moment leaves either the old or the new complete file. Faults and
    /// the request log are not saved. A failed save is logged and does not fail the
    /// request.
    ///
    /// # Errors
    ///
    /// Fails, naming the file, when it exists but cannot be read or is not a state
    /// file of this format, or when its directory is missing and cannot be created.
    pub fn with_persistence(options: SimulatorOptions, path: PathBuf) -> std::io::Result<Self> {
        let repos = git_root_beside(&path);
        let (store, state) = Store::open(path)?;
        Ok(Self {
            options,
            state: Arc::new(Mutex::new(state)),
            control: Arc::default(),
            latencies: Arc::default(),
            app_log: Arc::default(),
            hooks: Arc::default(),
            models: Arc::default(),
            mirrors: Arc::new(Mirrors::at(repos)),
            store: Some(Arc::new(store)),
        })
    }

    /// This simulator with the bare git repositories behind git over HTTP kept under
    /// `dir` (created when first needed), which outlives the simulator. By default a
    /// simulator keeps them in a temporary directory removed with it, and a
    /// persistent one beside its state file (`github.json` keeps them in
    /// `github-repos/`). Call it before serving or cloning the simulator: clones made
    /// earlier keep the old directory.
    #[must_use]
    pub fn with_git_root(mut self, dir: PathBuf) -> Self {
        self.mirrors = Arc::new(Mirrors::at(dir));
        self
    }

    /// The directory holding the bare git repositories, one per repository served
    /// over git: `{root}/{owner}/{repo}.git`, names lower-cased.
    pub fn git_root(&self) -> PathBuf {
        self.mirrors.root().to_path_buf()
    }

    /// Removes the bare repositories now when they live in a temporary directory of
    /// this simulator's own (they are also removed when its last clone is dropped, but
    /// a server thread still holding a clone at process exit never drops it). Tests call
    /// this when they end; repositories under a root given with `with_git_root` stay.
    pub fn remove_temporary_repositories(&self) {
        self.mirrors.remove_if_owned();
    }

    /// Learns repositories, issues, pull requests and users from a webhook payload as
    /// GitHub would have them. `event` is the `X-GitHub-Event` name.
    ///
    /// Known issues keep the labels and comments written through the API; only their
    /// title, body and state follow the payload. Missing or oddly typed fields are
    /// ignored; this never panics. A persistent simulator then saves its state, with
    /// blocking file I/O (a few milliseconds).
    pub fn learn(&self, event: &str, payload: &serde_json::Value) {
        tracing::debug!(event, "simulator learning from a webhook payload");
        learn::learn(&mut self.lock(), event, payload);
        self.save();
    }

    /// Registers the simulator's state (as `web::Data<Simulator>`) and its routes, for
    /// `App::new().configure(|cfg| simulator.configure(cfg))`: GitHub's paths, git over
    /// HTTP at `/{owner}/{repo}.git/...` (which needs the `git` command), and the
    /// controls under `/_simulator`, which need no authentication and are not counted
    /// as requests or writes.
    pub fn configure(&self, cfg: &mut web::ServiceConfig) {
        routes::configure(self, cfg);
    }

    /// Serves the simulator on `listener` with two workers, and the artifact storage
    /// artifact downloads redirect to on one more port of the same address (another
    /// origin, as GitHub's storage host is). The returned server is not running yet:
    /// spawn it (`tokio::spawn(server)`) or await it. A hanging fault waits
    /// asynchronously, so it never holds up other requests.
    ///
    /// # Errors
    ///
    /// Fails when actix cannot take over the listener, or no port is free for the
    /// storage.
    pub fn serve(&self, listener: TcpListener) -> std::io::Result<Server> {
        let storage = TcpListener::bind((listener.local_addr()?.ip(), 0))?;
        self.control().storage().port = Some(storage.local_addr()?.port());
        let sim = self.clone();
        let server = HttpServer::new(move || {
            let sim = sim.clone();
            App::new().configure(move |cfg| sim.configure(cfg))
        })
        .workers(2)
        .disable_signals()
        .listen(listener)?
        .listen(storage)?
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
    /// A request answered by a fault is not counted, except
    /// [`FaultKind::StatusAfterApply`], whose write did happen.
    pub fn write_count(&self) -> u64 {
        self.lock().writes
    }

    /// Adds a fault after the existing ones; each request is hit by the first fault
    /// that matches it and has uses left.
    pub fn inject(&self, fault: Fault) {
        self.control.lock().inject(fault);
    }

    /// Removes every fault.
    pub fn clear_faults(&self) {
        self.control.lock().clear_faults();
    }

    /// The active faults, with the `times` they have left.
    pub fn faults(&self) -> Vec<Fault> {
        self.control.lock().faults()
    }

    /// Holds back the answers to requests matching `latency` by its `ms` (after the
    /// latencies set before it, which are tried first; one with the same method and
    /// path replaces the earlier). The request is then handled, and faulted, as usual.
    pub fn set_latency(&self, latency: Latency) {
        self.latencies.lock().set(latency);
    }

    /// Removes every latency: answers come as fast as the simulator makes them.
    pub fn clear_latencies(&self) {
        self.latencies.lock().clear();
    }

    /// The latencies in force, in the order they are tried.
    pub fn latencies(&self) -> Vec<Latency> {
        self.latencies.lock().list()
    }

    /// How long the answer to a request is held back, when a latency applies.
    pub(crate) fn latency_for(&self, method: &str, path: &str) -> Option<std::time::Duration> {
        self.latencies.lock().delay(method, path)
    }

    /// Requests seen for `method` and the exact `path` as sent (no query), faulted
    /// and refused ones included, for assertions like "no retry happened".
    pub fn request_count(&self, method: &str, path: &str) -> u64 {
        self.control.lock().request_count(method, path)
    }

    /// When each request to `method` and the exact `path` arrived, oldest first (the
    /// last 4096), for checking the spacing of retries.
    pub fn request_times(&self, method: &str, path: &str) -> Vec<Instant> {
        self.control.lock().request_times(method, path)
    }

    /// Locks the state; callers keep the guard for one short, synchronous step.
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock()
    }

    /// Locks the faults and the request log, for one short step.
    pub(crate) fn control(&self) -> MutexGuard<'_, Control> {
        self.control.lock()
    }

    /// Where the bare repositories live.
    pub(crate) fn mirrors(&self) -> &Mirrors {
        &self.mirrors
    }

    /// Locks the App JWT log and the token settings, for one short step.
    pub(crate) fn app_log(&self) -> MutexGuard<'_, AppLog> {
        self.app_log.lock()
    }

    /// Ends a GitHub request: counts it as a write if `wrote`, and says whether the
    /// state must now be saved ([`Simulator::save`]).
    pub(crate) fn finish_request(&self, wrote: bool) -> bool {
        let mut state = self.lock();
        if wrote {
            state.writes = state.writes.saturating_add(1);
        }
        self.store.is_some() && (wrote || state.unsaved_ids)
    }

    /// Saves the state, if this simulator is persistent; blocking file work, so async
    /// callers run it off their thread. Failures are logged, never returned.
    pub(crate) fn save(&self) {
        let Some(store) = &self.store else {
            return;
        };
        let (revision, bytes) = {
            let mut state = self.lock();
            state.unsaved_ids = false;
            store.snapshot(&state)
        };
        if let Err(error) = bytes.and_then(|bytes| store.write(revision, &bytes)) {
            tracing::warn!(%error, "the GitHub simulator could not save its state");
        }
    }
}

/// The directory beside a state file where its bare git repositories live:
/// `dir/github.json` keeps them in `dir/github-repos`.
fn git_root_beside(state_file: &std::path::Path) -> PathBuf {
    let stem = state_file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "github".to_owned());
    state_file.with_file_name(format!("{stem}-repos"))
}
