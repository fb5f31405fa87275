//! Partial indexes over unfinished jobs only, so leasing stays fast however many
//! finished jobs accumulate and however long the backlog: one in id order (the
//! lease takes the oldest), one by target (one job at a time per issue or PR). The
//! full indexes they replace are dropped: they tempted planners into sorting every
//! pending job on each lease.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        // Same SQL on SQLite and PostgreSQL: both support partial indexes.
        db.execute_unprepared(
            "CREATE INDEX idx_jobs_pending ON jobs (id) WHERE status IN ('queued', 'running')",
        )
        .await?;
        db.execute_unprepared("CREATE INDEX idx_jobs_pending_target ON jobs (target_key, id) WHERE status IN ('queued', 'running')").await?;
        db.execute_unprepared("DROP INDEX idx_jobs_status_run_after")
            .await?;
        db.execute_unprepared("DROP INDEX idx_jobs_target").await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("CREATE INDEX idx_jobs_status_run_after ON jobs (status, run_after)")
            .await?;
        db.execute_unprepared("CREATE INDEX idx_jobs_target ON jobs (target_key, id)")
            .await?;
        db.execute_unprepared("DROP INDEX idx_jobs_pending_target")
            .await?;
        db.execute_unprepared("DROP INDEX idx_jobs_pending").await?;
        Ok(())
    }
}
