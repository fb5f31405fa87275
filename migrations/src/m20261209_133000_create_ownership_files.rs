//! `ownership_files`: the ownership files (`CODEOWNERS`, `OWNERS`,
//! `OWNERS_ALIASES`) a plugin's `get-owners` call read from a repository's default
//! branch, one row per path looked at, `content` null when there is no such file,
//! with when it was read. A cache: a row older than `repository_config.refresh_secs`
//! is read again, and a push to the default branch touching such a file removes
//! the repository's rows.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum OwnershipFiles {
    Table,
    Project,
    Path,
    Content,
    ReadAt,
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(OwnershipFiles::Table)
                    .col(
                        ColumnDef::new(OwnershipFiles::Project)
                            .string_len(255)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(OwnershipFiles::Path)
                            .string_len(1024)
                            .not_null(),
                    )
                    .col(ColumnDef::new(OwnershipFiles::Content).text().null())
                    .col(
                        ColumnDef::new(OwnershipFiles::ReadAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(OwnershipFiles::Project)
                            .col(OwnershipFiles::Path),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(OwnershipFiles::Table).to_owned())
            .await
    }
}
