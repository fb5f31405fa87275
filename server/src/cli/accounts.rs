//! `gantry admin`, `gantry user`, `gantry team` and `gantry token`: accounts from
//! the command line, run by an operator on the server (audited as `cli`).
//! Passwords are read from standard input (`--password-stdin`) or typed at a
//! prompt with echo off; never taken as arguments, where `ps` would show them.
use std::io::{BufRead, IsTerminal, Write};

use anyhow::{bail, Context};
use clap::Subcommand;
use sea_orm::DatabaseConnection;

use crate::auth::accounts::{self, Actor};
use crate::auth::Role;
use crate::crypto::AuditKey;

/// `gantry admin ...`.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create an admin (the first one, or another).
    Create {
        /// The admin's login.
        #[arg(long)]
        login: String,
        /// Read the password from standard input instead of prompting.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set a user's password (their sessions end).
    SetPassword {
        /// The user's login.
        #[arg(long)]
        login: String,
        /// Read the password from standard input instead of prompting.
        #[arg(long)]
        password_stdin: bool,
    },
}

/// `gantry user ...`.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user with a role on every project (`none`: only what teams grant).
    Create {
        /// The user's login.
        #[arg(long)]
        login: String,
        /// `viewer`, `maintainer`, `admin` or `none`.
        #[arg(long, default_value = "none")]
        role: String,
        /// Read the password from standard input instead of prompting.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Change a user's role on every project (their sessions end).
    SetRole {
        /// The user's login.
        #[arg(long)]
        login: String,
        /// `viewer`, `maintainer`, `admin` or `none`.
        #[arg(long)]
        role: String,
    },
    /// Disable a user: no sign-in, sessions and tokens refused.
    Disable {
        /// The user's login.
        #[arg(long)]
        login: String,
    },
    /// Enable a disabled user again.
    Enable {
        /// The user's login.
        #[arg(long)]
        login: String,
    },
    /// End every session of a user.
    EndSessions {
        /// The user's login.
        #[arg(long)]
        login: String,
    },
    /// Link a user to their GitHub login (`--github none` unlinks). Only linked,
    /// a dashboard account and a GitHub login are the same person: the user may
    /// then not approve what that login caused, and the two count as one approver.
    LinkGithub {
        /// The user's login.
        #[arg(long)]
        login: String,
        /// Their GitHub login, or `none`.
        #[arg(long)]
        github: String,
    },
    /// List users.
    List,
}

/// `gantry team ...`.
#[derive(Debug, Subcommand)]
pub enum TeamCommand {
    /// Create a team.
    Create {
        /// The team's name.
        name: String,
    },
    /// Add a user to a team (the user's sessions end).
    Add {
        /// The team.
        #[arg(long)]
        team: String,
        /// The user's login.
        #[arg(long)]
        login: String,
    },
    /// Remove a user from a team (the user's sessions end).
    Remove {
        /// The team.
        #[arg(long)]
        team: String,
        /// The user's login.
        #[arg(long)]
        login: String,
    },
    /// Give a team a role on a project, or take it away with `--role none`
    /// (the members' sessions end).
    Grant {
        /// The team.
        #[arg(long)]
        team: String,
        /// The repository, `OWNER/NAME`.
        #[arg(long)]
        project: String,
        /// `viewer`, `maintainer` or `none` (admin is a user's role, never a team's).
        #[arg(long)]
        role: String,
    },
    /// List teams with their members and grants.
    List,
}

/// `gantry token ...`.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token for a user, printed once.
    Create {
        /// The user the token acts as.
        #[arg(long)]
        user: String,
        /// A name to recognise the token by.
        #[arg(long)]
        name: String,
        /// The most the token may do: `viewer`, `maintainer` or `admin` (never more
        /// than the user's own role).
        #[arg(long)]
        role: String,
    },
    /// List tokens (never their values).
    List {
        /// Only this user's tokens.
        #[arg(long)]
        user: Option<String>,
    },
    /// Revoke a token by id.
    Revoke {
        /// The id shown by `gantry token list`.
        id: i64,
    },
}

fn role_or_none(raw: &str) -> anyhow::Result<Option<Role>> {
    if raw.trim().eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    Ok(Some(raw.parse()?))
}

