//! `delivery_digests`: the SHA-256 of each accepted webhook body and when it was last
//! accepted, so a body replayed under a new `X-GitHub-Delivery` (which the signature
//! does not cover) is told apart from a new delivery within the replay window.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum DeliveryDigests {
    Table,
    Digest,
    ReceivedAt,
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(DeliveryDigests::Table)
                    .col(
                        ColumnDef::new(DeliveryDigests::Digest)
                            .string_len(64)
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(DeliveryDigests::ReceivedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(DeliveryDigests::Table).to_owned())
            .await
    }
}
