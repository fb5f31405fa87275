//! Plugin components uploaded in the dashboard and waiting for the admin to confirm
//! the install, by digest: in the database, so the confirmation may reach any
//! replica. Rows a day old are pruned at the next upload.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PluginUploads {
    Table,
    Digest,
    Component,
    UploadedBy,
    CreatedAt,
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PluginUploads::Table)
                    .col(
                        ColumnDef::new(PluginUploads::Digest)
                            .string_len(64)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(PluginUploads::Component).blob().not_null())
                    .col(
                        ColumnDef::new(PluginUploads::UploadedBy)
                            .string_len(200)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(PluginUploads::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PluginUploads::Table).to_owned())
            .await
    }
}
