//! Deliveries (every webhook accepted, raw bytes kept), their jobs, and the record of
//! each plugin run a job made.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Deliveries {
    Table,
    Id,
    DeliveryId,
    Event,
    Action,
    Repository,
    InstallationId,
    Payload,
    ReceivedAt,
}

#[derive(DeriveIden)]
enum Jobs {
    Table,
    Id,
    DeliveryPk,
    Generation,
    Status,
    Attempts,
    RunAfter,
    LeaseOwner,
    LeaseExpiresAt,
    TargetKey,
    LastError,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PluginRuns {
    Table,
    Id,
    JobId,
    Plugin,
    Outcome,
    Message,
    Log,
    DurationMs,
    StartedAt,
    CreatedAt,
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Deliveries::Table)
                    .col(ColumnDef::new(Deliveries::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(Deliveries::DeliveryId).string_len(128).not_null().unique_key())
                    .col(ColumnDef::new(Deliveries::Event).string_len(128).not_null())
                    .col(ColumnDef::new(Deliveries::Action).string_len(128).null())
                    .col(ColumnDef::new(Deliveries::Repository).string_len(256).null())
                    .col(ColumnDef::new(Deliveries::InstallationId).big_integer().null())
                    .col(ColumnDef::new(Deliveries::Payload).blob().not_null())
                    .col(ColumnDef::new(Deliveries::ReceivedAt).timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Jobs::Table)
                    .col(ColumnDef::new(Jobs::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(Jobs::DeliveryPk).big_integer().not_null())
                    .col(ColumnDef::new(Jobs::Generation).integer().not_null().default(0))
                    .col(ColumnDef::new(Jobs::Status).string_len(16).not_null())
                    .col(ColumnDef::new(Jobs::Attempts).integer().not_null().default(0))
                    .col(ColumnDef::new(Jobs::RunAfter).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(Jobs::LeaseOwner).string_len(64).null())
                    .col(ColumnDef::new(Jobs::LeaseExpiresAt).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(Jobs::TargetKey).string_len(300).null())
                    .col(ColumnDef::new(Jobs::LastError).text().null())
                    .col(ColumnDef::new(Jobs::CreatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(Jobs::UpdatedAt).timestamp_with_time_zone().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_jobs_delivery")
                            .from(Jobs::Table, Jobs::DeliveryPk)
                            .to(Deliveries::Table, Deliveries::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_jobs_status_run_after")
                    .table(Jobs::Table)
                    .col(Jobs::Status)
                    .col(Jobs::RunAfter)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(Index::create().name("idx_jobs_delivery").table(Jobs::Table).col(Jobs::DeliveryPk).to_owned())
            .await?;
        manager
            .create_index(Index::create().name("idx_jobs_target").table(Jobs::Table).col(Jobs::TargetKey).col(Jobs::Id).to_owned())
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(PluginRuns::Table)
                    .col(ColumnDef::new(PluginRuns::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(PluginRuns::JobId).big_integer().not_null())
                    .col(ColumnDef::new(PluginRuns::Plugin).string_len(128).not_null())
                    .col(ColumnDef::new(PluginRuns::Outcome).string_len(16).not_null())
                    .col(ColumnDef::new(PluginRuns::Message).text().null())
                    .col(ColumnDef::new(PluginRuns::Log).text().null())
                    .col(ColumnDef::new(PluginRuns::DurationMs).big_integer().not_null())
                    .col(ColumnDef::new(PluginRuns::StartedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(PluginRuns::CreatedAt).timestamp_with_time_zone().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_plugin_runs_job")
                            .from(PluginRuns::Table, PluginRuns::JobId)
                            .to(Jobs::Table, Jobs::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(Index::create().name("idx_plugin_runs_job").table(PluginRuns::Table).col(PluginRuns::JobId).to_owned())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(PluginRuns::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(Jobs::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(Deliveries::Table).to_owned()).await
    }
}
