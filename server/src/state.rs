//! `AppState`: the one cheap-to-clone context every handler, service and worker gets.
use std::sync::Arc;

use sea_orm::DatabaseConnection;
use tokio::sync::Notify;

use crate::config::Settings;
use crate::github::GitHubClient;
use crate::metrics::Metrics;
use crate::plugins::PluginRuntime;
use crate::services::dispatch::DeliveryObserver;
use crate::services::plugins::CompiledPlugins;
use crate::services::secrets::WebhookSecrets;

/// Shared state, registered once with actix and cloned into each worker.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub db: DatabaseConnection,
    /// The settings the process started with.
    pub settings: Arc<Settings>,
    /// The wasmtime engine and linker.
    pub runtime: PluginRuntime,
    /// Installed plugins, compiled on `runtime`, by digest (which of them run is
    /// read from the database for every job: `services::plugins::active`).
    pub plugins: Arc<CompiledPlugins>,
    /// GitHub on the configured credentials.
    pub github: GitHubClient,
    /// Wakes an idle worker when a delivery is stored.
    pub wake: Arc<Notify>,
    /// Sees each delivery before plugins run (the sandbox's simulator).
    pub observer: Option<Arc<dyn DeliveryObserver>>,
    /// Prometheus metrics.
    pub metrics: Metrics,
    /// The webhook secrets deliveries are checked against.
    pub webhook_secrets: Arc<WebhookSecrets>,
    /// Secrets, HTTP and metrics for plugins' host calls.
    pub host_services: Arc<crate::plugins::HostServices>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").field("plugins", &self.plugins).finish_non_exhaustive()
    }
}

impl AppState {
    /// Wakes one idle worker, if any; otherwise the next one to look finds the job.
    pub fn wake_workers(&self) {
        self.wake.notify_one();
    }
}
