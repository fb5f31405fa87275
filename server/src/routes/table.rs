//! The route table: every route the server mounts, with the access it requires.
//! `routes::config` mounts exactly these rows, in order, so nothing is served that
//! the table does not list; the integration test `access` walks every row as an
//! anonymous caller, a viewer, a maintainer and an admin and checks the status
//! against the row's access, and the unit test below fails if a route is mounted
//! anywhere but here.
//!
//! Adding a route is one line in [`ROUTES`]:
//! ```text
//! row!(GET "/dashboard/plugins/{name}" => dashboard::plugins::show_plugin, Access::Role(Role::Viewer)),
//! ```
//! The handler's module must be visible from here (`pub(super) mod ...` in its
//! area). The [`enforce`] middleware applies the row's access before the handler
//! runs (before its body is read): signed in, and the row's role on at least one
//! project. The handler states the same with its extractor (`AnyViewer`,
//! `AnyMaintainer`, `AdminOnly`, or `Principal`) and checks the project the request
//! concerns with `Principal::require`. A route that needs more than a method and a
//! handler (a resource with a default service, static files) uses a hand-written
//! [`RouteRow`] with its own `mount`.
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::web;

use super::{api, auth, dashboard, error, health, metrics, webhooks};
use crate::auth::{AuthError, Role};

/// Who may use a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not.
    Public,
    /// Anyone signed in, whatever their role.
    SignedIn,
    /// Signed in with at least this role on some project (`Admin`: the admin role).
    Role(Role),
    /// At least this role on the project the request concerns (named in its path
    /// or found from the record it names). Callers without the role on any project
    /// are refused before the record is looked up.
    ProjectRole(Role),
}

/// One mounted route.
#[derive(Debug, Clone)]
pub struct RouteRow {
    /// The HTTP method.
    pub method: Method,
    /// The path pattern, as actix writes it (`/api/v1/plugins/{name}`).
    pub path: &'static str,
    /// Who may use it.
    pub access: Access,
    /// Registers the route.
    pub mount: fn(&mut web::ServiceConfig),
}

/// A row for `cfg.route(path, web::method(METHOD).to(handler))`.
macro_rules! row {
    ($method:ident $path:literal => $handler:path, $access:expr) => {
        RouteRow {
            method: Method::$method,
            path: $path,
            access: $access,
            mount: |cfg: &mut web::ServiceConfig| {
                cfg.route($path, web::method(Method::$method).to($handler));
            },
        }
    };
}

const VIEWER: Access = Access::Role(Role::Viewer);
const MAINTAINER: Access = Access::ProjectRole(Role::Maintainer);
const ADMIN: Access = Access::Role(Role::Admin);

