//! Plugins (`/dashboard/plugins`): the installed list with state and health; one
//! plugin with its manifest (events, capabilities, commands), its projects, switches
//! and a configuration form generated from its schema (`plugin_form`); uploading a
//! component (admins), which shows the manifest and the capabilities it asks for
//! before anything is installed, then installs it on confirmation (it runs nowhere
//! until enabled). Every change goes through `services::installed::PluginAdmin`, as
//! `gantry plugin ...` and `/api/v1/plugins` do, which checks and audits it.
//! Plugins are shown to every reader; their per-project settings only for `*` and
//! the projects the reader may see (`Principal::visible_projects`).
use actix_multipart::Multipart;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use futures::TryStreamExt;
use serde::Deserialize;

use super::access::{can, require, User};
use super::plugin_form::{self, Field};
use super::view::{render, see_other, DashError, Nav};
use crate::auth::{Principal, Role};
use crate::domain::Project;
use crate::domain::{Actor, Capability};
use crate::services::installed::{
    PluginAdmin, PluginAdminError, PluginDetail, PluginStatus, Staged,
};
use crate::services::AppState;
use crate::wasm_host::Manifest;

fn admin<'a>(state: &'a AppState, actor: &'a Actor) -> PluginAdmin<'a> {
    PluginAdmin::of(state, actor)
}

/// `pages/plugins/list.html`.
#[derive(Template)]
#[template(path = "pages/plugins/list.html", blocks = ["content"])]
pub struct PluginsPage {
    nav: Nav,
    plugins: Vec<PluginStatus>,
    can_install: bool,
}

/// `GET /dashboard/plugins`.
pub async fn list_plugins(
    user: User,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, DashError> {
    let actor = user.0.actor();
    let mut plugins = admin(&state, &actor).list().await.map_err(dash_error)?;
    let visible = user.0.visible_projects();
    for plugin in &mut plugins {
        plugin
            .projects
            .retain(|p| p.project == Project::ALL || visible.shows(Some(&p.project)));
    }
    let page = PluginsPage {
        nav: Nav::new(&user.0, "plugins", super::sandbox::enabled(&state)),
        plugins,
        can_install: can(&user.0, Role::Admin, None),
    };
    render(&req, &page, |p| p.as_content().render())
}

/// One project row of a plugin, with what this caller may do there.
#[derive(Debug)]
pub struct ProjectView {
    /// `*` or `owner/name`.
    pub project: String,
    /// Enabled here (`None`: as `*` says).
    pub enabled: Option<bool>,
    /// Whether it runs here.
    pub active: bool,
    /// What the plugin receives here, pretty JSON.
    pub effective: String,
    /// Whether this caller may switch and configure it here.
    pub can_change: bool,
    /// The configuration form (`None`: one JSON textarea).
    pub fields: Option<Vec<Field>>,
    /// The JSON textarea's value.
    pub json: String,
}

/// `pages/plugins/show.html`.
#[derive(Template)]
#[template(path = "pages/plugins/show.html", blocks = ["content"])]
pub struct PluginPage {
    nav: Nav,
    plugin: PluginDetail,
    projects: Vec<ProjectView>,
    can_switch_plugin: bool,
    can_add_project: bool,
}

impl PluginPage {
    /// What to say about a declared capability beyond its name (`model:*`).
    fn note(&self, declared: &str) -> Option<&'static str> {
        Capability::declared_note(declared)
    }
}

/// Who may switch or configure `name` on `project`: admins for `*` and the whole
/// plugin, maintainers of the repository for a repository.
fn may_change(principal: &Principal, project: Option<&str>) -> bool {
    match project {
        Some(p) if p != Project::ALL => can(principal, Role::Maintainer, Some(p)),
        _ => can(principal, Role::Admin, None),
    }
}

