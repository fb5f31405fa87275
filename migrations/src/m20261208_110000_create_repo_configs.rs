//! `repo_configs`: per repository, what its `.github/gantry.yml` (with the bases it
//! `extends`) last set, as checked: the last valid per-plugin patches and where each
//! value came from, the bases of the chain, the error of the newest file when it is
//! invalid (the last valid patches stay in force), and when it was read. Counted in
//! `config_version` (a change to the patches or the error), so every replica's jobs
//! see it from the next job on; a read that changed nothing touches only
//! `checked_at`, which does not count.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RepoConfigs {
    Table,
    Project,
    Patches,
    Bases,
    ValidAt,
    Error,
    ErrorAt,
    CheckedAt,
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RepoConfigs::Table)
                    .col(
                        ColumnDef::new(RepoConfigs::Project)
                            .string_len(255)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(RepoConfigs::Patches).text().null())
                    .col(ColumnDef::new(RepoConfigs::Bases).text().not_null())
                    .col(
                        ColumnDef::new(RepoConfigs::ValidAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(ColumnDef::new(RepoConfigs::Error).text().null())
                    .col(
                        ColumnDef::new(RepoConfigs::ErrorAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(RepoConfigs::CheckedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        match manager.get_database_backend() {
            sea_orm::DatabaseBackend::Postgres => {
                // `config_version_bump()` comes from m20261207_170000.
                db.execute_unprepared(
                    "CREATE TRIGGER repo_configs_config_version AFTER INSERT OR DELETE OR \
                     UPDATE OF patches, error OR TRUNCATE ON repo_configs FOR EACH STATEMENT \
                     EXECUTE FUNCTION config_version_bump()",
                )
                .await?;
            }
            _ => {
                for (name, change) in [
                    ("insert", "INSERT"),
                    ("update", "UPDATE OF patches, error"),
                    ("delete", "DELETE"),
                ] {
                    db.execute_unprepared(&format!(
                        "CREATE TRIGGER repo_configs_config_version_{name} AFTER {change} \
                         ON repo_configs BEGIN UPDATE config_version SET version = version + 1 \
                         WHERE id = 1; END"
                    ))
                    .await?;
                }
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Dropping the table drops its triggers.
        manager
            .drop_table(Table::drop().table(RepoConfigs::Table).to_owned())
            .await
    }
}
