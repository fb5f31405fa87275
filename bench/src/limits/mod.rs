//! `db-insert` (a limit for TESTPLAN P1): the database's own rate of one-row
//! transactions of a 9 KiB row at 50 concurrent writers, into a fresh table shaped
//! like `deliveries` (an id, a unique delivery id, the payload, a timestamp): what
//! intake could at best reach if storing a row were all it did. Then the same
//! writers call Gantry's own `db::deliveries::store_with_job` (the delivery and its
//! job in one transaction, as intake stores them) on a freshly migrated database:
//! what intake could reach without HTTP, the signature and parsing.
//!
//! Both databases are opened exactly as Gantry opens them
//! (`gantry_server::db::connect`): SQLite in WAL mode with `synchronous=NORMAL`,
//! through one connection as Gantry uses it; PostgreSQL with a pool as large as
//! the number of writers. The payload is the P1 body, so PostgreSQL compresses it as
//! it compresses Gantry's.
mod report;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use gantry_server::db::deliveries::{self, NewDelivery};
use gantry_server::domain::EventMeta;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};

pub use self::report::{InsertOutcome, InsertRun, Shape, HEADING};
use crate::common::{machine, markdown, postgres, DEFAULT_CORPUS};
use crate::rig::Backend;

/// Options of `gantry-bench db-insert`.
#[derive(Debug, Clone, clap::Args)]
pub struct InsertArgs {
    /// Seconds of inserts per database.
    #[arg(long, default_value_t = 20)]
    pub seconds: u64,
    /// Concurrent writers, one task each.
    #[arg(long, default_value_t = 50)]
    pub concurrency: usize,
    /// Size of the payload of every row.
    #[arg(long, default_value_t = 9216)]
    pub body_bytes: usize,
    /// Databases, run in this order.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "sqlite,postgres"
    )]
    pub databases: Vec<Backend>,
    /// A PostgreSQL database to connect to for creating (and dropping) the run's own database.
    #[arg(long, env = "GANTRY_TEST_POSTGRES_URL", hide_env_values = true, default_value = postgres::DEFAULT_URL)]
    pub postgres_url: String,
    /// The webhook corpus; the payload is P1's `webhooks/issues/opened.payload.json`, padded.
    #[arg(long, default_value = DEFAULT_CORPUS)]
    pub corpus: PathBuf,
    /// Markdown file whose section is written (created if missing).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Runs the benchmark, prints the section and writes `--out`.
///
/// # Errors
/// When a database cannot be set up or the output cannot be written.
pub fn run(args: &InsertArgs) -> anyhow::Result<()> {
    let outcome = measure(args, true)?;
    let section = outcome.section();
    println!("{section}");
    if let Some(out) = &args.out {
        markdown::write_section(out, HEADING, &section)?;
        tracing::info!(file = %out.display(), "wrote the results");
    }
    Ok(())
}

/// Measures every database in turn. `standalone` puts the machine in the section.
///
/// # Errors
/// As [`run`].
pub fn measure(args: &InsertArgs, standalone: bool) -> anyhow::Result<InsertOutcome> {
    if args.seconds == 0 || args.concurrency == 0 || args.databases.is_empty() {
        bail!("--seconds and --concurrency must be positive and --databases not empty");
    }
    let corpus_file = args.corpus.join("webhooks/issues/opened.payload.json");
    let payload = crate::intake::body(&corpus_file, args.body_bytes)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("bench-client")
        .build()
        .context("starting a runtime")?;
    let started = chrono::Utc::now();
    let mut runs = Vec::new();
    for backend in &args.databases {
        for shape in Shape::ALL {
            tracing::info!(
                database = backend.name(),
                shape = shape.name(),
                seconds = args.seconds,
                writers = args.concurrency,
                "inserting"
            );
            let run = runtime.block_on(run_one(args, *backend, shape, Arc::clone(&payload)))?;
            tracing::info!(
                database = backend.name(),
                shape = shape.name(),
                rows = run.rows,
                per_second = run.per_second as u64,
                p99_us = run.p99_us,
                "done"
            );
            runs.push(run);
        }
    }
    runtime.shutdown_timeout(Duration::from_secs(5));
    Ok(InsertOutcome::new(args, started, standalone, runs))
}

async fn run_one(
    args: &InsertArgs,
    backend: Backend,
    shape: Shape,
    payload: Arc<Vec<u8>>,
) -> anyhow::Result<InsertRun> {
    let dir = tempfile::Builder::new()
        .prefix("gantry-bench-insert-")
        .tempdir()
        .context("creating a temporary directory")?;
    let (url, database) = match backend {
        Backend::Sqlite => (
            format!(
                "sqlite://{}?mode=rwc",
                dir.path().join("insert.db").display()
            ),
            None,
        ),
        Backend::Postgres => {
            let database = postgres::create_database(&args.postgres_url).await?;
            (database.url.clone(), Some(database))
        }
    };
    let result = insert_for(&url, backend, shape, args, payload).await;
    if let Some(database) = &database {
        postgres::drop_quietly(&args.postgres_url, &database.name).await;
    }
    let mut run = result?;
    run.postgres_facts = database.map(|d| d.server);
    Ok(run)
}

