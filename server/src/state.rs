//! `AppState`: the one cheap-to-clone context every handler, service and worker gets.
use std::sync::Arc;

use sea_orm::DatabaseConnection;
use tokio::sync::Notify;

use crate::config::Settings;
use crate::github::{GitHubAccess, GitHubClient, GitHubError};
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
    pub github: GitHubAccess,
    /// Stores accepted deliveries, several per commit under load.
    pub writer: crate::services::delivery_writer::DeliveryWriter,
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
    /// The keys dashboard sessions are signed with.
    pub session_keys: crate::auth::SessionKeys,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("plugins", &self.plugins)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// Wakes one idle worker, if any; otherwise the next one to look finds the job.
    pub fn wake_workers(&self) {
        self.wake.notify_one();
    }

    /// The GitHub client for what delivery `delivery_id` caused: its installation's
    /// token when Gantry is an App, the personal token otherwise.
    ///
    /// # Errors
    /// A [`GitHubError`] when no token can be had (see `GitHubAccess::client`).
    pub async fn github_for_delivery(
        &self,
        delivery_id: &str,
    ) -> Result<GitHubClient, GitHubError> {
        let installation = match &self.github {
            GitHubAccess::Token(client) => return Ok(client.clone()),
            GitHubAccess::App(_) => {
                crate::db::deliveries::find_by_delivery_id(&self.db, delivery_id)
                    .await
                    .map_err(|e| GitHubError::Transient(format!("the database failed: {e}")))?
                    .and_then(|d| crate::domain::EventMeta::from_json(&d.payload).ok())
                    .and_then(|m| m.installation_id)
            }
        };
        self.github.client(installation).await
    }
}