/// `GET /dashboard/plugins/{name}`.
pub async fn show_plugin(
    user: User,
    req: HttpRequest,
    state: web::Data<AppState>,
    name: web::Path<String>,
) -> Result<HttpResponse, DashError> {
    let actor = user.0.actor();
    let mut plugin = admin(&state, &actor)
        .show(&name)
        .await
        .map_err(dash_error)?;
    let visible = user.0.visible_projects();
    plugin
        .status
        .projects
        .retain(|p| p.project == Project::ALL || visible.shows(Some(&p.project)));
    let schema = plugin.manifest.config_schema.as_ref();
    let projects = plugin
        .status
        .projects
        .iter()
        .map(|p| {
            let current = p.config.clone().unwrap_or(serde_json::Value::Null);
            ProjectView {
                project: p.project.clone(),
                enabled: p.enabled,
                active: p.active,
                effective: serde_json::to_string_pretty(&p.effective_config).unwrap_or_default(),
                can_change: may_change(&user.0, Some(&p.project)),
                fields: plugin_form::fields(schema, &current),
                json: if current.is_null() {
                    String::new()
                } else {
                    serde_json::to_string_pretty(&current).unwrap_or_default()
                },
            }
        })
        .collect();
    let page = PluginPage {
        nav: Nav::new(&user.0, "plugins", super::sandbox::enabled(&state)),
        can_switch_plugin: may_change(&user.0, None),
        can_add_project: can(&user.0, Role::Maintainer, None),
        projects,
        plugin,
    };
    render(&req, &page, |p| p.as_content().render())
}

/// The enable and disable forms: a project, or none for the whole plugin.
#[derive(Debug, Deserialize)]
pub struct SwitchForm {
    #[serde(default)]
    project: String,
}

fn project_of(raw: &str) -> Result<Option<Project>, DashError> {
    Some(raw.trim())
        .filter(|p| !p.is_empty())
        .map(Project::parse)
        .transpose()
        .map_err(DashError::BadRequest)
}

async fn switch(
    user: User,
    req: HttpRequest,
    state: web::Data<AppState>,
    name: String,
    form: SwitchForm,
    on: bool,
) -> Result<HttpResponse, DashError> {
    let project = project_of(&form.project)?;
    let where_ = project.as_ref().map(Project::as_str);
    match where_ {
        Some(p) if p != Project::ALL => require(&user.0, Role::Maintainer, Some(p))?,
        _ => require(&user.0, Role::Admin, None)?,
    }
    let actor = user.0.actor();
    let plugins = admin(&state, &actor);
    if on {
        plugins.enable(&name, project.as_ref()).await
    } else {
        plugins.disable(&name, project.as_ref()).await
    }
    .map_err(dash_error)?;
    Ok(see_other(&req, &format!("/dashboard/plugins/{name}")))
}

/// `POST /dashboard/plugins/{name}/enable`.
pub async fn enable_plugin(
    user: User,
    req: HttpRequest,
    state: web::Data<AppState>,
    name: web::Path<String>,
    form: web::Form<SwitchForm>,
) -> Result<HttpResponse, DashError> {
    switch(user, req, state, name.into_inner(), form.into_inner(), true).await
}

/// `POST /dashboard/plugins/{name}/disable`.
pub async fn disable_plugin(
    user: User,
    req: HttpRequest,
    state: web::Data<AppState>,
    name: web::Path<String>,
    form: web::Form<SwitchForm>,
) -> Result<HttpResponse, DashError> {
    switch(
        user,
        req,
        state,
        name.into_inner(),
        form.into_inner(),
        false,
    )
    .await
}

/// `POST /dashboard/plugins/{name}/config`: the generated form (`project`, then
/// `f.<property>` fields or `json`).
#[tracing::instrument(skip_all, fields(plugin = %name))]
pub async fn configure_plugin(
    user: User,
    req: HttpRequest,
    state: web::Data<AppState>,
    name: web::Path<String>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, DashError> {
    let pairs = form.into_inner();
    let raw_project = pairs
        .iter()
        .find(|(k, _)| k == "project")
        .map(|(_, v)| v.as_str())
        .unwrap_or_default();
    let project = project_of(raw_project)?.ok_or_else(|| {
        DashError::BadRequest("name the project (owner/name, or * for every repository)".into())
    })?;
    match project.as_str() {
        Project::ALL => require(&user.0, Role::Admin, None)?,
        p => require(&user.0, Role::Maintainer, Some(p))?,
    }
    let actor = user.0.actor();
    let plugins = admin(&state, &actor);
    let detail = plugins.show(&name).await.map_err(dash_error)?;
    let config = plugin_form::parse(detail.manifest.config_schema.as_ref(), &pairs)
        .map_err(DashError::BadRequest)?;
    plugins
        .configure(&name, &project, config)
        .await
        .map_err(dash_error)?;
    Ok(see_other(&req, &format!("/dashboard/plugins/{name}")))
}

/// `pages/plugins/confirm.html`: what an uploaded component is and asks for.
#[derive(Template)]
#[template(path = "pages/plugins/confirm.html", blocks = ["content"])]
pub struct ConfirmPage {
    nav: Nav,
    manifest: Manifest,
    sdk_version: Option<String>,
    digest: String,
    size: usize,
    upgrade_of: Option<String>,
}

impl ConfirmPage {
    /// What to say about a declared capability beyond its name (`model:*`).
    fn note(&self, declared: &str) -> Option<&'static str> {
        Capability::declared_note(declared)
    }
}