/// Reads a password from standard input, or from the terminal with echo off.
fn read_password(from_stdin: bool) -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    if from_stdin || !stdin.is_terminal() {
        let mut line = String::new();
        stdin
            .lock()
            .read_line(&mut line)
            .context("reading the password from standard input")?;
        return Ok(line.trim_end_matches(['\n', '\r']).to_owned());
    }
    let mut err = std::io::stderr();
    let _ = write!(err, "Password: ");
    let _ = err.flush();
    let echo_off = std::process::Command::new("stty")
        .arg("-echo")
        .stdin(std::process::Stdio::inherit())
        .status()
        .is_ok_and(|s| s.success());
    let mut line = String::new();
    let read = stdin.lock().read_line(&mut line);
    if echo_off {
        let _ = std::process::Command::new("stty")
            .arg("echo")
            .stdin(std::process::Stdio::inherit())
            .status();
    }
    let _ = writeln!(err);
    read.context("reading the password")?;
    Ok(line.trim_end_matches(['\n', '\r']).to_owned())
}

/// Runs `gantry admin`.
///
/// # Errors
/// When the login, password or database is not right.
pub async fn run_admin(
    db: &DatabaseConnection,
    key: &AuditKey,
    command: AdminCommand,
) -> anyhow::Result<()> {
    match command {
        AdminCommand::Create {
            login,
            password_stdin,
        } => {
            let password = read_password(password_stdin)?;
            accounts::create_user(
                db,
                key,
                &Actor::cli(),
                &login,
                Some(password),
                Some(Role::Admin),
            )
            .await?;
            println!("created admin {}", accounts::normalise_name(&login)?);
        }
        AdminCommand::SetPassword {
            login,
            password_stdin,
        } => {
            let password = read_password(password_stdin)?;
            accounts::set_password(db, key, &Actor::cli(), &login, password).await?;
            println!(
                "password set; {}'s sessions have ended",
                accounts::normalise_name(&login)?
            );
        }
    }
    Ok(())
}

/// Runs `gantry user`.
///
/// # Errors
/// When the login, role, password or database is not right.
pub async fn run_user(
    db: &DatabaseConnection,
    key: &AuditKey,
    command: UserCommand,
) -> anyhow::Result<()> {
    match command {
        UserCommand::Create {
            login,
            role,
            password_stdin,
        } => {
            let role = role_or_none(&role)?;
            let password = read_password(password_stdin)?;
            accounts::create_user(db, key, &Actor::cli(), &login, Some(password), role).await?;
            println!(
                "created user {} ({})",
                accounts::normalise_name(&login)?,
                role.map_or("no role", Role::as_str)
            );
        }
        UserCommand::SetRole { login, role } => {
            let role = role_or_none(&role)?;
            accounts::set_role(db, key, &Actor::cli(), &login, role).await?;
            println!(
                "{} is now {}; their sessions have ended",
                accounts::normalise_name(&login)?,
                role.map_or("without a role", Role::as_str)
            );
        }
        UserCommand::Disable { login } => {
            accounts::set_disabled(db, key, &Actor::cli(), &login, true).await?;
            println!("{login} is disabled; their sessions have ended");
        }
        UserCommand::Enable { login } => {
            accounts::set_disabled(db, key, &Actor::cli(), &login, false).await?;
            println!("{login} is enabled");
        }
        UserCommand::EndSessions { login } => {
            let ended = accounts::end_sessions(db, key, &Actor::cli(), &login).await?;
            println!("ended {ended} session(s) of {login}");
        }
        UserCommand::LinkGithub { login, github } => {
            let github = Some(github.trim()).filter(|g| !g.eq_ignore_ascii_case("none"));
            accounts::link_github(db, key, &Actor::cli(), &login, github).await?;
            match github {
                Some(g) => println!(
                    "{login} is now GitHub's {}; their sessions have ended",
                    g.to_ascii_lowercase()
                ),
                None => println!("{login} is linked to no GitHub login; their sessions have ended"),
            }
        }
        UserCommand::List => {
            println!(
                "{:<32}  {:<11}  {:<8}  {:<20}  {:<20}",
                "LOGIN", "ROLE", "STATE", "CREATED", "GITHUB"
            );
            for user in crate::db::accounts::list_users(db).await? {
                let role = if user.admin {
                    "admin"
                } else {
                    user.base_role.as_deref().unwrap_or("-")
                };
                let state = if user.disabled { "disabled" } else { "active" };
                println!(
                    "{:<32}  {role:<11}  {state:<8}  {:<20}  {:<20}",
                    user.login,
                    user.created_at.format("%Y-%m-%d %H:%M:%S"),
                    user.github_login.as_deref().unwrap_or("-")
                );
            }
        }
    }
    Ok(())
}

