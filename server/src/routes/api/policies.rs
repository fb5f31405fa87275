//! `/api/v1/policies`: the operator's rules, and "what would happen" explanations.
//! A caller with only team grants lists the built-in and global rules and those of
//! their repositories and their organisations, and may explain only their
//! repositories (another answers 404). Who may add or delete a rule is decided by
//! `services::policies::{add_as, remove_as}`. The audit chain's status is global.
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::audit::{self, Head};
use crate::policy::{Decision, Permission, Rule};
use crate::routes::auth::{AdminOnly, AnyMaintainer, AnyViewer};
use crate::routes::error::{ApiError, ApiErrorCode};
use crate::services::policies::{self, PolicyError, RuleForm};
use crate::services::AppState;

/// The operator's rules.
#[derive(Debug, Serialize, ToSchema)]
pub struct PoliciesResponse {
    /// Oldest first.
    pub policies: Vec<Rule>,
}

/// A rule was added.
#[derive(Debug, Serialize, ToSchema)]
pub struct PolicyCreatedResponse {
    /// The new rule's id.
    pub id: i64,
}

/// The audit chain walked from its first row.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum AuditVerifyResponse {
    /// Every row links to the one before (`intact` is true).
    Intact {
        /// True.
        intact: bool,
        /// Rows checked.
        rows: u64,
        /// How many of them are keyed.
        keyed_rows: u64,
        /// The last row.
        head: Option<Head>,
    },
    /// A row breaks the chain (`intact` is false).
    Broken {
        /// False.
        intact: bool,
        /// The first row that breaks it.
        first_broken_row: i64,
        /// How.
        problem: String,
    },
}

/// The operator's rules
///
/// Every stored rule the caller may see (another organisation's or repository's
/// rules are left out for a caller with only team grants).
#[utoipa::path(get, path = "/api/v1/policies", tag = "policies",
    responses((status = 200, description = "the rules", body = PoliciesResponse)))]
pub async fn list_policies(
    caller: AnyViewer,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let policies = policies::list_for(&state.db, &caller.visible_projects())
        .await
        .map_err(|e| api_error(e.into()))?;
    Ok(HttpResponse::Ok().json(PoliciesResponse { policies }))
}

/// Adds a rule
///
/// A `repo:` rule needs maintainer on the repository, any other admin; an `ask`
/// rule may carry `approvals` (1 to 10 distinct approvers).
#[utoipa::path(post, path = "/api/v1/policies", tag = "policies", request_body = RuleForm,
    responses((status = 201, description = "the new rule's id", body = PolicyCreatedResponse)))]
pub async fn create_policy(
    caller: AnyMaintainer,
    state: web::Data<AppState>,
    form: web::Json<RuleForm>,
) -> Result<HttpResponse, ApiError> {
    let id = policies::add_as(&state.db, state.audit_key(), &caller, form.into_inner())
        .await
        .map_err(api_error)?;
    Ok(HttpResponse::Created().json(PolicyCreatedResponse { id }))
}

/// Deletes a rule
///
/// A `repo:` rule needs maintainer on the repository, any other admin.
#[utoipa::path(delete, path = "/api/v1/policies/{id}", tag = "policies",
    params(("id" = i64, Path, description = "the rule's id")),
    responses((status = 204, description = "deleted")))]
pub async fn delete_policy(
    caller: AnyMaintainer,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    policies::remove_as(&state.db, state.audit_key(), &caller, path.into_inner())
        .await
        .map_err(api_error)?;
    Ok(HttpResponse::NoContent().finish())
}

/// Query of `GET /api/v1/policies/explain`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExplainQuery {
    /// The plugin.
    plugin: String,
    /// The capability it would use.
    capability: String,
    /// `owner/name`.
    repository: String,
    /// The branch the write changes (none when absent).
    branch: Option<String>,
    /// The event's branch.
    event_branch: Option<String>,
    /// The actor's permission (not known when absent: conditions on it fail closed).
    permission: Option<String>,
    /// Whether the plugin declares the capability (default true).
    declared: Option<bool>,
}

/// Explains a decision
///
/// What the gate would decide, the rule that made the decision and why, and every
/// rule considered that the caller may see (security review M7).
#[utoipa::path(get, path = "/api/v1/policies/explain", tag = "policies", params(ExplainQuery),
    responses((status = 200, description = "the decision", body = Decision)))]
pub async fn explain_policy(
    caller: AnyViewer,
    state: web::Data<AppState>,
    q: web::Query<ExplainQuery>,
) -> Result<HttpResponse, ApiError> {
    let visible = caller.visible_projects();
    if !visible.shows(Some(q.repository.trim())) {
        return Err(ApiError::new(
            ApiErrorCode::RepositoryNotFound,
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

/// Verifies the audit chain
///
/// Walks the whole audit chain, which costs a read of every row, so admins only
/// (security review L5): intact with its head, or the first broken row.
#[utoipa::path(get, path = "/api/v1/audit/verify", tag = "audit",
    responses((status = 200, description = "the chain's state", body = AuditVerifyResponse)))]
pub async fn verify_audit(
    _caller: AdminOnly,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let result = audit::verify(&state.db, state.audit_key(), None)
        .await
        .map_err(|e| api_error(e.into()))?;
    Ok(HttpResponse::Ok().json(match result {
        Ok(v) => AuditVerifyResponse::Intact {
            intact: true,
            rows: v.rows,
            keyed_rows: v.keyed_rows,
            head: v.head,
        },
        Err(broken) => AuditVerifyResponse::Broken {
            intact: false,
            first_broken_row: broken.id,
            problem: broken.problem,
        },
    }))
}

fn api_error(err: PolicyError) -> ApiError {
    let code = match &err {
        PolicyError::Invalid(_) => ApiErrorCode::InvalidRule,
        PolicyError::NotFound(_) => ApiErrorCode::RuleNotFound,
        PolicyError::Forbidden(_) => ApiErrorCode::Forbidden,
        PolicyError::Database(_) => return ApiError::storage(&err),
    };
    ApiError::new(code, err.to_string())
}
