//! `Application::build` wires settings into a running server: database (migrated when
//! configured), plugin runtime, the plugins found at start installed in the database,
//! GitHub client, HTTP listener and workers.
//! It binds before returning, so callers (and tests, with port 0) know the port.
use std::net::TcpListener;
use std::sync::Arc;

use actix_web::{web, App, HttpServer};
use anyhow::Context;
use tracing_actix_web::TracingLogger;

use crate::config::Settings;
use crate::jobs::WorkerPool;
use crate::metrics::Metrics;
use crate::services::dispatch::DeliveryObserver;
use crate::services::installed::{self, CompiledPlugins};
use crate::services::state::Parts;
use crate::services::AppState;
use crate::wasm_host::{PluginRegistry, PluginRuntime};
use crate::{db, routes};

/// A built, bound, not yet running Gantry server.
pub struct Application {
    port: u16,
    server: actix_web::dev::Server,
    state: AppState,
    /// The jobs' pool: on PostgreSQL one of their own (see [`Application::build`]),
    /// on SQLite the one connection everyone shares.
    job_db: sea_orm::DatabaseConnection,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

/// Optional parts supplied by the caller rather than the settings.
#[derive(Default)]
#[allow(missing_debug_implementations)] // holds trait objects
pub struct Extras {
    /// Sees every delivery before plugins run (the sandbox's simulator).
    pub observer: Option<Arc<dyn DeliveryObserver>>,
    /// Runs as a sandbox (`gantry sandbox`, or a test harness beside a simulator):
    /// the dashboard offers its sandbox page. Never set by `gantry serve`.
    pub sandbox: bool,
    /// Plugins to install at start instead of those in `settings.plugins.dir`, with
    /// the runtime they were compiled on (a component only runs on its own engine).
    pub plugins: Option<(PluginRuntime, PluginRegistry)>,
}

impl Application {
    /// Builds the application from settings.
    ///
    /// # Errors
    /// When the database, the plugins, the GitHub client or the listener cannot be
    /// set up.
    pub async fn build(mut settings: Settings, extras: Extras) -> anyhow::Result<Self> {
        let db = db::connect(&settings.database_url(), settings.database.max_connections).await?;
        // Production checks before anything changes (migrations included).
        if settings.server.environment == crate::config::Environment::Production {
            let stored = crate::secrets::webhook::stored(&db).await;
            settings.check_production(&stored)?;
        }
        if settings.database.migrate_on_start {
            db::migrate(&db).await?;
        }
        use_stored_app(&mut settings, &db).await?;
        let (runtime, plugins) = match extras.plugins {
            Some(pair) => pair,
            None => {
                let runtime = PluginRuntime::new(settings.plugins.limits.clone())?.with_cache(
                    settings.data_dir.join("cache/components"),
                    settings.secrets.key.as_ref(),
                );
                let plugins = if settings.plugins.dir.is_dir() {
                    PluginRegistry::load_dir(
                        &runtime,
                        &settings.plugins.dir,
                        &settings.plugins.config,
                    )?
                } else {
                    tracing::warn!(dir = %settings.plugins.dir.display(), "the plugin directory does not exist; no plugins loaded");
                    PluginRegistry::default()
                };
                (runtime, plugins)
            }
        };
        // What was found at start is installed (or upgraded) in the database, which
        // from then on says what runs: see services::installed::seed.
        let compiled = Arc::new(CompiledPlugins::new(runtime.clone()));
        let audit_key = crate::crypto::AuditKey::derive(settings.secrets.key.as_ref())
            .context("deriving the audit chain's key from secrets.key")?;
        installed::seed::install_found(&db, &audit_key, &compiled, &plugins).await?;
        installed::active::warm(&db, &compiled).await?;
        let metrics = Metrics::new()?;
        let mut db = db;
        count_statements(&mut db, &metrics);
        // On PostgreSQL jobs get a pool of their own, opened on this runtime: a
        // connection an HTTP worker opened is driven by that worker's runtime, which
        // ends with the server, while jobs in flight still finish after it. It also
        // keeps an intake burst from taking every connection jobs need.
        let job_db = if db.get_database_backend() == sea_orm::DbBackend::Postgres {
            let mut own =
                db::connect(&settings.database_url(), settings.database.max_connections).await?;
            count_statements(&mut own, &metrics);
            own
        } else {
            db.clone()
        };
        let state = AppState::assemble(
            settings,
            Parts {
                db,
                runtime,
                plugins: compiled,
                metrics,
                observer: extras.observer,
                sandbox: extras.sandbox,
            },
        )
        .await?;
        if !state.webhook_secrets.any(&state.db).await? {
            tracing::warn!("no webhook secret is configured: every delivery will be refused until one is set (GANTRY_WEBHOOK_SECRET or `gantry secrets add`)");
        }
        let listener = TcpListener::bind(&state.settings.server.listen)
            .with_context(|| format!("binding {}", state.settings.server.listen))?;
        let port = listener.local_addr()?.port();
        let data = web::Data::new(state.clone());
        let server = HttpServer::new(move || {
            App::new()
                .wrap(actix_web::middleware::from_fn(routes::table::enforce))
                .wrap(actix_web::middleware::from_fn(crate::routes::admit))
                .wrap(TracingLogger::default())
                .wrap(actix_web::middleware::from_fn(routes::harden))
                .app_data(data.clone())
                .configure(routes::config)
        })
        .workers(state.settings.server.http_workers.max(1))
        .listen(listener)?
        .run();
        Ok(Self {
            port,
            server,
            state,
            job_db,
        })
    }

    /// The port the server is bound to.
    #[must_use]
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A handle that stops the server (and so, once `run_until_stopped` sees it end,
    /// the workers): for tests that restart an app and for embedding.
    #[must_use]
    pub fn server_handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// The shared state, for tests and embedding.
    #[must_use]
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves HTTP and runs the workers until the server stops (SIGINT or SIGTERM),
    /// then lets the workers finish every job they have in flight.
    ///
    /// # Errors
    /// When the HTTP server fails.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let own_pool = self.job_db.get_database_backend() == sea_orm::DbBackend::Postgres;
        let jobs = AppState {
            db: self.job_db.clone(),
            ..self.state.clone()
        };
        let workers = WorkerPool::start(&jobs);
        let result = self.server.await;
        workers.shutdown().await;
        if own_pool {
            let _ = self.job_db.close().await;
        }
        result
    }
}

/// Counts every statement sent on `db` in `gantry_db_statements_total`.
fn count_statements(db: &mut sea_orm::DatabaseConnection, metrics: &Metrics) {
    let statements = metrics.db_statements.clone();
    db.set_metric_callback(move |info: &sea_orm::metric::Info<'_>| {
        let result = if info.failed { "error" } else { "ok" };
        statements.with_label_values(&[result]).inc();
    });
}

/// Runs as the GitHub App registered from the dashboard (`services::app_setup`) when
/// the settings name neither an App nor a token.
async fn use_stored_app(
    settings: &mut Settings,
    db: &sea_orm::DatabaseConnection,
) -> anyhow::Result<()> {
    if settings.github.app_id.is_some() || settings.github.token.is_some() {
        return Ok(());
    }
    let stored = crate::secrets::app::load(db, settings.secrets.key.as_ref())
        .await
        .context("reading the GitHub App registered from the dashboard")?;
    if let Some(app) = stored {
        tracing::info!(app_id = app.app_id, slug = %app.slug, "running as the GitHub App registered from the dashboard");
        settings.github.app_id = Some(app.app_id);
        settings.github.private_key = Some(crate::domain::Secret::new(app.pem));
    }
    Ok(())
}
