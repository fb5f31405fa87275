//! The dashboard through HTTP, as a browser sees it: every page renders for a viewer
//! with its empty state and with data and shows a viewer no write controls; a
//! viewer's forged POST is refused; a maintainer approves a held action from the
//! approvals page and it runs once; hostile strings in payloads, titles, logins and
//! actions come out escaped (TESTPLAN A10); the audit log's keyset pages return
//! every row once; CSV and JSON export; signed-out browsers go to /login; the
//! pinned htmx is served as committed.
use std::time::Duration;

use gantry_server::db::audit::{self, AuditEntry};
use gantry_server::domain::{Actor, AuditAction};
use gantry_server::services::policies::{self, RuleForm};
use reqwest::header;
use sha2::{Digest, Sha256};

use crate::helpers::{corpus_payload, delivery_id, spawn_app, AppOptions, Plugins, TestApp};

const SCRIPT: &str = "<script>alert(1)</script>";
const SCRIPT_ESCAPED: &str = "&#60;script&#62;alert(1)&#60;/script&#62;";
const IMG: &str = "\"><img src=x onerror=alert(1)>";
const IMG_ESCAPED: &str = "&#34;&#62;&#60;img src=x onerror=alert(1)&#62;";
const PROJECT: &str = "Codertocat/Hello-World";

/// A signed-in browser: the session cookie and the session's CSRF token.
pub(crate) struct Browser {
    base: String,
    http: reqwest::Client,
    cookie: String,
    csrf: String,
}

/// Signs `login` in with a real session row and a session token signed by the
/// server's key. `role`: `admin`, `viewer` (on every project) or `maintainer` of
/// `PROJECT` through a team.
pub(crate) async fn sign_in(app: &TestApp, login: &str, role: &str) -> Browser {
    use gantry_server::db::accounts;
    let db = &app.state.db;
    let new = accounts::NewUser {
        login: login.into(),
        password_hash: None,
        admin: role == "admin",
        base_role: (role == "viewer").then(|| "viewer".into()),
    };
    let user = accounts::create_user(db, new).await.unwrap();
    if role == "maintainer" {
        let team = accounts::create_team(db, &format!("{login}-team"))
            .await
            .unwrap();
        accounts::add_member(db, team.id, user.id).await.unwrap();
        accounts::grant(db, team.id, &PROJECT.to_ascii_lowercase(), "maintainer")
            .await
            .unwrap();
    }
    session_for(app, user.id).await
}

/// A new session for an existing user.
async fn sign_in_again(app: &TestApp, login: &str) -> Browser {
    let user = gantry_server::db::accounts::find_user_by_login(&app.state.db, login)
        .await
        .unwrap()
        .unwrap();
    session_for(app, user.id).await
}

async fn session_for(app: &TestApp, user_id: i64) -> Browser {
    let sid = gantry_server::auth::session::new_session_id();
    gantry_server::db::sessions::insert_session(
        &app.state.db,
        &sid,
        user_id,
        chrono::Utc::now() + chrono::Duration::hours(1),
    )
    .await
    .unwrap();
    let token = app.state.session_keys.issue(&sid, user_id, 3600).unwrap();
    Browser {
        base: app.address.clone(),
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        cookie: format!("{}={token}", gantry_server::auth::session::PLAIN_COOKIE),
        csrf: app.state.session_keys.csrf_token(&sid),
    }
}

