//! Command help (`/dashboard/commands`): for each repository Gantry knows of, every
//! comment command of every plugin enabled there, from the manifests, as the
//! `help` command answers it in a comment (the same `services::installed::active`
//! choice dispatch makes). Only the repositories the reader may see.
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::access::User;
use super::view::{render, DashError, Nav};
use crate::db;
use crate::domain::RepoRef;
use crate::services::installed::active;
use crate::services::AppState;
use crate::wasm_host::manifest::CommandSpec;
use crate::wasm_host::Manifest;

/// `pages/commands/list.html`.
#[derive(Template)]
#[template(path = "pages/commands/list.html", blocks = ["content"])]
pub struct CommandsPage {
    nav: Nav,
    /// Each repository with `(plugin, command)` pairs.
    repos: Vec<(String, Vec<(String, CommandSpec)>)>,
}

/// `GET /dashboard/commands`.
pub async fn list_commands(
    user: User,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, DashError> {
    // When no switched-on plugin declares a command, no repository has any: skip
    // asking per repository.
    let any_commands = db::plugins::list(&state.db)
        .await?
        .iter()
        .filter(|p| p.enabled)
        .any(|p| toml::from_str::<Manifest>(&p.manifest).map_or(true, |m| !m.commands.is_empty()));
    let mut repos = Vec::new();
    for known in db::dashboard::known_repositories(&state.db, &user.0.visible_projects()).await? {
        if !any_commands {
            repos.push((known.name, Vec::new()));
            continue;
        }
        let Some((owner, name)) = known.name.split_once('/') else {
            continue;
        };
        let repo = RepoRef {
            owner: owner.to_owned(),
            name: name.to_owned(),
        };
        let enabled = active::for_repository(&state.db, &state.plugins, Some(&repo)).await?;
        let commands: Vec<(String, CommandSpec)> = enabled
            .all()
            .iter()
            .flat_map(|p| {
                p.plugin
                    .manifest
                    .commands
                    .iter()
                    .map(|c| (p.plugin.manifest.name.clone(), c.clone()))
            })
            .collect();
        repos.push((known.name, commands));
    }
    let page = CommandsPage {
        nav: Nav::new(&user.0, "commands", super::sandbox::enabled(&state)),
        repos,
    };
    render(&req, &page, |p| p.as_content().render())
}
