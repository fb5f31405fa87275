//! Missed-delivery recovery: `recovery_sweep`, one row saying which replica sweeps
//! now (a lease), when the last sweep ended and how far back through the App's
//! delivery log it has looked (the newest attempt id examined); and
//! `hook_redeliveries`, one row per event (GUID) the sweep asked GitHub to deliver
//! again, its primary key making the ask once across replicas, and when the sweep
//! saw it stored.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RecoverySweep {
    Table,
    Id,
    Holder,
    LeaseUntil,
    LastRunAt,
    ReachedId,
}

#[derive(DeriveIden)]
enum HookRedeliveries {
    Table,
    Guid,
    GithubDeliveryId,
    Event,
    Attempts,
    FirstRequestedAt,
    LastRequestedAt,
    ArrivedAt,
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RecoverySweep::Table)
                    .col(
                        ColumnDef::new(RecoverySweep::Id)
                            .integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(RecoverySweep::Holder).string_len(64).null())
                    .col(
                        ColumnDef::new(RecoverySweep::LeaseUntil)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(RecoverySweep::LastRunAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(RecoverySweep::ReachedId)
                            .big_integer()
                            .null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(RecoverySweep::Table)
                    .columns([RecoverySweep::Id])
                    .values_panic([1.into()])
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(HookRedeliveries::Table)
                    .col(
                        ColumnDef::new(HookRedeliveries::Guid)
                            .string_len(128)
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(HookRedeliveries::GithubDeliveryId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(HookRedeliveries::Event)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(HookRedeliveries::Attempts)
                            .integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(HookRedeliveries::FirstRequestedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(HookRedeliveries::LastRequestedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(HookRedeliveries::ArrivedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(HookRedeliveries::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(RecoverySweep::Table).to_owned())
            .await
    }
}
