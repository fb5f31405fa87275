//! Command help (`/dashboard/commands`): for each repository Gantry knows of, every
//! comment command of every plugin enabled there, from the manifests, as the
//! `help` command answers it in a comment (the same `services::plugins::active`
//! choice dispatch makes).
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::access::User;
use super::view::{render, DashError, Nav};
use crate::db;
use crate::domain::RepoRef;
use crate::plugins::manifest::CommandSpec;
use crate::services::plugins::active;
use crate::state::AppState;

/// `pages/commands/list.html`.
#[derive(Template)]
#[template(path = "pages/commands/list.html", blocks = ["content"])]
pub struct CommandsPage {
    nav: Nav,
    /// Each repository with `(plugin, command)` pairs.
    repos: Vec<(String, Vec<(String, CommandSpec)>)>,
}

/// `GET /dashboard/commands`.
pub async fn list_commands(user: User, req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, DashError> {
    let mut repos = Vec::new();
    for known in db::dashboard::known_repositories(&state.db).await? {
        let Some((owner, name)) = known.name.split_once('/') else { continue };
        let repo = RepoRef { owner: owner.to_owned(), name: name.to_owned() };
        let enabled = active::for_repository(&state.db, &state.plugins, Some(&repo)).await?;
        let commands: Vec<(String, CommandSpec)> =
            enabled.all().iter().flat_map(|p| p.plugin.manifest.commands.iter().map(|c| (p.plugin.manifest.name.clone(), c.clone()))).collect();
        repos.push((known.name, commands));
    }
    let page = CommandsPage { nav: Nav::new(&user.0, "commands", super::sandbox::enabled(&state)), repos };
    render(&req, &page, |p| p.as_content().render())
}
