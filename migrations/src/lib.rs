//! Gantry's database migrations, shared by SQLite and PostgreSQL.
//!
//! Every migration is a module named `mYYYYMMDD_HHMMSS_verb_object` with `up` and
//! `down`; a released migration is never edited, a change is a new migration. This
//! crate depends on nothing of the server, so the schema history stands on its own.
pub use sea_orm_migration::prelude::*;

mod m20261121_000001_create_deliveries_and_jobs;
mod m20261121_000002_create_webhook_secrets;
mod m20261121_000003_index_pending_jobs;
mod m20261121_000004_create_policies_approvals_audit;
mod m20261121_000005_create_plugin_states;
mod m20261121_000006_create_plugin_kv_and_secrets;
mod m20261121_000007_create_installed_plugins;
mod m20261121_000008_create_installations;
mod m20261121_000009_create_accounts;
mod m20261121_000010_index_audit_for_dashboard;
mod m20261121_000011_add_job_trace_parent;
mod m20261121_000012_create_plugin_uploads;
mod m20261206_120000_add_policy_event_branch;
mod m20261206_120100_bind_plugin_secrets;
mod m20261206_120200_create_plugin_seeds;
mod m20261206_130000_add_approval_quorum_and_github_links;
mod m20261206_130100_guard_audit_truncate;
mod m20261206_140000_create_delivery_digests;
mod m20261206_150000_demote_team_admin_grants;
mod m20261206_160000_create_storage_probe;
mod m20261206_160100_create_host_writes;
mod m20261207_170000_create_config_version;
mod m20261207_180000_create_plugin_skips;
mod m20261208_100000_create_delivery_recovery;
mod m20261208_110000_create_repo_configs;
mod m20261209_100000_add_job_cancel;
mod m20261209_100000_create_model_calls;
mod m20261209_120000_create_model_budgets;
mod m20261209_130000_create_repo_onboardings;
mod m20261209_133000_create_ownership_files;

/// The migrations whose rollback removes the audit log or its protections (the
/// table and its append-only triggers, the `TRUNCATE` guard): `gantry migrate down`
/// refuses to roll them back without `--force`.
pub const AUDIT_GUARDS: [&str; 2] = [
    "m20261121_000004_create_policies_approvals_audit",
    "m20261206_130100_guard_audit_truncate",
];

/// The ordered list of Gantry's migrations.
#[derive(Debug)]
pub struct Migrator;

#[sea_orm_migration::async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261121_000001_create_deliveries_and_jobs::Migration),
            Box::new(m20261121_000002_create_webhook_secrets::Migration),
            Box::new(m20261121_000003_index_pending_jobs::Migration),
            Box::new(m20261121_000004_create_policies_approvals_audit::Migration),
            Box::new(m20261121_000005_create_plugin_states::Migration),
            Box::new(m20261121_000006_create_plugin_kv_and_secrets::Migration),
            Box::new(m20261121_000007_create_installed_plugins::Migration),
            Box::new(m20261121_000008_create_installations::Migration),
            Box::new(m20261121_000009_create_accounts::Migration),
            Box::new(m20261121_000010_index_audit_for_dashboard::Migration),
            Box::new(m20261121_000011_add_job_trace_parent::Migration),
            Box::new(m20261121_000012_create_plugin_uploads::Migration),
            Box::new(m20261206_120000_add_policy_event_branch::Migration),
            Box::new(m20261206_120100_bind_plugin_secrets::Migration),
            Box::new(m20261206_120200_create_plugin_seeds::Migration),
            Box::new(m20261206_130000_add_approval_quorum_and_github_links::Migration),
            Box::new(m20261206_130100_guard_audit_truncate::Migration),
            Box::new(m20261206_140000_create_delivery_digests::Migration),
            Box::new(m20261206_150000_demote_team_admin_grants::Migration),
            Box::new(m20261206_160000_create_storage_probe::Migration),
            Box::new(m20261206_160100_create_host_writes::Migration),
            Box::new(m20261207_170000_create_config_version::Migration),
            Box::new(m20261207_180000_create_plugin_skips::Migration),
            Box::new(m20261208_100000_create_delivery_recovery::Migration),
            Box::new(m20261208_110000_create_repo_configs::Migration),
            Box::new(m20261209_100000_add_job_cancel::Migration),
            Box::new(m20261209_100000_create_model_calls::Migration),
            Box::new(m20261209_120000_create_model_budgets::Migration),
            Box::new(m20261209_130000_create_repo_onboardings::Migration),
            Box::new(m20261209_133000_create_ownership_files::Migration),
        ]
    }
}
