//! `installations`: the GitHub App's installations as its webhooks describe them
//! (account, selected repositories, suspended or not) and the last credentials
//! error seen for each, for operators.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Installations {
    Table,
    Id,
    Account,
    Repositories,
    Suspended,
    LastError,
    UpdatedAt,
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Installations::Table)
                    .col(
                        ColumnDef::new(Installations::Id)
                            .big_integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(Installations::Account)
                            .string_len(255)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Installations::Repositories).text().null())
                    .col(
                        ColumnDef::new(Installations::Suspended)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .col(ColumnDef::new(Installations::LastError).text().null())
                    .col(
                        ColumnDef::new(Installations::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Installations::Table).to_owned())
            .await
    }
}
