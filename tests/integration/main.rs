//! Gantry's integration suite: real server, real SQLite or PostgreSQL, real wasmtime
//! running real plugins, real octocrab talking HTTP to the simulator.
//!
//! Every test gets its own database, ports and simulator (see `helpers`). The suite
//! runs on SQLite by default and on PostgreSQL with `GANTRY_TEST_DATABASE=postgres`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod access;
mod accounts;
mod actors;
mod agent_models;
mod alloc;
mod api;
mod app_setup;
mod approval_lifecycle;
mod approvals;
mod audit_chain;
mod browser;
mod bursts;
mod cli_audit;
mod cli_database;
mod commands;
mod dashboard;
mod delivery_reasons;
mod durability;
mod edges;
mod edited_commands;
mod expensive;
mod faults;
mod git;
mod git_held;
mod github_app;
mod health;
mod helpers;
mod hooks_around;
mod host_calls;
mod hostile;
mod in_flight;
mod installations;
mod intake;
mod intake_limits;
mod job_control;
mod job_path;
mod jobs;
mod login_edges;
mod model_budgets;
mod model_calls;
mod models;
mod observability;
mod owners;
mod pagination;
mod plugin_agent;
mod plugin_agent_fix;
mod plugin_ci;
mod plugin_commands;
mod plugin_config_schema;
mod plugin_hooks;
mod plugin_releases;
mod plugin_sync;
mod plugin_v0_2_branches;
mod plugin_v0_2_calls;
mod plugin_v0_2_pulls;
mod plugins;
mod plugins_admin;
mod policy;
mod policy_targets;
mod process;
mod production_build;
mod proxies;
mod rate_limits;
mod recovery;
mod release_assets;
mod repo_config;
mod repo_onboarding;
mod rest_paths;
mod review_commands;
mod routing;
mod sandbox;
mod scenario;
mod schedule;
mod secrets;
mod self_approval;
mod separation;
mod stand_in;
mod strict_requests;
mod team_roles;
mod telemetry;
mod tenants;
mod visibility;
mod webhooks;
mod wit_versions;

#[global_allocator]
static ALLOCATOR: alloc::PeakAlloc = alloc::PeakAlloc;
