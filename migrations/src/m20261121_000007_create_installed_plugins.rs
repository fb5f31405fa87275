//! Installed plugins and their per-project settings.
//!
//! `plugins` holds each installed plugin with its component bytes, so every replica
//! sharing the database runs the same code; `plugin_projects` says where a plugin is
//! enabled and how it is configured: one row per repository (`owner/name`), or `*`
//! for every repository.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Plugins {
    Table,
    Name,
    Version,
    Description,
    Digest,
    SdkVersion,
    Manifest,
    Component,
    Size,
    Enabled,
    InstalledAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PluginProjects {
    Table,
    Id,
    Plugin,
    Project,
    Enabled,
    Config,
    EffectiveConfig,
    UpdatedAt,
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Plugins::Table)
                    .col(
                        ColumnDef::new(Plugins::Name)
                            .string_len(64)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Plugins::Version).string_len(64).not_null())
                    .col(ColumnDef::new(Plugins::Description).text().not_null())
                    // SHA-256 of the component, hex.
                    .col(ColumnDef::new(Plugins::Digest).string_len(64).not_null())
                    .col(ColumnDef::new(Plugins::SdkVersion).string_len(64).null())
                    // The manifest as the host read it, TOML.
                    .col(ColumnDef::new(Plugins::Manifest).text().not_null())
                    .col(ColumnDef::new(Plugins::Component).blob().not_null())
                    .col(ColumnDef::new(Plugins::Size).big_integer().not_null())
                    // The operator's switch for the plugin as a whole; automatic
                    // disabling after repeated crashes stays in plugin_states.
                    .col(
                        ColumnDef::new(Plugins::Enabled)
                            .boolean()
                            .not_null()
                            .default(true),
                    )
                    .col(
                        ColumnDef::new(Plugins::InstalledAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Plugins::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PluginProjects::Table)
                    .col(
                        ColumnDef::new(PluginProjects::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(PluginProjects::Plugin)
                            .string_len(64)
                            .not_null(),
                    )
                    // `owner/name` in lower case, or `*` for every repository.
                    .col(
                        ColumnDef::new(PluginProjects::Project)
                            .string_len(256)
                            .not_null(),
                    )
                    // NULL: as the `*` row says (not enabled when there is none).
                    .col(ColumnDef::new(PluginProjects::Enabled).boolean().null())
                    // The configuration as the operator set it (JSON); NULL: none.
                    .col(ColumnDef::new(PluginProjects::Config).text().null())
                    // What the plugin receives here: the manifest's defaults, then
                    // the `*` configuration, then this row's, checked against the
                    // plugin's schema when written (JSON).
                    .col(
                        ColumnDef::new(PluginProjects::EffectiveConfig)
                            .text()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(PluginProjects::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_plugin_projects_plugin")
                            .from(PluginProjects::Table, PluginProjects::Plugin)
                            .to(Plugins::Table, Plugins::Name)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_plugin_projects_plugin_project")
                    .table(PluginProjects::Table)
                    .col(PluginProjects::Plugin)
                    .col(PluginProjects::Project)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // Dispatch looks rows up by project (the event's repository and `*`).
        manager
            .create_index(
                Index::create()
                    .name("idx_plugin_projects_project")
                    .table(PluginProjects::Table)
                    .col(PluginProjects::Project)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PluginProjects::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Plugins::Table).to_owned())
            .await
    }
}
