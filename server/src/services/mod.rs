//! Use cases, free of actix: accepting a webhook delivery, processing a job by
//! running the plugins that subscribe to its event, and managing installed plugins.
pub mod approvals;
pub mod deliveries;
pub mod dispatch;
pub mod plugin_test;
pub mod plugins;
pub mod policies;
pub mod secrets;
pub mod intake;
