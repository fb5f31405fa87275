//! Linking a dashboard account to a GitHub login: the only way the two identities
//! become one person, for separation of duties and for counting distinct approvers
//! (see `services::approvals`). Audited in the transaction that makes the link.
use sea_orm::{DatabaseConnection, TransactionTrait};
use serde_json::json;

use super::accounts::{entry, taken, user, AccountError};
use crate::crypto::AuditKey;
use crate::db::audit;
use crate::db::{accounts as store, sessions};
use crate::domain::{Actor, AuditAction};

/// Links a user to a GitHub login (`None` unlinks). Only through this link is a
/// dashboard account the same person as a GitHub login: separation of duties then
/// refuses its approval of what that login caused, and counts the two as one
/// approver. A GitHub login links to one account at most.
///
/// # Errors
/// See [`AccountError`].
pub async fn link_github(
    db: &DatabaseConnection,
    key: &AuditKey,
    actor: &Actor,
    login: &str,
    github: Option<&str>,
) -> Result<(), AccountError> {
    let user = user(db, login).await?;
    let github = github.map(github_login).transpose()?;
    let details = json!({ "login": user.login, "github": github });
    audit::retrying(|| async {
        let txn = db.begin().await?;
        store::set_github_login(&txn, user.id, github.clone())
            .await
            .map_err(|e| {
                taken(
                    e,
                    AccountError::GithubLoginTaken(github.clone().unwrap_or_default()),
                )
            })?;
        sessions::revoke_user_sessions(&txn, user.id).await?;
        let row = entry(actor, AuditAction::UserGithubLinked, "ok", &details);
        audit::append(&txn, key, &row).await?;
        txn.commit().await?;
        Ok(())
    })
    .await
}

/// A GitHub login, lower-cased and checked: 1 to 39 letters, digits and hyphens,
/// not starting or ending with one and without two in a row.
///
/// # Errors
/// [`AccountError::InvalidGithubLogin`].
pub fn github_login(raw: &str) -> Result<String, AccountError> {
    let login = raw.trim().to_ascii_lowercase();
    let ok = !login.is_empty()
        && login.len() <= 39
        && login
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !login.starts_with('-')
        && !login.ends_with('-')
        && !login.contains("--");
    if ok {
        Ok(login)
    } else {
        Err(AccountError::InvalidGithubLogin(raw.trim().to_owned()))
    }
}
