//! `host_writes`: one idempotency record per plugin write to GitHub, keyed like a
//! comment's marker (delivery, generation, plugin, invocation, sequence). Written
//! `started` before the call and completed with GitHub's answer after it, so a job
//! run again (its earlier completion could not be recorded) answers a finished
//! write from here instead of sending it twice.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum HostWrites {
    Table,
    Key,
    Plugin,
    DeliveryId,
    Response,
    StartedAt,
    DoneAt,
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(HostWrites::Table)
                    .col(
                        ColumnDef::new(HostWrites::Key)
                            .string()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(HostWrites::Plugin).string().not_null())
                    .col(ColumnDef::new(HostWrites::DeliveryId).string().not_null())
                    .col(ColumnDef::new(HostWrites::Response).text().null())
                    .col(
                        ColumnDef::new(HostWrites::StartedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(HostWrites::DoneAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_host_writes_started_at")
                    .table(HostWrites::Table)
                    .col(HostWrites::StartedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(HostWrites::Table).to_owned())
            .await
    }
}
