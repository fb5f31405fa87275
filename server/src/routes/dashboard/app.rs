//! The GitHub App page (`/dashboard/app`, admins): which App Gantry runs as, the
//! permissions the installed plugins need that it lacks, and "Register GitHub App":
//! a form that posts the App manifest (`services::app_setup`) to GitHub's registration
//! page (a user's or an organisation's, GitHub.com or a GitHub Enterprise Server).
//! GitHub sends the admin back to `/dashboard/app/callback` with a code, converted
//! there into the App's id, key and webhook secret, stored sealed.
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::access::User;
use super::view::{render, DashError, Nav};
use crate::domain::Actor;
use crate::services::{app_setup, AppState};

/// The page's choices, from the query string.
#[derive(Debug, Default, Deserialize)]
pub struct AppQuery {
    /// An organisation's login, to register the App there.
    #[serde(default)]
    org: String,
    /// GitHub's address (default `https://github.com`).
    #[serde(default)]
    github: String,
    /// Where GitHub reaches this Gantry (default: the address this page was asked on).
    #[serde(default)]
    base: String,
}

/// `pages/app/show.html`.
#[derive(Template)]
#[template(path = "pages/app/show.html", blocks = ["content"])]
pub struct AppPage {
    nav: Nav,
    /// `App 123 (my-gantry)`, `a personal access token`, or nothing set.
    running_as: String,
    /// Permissions the installed plugins need that the App lacks, or why unknown.
    missing: Result<Option<Vec<String>>, String>,
    org: String,
    github: String,
    base: String,
    manifest: String,
    action: Result<String, String>,
}

/// `GET /dashboard/app`.
pub async fn show_app(
    user: User,
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<AppQuery>,
) -> Result<HttpResponse, DashError> {
    let github = Some(q.github.trim())
        .filter(|g| !g.is_empty())
        .unwrap_or("https://github.com")
        .to_owned();
    let base = match q.base.trim() {
        "" => {
            let info = req.connection_info();
            format!("{}://{}", info.scheme(), info.host())
        }
        given => given.to_owned(),
    };
    let needed = app_setup::installed_needs(&state.db)
        .await
        .map_err(|e| DashError::internal(e.as_ref()))?;
    let manifest = app_setup::app_manifest(&needed, &base, "Gantry");
    let csrf = user.0.csrf_token().unwrap_or_default();
    let org = q.org.trim().to_owned();
    let action = app_setup::registration_url(
        &github,
        Some(org.as_str()).filter(|o| !o.is_empty()),
        &app_setup::state_for(csrf),
    )
    .map_err(|e| e.to_string());
    let missing = app_setup::missing_permissions(&state)
        .await
        .map_err(|e| format!("{e:#}"));
    let running_as = match (&state.settings.github.app_id, &state.settings.github.token) {
        (Some(id), _) => format!("the GitHub App {id}"),
        (None, Some(_)) => "a personal access token".to_owned(),
        (None, None) => "nothing yet: no App and no token are set".to_owned(),
    };
    let page = AppPage {
        nav: Nav::new(&user.0, "app", super::sandbox::enabled(&state)),
        running_as,
        missing,
        org,
        github,
        base,
        manifest: serde_json::to_string(&manifest).unwrap_or_default(),
        action,
    };
    render(&req, &page, |p| p.as_content().render())
}

/// GitHub's redirect after the App was created.
#[derive(Debug, Deserialize)]
pub struct Callback {
    #[serde(default)]
    code: String,
    #[serde(default)]
    state: String,
}

/// `pages/app/registered.html`.
#[derive(Template)]
#[template(path = "pages/app/registered.html", blocks = ["content"])]
pub struct RegisteredPage {
    nav: Nav,
    app_id: u64,
    slug: String,
    html_url: String,
}

/// `GET /dashboard/app/callback?code=...&state=...`: converts the code, stores the
/// App; 400 when the state is not this session's (a registration started
/// elsewhere) or GitHub refuses the code.
pub async fn app_callback(
    user: User,
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<Callback>,
) -> Result<HttpResponse, DashError> {
    let csrf = user.0.csrf_token().unwrap_or_default();
    if !app_setup::state_matches(csrf, &q.state) {
        return Err(DashError::BadRequest(
            "this registration was not started from your session: open the GitHub App page and press Register GitHub App again".into(),
        ));
    }
    let actor: Actor = user.0.actor();
    let app = app_setup::convert(
        &state.db,
        &state.settings,
        state.audit_key(),
        &q.code,
        actor,
    )
    .await
    .map_err(|e| DashError::BadRequest(format!("{e:#}")))?;
    let page = RegisteredPage {
        nav: Nav::new(&user.0, "app", super::sandbox::enabled(&state)),
        app_id: app.app_id,
        slug: app.slug,
        html_url: app.html_url,
    };
    render(&req, &page, |p| p.as_content().render())
}
