//! The health of each plugin: consecutive crashes, and whether it was disabled
//! automatically (and why) or by an operator.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PluginStates {
    Table,
    Name,
    Disabled,
    Reason,
    ConsecutiveCrashes,
    UpdatedAt,
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PluginStates::Table)
                    .col(
                        ColumnDef::new(PluginStates::Name)
                            .string_len(128)
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(PluginStates::Disabled)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .col(ColumnDef::new(PluginStates::Reason).text().null())
                    .col(
                        ColumnDef::new(PluginStates::ConsecutiveCrashes)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .col(
                        ColumnDef::new(PluginStates::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PluginStates::Table).to_owned())
            .await
    }
}
