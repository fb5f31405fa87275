//! `policy_rules.event_branch`: a condition on the event's branch, beside `branch`,
//! which from now on is the branch a write changes (a push's destination, a file's
//! branch, a ref, a release's target) rather than the event's.
//!
//! A stored `branch` condition on capabilities that never write a branch (anything
//! but `contents:write`, `git:push`, `actions:write` and the patterns covering them)
//! could only ever have meant the event's branch, so it moves to `event_branch` and
//! keeps deciding as before. On the others it stays `branch`: those rules protect a
//! branch, and are now decided on the branch written. Down moves them back (a rule
//! with both conditions keeps its `branch`).
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PolicyRules {
    Table,
    EventBranch,
}

/// Capability patterns whose writes can change a branch.
const BRANCH_WRITING: &str =
    "'*', 'contents:*', 'contents:write', 'git:*', 'git:push', 'actions:*', 'actions:write'";

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(PolicyRules::Table)
                    .add_column(
                        ColumnDef::new(PolicyRules::EventBranch)
                            .string_len(256)
                            .null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "UPDATE policy_rules SET event_branch = branch, branch = NULL \
                 WHERE branch IS NOT NULL AND capability NOT IN ({BRANCH_WRITING})"
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE policy_rules SET branch = event_branch \
                 WHERE branch IS NULL AND event_branch IS NOT NULL",
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(PolicyRules::Table)
                    .drop_column(PolicyRules::EventBranch)
                    .to_owned(),
            )
            .await
    }
}
