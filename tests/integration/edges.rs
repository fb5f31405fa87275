//! The operator's edges (security review L6, L15, L2): `/metrics` behind a bearer
//! token when one is set, plugin metric labels kept to a safe alphabet, browser
//! hardening headers on every dashboard answer, and redirects after sign-in that
//! stay on this site.
use gantry_server::auth::accounts::Actor;
use gantry_server::auth::Role;
use gantry_server::db::audit::{self, AuditEntry};
use gantry_server::domain::{AuditAction, Secret};
use reqwest::Method;

use crate::helpers::{spawn_app, AppOptions, Plugins, TestApp};

const METRICS_TOKEN: &str = "a-metrics-scrape-token-for-tests-0123456789";

fn options(tweak: fn(&mut gantry_server::Settings)) -> AppOptions {
    AppOptions {
        plugins: Plugins::None,
        tweak: Some(tweak),
        ..AppOptions::default()
    }
}

fn metrics_token(s: &mut gantry_server::Settings) {
    s.metrics.token = Some(Secret::new(METRICS_TOKEN));
}

#[tokio::test]
async fn metrics_with_a_token_refuse_scrapes_without_it() {
    let app = spawn_app(options(metrics_token)).await;
    let url = format!("{}/metrics", app.address);
    let anonymous = app.http.get(&url).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    assert!(!anonymous.text().await.unwrap().contains("gantry_"));
    let wrong = app
        .http
        .get(&url)
        .bearer_auth("a-metrics-scrape-token-for-tests-012345678X")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let right = app
        .http
        .get(&url)
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), 200);
    assert!(right.text().await.unwrap().contains("gantry_jobs_queued"));
}

#[tokio::test]
async fn plugins_cannot_publish_free_text_through_metric_labels() {
    let app = spawn_app(AppOptions {
        plugins: Plugins::None,
        ..AppOptions::default()
    })
    .await;
    let reported = &app.state.metrics.plugin_reported;
    assert!(reported.add("prober", "runs", "main", 1));
    assert!(reported.add("prober", "runs", "v1.2-rc_3", 1));
    for exfiltrated in [
        "AWS_SECRET=abc",
        "line one\nline two",
        "with space",
        "quote\"d",
        "slash/path",
        "ünïcode",
        &"a".repeat(65),
    ] {
        assert!(
            !reported.add("prober", "runs", exfiltrated, 1),
            "label {exfiltrated:?} was accepted"
        );
        assert!(!reported.set("prober", "level", exfiltrated, 1.0));
    }
}

fn over_tls(s: &mut gantry_server::Settings) {
    s.web.secure_cookies = true;
}

