//! Use cases, free of actix: accepting a webhook delivery, processing a job by
//! running the plugins that subscribe to its event, managing installed plugins,
//! signing in, approvals (deciding, expiring, telling plugins), recovering
//! deliveries GitHub could not make (`recovery`), registering the GitHub App
//! (`app_setup`) and what model calls may spend (`model_budget`). `plugin_test` runs
//! the simulator, so it is only in builds with the `sandbox` feature.
pub mod app_setup;
pub mod approval_sweep;
pub mod approvals;
pub mod around;
pub mod commands;
pub mod deliveries;
pub mod delivery_writer;
pub mod dispatch;
pub mod installations;
pub mod installed;
pub mod intake;
pub mod job_config;
pub mod model_budget;
#[cfg(feature = "sandbox")]
pub mod plugin_test;
pub mod policies;
pub mod recovery;
pub mod sandbox_events;
pub mod schedule;
pub mod signin;
pub mod state;
pub mod storage_breaker;

pub use state::AppState;
