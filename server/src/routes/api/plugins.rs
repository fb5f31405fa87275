//! `/api/v1/plugins`: install (raw component, `Content-Type: application/wasm`, up
//! to `plugins.max_component_bytes`), upgrade, remove, list and show plugins; switch
//! them on and off, as a whole or per project; configure them per project. Reads
//! show per-project settings only for `*` and the projects the caller may see.
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::require_on;
use crate::auth::{Principal, Role};
use crate::domain::Project;
use crate::routes::auth::{AdminOnly, AnyMaintainer, AnyViewer};
use crate::routes::error::{ApiError, ApiErrorCode};
use crate::routes::webhooks::read_body;
use crate::services::installed::{
    Change, PluginAdmin, PluginAdminError, PluginDetail, PluginStatus, ProjectStatus, Upgraded,
};
use crate::services::AppState;

/// Body of enable and disable (optional): without a project, the whole plugin.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SwitchForm {
    /// `owner/name`, or `*` for every repository.
    project: Option<String>,
}

/// The installed plugins.
#[derive(Debug, Serialize, ToSchema)]
pub struct PluginsResponse {
    /// By name.
    pub plugins: Vec<PluginStatus>,
}

/// A configuration was set.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConfigureResponse {
    /// False when it already was so.
    pub changed: bool,
    /// What happened, in a sentence.
    pub summary: String,
    /// The project's settings now.
    pub project: Option<ProjectStatus>,
}

/// Installed plugins
///
/// Version, digest, size, `state` (`enabled`, `disabled`, `auto-disabled` with
/// `disabled_reason`), crashes in a row, and each project setting.
#[utoipa::path(get, path = "/api/v1/plugins", tag = "plugins",
    responses((status = 200, description = "the plugins", body = PluginsResponse)))]
pub async fn list_plugins(
    caller: AnyViewer,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let mut plugins = PluginAdmin::of(&state, &caller.actor())
        .list()
        .await
        .map_err(api_error)?;
    let visible = caller.visible_projects();
    for plugin in &mut plugins {
        plugin.keep_visible(&visible);
    }
    Ok(HttpResponse::Ok().json(PluginsResponse { plugins }))
}

/// One plugin
///
/// The plugin with its manifest (events, capabilities, schema, defaults).
#[utoipa::path(get, path = "/api/v1/plugins/{name}", tag = "plugins",
    params(("name" = String, Path, description = "the plugin's name")),
    responses((status = 200, description = "the plugin", body = PluginDetail)))]
pub async fn show_plugin(
    caller: AnyViewer,
    state: web::Data<AppState>,
    name: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let mut plugin = PluginAdmin::of(&state, &caller.actor())
        .show(&name)
        .await
        .map_err(api_error)?;
    plugin.status.keep_visible(&caller.visible_projects());
    Ok(HttpResponse::Ok().json(plugin))
}

/// Installs a plugin
///
/// The component is the body (`Content-Type: application/wasm`, up to
/// `plugins.max_component_bytes`); it runs nowhere until it is enabled.
#[utoipa::path(post, path = "/api/v1/plugins", tag = "plugins",
    request_body(content = [u8], content_type = "application/wasm", description = "the component"),
    responses((status = 201, description = "installed", body = PluginDetail)))]
#[tracing::instrument(skip_all)]
pub async fn install_plugin(
    caller: AdminOnly,
    req: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let bytes = read_component(&req, body, &state).await?;
    let plugin = PluginAdmin::of(&state, &caller.actor())
        .install(bytes)
        .await
        .map_err(api_error)?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/plugins/{}", plugin.status.name),
        ))
        .json(plugin))
}

/// Upgrades a plugin
///
/// To the component in the body (same rules as installing).
#[utoipa::path(put, path = "/api/v1/plugins/{name}", tag = "plugins",
    params(("name" = String, Path, description = "the plugin's name")),
    request_body(content = [u8], content_type = "application/wasm", description = "the component"),
    responses((status = 200, description = "what the upgrade did", body = Upgraded)))]
