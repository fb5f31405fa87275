//! Use cases, free of actix: accepting a webhook delivery, processing a job by
//! running the plugins that subscribe to its event, managing installed plugins,
//! signing in, approvals (deciding, expiring, telling plugins), recovering
//! deliveries GitHub could not make (`recovery`), repositories' own
//! `.github/gantry.yml` (`repo_config`), the cache of their ownership files
//! (`owners`) and registering the GitHub App
//! (`app_setup`). `plugin_test` runs
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
pub mod owners;
#[cfg(feature = "sandbox")]
pub mod plugin_test;
pub mod policies;
pub mod recovery;
pub mod repo_config;
pub mod sandbox_events;
pub mod schedule;
pub mod signin;
pub mod state;
pub mod storage_breaker;

pub use state::AppState;