async fn insert_for(
    url: &str,
    backend: Backend,
    shape: Shape,
    args: &InsertArgs,
    payload: Arc<Vec<u8>>,
) -> anyhow::Result<InsertRun> {
    let pool = u32::try_from(args.concurrency).unwrap_or(u32::MAX);
    let db = gantry_server::db::connect(url, pool).await?;
    let count_sql = match shape {
        Shape::Row => {
            db.execute_unprepared(create_table(backend))
                .await
                .context("creating the table")?;
            "SELECT COUNT(*) FROM bench_rows"
        }
        Shape::GantryStore => {
            gantry_server::db::migrate(&db).await?;
            "SELECT COUNT(*) FROM deliveries"
        }
    };
    let meta =
        Arc::new(EventMeta::from_json(&payload).context("the payload is not a webhook payload")?);
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let before = machine::sample();
    let start = Instant::now();
    let writers: Vec<_> = (0..args.concurrency)
        .map(|_| {
            tokio::spawn(writer(
                db.clone(),
                backend,
                shape,
                Arc::clone(&payload),
                Arc::clone(&meta),
                deadline,
            ))
        })
        .collect();
    let mut latencies = Vec::new();
    let mut errors = 0;
    let mut first_error = None;
    for writer in writers {
        let (mine, failed, error) = writer.await.context("a writer task failed")?;
        latencies.extend(mine);
        errors += failed;
        first_error = first_error.or(error);
    }
    let elapsed = start.elapsed();
    let cpu = machine::usage(&before, &machine::sample());
    let stored = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), count_sql))
        .await?
        .context("no count")?;
    let stored: i64 = stored.try_get_by_index(0)?;
    db.close().await?;
    let mut run = InsertRun::new(
        backend,
        pool_size(backend, pool),
        latencies,
        errors,
        first_error,
        elapsed,
        u64::try_from(stored)?,
        cpu,
    );
    run.shape = shape;
    Ok(run)
}

/// The connections Gantry's `db::connect` opens for `backend` when asked for `pool`.
fn pool_size(backend: Backend, pool: u32) -> u32 {
    match backend {
        Backend::Sqlite => 1,
        Backend::Postgres => pool,
    }
}

fn create_table(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => {
            "CREATE TABLE bench_rows (id INTEGER PRIMARY KEY AUTOINCREMENT, delivery_id TEXT NOT NULL UNIQUE, payload BLOB NOT NULL, \
             received_at TEXT NOT NULL)"
        }
        Backend::Postgres => {
            "CREATE TABLE bench_rows (id BIGSERIAL PRIMARY KEY, delivery_id TEXT NOT NULL UNIQUE, payload BYTEA NOT NULL, \
             received_at TIMESTAMPTZ NOT NULL)"
        }
    }
}

/// One writer: stores back to back until `deadline`, one row or one delivery with
/// its job at a time; latencies in µs, the number of failures and the first
/// failure's message.
async fn writer(
    db: DatabaseConnection,
    backend: Backend,
    shape: Shape,
    payload: Arc<Vec<u8>>,
    meta: Arc<EventMeta>,
    deadline: Instant,
) -> (Vec<u64>, u64, Option<String>) {
    let (sql, db_backend) = match backend {
        Backend::Sqlite => (
            "INSERT INTO bench_rows (delivery_id, payload, received_at) VALUES (?, ?, ?)",
            DbBackend::Sqlite,
        ),
        Backend::Postgres => (
            "INSERT INTO bench_rows (delivery_id, payload, received_at) VALUES ($1, $2, $3)",
            DbBackend::Postgres,
        ),
    };
    let mut latencies = Vec::new();
    let mut failed = 0;
    let mut first_error = None;
    while Instant::now() < deadline {
        let delivery_id = uuid::Uuid::new_v4().to_string();
        let started = Instant::now();
        let result = match shape {
            Shape::Row => {
                let values: [sea_orm::Value; 3] = [
                    delivery_id.into(),
                    payload.as_ref().clone().into(),
                    chrono::Utc::now().into(),
                ];
                db.execute_raw(Statement::from_sql_and_values(db_backend, sql, values))
                    .await
                    .map(drop)
            }
            Shape::GantryStore => {
                let new = NewDelivery {
                    delivery_id: &delivery_id,
                    event: "issues",
                    meta: &meta,
                    payload: &payload,
                    trace_parent: None,
                    replay: None,
                };
                deliveries::store_with_job(&db, new).await.map(drop)
            }
        };
        match result {
            Ok(()) => {
                latencies.push(u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX))
            }
            Err(err) => {
                failed += 1;
                first_error.get_or_insert_with(|| err.to_string());
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
    (latencies, failed, first_error)
}
