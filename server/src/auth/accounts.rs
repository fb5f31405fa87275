//! Managing accounts: users, passwords, roles, GitHub links, teams, grants and API
//! tokens. Used by the `gantry` command line and the routes alike. Every change
//! writes one audit row in the transaction that makes it; a change to a password, a
//! role or a team ends the sessions of the users it concerns, in that transaction
//! too.
use std::collections::BTreeMap;

use sea_orm::{DatabaseConnection, DbErr, SqlErr, TransactionTrait};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

pub use super::github_link::{github_login, link_github};
use super::password::{self, PasswordError};
use super::principal::{Credential, Principal};
use super::role::Role;
use crate::crypto::AuditKey;
use crate::db::audit::{self, AuditEntry, ChainConflict};
use crate::db::entities::{api_tokens, users};
use crate::db::{accounts as store, sessions};
pub use crate::domain::Actor;
use crate::domain::{AuditAction, Project};

/// The prefix of every API token (it helps secret scanners spot leaked ones).
pub const TOKEN_PREFIX: &str = "gantry_";

/// Why an account change was refused.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// A login or team name with characters outside `a-z 0-9 - _ .`, or too long.
    #[error("names are 1 to 64 characters of a-z, 0-9, '-', '_' and '.'")]
    InvalidName,
    /// The login is taken.
    #[error("a user with that login exists")]
    LoginTaken,
    /// The team name is taken.
    #[error("a team with that name exists")]
    TeamTaken,
    /// No such user.
    #[error("no user is called {0}")]
    NoSuchUser(String),
    /// No such team.
    #[error("no team is called {0}")]
    NoSuchTeam(String),
    /// No such token.
    #[error("no API token has id {0}")]
    NoSuchToken(i64),
    /// A project that is not `owner/repo`.
    #[error("{0}")]
    InvalidProject(String),
    /// A token asked for more than its user has.
    #[error("a token cannot have more than its user's own role ({0})")]
    RoleTooHigh(String),
    /// A team grant of `admin`: admin is a user's own role, never a team's on a
    /// repository (a team's role applies to its repositories only).
    #[error("teams get viewer or maintainer on a project; admin is a user's role")]
    TeamAdmin,
    /// Not a GitHub login (1 to 39 letters, digits and single hyphens).
    #[error("`{0}` is not a GitHub login")]
    InvalidGithubLogin(String),
    /// The GitHub login is linked to another user already.
    #[error("the GitHub login {0} is linked to another user")]
    GithubLoginTaken(String),
    /// The password is unusable.
    #[error(transparent)]
    Password(#[from] PasswordError),
    /// The database failed.
    #[error("the database failed")]
    Database(#[from] DbErr),
}

impl ChainConflict for AccountError {
    fn is_chain_conflict(&self) -> bool {
        matches!(self, Self::Database(e) if e.is_chain_conflict())
    }
}

/// The audit row of an account change.
pub(super) fn entry(
    actor: &Actor,
    action: AuditAction,
    outcome: &str,
    details: &Value,
) -> AuditEntry {
    AuditEntry::new(actor.clone(), action)
        .outcome(outcome)
        .details(details.to_string())
}

/// Writes one audit row about something that changes nothing else (a sign-in, a
/// sign-out), in a transaction of its own.
///
/// # Errors
/// When the database fails.
pub async fn audit(
    db: &DatabaseConnection,
    key: &AuditKey,
    actor: &Actor,
    action: AuditAction,
    outcome: &str,
    details: Value,
) -> Result<(), DbErr> {
    audit::record(db, key, entry(actor, action, outcome, &details)).await?;
    Ok(())
}

/// A login or team name, lower-cased, checked.
///
/// # Errors
/// [`AccountError::InvalidName`].
pub fn normalise_name(raw: &str) -> Result<String, AccountError> {
    let name = raw.trim().to_ascii_lowercase();
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
    if ok {
        Ok(name)
    } else {
        Err(AccountError::InvalidName)
    }
}

fn project_name(raw: &str) -> Result<String, AccountError> {
    match Project::parse(raw).map_err(AccountError::InvalidProject)? {
        Project::Repo(name) => Ok(name),
        Project::All => Err(AccountError::InvalidProject("grant a role on one repository (OWNER/NAME); for every repository give the user a role with `gantry user set-role`".into())),
    }
}

async fn hash_off_thread(password: String) -> Result<String, AccountError> {
    password::check_strength(&password)?;
    tokio::task::spawn_blocking(move || password::hash(&password))
        .await
        .map_err(|_| PasswordError::Hashing)?
        .map_err(AccountError::from)
}

pub(super) fn taken(err: DbErr, when_taken: AccountError) -> AccountError {
    if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) {
        when_taken
    } else {
        AccountError::Database(err)
    }
}