/// `POST /dashboard/plugins/upload` (multipart, field `component`): reads the
/// manifest without running or installing anything and asks for confirmation.
/// The bytes wait in the database by digest (`db::plugin_uploads`), so the
/// confirmation may reach any replica.
#[tracing::instrument(skip_all)]
pub async fn upload_plugin(
    user: User,
    req: HttpRequest,
    state: web::Data<AppState>,
    mut body: Multipart,
) -> Result<HttpResponse, DashError> {
    require(&user.0, Role::Admin, None)?;
    let max = state.settings.plugins.max_component_bytes;
    let mut component: Option<Vec<u8>> = None;
    while let Some(mut field) = body
        .try_next()
        .await
        .map_err(|e| DashError::BadRequest(format!("the upload is not a valid form: {e}")))?
    {
        let is_component = field.name() == Some("component");
        let mut bytes = Vec::new();
        while let Some(chunk) = field
            .try_next()
            .await
            .map_err(|e| DashError::BadRequest(format!("the upload broke off: {e}")))?
        {
            if bytes.len() + chunk.len() > max {
                return Err(DashError::BadRequest(format!(
                    "the component is larger than {max} bytes (plugins.max_component_bytes)"
                )));
            }
            bytes.extend_from_slice(&chunk);
        }
        if is_component {
            component = Some(bytes);
        }
    }
    let bytes = component
        .filter(|b| !b.is_empty())
        .ok_or_else(|| DashError::BadRequest("choose a .wasm component to upload".into()))?;
    let actor = user.0.actor();
    let Staged {
        manifest,
        sdk_version,
        digest,
        size,
        upgrade_of,
    } = admin(&state, &actor)
        .stage_upload(bytes)
        .await
        .map_err(dash_error)?;
    let page = ConfirmPage {
        nav: Nav::new(&user.0, "plugins", super::sandbox::enabled(&state)),
        size,
        manifest,
        sdk_version,
        digest,
        upgrade_of,
    };
    render(&req, &page, |p| p.as_content().render())
}

/// The confirmation form.
#[derive(Debug, Deserialize)]
pub struct ConfirmForm {
    digest: String,
}

/// `POST /dashboard/plugins/confirm`: installs (or upgrades) the uploaded
/// component named by its digest.
#[tracing::instrument(skip_all)]
pub async fn confirm_plugin(
    user: User,
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<ConfirmForm>,
) -> Result<HttpResponse, DashError> {
    require(&user.0, Role::Admin, None)?;
    let digest = form.into_inner().digest;
    if digest.len() != 64 || !digest.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(DashError::BadRequest("not an upload digest".into()));
    }
    let actor = user.0.actor();
    let name = admin(&state, &actor)
        .confirm_upload(&digest)
        .await
        .map_err(dash_error)?
        .ok_or_else(|| {
            DashError::NotFound(
                "that upload is gone (already installed, or over a day old): upload it again"
                    .into(),
            )
        })?;
    Ok(see_other(&req, &format!("/dashboard/plugins/{name}")))
}

fn dash_error(err: PluginAdminError) -> DashError {
    match err {
        PluginAdminError::NotInstalled(_) => DashError::NotFound(err.to_string()),
        PluginAdminError::AlreadyInstalled { .. } | PluginAdminError::Conflict(_) => {
            DashError::Conflict(err.to_string())
        }
        PluginAdminError::Database(ref e) => DashError::internal(e),
        _ => DashError::BadRequest(err.to_string()),
    }
}
