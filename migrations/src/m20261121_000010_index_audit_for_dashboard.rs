//! Indexes for the dashboard's filtered, keyset-paginated listings, so a page stays
//! fast at a million audit rows and a hundred thousand deliveries: every listing is
//! `WHERE <filter> AND id < :cursor ORDER BY id DESC LIMIT n`, and a `(filter, id)`
//! index lets the database walk exactly the page it needs. Also the overview's
//! deliveries of the last hour (`received_at`) and the dead-letter list.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// `(name, create statement)`; the same SQL on SQLite and PostgreSQL.
const INDEXES: &[(&str, &str)] = &[
    (
        "idx_audit_actor_id",
        "CREATE INDEX idx_audit_actor_id ON audit_log (actor, id)",
    ),
    (
        "idx_audit_action_id",
        "CREATE INDEX idx_audit_action_id ON audit_log (action, id)",
    ),
    (
        "idx_audit_project_id",
        "CREATE INDEX idx_audit_project_id ON audit_log (project, id)",
    ),
    (
        "idx_audit_outcome_id",
        "CREATE INDEX idx_audit_outcome_id ON audit_log (outcome, id)",
    ),
    (
        "idx_audit_at",
        "CREATE INDEX idx_audit_at ON audit_log (at)",
    ),
    (
        "idx_deliveries_repository_id",
        "CREATE INDEX idx_deliveries_repository_id ON deliveries (repository, id)",
    ),
    (
        "idx_deliveries_event_id",
        "CREATE INDEX idx_deliveries_event_id ON deliveries (event, id)",
    ),
    (
        "idx_deliveries_received_at",
        "CREATE INDEX idx_deliveries_received_at ON deliveries (received_at)",
    ),
    (
        "idx_jobs_status_delivery",
        "CREATE INDEX idx_jobs_status_delivery ON jobs (status, delivery_pk)",
    ),
];

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for (_, create) in INDEXES {
            db.execute_unprepared(create).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for (name, _) in INDEXES.iter().rev() {
            db.execute_unprepared(&format!("DROP INDEX {name}")).await?;
        }
        Ok(())
    }
}
