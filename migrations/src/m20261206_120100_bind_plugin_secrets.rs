//! Plugin secrets belong to one plugin and are bound to where they may be sent:
//! `plugin_secrets.plugin` (the only plugin that may open the secret), `hosts` and
//! `headers` (the destination hosts and header names the HTTP host call may put it
//! in, one per line). One row per plugin, scope and name.
//!
//! Rows stored before keep `plugin = ''`: no plugin opens them until an operator
//! binds each to a plugin and its hosts (`gantry secrets plugin-bind`, which
//! re-seals the value without asking for it again). Down removes the bound rows
//! (the old schema cannot hold more than one row per scope and name) and keeps the
//! unbound ones.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PluginSecrets {
    Table,
    Plugin,
    Scope,
    Name,
    Hosts,
    Headers,
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            ColumnDef::new(PluginSecrets::Plugin)
                .string_len(128)
                .not_null()
                .default("")
                .to_owned(),
            ColumnDef::new(PluginSecrets::Hosts)
                .text()
                .not_null()
                .default("")
                .to_owned(),
            ColumnDef::new(PluginSecrets::Headers)
                .text()
                .not_null()
                .default("")
                .to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(PluginSecrets::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .drop_index(
                Index::drop()
                    .name("plugin_secrets_scope_name")
                    .table(PluginSecrets::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("plugin_secrets_plugin_scope_name")
                    .table(PluginSecrets::Table)
                    .col(PluginSecrets::Plugin)
                    .col(PluginSecrets::Scope)
                    .col(PluginSecrets::Name)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DELETE FROM plugin_secrets WHERE plugin <> ''")
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("plugin_secrets_plugin_scope_name")
                    .table(PluginSecrets::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("plugin_secrets_scope_name")
                    .table(PluginSecrets::Table)
                    .col(PluginSecrets::Scope)
                    .col(PluginSecrets::Name)
                    .unique()
                    .to_owned(),
            )
            .await?;
        for column in [
            PluginSecrets::Headers,
            PluginSecrets::Hosts,
            PluginSecrets::Plugin,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(PluginSecrets::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