#[tracing::instrument(skip_all, fields(plugin = %name))]
pub async fn upgrade_plugin(
    caller: AdminOnly,
    req: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
    name: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let bytes = read_component(&req, body, &state).await?;
    let upgraded = PluginAdmin::of(&state, &caller.actor())
        .upgrade(bytes, Some(&name))
        .await
        .map_err(api_error)?;
    Ok(HttpResponse::Ok().json(upgraded))
}

/// Removes a plugin
///
/// The plugin and its settings.
#[utoipa::path(delete, path = "/api/v1/plugins/{name}", tag = "plugins",
    params(("name" = String, Path, description = "the plugin's name")),
    responses((status = 204, description = "removed")))]
pub async fn remove_plugin(
    caller: AdminOnly,
    state: web::Data<AppState>,
    name: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    PluginAdmin::of(&state, &caller.actor())
        .remove(&name)
        .await
        .map_err(api_error)?;
    Ok(HttpResponse::NoContent().finish())
}

/// Enables a plugin
///
/// Without a body: the plugin as a whole (also clears an automatic disable); with
/// a project: one repository (maintainer) or every repository, `*` (admin).
#[utoipa::path(post, path = "/api/v1/plugins/{name}/enable", tag = "plugins",
    params(("name" = String, Path, description = "the plugin's name")),
    request_body(content = Option<SwitchForm>, description = "optional: where"),
    responses((status = 200, description = "what changed", body = Change)))]
pub async fn enable_plugin(
    caller: AnyMaintainer,
    state: web::Data<AppState>,
    name: web::Path<String>,
    form: Option<web::Json<SwitchForm>>,
) -> Result<HttpResponse, ApiError> {
    let project = project(form)?;
    require_on(&caller, Role::Maintainer, repo_of(project.as_ref()))?;
    let change = PluginAdmin::of(&state, &caller.actor())
        .enable(&name, project.as_ref())
        .await
        .map_err(api_error)?;
    Ok(HttpResponse::Ok().json(change))
}

/// Disables a plugin
///
/// Without a body: the plugin as a whole; with a project: one repository
/// (maintainer) or every repository, `*` (admin).
#[utoipa::path(post, path = "/api/v1/plugins/{name}/disable", tag = "plugins",
    params(("name" = String, Path, description = "the plugin's name")),
    request_body(content = Option<SwitchForm>, description = "optional: where"),
    responses((status = 200, description = "what changed", body = Change)))]
pub async fn disable_plugin(
    caller: AnyMaintainer,
    state: web::Data<AppState>,
    name: web::Path<String>,
    form: Option<web::Json<SwitchForm>>,
) -> Result<HttpResponse, ApiError> {
    let project = project(form)?;
    require_on(&caller, Role::Maintainer, repo_of(project.as_ref()))?;
    let change = PluginAdmin::of(&state, &caller.actor())
        .disable(&name, project.as_ref())
        .await
        .map_err(api_error)?;
    Ok(HttpResponse::Ok().json(change))
}

/// Configures a plugin for one repository
///
/// The body (JSON) is the repository's configuration, checked against the
/// plugin's schema; nothing changes when it does not match.
#[utoipa::path(put, path = "/api/v1/plugins/{name}/projects/{owner}/{repo}", tag = "plugins",
    params(
        ("name" = String, Path, description = "the plugin's name"),
        ("owner" = String, Path, description = "the repository's owner"),
        ("repo" = String, Path, description = "the repository's name"),
    ),
    request_body(content = serde_json::Value, description = "the configuration"),
    responses((status = 200, description = "what changed", body = ConfigureResponse)))]
