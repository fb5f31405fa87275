//! Use cases, free of actix: accepting a webhook delivery, processing a job by
//! running the plugins that subscribe to its event, managing installed plugins, plugin
//! secrets, and approvals (deciding, expiring, telling plugins). `plugin_test` runs
//! the simulator, so it is only in builds with the `sandbox` feature.
pub mod approval_sweep;
pub mod approvals;
pub mod around;
pub mod commands;
pub mod deliveries;
pub mod delivery_writer;
pub mod dispatch;
pub mod installations;
pub mod intake;
pub mod job_config;
pub mod plugin_secrets;
#[cfg(feature = "sandbox")]
pub mod plugin_test;
pub mod plugins;
pub mod policies;
pub mod schedule;
pub mod secrets;
pub mod storage_breaker;
