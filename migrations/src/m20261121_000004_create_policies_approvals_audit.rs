//! Policy rules, held actions awaiting approval, and the append-only, hash-chained
//! audit log.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PolicyRules {
    Table,
    Id,
    Scope,
    ScopeName,
    Plugin,
    Capability,
    Effect,
    Branch,
    MinPermission,
    Enforced,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Approvals {
    Table,
    Id,
    PublicId,
    DeliveryId,
    Plugin,
    Capability,
    Repository,
    Action,
    Status,
    DecidedBy,
    Reason,
    Result,
    CreatedAt,
    DecidedAt,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    At,
    Actor,
    ActorKind,
    Action,
    Project,
    Capability,
    Decision,
    Outcome,
    DeliveryId,
    Details,
    PrevHash,
    Hash,
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PolicyRules::Table)
                    .col(
                        ColumnDef::new(PolicyRules::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(PolicyRules::Scope).string_len(16).not_null())
                    .col(
                        ColumnDef::new(PolicyRules::ScopeName)
                            .string_len(256)
                            .not_null(),
                    )
                    .col(ColumnDef::new(PolicyRules::Plugin).string_len(128).null())
                    .col(
                        ColumnDef::new(PolicyRules::Capability)
                            .string_len(256)
                            .not_null(),
                    )
                    .col(ColumnDef::new(PolicyRules::Effect).string_len(8).not_null())
                    .col(ColumnDef::new(PolicyRules::Branch).string_len(256).null())
                    .col(
                        ColumnDef::new(PolicyRules::MinPermission)
                            .string_len(16)
                            .null(),
                    )
                    .col(
                        ColumnDef::new(PolicyRules::Enforced)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .col(
                        ColumnDef::new(PolicyRules::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Approvals::Table)
                    .col(
                        ColumnDef::new(Approvals::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(Approvals::PublicId)
                            .string_len(64)
                            .not_null()
                            .unique_key(),
                    )
                    .col(
                        ColumnDef::new(Approvals::DeliveryId)
                            .string_len(128)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Approvals::Plugin).string_len(128).not_null())
                    .col(
                        ColumnDef::new(Approvals::Capability)
                            .string_len(256)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Approvals::Repository)
                            .string_len(256)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Approvals::Action).text().not_null())
                    .col(ColumnDef::new(Approvals::Status).string_len(16).not_null())
                    .col(ColumnDef::new(Approvals::DecidedBy).string_len(128).null())
                    .col(ColumnDef::new(Approvals::Reason).text().null())
                    .col(ColumnDef::new(Approvals::Result).text().null())
                    .col(
                        ColumnDef::new(Approvals::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Approvals::DecidedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_approvals_status")
                    .table(Approvals::Table)
                    .col(Approvals::Status)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AuditLog::Table)
                    .col(
                        ColumnDef::new(AuditLog::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(AuditLog::At)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(AuditLog::Actor).string_len(128).not_null())
                    .col(
                        ColumnDef::new(AuditLog::ActorKind)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(ColumnDef::new(AuditLog::Action).string_len(64).not_null())
                    .col(ColumnDef::new(AuditLog::Project).string_len(256).null())
                    .col(ColumnDef::new(AuditLog::Capability).string_len(256).null())
                    .col(ColumnDef::new(AuditLog::Decision).string_len(16).null())
                    .col(ColumnDef::new(AuditLog::Outcome).string_len(64).null())
                    .col(ColumnDef::new(AuditLog::DeliveryId).string_len(128).null())
                    .col(ColumnDef::new(AuditLog::Details).text().null())
                    // Unique: each row can be followed by one row only, so two
                    // writers appending at once cannot both chain to the same row.
                    .col(
                        ColumnDef::new(AuditLog::PrevHash)
                            .string_len(64)
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(AuditLog::Hash).string_len(64).not_null())
                    .to_owned(),
            )
            .await?;
        // The database itself refuses to change or delete audit rows; the hash chain
        // then detects what someone with enough access changes anyway.
        let db = manager.get_connection();
        match manager.get_database_backend() {
            sea_orm::DatabaseBackend::Postgres => {
                db.execute_unprepared(
                    "CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS \
                     $$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$",
                )
                .await?;
                db.execute_unprepared(
                    "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log \
                     FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
                )
                .await?;
            }
            _ => {
                db.execute_unprepared(
                    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log \
                     BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
                )
                .await?;
                db.execute_unprepared(
                    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log \
                     BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
                )
                .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AuditLog::Table).to_owned())
            .await?;
        if manager.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared("DROP FUNCTION audit_log_append_only()")
                .await?;
        }
        manager
            .drop_table(Table::drop().table(Approvals::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(PolicyRules::Table).to_owned())
            .await
    }
}
