//! Queries on `plugin_secrets`. Values arrive and leave sealed; this module never
//! sees a plaintext secret. Scopes are stored and looked up lower case.
use chrono::Utc;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
};

use super::entities::plugin_secrets;

/// The plugin of rows stored before secrets were bound to one: no plugin opens them.
pub const UNBOUND: &str = "";

/// A sealed secret to store.
#[derive(Debug, Clone)]
pub struct NewSecret<'a> {
    /// The plugin that may open it.
    pub plugin: &'a str,
    /// `*` or `owner/name` (lower case).
    pub scope: &'a str,
    /// Its name.
    pub name: &'a str,
    /// The hosts it may be sent to, one per line.
    pub hosts: &'a str,
    /// The header names it may be sent in, one per line.
    pub headers: &'a str,
    /// The nonce it was sealed with.
    pub nonce: Vec<u8>,
    /// The sealed value.
    pub ciphertext: Vec<u8>,
}

/// Stores (or replaces) a sealed secret for its plugin, scope and name.
///
/// # Errors
/// When the database fails.
pub async fn put(db: &impl ConnectionTrait, new: NewSecret<'_>) -> Result<(), DbErr> {
    let row = plugin_secrets::ActiveModel {
        plugin: Set(new.plugin.to_owned()),
        scope: Set(new.scope.to_owned()),
        name: Set(new.name.to_owned()),
        hosts: Set(new.hosts.to_owned()),
        headers: Set(new.headers.to_owned()),
        nonce: Set(new.nonce),
        ciphertext: Set(new.ciphertext),
        created_at: Set(Utc::now()),
        ..Default::default()
    };
    plugin_secrets::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([
                plugin_secrets::Column::Plugin,
                plugin_secrets::Column::Scope,
                plugin_secrets::Column::Name,
            ])
            .update_columns([
                plugin_secrets::Column::Hosts,
                plugin_secrets::Column::Headers,
                plugin_secrets::Column::Nonce,
                plugin_secrets::Column::Ciphertext,
                plugin_secrets::Column::CreatedAt,
            ])
            .to_owned(),
        )
        .exec(db)
        .await?;
    Ok(())
}

/// `plugin`'s secret `name` for the repository `project` (lower case), else its
/// global one. Only rows stored for `plugin` are considered.
///
/// # Errors
/// When the database fails.
pub async fn find(
    db: &impl ConnectionTrait,
    plugin: &str,
    project: &str,
    name: &str,
) -> Result<Option<plugin_secrets::Model>, DbErr> {
    let rows = plugin_secrets::Entity::find()
        .filter(plugin_secrets::Column::Plugin.eq(plugin))
        .filter(plugin_secrets::Column::Name.eq(name))
        .filter(plugin_secrets::Column::Scope.is_in([project, "*"]))
        .all(db)
        .await?;
    let specific = rows.iter().find(|r| r.scope == project).cloned();
    Ok(specific.or_else(|| rows.into_iter().find(|r| r.scope == "*")))
}

/// The row of `plugin`'s secret `name` for exactly `scope`, compared without case.
///
/// # Errors
/// When the database fails.
pub async fn exact(
    db: &impl ConnectionTrait,
    plugin: &str,
    scope: &str,
    name: &str,
) -> Result<Option<plugin_secrets::Model>, DbErr> {
    Ok(plugin_secrets::Entity::find()
        .filter(plugin_secrets::Column::Plugin.eq(plugin))
        .filter(plugin_secrets::Column::Name.eq(name))
        .all(db)
        .await?
        .into_iter()
        .find(|r| r.scope.eq_ignore_ascii_case(scope)))
}

/// Every stored secret (sealed), by plugin, scope and name.
///
/// # Errors
/// When the database fails.
pub async fn all(db: &impl ConnectionTrait) -> Result<Vec<plugin_secrets::Model>, DbErr> {
    plugin_secrets::Entity::find()
        .order_by_asc(plugin_secrets::Column::Plugin)
        .order_by_asc(plugin_secrets::Column::Scope)
        .order_by_asc(plugin_secrets::Column::Name)
        .all(db)
        .await
}

/// Removes the row `id`; returns whether it existed.
///
/// # Errors
/// When the database fails.
pub async fn delete(db: &impl ConnectionTrait, id: i64) -> Result<bool, DbErr> {
    let done = plugin_secrets::Entity::delete_by_id(id).exec(db).await?;
    Ok(done.rows_affected > 0)
}
