//! `storage_probe`: one row that `/health/ready` writes while intake's storage
//! breaker says writes are failing, to find out, without waiting for a delivery,
//! whether the database takes writes again (disk full, read-only, locked).
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum StorageProbe {
    Table,
    Id,
    ProbedAt,
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(StorageProbe::Table)
                    .col(
                        ColumnDef::new(StorageProbe::Id)
                            .big_integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(StorageProbe::ProbedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(StorageProbe::Table).to_owned())
            .await
    }
}