/// Stored form of a role: the admin flag and the base role.
fn role_columns(role: Option<Role>) -> (bool, Option<String>) {
    match role {
        Some(Role::Admin) => (true, None),
        Some(r) => (false, Some(r.as_str().to_owned())),
        None => (false, None),
    }
}

/// Creates a user with `role` on every project (`None`: only what teams grant),
/// and a password if given; returns the user's id.
///
/// # Errors
/// See [`AccountError`].
pub async fn create_user(
    db: &DatabaseConnection,
    key: &AuditKey,
    actor: &Actor,
    login: &str,
    password: Option<String>,
    role: Option<Role>,
) -> Result<i64, AccountError> {
    let login = normalise_name(login)?;
    let password_hash = match password {
        Some(p) => Some(hash_off_thread(p).await?),
        None => None,
    };
    let (admin, base_role) = role_columns(role);
    let details = json!({ "login": login, "role": role.map_or("none", Role::as_str) });
    audit::retrying(|| async {
        let txn = db.begin().await?;
        let new = store::NewUser {
            login: login.clone(),
            password_hash: password_hash.clone(),
            admin,
            base_role: base_role.clone(),
        };
        let user = store::create_user(&txn, new)
            .await
            .map_err(|e| taken(e, AccountError::LoginTaken))?;
        let row = entry(actor, AuditAction::UserCreated, "ok", &details);
        audit::append(&txn, key, &row).await?;
        txn.commit().await?;
        Ok(user.id)
    })
    .await
}

/// The user called `login`.
///
/// # Errors
/// [`AccountError::NoSuchUser`] or a database failure.
pub async fn user(db: &DatabaseConnection, login: &str) -> Result<users::Model, AccountError> {
    let name = normalise_name(login)?;
    store::find_user_by_login(db, &name)
        .await?
        .ok_or(AccountError::NoSuchUser(name))
}

/// Sets a user's password and ends their sessions.
///
/// # Errors
/// See [`AccountError`].
pub async fn set_password(
    db: &DatabaseConnection,
    key: &AuditKey,
    actor: &Actor,
    login: &str,
    password: String,
) -> Result<(), AccountError> {
    let user = user(db, login).await?;
    let hash = hash_off_thread(password).await?;
    let details = json!({ "login": user.login });
    audit::retrying(|| async {
        let txn = db.begin().await?;
        store::set_password_hash(&txn, user.id, hash.clone()).await?;
        sessions::revoke_user_sessions(&txn, user.id).await?;
        let row = entry(actor, AuditAction::UserPasswordChanged, "ok", &details);
        audit::append(&txn, key, &row).await?;
        txn.commit().await?;
        Ok(())
    })
    .await
}

/// Sets a user's role on every project (`Admin` makes them an admin; `None` leaves
/// only what teams grant) and ends their sessions.
///
/// # Errors
/// See [`AccountError`].
pub async fn set_role(
    db: &DatabaseConnection,
    key: &AuditKey,
    actor: &Actor,
    login: &str,
    role: Option<Role>,
) -> Result<(), AccountError> {
    let user = user(db, login).await?;
    let (admin, base_role) = role_columns(role);
    let details = json!({ "login": user.login, "role": role.map_or("none", Role::as_str) });
    audit::retrying(|| async {
        let txn = db.begin().await?;
        store::set_user_role(&txn, user.id, admin, base_role.clone()).await?;
        sessions::revoke_user_sessions(&txn, user.id).await?;
        let row = entry(actor, AuditAction::UserRoleChanged, "ok", &details);
        audit::append(&txn, key, &row).await?;
        txn.commit().await?;
        Ok(())
    })
    .await
}

/// Disables a user (they cannot sign in, their sessions and tokens stop working)
/// or enables them again.
///
/// # Errors
/// See [`AccountError`].
pub async fn set_disabled(
    db: &DatabaseConnection,
    key: &AuditKey,
    actor: &Actor,
    login: &str,
    disabled: bool,
) -> Result<(), AccountError> {
    let user = user(db, login).await?;
    let action = if disabled {
        AuditAction::UserDisabled
    } else {
        AuditAction::UserEnabled
    };
    let details = json!({ "login": user.login });
    audit::retrying(|| async {
        let txn = db.begin().await?;
        store::set_disabled(&txn, user.id, disabled).await?;
        sessions::revoke_user_sessions(&txn, user.id).await?;
        audit::append(&txn, key, &entry(actor, action, "ok", &details)).await?;
        txn.commit().await?;
        Ok(())
    })
    .await
}

