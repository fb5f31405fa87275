//! Queries on `plugin_states`: count crashes, disable a plugin that keeps crashing,
//! and enable it again.
use std::collections::HashMap;

use chrono::Utc;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use super::entities::plugin_states;

/// Every plugin with a recorded state, by name.
///
/// # Errors
/// When the database fails.
pub async fn all(
    db: &impl ConnectionTrait,
) -> Result<HashMap<String, plugin_states::Model>, DbErr> {
    Ok(plugin_states::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.name.clone(), s))
        .collect())
}

/// Names of the disabled plugins.
///
/// # Errors
/// When the database fails.
pub async fn disabled(db: &impl ConnectionTrait) -> Result<Vec<String>, DbErr> {
    let rows = plugin_states::Entity::find()
        .filter(plugin_states::Column::Disabled.eq(true))
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|s| s.name).collect())
}

/// Records one run: a crash (trap or timeout) counts up, anything else resets the
/// count (and writes nothing when there is no count to reset). Reaching `limit` crashes in a row disables the plugin; returns the reason
/// when this run did that.
///
/// # Errors
/// When the database fails.
pub async fn record_run(
    db: &impl ConnectionTrait,
    name: &str,
    crashed: bool,
    message: Option<&str>,
    limit: i32,
) -> Result<Option<String>, DbErr> {
    let current = plugin_states::Entity::find_by_id(name.to_owned())
        .one(db)
        .await?;
    if !crashed && current.as_ref().is_none_or(|s| s.consecutive_crashes == 0) {
        // No crash to count and none to reset: nothing to write (most runs).
        return Ok(None);
    }
    let count = if crashed {
        current.as_ref().map_or(0, |s| s.consecutive_crashes) + 1
    } else {
        0
    };
    let already = current.as_ref().is_some_and(|s| s.disabled);
    let disable_now = crashed && !already && count >= limit;
    let reason = disable_now.then(|| {
        let last: String = message
            .unwrap_or("no message")
            .lines()
            .next()
            .unwrap_or_default()
            .chars()
            .take(300)
            .collect();
        format!("disabled automatically after {count} crashes in a row; last: {last}")
    });
    let row = plugin_states::ActiveModel {
        name: Set(name.to_owned()),
        disabled: Set(already || disable_now),
        reason: Set(reason.clone().or_else(|| current.and_then(|s| s.reason))),
        consecutive_crashes: Set(count),
        updated_at: Set(Utc::now()),
    };
    plugin_states::Entity::insert(row)
        .on_conflict(
            OnConflict::column(plugin_states::Column::Name)
                .update_columns([
                    plugin_states::Column::Disabled,
                    plugin_states::Column::Reason,
                    plugin_states::Column::ConsecutiveCrashes,
                    plugin_states::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec(db)
        .await?;
    Ok(reason)
}

/// Enables a plugin again and clears its crash count; returns whether it was
/// disabled.
///
/// # Errors
/// When the database fails.
pub async fn enable(db: &impl ConnectionTrait, name: &str) -> Result<bool, DbErr> {
    let Some(current) = plugin_states::Entity::find_by_id(name.to_owned())
        .one(db)
        .await?
    else {
        return Ok(false);
    };
    let row = plugin_states::ActiveModel {
        name: Set(name.to_owned()),
        disabled: Set(false),
        reason: Set(None),
        consecutive_crashes: Set(0),
        updated_at: Set(Utc::now()),
    };
    plugin_states::Entity::update(row).exec(db).await?;
    Ok(current.disabled)
}

/// Forgets a plugin's state (when it is removed); returns whether there was one.
///
/// # Errors
/// When the database fails.
pub async fn forget(db: &impl ConnectionTrait, name: &str) -> Result<bool, DbErr> {
    Ok(plugin_states::Entity::delete_by_id(name.to_owned())
        .exec(db)
        .await?
        .rows_affected
        == 1)
}
