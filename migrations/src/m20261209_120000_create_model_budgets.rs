//! Model budgets (issue 22): `model_budget_counters`, one row per scope, subject and
//! period (the whole installation this month, an organisation this month, a
//! repository today, one invocation, a person on a repository this hour) with the
//! tokens and micro-dollars used and reserved and the invocations counted; and
//! `model_budget_reservations`, one row per model call between its reservation and
//! its settlement, naming the counter rows it holds budget on so settling finds the
//! same periods even after midnight, and when an abandoned one expires.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ModelBudgetCounters {
    Table,
    Scope,
    Subject,
    Period,
    TokensUsed,
    TokensReserved,
    CostUsed,
    CostReserved,
    Invocations,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ModelBudgetReservations {
    Table,
    Id,
    Invocation,
    Repo,
    Org,
    Person,
    Provider,
    Model,
    Day,
    Month,
    Tokens,
    Cost,
    CreatedAt,
    ExpiresAt,
}

fn amount(column: ModelBudgetCounters) -> ColumnDef {
    ColumnDef::new(column)
        .big_integer()
        .not_null()
        .default(0)
        .to_owned()
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ModelBudgetCounters::Table)
                    .col(
                        ColumnDef::new(ModelBudgetCounters::Scope)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ModelBudgetCounters::Subject)
                            .string_len(300)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ModelBudgetCounters::Period)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(amount(ModelBudgetCounters::TokensUsed))
                    .col(amount(ModelBudgetCounters::TokensReserved))
                    .col(amount(ModelBudgetCounters::CostUsed))
                    .col(amount(ModelBudgetCounters::CostReserved))
                    .col(amount(ModelBudgetCounters::Invocations))
                    .col(
                        ColumnDef::new(ModelBudgetCounters::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(ModelBudgetCounters::Scope)
                            .col(ModelBudgetCounters::Period)
                            .col(ModelBudgetCounters::Subject),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ModelBudgetReservations::Table)
                    .col(
                        ColumnDef::new(ModelBudgetReservations::Id)
                            .string_len(36)
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(ModelBudgetReservations::Invocation)
                            .string_len(300)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ModelBudgetReservations::Repo)
                            .string_len(300)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ModelBudgetReservations::Org)
                            .string_len(300)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ModelBudgetReservations::Person)
                            .string_len(300)
                            .null(),
                    )
                    .col(
                        ColumnDef::new(ModelBudgetReservations::Provider)
                            .string_len(128)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ModelBudgetReservations::Model)
                            .string_len(256)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ModelBudgetReservations::Day)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ModelBudgetReservations::Month)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ModelBudgetReservations::Tokens)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ModelBudgetReservations::Cost)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ModelBudgetReservations::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ModelBudgetReservations::ExpiresAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_model_budget_reservations_expires_at")
                    .table(ModelBudgetReservations::Table)
                    .col(ModelBudgetReservations::ExpiresAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table(ModelBudgetReservations::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(ModelBudgetCounters::Table).to_owned())
            .await
    }
}
