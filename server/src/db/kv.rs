//! Queries on `plugin_kv`: one plugin's keys in one repository, read, written,
//! deleted and listed by prefix. Repository names are stored lower case, as GitHub
//! treats them case-insensitively (a webhook and a scheduled tick may spell one
//! repository differently). Size limits are the caller's to check.
use chrono::Utc;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};

use super::entities::plugin_kv;
use sea_orm::sea_query::Expr;

/// Whose keys: a plugin in a repository.
#[derive(Debug, Clone, Copy)]
pub struct KvScope<'a> {
    /// The plugin's name.
    pub plugin: &'a str,
    /// `owner/name` of the repository.
    pub project: &'a str,
}

fn in_scope(scope: KvScope<'_>) -> sea_orm::Condition {
    sea_orm::Condition::all()
        .add(plugin_kv::Column::Plugin.eq(scope.plugin))
        .add(plugin_kv::Column::Project.eq(scope.project.to_ascii_lowercase()))
}

/// The value of `key`.
///
/// # Errors
/// When the database fails.
pub async fn get(
    db: &impl ConnectionTrait,
    scope: KvScope<'_>,
    key: &str,
) -> Result<Option<Vec<u8>>, DbErr> {
    let row = plugin_kv::Entity::find()
        .filter(in_scope(scope))
        .filter(plugin_kv::Column::Key.eq(key))
        .one(db)
        .await?;
    Ok(row.map(|r| r.value))
}

/// How many bytes the scope holds, keys and values.
///
/// # Errors
/// When the database fails.
pub async fn bytes(db: &impl ConnectionTrait, scope: KvScope<'_>) -> Result<u64, DbErr> {
    let total: Option<i64> = plugin_kv::Entity::find()
        .select_only()
        .column_as(
            Expr::cust("COALESCE(SUM(LENGTH(value) + LENGTH(key)), 0)"),
            "bytes",
        )
        .filter(in_scope(scope))
        .into_tuple()
        .one(db)
        .await?;
    Ok(total.map_or(0, |t| u64::try_from(t).unwrap_or(0)))
}

/// How many keys the scope holds.
///
/// # Errors
/// When the database fails.
pub async fn count(db: &impl ConnectionTrait, scope: KvScope<'_>) -> Result<u64, DbErr> {
    plugin_kv::Entity::find()
        .filter(in_scope(scope))
        .count(db)
        .await
}

/// Sets `key` to `value`.
///
/// # Errors
/// When the database fails.
pub async fn set(
    db: &impl ConnectionTrait,
    scope: KvScope<'_>,
    key: &str,
    value: Vec<u8>,
) -> Result<(), DbErr> {
    let row = plugin_kv::ActiveModel {
        plugin: Set(scope.plugin.to_owned()),
        project: Set(scope.project.to_ascii_lowercase()),
        key: Set(key.to_owned()),
        value: Set(value),
        updated_at: Set(Utc::now()),
    };
    plugin_kv::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([
                plugin_kv::Column::Plugin,
                plugin_kv::Column::Project,
                plugin_kv::Column::Key,
            ])
            .update_columns([plugin_kv::Column::Value, plugin_kv::Column::UpdatedAt])
            .to_owned(),
        )
        .exec(db)
        .await?;
    Ok(())
}

/// Removes `key`; returns whether it was set.
///
/// # Errors
/// When the database fails.
pub async fn delete(
    db: &impl ConnectionTrait,
    scope: KvScope<'_>,
    key: &str,
) -> Result<bool, DbErr> {
    let done = plugin_kv::Entity::delete_many()
        .filter(in_scope(scope))
        .filter(plugin_kv::Column::Key.eq(key))
        .exec(db)
        .await?;
    Ok(done.rows_affected > 0)
}

/// Keys starting with `prefix`, in order, at most `limit`.
///
/// # Errors
/// When the database fails.
pub async fn keys(
    db: &impl ConnectionTrait,
    scope: KvScope<'_>,
    prefix: &str,
    limit: u64,
) -> Result<Vec<String>, DbErr> {
    let rows: Vec<String> = plugin_kv::Entity::find()
        .select_only()
        .column(plugin_kv::Column::Key)
        .filter(in_scope(scope))
        .filter(plugin_kv::Column::Key.gte(prefix))
        .order_by_asc(plugin_kv::Column::Key)
        .into_tuple()
        .all(db)
        .await?;
    // Filtering the prefix here keeps `%` and `_` in keys literal (no LIKE).
    Ok(rows
        .into_iter()
        .take_while(|k| k.starts_with(prefix))
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
        .collect())
}