/// Ends every session of a user (they sign in again); returns how many ended.
///
/// # Errors
/// See [`AccountError`].
pub async fn end_sessions(
    db: &DatabaseConnection,
    key: &AuditKey,
    actor: &Actor,
    login: &str,
) -> Result<u64, AccountError> {
    let user = user(db, login).await?;
    audit::retrying(|| async {
        let txn = db.begin().await?;
        let ended = sessions::revoke_user_sessions(&txn, user.id).await?;
        let details = json!({ "login": user.login, "sessions": ended });
        let row = entry(actor, AuditAction::UserSessionsEnded, "ok", &details);
        audit::append(&txn, key, &row).await?;
        txn.commit().await?;
        Ok(ended)
    })
    .await
}

/// Creates a team; returns its id.
///
/// # Errors
/// See [`AccountError`].
pub async fn create_team(
    db: &DatabaseConnection,
    key: &AuditKey,
    actor: &Actor,
    name: &str,
) -> Result<i64, AccountError> {
    let name = normalise_name(name)?;
    let details = json!({ "team": name });
    audit::retrying(|| async {
        let txn = db.begin().await?;
        let team = store::create_team(&txn, &name)
            .await
            .map_err(|e| taken(e, AccountError::TeamTaken))?;
        let row = entry(actor, AuditAction::TeamCreated, "ok", &details);
        audit::append(&txn, key, &row).await?;
        txn.commit().await?;
        Ok(team.id)
    })
    .await
}

async fn team_id(db: &DatabaseConnection, name: &str) -> Result<i64, AccountError> {
    let name = normalise_name(name)?;
    Ok(store::find_team_by_name(db, &name)
        .await?
        .ok_or(AccountError::NoSuchTeam(name))?
        .id)
}

/// Adds a user to a team and ends the user's sessions (their roles changed).
///
/// # Errors
/// See [`AccountError`].
pub async fn add_member(
    db: &DatabaseConnection,
    key: &AuditKey,
    actor: &Actor,
    team: &str,
    login: &str,
) -> Result<(), AccountError> {
    let team_id = team_id(db, team).await?;
    let user = user(db, login).await?;
    let details = json!({ "team": normalise_name(team)?, "login": user.login });
    audit::retrying(|| async {
        let txn = db.begin().await?;
        store::add_member(&txn, team_id, user.id).await?;
        sessions::revoke_user_sessions(&txn, user.id).await?;
        let row = entry(actor, AuditAction::TeamMemberAdded, "ok", &details);
        audit::append(&txn, key, &row).await?;
        txn.commit().await?;
        Ok(())
    })
    .await
}

/// Removes a user from a team and ends the user's sessions.
///
/// # Errors
/// See [`AccountError`].
pub async fn remove_member(
    db: &DatabaseConnection,
    key: &AuditKey,
    actor: &Actor,
    team: &str,
    login: &str,
) -> Result<bool, AccountError> {
    let team_id = team_id(db, team).await?;
    let user = user(db, login).await?;
    let details = json!({ "team": normalise_name(team)?, "login": user.login });
    audit::retrying(|| async {
        let txn = db.begin().await?;
        let removed = store::remove_member(&txn, team_id, user.id).await?;
        sessions::revoke_user_sessions(&txn, user.id).await?;
        let outcome = if removed { "ok" } else { "not_a_member" };
        let row = entry(actor, AuditAction::TeamMemberRemoved, outcome, &details);
        audit::append(&txn, key, &row).await?;
        txn.commit().await?;
        Ok(removed)
    })
    .await
}

