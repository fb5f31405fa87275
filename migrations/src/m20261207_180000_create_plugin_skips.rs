//! `plugin_skips`: why a plugin (or a command) did not run for a job: a route's
//! paths or branch did not match, a command was not on a pull request, the
//! commenter's permission was below the command's `who`, no enabled plugin declares
//! the verb. One row per job and subject, shown with the job's runs.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PluginSkips {
    Table,
    Id,
    JobId,
    Subject,
    Reason,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Jobs {
    Table,
    Id,
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PluginSkips::Table)
                    .col(
                        ColumnDef::new(PluginSkips::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(PluginSkips::JobId).big_integer().not_null())
                    .col(
                        ColumnDef::new(PluginSkips::Subject)
                            .string_len(128)
                            .not_null(),
                    )
                    .col(ColumnDef::new(PluginSkips::Reason).text().not_null())
                    .col(
                        ColumnDef::new(PluginSkips::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_plugin_skips_job")
                            .from(PluginSkips::Table, PluginSkips::JobId)
                            .to(Jobs::Table, Jobs::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_plugin_skips_job_subject")
                    .table(PluginSkips::Table)
                    .col(PluginSkips::JobId)
                    .col(PluginSkips::Subject)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PluginSkips::Table).to_owned())
            .await
    }
}
