//! `AppState`: the one cheap-to-clone context every handler, service and worker gets.
//! It lives with the services because it holds their parts (the delivery writer, the
//! compiled plugins, the job configuration cache), and they take it.
use std::sync::Arc;

use sea_orm::DatabaseConnection;
use tokio::sync::Notify;

use super::dispatch::DeliveryObserver;
use super::installed::CompiledPlugins;
use crate::config::Settings;
use crate::github::{GitHubAccess, GitHubClient, GitHubError};
use crate::metrics::Metrics;
use crate::secrets::WebhookSecrets;
use crate::wasm_host::PluginRuntime;

/// Shared state, registered once with the HTTP server and cloned into each worker.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub db: DatabaseConnection,
    /// The settings the process started with.
    pub settings: Arc<Settings>,
    /// The wasmtime engine and linker.
    pub runtime: PluginRuntime,
    /// Installed plugins, compiled on `runtime`, by digest (which of them run is
    /// read from the database when it changed: `services::job_config`).
    pub plugins: Arc<CompiledPlugins>,
    /// Policy rules and the plugins each project runs, kept while
    /// `config_version` says they did not change.
    pub job_config: Arc<crate::services::job_config::JobConfigCache>,
    /// GitHub on the configured credentials.
    pub github: GitHubAccess,
    /// Stores accepted deliveries, several per commit under load.
    pub writer: crate::services::delivery_writer::DeliveryWriter,
    /// Refuses deliveries at once while storage keeps failing.
    pub breaker: Arc<crate::services::storage_breaker::StorageBreaker>,
    /// Wakes an idle worker when a delivery is stored.
    pub wake: Arc<Notify>,
    /// Sees each delivery before plugins run (the sandbox's simulator).
    pub observer: Option<Arc<dyn DeliveryObserver>>,
    /// Whether this server runs as a sandbox (`startup::Extras::sandbox`).
    pub sandbox: bool,
    /// Prometheus metrics.
    pub metrics: Metrics,
    /// The webhook secrets deliveries are checked against.
    pub webhook_secrets: Arc<WebhookSecrets>,
    /// Secrets, HTTP and metrics for plugins' host calls.
    pub host_services: Arc<crate::wasm_host::ProcessServices>,
    /// The keys dashboard sessions are signed with.
    pub session_keys: crate::auth::SessionKeys,
    /// Sign-in's password checks, a bounded number at once.
    pub passwords: Arc<crate::auth::verifier::PasswordVerifier>,
    /// Gantry's own GitHub login with a personal token, once asked (`own_login`).
    pub own_login: Arc<tokio::sync::OnceCell<String>>,
    /// Deliveries intake may hold at once (`webhook.max_in_flight`).
    pub intake_permits: Arc<tokio::sync::Semaphore>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("plugins", &self.plugins)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// The key of the audit log's chain.
    #[must_use]
    pub fn audit_key(&self) -> &crate::crypto::AuditKey {
        &self.host_services.audit_key
    }

    /// Wakes one idle worker, if any; otherwise the next one to look finds the job.
    pub fn wake_workers(&self) {
        self.wake.notify_one();
    }

    /// Gantry's own GitHub login when it acts with a personal token: whoever owns
    /// the token (`GET /user`, asked once and remembered). Its comments are the
    /// plugins' and Gantry's, never a person's. `None` as an App, whose bot account
    /// (`<slug>[bot]`) is refused as every bot is.
    ///
    /// # Errors
    /// A [`GitHubError`] when GitHub cannot say.
    pub async fn own_login(&self) -> Result<Option<String>, GitHubError> {
        let GitHubAccess::Token(client) = &self.github else {
            return Ok(None);
        };
        let login = self
            .own_login
            .get_or_try_init(|| async {
                let me = client.rest(http::Method::GET, "/user", None).await?;
                me["login"]
                    .as_str()
                    .map(str::to_ascii_lowercase)
                    .ok_or_else(|| GitHubError::Rejected {
                        status: 200,
                        message: "GET /user named no login".into(),
                    })
            })
            .await?;
        Ok(Some(login.clone()))
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
        let meta = match &self.github {
            GitHubAccess::Token(client) => return Ok(client.clone()),
            GitHubAccess::App(_) => {
                crate::db::deliveries::find_by_delivery_id(&self.db, delivery_id)
                    .await
                    .map_err(|e| GitHubError::Transient(format!("the database failed: {e}")))?
                    .and_then(|d| crate::domain::EventMeta::from_json(&d.payload).ok())
                    .unwrap_or_default()
            }
        };
        self.github
            .client(meta.installation_id, meta.repository.as_ref())
            .await
    }
}