/// Runs `gantry team`.
///
/// # Errors
/// When a name, role, project or the database is not right.
pub async fn run_team(
    db: &DatabaseConnection,
    key: &AuditKey,
    command: TeamCommand,
) -> anyhow::Result<()> {
    let cli = Actor::cli();
    match command {
        TeamCommand::Create { name } => {
            accounts::create_team(db, key, &cli, &name).await?;
            println!("created team {}", accounts::normalise_name(&name)?);
        }
        TeamCommand::Add { team, login } => {
            accounts::add_member(db, key, &cli, &team, &login).await?;
            println!("added {login} to {team}");
        }
        TeamCommand::Remove { team, login } => {
            if !accounts::remove_member(db, key, &cli, &team, &login).await? {
                bail!("{login} is not in {team}");
            }
            println!("removed {login} from {team}");
        }
        TeamCommand::Grant {
            team,
            project,
            role,
        } => {
            let role = role_or_none(&role)?;
            accounts::grant(db, key, &cli, &team, &project, role).await?;
            println!(
                "{team} now has {} on {}",
                role.map_or("no role", Role::as_str),
                project.to_ascii_lowercase()
            );
        }
        TeamCommand::List => {
            for team in crate::db::accounts::list_teams(db).await? {
                let members = crate::db::accounts::member_ids(db, team.id).await?;
                let mut logins = Vec::new();
                for id in members {
                    if let Some(user) = crate::db::accounts::find_user(db, id).await? {
                        logins.push(user.login);
                    }
                }
                let grants: Vec<String> = crate::db::accounts::team_grants(db, team.id)
                    .await?
                    .into_iter()
                    .map(|(p, r)| format!("{p}={r}"))
                    .collect();
                println!(
                    "{}: members [{}], grants [{}]",
                    team.name,
                    logins.join(", "),
                    grants.join(", ")
                );
            }
        }
    }
    Ok(())
}

/// Runs `gantry token`.
///
/// # Errors
/// When the user, role, token or database is not right.
pub async fn run_token(
    db: &DatabaseConnection,
    key: &AuditKey,
    command: TokenCommand,
) -> anyhow::Result<()> {
    match command {
        TokenCommand::Create { user, name, role } => {
            let role: Role = role.parse()?;
            let (id, token) =
                accounts::create_token(db, key, &Actor::cli(), &user, &name, role).await?;
            let _ = writeln!(
                std::io::stderr(),
                "token {id} for {user} ({role}); it is shown once, store it now:"
            );
            println!("{token}");
        }
        TokenCommand::List { user } => {
            println!(
                "{:>6}  {:<24}  {:<11}  {:<8}  {:<20}  {:<20}",
                "ID", "NAME", "ROLE", "STATE", "CREATED", "LAST USED"
            );
            for t in accounts::list_tokens(db, user.as_deref()).await? {
                let state = if t.revoked_at.is_some() {
                    "revoked"
                } else {
                    "live"
                };
                let used = t.last_used_at.map_or_else(
                    || "never".to_owned(),
                    |at| at.format("%Y-%m-%d %H:%M:%S").to_string(),
                );
                println!(
                    "{:>6}  {:<24}  {:<11}  {state:<8}  {:<20}  {used:<20}",
                    t.id,
                    t.name,
                    t.role,
                    t.created_at.format("%Y-%m-%d %H:%M:%S")
                );
            }
        }
        TokenCommand::Revoke { id } => {
            accounts::revoke_token(db, key, &Actor::cli(), id).await?;
            println!("revoked token {id}");
        }
    }
    Ok(())
}
