//! Projects (`/dashboard/projects`): every repository an installation lists or a
//! delivery named, with the teams that hold a role on it (`db::accounts`): those
//! the reader may see (`Principal::visible_projects`). One project's page
//! (`/dashboard/projects/{owner}/{repo}`): its `.github/gantry.yml` (when it was read,
//! its error while the last valid configuration stays in force) and each plugin's
//! effective configuration, value by value with where it comes from.
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::access::User;
use super::view::{render, DashError, Nav};
use crate::db;
use crate::db::dashboard::KnownRepository;
use crate::domain::{Project, RepoRef};
use crate::services::repo_config::evaluate::{leaves, source_of};
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

/// `pages/projects/show.html`.
#[derive(Template)]
#[template(path = "pages/projects/show.html", blocks = ["content"])]
pub struct ProjectPage {
    nav: Nav,
    /// `owner/name`.
    project: String,
    /// `repository_config.enabled`.
    reading: bool,
    /// When the file was last read (`None`: never).
    checked_at: Option<String>,
    /// The newest file's error, when the last valid configuration stays in force.
    error: Option<String>,
    /// Each plugin enabled here, with its values.
    plugins: Vec<PluginValues>,
}

/// One plugin's effective configuration on the project.
pub struct PluginValues {
    name: String,
    /// `(pointer, value as JSON, where it comes from)`.
    values: Vec<(String, String, String)>,
}

/// `GET /dashboard/projects/{owner}/{repo}`.
pub async fn show_project(
    user: User,
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, DashError> {
    let (owner, name) = path.into_inner();
    let project = Project::parse(&format!("{owner}/{name}")).map_err(DashError::NotFound)?;
    if !user.0.visible_projects().shows(Some(project.as_str())) {
        return Err(DashError::NotFound(format!(
            "no project {}",
            project.as_str()
        )));
    }
    let repo = RepoRef { owner, name };
    let active =
        crate::services::installed::active::for_repository(&state.db, &state.plugins, Some(&repo))
            .await?;
    let file = active.file();
    let own = project.as_str();
    let plugins = active
        .all()
        .iter()
        .map(|p| {
            let plugin = &p.plugin.manifest.name;
            let config: serde_json::Value = serde_json::from_str(&p.config).unwrap_or_default();
            let sources = file
                .and_then(|f| f.patches.get(plugin))
                .map(|patch| &patch.sources);
            let values = leaves(&config)
                .into_iter()
                .map(|(pointer, value)| {
                    let from = match sources.and_then(|s| source_of(s, &pointer)) {
                        None => "Gantry".to_owned(),
                        Some(repo) if repo.eq_ignore_ascii_case(own) => {
                            "this repository's .github/gantry.yml".to_owned()
                        }
                        Some(repo) => format!("{repo}'s .github/gantry.yml (extends)"),
                    };
                    let shown = if pointer.is_empty() {
                        "/".to_owned()
                    } else {
                        pointer
                    };
                    (shown, value.to_string(), from)
                })
                .collect();
            PluginValues {
                name: plugin.clone(),
                values,
            }
        })
        .collect();
    let page = ProjectPage {
        nav: Nav::new(&user.0, "projects", super::sandbox::enabled(&state)),
        project: own.to_owned(),
        reading: state.settings.repository_config.enabled,
        checked_at: file
            .and_then(|f| f.checked_at)
            .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string()),
        error: file.and_then(|f| {
            f.error
                .as_deref()
                .map(|e| crate::services::repo_config::in_force(e, f.valid_at.is_some()))
        }),
        plugins,
    };
    render(&req, &page, |p| p.as_content().render())
}
