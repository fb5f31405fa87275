//! Managing accounts: users, passwords, roles, teams, grants and API tokens. Used by
//! the `gantry` command line and the routes alike. Every change writes one audit
//! row; a change to a password, a role or a team ends the sessions of the users it
//! concerns.
use std::collections::BTreeMap;

use sea_orm::{DatabaseConnection, DbErr, SqlErr};
use sha2::{Digest, Sha256};

use super::password::{self, PasswordError};
use super::principal::{Credential, Principal};
use super::role::Role;
use crate::db::audit::{self, AuditEntry};
use crate::db::entities::{api_tokens, users};
use crate::db::{accounts as store, sessions};
use crate::domain::Project;

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
    /// The password is unusable.
    #[error(transparent)]
    Password(#[from] PasswordError),
    /// The database failed.
    #[error("the database failed")]
    Database(#[from] DbErr),
}

/// Who is making a change, for the audit log.
#[derive(Debug, Clone)]
pub struct Actor {
    /// The name recorded.
    pub name: String,
    /// `user`, `api` or `system` (the command line).
    pub kind: &'static str,
}

impl Actor {
    /// The command line, run by an operator on the server.
    #[must_use]
    pub fn cli() -> Self {
        Self {
            name: "cli".into(),
            kind: "system",
        }
    }

    /// A signed-in caller.
    #[must_use]
    pub fn of(principal: &Principal) -> Self {
        Self {
            name: principal.audit_actor(),
            kind: principal.audit_kind(),
        }
    }
}

/// Writes one audit row about an account change.
///
/// # Errors
/// When the database fails.
pub async fn audit(
    db: &DatabaseConnection,
    actor: &Actor,
    action: &str,
    outcome: &str,
    details: serde_json::Value,
) -> Result<(), DbErr> {
    audit::append(
        db,
        AuditEntry {
            actor: actor.name.chars().take(128).collect(),
            actor_kind: actor.kind.into(),
            action: action.into(),
            outcome: Some(outcome.into()),
            details: Some(details.to_string()),
            ..AuditEntry::default()
        },
    )
    .await?;
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

fn taken(err: DbErr, when_taken: AccountError) -> AccountError {
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
    let user = store::create_user(
        db,
        store::NewUser {
            login: login.clone(),
            password_hash,
            admin,
            base_role,
        },
    )
    .await
    .map_err(|e| taken(e, AccountError::LoginTaken))?;
    let role = role.map_or("none", Role::as_str);
    audit(
        db,
        actor,
        "user.created",
        "ok",
        serde_json::json!({ "login": login, "role": role }),
    )
    .await?;
    Ok(user.id)
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
    actor: &Actor,
    login: &str,
    password: String,
) -> Result<(), AccountError> {
    let user = user(db, login).await?;
    let hash = hash_off_thread(password).await?;
    store::set_password_hash(db, user.id, hash).await?;
    sessions::revoke_user_sessions(db, user.id).await?;
    audit(
        db,
        actor,
        "user.password_changed",
        "ok",
        serde_json::json!({ "login": user.login }),
    )
    .await?;
    Ok(())
}

/// Sets a user's role on every project (`Admin` makes them an admin; `None` leaves
/// only what teams grant) and ends their sessions.
///
/// # Errors
/// See [`AccountError`].
pub async fn set_role(
    db: &DatabaseConnection,
    actor: &Actor,
    login: &str,
    role: Option<Role>,
) -> Result<(), AccountError> {
    let user = user(db, login).await?;
    let (admin, base_role) = role_columns(role);
    store::set_user_role(db, user.id, admin, base_role).await?;
    sessions::revoke_user_sessions(db, user.id).await?;
    audit(
        db,
        actor,
        "user.role_changed",
        "ok",
        serde_json::json!({ "login": user.login, "role": role.map_or("none", Role::as_str) }),
    )
    .await?;
    Ok(())
}

/// Disables a user (they cannot sign in, their sessions and tokens stop working)
/// or enables them again.
///
/// # Errors
/// See [`AccountError`].
pub async fn set_disabled(
    db: &DatabaseConnection,
    actor: &Actor,
    login: &str,
    disabled: bool,
) -> Result<(), AccountError> {
    let user = user(db, login).await?;
    store::set_disabled(db, user.id, disabled).await?;
    sessions::revoke_user_sessions(db, user.id).await?;
    let action = if disabled {
        "user.disabled"
    } else {
        "user.enabled"
    };
    audit(
        db,
        actor,
        action,
        "ok",
        serde_json::json!({ "login": user.login }),
    )
    .await?;
    Ok(())
}

/// Ends every session of a user (they sign in again); returns how many ended.
///
/// # Errors
/// See [`AccountError`].
pub async fn end_sessions(
    db: &DatabaseConnection,
    actor: &Actor,
    login: &str,
) -> Result<u64, AccountError> {
    let user = user(db, login).await?;
    let ended = sessions::revoke_user_sessions(db, user.id).await?;
    audit(
        db,
        actor,
        "user.sessions_ended",
        "ok",
        serde_json::json!({ "login": user.login, "sessions": ended }),
    )
    .await?;
    Ok(ended)
}

/// Creates a team; returns its id.
///
/// # Errors
/// See [`AccountError`].
pub async fn create_team(
    db: &DatabaseConnection,
    actor: &Actor,
    name: &str,
) -> Result<i64, AccountError> {
    let name = normalise_name(name)?;
    let team = store::create_team(db, &name)
        .await
        .map_err(|e| taken(e, AccountError::TeamTaken))?;
    audit(
        db,
        actor,
        "team.created",
        "ok",
        serde_json::json!({ "team": name }),
    )
    .await?;
    Ok(team.id)
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
    actor: &Actor,
    team: &str,
    login: &str,
) -> Result<(), AccountError> {
    let team_id = team_id(db, team).await?;
    let user = user(db, login).await?;
    store::add_member(db, team_id, user.id).await?;
    sessions::revoke_user_sessions(db, user.id).await?;
    audit(
        db,
        actor,
        "team.member_added",
        "ok",
        serde_json::json!({ "team": normalise_name(team)?, "login": user.login }),
    )
    .await?;
    Ok(())
}

/// Removes a user from a team and ends the user's sessions.
///
/// # Errors
/// See [`AccountError`].
pub async fn remove_member(
    db: &DatabaseConnection,
    actor: &Actor,
    team: &str,
    login: &str,
) -> Result<bool, AccountError> {
    let team_id = team_id(db, team).await?;
    let user = user(db, login).await?;
    let removed = store::remove_member(db, team_id, user.id).await?;
    sessions::revoke_user_sessions(db, user.id).await?;
    let outcome = if removed { "ok" } else { "not_a_member" };
    audit(
        db,
        actor,
        "team.member_removed",
        outcome,
        serde_json::json!({ "team": normalise_name(team)?, "login": user.login }),
    )
    .await?;
    Ok(removed)
}

/// Gives a team `role` on `project` (`None` removes its role there) and ends its
/// members' sessions.
///
/// # Errors
/// See [`AccountError`].
pub async fn grant(
    db: &DatabaseConnection,
    actor: &Actor,
    team: &str,
    project: &str,
    role: Option<Role>,
) -> Result<(), AccountError> {
    let team_id = team_id(db, team).await?;
    let project = project_name(project)?;
    match role {
        Some(r) => store::grant(db, team_id, &project, r.as_str()).await?,
        None => {
            store::revoke_grant(db, team_id, &project).await?;
        }
    }
    for member in store::member_ids(db, team_id).await? {
        sessions::revoke_user_sessions(db, member).await?;
    }
    let details = serde_json::json!({ "team": normalise_name(team)?, "project": project, "role": role.map_or("none", Role::as_str) });
    audit(db, actor, "team.granted", "ok", details).await?;
    Ok(())
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
    let id = sessions::insert_token(
        db,
        sessions::NewToken {
            user_id: user.id,
            name: name.clone(),
            role: role.as_str().into(),
            token_hash: token_digest(&token),
        },
    )
    .await?;
    audit(
        db,
        actor,
        "token.created",
        "ok",
        serde_json::json!({ "id": id, "login": user.login, "name": name, "role": role.as_str() }),
    )
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
    actor: &Actor,
    id: i64,
) -> Result<(), AccountError> {
    let token = sessions::find_token(db, id)
        .await?
        .ok_or(AccountError::NoSuchToken(id))?;
    let revoked = sessions::revoke_token(db, id).await?;
    let outcome = if revoked { "ok" } else { "already_revoked" };
    audit(
        db,
        actor,
        "token.revoked",
        outcome,
        serde_json::json!({ "id": id, "name": token.name }),
    )
    .await?;
    Ok(())
}