impl Browser {
    pub(crate) async fn get(&self, path: &str) -> (u16, String) {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .header(header::COOKIE, &self.cookie)
            .header(header::ACCEPT, "text/html")
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    /// A form post from the dashboard itself, with the session's CSRF token.
    async fn post(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let mut form: Vec<(&str, &str)> = vec![("csrf", &self.csrf)];
        form.extend_from_slice(fields);
        self.http
            .post(format!("{}{path}", self.base))
            .header(header::COOKIE, &self.cookie)
            .header(header::ORIGIN, &self.base)
            .form(&form)
            .send()
            .await
            .unwrap()
    }
}

/// The page's `<main>`: what the signed-in person's role decides (the header holds
/// only navigation and the sign-out form).
pub(crate) fn main_of(html: &str) -> &str {
    let start = html.find("<main").expect("a page has <main>");
    let end = html.rfind("</main>").expect("</main>");
    &html[start..end]
}

fn assert_read_only(path: &str, html: &str) {
    let main = main_of(html);
    assert!(
        !main.contains("<form method=\"post\""),
        "{path} shows a viewer a post form:\n{main}"
    );
    assert!(
        !main.contains("hx-post"),
        "{path} shows a viewer an hx-post control"
    );
    let posts: Vec<&str> = html
        .match_indices("<form method=\"post\"")
        .map(|(i, _)| &html[i..(i + 60).min(html.len())])
        .collect();
    assert!(
        posts.iter().all(|f| f.contains("action=\"/logout\"")),
        "the only post form outside <main> is sign-out: {posts:?}"
    );
}

const PAGES: &[(&str, &str)] = &[
    ("/dashboard", "No deliveries in the last hour"),
    ("/dashboard/projects", "No repositories yet"),
    ("/dashboard/plugins", "No plugins installed"),
    ("/dashboard/policies", "No policy rules yet"),
    (
        "/dashboard/approvals",
        "No approvals waiting. Held actions appear here when a policy says ask.",
    ),
    ("/dashboard/deliveries", "No deliveries yet"),
    ("/dashboard/dead-letters", "No dead letters"),
    ("/dashboard/audit", "No audit rows yet"),
    ("/dashboard/commands", "No repositories yet, so no commands"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_shows_a_viewer_its_empty_state_and_no_write_controls() {
    let app = spawn_app(AppOptions {
        plugins: Plugins::None,
        ..AppOptions::default()
    })
    .await;
    let viewer = sign_in(&app, "vera", "viewer").await;
    for (path, empty) in PAGES {
        let (status, html) = viewer.get(path).await;
        assert_eq!(status, 200, "{path}: {html}");
        assert!(
            html.contains(empty),
            "{path} lacks its empty state {empty:?}"
        );
        assert!(
            html.contains(&format!(
                "hx-headers='{{&#34;X-CSRF-Token&#34;:&#34;{}&#34;}}'",
                viewer.csrf
            )),
            "{path}: body carries the CSRF header for htmx"
        );
        assert_read_only(path, &html);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_with_data_render_for_a_viewer_without_write_controls() {
    let app = spawn_app(AppOptions::default()).await;
    let id = delivery_id();
    assert_eq!(
        app.post_webhook("issues", &id, &corpus_payload("issues/opened.payload.json"))
            .await
            .status(),
        202
    );
    app.wait_for_idle_queue(Duration::from_secs(30)).await;
    policies::add(
        &app.state.db,
        app.state.audit_key(),
        &gantry_server::domain::Actor::user("test", None),
        rule("repo:codertocat/hello-world", "ask"),
    )
    .await
    .unwrap();
    let viewer = sign_in(&app, "vera", "viewer").await;
    let expect: &[(&str, &str)] = &[
        ("/dashboard", "deliveries in the last hour"),
        ("/dashboard/projects", PROJECT),
        ("/dashboard/plugins", "hooks"),
        ("/dashboard/plugins/hooks", "Capabilities"),
        ("/dashboard/policies", "repo:codertocat/hello-world"),
        ("/dashboard/deliveries", &id),
        (
            &format!("/dashboard/deliveries/{id}"),
            "&#34;action&#34;: &#34;opened&#34;",
        ),
        ("/dashboard/audit", "policy.created"),
    ];
    for (path, text) in expect {
        let (status, html) = viewer.get(path).await;
        assert_eq!(status, 200, "{path}");
        assert!(html.contains(text), "{path} lacks {text:?}");
        assert_read_only(path, &html);
    }
    let (_, overview) = viewer.get("/dashboard/overview/live").await;
    assert!(
        overview.contains("<span class=\"h100\""),
        "the chart has this minute's delivery: {overview}"
    );
}

fn rule(scope: &str, effect: &str) -> RuleForm {
    RuleForm {
        scope: scope.into(),
        plugin: None,
        capability: "issues:write".into(),
        effect: effect.into(),
        branch: None,
        event_branch: None,
        min_permission: None,
        enforced: false,
        approvals: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewers_forged_posts_are_refused_even_with_a_valid_csrf_token() {
    let app = spawn_app(AppOptions {
        plugins: Plugins::None,
        ..AppOptions::default()
    })
    .await;
    let viewer = sign_in(&app, "vera", "viewer").await;
    let add = viewer
        .post(
            "/dashboard/policies",
            &[
                ("scope", "repo:codertocat/hello-world"),
                ("capability", "issues:write"),
                ("effect", "allow"),
            ],
        )
        .await;
    assert_eq!(add.status(), 403);
    assert!(
        gantry_server::policy::store::all(&app.state.db)
            .await
            .unwrap()
            .is_empty(),
        "no rule was added"
    );
    let id = policies::add(
        &app.state.db,
        app.state.audit_key(),
        &gantry_server::domain::Actor::user("test", None),
        rule("global", "deny"),
    )
    .await
    .unwrap();
    assert_eq!(
        viewer
            .post(&format!("/dashboard/policies/{id}/delete"), &[])
            .await
            .status(),
        403
    );
    assert_eq!(
        gantry_server::policy::store::all(&app.state.db)
            .await
            .unwrap()
            .len(),
        1,
        "the rule is still there"
    );
    // A maintainer of one project may not write global policy either.
    let maintainer = sign_in(&app, "mia", "maintainer").await;
    assert_eq!(
        maintainer
            .post(&format!("/dashboard/policies/{id}/delete"), &[])
            .await
            .status(),
        403
    );
    let ok = maintainer
        .post(
            "/dashboard/policies",
            &[
                ("scope", "repo:codertocat/hello-world"),
                ("capability", "issues:write"),
                ("effect", "allow"),
            ],
        )
        .await;
    assert_eq!(
        ok.status(),
        303,
        "a maintainer adds a rule on their own project"
    );
    assert_eq!(
        audit::with_action(&app.state.db, "policy.created")
            .await
            .unwrap()
            .iter()
            .filter(|r| r.actor == "mia")
            .count(),
        1,
        "one audit row"
    );
}

/// Opens the corpus issue under an `ask` rule for asker; returns the approval id.
async fn held_comment(app: &TestApp) -> String {
    policies::add(
        &app.state.db,
        app.state.audit_key(),
        &gantry_server::domain::Actor::user("test", None),
        RuleForm {
            plugin: Some("asker".into()),
            ..rule("global", "ask")
        },
    )
    .await
    .unwrap();
    let id = delivery_id();
    assert_eq!(
        app.post_webhook("issues", &id, &corpus_payload("issues/opened.payload.json"))
            .await
            .status(),
        202
    );
    app.wait_for_idle_queue(Duration::from_secs(30)).await;
    let pending = gantry_server::db::approvals::list(
        &app.state.db,
        Some(gantry_server::domain::ApprovalStatus::Pending),
    )
    .await
    .unwrap();
    assert_eq!(pending.len(), 1, "one held action");
    pending[0].public_id.clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_maintainer_approves_a_held_action_on_the_approvals_page_and_it_runs_once() {
    let app = spawn_app(AppOptions {
        plugins: Plugins::Named(&["asker"]),
        ..AppOptions::default()
    })
    .await;
    let approval = held_comment(&app).await;
    let viewer = sign_in(&app, "vera", "viewer").await;
    let (_, html) = viewer.get("/dashboard/approvals").await;
    assert!(
        html.contains(&approval) && html.contains("&#34;kind&#34;: &#34;create_comment&#34;"),
        "the queue shows the exact action: {html}"
    );
    assert_read_only("/dashboard/approvals", &html);
    assert_eq!(
        viewer
            .post(&format!("/dashboard/approvals/{approval}/approve"), &[])
            .await
            .status(),
        403
    );
    let (_, commands) = viewer.get("/dashboard/commands").await;
    assert!(
        commands.contains(PROJECT) && commands.contains("asker") && commands.contains("poke"),
        "asker's command is listed for the repository"
    );
    assert_eq!(app.sim.write_count(), 0, "nothing ran for the viewer");

    let maintainer = sign_in(&app, "mia", "maintainer").await;
    let (_, html) = maintainer.get("/dashboard/approvals").await;
    assert!(
        html.contains(&format!(
            "action=\"/dashboard/approvals/{approval}/approve\""
        )),
        "a maintainer gets the approve form"
    );
    let approve = maintainer
        .post(
            &format!("/dashboard/approvals/{approval}/approve"),
            &[("reason", "looks right")],
        )
        .await;
    assert_eq!(approve.status(), 303);
    assert_eq!(approve.headers()[header::LOCATION], "/dashboard/approvals");
    let number =
        serde_json::from_slice::<serde_json::Value>(&corpus_payload("issues/opened.payload.json"))
            .unwrap()["issue"]["number"]
            .as_u64()
            .unwrap();
    let comments = app
        .sim
        .issue_comments("Codertocat", "Hello-World", number)
        .unwrap()
        .len();
    assert_eq!(comments, 1, "the held comment was posted once");
    let again = maintainer
        .post(&format!("/dashboard/approvals/{approval}/approve"), &[])
        .await;
    assert_eq!(again.status(), 409, "an executed approval cannot run again");
    assert_eq!(
        app.sim
            .issue_comments("Codertocat", "Hello-World", number)
            .unwrap()
            .len(),
        1
    );
    let approved = audit::with_action(&app.state.db, "approval.approved")
        .await
        .unwrap();
    assert_eq!(approved.len(), 1);
    assert_eq!(approved[0].actor, "mia");
    let (_, html) = maintainer.get("/dashboard/approvals").await;
    assert!(
        html.contains("No approvals waiting") && html.contains("looks right"),
        "decided history shows the reason"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_strings_are_escaped_on_every_page_that_shows_them() {
    let app = spawn_app(AppOptions {
        plugins: Plugins::None,
        ..AppOptions::default()
    })
    .await;
    let hostile = format!("{SCRIPT}{IMG}");
    let mut payload: serde_json::Value =
        serde_json::from_slice(&corpus_payload("issues/opened.payload.json")).unwrap();
    payload["issue"]["title"] = hostile.clone().into();
    payload["sender"]["login"] = hostile.clone().into();
    let id = delivery_id();
    assert_eq!(
        app.post_webhook("issues", &id, &serde_json::to_vec(&payload).unwrap())
            .await
            .status(),
        202
    );
    audit::record(
        &app.state.db,
        app.state.audit_key(),
        AuditEntry::new(Actor::github(&hostile), AuditAction::CommandRefused)
            .details(hostile.clone()),
    )
    .await
    .unwrap();
    let action = serde_json::json!({"kind": "create_comment", "owner": "o", "repo": "r", "number": 1, "body": hostile, "marker": "m"}).to_string();
    gantry_server::db::approvals::create(
        &app.state.db,
        gantry_server::db::approvals::NewApproval {
            public_id: "ap_hostile",
            delivery_id: &id,
            plugin: "asker",
            capability: "issues:write",
            repository: &hostile,
            action: &action,
            requested_by: &[],
            pull_number: None,
            head_sha: None,
            decided_on: None,
            approvals_required: 1,
        },
    )
    .await
    .unwrap();
    let admin = sign_in(&app, "ada", "admin").await;
    for path in [
        format!("/dashboard/deliveries/{id}"),
        "/dashboard/approvals".into(),
        "/dashboard/audit".into(),
        "/dashboard/audit?actor=".to_owned() + &urlencode(&hostile),
    ] {
        let (status, html) = admin.get(&path).await;
        assert_eq!(status, 200, "{path}");
        assert!(
            !html.contains(SCRIPT) && !html.contains("<img src=x"),
            "{path} carries a raw injection"
        );
        assert!(
            html.contains(SCRIPT_ESCAPED),
            "{path} lacks the escaped script"
        );
        assert!(
            html.contains("&#60;img src=x onerror=alert(1)&#62;"),
            "{path} lacks the escaped img"
        );
    }
    let (_, audit_page) = admin.get("/dashboard/audit").await;
    assert!(
        audit_page.contains(IMG_ESCAPED),
        "the attribute breakout is escaped too"
    );
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The ids of the audit rows on a page, in order.
fn row_ids(html: &str) -> Vec<i64> {
    html.match_indices("<tr data-id=\"")
        .map(|(i, m)| {
            html[i + m.len()..]
                .split('"')
                .next()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect()
}

fn next_link(html: &str) -> Option<String> {
    let i = html.find("<a href=\"?")?;
    let rest = &html[i + "<a href=\"".len()..];
    Some(rest.split('"').next().unwrap().replace("&#38;", "&"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_pages_return_every_row_exactly_once_and_filters_hold_across_pages() {
    let app = spawn_app(AppOptions {
        plugins: Plugins::None,
        ..AppOptions::default()
    })
    .await;
    for i in 0..137 {
        let actor = if i % 3 == 0 { "carol" } else { "dave" };
        let entry = AuditEntry::new(Actor::user(actor, None), AuditAction::Login)
            .outcome("ok")
            .details(format!("row {i}"));
        audit::record(&app.state.db, app.state.audit_key(), entry)
            .await
            .unwrap();
    }
    let admin = sign_in(&app, "ada", "admin").await;
    for (query, expected) in [("limit=25", 137), ("actor=carol&limit=10", 46)] {
        let mut seen = Vec::new();
        let mut next = Some(format!("?{query}"));
        let mut pages = 0;
        while let Some(q) = next {
            let (status, html) = admin.get(&format!("/dashboard/audit{q}")).await;
            assert_eq!(status, 200);
            seen.extend(row_ids(&html));
            next = next_link(&html);
            pages += 1;
            assert!(pages < 50, "pagination does not end");
        }
        let mut unique = seen.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), seen.len(), "{query}: a row came twice");
        assert_eq!(seen.len(), expected, "{query}: every row once");
        assert!(seen.windows(2).all(|w| w[0] > w[1]), "newest first");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_log_exports_as_csv_and_json_with_its_filters() {
    let app = spawn_app(AppOptions {
        plugins: Plugins::None,
        ..AppOptions::default()
    })
    .await;
    for i in 0..1203 {
        let actor = if i % 2 == 0 {
            "carol"
        } else {
            "dave, \"the\" =tester"
        };
        let entry = AuditEntry::new(Actor::user(actor, None), AuditAction::Logout);
        audit::record(&app.state.db, app.state.audit_key(), entry)
            .await
            .unwrap();
    }
    let admin = sign_in(&app, "ada", "admin").await;
    let (status, json) = admin
        .get("/dashboard/audit/export.json?action=auth.logout")
        .await;
    assert_eq!(status, 200);
    let rows: Vec<serde_json::Value> = serde_json::from_str(&json).unwrap();
    assert_eq!(rows.len(), 1203, "every row, across export chunks");
    let (_, csv) = admin.get("/dashboard/audit/export.csv?actor=carol").await;
    let lines: Vec<&str> = csv.trim_end().split("\r\n").collect();
    assert!(lines[0].starts_with("id,at,actor,"));
    assert_eq!(lines.len(), 1 + 602);
    let (_, csv) = admin
        .get("/dashboard/audit/export.csv?actor=dave%2C%20%22the%22%20%3Dtester")
        .await;
    assert!(
        csv.contains(",\"'dave, \"\"the\"\" =tester\",")
            || csv.contains(",\"dave, \"\"the\"\" =tester\","),
        "quoted: {}",
        &csv[..300.min(csv.len())]
    );
    let (status, _) = admin.get("/dashboard/audit?from=yesterday").await;
    assert_eq!(status, 400, "a bad date is a clear error");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_out_browser_is_sent_to_login_and_htmx_is_told_to_go_there() {
    let app = spawn_app(AppOptions {
        plugins: Plugins::None,
        ..AppOptions::default()
    })
    .await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = http
        .get(format!("{}/dashboard/audit?actor=x", app.address))
        .header(header::ACCEPT, "text/html,application/xhtml+xml")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 303);
    assert_eq!(
        page.headers()[header::LOCATION],
        "/login?next=%2Fdashboard%2Faudit%3Factor%3Dx"
    );
    let htmx = http
        .get(format!("{}/dashboard/approvals/live", app.address))
        .header("HX-Request", "true")
        .send()
        .await
        .unwrap();
    assert_eq!(htmx.status(), 401);
    assert!(htmx.headers()["HX-Redirect"]
        .to_str()
        .unwrap()
        .starts_with("/login"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pinned_htmx_is_served_as_committed_with_long_caching() {
    let app = spawn_app(AppOptions {
        plugins: Plugins::None,
        ..AppOptions::default()
    })
    .await;
    let versions = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../web/static/VERSIONS"
    ))
    .unwrap();
    let pinned = versions
        .lines()
        .find(|l| l.starts_with("htmx.org"))
        .unwrap()
        .split_whitespace()
        .last()
        .unwrap()
        .to_owned();
    let response = reqwest::get(format!("{}/static/htmx.min.js", app.address))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .contains("javascript"));
    assert!(response.headers()[header::CACHE_CONTROL]
        .to_str()
        .unwrap()
        .contains("max-age=31536000"));
    let body = response.bytes().await.unwrap();
    assert_eq!(
        hex::encode(Sha256::digest(&body)),
        pinned,
        "the served htmx is the pinned release"
    );
    assert_eq!(
        reqwest::get(format!("{}/static/../Cargo.toml", app.address))
            .await
            .unwrap()
            .status(),
        404
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_manages_users_and_teams_and_each_change_is_audited_once() {
    let app = spawn_app(AppOptions {
        plugins: Plugins::None,
        ..AppOptions::default()
    })
    .await;
    let admin = sign_in(&app, "ada", "admin").await;
    let viewer = sign_in(&app, "vera", "viewer").await;
    assert_eq!(
        viewer.get("/dashboard/users").await.0,
        403,
        "viewers do not see accounts"
    );
    assert_eq!(
        viewer
            .post(
                "/dashboard/users",
                &[("login", "sneaky"), ("role", "admin")]
            )
            .await
            .status(),
        403
    );
    let (status, html) = admin.get("/dashboard/users").await;
    assert_eq!(status, 200);
    assert!(html.contains("vera") && html.contains("No teams yet"));
    assert!(
        html.contains("href=\"/dashboard/users\""),
        "admins get the users link"
    );
    for (path, fields) in [
        (
            "/dashboard/users",
            vec![("login", "newbie"), ("role", "viewer")],
        ),
        ("/dashboard/teams", vec![("name", "devs")]),
        ("/dashboard/teams/devs/members", vec![("login", "newbie")]),
        (
            "/dashboard/teams/devs/grants",
            vec![("project", PROJECT), ("role", "maintainer")],
        ),
    ] {
        let response = admin.post(path, &fields).await;
        assert_eq!(response.status(), 303, "{path}");
    }
    let (_, html) = admin.get("/dashboard/users").await;
    assert!(
        html.contains("codertocat/hello-world")
            && html.contains(">maintainer<")
            && html.contains("newbie"),
        "{}",
        main_of(&html)
    );
    for action in [
        "user.created",
        "team.created",
        "team.member_added",
        "team.granted",
    ] {
        let rows = audit::with_action(&app.state.db, action).await.unwrap();
        assert_eq!(
            rows.iter().filter(|r| r.actor == "ada").count(),
            1,
            "{action}"
        );
    }
    assert_eq!(
        admin
            .post("/dashboard/users", &[("login", "newbie")])
            .await
            .status(),
        409,
        "a taken login"
    );
    // Signing someone out everywhere ends their session at once.
    assert_eq!(viewer.get("/dashboard").await.0, 200);
    assert_eq!(
        admin
            .post("/dashboard/users/vera/sessions/reset", &[])
            .await
            .status(),
        303
    );
    assert_eq!(
        viewer.get("/dashboard").await.0,
        303,
        "vera is sent to sign in again"
    );
    assert_eq!(
        audit::with_action(&app.state.db, "user.sessions_ended")
            .await
            .unwrap()
            .len(),
        1
    );
    // A disabled user's fresh session is refused; enabled again, they get in.
    let vera = sign_in_again(&app, "vera").await;
    assert_eq!(
        admin
            .post("/dashboard/users/vera/disable", &[])
            .await
            .status(),
        303
    );
    assert_eq!(
        vera.get("/dashboard").await.0,
        303,
        "a disabled user is signed out"
    );
    assert_eq!(
        admin
            .post("/dashboard/users/vera/enable", &[])
            .await
            .status(),
        303
    );
    let vera = sign_in_again(&app, "vera").await;
    assert_eq!(vera.get("/dashboard").await.0, 200);
    assert_eq!(
        admin
            .post("/dashboard/users/ada/disable", &[])
            .await
            .status(),
        400,
        "an admin cannot lock themselves out"
    );
    assert_eq!(
        audit::with_action(&app.state.db, "user.disabled")
            .await
            .unwrap()
            .len(),
        1
    );
}

/// Sandbox mode is said, not inferred: a server that is not started as a sandbox
/// has no sandbox page, even with a delivery observer (the simulator) attached.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_not_started_as_a_sandbox_has_no_sandbox_page_even_with_an_observer() {
    let app = spawn_app(AppOptions {
        sandbox: false,
        ..AppOptions::default()
    })
    .await;
    assert!(app.state.observer.is_some());
    let maintainer = sign_in(&app, "mia", "maintainer").await;
    let (status, _) = maintainer.get("/dashboard/sandbox").await;
    assert_eq!(status, 404);
    let (_, overview) = maintainer.get("/dashboard").await;
    assert!(
        !overview.contains("/dashboard/sandbox"),
        "the navigation offers no sandbox page"
    );
    let sent = maintainer
        .post(
            "/dashboard/sandbox/send",
            &[("template", "issue-opened"), ("repository", PROJECT)],
        )
        .await;
    assert_eq!(sent.status(), 404);
    assert_eq!(app.job_count().await, 0, "nothing was sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sandbox_page_sends_a_signed_event_that_is_stored_and_processed() {
    let app = spawn_app(AppOptions::default()).await;
    let viewer = sign_in(&app, "vera", "viewer").await;
    let (status, html) = viewer.get("/dashboard/sandbox").await;
    assert_eq!(status, 200);
    assert_read_only("/dashboard/sandbox", &html);
    let maintainer = sign_in(&app, "mia", "maintainer").await;
    assert_eq!(
        maintainer
            .post(
                "/dashboard/sandbox/send",
                &[("template", "issue-opened"), ("repository", "someone/else")]
            )
            .await
            .status(),
        403,
        "only on their own project"
    );
    for (template, event) in [
        ("issue-opened", "issues"),
        ("pr-opened", "pull_request"),
        ("comment-command", "issue_comment"),
        ("pr-comment-command", "issue_comment"),
        ("push", "push"),
    ] {
        let sent = maintainer
            .post(
                "/dashboard/sandbox/send",
                &[
                    ("template", template),
                    ("repository", PROJECT),
                    ("title", SCRIPT),
                ],
            )
            .await;
        assert_eq!(sent.status(), 303, "{template}");
        let to = sent.headers()[header::LOCATION]
            .to_str()
            .unwrap()
            .to_owned();
        let id = to.strip_prefix("/dashboard/deliveries/").unwrap();
        let stored = gantry_server::db::deliveries::find_by_delivery_id(&app.state.db, id)
            .await
            .unwrap()
            .expect("the delivery was stored");
        assert_eq!(stored.event, event);
        assert_eq!(stored.repository.as_deref(), Some(PROJECT));
        let (status, html) = maintainer.get(&to).await;
        assert_eq!(status, 200);
        assert!(!html.contains(SCRIPT), "{template}: the title is escaped");
    }
    app.wait_for_idle_queue(Duration::from_secs(30)).await;
    assert_eq!(app.job_count().await, 5);
}

/// The sandbox page's pull request is GitHub's whole payload, and its pull request
/// comment reaches a command that only pull requests take (`/hold`, commands plugin).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sandbox_pages_pull_request_and_its_comment_run_a_pull_request_only_command() {
    let app = spawn_app(AppOptions {
        plugins: Plugins::Named(&["commands"]),
        ..AppOptions::default()
    })
    .await;
    let maintainer = sign_in(&app, "mia", "maintainer").await;
    let send = |template: &'static str, comment: &'static str| {
        let maintainer = &maintainer;
        async move {
            let sent = maintainer
                .post(
                    "/dashboard/sandbox/send",
                    &[
                        ("template", template),
                        ("repository", PROJECT),
                        ("number", "7"),
                        ("comment", comment),
                    ],
                )
                .await;
            assert_eq!(sent.status(), 303, "{template}");
            let to = sent.headers()[header::LOCATION]
                .to_str()
                .unwrap()
                .to_owned();
            to.strip_prefix("/dashboard/deliveries/")
                .unwrap()
                .to_owned()
        }
    };
    let opened = send("pr-opened", "").await;
    let stored = gantry_server::db::deliveries::find_by_delivery_id(&app.state.db, &opened)
        .await
        .unwrap()
        .unwrap();
    let payload: serde_json::Value = serde_json::from_slice(&stored.payload).unwrap();
    assert!(
        payload["pull_request"]["additions"].is_u64()
            && payload["pull_request"]["changed_files"].is_u64(),
        "{}",
        payload["pull_request"]
    );
    app.wait_for_idle_queue(Duration::from_secs(30)).await;
    app.grant(PROJECT, "mia", "write").await;

    // On the issue of the same number, /hold is not for it: nothing is labelled.
    send("comment-command", "/hold").await;
    app.wait_for_idle_queue(Duration::from_secs(30)).await;
    let labels = app
        .sim
        .issue_labels("Codertocat", "Hello-World", 7)
        .unwrap_or_default();
    assert!(
        !labels.iter().any(|l| l == "do-not-merge/hold"),
        "{labels:?}"
    );

    send("pr-comment-command", "/hold").await;
    app.wait_for_idle_queue(Duration::from_secs(30)).await;
    let labels = app
        .sim
        .issue_labels("Codertocat", "Hello-World", 7)
        .unwrap_or_default();
    assert!(
        labels.iter().any(|l| l == "do-not-merge/hold"),
        "{labels:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_plugin_page_saves_its_generated_form_and_escapes_what_it_shows() {
    let app = spawn_app(AppOptions {
        plugins: Plugins::Named(&["configured"]),
        ..AppOptions::default()
    })
    .await;
    let admin = sign_in(&app, "ada", "admin").await;
    let (_, html) = admin.get("/dashboard/plugins/configured").await;
    assert!(
        html.contains("name=\"f.greeting\"") && html.contains("type=\"checkbox\" name=\"f.loud\""),
        "the form comes from the schema"
    );
    let hostile = format!("{SCRIPT}{IMG}");
    let saved = admin
        .post(
            "/dashboard/plugins/configured/config",
            &[
                ("project", "*"),
                ("f.greeting", &hostile),
                ("f.loud", "true"),
            ],
        )
        .await;
    assert_eq!(saved.status(), 303);
    let actor = Actor::cli();
    let plugins = gantry_server::services::installed::PluginAdmin {
        db: &app.state.db,
        compiled: &app.state.plugins,
        max_component_bytes: 1 << 24,
        actor: &actor,
        audit_key: app.state.audit_key(),
    };
    let all = plugins
        .show("configured")
        .await
        .unwrap()
        .status
        .projects
        .into_iter()
        .find(|p| p.project == "*")
        .unwrap();
    assert_eq!(
        all.effective_config,
        serde_json::json!({"greeting": hostile, "loud": true})
    );
    let bad = admin
        .post(
            "/dashboard/plugins/configured/config",
            &[("project", "*"), ("f.greeting", "")],
        )
        .await;
    assert_eq!(
        bad.status(),
        303,
        "an empty text field is left out, so the default applies"
    );
    let viewer = sign_in(&app, "vera", "viewer").await;
    let (status, html) = viewer.get("/dashboard/plugins/configured").await;
    assert_eq!(status, 200);
    assert_read_only("/dashboard/plugins/configured", &html);
    admin
        .post(
            "/dashboard/plugins/configured/config",
            &[("project", "*"), ("f.greeting", &hostile)],
        )
        .await;
    for who in [&admin, &viewer] {
        let (_, html) = who.get("/dashboard/plugins/configured").await;
        assert!(
            !html.contains(SCRIPT) && !html.contains("<img src=x"),
            "a raw injection on the plugin page"
        );
        assert!(html.contains(SCRIPT_ESCAPED));
    }
    // Switches: a maintainer on their project only; the whole plugin is for admins.
    let maintainer = sign_in(&app, "mia", "maintainer").await;
    assert_eq!(
        maintainer
            .post(
                "/dashboard/plugins/configured/disable",
                &[("project", PROJECT)]
            )
            .await
            .status(),
        303
    );
    assert_eq!(
        maintainer
            .post(
                "/dashboard/plugins/configured/disable",
                &[("project", "someone/else")]
            )
            .await
            .status(),
        403
    );
    assert_eq!(
        maintainer
            .post("/dashboard/plugins/configured/disable", &[])
            .await
            .status(),
        403
    );
    assert_eq!(
        maintainer
            .post(
                "/dashboard/plugins/configured/config",
                &[("project", "*"), ("f.greeting", "x")]
            )
            .await
            .status(),
        403
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_uploaded_plugin_shows_its_manifest_and_is_installed_only_on_confirmation() {
    let app = spawn_app(AppOptions {
        plugins: Plugins::None,
        ..AppOptions::default()
    })
    .await;
    let admin = sign_in(&app, "ada", "admin").await;
    let wasm = crate::helpers::built_wasm("test-plugins", "asker");
    let boundary = "gantry-test-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{}\r\n",
        admin.csrf
    )
    .into_bytes();
    body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"component\"; filename=\"asker.wasm\"\r\nContent-Type: application/wasm\r\n\r\n").as_bytes());
    body.extend_from_slice(&wasm);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let upload = admin
        .http
        .post(format!("{}/dashboard/plugins/upload", admin.base))
        .header(header::COOKIE, &admin.cookie)
        .header(header::ORIGIN, &admin.base)
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(upload.status(), 200);
    let html = upload.text().await.unwrap();
    assert!(
        html.contains("Install asker") && html.contains("<code>issues:write</code>"),
        "the manifest and capabilities are shown"
    );
    assert!(
        gantry_server::db::plugins::find(&app.state.db, "asker")
            .await
            .unwrap()
            .is_none(),
        "nothing installed before confirming"
    );
    let digest = html
        .split("name=\"digest\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let confirm = admin
        .post("/dashboard/plugins/confirm", &[("digest", &digest)])
        .await;
    assert_eq!(confirm.status(), 303);
    assert_eq!(
        confirm.headers()[header::LOCATION],
        "/dashboard/plugins/asker"
    );
    assert!(gantry_server::db::plugins::find(&app.state.db, "asker")
        .await
        .unwrap()
        .is_some());
    assert_eq!(
        audit::with_action(&app.state.db, "plugin.installed")
            .await
            .unwrap()
            .iter()
            .filter(|r| r.actor == "ada")
            .count(),
        1
    );
    assert_eq!(
        admin
            .post(
                "/dashboard/plugins/confirm",
                &[("digest", "../../etc/passwd")]
            )
            .await
            .status(),
        400
    );
    let maintainer = sign_in(&app, "mia", "maintainer").await;
    assert_eq!(
        maintainer
            .post("/dashboard/plugins/confirm", &[("digest", &digest)])
            .await
            .status(),
        403
    );
}
