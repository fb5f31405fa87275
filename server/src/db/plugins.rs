//! Queries on `plugins` (installed plugins) and `plugin_projects` (where each is
//! enabled and how it is configured). Reads that do not need the component leave its
//! bytes in the database.
//!
//! Every change to one plugin's rows starts with [`lock`], an update of the plugin's
//! own row that also checks its digest: it makes concurrent changes to the same
//! plugin (from this process, the CLI or another replica) wait for each other, and
//! tells a change that the plugin was upgraded or removed meanwhile.
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult,
    QueryFilter, QueryOrder, QuerySelect, TryInsertResult,
};

use super::entities::{plugin_projects, plugins};

/// An installed plugin without its component bytes.
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct PluginInfo {
    /// The plugin's name.
    pub name: String,
    /// Its version.
    pub version: String,
    /// What it does.
    pub description: String,
    /// SHA-256 of the component, hex.
    pub digest: String,
    /// The SDK it was built with, when it says.
    pub sdk_version: Option<String>,
    /// The manifest as the host read it (TOML).
    pub manifest: String,
    /// Size of the component in bytes.
    pub size: i64,
    /// The operator's switch for the whole plugin.
    pub enabled: bool,
    /// When it was first installed.
    pub installed_at: DateTime<Utc>,
    /// When it or its settings last changed.
    pub updated_at: DateTime<Utc>,
}

/// What dispatch needs to know of each installed plugin.
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct PluginHead {
    /// The plugin's name.
    pub name: String,
    /// SHA-256 of the component, hex.
    pub digest: String,
    /// The operator's switch for the whole plugin.
    pub enabled: bool,
}

/// A plugin to store.
#[derive(Debug, Clone, Copy)]
pub struct NewPlugin<'a> {
    /// Its name.
    pub name: &'a str,
    /// Its version.
    pub version: &'a str,
    /// What it does.
    pub description: &'a str,
    /// SHA-256 of `component`, hex.
    pub digest: &'a str,
    /// The SDK it was built with.
    pub sdk_version: Option<&'a str>,
    /// The manifest (TOML).
    pub manifest: &'a str,
    /// The component's bytes.
    pub component: &'a [u8],
}

const INFO_COLUMNS: [plugins::Column; 10] = [
    plugins::Column::Name,
    plugins::Column::Version,
    plugins::Column::Description,
    plugins::Column::Digest,
    plugins::Column::SdkVersion,
    plugins::Column::Manifest,
    plugins::Column::Size,
    plugins::Column::Enabled,
    plugins::Column::InstalledAt,
    plugins::Column::UpdatedAt,
];

/// Every installed plugin, by name.
///
/// # Errors
/// When the database fails.
pub async fn list(db: &impl ConnectionTrait) -> Result<Vec<PluginInfo>, DbErr> {
    plugins::Entity::find()
        .select_only()
        .columns(INFO_COLUMNS)
        .order_by_asc(plugins::Column::Name)
        .into_model()
        .all(db)
        .await
}

/// One installed plugin.
///
/// # Errors
/// When the database fails.
pub async fn find(db: &impl ConnectionTrait, name: &str) -> Result<Option<PluginInfo>, DbErr> {
    plugins::Entity::find()
        .select_only()
        .columns(INFO_COLUMNS)
        .filter(plugins::Column::Name.eq(name))
        .into_model()
        .one(db)
        .await
}

/// Name, digest and switch of every installed plugin, by name.
///
/// # Errors
/// When the database fails.
pub async fn heads(db: &impl ConnectionTrait) -> Result<Vec<PluginHead>, DbErr> {
    plugins::Entity::find()
        .select_only()
        .columns([
            plugins::Column::Name,
            plugins::Column::Digest,
            plugins::Column::Enabled,
        ])
        .order_by_asc(plugins::Column::Name)
        .into_model()
        .all(db)
        .await
}

/// The component bytes of an installed plugin.
///
/// # Errors
/// When the database fails.
pub async fn component(db: &impl ConnectionTrait, name: &str) -> Result<Option<Vec<u8>>, DbErr> {
    plugins::Entity::find()
        .select_only()
        .column(plugins::Column::Component)
        .filter(plugins::Column::Name.eq(name))
        .into_tuple()
        .one(db)
        .await
}

/// Stores a new plugin, switched on; returns false (changing nothing) when one of
/// that name is already installed.
///
/// # Errors
/// When the database fails.
pub async fn insert(db: &impl ConnectionTrait, new: NewPlugin<'_>) -> Result<bool, DbErr> {
    let now = Utc::now();
    let row = plugins::ActiveModel {
        name: Set(new.name.to_owned()),
        version: Set(new.version.to_owned()),
        description: Set(new.description.to_owned()),
        digest: Set(new.digest.to_owned()),
        sdk_version: Set(new.sdk_version.map(str::to_owned)),
        manifest: Set(new.manifest.to_owned()),
        component: Set(new.component.to_vec()),
        size: Set(i64::try_from(new.component.len()).unwrap_or(i64::MAX)),
        enabled: Set(true),
        installed_at: Set(now),
        updated_at: Set(now),
    };
    let result = plugins::Entity::insert(row)
        .on_conflict_do_nothing_on([plugins::Column::Name])
        .exec_without_returning(db)
        .await?;
    Ok(matches!(result, TryInsertResult::Inserted(n) if n > 0))
}

