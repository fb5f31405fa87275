//! Use cases, free of actix: accepting a webhook delivery, and processing a job by
//! running the plugins that subscribe to its event.
pub mod approval_sweep;
pub mod approvals;
pub mod deliveries;
pub mod dispatch;
pub mod plugin_secrets;
pub mod plugin_test;
pub mod policies;
pub mod secrets;
pub mod intake;
