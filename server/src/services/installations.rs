//! The App's installations, kept from `installation` and `installation_repositories`
//! webhooks: created, permissions accepted, suspended, unsuspended, deleted, and
//! repositories added or removed. A suspended installation gets no API calls: its
//! deliveries are stored and their jobs completed without running plugins. Every
//! change is audited. `list_for` shows a reader only the installations (and
//! repositories) they may see.
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, TransactionTrait};
use serde_json::Value;

use crate::crypto::AuditKey;
use crate::db::audit::{self, AuditEntry};
use crate::db::entities::installations::Model as Installation;
use crate::db::installations;
use crate::domain::Visibility;
use crate::domain::{Actor, AuditAction, EventMeta};
use crate::github::GitHubAccess;
use crate::secrets::webhook::APP_EVENTS;

fn full_names(list: &Value) -> Vec<String> {
    list.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|r| r["full_name"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Applies an installation event to the stored installations; other events are
/// ignored. Returns whether it was one.
///
/// # Errors
/// When the database fails.
pub async fn apply(
    db: &DatabaseConnection,
    key: &AuditKey,
    github: &GitHubAccess,
    event: &str,
    action: Option<&str>,
    payload: &Value,
) -> Result<bool, DbErr> {
    if event != "installation" && event != "installation_repositories" {
        return Ok(false);
    }
    let installation = &payload["installation"];
    let Some(id) = installation["id"].as_i64() else {
        return Ok(false);
    };
    let account = installation["account"]["login"]
        .as_str()
        .unwrap_or_default();
    let action = action.unwrap_or_default();
    let sender = payload["sender"]["login"].as_str().unwrap_or("github");
    let recorded = format!("{event}.{action}")
        .parse()
        .unwrap_or(AuditAction::InstallationChanged);
    let entry = AuditEntry::new(Actor::github(sender), recorded)
        .details(format!("installation {id} on {account} ({event}.{action})"));
    // The change and its audit row are one transaction: neither without the other.
    let changed = audit::retrying(|| async {
        let txn = db.begin().await?;
        if !change(&txn, id, account, event, action, payload).await? {
            return Ok::<_, DbErr>(false);
        }
        audit::append(&txn, key, &entry).await?;
        txn.commit().await?;
        Ok(true)
    })
    .await?;
    if changed {
        tracing::info!(installation = id, event, action, "installation updated");
        if event == "installation" && matches!(action, "suspend" | "unsuspend" | "deleted") {
            forget(github, id).await;
        }
    }
    Ok(true)
}

/// Applies one installation event on `conn`; returns whether it changed anything.
async fn change(
    conn: &impl ConnectionTrait,
    id: i64,
    account: &str,
    event: &str,
    action: &str,
    payload: &Value,
) -> Result<bool, DbErr> {
    let installation = &payload["installation"];
    let selected = installation["repository_selection"].as_str() == Some("selected");
    let existing = installations::find(conn, id).await?;
    let known_repos = || {
        existing
            .as_ref()
            .and_then(|e| e.repositories.as_deref())
            .and_then(|r| serde_json::from_str::<Vec<String>>(r).ok())
    };
    match (event, action) {
        ("installation", "created" | "new_permissions_accepted") => {
            let repos = selected.then(|| full_names(&payload["repositories"]));
            let suspended = installation["suspended_at"].is_string();
            installations::upsert(conn, id, account, repos, suspended).await?;
        }
        ("installation", "suspend" | "unsuspend") => {
            installations::upsert(conn, id, account, known_repos(), action == "suspend").await?;
        }
        ("installation", "deleted") => {
            installations::remove(conn, id).await?;
        }
        ("installation_repositories", _) => {
            if existing.is_none() {
                installations::upsert(conn, id, account, selected.then(Vec::new), false).await?;
            }
            if selected {
                installations::change_repositories(
                    conn,
                    id,
                    &full_names(&payload["repositories_added"]),
                    &full_names(&payload["repositories_removed"]),
                )
                .await?;
            } else {
                let suspended = existing.is_some_and(|e| e.suspended);
                installations::upsert(conn, id, account, None, suspended).await?;
            }
        }
        _ => return Ok(false),
    }
    Ok(true)
}

async fn forget(github: &GitHubAccess, id: i64) {
    if let (GitHubAccess::App(app), Ok(id)) = (github, u64::try_from(id)) {
        app.forget(id).await;
    }
}

/// Whether the installation a delivery names may speak for its repository (or, with
/// no repository, its organisation): true unless Gantry knows that installation and
/// it belongs to another account. Installation events themselves are not checked
/// here (only a global secret signs them). An installation Gantry has not seen yet
/// is bound when its token is issued (`github::app`: the token is requested for the
/// one repository, and GitHub says which repository that is).
///
/// # Errors
/// When the database fails.
pub async fn bound(db: &DatabaseConnection, event: &str, meta: &EventMeta) -> Result<bool, DbErr> {
    let Some(id) = meta
        .installation_id
        .filter(|_| !APP_EVENTS.contains(&event))
    else {
        return Ok(true);
    };
    let owner = match &meta.repository {
        Some(repo) => &repo.owner,
        None => match &meta.organization {
            Some(org) => org,
            None => return Ok(true),
        },
    };
    Ok(installations::find(db, id)
        .await?
        .is_none_or(|known| known.account.eq_ignore_ascii_case(owner)))
}

/// Why plugins must not act for `installation`, when they must not: it is suspended.
///
/// # Errors
/// When the database fails.
pub async fn refusal(
    db: &DatabaseConnection,
    installation: Option<i64>,
) -> Result<Option<String>, DbErr> {
    let Some(id) = installation else {
        return Ok(None);
    };
    Ok(installations::find(db, id)
        .await?
        .filter(|i| i.suspended)
        .map(|i| suspended(id, &i.account)))
}

/// Why plugins must not act for `installation` on `account`, which is suspended.
#[must_use]
pub fn suspended(installation: i64, account: &str) -> String {
    format!("installation {installation} on {account} is suspended: no API calls")
}

/// An installation as a reader sees it.
#[derive(Debug, Clone)]
pub struct Seen {
    /// The stored installation.
    pub installation: Installation,
    /// Its repositories the reader sees; `None`: all of the account's (only a reader
    /// who sees everything gets `None`).
    pub repositories: Option<Vec<String>>,
}

/// Every installation `visible` shows: all of them for a reader who sees
/// everything; otherwise those listing one of the reader's repositories, with only
/// those repositories.
///
/// # Errors
/// When the database fails.
pub async fn list_for(db: &DatabaseConnection, visible: &Visibility) -> Result<Vec<Seen>, DbErr> {
    let rows = installations::all(db).await?;
    Ok(rows
        .into_iter()
        .filter_map(|installation| {
            let repositories: Option<Vec<String>> = installation
                .repositories
                .as_deref()
                .and_then(|r| serde_json::from_str(r).ok());
            let repositories = if *visible == Visibility::All {
                repositories
            } else {
                let mine: Vec<String> = repositories
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|n| visible.shows(Some(n)))
                    .collect();
                if mine.is_empty() {
                    return None;
                }
                Some(mine)
            };
            Some(Seen {
                installation,
                repositories,
            })
        })
        .collect())
}
