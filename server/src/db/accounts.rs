//! Queries on `users`, `teams`, `team_members` and `team_projects`. Passwords
//! arrive here already hashed (see `auth::password`).
use chrono::Utc;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QueryOrder,
};

use super::entities::{team_members, team_projects, teams, users};

/// A user to create.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Unique login.
    pub login: String,
    /// The PHC string of the password hash; `None` for a user who cannot sign in
    /// with a password yet.
    pub password_hash: Option<String>,
    /// Admin of everything.
    pub admin: bool,
    /// `viewer` or `maintainer` on every project, if any.
    pub base_role: Option<String>,
}

/// Creates a user.
///
/// # Errors
/// When the database fails, including a login that is taken (a unique violation).
pub async fn create_user(db: &impl ConnectionTrait, new: NewUser) -> Result<users::Model, DbErr> {
    users::ActiveModel {
        login: Set(new.login),
        password_hash: Set(new.password_hash),
        admin: Set(new.admin),
        base_role: Set(new.base_role),
        disabled: Set(false),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// The user with this login (exact, logins are stored lower case).
///
/// # Errors
/// When the database fails.
pub async fn find_user_by_login(
    db: &impl ConnectionTrait,
    login: &str,
) -> Result<Option<users::Model>, DbErr> {
    users::Entity::find()
        .filter(users::Column::Login.eq(login))
        .one(db)
        .await
}

/// The user with this id.
///
/// # Errors
/// When the database fails.
pub async fn find_user(db: &impl ConnectionTrait, id: i64) -> Result<Option<users::Model>, DbErr> {
    users::Entity::find_by_id(id).one(db).await
}

/// Every user, by login.
///
/// # Errors
/// When the database fails.
pub async fn list_users(db: &impl ConnectionTrait) -> Result<Vec<users::Model>, DbErr> {
    users::Entity::find()
        .order_by_asc(users::Column::Login)
        .all(db)
        .await
}

/// Replaces a user's password hash.
///
/// # Errors
/// When the database fails.
pub async fn set_password_hash(
    db: &impl ConnectionTrait,
    user_id: i64,
    hash: String,
) -> Result<(), DbErr> {
    users::ActiveModel {
        id: Set(user_id),
        password_hash: Set(Some(hash)),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

/// Sets a user's admin flag and base role.
///
/// # Errors
/// When the database fails.
pub async fn set_user_role(
    db: &impl ConnectionTrait,
    user_id: i64,
    admin: bool,
    base_role: Option<String>,
) -> Result<(), DbErr> {
    users::ActiveModel {
        id: Set(user_id),
        admin: Set(admin),
        base_role: Set(base_role),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

/// Links a user to a GitHub login (lower case), or unlinks them with `None`. A
/// login already linked to another user is refused by the unique index.
///
/// # Errors
/// When the database fails.
pub async fn set_github_login(
    db: &impl ConnectionTrait,
    user_id: i64,
    github_login: Option<String>,
) -> Result<(), DbErr> {
    users::ActiveModel {
        id: Set(user_id),
        github_login: Set(github_login),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

/// Creates a team; returns it.
///
/// # Errors
/// When the database fails, including a name that is taken.
pub async fn create_team(db: &impl ConnectionTrait, name: &str) -> Result<teams::Model, DbErr> {
    teams::ActiveModel {
        name: Set(name.to_owned()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// The team with this name.
///
/// # Errors
/// When the database fails.
pub async fn find_team_by_name(
    db: &impl ConnectionTrait,
    name: &str,
) -> Result<Option<teams::Model>, DbErr> {
    teams::Entity::find()
        .filter(teams::Column::Name.eq(name))
        .one(db)
        .await
}

/// Every team, by name.
///
/// # Errors
/// When the database fails.
pub async fn list_teams(db: &impl ConnectionTrait) -> Result<Vec<teams::Model>, DbErr> {
    teams::Entity::find()
        .order_by_asc(teams::Column::Name)
        .all(db)
        .await
}

/// Adds a user to a team (nothing happens if they already belong).
///
/// # Errors
/// When the database fails.
pub async fn add_member(
    db: &impl ConnectionTrait,
    team_id: i64,
    user_id: i64,
) -> Result<(), DbErr> {
    let row = team_members::ActiveModel {
        team_id: Set(team_id),
        user_id: Set(user_id),
    };
    team_members::Entity::insert(row)
        .on_conflict_do_nothing_on([team_members::Column::TeamId, team_members::Column::UserId])
        .exec(db)
        .await?;
    Ok(())
}

/// Removes a user from a team; returns whether they belonged.
///
/// # Errors
/// When the database fails.
pub async fn remove_member(
    db: &impl ConnectionTrait,
    team_id: i64,
    user_id: i64,
) -> Result<bool, DbErr> {
    let done = team_members::Entity::delete_many()
        .filter(team_members::Column::TeamId.eq(team_id))
        .filter(team_members::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(done.rows_affected > 0)
}

/// The ids of a team's members.
///
/// # Errors
/// When the database fails.
pub async fn member_ids(db: &impl ConnectionTrait, team_id: i64) -> Result<Vec<i64>, DbErr> {
    Ok(team_members::Entity::find()
        .filter(team_members::Column::TeamId.eq(team_id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.user_id)
        .collect())
}

/// Gives a team `role` on `project` (lower-cased `owner/repo`), replacing any role
/// it had there.
///
/// # Errors
/// When the database fails.
pub async fn grant(
    db: &impl ConnectionTrait,
    team_id: i64,
    project: &str,
    role: &str,
) -> Result<(), DbErr> {
    let row = team_projects::ActiveModel {
        team_id: Set(team_id),
        project: Set(project.to_owned()),
        role: Set(role.to_owned()),
    };
    team_projects::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([
                team_projects::Column::TeamId,
                team_projects::Column::Project,
            ])
            .update_column(team_projects::Column::Role)
            .to_owned(),
        )
        .exec(db)
        .await?;
    Ok(())
}

/// Removes a team's role on a project; returns whether it had one.
///
/// # Errors
/// When the database fails.
pub async fn revoke_grant(
    db: &impl ConnectionTrait,
    team_id: i64,
    project: &str,
) -> Result<bool, DbErr> {
    let done = team_projects::Entity::delete_many()
        .filter(team_projects::Column::TeamId.eq(team_id))
        .filter(team_projects::Column::Project.eq(project))
        .exec(db)
        .await?;
    Ok(done.rows_affected > 0)
}

/// A team's grants: `(project, role)`.
///
/// # Errors
/// When the database fails.
pub async fn team_grants(
    db: &impl ConnectionTrait,
    team_id: i64,
) -> Result<Vec<(String, String)>, DbErr> {
    Ok(team_projects::Entity::find()
        .filter(team_projects::Column::TeamId.eq(team_id))
        .order_by_asc(team_projects::Column::Project)
        .all(db)
        .await?
        .into_iter()
        .map(|g| (g.project, g.role))
        .collect())
}

/// Every `(project, role)` a user's teams grant, one row per team grant.
///
/// # Errors
/// When the database fails.
pub async fn project_roles_of(
    db: &impl ConnectionTrait,
    user_id: i64,
) -> Result<Vec<(String, String)>, DbErr> {
    let teams: Vec<i64> = team_members::Entity::find()
        .filter(team_members::Column::UserId.eq(user_id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.team_id)
        .collect();
    if teams.is_empty() {
        return Ok(Vec::new());
    }
    Ok(team_projects::Entity::find()
        .filter(team_projects::Column::TeamId.is_in(teams))
        .all(db)
        .await?
        .into_iter()
        .map(|g| (g.project, g.role))
        .collect())
}

/// Enables or disables a user.
///
/// # Errors
/// When the database fails.
pub async fn set_disabled(
    db: &impl ConnectionTrait,
    user_id: i64,
    disabled: bool,
) -> Result<(), DbErr> {
    users::ActiveModel {
        id: Set(user_id),
        disabled: Set(disabled),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

/// Every team grant as `(team name, project, role)`, by project then team.
///
/// # Errors
/// When the database fails.
pub async fn all_grants(db: &impl ConnectionTrait) -> Result<Vec<(String, String, String)>, DbErr> {
    let teams: std::collections::HashMap<i64, String> = teams::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect();
    let mut grants: Vec<(String, String, String)> = team_projects::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|g| {
            (
                teams.get(&g.team_id).cloned().unwrap_or_default(),
                g.project,
                g.role,
            )
        })
        .collect();
    grants.sort_by(|a, b| (&a.1, &a.0).cmp(&(&b.1, &b.0)));
    Ok(grants)
}
