//! Project-scoped reads (Gantry issue 7): a user whose only access is a team's
//! viewer grant on one repository reads only that repository's deliveries,
//! approvals and audit rows, on the dashboard and in the JSON API, and gets 404 for
//! another repository's delivery; a user with a base viewer role and an admin read
//! both repositories. Policies (global, their organisations' and their
//! repositories' rules), "what would happen" and installations follow suit.
use std::time::Duration;

use gantry_server::auth::accounts::{self, Actor};
use gantry_server::auth::Role;
use gantry_server::db::approvals::{self, NewApproval};
use gantry_server::db::audit::{self, AuditEntry};
use gantry_server::db::installations;
use gantry_server::domain::AuditAction;
use gantry_server::services::policies::{self, RuleForm};
use reqwest::Method;
use serde_json::Value;

use crate::helpers::{delivery_id, pull_request, spawn_app, AppOptions, Plugins, Session, TestApp};

/// A pull request delivery of `owner/name` (kept in that case, as GitHub sends it).
async fn deliver(app: &TestApp, owner: &str, name: &str) -> String {
    let mut v: Value = serde_json::from_slice(&pull_request(1, "opened")).unwrap();
    v["repository"]["name"] = name.into();
    v["repository"]["full_name"] = format!("{owner}/{name}").into();
    v["repository"]["owner"]["login"] = owner.into();
    let id = delivery_id();
    assert_eq!(
        app.post_webhook("pull_request", &id, &serde_json::to_vec(&v).unwrap())
            .await
            .status(),
        202
    );
    id
}

struct World {
    /// Deliveries of `Acme/One` (stored in that case; the grant is lower-case).
    one: Vec<String>,
    /// Deliveries of `acme/two`.
    two: Vec<String>,
}

async fn world(app: &TestApp) -> World {
    let mut one = Vec::new();
    let mut two = Vec::new();
    for _ in 0..3 {
        one.push(deliver(app, "Acme", "One").await);
        two.push(deliver(app, "acme", "two").await);
    }
    app.wait_for_idle_queue(Duration::from_secs(20)).await;
    let db = &app.state.db;
    for (id, repo, delivery) in [
        ("ap_visible_one", "Acme/One", &one[0]),
        ("ap_visible_two", "acme/two", &two[0]),
    ] {
        let action = r#"{"kind":"comment"}"#;
        approvals::create(
            db,
            NewApproval {
                public_id: id,
                delivery_id: delivery,
                plugin: "hooks",
                capability: "issues:write",
                repository: repo,
                action,
                requested_by: &[],
                pull_number: None,
                head_sha: None,
                decided_on: None,
                approvals_required: 1,
            },
        )
        .await
        .unwrap();
    }
    for (marker, project) in [
        ("visibility.one", "Acme/One"),
        ("visibility.two", "acme/two"),
    ] {
        let entry = AuditEntry::new(Actor::user("tester", None), AuditAction::CommandRefused)
            .project(project)
            .details(marker);
        audit::record(db, app.state.audit_key(), entry)
            .await
            .unwrap();
    }
    let cli = Actor::cli();
    app.create_user("tess", None).await;
    accounts::create_team(db, app.state.audit_key(), &cli, "one-viewers")
        .await
        .unwrap();
    accounts::add_member(db, app.state.audit_key(), &cli, "one-viewers", "tess")
        .await
        .unwrap();
    accounts::grant(
        db,
        app.state.audit_key(),
        &cli,
        "one-viewers",
        "acme/one",
        Some(Role::Viewer),
    )
    .await
    .unwrap();
    World { one, two }
}

async fn get(app: &TestApp, who: &Session, path: &str) -> (u16, String) {
    let answer = app.as_user(who, Method::GET, path).send().await.unwrap();
    (answer.status().as_u16(), answer.text().await.unwrap())
}