/// Every route, in mounting order.
pub static ROUTES: &[RouteRow] = &[
    RouteRow {
        method: Method::POST,
        path: "/webhooks/github",
        access: Access::Public,
        mount: |cfg: &mut web::ServiceConfig| {
            cfg.service(
                web::resource("/webhooks/github")
                    .route(web::post().to(webhooks::receive_webhook))
                    .default_service(web::to(error::method_not_allowed)),
            );
        },
    },
    row!(GET "/health/live" => health::live, Access::Public),
    row!(GET "/health/ready" => health::ready, Access::Public),
    row!(GET "/metrics" => metrics::render_metrics, Access::Public),
    // Signing in and out.
    row!(GET "/login" => auth::login::show_login, Access::Public),
    row!(POST "/login" => auth::login::submit_login, Access::Public),
    row!(POST "/logout" => auth::logout::logout, Access::SignedIn),
    row!(GET "/api/v1/me" => auth::me::show_me, Access::SignedIn),
    // The JSON API, and its OpenAPI document (no data in it, so public).
    row!(GET "/api/v1/openapi.json" => api::openapi::show_openapi, Access::Public),
    row!(GET "/api/v1/deliveries" => api::deliveries::list_deliveries, VIEWER),
    row!(GET "/api/v1/deliveries/{delivery_id}" => api::deliveries::show_delivery, VIEWER),
    row!(POST "/api/v1/deliveries/{delivery_id}/replay" => api::deliveries::replay_delivery, ADMIN),
    row!(POST "/api/v1/deliveries/{delivery_id}/cancel" => api::deliveries::cancel_delivery, ADMIN),
    row!(GET "/api/v1/approvals" => api::approvals::list_approvals, VIEWER),
    row!(POST "/api/v1/approvals/{id}/approve" => api::approvals::approve_action, MAINTAINER),
    row!(POST "/api/v1/approvals/{id}/deny" => api::approvals::deny_action, MAINTAINER),
    row!(GET "/api/v1/policies" => api::policies::list_policies, VIEWER),
    row!(POST "/api/v1/policies" => api::policies::create_policy, MAINTAINER),
    row!(GET "/api/v1/policies/explain" => api::policies::explain_policy, VIEWER),
    row!(DELETE "/api/v1/policies/{id}" => api::policies::delete_policy, MAINTAINER),
    row!(GET "/api/v1/audit/verify" => api::policies::verify_audit, ADMIN),
    row!(GET "/api/v1/installations" => api::installations::list_installations, VIEWER),
    row!(GET "/api/v1/plugins" => api::plugins::list_plugins, VIEWER),
    row!(POST "/api/v1/plugins" => api::plugins::install_plugin, ADMIN),
    row!(GET "/api/v1/plugins/{name}" => api::plugins::show_plugin, VIEWER),
    row!(PUT "/api/v1/plugins/{name}" => api::plugins::upgrade_plugin, ADMIN),
    row!(DELETE "/api/v1/plugins/{name}" => api::plugins::remove_plugin, ADMIN),
    row!(POST "/api/v1/plugins/{name}/enable" => api::plugins::enable_plugin, MAINTAINER),
    row!(POST "/api/v1/plugins/{name}/disable" => api::plugins::disable_plugin, MAINTAINER),
    row!(PUT "/api/v1/plugins/{name}/config" => api::plugins::configure_all, ADMIN),
    row!(PUT "/api/v1/plugins/{name}/projects/{owner}/{repo}" => api::plugins::configure_project, MAINTAINER),
    // The dashboard (routes/dashboard): pages are readable by viewers; each write
    // checks the role on the project it concerns.
    row!(GET "/" => dashboard::home, Access::Public),
    row!(GET "/static/{file:.*}" => dashboard::assets::serve_static, Access::Public),
    row!(GET "/dashboard" => dashboard::overview::show_overview, VIEWER),
    row!(GET "/dashboard/overview/live" => dashboard::overview::overview_live, VIEWER),
    row!(GET "/dashboard/approvals" => dashboard::approvals::list_approvals, VIEWER),
    row!(GET "/dashboard/approvals/live" => dashboard::approvals::approvals_live, VIEWER),
    row!(POST "/dashboard/approvals/{id}/approve" => dashboard::approvals::approve_approval, MAINTAINER),
    row!(POST "/dashboard/approvals/{id}/deny" => dashboard::approvals::deny_approval, MAINTAINER),
    row!(GET "/dashboard/projects" => dashboard::projects::list_projects, VIEWER),
    row!(GET "/dashboard/projects/{owner}/{repo}" => dashboard::projects::show_project, VIEWER),
    row!(GET "/dashboard/plugins" => dashboard::plugins::list_plugins, VIEWER),
    row!(POST "/dashboard/plugins/upload" => dashboard::plugins::upload_plugin, ADMIN),
    row!(POST "/dashboard/plugins/confirm" => dashboard::plugins::confirm_plugin, ADMIN),
    row!(GET "/dashboard/plugins/{name}" => dashboard::plugins::show_plugin, VIEWER),
    row!(POST "/dashboard/plugins/{name}/enable" => dashboard::plugins::enable_plugin, MAINTAINER),
    row!(POST "/dashboard/plugins/{name}/disable" => dashboard::plugins::disable_plugin, MAINTAINER),
    row!(POST "/dashboard/plugins/{name}/config" => dashboard::plugins::configure_plugin, MAINTAINER),
    row!(GET "/dashboard/policies" => dashboard::policies::list_policies, VIEWER),
    row!(POST "/dashboard/policies" => dashboard::policies::add_policy, MAINTAINER),
    row!(POST "/dashboard/policies/{id}/delete" => dashboard::policies::delete_policy, MAINTAINER),
    row!(GET "/dashboard/audit" => dashboard::audit::list_audit, VIEWER),
    row!(GET "/dashboard/audit/verify" => dashboard::audit::verify_chain, ADMIN),
    row!(GET "/dashboard/audit/export.csv" => dashboard::audit::export_csv, VIEWER),
    row!(GET "/dashboard/audit/export.json" => dashboard::audit::export_json, VIEWER),
    row!(GET "/dashboard/deliveries" => dashboard::deliveries::list_deliveries, VIEWER),
    row!(GET "/dashboard/deliveries/live" => dashboard::deliveries::deliveries_live, VIEWER),
    row!(GET "/dashboard/deliveries/{delivery_id}" => dashboard::deliveries::show_delivery, VIEWER),
    row!(POST "/dashboard/deliveries/{delivery_id}/replay" => dashboard::deliveries::replay_delivery, MAINTAINER),
    row!(POST "/dashboard/deliveries/{delivery_id}/cancel" => dashboard::deliveries::cancel_delivery, MAINTAINER),
    row!(GET "/dashboard/dead-letters" => dashboard::deliveries::list_dead_letters, VIEWER),
    row!(GET "/dashboard/recovered" => dashboard::recovered::list_recovered, ADMIN),
    row!(GET "/dashboard/app" => dashboard::app::show_app, ADMIN),
    row!(GET "/dashboard/models" => dashboard::models::show_models, ADMIN),
    row!(GET "/dashboard/app/callback" => dashboard::app::app_callback, ADMIN),
    row!(GET "/dashboard/commands" => dashboard::commands::list_commands, VIEWER),
    row!(GET "/dashboard/users" => dashboard::accounts::list_accounts, ADMIN),
    row!(POST "/dashboard/users" => dashboard::accounts::create_user, ADMIN),
    row!(POST "/dashboard/users/{login}/role" => dashboard::accounts::set_user_role, ADMIN),
    row!(POST "/dashboard/users/{login}/github" => dashboard::accounts::link_github, ADMIN),
    row!(POST "/dashboard/users/{login}/sessions/reset" => dashboard::accounts::reset_sessions, ADMIN),
    row!(POST "/dashboard/users/{login}/disable" => dashboard::accounts::disable_user, ADMIN),
    row!(POST "/dashboard/users/{login}/enable" => dashboard::accounts::enable_user, ADMIN),
    row!(POST "/dashboard/teams" => dashboard::accounts::create_team, ADMIN),
    row!(POST "/dashboard/teams/{team}/members" => dashboard::accounts::add_member, ADMIN),
    row!(POST "/dashboard/teams/{team}/members/{login}/remove" => dashboard::accounts::remove_member, ADMIN),
    row!(POST "/dashboard/teams/{team}/grants" => dashboard::accounts::grant_role, ADMIN),
    row!(GET "/dashboard/sandbox" => dashboard::sandbox::show_sandbox, VIEWER),
    row!(POST "/dashboard/sandbox/send" => dashboard::sandbox::send_event, MAINTAINER),
];

