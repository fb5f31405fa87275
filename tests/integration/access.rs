//! The route table walked (TESTPLAN A7): every route the server mounts, as an
//! anonymous caller, a viewer, a maintainer and an admin, with its own method. The
//! answer must match the row's access exactly: anonymous callers get 401 (or a 303
//! to /login for pages), too low a role gets 403, enough gets neither. That no
//! route escapes the table is checked by `routes::table`'s unit test (routes are
//! mounted from the table alone).
use gantry_server::auth::Role;
use gantry_server::routes::table::{Access, ROUTES};
use reqwest::Method;

use crate::helpers::{spawn_app, AppOptions, Plugins, Session, TestApp};

/// The path with every `{param}` (and `{param:regex}`) replaced by a value.
fn concrete(pattern: &str) -> String {
    let mut out = String::new();
    let mut rest = pattern;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..].find('}').map_or(rest.len(), |c| open + c);
        out.push('1');
        rest = &rest[(close + 1).min(rest.len())..];
    }
    out.push_str(rest);
    out
}

fn needed(access: Access) -> Option<Role> {
    match access {
        Access::Public | Access::SignedIn => None,
        Access::Role(r) | Access::ProjectRole(r) => Some(r),
    }
}

async fn call(app: &TestApp, method: &Method, path: &str, who: Option<&Session>) -> (u16, String) {
    let url = format!("{}{path}", app.address);
    let mut request = match who {
        Some(session) => app.as_user(session, method.clone(), path),
        None => app
            .browser()
            .request(method.clone(), &url)
            .header("origin", app.origin()),
    };
    request = request.header("accept", "text/html,application/json");
    if who.is_some() && path.starts_with("/api/") && *method != Method::GET {
        // A write that names a project, so maintainers' project checks can pass.
        request = request.json(&serde_json::json!({ "project": "acme/app" }));
    }
    if path == "/webhooks/github" {
        // Signed, so the answer is about access, not the signature.
        let body = br#"{"zen":"walk","hook_id":1}"#;
        request = request
            .header("x-github-event", "ping")
            .header("x-github-delivery", uuid::Uuid::new_v4().to_string())
            .header(
                "x-hub-signature-256",
                gantry_server::github::signature::sign(crate::helpers::SECRET.as_bytes(), body),
            )
            .header("content-type", "application/json")
            .body(body.to_vec());
    }
    let answer = request.send().await.unwrap();
    let status = answer.status().as_u16();
    let location = answer
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, location)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_answers_each_role_as_the_route_table_says() {
    let app = spawn_app(AppOptions {
        plugins: Plugins::None,
        ..AppOptions::default()
    })
    .await;
    let mut failures = Vec::new();
    for row in ROUTES {
        let path = concrete(row.path);
        let method = Method::from_bytes(row.method.as_str().as_bytes()).unwrap();
        // Anonymous.
        let (status, location) = call(&app, &method, &path, None).await;
        let refused = status == 401 || (status == 303 && location.starts_with("/login"));
        match row.access {
            Access::Public if status == 401 || status == 403 => failures.push(format!(
                "{} {path} anonymous: {status} for a public route",
                row.method
            )),
            Access::Public => {}
            _ if !refused => failures.push(format!(
                "{} {path} anonymous: {status} {location}, expected 401 or a redirect to /login",
                row.method
            )),
            _ => {}
        }
        // Each role, on a fresh session (a route may end the session it is called with).
        for role in Role::ALL {
            let session = app.sign_in(Some(role)).await;
            let (status, location) = call(&app, &method, &path, Some(&session)).await;
            let allowed = needed(row.access).is_none_or(|need| role >= need);
            let ok = if allowed {
                status != 401 && status != 403
            } else {
                status == 403
            };
            if !ok {
                let expected = if allowed {
                    "neither 401 nor 403"
                } else {
                    "403"
                };
                failures.push(format!(
                    "{} {path} as {role}: {status} {location}, expected {expected}",
                    row.method
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_in_user_without_any_role_reaches_only_public_and_signed_in_routes() {
    let app = spawn_app(AppOptions {
        plugins: Plugins::None,
        ..AppOptions::default()
    })
    .await;
    let nobody = app.sign_in(None).await;
    for row in ROUTES.iter().filter(|r| {
        matches!(r.access, Access::Role(_) | Access::ProjectRole(_)) && r.method.as_str() == "GET"
    }) {
        let path = concrete(row.path);
        let (status, _) = call(&app, &Method::GET, &path, Some(&nobody)).await;
        assert_eq!(status, 403, "GET {path} without a role");
    }
    assert_eq!(
        call(&app, &Method::GET, "/api/v1/me", Some(&nobody))
            .await
            .0,
        200
    );
}

#[test]
fn parameters_are_filled_in() {
    assert_eq!(
        concrete("/api/v1/plugins/{name}/projects/{owner}/{repo}"),
        "/api/v1/plugins/1/projects/1/1"
    );
    assert_eq!(concrete("/static/{file:.*}"), "/static/1");
}