/// Gives a team `role` on `project` (`None` removes its role there) and ends its
/// members' sessions. A team gets viewer or maintainer: admin is global, so only a
/// user's own role can be admin.
///
/// # Errors
/// [`AccountError::TeamAdmin`] for `Role::Admin`; otherwise see [`AccountError`].
pub async fn grant(
    db: &DatabaseConnection,
    key: &AuditKey,
    actor: &Actor,
    team: &str,
    project: &str,
    role: Option<Role>,
) -> Result<(), AccountError> {
    if role == Some(Role::Admin) {
        return Err(AccountError::TeamAdmin);
    }
    let team_id = team_id(db, team).await?;
    let project = project_name(project)?;
    let details = json!({ "team": normalise_name(team)?, "project": project, "role": role.map_or("none", Role::as_str) });
    audit::retrying(|| async {
        let txn = db.begin().await?;
        match role {
            Some(r) => store::grant(&txn, team_id, &project, r.as_str()).await?,
            None => {
                store::revoke_grant(&txn, team_id, &project).await?;
            }
        }
        for member in store::member_ids(&txn, team_id).await? {
            sessions::revoke_user_sessions(&txn, member).await?;
        }
        let row = entry(actor, AuditAction::TeamGranted, "ok", &details);
        audit::append(&txn, key, &row).await?;
        txn.commit().await?;
        Ok(())
    })
    .await
}

/// The principal a stored user would be, signed in by `via`.
///
/// # Errors
/// When the database fails.
pub async fn principal_of(
    db: &DatabaseConnection,
    user: &users::Model,
    via: Credential,
) -> Result<Principal, DbErr> {
    let mut projects = BTreeMap::new();
    for (project, role) in store::project_roles_of(db, user.id).await? {
        if let Ok(role) = role.parse::<Role>() {
            let entry = projects.entry(project).or_insert(role);
            *entry = (*entry).max(role);
        }
    }
    Ok(Principal {
        user_id: user.id,
        login: user.login.clone(),
        admin: user.admin,
        base_role: user.base_role.as_deref().and_then(|r| r.parse().ok()),
        projects,
        github_login: user.github_login.clone(),
        via,
    })
}

/// Hex SHA-256 of an API token, as stored.
#[must_use]
pub fn token_digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Creates an API token for `login` with scope `role` (at most the user's own
/// highest role); returns its id and the token, which is shown once and never
/// stored.
///
/// # Errors
/// See [`AccountError`].
pub async fn create_token(
    db: &DatabaseConnection,
    key: &AuditKey,
    actor: &Actor,
    login: &str,
    name: &str,
    role: Role,
) -> Result<(i64, String), AccountError> {
    let user = user(db, login).await?;
    let own = principal_of(
        db,
        &user,
        Credential::Session {
            session_id: String::new(),
            csrf: String::new(),
        },
    )
    .await?
    .highest_role();
    if own.is_none_or(|own| role > own) {
        return Err(AccountError::RoleTooHigh(
            own.map_or("none", Role::as_str).to_owned(),
        ));
    }
    let name: String = name.trim().chars().take(128).collect();
    let token = format!(
        "{TOKEN_PREFIX}{}",
        hex::encode(super::session::random_bytes::<32>())
    );
    let id = audit::retrying(|| async {
        let txn = db.begin().await?;
        let new = sessions::NewToken {
            user_id: user.id,
            name: name.clone(),
            role: role.as_str().into(),
            token_hash: token_digest(&token),
        };
        let id = sessions::insert_token(&txn, new).await?;
        let details = json!({ "id": id, "login": user.login, "name": name, "role": role.as_str() });
        let row = entry(actor, AuditAction::TokenCreated, "ok", &details);
        audit::append(&txn, key, &row).await?;
        txn.commit().await?;
        Ok::<_, AccountError>(id)
    })
    .await?;
    Ok((id, token))
}

/// Every token (of one user when `login` is given), never their values.
///
/// # Errors
/// See [`AccountError`].
pub async fn list_tokens(
    db: &DatabaseConnection,
    login: Option<&str>,
) -> Result<Vec<api_tokens::Model>, AccountError> {
    let user_id = match login {
        Some(l) => Some(user(db, l).await?.id),
        None => None,
    };
    Ok(sessions::list_tokens(db, user_id).await?)
}

/// Revokes a token.
///
/// # Errors
/// [`AccountError::NoSuchToken`] or a database failure.
pub async fn revoke_token(
    db: &DatabaseConnection,
    key: &AuditKey,
    actor: &Actor,
    id: i64,
) -> Result<(), AccountError> {
    let token = sessions::find_token(db, id)
        .await?
        .ok_or(AccountError::NoSuchToken(id))?;
    let details = json!({ "id": id, "name": token.name });
    audit::retrying(|| async {
        let txn = db.begin().await?;
        let revoked = sessions::revoke_token(&txn, id).await?;
        let outcome = if revoked { "ok" } else { "already_revoked" };
        let row = entry(actor, AuditAction::TokenRevoked, outcome, &details);
        audit::append(&txn, key, &row).await?;
        txn.commit().await?;
        Ok(())
    })
    .await
}
