//! PostgreSQL: `TRUNCATE audit_log` is refused too. Migration 4's triggers fire for
//! each row updated or deleted, and `TRUNCATE` fires no row trigger; a statement
//! trigger `BEFORE TRUNCATE` closes that way around them. (SQLite has no
//! `TRUNCATE`: its `DELETE` without `WHERE` fires the row trigger.)
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
            // `audit_log_append_only()` (migration 4) raises whatever fired it.
            manager
                .get_connection()
                .execute_unprepared(
                    "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log \
                     FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()",
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared("DROP TRIGGER audit_log_no_truncate ON audit_log")
                .await?;
        }
        Ok(())
    }
}
