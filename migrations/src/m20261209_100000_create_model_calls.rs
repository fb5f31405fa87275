//! `model_calls`: the provenance of every completion a plugin got from a language
//! model (issue 22): the delivery, plugin, repository, provider, model, tokens in
//! and out, cost in micro-dollars and the SHA-256 of the prompt, never the prompt.
//! Keyed by the job's idempotency scope and a digest of the request, with the
//! answer kept, so a retried job asking the same thing gets the recorded answer
//! instead of asking (and paying) the provider again.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ModelCalls {
    Table,
    Key,
    DeliveryId,
    Plugin,
    Repository,
    Provider,
    Model,
    PromptTokens,
    CompletionTokens,
    CostMicros,
    PromptSha256,
    Content,
    Truncated,
    CreatedAt,
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ModelCalls::Table)
                    .col(
                        ColumnDef::new(ModelCalls::Key)
                            .string()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(ModelCalls::DeliveryId).string().not_null())
                    .col(ColumnDef::new(ModelCalls::Plugin).string().not_null())
                    .col(ColumnDef::new(ModelCalls::Repository).string().null())
                    .col(ColumnDef::new(ModelCalls::Provider).string().not_null())
                    .col(ColumnDef::new(ModelCalls::Model).string().not_null())
                    .col(
                        ColumnDef::new(ModelCalls::PromptTokens)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ModelCalls::CompletionTokens)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ModelCalls::CostMicros)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(ModelCalls::PromptSha256).string().not_null())
                    .col(ColumnDef::new(ModelCalls::Content).text().not_null())
                    .col(ColumnDef::new(ModelCalls::Truncated).boolean().not_null())
                    .col(
                        ColumnDef::new(ModelCalls::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_model_calls_delivery_id")
                    .table(ModelCalls::Table)
                    .col(ModelCalls::DeliveryId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ModelCalls::Table).to_owned())
            .await
    }
}
