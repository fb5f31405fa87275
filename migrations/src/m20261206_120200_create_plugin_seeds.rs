//! `plugin_seeds`: what seeding from `plugins.dir` at start installed, by plugin
//! name, with the digest it installed last. A name found here but no longer
//! installed was removed by an admin, so seeding does not bring it back; an
//! installed digest other than the one seeded was put there by an admin, so seeding
//! does not replace it. Plugins installed when this migration runs count as seeded
//! with their current digest (before, seeding kept every plugin of the directory
//! installed, so they are what it last installed or what an admin chose since).
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PluginSeeds {
    Table,
    Plugin,
    Digest,
    SeededAt,
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PluginSeeds::Table)
                    .col(
                        ColumnDef::new(PluginSeeds::Plugin)
                            .string_len(128)
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(PluginSeeds::Digest)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(PluginSeeds::SeededAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "INSERT INTO plugin_seeds (plugin, digest, seeded_at) \
                 SELECT name, digest, installed_at FROM plugins",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PluginSeeds::Table).to_owned())
            .await
    }
}
