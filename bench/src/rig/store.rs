//! What the server stored, read from its database after it stopped: deliveries, jobs
//! by status and plugin runs by outcome. The end-to-end and soak reports check these
//! against what was sent.
use std::collections::BTreeMap;

use anyhow::Context;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

/// Counts from the server's tables.
#[derive(Debug, Clone, Default)]
pub struct Stored {
    /// Rows in `deliveries`.
    pub deliveries: u64,
    /// Jobs by `status`.
    pub jobs: BTreeMap<String, u64>,
    /// Plugin runs by `outcome`.
    pub runs: BTreeMap<String, u64>,
}

impl Stored {
    /// Jobs with `status`.
    #[must_use]
    pub fn jobs(&self, status: &str) -> u64 {
        self.jobs.get(status).copied().unwrap_or(0)
    }

    /// `done 120, dead 2` for the report.
    #[must_use]
    pub fn describe(counts: &BTreeMap<String, u64>) -> String {
        if counts.is_empty() {
            return "none".to_owned();
        }
        counts
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Counts what the database at `url` holds.
///
/// # Errors
/// When it cannot be opened or queried.
pub async fn count(url: &str) -> anyhow::Result<Stored> {
    let db = gantry_server::db::connect(url, 1).await?;
    let deliveries = grouped(&db, "SELECT 'all', COUNT(*) FROM deliveries")
        .await?
        .into_values()
        .sum();
    let jobs = grouped(&db, "SELECT status, COUNT(*) FROM jobs GROUP BY status").await?;
    let runs = grouped(
        &db,
        "SELECT outcome, COUNT(*) FROM plugin_runs GROUP BY outcome",
    )
    .await?;
    db.close().await?;
    Ok(Stored {
        deliveries,
        jobs,
        runs,
    })
}

async fn grouped(db: &DatabaseConnection, sql: &str) -> anyhow::Result<BTreeMap<String, u64>> {
    let rows = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .with_context(|| format!("running {sql}"))?;
    let mut out = BTreeMap::new();
    for row in rows {
        let key: String = row.try_get_by_index(0)?;
        let n: i64 = row.try_get_by_index(1)?;
        out.insert(key, u64::try_from(n)?);
    }
    Ok(out)
}
