//! Separation of duties and quorums for approvals:
//! - `approvals`: who caused the held action (`requested_by`, GitHub logins as a JSON
//!   array), the pull request and head commit it was held for (`pull_number`,
//!   `head_sha`), what the policy decided it on (`decided_on`: the refs the write
//!   changes, the event's branch and the actor's permission, as JSON, to decide it
//!   again before it runs), how many distinct approvals it needs (`approvals_required`) and
//!   has (`votes`);
//! - `approval_votes`: every approver, once per person and approval;
//! - `policy_rules.approvals`: how many distinct approvals an `ask` rule needs;
//! - `users.github_login`: the GitHub login an admin linked to a dashboard account
//!   (the two are the same person only through this link).
//!
//! SQLite alters one column per statement, so each column is its own change.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Approvals {
    Table,
    Id,
    RequestedBy,
    PullNumber,
    HeadSha,
    DecidedOn,
    #[sea_orm(iden = "approvals_required")]
    Required,
    Votes,
    Repository,
}

#[derive(DeriveIden)]
enum ApprovalVotes {
    Table,
    Id,
    ApprovalId,
    Person,
    Actor,
    ActorKind,
    CreatedAt,
}

#[derive(DeriveIden)]
enum PolicyRules {
    Table,
    Approvals,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    GithubLogin,
}

async fn add_column<T: IntoIden + 'static>(
    manager: &SchemaManager<'_>,
    table: T,
    column: &mut ColumnDef,
) -> Result<(), DbErr> {
    manager
        .alter_table(Table::alter().table(table).add_column(column).to_owned())
        .await
}

async fn drop_column<T: IntoIden + 'static, C: IntoIden + 'static>(
    manager: &SchemaManager<'_>,
    table: T,
    column: C,
) -> Result<(), DbErr> {
    manager
        .alter_table(Table::alter().table(table).drop_column(column).to_owned())
        .await
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_column(
            manager,
            Approvals::Table,
            ColumnDef::new(Approvals::RequestedBy).text().null(),
        )
        .await?;
        add_column(
            manager,
            Approvals::Table,
            ColumnDef::new(Approvals::PullNumber).big_integer().null(),
        )
        .await?;
        add_column(
            manager,
            Approvals::Table,
            ColumnDef::new(Approvals::HeadSha).string_len(64).null(),
        )
        .await?;
        add_column(
            manager,
            Approvals::Table,
            ColumnDef::new(Approvals::DecidedOn).text().null(),
        )
        .await?;
        add_column(
            manager,
            Approvals::Table,
            ColumnDef::new(Approvals::Required)
                .integer()
                .not_null()
                .default(1),
        )
        .await?;
        add_column(
            manager,
            Approvals::Table,
            ColumnDef::new(Approvals::Votes)
                .integer()
                .not_null()
                .default(0),
        )
        .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_approvals_pull")
                    .table(Approvals::Table)
                    .col(Approvals::Repository)
                    .col(Approvals::PullNumber)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ApprovalVotes::Table)
                    .col(
                        ColumnDef::new(ApprovalVotes::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(ApprovalVotes::ApprovalId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ApprovalVotes::Person)
                            .string_len(200)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ApprovalVotes::Actor)
                            .string_len(128)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ApprovalVotes::ActorKind)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ApprovalVotes::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ApprovalVotes::Table, ApprovalVotes::ApprovalId)
                            .to(Approvals::Table, Approvals::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // One vote per person and approval: the second approval by the same person
        // is refused by the database, not only by the code.
        manager
            .create_index(
                Index::create()
                    .name("idx_approval_votes_person")
                    .table(ApprovalVotes::Table)
                    .col(ApprovalVotes::ApprovalId)
                    .col(ApprovalVotes::Person)
                    .unique()
                    .to_owned(),
            )
            .await?;
        add_column(
            manager,
            PolicyRules::Table,
            ColumnDef::new(PolicyRules::Approvals)
                .integer()
                .not_null()
                .default(1),
        )
        .await?;
        add_column(
            manager,
            Users::Table,
            ColumnDef::new(Users::GithubLogin).string_len(64).null(),
        )
        .await?;
        // A GitHub login is one person: it links to one account at most.
        manager
            .create_index(
                Index::create()
                    .name("idx_users_github_login")
                    .table(Users::Table)
                    .col(Users::GithubLogin)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_users_github_login")
                    .table(Users::Table)
                    .to_owned(),
            )
            .await?;
        drop_column(manager, Users::Table, Users::GithubLogin).await?;
        drop_column(manager, PolicyRules::Table, PolicyRules::Approvals).await?;
        manager
            .drop_table(Table::drop().table(ApprovalVotes::Table).to_owned())
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx_approvals_pull")
                    .table(Approvals::Table)
                    .to_owned(),
            )
            .await?;
        for column in [
            Approvals::Votes,
            Approvals::Required,
            Approvals::DecidedOn,
            Approvals::HeadSha,
            Approvals::PullNumber,
            Approvals::RequestedBy,
        ] {
            drop_column(manager, Approvals::Table, column).await?;
        }
        Ok(())
    }
}
