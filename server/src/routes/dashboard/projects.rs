//! Projects (`/dashboard/projects`): every repository an installation lists or a
//! delivery named, with the teams that hold a role on it (`db::accounts`): those
//! the reader may see (`Principal::visible_projects`).
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::access::User;
use super::view::{render, DashError, Nav};
use crate::db;
use crate::db::dashboard::KnownRepository;
use crate::services::AppState;

/// `pages/projects/list.html`.
#[derive(Template)]
#[template(path = "pages/projects/list.html", blocks = ["content"])]
pub struct ProjectsPage {
    nav: Nav,
    /// Each repository with `(team, role)` grants on it.
    repos: Vec<(KnownRepository, Vec<(String, String)>)>,
    /// Grants on projects Gantry has not seen (yet).
    other_grants: Vec<(String, String, String)>,
}

/// `GET /dashboard/projects`.
pub async fn list_projects(
    user: User,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, DashError> {
    let visible = user.0.visible_projects();
    let known = db::dashboard::known_repositories(&state.db, &visible).await?;
    let grants: Vec<(String, String, String)> = db::accounts::all_grants(&state.db)
        .await?
        .into_iter()
        .map(|(team, project, role)| (project.to_ascii_lowercase(), team, role))
        .filter(|(project, _, _)| visible.shows(Some(project)))
        .collect();
    let repos = known
        .into_iter()
        .map(|r| {
            let lower = r.name.to_ascii_lowercase();
            let teams = grants
                .iter()
                .filter(|(p, _, _)| *p == lower)
                .map(|(_, t, role)| (t.clone(), role.clone()))
                .collect();
            (r, teams)
        })
        .collect::<Vec<_>>();
    let other_grants = grants
        .into_iter()
        .filter(|(p, _, _)| !repos.iter().any(|(r, _)| r.name.eq_ignore_ascii_case(p)))
        .collect();
    let page = ProjectsPage {
        nav: Nav::new(&user.0, "projects", super::sandbox::enabled(&state)),
        repos,
        other_grants,
    };
    render(&req, &page, |p| p.as_content().render())
}
