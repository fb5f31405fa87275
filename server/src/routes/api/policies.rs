//! `/api/v1/policies`: the operator's rules, and "what would happen" explanations.
//! A caller with only team grants lists the built-in and global rules and those of
//! their repositories and their organisations, and may explain only their
//! repositories (another answers 404). The audit chain's status is global.
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::auth::require_on;
use crate::auth::{AdminOnly, AnyMaintainer, AnyViewer, Role};
use crate::db::{audit, policies as rules};
use crate::policy::{Permission, RuleScope};
use crate::routes::ApiError;
use crate::services::policies::{self, visible_rule, PolicyError, RuleForm};
use crate::state::AppState;

/// `GET /api/v1/policies`: every operator rule.
pub async fn list_policies(
    caller: AnyViewer,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let visible = caller.visible_projects();
    let mut all = rules::all(&state.db)
        .await
        .map_err(|e| api_error(e.into()))?;
    all.retain(|r| visible_rule(&visible, &r.scope));
    Ok(HttpResponse::Ok().json(serde_json::json!({ "policies": all })))
}

/// `POST /api/v1/policies`: adds a rule; 201 with its id.
pub async fn create_policy(
    caller: AnyMaintainer,
    state: web::Data<AppState>,
    form: web::Json<RuleForm>,
) -> Result<HttpResponse, ApiError> {
    require_on(&caller, Role::Maintainer, scope_project(&form.scope))?;
    let id = policies::add(
        &state.db,
        state.audit_key(),
        &caller.actor(),
        form.into_inner(),
    )
    .await
    .map_err(api_error)?;
    Ok(HttpResponse::Created().json(serde_json::json!({ "id": id })))
}

/// `DELETE /api/v1/policies/{id}`.
pub async fn delete_policy(
    caller: AnyMaintainer,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let all = rules::all(&state.db)
        .await
        .map_err(|e| api_error(e.into()))?;
    let rule = all
        .iter()
        .find(|r| r.id == id)
        .ok_or_else(|| api_error(PolicyError::NotFound(id)))?;
    let project = match &rule.scope {
        RuleScope::Repo(name) => Some(name.as_str()),
        RuleScope::Builtin | RuleScope::Global | RuleScope::Org(_) => None,
    };
    require_on(&caller, Role::Maintainer, project)?;
    policies::remove(&state.db, state.audit_key(), &caller.actor(), id)
        .await
        .map_err(api_error)?;
    Ok(HttpResponse::NoContent().finish())
}

/// Query of `GET /api/v1/policies/explain`.
#[derive(Debug, Deserialize)]
pub struct ExplainQuery {
    plugin: String,
    capability: String,
    repository: String,
    /// The branch the write changes (none when absent).
    branch: Option<String>,
    /// The event's branch.
    event_branch: Option<String>,
    /// The actor's permission (not known when absent).
    permission: Option<String>,
    /// Whether the plugin declares the capability (default true).
    declared: Option<bool>,
}

/// `GET /api/v1/policies/explain`: the decision, the rule that made it and why,
/// and every rule considered that the caller may see (security review M7).
pub async fn explain_policy(
    caller: AnyViewer,
    state: web::Data<AppState>,
    q: web::Query<ExplainQuery>,
) -> Result<HttpResponse, ApiError> {
    let visible = caller.visible_projects();
    if !visible.shows(Some(q.repository.trim())) {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "repository_not_found",
            format!("no repository {} among yours", q.repository.trim()),
        ));
    }
    let permission = q
        .permission
        .as_deref()
        .map(|p| {
            Permission::parse(p)
                .ok_or_else(|| PolicyError::Invalid(format!("`{p}` is not a permission")))
        })
        .transpose()
        .map_err(api_error)?;
    let decision = policies::explain(
        &state.db,
        &visible,
        &policies::Hypothesis {
            plugin: &q.plugin,
            capability: &q.capability,
            declared: q.declared.unwrap_or(true),
            repository: &q.repository,
            branch: q.branch.as_deref(),
            event_branch: q.event_branch.as_deref(),
            actor_permission: permission,
        },
    )
    .await
    .map_err(|e| api_error(e.into()))?;
    Ok(HttpResponse::Ok().json(decision))
}

/// `GET /api/v1/audit/verify`: walks the whole audit chain, which costs a read of
/// every row, so admins only (security review L5).
pub async fn verify_audit(
    _caller: AdminOnly,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let result = audit::verify(&state.db, state.audit_key(), None)
        .await
        .map_err(|e| api_error(e.into()))?;
    Ok(HttpResponse::Ok().json(match result {
        Ok(v) => serde_json::json!({ "intact": true, "rows": v.rows, "keyed_rows": v.keyed_rows, "head": v.head }),
        Err(broken) => serde_json::json!({ "intact": false, "first_broken_row": broken.id, "problem": broken.problem }),
    }))
}

/// The repository a rule's scope (`repo:OWNER/NAME`) names; `None` for global and
/// organisation rules, which only admins change.
fn scope_project(scope: &str) -> Option<&str> {
    scope.trim().strip_prefix("repo:")
}

fn api_error(err: PolicyError) -> ApiError {
    match &err {
        PolicyError::Invalid(_) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_rule",
            err.to_string(),
        ),
        PolicyError::NotFound(_) => {
            ApiError::new(StatusCode::NOT_FOUND, "rule_not_found", err.to_string())
        }
        PolicyError::Database(_) => {
            ApiError::internal(StatusCode::SERVICE_UNAVAILABLE, "storage_unavailable", &err)
        }
    }
}
