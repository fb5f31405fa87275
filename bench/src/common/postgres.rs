//! A fresh PostgreSQL database per run, created beside the one the bench is pointed at
//! (`--postgres-url`) and dropped afterwards, and the server's settings for the report.
use anyhow::{bail, Context};
use sea_orm::{ConnectionTrait, Database, Statement};

/// The URL every benchmark uses unless told otherwise (or `GANTRY_TEST_POSTGRES_URL`).
pub const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// A database created for one run on the PostgreSQL server at `admin_url`.
#[derive(Debug, Clone)]
pub struct PostgresDatabase {
    /// The URL of the new database.
    pub url: String,
    /// Its name.
    pub name: String,
    /// `server_version`, `fsync`, `synchronous_commit` and `autovacuum`, for the report.
    pub server: String,
}

/// Creates `gantry_bench_<uuid>` next to the database in `admin_url`.
///
/// # Errors
/// When the server is unreachable or refuses.
pub async fn create_database(admin_url: &str) -> anyhow::Result<PostgresDatabase> {
    let admin = Database::connect(admin_url)
        .await
        .with_context(|| format!("connecting to PostgreSQL at {admin_url}"))?;
    let name = format!("gantry_bench_{}", uuid::Uuid::new_v4().simple());
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .context("creating the benchmark database")?;
    let mut facts = Vec::new();
    for setting in [
        "server_version",
        "fsync",
        "synchronous_commit",
        "autovacuum",
    ] {
        let row = admin
            .query_one_raw(Statement::from_string(
                admin.get_database_backend(),
                format!("SHOW {setting}"),
            ))
            .await?;
        let value: String = row
            .map(|r| r.try_get_by_index(0))
            .transpose()?
            .unwrap_or_default();
        facts.push(format!("{setting} {value}"));
    }
    admin.close().await?;
    let Some((prefix, _)) = admin_url.rsplit_once('/') else {
        bail!("the PostgreSQL URL {admin_url} names no database")
    };
    Ok(PostgresDatabase {
        url: format!("{prefix}/{name}"),
        name,
        server: facts.join(", "),
    })
}

/// Drops a database made by [`create_database`], closing its connections.
///
/// # Errors
/// When the server is unreachable or refuses.
pub async fn drop_database(admin_url: &str, name: &str) -> anyhow::Result<()> {
    let admin = Database::connect(admin_url).await?;
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await
        .context("dropping the benchmark database")?;
    admin.close().await?;
    Ok(())
}

/// Drops a database made by [`create_database`], logging instead of failing: a
/// leftover database must not hide the run's own result or error.
pub async fn drop_quietly(admin_url: &str, name: &str) {
    if let Err(err) = drop_database(admin_url, name).await {
        tracing::warn!(database = %name, error = format!("{err:#}"), "could not drop the benchmark database");
    }
}

/// `server_version` of the server at `admin_url`, for the report's header.
///
/// # Errors
/// When the server is unreachable.
pub async fn server_version(admin_url: &str) -> anyhow::Result<String> {
    let admin = Database::connect(admin_url)
        .await
        .with_context(|| format!("connecting to PostgreSQL at {admin_url}"))?;
    let row = admin
        .query_one_raw(Statement::from_string(
            admin.get_database_backend(),
            "SHOW server_version",
        ))
        .await?;
    let version: String = row
        .map(|r| r.try_get_by_index(0))
        .transpose()?
        .unwrap_or_default();
    admin.close().await?;
    Ok(version)
}
