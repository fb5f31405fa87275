//! sea-orm entities, one module per table, mirroring the migrations. No queries here:
//! those live beside in `db::<table>`.
pub mod approvals;
pub mod audit_log;
pub mod deliveries;
pub mod installations;
pub mod jobs;
pub mod plugin_kv;
pub mod plugin_projects;
pub mod plugin_runs;
pub mod plugin_secrets;
pub mod plugin_states;
pub mod plugins;
pub mod policy_rules;
pub mod webhook_secrets;
