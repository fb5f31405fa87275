//! Queries on `sessions`, `api_tokens`, `login_throttle` and `sealed_keys`. Tokens
//! arrive here as SHA-256 digests; keys arrive sealed.
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr,
    EntityTrait, QueryFilter, QueryOrder,
};

use super::entities::{api_tokens, login_throttle, sealed_keys, sessions};

/// Stores a new session row.
///
/// # Errors
/// When the database fails.
pub async fn insert_session(
    db: &impl ConnectionTrait,
    id: &str,
    user_id: i64,
    expires_at: DateTime<Utc>,
) -> Result<(), DbErr> {
    sessions::ActiveModel {
        id: Set(id.to_owned()),
        user_id: Set(user_id),
        created_at: Set(Utc::now()),
        expires_at: Set(expires_at),
        revoked_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// The session row with this id.
///
/// # Errors
/// When the database fails.
pub async fn find_session(
    db: &impl ConnectionTrait,
    id: &str,
) -> Result<Option<sessions::Model>, DbErr> {
    sessions::Entity::find_by_id(id.to_owned()).one(db).await
}

/// Revokes one session; returns whether it was live.
///
/// # Errors
/// When the database fails.
pub async fn revoke_session(db: &impl ConnectionTrait, id: &str) -> Result<bool, DbErr> {
    let done = sessions::Entity::update_many()
        .col_expr(sessions::Column::RevokedAt, Expr::value(Utc::now()))
        .filter(sessions::Column::Id.eq(id))
        .filter(sessions::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(done.rows_affected > 0)
}

/// Revokes every live session of a user; returns how many.
///
/// # Errors
/// When the database fails.
pub async fn revoke_user_sessions(db: &impl ConnectionTrait, user_id: i64) -> Result<u64, DbErr> {
    let done = sessions::Entity::update_many()
        .col_expr(sessions::Column::RevokedAt, Expr::value(Utc::now()))
        .filter(sessions::Column::UserId.eq(user_id))
        .filter(sessions::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(done.rows_affected)
}

/// An API token to store.
#[derive(Debug, Clone)]
pub struct NewToken {
    /// Its owner.
    pub user_id: i64,
    /// A name to recognise it by.
    pub name: String,
    /// Its scope: `viewer`, `maintainer` or `admin`.
    pub role: String,
    /// Hex SHA-256 of the token.
    pub token_hash: String,
}

/// Stores a token; returns its id.
///
/// # Errors
/// When the database fails.
pub async fn insert_token(db: &impl ConnectionTrait, new: NewToken) -> Result<i64, DbErr> {
    let row = api_tokens::ActiveModel {
        user_id: Set(new.user_id),
        name: Set(new.name),
        role: Set(new.role),
        token_hash: Set(new.token_hash),
        created_at: Set(Utc::now()),
        last_used_at: Set(None),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(row.id)
}

/// The live (unrevoked) token with this digest.
///
/// # Errors
/// When the database fails.
pub async fn find_live_token(
    db: &impl ConnectionTrait,
    token_hash: &str,
) -> Result<Option<api_tokens::Model>, DbErr> {
    api_tokens::Entity::find()
        .filter(api_tokens::Column::TokenHash.eq(token_hash))
        .filter(api_tokens::Column::RevokedAt.is_null())
        .one(db)
        .await
}

/// Tokens, of one user or of everyone, oldest first.
///
/// # Errors
/// When the database fails.
pub async fn list_tokens(
    db: &impl ConnectionTrait,
    user_id: Option<i64>,
) -> Result<Vec<api_tokens::Model>, DbErr> {
    let mut query = api_tokens::Entity::find().order_by_asc(api_tokens::Column::Id);
    if let Some(user) = user_id {
        query = query.filter(api_tokens::Column::UserId.eq(user));
    }
    query.all(db).await
}

/// The token with this id.
///
/// # Errors
/// When the database fails.
pub async fn find_token(
    db: &impl ConnectionTrait,
    id: i64,
) -> Result<Option<api_tokens::Model>, DbErr> {
    api_tokens::Entity::find_by_id(id).one(db).await
}

/// Revokes a token; returns whether it was live.
///
/// # Errors
/// When the database fails.
pub async fn revoke_token(db: &impl ConnectionTrait, id: i64) -> Result<bool, DbErr> {
    let done = api_tokens::Entity::update_many()
        .col_expr(api_tokens::Column::RevokedAt, Expr::value(Utc::now()))
        .filter(api_tokens::Column::Id.eq(id))
        .filter(api_tokens::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(done.rows_affected > 0)
}

/// Notes that a token was used now.
///
/// # Errors
/// When the database fails.
pub async fn touch_token(db: &impl ConnectionTrait, id: i64) -> Result<(), DbErr> {
    api_tokens::Entity::update_many()
        .col_expr(api_tokens::Column::LastUsedAt, Expr::value(Utc::now()))
        .filter(api_tokens::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// The throttle state under `key`.
///
/// # Errors
/// When the database fails.
pub async fn throttle_state(
    db: &impl ConnectionTrait,
    key: &str,
) -> Result<Option<login_throttle::Model>, DbErr> {
    login_throttle::Entity::find_by_id(key.to_owned())
        .one(db)
        .await
}

/// Stores the first throttle state under `key`; `false` when a row was there
/// already (another request stored it first).
///
/// # Errors
/// When the database fails.
pub async fn insert_throttle(
    db: &impl ConnectionTrait,
    key: &str,
    failures: i32,
    locked_until: Option<DateTime<Utc>>,
) -> Result<bool, DbErr> {
    let row = login_throttle::ActiveModel {
        key: Set(key.to_owned()),
        failures: Set(failures),
        locked_until: Set(locked_until),
        updated_at: Set(Utc::now()),
    };
    let inserted = login_throttle::Entity::insert(row)
        .on_conflict(
            OnConflict::column(login_throttle::Column::Key)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(inserted == 1)
}

/// Replaces the throttle state `old` (as read) with `failures` and `locked_until`,
/// only if nobody changed it since; `false` when somebody did.
///
/// # Errors
/// When the database fails.
pub async fn swap_throttle(
    db: &impl ConnectionTrait,
    old: &login_throttle::Model,
    failures: i32,
    locked_until: Option<DateTime<Utc>>,
) -> Result<bool, DbErr> {
    let done = login_throttle::Entity::update_many()
        .col_expr(login_throttle::Column::Failures, Expr::value(failures))
        .col_expr(
            login_throttle::Column::LockedUntil,
            Expr::value(locked_until),
        )
        .col_expr(login_throttle::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(login_throttle::Column::Key.eq(old.key.clone()))
        .filter(login_throttle::Column::Failures.eq(old.failures))
        .filter(login_throttle::Column::UpdatedAt.eq(old.updated_at))
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}

/// Forgets the throttle state under `key`.
///
/// # Errors
/// When the database fails.
pub async fn clear_throttle(db: &impl ConnectionTrait, key: &str) -> Result<(), DbErr> {
    login_throttle::Entity::delete_by_id(key.to_owned())
        .exec(db)
        .await?;
    Ok(())
}

/// The sealed key named `name`.
///
/// # Errors
/// When the database fails.
pub async fn sealed_key(
    db: &impl ConnectionTrait,
    name: &str,
) -> Result<Option<sealed_keys::Model>, DbErr> {
    sealed_keys::Entity::find_by_id(name.to_owned())
        .one(db)
        .await
}

/// Stores a sealed key unless one of that name exists (another replica may have
/// stored one first; the caller then reads that one).
///
/// # Errors
/// When the database fails.
pub async fn insert_sealed_key(
    db: &impl ConnectionTrait,
    name: &str,
    nonce: Vec<u8>,
    ciphertext: Vec<u8>,
) -> Result<(), DbErr> {
    let row = sealed_keys::ActiveModel {
        name: Set(name.to_owned()),
        nonce: Set(nonce),
        ciphertext: Set(ciphertext),
        created_at: Set(Utc::now()),
    };
    sealed_keys::Entity::insert(row)
        .on_conflict_do_nothing_on([sealed_keys::Column::Name])
        .exec(db)
        .await?;
    Ok(())
}

/// Deletes sessions that expired or were revoked before `before`; returns how many.
///
/// # Errors
/// When the database fails.
pub async fn delete_stale_sessions(
    db: &impl ConnectionTrait,
    before: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let done = sessions::Entity::delete_many()
        .filter(
            Condition::any()
                .add(sessions::Column::ExpiresAt.lt(before))
                .add(sessions::Column::RevokedAt.lt(before)),
        )
        .exec(db)
        .await?;
    Ok(done.rows_affected)
}

/// Deletes throttle state last changed before `before` (forgotten anyway).
///
/// # Errors
/// When the database fails.
pub async fn delete_stale_throttle(
    db: &impl ConnectionTrait,
    before: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let done = login_throttle::Entity::delete_many()
        .filter(login_throttle::Column::UpdatedAt.lt(before))
        .exec(db)
        .await?;
    Ok(done.rows_affected)
}
