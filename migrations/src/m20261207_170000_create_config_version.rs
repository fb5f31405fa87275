//! `config_version`: one row whose `version` the database itself counts up on every
//! change to what decides a job's plugins and policy (`policy_rules`, `plugins`,
//! `plugin_projects`, `plugin_states`), by triggers, whoever writes (this process,
//! another replica, the CLI, an operator's SQL). A process keeps those tables' rows
//! in memory and reads only this one number per job to know whether they changed.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ConfigVersion {
    Table,
    Id,
    Version,
}

/// The tables whose changes count.
const WATCHED: [&str; 4] = [
    "policy_rules",
    "plugins",
    "plugin_projects",
    "plugin_states",
];

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ConfigVersion::Table)
                    .col(
                        ColumnDef::new(ConfigVersion::Id)
                            .integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(ConfigVersion::Version)
                            .big_integer()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared("INSERT INTO config_version (id, version) VALUES (1, 0)")
            .await?;
        match manager.get_database_backend() {
            sea_orm::DatabaseBackend::Postgres => {
                db.execute_unprepared(
                    "CREATE FUNCTION config_version_bump() RETURNS trigger LANGUAGE plpgsql AS \
                     $$ BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; \
                     RETURN NULL; END $$",
                )
                .await?;
                for table in WATCHED {
                    db.execute_unprepared(&format!(
                        "CREATE TRIGGER {table}_config_version AFTER INSERT OR UPDATE OR DELETE \
                         OR TRUNCATE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION \
                         config_version_bump()"
                    ))
                    .await?;
                }
            }
            _ => {
                for table in WATCHED {
                    for change in ["INSERT", "UPDATE", "DELETE"] {
                        db.execute_unprepared(&format!(
                            "CREATE TRIGGER {table}_config_version_{} AFTER {change} ON {table} \
                             BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END",
                            change.to_ascii_lowercase()
                        ))
                        .await?;
                    }
                }
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match manager.get_database_backend() {
            sea_orm::DatabaseBackend::Postgres => {
                for table in WATCHED {
                    db.execute_unprepared(&format!(
                        "DROP TRIGGER IF EXISTS {table}_config_version ON {table}"
                    ))
                    .await?;
                }
                db.execute_unprepared("DROP FUNCTION IF EXISTS config_version_bump()")
                    .await?;
            }
            _ => {
                for table in WATCHED {
                    for change in ["insert", "update", "delete"] {
                        db.execute_unprepared(&format!(
                            "DROP TRIGGER IF EXISTS {table}_config_version_{change}"
                        ))
                        .await?;
                    }
                }
            }
        }
        manager
            .drop_table(Table::drop().table(ConfigVersion::Table).to_owned())
            .await
    }
}
