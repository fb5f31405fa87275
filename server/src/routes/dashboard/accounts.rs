//! Users and teams (`/dashboard/users`, admins only): users with their role, teams,
//! linked GitHub login and state; creating users, changing a user's role, linking
//! a user to their GitHub login, disabling and enabling users, ending a user's
//! sessions;
//! teams, their members and their roles per project. Changes go through
//! `auth::accounts` (as `gantry user ...` and `gantry team ...`), which audits each
//! and ends the sessions of the users whose roles changed.
use std::collections::HashMap;

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::access::{require, User};
use super::format::time;
use super::view::{render, see_other, DashError, Nav};
use crate::auth::accounts::{self as service, AccountError};
use crate::auth::Role;
use crate::db;
use crate::services::AppState;

/// A user as the page shows it.
#[derive(Debug)]
pub struct UserRow {
    /// Login.
    pub login: String,
    /// `admin`, `maintainer`, `viewer` or empty (teams only).
    pub role: String,
    /// Their teams.
    pub teams: Vec<String>,
    /// Disabled accounts cannot sign in.
    pub disabled: bool,
    /// Whether they can sign in with a password.
    pub has_password: bool,
    /// The GitHub login linked to the account (empty when none).
    pub github: String,
    /// When the account was made.
    pub created_at: String,
}

/// A team as the page shows it.
#[derive(Debug)]
pub struct TeamRow {
    /// Name.
    pub name: String,
    /// Member logins.
    pub members: Vec<String>,
    /// `(project, role)`.
    pub grants: Vec<(String, String)>,
}

/// `pages/accounts/list.html`.
#[derive(Template)]
#[template(path = "pages/accounts/list.html", blocks = ["content"])]
pub struct AccountsPage {
    nav: Nav,
    users: Vec<UserRow>,
    teams: Vec<TeamRow>,
}

/// `GET /dashboard/users`.
pub async fn list_accounts(
    user: User,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, DashError> {
    require(&user.0, Role::Admin, None)?;
    let all_users = db::accounts::list_users(&state.db).await?;
    let logins: HashMap<i64, String> = all_users.iter().map(|u| (u.id, u.login.clone())).collect();
    let mut teams = Vec::new();
    let mut teams_of: HashMap<i64, Vec<String>> = HashMap::new();
    for team in db::accounts::list_teams(&state.db).await? {
        let ids = db::accounts::member_ids(&state.db, team.id).await?;
        for id in &ids {
            teams_of.entry(*id).or_default().push(team.name.clone());
        }
        let members = ids
            .iter()
            .filter_map(|id| logins.get(id).cloned())
            .collect();
        teams.push(TeamRow {
            grants: db::accounts::team_grants(&state.db, team.id).await?,
            members,
            name: team.name,
        });
    }
    let users = all_users
        .into_iter()
        .map(|u| UserRow {
            role: if u.admin {
                "admin".into()
            } else {
                u.base_role.clone().unwrap_or_default()
            },
            teams: teams_of.remove(&u.id).unwrap_or_default(),
            disabled: u.disabled,
            has_password: u.password_hash.is_some(),
            github: u.github_login.clone().unwrap_or_default(),
            created_at: time(&u.created_at),
            login: u.login,
        })
        .collect();
    let page = AccountsPage {
        nav: Nav::new(&user.0, "users", super::sandbox::enabled(&state)),
        users,
        teams,
    };
    render(&req, &page, |p| p.as_content().render())
}

fn role_of(raw: &str) -> Result<Option<Role>, DashError> {
    match raw.trim() {
        "" | "none" => Ok(None),
        r => r
            .parse()
            .map(Some)
            .map_err(|e: crate::auth::UnknownRole| DashError::BadRequest(e.to_string())),
    }
}

fn dash_error(err: AccountError) -> DashError {
    match err {
        AccountError::NoSuchUser(_)
        | AccountError::NoSuchTeam(_)
        | AccountError::NoSuchToken(_) => DashError::NotFound(err.to_string()),
        AccountError::LoginTaken | AccountError::TeamTaken | AccountError::GithubLoginTaken(_) => {
            DashError::Conflict(err.to_string())
        }
        AccountError::Database(ref e) => DashError::internal(e),
        _ => DashError::BadRequest(err.to_string()),
    }
}

const BACK: &str = "/dashboard/users";

/// The create-user form.
#[derive(Debug, Deserialize)]
pub struct NewUserForm {
    login: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    role: String,
}

/// `POST /dashboard/users`: creates a user (without a password they cannot sign in
/// until one is set with `gantry admin set-password`).
#[tracing::instrument(skip_all)]
pub async fn create_user(
    user: User,
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<NewUserForm>,
) -> Result<HttpResponse, DashError> {
    require(&user.0, Role::Admin, None)?;
    let form = form.into_inner();
    let password = Some(form.password).filter(|p| !p.is_empty());
    service::create_user(
        &state.db,
        state.audit_key(),
        &user.0.actor(),
        &form.login,
        password,
        role_of(&form.role)?,
    )
    .await
    .map_err(dash_error)?;
    Ok(see_other(&req, BACK))
}

/// The role form.
#[derive(Debug, Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    role: String,
}

/// `POST /dashboard/users/{login}/role`: sets the user's role on every project
/// (their sessions end).
#[tracing::instrument(skip_all, fields(login = %login))]
pub async fn set_user_role(
    user: User,
    req: HttpRequest,
    state: web::Data<AppState>,
    login: web::Path<String>,
    form: web::Form<RoleForm>,
) -> Result<HttpResponse, DashError> {
    require(&user.0, Role::Admin, None)?;
    service::set_role(
        &state.db,
        state.audit_key(),
        &user.0.actor(),
        &login,
        role_of(&form.role)?,
    )
    .await
    .map_err(dash_error)?;
    Ok(see_other(&req, BACK))
}

