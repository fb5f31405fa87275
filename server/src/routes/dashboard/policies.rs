//! Policies (`/dashboard/policies`): the operator's rules by scope, adding and
//! deleting them (`services::policies`, which audits each change: repository
//! rules by that repository's maintainers, organisation and global rules by admins),
//! and the "what would happen" form, answered by `services::policies::explain` as
//! `/api/v1/policies/explain` is. A reader with only team grants sees the built-in
//! and global rules, the rules of their repositories and of those repositories'
//! organisations (`services::policies::visible_rule`), and may ask the form only about their
//! repositories (another answers 404).
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::access::{can, User};
use super::view::{render, see_other, DashError, Nav};
use crate::auth::{Principal, Role};
use crate::policy::store as rules;
use crate::policy::{Decision, Permission, Rule, RuleScope};
use crate::services::policies::{self, visible_rule, PolicyError, RuleForm};
use crate::services::AppState;

/// A rule as the page shows it.
#[derive(Debug)]
pub struct RuleView {
    /// Its id.
    pub id: i64,
    /// `global`, `org:NAME`, `repo:OWNER/NAME` (or `builtin`).
    pub scope: String,
    /// The plugin, or `any`.
    pub plugin: String,
    /// The capability pattern.
    pub capability: String,
    /// `allow`, `ask` or `deny`.
    pub effect: String,
    /// Conditions, in words (empty when none).
    pub conditions: String,
    /// A global rule narrower rules may not loosen.
    pub enforced: bool,
    /// For `ask`: distinct approvals needed.
    pub approvals: u32,
    /// Whether this caller may delete it.
    pub can_delete: bool,
}

fn permission(p: Permission) -> String {
    serde_json::to_value(p)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| format!("{p:?}").to_ascii_lowercase())
}

/// Who may change rules of `scope`: maintainers of the repository for a
/// repository rule, admins for the rest.
fn may_edit(principal: &Principal, scope: &RuleScope) -> bool {
    match scope {
        RuleScope::Repo(repo) => can(principal, Role::Maintainer, Some(repo)),
        _ => can(principal, Role::Admin, None),
    }
}

fn view(rule: &Rule, principal: &Principal) -> RuleView {
    let mut conditions = Vec::new();
    if let Some(b) = &rule.conditions.branch {
        conditions.push(format!("writes branch {b}"));
    }
    if let Some(b) = &rule.conditions.event_branch {
        conditions.push(format!("event on branch {b}"));
    }
    if let Some(p) = rule.conditions.min_permission {
        conditions.push(format!("actor has at least {}", permission(p)));
    }
    RuleView {
        id: rule.id,
        scope: rule.scope.to_string(),
        plugin: rule.plugin.clone().unwrap_or_else(|| "any".into()),
        capability: rule.capability.as_str().to_owned(),
        effect: rule.effect.as_str().to_owned(),
        conditions: conditions.join(", "),
        enforced: rule.enforced,
        approvals: rule.approvals,
        can_delete: rule.id > 0 && may_edit(principal, &rule.scope),
    }
}

/// The explain form's fields (all empty: no question asked).
#[derive(Debug, Default, Deserialize)]
pub struct ExplainQuery {
    #[serde(default)]
    plugin: String,
    #[serde(default)]
    capability: String,
    #[serde(default)]
    repository: String,
    #[serde(default)]
    permission: String,
    #[serde(default)]
    branch: String,
    #[serde(default)]
    event_branch: String,
}

/// The explain form's answer: effect, reason, the deciding rule, and every rule
/// considered with why it did or did not apply.
type Explained = (String, String, Option<RuleView>, Vec<(RuleView, String)>);

/// `pages/policies/list.html`.
#[derive(Template)]
#[template(path = "pages/policies/list.html", blocks = ["content"])]
pub struct PoliciesPage {
    nav: Nav,
    /// Rules grouped by scope, most general first.
    scopes: Vec<(String, Vec<RuleView>)>,
    q: ExplainQuery,
    decision: Option<Explained>,
    can_add: bool,
    can_add_global: bool,
}

