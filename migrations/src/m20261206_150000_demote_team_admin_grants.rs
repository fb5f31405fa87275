//! Team grants of `admin` become `maintainer` (security review H2). Admin is global
//! (users, plugins, global policy), so only a user's own admin flag may give it; a
//! team's role applies to its repositories, where maintainer is the most there is.
//! `down` cannot tell which grants were `admin` and leaves them as they are.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("UPDATE team_projects SET role = 'maintainer' WHERE role = 'admin'")
            .await?;
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Ok(())
    }
}
