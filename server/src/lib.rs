//! Gantry server: receives GitHub webhooks, stores them durably, and runs sandboxed
//! WebAssembly plugins that act on GitHub through checked host calls.
//!
//! Modules: `auth` (accounts, roles, sessions, CSRF), `config` (settings; the only reader of the environment), `domain`
//! (validated types), `db` (persistence), `github` (signatures and the REST client),
//! `plugins` (the wasmtime host), `metrics` (Prometheus), `services` (intake and dispatch), `jobs` (workers),
//! `routes` (HTTP; with `auth`'s extractors and middleware, the actix-aware modules),
//! `git` (workspaces), `telemetry` (tracing), `startup` (wiring), `sandbox` (with the
//! GitHub simulator; only in builds with the `sandbox` feature) and `cli` (the
//! `gantry` binary).
pub mod auth;
pub mod cli;
pub mod config;
pub mod crypto;
pub mod db;
pub mod domain;
pub mod git;
pub mod github;
pub mod jobs;
pub mod metrics;
pub mod plugins;
pub mod policy;
pub mod routes;
#[cfg(feature = "sandbox")]
pub mod sandbox;
pub mod services;
pub mod startup;
pub mod state;
pub mod telemetry;

pub use config::Settings;
pub use startup::{Application, Extras};
pub use state::AppState;