/// `GET /dashboard/policies`, with the explain form's answer when it was asked.
pub async fn list_policies(
    user: User,
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<ExplainQuery>,
) -> Result<HttpResponse, DashError> {
    let q = q.into_inner();
    let visible = user.0.visible_projects();
    let mut all = rules::all(&state.db).await?;
    all.retain(|r| visible_rule(&visible, &r.scope));
    all.sort_by_key(|r| (scope_rank(&r.scope), r.scope.to_string(), r.id));
    let mut scopes: Vec<(String, Vec<RuleView>)> = Vec::new();
    for rule in &all {
        let name = rule.scope.to_string();
        match scopes.last_mut() {
            Some((last, rows)) if *last == name => rows.push(view(rule, &user.0)),
            _ => scopes.push((name, vec![view(rule, &user.0)])),
        }
    }
    let decision = if q.plugin.trim().is_empty()
        || q.capability.trim().is_empty()
        || q.repository.trim().is_empty()
    {
        None
    } else if !visible.shows(Some(q.repository.trim())) {
        return Err(DashError::NotFound(format!(
            "no repository {} among yours",
            q.repository.trim()
        )));
    } else {
        let permission = Some(q.permission.trim())
            .filter(|p| !p.is_empty())
            .map(|p| {
                Permission::parse(p).ok_or_else(|| {
                    DashError::BadRequest(format!(
                        "`{p}` is not a permission (read, triage, write, maintain, admin)"
                    ))
                })
            })
            .transpose()?;
        let branch = Some(q.branch.trim()).filter(|b| !b.is_empty());
        let event_branch = Some(q.event_branch.trim()).filter(|b| !b.is_empty());
        let d: Decision = policies::explain(
            &state.db,
            &visible,
            &policies::Hypothesis {
                plugin: q.plugin.trim(),
                capability: q.capability.trim(),
                declared: true,
                repository: q.repository.trim(),
                branch,
                event_branch,
                actor_permission: permission,
            },
        )
        .await?;
        let considered = d
            .considered
            .iter()
            .map(|c| {
                (
                    view(&c.rule, &user.0),
                    c.skipped_because
                        .clone()
                        .unwrap_or_else(|| "applies".into()),
                )
            })
            .collect();
        Some((
            d.effect.as_str().to_owned(),
            d.reason.clone(),
            d.rule.as_ref().map(|r| view(r, &user.0)),
            considered,
        ))
    };
    let page = PoliciesPage {
        nav: Nav::new(&user.0, "policies", super::sandbox::enabled(&state)),
        scopes,
        q,
        decision,
        can_add: can(&user.0, Role::Maintainer, None),
        can_add_global: can(&user.0, Role::Admin, None),
    };
    render(&req, &page, |p| p.as_content().render())
}

fn scope_rank(scope: &RuleScope) -> u8 {
    match scope {
        RuleScope::Builtin => 0,
        RuleScope::Global => 1,
        RuleScope::Org(_) => 2,
        RuleScope::Repo(_) => 3,
    }
}

/// The add-rule form.
#[derive(Debug, Deserialize)]
pub struct AddRuleForm {
    scope: String,
    #[serde(default)]
    plugin: String,
    capability: String,
    effect: String,
    #[serde(default)]
    branch: String,
    #[serde(default)]
    event_branch: String,
    #[serde(default)]
    min_permission: String,
    #[serde(default)]
    enforced: Option<String>,
    /// For `ask`: distinct approvals needed (blank: 1).
    #[serde(default)]
    approvals: String,
}

/// `POST /dashboard/policies`: adds a rule.
#[tracing::instrument(skip_all)]
pub async fn add_policy(
    user: User,
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<AddRuleForm>,
) -> Result<HttpResponse, DashError> {
    let form = form.into_inner();
    let scope = RuleScope::parse(form.scope.trim()).map_err(DashError::BadRequest)?;
    if !may_edit(&user.0, &scope) {
        return Err(DashError::Forbidden(match &scope {
            RuleScope::Repo(r) => format!("this needs the maintainer role on {r}"),
            _ => "organisation and global rules need the admin role".into(),
        }));
    }
    let blank = |s: String| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    let approvals = blank(form.approvals)
        .map(|n| {
            n.parse::<u32>().map_err(|_| {
                DashError::BadRequest(format!("approvals must be a number, not `{n}`"))
            })
        })
        .transpose()?;
    let rule = RuleForm {
        scope: form.scope.trim().to_owned(),
        plugin: blank(form.plugin),
        capability: form.capability.trim().to_owned(),
        effect: form.effect.trim().to_owned(),
        branch: blank(form.branch),
        event_branch: blank(form.event_branch),
        min_permission: blank(form.min_permission),
        enforced: form.enforced.is_some(),
        approvals,
    };
    policies::add(&state.db, state.audit_key(), &user.0.actor(), rule)
        .await
        .map_err(dash_error)?;
    Ok(see_other(&req, "/dashboard/policies"))
}

/// `POST /dashboard/policies/{id}/delete`.
#[tracing::instrument(skip_all, fields(rule = *id))]
pub async fn delete_policy(
    user: User,
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, DashError> {
    policies::remove_as(&state.db, state.audit_key(), &user.0, id.into_inner())
        .await
        .map_err(dash_error)?;
    Ok(see_other(&req, "/dashboard/policies"))
}

fn dash_error(err: PolicyError) -> DashError {
    match err {
        PolicyError::Invalid(m) => DashError::BadRequest(m),
        PolicyError::NotFound(_) => DashError::NotFound(err.to_string()),
        PolicyError::Forbidden(denied) => DashError::Forbidden(denied.to_string()),
        PolicyError::Database(ref e) => DashError::internal(e),
    }
}
