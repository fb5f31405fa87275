//! What a job reads before anything else, in one statement: its delivery, the
//! current `config_version` (`db::config_version`) and whether the installation the
//! delivery names is suspended. One round trip where three separate reads were;
//! on SQLite's one connection every round trip is a turn in its queue.
use sea_orm::{ConnectionTrait, DbBackend, DbErr, FromQueryResult, Statement};

use super::entities::deliveries;

/// The delivery joined with the two values; `{p1}` is the delivery's row id.
const SQL: &str = r#"
SELECT d.*,
       (SELECT version FROM config_version WHERE id = 1) AS gantry_config_version,
       i.account AS gantry_installation_account,
       i.suspended AS gantry_installation_suspended
FROM deliveries d LEFT JOIN installations i ON i.id = d.installation_id
WHERE d.id = {p1}"#;

/// What [`read`] found.
#[derive(Debug)]
pub struct JobStart {
    /// The job's delivery.
    pub delivery: deliveries::Model,
    /// `config_version` when the delivery was read.
    pub config_version: i64,
    /// The account of the delivery's installation when Gantry knows it to be
    /// suspended (then no plugin may act for it).
    pub suspended_account: Option<String>,
}

/// Reads a job's delivery with the config version and its installation's state;
/// `None` when the delivery is missing.
///
/// # Errors
/// When the database fails, or the `config_version` row is missing (a database not
/// migrated).
pub async fn read(db: &impl ConnectionTrait, delivery_pk: i64) -> Result<Option<JobStart>, DbErr> {
    let backend = db.get_database_backend();
    let p1 = if backend == DbBackend::Postgres {
        "$1"
    } else {
        "?1"
    };
    let statement =
        Statement::from_sql_and_values(backend, SQL.replace("{p1}", p1), [delivery_pk.into()]);
    let Some(row) = db.query_one_raw(statement).await? else {
        return Ok(None);
    };
    let delivery = deliveries::Model::from_query_result(&row, "")?;
    let config_version: Option<i64> = row.try_get("", "gantry_config_version")?;
    let config_version = config_version.ok_or_else(|| {
        DbErr::RecordNotFound("the config_version row (run `gantry migrate`)".into())
    })?;
    let account: Option<String> = row.try_get("", "gantry_installation_account")?;
    let suspended: Option<bool> = row.try_get("", "gantry_installation_suspended")?;
    Ok(Some(JobStart {
        delivery,
        config_version,
        suspended_account: account.filter(|_| suspended == Some(true)),
    }))
}
