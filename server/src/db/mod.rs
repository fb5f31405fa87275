//! Persistence: the connection (SQLite with WAL and a busy timeout, or PostgreSQL),
//! migrations, generated-style entities in `entities/`, and hand-written queries in
//! one module per table that return plain values.
//!
//! A pooled connection that comes back still inside a transaction is closed, never
//! handed out again (see [`connect`] and docs/adr/0004-storage-faults.md).
pub mod accounts;
pub mod approvals;
pub mod audit;
pub mod config_version;
pub mod dashboard;
pub mod deliveries;
mod deliveries_many;
pub mod delivery_digests;
pub mod entities;
pub mod host_writes;
pub mod installations;
pub mod job_start;
pub mod jobs;
pub mod kv;
pub mod model_budgets;
pub mod model_calls;
pub mod ownership_files;
pub mod persist;
pub mod plugin_secrets;
pub mod plugin_seeds;
pub mod plugin_states;
pub mod plugin_uploads;
pub mod plugins;
pub mod recovery;
pub mod repo_configs;
pub mod repo_onboardings;
pub mod runs;
pub mod secrets;
pub mod sessions;
pub mod skips;
pub mod visibility;

use std::time::Duration;

use anyhow::Context;
use gantry_migrations::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement,
};

/// Opens the database at `url`, creating the SQLite file and its directory if needed.
///
/// SQLite gets one connection whatever `max_connections` says: it has one writer at
/// a time, and with several connections the others wait in SQLite's busy handler,
/// which sleeps in growing steps (measured: p99 88 ms and a 1.1 s worst case at 50
/// concurrent deliveries, against 19 ms and 23 ms with one connection at the same
/// throughput). One connection queues the work in order instead. Code must
/// therefore never use the pool while it holds a transaction.
///
/// A connection is only handed out when it is outside any transaction: one the
/// driver still counts as inside a transaction when it is taken from the pool (its
/// last COMMIT or ROLLBACK failed, for instance after SQLite rolled back by itself
/// on SQLITE_FULL, SQLITE_IOERR or SQLITE_BUSY) is closed and replaced. Otherwise
/// the driver's transaction depth drifts from SQLite's, every later "transaction"
/// is a savepoint inside one that never commits, and deliveries answered 202 never
/// reach the file. The check reads a counter the driver keeps; it costs no round
/// trip.
///
/// # Errors
/// When the directory cannot be created or the database cannot be reached.
pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<DatabaseConnection> {
    if let Some(path) = sqlite_path(url) {
        if let Some(dir) = std::path::Path::new(path)
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
    }
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(if is_sqlite(url) { 1 } else { max_connections })
        .min_connections(1)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(5))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
        })
        .map_sqlx_sqlite_before_acquire(|conn, _| {
            Box::pin(async move { Ok(outside_transaction(conn)) })
        })
        .map_sqlx_postgres_before_acquire(|conn, _| {
            Box::pin(async move { Ok(outside_transaction(conn)) })
        });
    Database::connect(options)
        .await
        .with_context(|| format!("connecting to the database at {}", redact_url(url)))
}

/// Applies every pending migration.
///
/// # Errors
/// When a migration fails; the database is left at the last good migration.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    Migrator::up(db, None)
        .await
        .context("running database migrations")
}

/// Rolls back the last `steps` applied migrations (all with `None`). Refuses,
/// changing nothing, when that would roll back one of
/// [`gantry_migrations::AUDIT_GUARDS`] (dropping the audit log or its append-only
/// triggers) unless `force` is set: the audit log is not to be removed by an
/// ordinary rollback.
///
/// # Errors
/// When the rollback is refused or a migration fails.
pub async fn roll_back(
    db: &DatabaseConnection,
    steps: Option<u32>,
    force: bool,
) -> anyhow::Result<()> {
    let applied = Migrator::get_applied_migrations(db)
        .await
        .context("reading which migrations are applied")?;
    let count = steps.map_or(applied.len(), |n| usize::try_from(n).unwrap_or(usize::MAX));
    let guarded: Vec<String> = applied
        .iter()
        .rev()
        .take(count)
        .map(|m| m.name().to_owned())
        .filter(|name| gantry_migrations::AUDIT_GUARDS.contains(&name.as_str()))
        .collect();
    if !guarded.is_empty() && !force {
        anyhow::bail!(
            "refusing to roll back {}: that removes the audit log or its append-only guards; add --force if that is really meant",
            guarded.join(", ")
        );
    }
    Migrator::down(db, steps)
        .await
        .context("rolling back migrations")
}

/// Whether a pooled connection may be handed out: only when the driver counts no
/// open transaction on it. One that does is left over from a failed COMMIT or
/// ROLLBACK, and its state can no longer be trusted; the pool closes it.
fn outside_transaction(conn: &impl sea_orm::sqlx::Connection) -> bool {
    let clean = !conn.is_in_transaction();
    if !clean {
        tracing::warn!("a pooled database connection came back inside a transaction (a COMMIT or ROLLBACK failed); it is closed and replaced");
    }
    clean
}

/// `postgres`, a statement written with PostgreSQL's numbered parameters (`$1`),
/// with its values, for the backend of `db`: SQLite's `?1` there. For the hand-written
/// queries of the modules beside this one that are the same on both databases.
pub(crate) fn sql(
    db: &impl ConnectionTrait,
    postgres: &str,
    values: Vec<sea_orm::Value>,
) -> Statement {
    let backend = db.get_database_backend();
    let text = if backend == DbBackend::Postgres {
        postgres.to_owned()
    } else {
        postgres.replace('$', "?")
    };
    Statement::from_sql_and_values(backend, text, values)
}

fn is_sqlite(url: &str) -> bool {
    url.starts_with("sqlite:")
}

/// The file path of a `sqlite://` URL, without its query string.
pub fn sqlite_path(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && path != ":memory:").then_some(path)
}

/// A database URL with any password replaced, for error messages and logs.
#[must_use]
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let creds = &url[scheme_end + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted_from_database_urls() {
        assert_eq!(
            redact_url("postgres://gantry:s3cret@db:5432/gantry"),
            "postgres://gantry:***@db:5432/gantry"
        );
        assert_eq!(
            redact_url("sqlite://data/gantry.db?mode=rwc"),
            "sqlite://data/gantry.db?mode=rwc"
        );
    }

    #[test]
    fn sqlite_paths_are_found_in_urls() {
        assert_eq!(
            sqlite_path("sqlite://data/g.db?mode=rwc"),
            Some("data/g.db")
        );
        assert_eq!(sqlite_path("sqlite::memory:"), None);
        assert_eq!(sqlite_path("postgres://x"), None);
    }
}
