//! The servers under load: Gantry as `Application::build` wires it (on SQLite in a
//! temporary directory, or on a fresh PostgreSQL database), and a bare actix-web
//! server that only reads the body and answers 202, the ceiling for intake.
//!
//! Gantry runs without plugins, so its job workers only mark jobs done; the durability
//! check then waits for them to drain and counts what was stored.
use std::net::TcpListener;
use std::time::{Duration, Instant};

use actix_web::{web, App, HttpResponse, HttpServer};
use anyhow::Context;
use gantry_server::config::Limits;
use gantry_server::domain::Secret;
use gantry_server::wasm_host::{PluginRegistry, PluginRuntime};
use gantry_server::{AppState, Application, Extras, Settings};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

/// The secret every benchmark server accepts and every request is signed with.
pub const SECRET: &str = "gantry-bench-webhook-secret-of-32-bytes-or-more";

/// The largest body either server accepts: Gantry's default cap.
const MAX_BODY: usize = 25 * 1024 * 1024;

/// A Gantry server running on the current runtime.
#[derive(Debug)]
pub struct GantryServer {
    /// `http://127.0.0.1:PORT`.
    pub address: String,
    /// Its state, for counting what it stored.
    pub state: AppState,
    _dir: tempfile::TempDir,
}

/// Builds Gantry with default settings except: port 0, a temporary data directory,
/// the bench secret, no plugins, and `database_url` when given (SQLite in the data
/// directory otherwise). Must run on the runtime that is to host its job workers.
///
/// # Errors
/// When the directory, the database or the listener cannot be set up.
pub async fn start_gantry(database_url: Option<String>) -> anyhow::Result<GantryServer> {
    let dir = tempfile::tempdir().context("creating a data directory")?;
    let mut settings = Settings {
        data_dir: dir.path().to_path_buf(),
        ..Settings::default()
    };
    settings.server.listen = "127.0.0.1:0".into();
    settings.database.url = database_url.unwrap_or_default();
    settings.webhook.secrets = vec![Secret::new(SECRET)];
    // Never called: there are no plugins. Loopback keeps it that way if that changes.
    settings.github.api_url = "http://127.0.0.1:9".into();
    let runtime = PluginRuntime::new(Limits::default())?;
    let app = Application::build(
        settings,
        Extras {
            observer: None,
            sandbox: false,
            plugins: Some((runtime, PluginRegistry::default())),
        },
    )
    .await?;
    let address = format!("http://127.0.0.1:{}", app.port());
    let state = app.state().clone();
    tokio::spawn(app.run_until_stopped());
    Ok(GantryServer {
        address,
        state,
        _dir: dir,
    })
}

/// Starts the bare server with as many HTTP workers as Gantry's default and returns
/// its address.
///
/// # Errors
/// When the listener cannot be bound.
pub fn start_bare() -> anyhow::Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0").context("binding the bare server")?;
    let address = format!("http://{}", listener.local_addr()?);
    let server = HttpServer::new(|| {
        App::new()
            .app_data(web::PayloadConfig::new(MAX_BODY))
            .route("/webhooks/github", web::post().to(accept_body))
    })
    .workers(Settings::default().server.http_workers.max(1))
    .listen(listener)?
    .run();
    tokio::spawn(server);
    Ok(address)
}

async fn accept_body(body: web::Bytes) -> HttpResponse {
    // The extractor has read the whole body; that is all this server does.
    std::hint::black_box(body);
    HttpResponse::Accepted().finish()
}

/// What Gantry stored for a run.
#[derive(Debug, Clone, Default)]
pub struct Durability {
    /// 202 answers the load saw.
    pub accepted: u64,
    /// Rows in `deliveries`.
    pub rows: u64,
    /// Distinct `delivery_id`s among them.
    pub distinct: u64,
    /// Rows in `jobs`.
    pub jobs: u64,
    /// Jobs `done` once the queue drained.
    pub jobs_done: u64,
    /// Jobs queued or running when the load stopped.
    pub backlog: u64,
    /// How long the workers took to finish that backlog.
    pub drain: Duration,
    /// Whether the queue emptied within the timeout.
    pub drained: bool,
}

impl Durability {
    /// Every 202 stored exactly once, with one job each. (How fast the jobs get done
    /// is reported beside it; a slow queue loses nothing.)
    #[must_use]
    pub fn holds(&self) -> bool {
        self.rows == self.accepted && self.distinct == self.rows && self.jobs == self.rows
    }
}

/// Waits up to `timeout` for the job queue to drain, then counts deliveries and jobs.
///
/// # Errors
/// When the database cannot be queried.
pub async fn check_durability(
    state: &AppState,
    accepted: u64,
    timeout: Duration,
) -> anyhow::Result<Durability> {
    let db = &state.db;
    let started = Instant::now();
    let (queued, running) = gantry_server::db::jobs::pending_counts(db).await?;
    let backlog = queued + running;
    let mut drained = backlog == 0;
    while !drained && started.elapsed() < timeout {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let (queued, running) = gantry_server::db::jobs::pending_counts(db).await?;
        drained = queued + running == 0;
    }
    let drain = started.elapsed();
    let counts = count(
        db,
        "SELECT COUNT(*), COUNT(DISTINCT delivery_id) FROM deliveries",
    )
    .await?;
    let jobs = count(
        db,
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN status = 'done' THEN 1 ELSE 0 END), 0) FROM jobs",
    )
    .await?;
    Ok(Durability {
        accepted,
        rows: counts.0,
        distinct: counts.1,
        jobs: jobs.0,
        jobs_done: jobs.1,
        backlog,
        drain,
        drained,
    })
}

async fn count(db: &DatabaseConnection, sql: &str) -> anyhow::Result<(u64, u64)> {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?
        .context("a count returned no row")?;
    let first: i64 = row.try_get_by_index(0)?;
    let second: i64 = row.try_get_by_index(1)?;
    Ok((u64::try_from(first)?, u64::try_from(second)?))
}