/// The middleware that enforces each row's access before the handler runs (and so
/// before its body is read): 401 (or the way to `/login`) for anonymous callers of
/// any route that is not public, 403 for callers without the row's role on at least
/// one project. Handlers still check the project a request concerns. Mounted in
/// `startup`, inside `routes::auth::middleware::admit`, which resolves the caller.
///
/// # Errors
/// An [`AuthError`] refusing the request.
pub async fn enforce(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    match refusal(&req) {
        // Answered here, not passed up as an error, so the middleware around it
        // (the hardening headers) sees a response.
        Some(refused) => Ok(req.error_response(refused).map_into_right_body()),
        None => next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body),
    }
}

/// Why the route table refuses `req`, if it does.
fn refusal(req: &ServiceRequest) -> Option<AuthError> {
    let row = req.match_pattern().and_then(|pattern| {
        ROUTES
            .iter()
            .find(|r| r.path == pattern && r.method == *req.method())
    });
    let need = match row.map(|r| r.access) {
        None | Some(Access::Public) => None,
        Some(Access::SignedIn) => Some(None),
        Some(Access::Role(role) | Access::ProjectRole(role)) => Some(Some(role)),
    };
    let role = need?;
    let Some(principal) = super::auth::resolved(req.request()) else {
        return Some(super::auth::signed_out(req.request()));
    };
    role.and_then(|role| principal.require(role, None).err().map(AuthError::from))
}

/// Mounts every row of [`ROUTES`].
pub fn mount(cfg: &mut web::ServiceConfig) {
    for row in ROUTES {
        (row.mount)(cfg);
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::ROUTES;

    fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                sources(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    /// Routes are mounted by the table alone: no other file under `routes/` calls
    /// actix's mounting functions, so no route can escape the access walk.
    #[test]
    fn no_route_is_mounted_outside_the_table() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/routes");
        let mut files = Vec::new();
        sources(&root, &mut files);
        let forbidden = [
            "web::resource(",
            "web::scope(",
            ".route(",
            ".service(",
            "web::get()",
            "web::post()",
        ];
        for file in files.iter().filter(|f| !f.ends_with("table.rs")) {
            let text = std::fs::read_to_string(file).unwrap();
            for needle in forbidden {
                assert!(
                    !text.contains(needle),
                    "{} mounts a route itself ({needle}); add a row to routes/table.rs instead",
                    file.display()
                );
            }
        }
    }

    #[test]
    fn every_method_and_path_is_listed_once() {
        let mut seen = std::collections::HashSet::new();
        for row in ROUTES {
            assert!(
                seen.insert((row.method.clone(), row.path)),
                "{} {} is listed twice",
                row.method,
                row.path
            );
        }
    }
}