pub async fn configure_project(
    caller: AnyMaintainer,
    state: web::Data<AppState>,
    path: web::Path<(String, String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (name, owner, repo) = path.into_inner();
    let project = Project::parse(&format!("{owner}/{repo}"))
        .map_err(|e| api_error(PluginAdminError::InvalidProject(e)))?;
    require_on(&caller, Role::Maintainer, repo_of(Some(&project)))?;
    configure(&state, &caller, &name, &project, &body).await
}

/// Configures a plugin for every repository
///
/// The body (JSON) is the configuration of `*`.
#[utoipa::path(put, path = "/api/v1/plugins/{name}/config", tag = "plugins",
    params(("name" = String, Path, description = "the plugin's name")),
    request_body(content = serde_json::Value, description = "the configuration"),
    responses((status = 200, description = "what changed", body = ConfigureResponse)))]
pub async fn configure_all(
    caller: AdminOnly,
    state: web::Data<AppState>,
    name: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    configure(&state, &caller, &name, &Project::All, &body).await
}

async fn configure(
    state: &AppState,
    caller: &Principal,
    name: &str,
    project: &Project,
    body: &[u8],
) -> Result<HttpResponse, ApiError> {
    let config: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
        ApiError::new(
            ApiErrorCode::InvalidJson,
            format!("the body is not JSON: {e}"),
        )
    })?;
    let actor = caller.actor();
    let admin = PluginAdmin::of(state, &actor);
    let Change { changed, summary } = admin
        .configure(name, project, config)
        .await
        .map_err(api_error)?;
    let project = admin
        .show(name)
        .await
        .map_err(api_error)?
        .status
        .projects
        .into_iter()
        .find(|p| p.project == project.as_str());
    Ok(HttpResponse::Ok().json(ConfigureResponse {
        changed,
        summary,
        project,
    }))
}

/// The component in the body: `application/wasm`, up to the size limit.
async fn read_component(
    req: &HttpRequest,
    body: web::Payload,
    state: &AppState,
) -> Result<Vec<u8>, ApiError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !content_type
        .trim()
        .to_ascii_lowercase()
        .starts_with("application/wasm")
    {
        return Err(ApiError::new(
            ApiErrorCode::UnsupportedMediaType,
            "send the component as the body with Content-Type: application/wasm",
        ));
    }
    Ok(
        read_body(req, body, state.settings.plugins.max_component_bytes)
            .await?
            .to_vec(),
    )
}

/// The one repository a change concerns; `None` (every repository) needs admin.
fn repo_of(project: Option<&Project>) -> Option<&str> {
    match project {
        Some(Project::Repo(name)) => Some(name),
        Some(Project::All) | None => None,
    }
}

fn project(form: Option<web::Json<SwitchForm>>) -> Result<Option<Project>, ApiError> {
    form.and_then(|f| f.into_inner().project)
        .map(|p| Project::parse(&p))
        .transpose()
        .map_err(|e| api_error(PluginAdminError::InvalidProject(e)))
}

fn api_error(err: PluginAdminError) -> ApiError {
    let code = match &err {
        PluginAdminError::InvalidPlugin(_) => ApiErrorCode::InvalidPlugin,
        PluginAdminError::TooLarge { .. } => ApiErrorCode::PayloadTooLarge,
        PluginAdminError::AlreadyInstalled { .. } => ApiErrorCode::AlreadyInstalled,
        PluginAdminError::NotInstalled(_) => ApiErrorCode::PluginNotFound,
        PluginAdminError::WrongPlugin { .. } => ApiErrorCode::WrongPlugin,
        PluginAdminError::InvalidConfig { .. } => ApiErrorCode::InvalidConfig,
        PluginAdminError::IncompatibleConfig { .. } => ApiErrorCode::IncompatibleConfig,
        PluginAdminError::InvalidProject(_) => ApiErrorCode::InvalidProject,
        PluginAdminError::Conflict(_) => ApiErrorCode::Conflict,
        PluginAdminError::Database(_) => return ApiError::storage(&err),
    };
    ApiError::new(code, err.to_string())
}
