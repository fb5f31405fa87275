//! `repo_onboardings`: per repository, Gantry's onboarding pull request proposing a
//! `.github/gantry.yml` (`services::repo_config::onboarding`): the delivery that
//! claimed it (a retry of that delivery's job goes on; any other event finds the
//! repository taken, so it is never proposed twice), what became of it, and when.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RepoOnboardings {
    Table,
    Project,
    DeliveryId,
    Outcome,
    UpdatedAt,
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RepoOnboardings::Table)
                    .col(
                        ColumnDef::new(RepoOnboardings::Project)
                            .string_len(255)
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(RepoOnboardings::DeliveryId)
                            .string_len(255)
                            .not_null(),
                    )
                    .col(ColumnDef::new(RepoOnboardings::Outcome).text().not_null())
                    .col(
                        ColumnDef::new(RepoOnboardings::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RepoOnboardings::Table).to_owned())
            .await
    }
}
