//! `AppState`: the one cheap-to-clone context every handler, service and worker gets.
//! It lives with the services because it holds their parts (the delivery writer, the
//! compiled plugins, the job configuration cache), and they take it. `assemble`
//! puts it together from an opened database and runtime: for the server
//! (`startup`) and for `gantry plugin test`, which runs jobs as the server does.
use std::sync::Arc;

use anyhow::Context;
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
    /// When this process last read each repository's `.github/gantry.yml`.
    pub repo_config_clock: Arc<crate::services::repo_config::RefreshClock>,
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
    /// The stop signals of the jobs this process runs now (job control).
    pub stops: Arc<crate::wasm_host::StopSignals>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("plugins", &self.plugins)
            .finish_non_exhaustive()
    }
}

/// How long intake's storage breaker stays open before a probe delivery goes
/// through (`services::storage_breaker`).
const BREAKER_COOL_DOWN: std::time::Duration = std::time::Duration::from_secs(1);

/// What [`AppState::assemble`] is given rather than builds from the settings.
#[allow(missing_debug_implementations)] // holds trait objects
pub struct Parts {
    /// The database, migrated.
    pub db: DatabaseConnection,
    /// The wasmtime engine the plugins are compiled on.
    pub runtime: PluginRuntime,
    /// Installed plugins compiled on `runtime`.
    pub plugins: Arc<CompiledPlugins>,
    /// Prometheus metrics.
    pub metrics: Metrics,
    /// Sees each delivery before plugins run (a simulator).
    pub observer: Option<Arc<dyn DeliveryObserver>>,
    /// Whether this runs as a sandbox.
    pub sandbox: bool,
}

impl AppState {
    /// The state of a process on `settings`: GitHub access, host services, the
    /// delivery writer, session keys and the rest built around `parts`.
    ///
    /// # Errors
    /// When GitHub access, the webhook secrets, the host services, the session key
    /// or the delivery writer cannot be set up.
    pub async fn assemble(settings: Settings, parts: Parts) -> anyhow::Result<Self> {
        let Parts {
            db,
            runtime,
            plugins,
            metrics,
            observer,
            sandbox,
        } = parts;
        let github = GitHubAccess::from_settings(
            &settings.github,
            Some(crate::github::app::GitHubMetrics {
                rate_left: metrics.github_rate_left.clone(),
                calls: metrics.github_calls.clone(),
            }),
        )
        .context("setting up GitHub access")?;
        let webhook_secrets = Arc::new(WebhookSecrets::new(&settings)?);
        let host_services = Arc::new(
            crate::wasm_host::ProcessServices::new(&settings, Some(&metrics))
                .context("setting up plugin host services")?,
        );
        let session_keys = crate::auth::SessionKeys::load(&db, &settings)
            .await
            .context("loading the session signing key")?;
        let writer = crate::services::delivery_writer::DeliveryWriter::spawn(
            db.clone(),
            settings.database_url(),
        )
        .context("starting the delivery writer")?;
        let intake_permits = Arc::new(tokio::sync::Semaphore::new(
            settings.webhook.max_in_flight.max(1),
        ));
        let breaker = Arc::new(crate::services::storage_breaker::StorageBreaker::new(
            BREAKER_COOL_DOWN,
            settings.webhook.deadline() + BREAKER_COOL_DOWN,
            metrics.storage_breaker_state.clone(),
            metrics.storage_failures.clone(),
        ));
        Ok(Self {
            passwords: Arc::new(crate::auth::verifier::PasswordVerifier::new(
                settings.web.login.max_concurrent_verifications,
            )),
            session_keys,
            writer,
            breaker,
            db,
            host_services,
            settings: Arc::new(settings),
            runtime,
            plugins,
            job_config: Arc::default(),
            repo_config_clock: Arc::default(),
            github,
            wake: Arc::new(Notify::new()),
            observer,
            sandbox,
            metrics,
            webhook_secrets,
            own_login: Arc::default(),
            intake_permits,
            stops: Arc::default(),
        })
    }

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
