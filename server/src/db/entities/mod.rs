//! sea-orm entities, one module per table, mirroring the migrations. No queries here:
//! those live beside in `db::<table>`.
pub mod api_tokens;
pub mod approval_votes;
pub mod approvals;
pub mod audit_log;
pub mod deliveries;
pub mod installations;
pub mod jobs;
pub mod login_throttle;
pub mod plugin_kv;
pub mod plugin_projects;
pub mod plugin_runs;
pub mod plugin_secrets;
pub mod plugin_seeds;
pub mod plugin_skips;
pub mod plugin_states;
pub mod plugin_uploads;
pub mod plugins;
pub mod policy_rules;
pub mod sealed_keys;
pub mod sessions;
pub mod team_members;
pub mod team_projects;
pub mod teams;
pub mod users;
pub mod webhook_secrets;