/// The GitHub link form.
#[derive(Debug, Deserialize)]
pub struct GithubForm {
    /// The GitHub login; empty unlinks.
    #[serde(default)]
    github: String,
}

/// `POST /dashboard/users/{login}/github`: links the user to a GitHub login (empty
/// unlinks); as `gantry user link-github`.
#[tracing::instrument(skip_all, fields(login = %login))]
pub async fn link_github(
    user: User,
    req: HttpRequest,
    state: web::Data<AppState>,
    login: web::Path<String>,
    form: web::Form<GithubForm>,
) -> Result<HttpResponse, DashError> {
    require(&user.0, Role::Admin, None)?;
    let github = Some(form.github.trim()).filter(|g| !g.is_empty());
    service::link_github(
        &state.db,
        state.audit_key(),
        &user.0.actor(),
        &login,
        github,
    )
    .await
    .map_err(dash_error)?;
    Ok(see_other(&req, BACK))
}

/// `POST /dashboard/users/{login}/sessions/reset`: signs the user out everywhere.
#[tracing::instrument(skip_all, fields(login = %login))]
pub async fn reset_sessions(
    user: User,
    req: HttpRequest,
    state: web::Data<AppState>,
    login: web::Path<String>,
) -> Result<HttpResponse, DashError> {
    require(&user.0, Role::Admin, None)?;
    service::end_sessions(&state.db, state.audit_key(), &user.0.actor(), &login)
        .await
        .map_err(dash_error)?;
    Ok(see_other(&req, BACK))
}

/// `POST /dashboard/users/{login}/disable`: the user cannot sign in, and their
/// sessions and tokens stop working.
#[tracing::instrument(skip_all, fields(login = %login))]
pub async fn disable_user(
    user: User,
    req: HttpRequest,
    state: web::Data<AppState>,
    login: web::Path<String>,
) -> Result<HttpResponse, DashError> {
    require(&user.0, Role::Admin, None)?;
    if login.eq_ignore_ascii_case(&user.0.login) {
        return Err(DashError::BadRequest("you cannot disable yourself".into()));
    }
    service::set_disabled(&state.db, state.audit_key(), &user.0.actor(), &login, true)
        .await
        .map_err(dash_error)?;
    Ok(see_other(&req, BACK))
}

/// `POST /dashboard/users/{login}/enable`.
#[tracing::instrument(skip_all, fields(login = %login))]
pub async fn enable_user(
    user: User,
    req: HttpRequest,
    state: web::Data<AppState>,
    login: web::Path<String>,
) -> Result<HttpResponse, DashError> {
    require(&user.0, Role::Admin, None)?;
    service::set_disabled(&state.db, state.audit_key(), &user.0.actor(), &login, false)
        .await
        .map_err(dash_error)?;
    Ok(see_other(&req, BACK))
}

/// The create-team form.
#[derive(Debug, Deserialize)]
pub struct NewTeamForm {
    name: String,
}

/// `POST /dashboard/teams`.
#[tracing::instrument(skip_all)]
pub async fn create_team(
    user: User,
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<NewTeamForm>,
) -> Result<HttpResponse, DashError> {
    require(&user.0, Role::Admin, None)?;
    service::create_team(&state.db, state.audit_key(), &user.0.actor(), &form.name)
        .await
        .map_err(dash_error)?;
    Ok(see_other(&req, BACK))
}

/// The add-member form.
#[derive(Debug, Deserialize)]
pub struct MemberForm {
    login: String,
}

/// `POST /dashboard/teams/{team}/members`.
#[tracing::instrument(skip_all, fields(team = %team))]
pub async fn add_member(
    user: User,
    req: HttpRequest,
    state: web::Data<AppState>,
    team: web::Path<String>,
    form: web::Form<MemberForm>,
) -> Result<HttpResponse, DashError> {
    require(&user.0, Role::Admin, None)?;
    service::add_member(
        &state.db,
        state.audit_key(),
        &user.0.actor(),
        &team,
        &form.login,
    )
    .await
    .map_err(dash_error)?;
    Ok(see_other(&req, BACK))
}

/// `POST /dashboard/teams/{team}/members/{login}/remove`.
#[tracing::instrument(skip_all)]
pub async fn remove_member(
    user: User,
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, DashError> {
    require(&user.0, Role::Admin, None)?;
    let (team, login) = path.into_inner();
    service::remove_member(&state.db, state.audit_key(), &user.0.actor(), &team, &login)
        .await
        .map_err(dash_error)?;
    Ok(see_other(&req, BACK))
}

/// The grant form: a project and a role (`none` removes the team's role there).
#[derive(Debug, Deserialize)]
pub struct GrantForm {
    project: String,
    #[serde(default)]
    role: String,
}

/// `POST /dashboard/teams/{team}/grants`.
#[tracing::instrument(skip_all, fields(team = %team))]
pub async fn grant_role(
    user: User,
    req: HttpRequest,
    state: web::Data<AppState>,
    team: web::Path<String>,
    form: web::Form<GrantForm>,
) -> Result<HttpResponse, DashError> {
    require(&user.0, Role::Admin, None)?;
    let role = role_of(&form.role)?;
    if role == Some(Role::Admin) {
        return Err(DashError::BadRequest(
            "teams get viewer or maintainer on a project; admin is a user's role".into(),
        ));
    }
    service::grant(
        &state.db,
        state.audit_key(),
        &user.0.actor(),
        &team,
        &form.project,
        role,
    )
    .await
    .map_err(dash_error)?;
    Ok(see_other(&req, BACK))
}
