//! Secrets for plugins: an operator stores a named value for one repository or for
//! all (`*`); a plugin with the capability `secrets:<name>` opens a handle to it and
//! never sees the value. Values are sealed with the server's `secrets.key`, bound to
//! their scope and name, so a row copied to another scope or name does not open.
use sea_orm::{DatabaseConnection, DbErr};

use super::secrets::SecretError;
use crate::crypto::SecretBox;
use crate::db::plugin_secrets;
use crate::domain::Secret;

fn aad(scope: &str, name: &str) -> Vec<u8> {
    format!("gantry-plugin-secret:{scope}:{name}").into_bytes()
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

/// Where a secret applies: `*` for every repository, or `owner/name`.
fn valid_scope(scope: &str) -> bool {
    scope == "*"
        || scope
            .split_once('/')
            .is_some_and(|(o, n)| !o.is_empty() && !n.is_empty() && !n.contains('/'))
}

/// Seals and stores (or replaces) a plugin secret.
///
/// # Errors
/// [`SecretError::NoKey`] without `secrets.key`, [`SecretError::Invalid`] for a bad
/// name, scope or value, or the database's error.
pub async fn set(
    db: &DatabaseConnection,
    key: Option<&Secret>,
    scope: &str,
    name: &str,
    value: &str,
) -> Result<(), SecretError> {
    let key = key.ok_or(SecretError::NoKey)?;
    if !valid_name(name) || !valid_scope(scope) || value.is_empty() || value.len() > 64 * 1024 {
        return Err(SecretError::Invalid);
    }
    let sealer = SecretBox::from_key(key)?;
    let (nonce, ciphertext) = sealer.seal(value.as_bytes(), &aad(scope, name))?;
    plugin_secrets::put(db, scope, name, nonce, ciphertext).await?;
    Ok(())
}

/// The stored plugin secrets as `(scope, name, created_at)`, never their values.
///
/// # Errors
/// When the database fails.
pub async fn list(
    db: &DatabaseConnection,
) -> Result<Vec<(String, String, chrono::DateTime<chrono::Utc>)>, DbErr> {
    Ok(plugin_secrets::all(db)
        .await?
        .into_iter()
        .map(|r| (r.scope, r.name, r.created_at))
        .collect())
}

/// Removes a plugin secret; returns whether it existed.
///
/// # Errors
/// When the database fails.
pub async fn remove(db: &DatabaseConnection, scope: &str, name: &str) -> Result<bool, DbErr> {
    plugin_secrets::delete(db, scope, name).await
}

/// Opens the secret `name` for `project` (its own, else the global one).
///
/// # Errors
/// [`SecretError::NoKey`] without a key, a crypto error when it does not open, or
/// the database's error.
pub async fn open(
    db: &DatabaseConnection,
    sealer: Option<&SecretBox>,
    project: &str,
    name: &str,
) -> Result<Option<Secret>, SecretError> {
    let Some(row) = plugin_secrets::find(db, project, name).await? else {
        return Ok(None);
    };
    let sealer = sealer.ok_or(SecretError::NoKey)?;
    let plain = sealer.open(&row.nonce, &row.ciphertext, &aad(&row.scope, &row.name))?;
    let text = String::from_utf8(plain).map_err(|_| SecretError::Invalid)?;
    Ok(Some(Secret::new(text)))
}
