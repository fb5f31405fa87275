//! `config_version`: the number the database counts up, by trigger, on every change
//! to `policy_rules`, `plugins`, `plugin_projects` and `plugin_states` (migration
//! `m20261207_170000`) and to the patches or error of `repo_configs` (migration
//! `m20261208_110000`), so a process can keep those in memory and check one row per
//! job instead of reading them all.
use sea_orm::{ConnectionTrait, DbErr, Statement};

/// The current version.
///
/// # Errors
/// When the database fails or the row is missing (a database not migrated).
pub async fn current(db: &impl ConnectionTrait) -> Result<i64, DbErr> {
    let statement = Statement::from_string(
        db.get_database_backend(),
        "SELECT version FROM config_version WHERE id = 1",
    );
    match db.query_one_raw(statement).await? {
        Some(row) => row.try_get("", "version"),
        None => Err(DbErr::RecordNotFound(
            "the config_version row (run `gantry migrate`)".into(),
        )),
    }
}
