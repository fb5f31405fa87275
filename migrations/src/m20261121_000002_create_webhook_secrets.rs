//! Webhook secrets by scope (global, organisation, repository), several per scope
//! for rotation, stored encrypted (nonce + ciphertext; never the plaintext).
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum WebhookSecrets {
    Table,
    Id,
    Scope,
    ScopeName,
    Label,
    Nonce,
    Ciphertext,
    CreatedAt,
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(WebhookSecrets::Table)
                    .col(
                        ColumnDef::new(WebhookSecrets::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(WebhookSecrets::Scope)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(WebhookSecrets::ScopeName)
                            .string_len(256)
                            .not_null(),
                    )
                    .col(ColumnDef::new(WebhookSecrets::Label).string_len(256).null())
                    .col(ColumnDef::new(WebhookSecrets::Nonce).blob().not_null())
                    .col(ColumnDef::new(WebhookSecrets::Ciphertext).blob().not_null())
                    .col(
                        ColumnDef::new(WebhookSecrets::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_webhook_secrets_scope")
                    .table(WebhookSecrets::Table)
                    .col(WebhookSecrets::Scope)
                    .col(WebhookSecrets::ScopeName)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(WebhookSecrets::Table).to_owned())
            .await
    }
}