/// Checks the hardening headers of one answer; `tls`: whether HSTS is expected.
fn check_headers(what: &str, answer: &reqwest::Response, tls: bool) {
    let header = |name: &str| {
        answer
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let csp = header("content-security-policy").unwrap_or_else(|| panic!("{what}: no CSP"));
    for directive in [
        "default-src 'none'",
        "script-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    ] {
        assert!(
            csp.contains(directive),
            "{what}: {directive} missing in {csp}"
        );
    }
    assert!(!csp.contains("unsafe-inline"), "{what}: {csp}");
    assert!(!csp.contains("unsafe-eval"), "{what}: {csp}");
    assert_eq!(
        header("x-content-type-options").as_deref(),
        Some("nosniff"),
        "{what}"
    );
    assert_eq!(header("x-frame-options").as_deref(), Some("DENY"), "{what}");
    assert_eq!(
        header("referrer-policy").as_deref(),
        Some("same-origin"),
        "{what}"
    );
    let hsts = header("strict-transport-security");
    if tls {
        assert!(
            hsts.is_some_and(|h| h.contains("max-age=")),
            "{what}: HSTS over TLS"
        );
    } else {
        assert_eq!(hsts, None, "{what}: HSTS over plain HTTP");
    }
}

/// A page's HTML runs no inline script or style, and turns htmx's eval off.
fn check_page(what: &str, html: &str) {
    let lower = html.to_ascii_lowercase();
    for (i, _) in lower.match_indices("<script") {
        let tag = &lower[i..i + lower[i..].find('>').unwrap()];
        assert!(tag.contains(" src="), "{what}: inline script {tag}");
    }
    assert!(!lower.contains(" style="), "{what}: inline style attribute");
    assert!(!lower.contains("<style"), "{what}: inline style element");
    assert!(
        !lower.contains(" onclick=") && !lower.contains(" onload="),
        "{what}"
    );
}

async fn hardened_answers(app: &TestApp, tls: bool) {
    app.create_user("ada", Some(Role::Admin)).await;
    let ada = app.sign_in_as("ada").await;
    let login = app
        .http
        .get(format!("{}/login", app.address))
        .send()
        .await
        .unwrap();
    check_headers("/login", &login, tls);
    check_page("/login", &login.text().await.unwrap());
    for path in [
        "/dashboard",
        "/dashboard/deliveries",
        "/dashboard/approvals",
        "/dashboard/policies",
        "/dashboard/plugins",
        "/dashboard/audit",
        "/dashboard/users",
        "/dashboard/deliveries/no-such-delivery",
    ] {
        let answer = app.as_user(&ada, Method::GET, path).send().await.unwrap();
        check_headers(path, &answer, tls);
        let html = answer.text().await.unwrap();
        check_page(path, &html);
        if path == "/dashboard" {
            assert!(
                html.contains(r#"<meta name="htmx-config" content='{"allowEval":false,"allowScriptTags":false"#),
                "{path}: htmx's eval and script tags stay off"
            );
        }
    }
    let fragment = app
        .as_user(&ada, Method::GET, "/dashboard/deliveries")
        .header("hx-request", "true")
        .send()
        .await
        .unwrap();
    check_headers("an htmx fragment", &fragment, tls);
    let css = app
        .http
        .get(format!("{}/static/gantry.css", app.address))
        .send()
        .await
        .unwrap();
    check_headers("/static/gantry.css", &css, tls);
}

#[tokio::test]
async fn every_dashboard_answer_carries_a_strict_content_security_policy() {
    let app = spawn_app(AppOptions {
        plugins: Plugins::None,
        ..AppOptions::default()
    })
    .await;
    hardened_answers(&app, false).await;
}

#[tokio::test]
async fn dashboard_answers_over_tls_ask_for_strict_transport_security() {
    let app = spawn_app(options(over_tls)).await;
    hardened_answers(&app, true).await;
}

#[tokio::test]
async fn csv_export_defuses_every_leading_character_a_spreadsheet_executes() {
    let app = spawn_app(AppOptions {
        plugins: Plugins::None,
        ..AppOptions::default()
    })
    .await;
    let hostile = [
        "=HYPERLINK(\"http://evil\")",
        "+1+1",
        "-2+3",
        "@SUM(A1)",
        "\t=cmd",
        "\r=cmd",
        "  =cmd",
        "\u{a0}=cmd",
    ];
    for details in hostile {
        let entry = AuditEntry::new(Actor::user("tester", None), AuditAction::CommandRefused)
            .project("acme/app")
            .details(details);
        audit::record(&app.state.db, app.state.audit_key(), entry)
            .await
            .unwrap();
    }
    app.create_user("val", Some(Role::Viewer)).await;
    let val = app.sign_in_as("val").await;
    let csv = app
        .as_user(&val, Method::GET, "/dashboard/audit/export.csv")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let fields = csv_fields(&csv);
    for details in hostile {
        let field = fields
            .iter()
            .find(|f| f.as_str() == details || f.strip_prefix('\'') == Some(details))
            .unwrap_or_else(|| panic!("{details:?} not exported: {csv}"));
        assert!(
            field.starts_with('\''),
            "{details:?} was exported as {field:?}, which a spreadsheet may run"
        );
    }
}

/// The fields of a CSV text (quoted fields unquoted).
fn csv_fields(text: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            ('"', true) => quoted = false,
            ('"', false) if field.is_empty() => quoted = true,
            (',' | '\n', false) => fields.push(std::mem::take(&mut field)),
            _ => field.push(c),
        }
    }
    fields.push(field);
    fields
}

#[tokio::test]
async fn signing_in_never_redirects_to_another_site() {
    let app = spawn_app(AppOptions {
        plugins: Plugins::None,
        ..AppOptions::default()
    })
    .await;
    app.create_user("ada", Some(Role::Viewer)).await;
    for (next, expected) in [
        ("/dashboard/approvals?x=1", "/dashboard/approvals?x=1"),
        ("/\t/evil.example", "/"),
        ("/\t\t//evil.example", "/"),
        ("//evil.example", "/"),
        ("/\\evil.example", "/"),
        ("/\u{0b}/evil.example", "/"),
        ("https://evil.example/", "/"),
        ("javascript:alert(1)", "/"),
        (" //evil.example", "/"),
        ("/ok\u{7f}", "/"),
    ] {
        let answer = app
            .browser()
            .post(format!("{}/login", app.address))
            .header("origin", app.origin())
            .form(&[
                ("login", "ada"),
                ("password", crate::helpers::TEST_PASSWORD),
                ("next", next),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 303, "{next:?}");
        assert_eq!(
            answer.headers()["location"].to_str().unwrap(),
            expected,
            "next={next:?}"
        );
    }
}
