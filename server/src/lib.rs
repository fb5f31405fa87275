//! Gantry server: receives GitHub webhooks, stores them durably, and runs sandboxed
//! WebAssembly plugins that act on GitHub through checked host calls.
//!
//! The top-level modules, lowest first (each uses only modules before it; see
//! [`LAYERS`], checked by `layers_tests`):
//! - `domain`: validated types and the typed vocabulary, no framework;
//! - `crypto`: sealing secrets, audit keys;
//! - `config`: settings, the only reader of the environment;
//! - `telemetry`: tracing;
//! - `db`: persistence (entities and queries);
//! - `metrics`: Prometheus;
//! - `auth`: accounts, roles, principals, sessions, credential checks (no actix);
//! - `github`: signatures, the REST client, App tokens;
//! - `model`: language model providers for agents (rule-based, OpenAI-compatible);
//! - `git`: workspaces and packed pushes;
//! - `secrets`: stored webhook and plugin secrets;
//! - `policy`: rules, the pure decision, the gate every host call passes, held actions;
//! - `wasm_host`: the wasmtime host that loads and calls plugins;
//! - `services`: use cases (intake, dispatch, approvals, installed plugins, sign-in)
//!   and `AppState`;
//! - `jobs`: the workers;
//! - `routes`: HTTP (the extractors, middleware and session cookies included);
//!   with `startup`, `sandbox` and `cli`, the only modules that know actix;
//! - `startup`: wiring;
//! - `sandbox`: with the GitHub simulator; only in builds with the `sandbox` feature;
//! - `cli`: the `gantry` binary.
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
pub mod model;
pub mod policy;
pub mod routes;
#[cfg(feature = "sandbox")]
pub mod sandbox;
pub mod secrets;
pub mod services;
pub mod startup;
pub mod telemetry;
pub mod wasm_host;

/// The top-level modules, lowest first: each may use only the modules listed
/// before it, so there is no import cycle between them. Only `routes`, `startup`,
/// `sandbox` and `cli` may name actix. `layers_tests` reads every source file and
/// fails on an import that breaks either rule; a new module gets its place here.
pub const LAYERS: &[&str] = &[
    "domain",
    "crypto",
    "config",
    "telemetry",
    "db",
    "metrics",
    "auth",
    "github",
    "model",
    "git",
    "secrets",
    "policy",
    "wasm_host",
    "services",
    "jobs",
    "routes",
    "startup",
    "sandbox",
    "cli",
];

#[cfg(test)]
mod layers_tests;

pub use config::Settings;
pub use services::AppState;
pub use startup::{Application, Extras};