/// Locks a plugin's row for the rest of the transaction (see the module header):
/// returns false when it is no longer installed with `digest`.
///
/// # Errors
/// When the database fails.
pub async fn lock(db: &impl ConnectionTrait, name: &str, digest: &str) -> Result<bool, DbErr> {
    let result = plugins::Entity::update_many()
        .col_expr(plugins::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(plugins::Column::Name.eq(name))
        .filter(plugins::Column::Digest.eq(digest))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Replaces a locked plugin's component and what was read from it.
///
/// # Errors
/// When the database fails.
pub async fn replace(db: &impl ConnectionTrait, new: NewPlugin<'_>) -> Result<(), DbErr> {
    plugins::Entity::update_many()
        .col_expr(plugins::Column::Version, Expr::value(new.version))
        .col_expr(plugins::Column::Description, Expr::value(new.description))
        .col_expr(plugins::Column::Digest, Expr::value(new.digest))
        .col_expr(
            plugins::Column::SdkVersion,
            Expr::value(new.sdk_version.map(str::to_owned)),
        )
        .col_expr(plugins::Column::Manifest, Expr::value(new.manifest))
        .col_expr(
            plugins::Column::Component,
            Expr::value(new.component.to_vec()),
        )
        .col_expr(
            plugins::Column::Size,
            Expr::value(i64::try_from(new.component.len()).unwrap_or(i64::MAX)),
        )
        .col_expr(plugins::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(plugins::Column::Name.eq(new.name))
        .exec(db)
        .await?;
    Ok(())
}

/// Sets the operator's switch of a plugin.
///
/// # Errors
/// When the database fails.
pub async fn set_enabled(
    db: &impl ConnectionTrait,
    name: &str,
    enabled: bool,
) -> Result<(), DbErr> {
    plugins::Entity::update_many()
        .col_expr(plugins::Column::Enabled, Expr::value(enabled))
        .col_expr(plugins::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(plugins::Column::Name.eq(name))
        .exec(db)
        .await?;
    Ok(())
}

/// Deletes a plugin and its project rows; returns whether it was installed.
///
/// # Errors
/// When the database fails.
pub async fn delete(db: &impl ConnectionTrait, name: &str) -> Result<bool, DbErr> {
    plugin_projects::Entity::delete_many()
        .filter(plugin_projects::Column::Plugin.eq(name))
        .exec(db)
        .await?;
    Ok(plugins::Entity::delete_by_id(name.to_owned())
        .exec(db)
        .await?
        .rows_affected
        == 1)
}

/// Every project row of a plugin, `*` first, then by project.
///
/// # Errors
/// When the database fails.
pub async fn projects(
    db: &impl ConnectionTrait,
    plugin: &str,
) -> Result<Vec<plugin_projects::Model>, DbErr> {
    plugin_projects::Entity::find()
        .filter(plugin_projects::Column::Plugin.eq(plugin))
        .order_by_asc(plugin_projects::Column::Project)
        .all(db)
        .await
}

/// Every plugin's rows for `project` and for `*`.
///
/// # Errors
/// When the database fails.
pub async fn rows_for_project(
    db: &impl ConnectionTrait,
    project: Option<&str>,
) -> Result<Vec<plugin_projects::Model>, DbErr> {
    let mut wanted = vec!["*"];
    wanted.extend(project);
    plugin_projects::Entity::find()
        .filter(plugin_projects::Column::Project.is_in(wanted))
        .all(db)
        .await
}

/// A project row to write.
#[derive(Debug, Clone, Copy)]
pub struct ProjectRow<'a> {
    /// The plugin.
    pub plugin: &'a str,
    /// `*` or `owner/name`.
    pub project: &'a str,
    /// Enabled, disabled, or as `*` says.
    pub enabled: Option<bool>,
    /// The configuration as set (JSON).
    pub config: Option<&'a str>,
    /// The configuration the plugin receives (JSON).
    pub effective_config: &'a str,
}

/// Writes a project row, replacing the one for the same plugin and project.
///
/// # Errors
/// When the database fails.
pub async fn upsert_project(db: &impl ConnectionTrait, row: ProjectRow<'_>) -> Result<(), DbErr> {
    plugin_projects::Entity::insert(active_project(row))
        .on_conflict(
            OnConflict::columns([
                plugin_projects::Column::Plugin,
                plugin_projects::Column::Project,
            ])
            .update_columns([
                plugin_projects::Column::Enabled,
                plugin_projects::Column::Config,
                plugin_projects::Column::EffectiveConfig,
                plugin_projects::Column::UpdatedAt,
            ])
            .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Writes a project row unless one exists for the same plugin and project; returns
/// whether it was written.
///
/// # Errors
/// When the database fails.
pub async fn insert_project_if_absent(
    db: &impl ConnectionTrait,
    row: ProjectRow<'_>,
) -> Result<bool, DbErr> {
    let result = plugin_projects::Entity::insert(active_project(row))
        .on_conflict_do_nothing_on([
            plugin_projects::Column::Plugin,
            plugin_projects::Column::Project,
        ])
        .exec_without_returning(db)
        .await?;
    Ok(matches!(result, TryInsertResult::Inserted(n) if n > 0))
}

fn active_project(row: ProjectRow<'_>) -> plugin_projects::ActiveModel {
    plugin_projects::ActiveModel {
        plugin: Set(row.plugin.to_owned()),
        project: Set(row.project.to_owned()),
        enabled: Set(row.enabled),
        config: Set(row.config.map(str::to_owned)),
        effective_config: Set(row.effective_config.to_owned()),
        updated_at: Set(Utc::now()),
        ..Default::default()
    }
}