async fn get_json(app: &TestApp, who: &Session, path: &str) -> Value {
    let (status, body) = get(app, who, path).await;
    assert_eq!(status, 200, "{path}: {body}");
    serde_json::from_str(&body).unwrap()
}

/// Every delivery id the API lists for `who`, walking the keyset pages `limit` at a time.
async fn api_deliveries(app: &TestApp, who: &Session, limit: u64) -> Vec<String> {
    let mut ids = Vec::new();
    let mut before: Option<i64> = None;
    loop {
        let path = match before {
            Some(b) => format!("/api/v1/deliveries?limit={limit}&before={b}"),
            None => format!("/api/v1/deliveries?limit={limit}"),
        };
        let page = get_json(app, who, &path).await;
        let items = page["deliveries"].as_array().unwrap().clone();
        if items.is_empty() {
            return ids;
        }
        ids.extend(
            items
                .iter()
                .map(|d| d["delivery_id"].as_str().unwrap().to_owned()),
        );
        before = items.last().and_then(|d| d["id"].as_i64());
    }
}

/// Checks that `who` reads everything of `Acme/One` and, as `sees_two` says, all or
/// nothing of `acme/two`: dashboard deliveries, approvals, audit page and export,
/// API deliveries (keyset pages) and approvals, and the delivery details.
async fn check(app: &TestApp, who: &Session, w: &World, sees_two: bool) {
    let login = &who.login;
    let (status, deliveries) = get(app, who, "/dashboard/deliveries").await;
    assert_eq!(status, 200);
    for id in &w.one {
        assert!(
            deliveries.contains(id.as_str()),
            "{login} sees acme/one's delivery {id} on the dashboard"
        );
    }
    for id in &w.two {
        assert_eq!(
            deliveries.contains(id.as_str()),
            sees_two,
            "{login} and acme/two's delivery {id} on the dashboard"
        );
    }

    let (_, approvals_page) = get(app, who, "/dashboard/approvals").await;
    assert!(
        approvals_page.contains("ap_visible_one"),
        "{login} sees acme/one's approval"
    );
    assert_eq!(
        approvals_page.contains("ap_visible_two"),
        sees_two,
        "{login} and acme/two's approval"
    );

    let (_, audit_page) = get(app, who, "/dashboard/audit?actor=tester").await;
    assert!(
        audit_page.contains("visibility.one"),
        "{login} sees acme/one's audit row"
    );
    assert_eq!(
        audit_page.contains("visibility.two"),
        sees_two,
        "{login} and acme/two's audit row"
    );
    let (_, export) = get(app, who, "/dashboard/audit/export.json?actor=tester").await;
    let exported: Vec<Value> = serde_json::from_str(&export).unwrap();
    assert_eq!(
        exported.len(),
        if sees_two { 2 } else { 1 },
        "{login}'s audit export: {export}"
    );

    let listed = api_deliveries(app, who, 2).await;
    let mut expected: Vec<String> = w.one.clone();
    if sees_two {
        expected.extend(w.two.iter().cloned());
    }
    let (mut got, mut want) = (listed.clone(), expected);
    got.sort();
    want.sort();
    assert_eq!(
        got, want,
        "{login}'s API deliveries, paged 2 at a time, each exactly once"
    );

    let approvals_api = get_json(app, who, "/api/v1/approvals").await;
    let repos: Vec<&str> = approvals_api["approvals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["repository"].as_str().unwrap())
        .collect();
    assert!(repos.contains(&"Acme/One"), "{login}: {repos:?}");
    assert_eq!(repos.contains(&"acme/two"), sees_two, "{login}: {repos:?}");

    let two_status = if sees_two { 200 } else { 404 };
    let (status, _) = get(app, who, &format!("/dashboard/deliveries/{}", w.two[0])).await;
    assert_eq!(
        status, two_status,
        "{login} opens acme/two's delivery on the dashboard"
    );
    let (status, _) = get(app, who, &format!("/api/v1/deliveries/{}", w.two[0])).await;
    assert_eq!(
        status, two_status,
        "{login} opens acme/two's delivery in the API"
    );
    let (status, _) = get(app, who, &format!("/dashboard/deliveries/{}", w.one[0])).await;
    assert_eq!(
        status, 200,
        "{login} opens acme/one's delivery on the dashboard"
    );
    let (status, _) = get(app, who, &format!("/api/v1/deliveries/{}", w.one[0])).await;
    assert_eq!(status, 200, "{login} opens acme/one's delivery in the API");
}

#[tokio::test]
async fn a_team_viewer_reads_only_their_repository_and_others_read_all() {
    let app = spawn_app(AppOptions {
        plugins: Plugins::None,
        ..AppOptions::default()
    })
    .await;
    let w = world(&app).await;

    let tess = app.sign_in_as("tess").await;
    check(&app, &tess, &w, false).await;
    app.create_user("val", Some(Role::Viewer)).await;
    let val = app.sign_in_as("val").await;
    check(&app, &val, &w, true).await;
    app.create_user("ada", Some(Role::Admin)).await;
    let ada = app.sign_in_as("ada").await;
    check(&app, &ada, &w, true).await;

    // The overview's waiting approvals count only what the reader sees.
    let (_, tess_overview) = get(&app, &tess, "/dashboard/overview/live").await;
    let (_, ada_overview) = get(&app, &ada, "/dashboard/overview/live").await;
    assert_ne!(
        tess_overview, ada_overview,
        "the counters differ between a team viewer and an admin"
    );
}

#[tokio::test]
async fn a_user_without_a_grant_on_any_seen_repository_reads_nothing_of_them() {
    let app = spawn_app(AppOptions {
        plugins: Plugins::None,
        ..AppOptions::default()
    })
    .await;
    let w = world(&app).await;
    let cli = Actor::cli();
    app.create_user("otto", None).await;
    accounts::create_team(&app.state.db, app.state.audit_key(), &cli, "elsewhere")
        .await
        .unwrap();
    accounts::add_member(
        &app.state.db,
        app.state.audit_key(),
        &cli,
        "elsewhere",
        "otto",
    )
    .await
    .unwrap();
    accounts::grant(
        &app.state.db,
        app.state.audit_key(),
        &cli,
        "elsewhere",
        "other/place",
        Some(Role::Maintainer),
    )
    .await
    .unwrap();
    let otto = app.sign_in_as("otto").await;
    assert!(api_deliveries(&app, &otto, 50).await.is_empty());
    let (_, deliveries) = get(&app, &otto, "/dashboard/deliveries").await;
    assert!(
        !w.one
            .iter()
            .chain(&w.two)
            .any(|id| deliveries.contains(id.as_str())),
        "otto sees no delivery"
    );
    let approvals_api = get_json(&app, &otto, "/api/v1/approvals").await;
    assert_eq!(approvals_api["approvals"].as_array().unwrap().len(), 0);
    let (_, audit_page) = get(&app, &otto, "/dashboard/audit").await;
    assert!(
        !audit_page.contains("visibility."),
        "otto sees no audit row of another project"
    );
}

#[tokio::test]
async fn policies_installations_and_explain_follow_the_same_projects() {
    let app = spawn_app(AppOptions {
        plugins: Plugins::None,
        ..AppOptions::default()
    })
    .await;
    let _ = world(&app).await;
    let db = &app.state.db;
    for scope in [
        "global",
        "org:acme",
        "org:other",
        "repo:acme/one",
        "repo:acme/two",
    ] {
        let form = RuleForm {
            scope: scope.into(),
            plugin: None,
            capability: "issues:write".into(),
            effect: "ask".into(),
            branch: None,
            event_branch: None,
            min_permission: None,
            enforced: false,
            approvals: None,
        };
        policies::add(
            db,
            app.state.audit_key(),
            &gantry_server::domain::Actor::user("tester", None),
            form,
        )
        .await
        .unwrap();
    }
    installations::upsert(
        db,
        11,
        "acme",
        Some(vec!["Acme/One".into(), "acme/two".into()]),
        false,
    )
    .await
    .unwrap();
    installations::upsert(db, 12, "other", Some(vec!["other/x".into()]), false)
        .await
        .unwrap();
    let tess = app.sign_in_as("tess").await;
    app.create_user("val", Some(Role::Viewer)).await;
    let val = app.sign_in_as("val").await;

    for (who, others) in [(&tess, false), (&val, true)] {
        let listed: Vec<String> = get_json(&app, who, "/api/v1/policies").await["policies"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| match r["scope"]["name"].as_str() {
                Some(name) => format!("{}:{name}", r["scope"]["kind"].as_str().unwrap()),
                None => r["scope"]["kind"].as_str().unwrap().to_owned(),
            })
            .collect();
        let (_, page) = get(&app, who, "/dashboard/policies").await;
        for scope in ["global", "org:acme", "repo:acme/one"] {
            assert!(
                listed.iter().any(|l| l == scope),
                "{} lists {scope}: {listed:?}",
                who.login
            );
            assert!(
                page.contains(scope),
                "{}'s policies page shows {scope}",
                who.login
            );
        }
        for scope in ["org:other", "repo:acme/two"] {
            assert_eq!(
                listed.iter().any(|l| l == scope),
                others,
                "{} and {scope}: {listed:?}",
                who.login
            );
            assert_eq!(
                page.contains(scope),
                others,
                "{}'s policies page and {scope}",
                who.login
            );
        }
        let explain =
            "/api/v1/policies/explain?plugin=hooks&capability=issues:write&repository=acme/two";
        let (status, _) = get(&app, who, explain).await;
        assert_eq!(
            status,
            if others { 200 } else { 404 },
            "{} asks about acme/two",
            who.login
        );
        let (status, _) = get(
            &app,
            who,
            "/api/v1/policies/explain?plugin=hooks&capability=issues:write&repository=ACME/one",
        )
        .await;
        assert_eq!(status, 200, "{} asks about acme/one", who.login);

        let installs = get_json(&app, who, "/api/v1/installations").await;
        let installs = installs["installations"].as_array().unwrap();
        if others {
            assert_eq!(installs.len(), 2);
        } else {
            assert_eq!(
                installs.len(),
                1,
                "tess sees only the installation listing acme/one: {installs:?}"
            );
            assert_eq!(installs[0]["repositories"], serde_json::json!(["Acme/One"]));
        }
    }
}

#[tokio::test]
async fn viewer_cannot_read_another_organisations_rules_through_explain() {
    let app = spawn_app(AppOptions {
        plugins: Plugins::None,
        ..AppOptions::default()
    })
    .await;
    let _ = world(&app).await;
    for scope in [
        "org:other",
        "repo:other/secret",
        "repo:acme/two",
        "repo:acme/one",
    ] {
        let form = RuleForm {
            scope: scope.into(),
            plugin: Some("hooks".into()),
            capability: "issues:write".into(),
            effect: "deny".into(),
            branch: None,
            event_branch: None,
            min_permission: None,
            enforced: false,
            approvals: None,
        };
        policies::add(
            &app.state.db,
            app.state.audit_key(),
            &gantry_server::domain::Actor::user("tester", None),
            form,
        )
        .await
        .unwrap();
    }
    let tess = app.sign_in_as("tess").await;
    let explained = get_json(
        &app,
        &tess,
        "/api/v1/policies/explain?plugin=hooks&capability=issues:write&repository=acme/one",
    )
    .await;
    let text = explained.to_string();
    for hidden in ["other/secret", "\"other\"", "acme/two"] {
        assert!(
            !text.contains(hidden),
            "explain shows tess {hidden}: {explained}"
        );
    }
    assert_eq!(explained["effect"], "deny", "{explained}");
    assert!(
        text.contains("acme/one"),
        "their own repository's rule is still explained: {explained}"
    );
}
