//! Plugin storage: `plugin_kv` (each plugin's key-value store, one per repository)
//! and `plugin_secrets` (secrets an operator stores for plugins, sealed with the
//! server's key; plugins only ever hold handles to them); and `approvals.notified_at`,
//! when the plugin was told how its held action ended.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PluginKv {
    Table,
    Plugin,
    Project,
    Key,
    Value,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PluginSecrets {
    Table,
    Id,
    Scope,
    Name,
    Nonce,
    Ciphertext,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Approvals {
    Table,
    NotifiedAt,
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PluginKv::Table)
                    .col(ColumnDef::new(PluginKv::Plugin).string_len(128).not_null())
                    .col(ColumnDef::new(PluginKv::Project).string_len(300).not_null())
                    .col(ColumnDef::new(PluginKv::Key).string_len(256).not_null())
                    .col(ColumnDef::new(PluginKv::Value).blob().not_null())
                    .col(
                        ColumnDef::new(PluginKv::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(PluginKv::Plugin)
                            .col(PluginKv::Project)
                            .col(PluginKv::Key),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PluginSecrets::Table)
                    .col(
                        ColumnDef::new(PluginSecrets::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(PluginSecrets::Scope)
                            .string_len(300)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(PluginSecrets::Name)
                            .string_len(128)
                            .not_null(),
                    )
                    .col(ColumnDef::new(PluginSecrets::Nonce).blob().not_null())
                    .col(ColumnDef::new(PluginSecrets::Ciphertext).blob().not_null())
                    .col(
                        ColumnDef::new(PluginSecrets::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
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
        manager
            .alter_table(
                Table::alter()
                    .table(Approvals::Table)
                    .add_column(
                        ColumnDef::new(Approvals::NotifiedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Approvals::Table)
                    .drop_column(Approvals::NotifiedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(PluginSecrets::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(PluginKv::Table).to_owned())
            .await
    }
}
