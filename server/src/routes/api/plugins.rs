//! `/api/v1/plugins`: install (raw component, `Content-Type: application/wasm`, up
//! to `plugins.max_component_bytes`), upgrade, remove, list and show plugins; switch
//! them on and off, as a whole or per project; configure them per project. Reads
//! show per-project settings only for `*` and the projects the caller may see.
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::auth::require_on;
use crate::auth::{AdminOnly, AnyMaintainer, AnyViewer, Principal, Role};
use crate::domain::Actor;
use crate::domain::Project;
use crate::routes::webhooks::read_body;
use crate::routes::ApiError;
use crate::services::plugins::{PluginAdmin, PluginAdminError};
use crate::state::AppState;

/// Body of enable and disable (optional): without a project, the whole plugin.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SwitchForm {
    /// `owner/name`, or `*` for every repository.
    project: Option<String>,
}

/// `GET /api/v1/plugins`: every installed plugin with its state and projects.
pub async fn list_plugins(
    caller: AnyViewer,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let mut plugins = admin(&state, &caller.actor())
        .list()
        .await
        .map_err(api_error)?;
    let visible = caller.visible_projects();
    for plugin in &mut plugins {
        plugin
            .projects
            .retain(|p| p.project == Project::ALL || visible.shows(Some(&p.project)));
    }
    Ok(HttpResponse::Ok().json(serde_json::json!({ "plugins": plugins })))
}

/// `GET /api/v1/plugins/{name}`: one plugin with its manifest.
pub async fn show_plugin(
    caller: AnyViewer,
    state: web::Data<AppState>,
    name: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let mut plugin = admin(&state, &caller.actor())
        .show(&name)
        .await
        .map_err(api_error)?;
    let visible = caller.visible_projects();
    plugin
        .status
        .projects
        .retain(|p| p.project == Project::ALL || visible.shows(Some(&p.project)));
    Ok(HttpResponse::Ok().json(plugin))
}

/// `POST /api/v1/plugins`: installs the component in the body; 201 with the plugin.
#[tracing::instrument(skip_all)]
pub async fn install_plugin(
    caller: AdminOnly,
    req: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let bytes = read_component(&req, body, &state).await?;
    let plugin = admin(&state, &caller.actor())
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

/// `PUT /api/v1/plugins/{name}`: upgrades the plugin to the component in the body.
#[tracing::instrument(skip_all, fields(plugin = %name))]
pub async fn upgrade_plugin(
    caller: AdminOnly,
    req: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
    name: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let bytes = read_component(&req, body, &state).await?;
    let upgraded = admin(&state, &caller.actor())
        .upgrade(bytes, Some(&name))
        .await
        .map_err(api_error)?;
    Ok(HttpResponse::Ok().json(upgraded))
}

/// `DELETE /api/v1/plugins/{name}`.
pub async fn remove_plugin(
    caller: AdminOnly,
    state: web::Data<AppState>,
    name: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    admin(&state, &caller.actor())
        .remove(&name)
        .await
        .map_err(api_error)?;
    Ok(HttpResponse::NoContent().finish())
}

/// `POST /api/v1/plugins/{name}/enable`, optionally `{"project": "owner/name"}`.
pub async fn enable_plugin(
    caller: AnyMaintainer,
    state: web::Data<AppState>,
    name: web::Path<String>,
    form: Option<web::Json<SwitchForm>>,
) -> Result<HttpResponse, ApiError> {
    let project = project(form)?;
    require_on(&caller, Role::Maintainer, repo_of(project.as_ref()))?;
    let change = admin(&state, &caller.actor())
        .enable(&name, project.as_ref())
        .await
        .map_err(api_error)?;
    Ok(HttpResponse::Ok().json(change))
}

/// `POST /api/v1/plugins/{name}/disable`, optionally `{"project": "owner/name"}`.
pub async fn disable_plugin(
    caller: AnyMaintainer,
    state: web::Data<AppState>,
    name: web::Path<String>,
    form: Option<web::Json<SwitchForm>>,
) -> Result<HttpResponse, ApiError> {
    let project = project(form)?;
    require_on(&caller, Role::Maintainer, repo_of(project.as_ref()))?;
    let change = admin(&state, &caller.actor())
        .disable(&name, project.as_ref())
        .await
        .map_err(api_error)?;
    Ok(HttpResponse::Ok().json(change))
}

/// `PUT /api/v1/plugins/{name}/projects/{owner}/{repo}`: the body is the
/// repository's configuration.
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

/// `PUT /api/v1/plugins/{name}/config`: the body is the configuration for every
/// repository (`*`).
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
            StatusCode::BAD_REQUEST,
            "invalid_json",
            format!("the body is not JSON: {e}"),
        )
    })?;
    let actor = caller.actor();
    let admin = admin(state, &actor);
    let change = admin
        .configure(name, project, config)
        .await
        .map_err(api_error)?;
    let settings = admin
        .show(name)
        .await
        .map_err(api_error)?
        .status
        .projects
        .into_iter()
        .find(|p| p.project == project.as_str());
    Ok(HttpResponse::Ok().json(serde_json::json!({ "changed": change.changed, "summary": change.summary, "project": settings })))
}

fn admin<'a>(state: &'a AppState, actor: &'a Actor) -> PluginAdmin<'a> {
    PluginAdmin {
        db: &state.db,
        compiled: &state.plugins,
        max_component_bytes: state.settings.plugins.max_component_bytes,
        actor,
        audit_key: state.audit_key(),
    }
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
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
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
    let (status, code) = match &err {
        PluginAdminError::InvalidPlugin(_) => (StatusCode::BAD_REQUEST, "invalid_plugin"),
        PluginAdminError::TooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
        PluginAdminError::AlreadyInstalled { .. } => (StatusCode::CONFLICT, "already_installed"),
        PluginAdminError::NotInstalled(_) => (StatusCode::NOT_FOUND, "plugin_not_found"),
        PluginAdminError::WrongPlugin { .. } => (StatusCode::BAD_REQUEST, "wrong_plugin"),
        PluginAdminError::InvalidConfig { .. } => (StatusCode::BAD_REQUEST, "invalid_config"),
        PluginAdminError::IncompatibleConfig { .. } => {
            (StatusCode::BAD_REQUEST, "incompatible_config")
        }
        PluginAdminError::InvalidProject(_) => (StatusCode::BAD_REQUEST, "invalid_project"),
        PluginAdminError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
        PluginAdminError::Database(_) => {
            return ApiError::internal(StatusCode::SERVICE_UNAVAILABLE, "storage_unavailable", &err)
        }
    };
    ApiError::new(status, code, err.to_string())
}
