//! Accounts and sessions (TESTPLAN A1 to A6, A8 and A9): password storage, login
//! throttling, equal answers for unknown logins and wrong passwords, forged session
//! tokens, session fixation and revocation, CSRF, one audit row per account change,
//! and no plaintext secret in the database or the logs.
use std::time::{Duration, Instant};

use gantry_server::auth::accounts::{self, Actor};
use gantry_server::auth::Role;
use gantry_server::db::entities::{audit_log, users};
use gantry_server::domain::{Secret, SecretScope};
use hmac::{Hmac, Mac};
use reqwest::Method;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Statement,
};
use sha2::Sha256;

use crate::helpers::{
    session_cookie_of, spawn_app, AppOptions, Plugins, TestApp, TEST_KEY, TEST_PASSWORD,
};

const SESSION_KEY: &str = "a-session-signing-key-for-tests-only-0123456789";

fn options(tweak: Option<fn(&mut gantry_server::Settings)>) -> AppOptions {
    AppOptions {
        plugins: Plugins::None,
        tweak,
        ..AppOptions::default()
    }
}

async fn me(app: &TestApp, cookie: &str) -> u16 {
    app.browser()
        .get(format!("{}/api/v1/me", app.address))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn audit_rows(app: &TestApp) -> Vec<audit_log::Model> {
    audit_log::Entity::find()
        .order_by_asc(audit_log::Column::Id)
        .all(&app.state.db)
        .await
        .unwrap()
}

// ---- A1 ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passwords_are_stored_as_argon2id_with_at_least_owasps_parameters() {
    let app = spawn_app(options(None)).await;
    app.create_user("ada", Some(Role::Viewer)).await;
    let row = users::Entity::find()
        .filter(users::Column::Login.eq("ada"))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    let stored = row.password_hash.unwrap();
    assert!(!stored.contains(TEST_PASSWORD));
    // $argon2id$v=19$m=...,t=...,p=...$salt$hash
    let parts: Vec<&str> = stored.split('$').collect();
    assert_eq!(parts.len(), 6, "{stored}");
    assert_eq!(parts[1], "argon2id");
    assert_eq!(parts[2], "v=19");
    let param = |name: &str| -> u32 {
        parts[3]
            .split(',')
            .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
            .unwrap_or_else(|| panic!("{name} missing in {stored}"))
            .parse()
            .unwrap()
    };
    assert!(param("m") >= 19_456, "{stored}");
    assert!(param("t") >= 2, "{stored}");
    assert!(param("p") >= 1, "{stored}");
    // And it works.
    assert_eq!(app.post_login("ada", TEST_PASSWORD).await.status(), 303);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hash_made_with_older_parameters_is_replaced_at_the_next_sign_in() {
    use sea_orm::{ActiveModelTrait, ActiveValue::Set};
    let app = spawn_app(options(None)).await;
    let id = app.create_user("veteran", Some(Role::Viewer)).await;
    // The reference implementation's argon2i vector for the password "password".
    let old = "$argon2i$v=19$m=65536,t=1,p=1$c29tZXNhbHQAAAAAAAAAAA$+r0d29hqEB0yasKr55ZgICsQGSkl0v0kgwhd+U3wyRo";
    users::ActiveModel {
        id: Set(id),
        password_hash: Set(Some(old.into())),
        ..Default::default()
    }
    .update(&app.state.db)
    .await
    .unwrap();
    assert_eq!(app.post_login("veteran", "sassword").await.status(), 401);
    let stored = || async {
        users::Entity::find_by_id(id)
            .one(&app.state.db)
            .await
            .unwrap()
            .unwrap()
            .password_hash
            .unwrap()
    };
    assert_eq!(stored().await, old, "a failed sign-in changes nothing");
    assert_eq!(app.post_login("veteran", "password").await.status(), 303);
    let now = stored().await;
    assert!(now.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{now}");
    assert_eq!(
        app.post_login("veteran", "password").await.status(),
        303,
        "the new hash verifies"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_cookies_are_http_only_same_site_and_host_prefixed_over_tls() {
    fn tls(s: &mut gantry_server::Settings) {
        s.web.secure_cookies = true;
    }
    for (tweak, name, secure) in [
        (None, "gantry_session=", false),
        (
            Some(tls as fn(&mut gantry_server::Settings)),
            "__Host-gantry_session=",
            true,
        ),
    ] {
        let app = spawn_app(options(tweak)).await;
        app.create_user("cookie", Some(Role::Viewer)).await;
        let answer = app.post_login("cookie", TEST_PASSWORD).await;
        assert_eq!(answer.status(), 303);
        let set = answer
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .find(|v| v.starts_with(name))
            .unwrap();
        let attributes: Vec<String> = set
            .split(';')
            .skip(1)
            .map(|a| a.trim().to_ascii_lowercase())
            .collect();
        assert!(attributes.contains(&"httponly".to_owned()), "{set}");
        assert!(attributes.contains(&"samesite=lax".to_owned()), "{set}");
        assert!(attributes.contains(&"path=/".to_owned()), "{set}");
        assert!(
            !attributes.iter().any(|a| a.starts_with("domain=")),
            "{set}"
        );
        assert_eq!(attributes.contains(&"secure".to_owned()), secure, "{set}");
    }
}

// ---- A2 ----

fn fast_throttle(s: &mut gantry_server::Settings) {
    s.web.trusted_proxies = vec!["127.0.0.1".into()];
    s.web.login.base_delay_ms = 1;
    s.web.login.max_delay_ms = 1;
}

async fn login_from(
    app: &TestApp,
    address: &str,
    login: &str,
    password: &str,
) -> reqwest::Response {
    app.browser()
        .post(format!("{}/login", app.address))
        .header("origin", app.origin())
        .header("x-forwarded-for", address)
        .form(&[("login", login), ("password", password)])
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_wrong_passwords_lock_the_account_and_then_even_the_right_one_is_refused() {
    let app = spawn_app(options(Some(fast_throttle))).await;
    app.create_user("target", Some(Role::Viewer)).await;
    // Each attempt from another address, so only the account's own count matters.
    for i in 0..100 {
        let status = login_from(
            &app,
            &format!("10.0.{}.{}", i / 200, i % 200 + 1),
            "target",
            "wrong password!!",
        )
        .await
        .status();
        assert_eq!(status, 401, "attempt {}", i + 1);
    }
    let refused = login_from(&app, "10.9.9.9", "target", TEST_PASSWORD).await;
    assert_eq!(refused.status(), 429, "attempt 101 with the right password");
    assert!(refused.headers().get("retry-after").is_some());
    assert!(session_cookie_of(&refused).is_none());
    // Other accounts are not affected.
    app.create_user("bystander", Some(Role::Viewer)).await;
    assert_eq!(
        login_from(&app, "10.9.9.10", "bystander", TEST_PASSWORD)
            .await
            .status(),
        303
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_failures_on_one_account_are_slowed_down() {
    let app = spawn_app(options(None)).await;
    app.create_user("slow", Some(Role::Viewer)).await;
    for i in 0..5 {
        assert_eq!(
            app.post_login("slow", "wrong password!!").await.status(),
            401,
            "attempt {}",
            i + 1
        );
    }
    // The fifth failure starts a delay (1 s by default): the next try, even right, waits.
    let sixth = app.post_login("slow", TEST_PASSWORD).await;
    assert_eq!(sixth.status(), 429);
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    assert_eq!(
        app.post_login("slow", TEST_PASSWORD).await.status(),
        303,
        "after the delay, the right password works"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_spray_from_one_address_is_throttled() {
    let app = spawn_app(options(None)).await;
    for i in 0..22 {
        app.create_user(&format!("user{i}"), Some(Role::Viewer))
            .await;
    }
    // Twenty failures across twenty accounts are answered; then the address waits.
    for i in 0..20 {
        assert_eq!(
            app.post_login(&format!("user{i}"), "Winter2026!!!!")
                .await
                .status(),
            401,
            "spray attempt {}",
            i + 1
        );
    }
    assert_eq!(
        app.post_login("user20", "Winter2026!!!!").await.status(),
        429
    );
    assert_eq!(
        app.post_login("user21", TEST_PASSWORD).await.status(),
        429,
        "the address is refused, even with a right password"
    );
}

// ---- A3 ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_login_and_a_wrong_password_get_the_same_answer_in_similar_time() {
    let app = spawn_app(options(None)).await;
    app.create_user("known", Some(Role::Viewer)).await;
    let mut unknown = Vec::new();
    let mut wrong = Vec::new();
    let mut answers = Vec::new();
    // Four of each: the account's fifth failure would start a delay.
    for _ in 0..4 {
        for (login, times) in [("nobody-here", &mut unknown), ("known", &mut wrong)] {
            let start = Instant::now();
            let answer = app.post_login(login, "not the password").await;
            times.push(start.elapsed());
            let status = answer.status();
            answers.push((login, status, answer.text().await.unwrap()));
        }
    }
    let (_, first_status, first_body) = &answers[0];
    assert_eq!(*first_status, 401);
    for (login, status, body) in &answers {
        assert_eq!(status, first_status, "{login}");
        assert_eq!(
            body, first_body,
            "{login}: the page must not tell the cases apart"
        );
    }
    let median = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let (u, w) = (median(&mut unknown), median(&mut wrong));
    let ratio = u.as_secs_f64() / w.as_secs_f64();
    assert!(
        (0.5..=2.0).contains(&ratio),
        "unknown {u:?} vs wrong password {w:?}"
    );
}

// ---- A4 ----

fn b64url(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(ABC[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

fn b64url_decode(text: &str) -> Vec<u8> {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let values: Vec<u32> = text
        .bytes()
        .map(|c| ABC.iter().position(|a| *a == c).unwrap() as u32)
        .collect();
    let mut out = Vec::new();
    for chunk in values.chunks(4) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, v)| acc | (v << (18 - 6 * i)));
        for i in 0..chunk.len() - 1 {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    out
}

fn forge(header: &serde_json::Value, claims: &serde_json::Value, key: Option<&[u8]>) -> String {
    let unsigned = format!(
        "{}.{}",
        b64url(header.to_string().as_bytes()),
        b64url(claims.to_string().as_bytes())
    );
    let signature = match key {
        Some(key) => {
            let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
            mac.update(unsigned.as_bytes());
            b64url(&mac.finalize().into_bytes())
        }
        None => String::new(),
    };
    format!("{unsigned}.{signature}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_or_stale_session_tokens_are_refused() {
    fn known_key(s: &mut gantry_server::Settings) {
        s.web.session_key = Some(Secret::new(SESSION_KEY));
    }
    let app = spawn_app(options(Some(known_key))).await;
    let session = app.sign_in(Some(Role::Viewer)).await;
    let (name, token) = session.cookie.split_once('=').unwrap();
    let claims: serde_json::Value =
        serde_json::from_slice(&b64url_decode(token.split('.').nth(1).unwrap())).unwrap();
    let now = chrono::Utc::now().timestamp();
    let hs256 = serde_json::json!({ "alg": "HS256", "typ": "JWT" });
    let with = |changes: &[(&str, serde_json::Value)], drop: &[&str]| {
        let mut c = claims.clone();
        for (k, v) in changes {
            c[*k] = v.clone();
        }
        for k in drop {
            c.as_object_mut().unwrap().remove(*k);
        }
        c
    };
    let key = SESSION_KEY.as_bytes();
    let cookie = |t: String| format!("{name}={t}");

    // The control: a token forged here with the right key and valid claims works, so
    // each refusal below is about the one thing changed.
    assert_eq!(
        me(
            &app,
            &cookie(forge(
                &hs256,
                &with(&[("exp", (now + 600).into())], &[]),
                Some(key)
            ))
        )
        .await,
        200
    );

    let cases = [
        (
            "alg none",
            forge(
                &serde_json::json!({ "alg": "none", "typ": "JWT" }),
                &claims,
                None,
            ),
        ),
        ("HS512 with the right key", {
            let unsigned = format!(
                "{}.{}",
                b64url(
                    serde_json::json!({ "alg": "HS512", "typ": "JWT" })
                        .to_string()
                        .as_bytes()
                ),
                b64url(claims.to_string().as_bytes())
            );
            let mut mac = Hmac::<sha2::Sha512>::new_from_slice(key).unwrap();
            mac.update(unsigned.as_bytes());
            format!("{unsigned}.{}", b64url(&mac.finalize().into_bytes()))
        }),
        (
            "wrong key",
            forge(
                &hs256,
                &claims,
                Some(b"another-key-another-key-another-key-0000"),
            ),
        ),
        (
            "expired 61 s ago",
            forge(&hs256, &with(&[("exp", (now - 61).into())], &[]), Some(key)),
        ),
        ("no exp", forge(&hs256, &with(&[], &["exp"]), Some(key))),
        (
            "wrong aud",
            forge(
                &hs256,
                &with(&[("aud", "someone-else".into())], &[]),
                Some(key),
            ),
        ),
        (
            "wrong iss",
            forge(
                &hs256,
                &with(&[("iss", "not-gantry".into())], &[]),
                Some(key),
            ),
        ),
        (
            "unknown session",
            forge(
                &hs256,
                &with(&[("sid", "00000000000000000000000000000000".into())], &[]),
                Some(key),
            ),
        ),
    ];
    for (what, forged) in cases {
        assert_eq!(me(&app, &cookie(forged)).await, 401, "{what}");
    }
}

// ---- A5 ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_never_adopts_a_preset_cookie_and_old_cookies_die_with_sign_out_and_role_changes() {
    let app = spawn_app(options(None)).await;
    app.create_user("eve", Some(Role::Maintainer)).await;
    let first = app.sign_in_as("eve").await;
    assert_eq!(first.login, "eve");

    // Signing in again with that cookie set: a new session, and the old one ends.
    let again = app
        .browser()
        .post(format!("{}/login", app.address))
        .header("origin", app.origin())
        .header("cookie", &first.cookie)
        .form(&[("login", "eve"), ("password", TEST_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 303);
    let second = session_cookie_of(&again).unwrap();
    assert_ne!(second, first.cookie);
    assert_eq!(
        me(&app, &first.cookie).await,
        401,
        "the session the browser came with is ended"
    );
    assert_eq!(me(&app, &second).await, 200);

    // A cookie value chosen by an attacker is never what the server hands out.
    let planted = "gantry_session=attacker-chosen-value";
    let fixed = app
        .browser()
        .post(format!("{}/login", app.address))
        .header("origin", app.origin())
        .header("cookie", planted)
        .form(&[("login", "eve"), ("password", TEST_PASSWORD)])
        .send()
        .await
        .unwrap();
    let issued = session_cookie_of(&fixed).unwrap();
    assert_ne!(issued, planted);
    assert_eq!(me(&app, planted).await, 401);

    // A role change ends every session of the user.
    let before_role_change = app.sign_in_as("eve").await;
    assert_eq!(me(&app, &before_role_change.cookie).await, 200);
    accounts::set_role(
        &app.state.db,
        app.state.audit_key(),
        &Actor::cli(),
        "eve",
        Some(Role::Viewer),
    )
    .await
    .unwrap();
    assert_eq!(
        me(&app, &before_role_change.cookie).await,
        401,
        "after a role change"
    );

    // So does a team change.
    let before_team_change = app.sign_in_as("eve").await;
    accounts::create_team(&app.state.db, app.state.audit_key(), &Actor::cli(), "core")
        .await
        .unwrap();
    accounts::add_member(
        &app.state.db,
        app.state.audit_key(),
        &Actor::cli(),
        "core",
        "eve",
    )
    .await
    .unwrap();
    assert_eq!(
        me(&app, &before_team_change.cookie).await,
        401,
        "after a team change"
    );

    // Signing out: the copied cookie is refused afterwards.
    let last = app.sign_in_as("eve").await;
    let out = app
        .as_user(&last, Method::POST, "/logout")
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 303);
    assert_eq!(me(&app, &last.cookie).await, 401, "after signing out");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_in_deletes_sessions_long_past_their_end() {
    use gantry_server::db::sessions;
    let app = spawn_app(options(None)).await;
    let id = app.create_user("tidy", Some(Role::Viewer)).await;
    let long_ago = chrono::Utc::now() - chrono::Duration::days(2);
    sessions::insert_session(
        &app.state.db,
        "00000000000000000000000000000001",
        id,
        long_ago,
    )
    .await
    .unwrap();
    sessions::insert_session(
        &app.state.db,
        "00000000000000000000000000000002",
        id,
        chrono::Utc::now() + chrono::Duration::hours(1),
    )
    .await
    .unwrap();
    app.sign_in_as("tidy").await;
    assert!(
        sessions::find_session(&app.state.db, "00000000000000000000000000000001")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        sessions::find_session(&app.state.db, "00000000000000000000000000000002")
            .await
            .unwrap()
            .is_some(),
        "a live session stays"
    );
}

// ---- A6 ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_site_posts_are_refused_and_same_site_posts_with_the_token_are_accepted() {
    let app = spawn_app(options(None)).await;
    let session = app.sign_in(Some(Role::Viewer)).await;
    let logout = format!("{}/logout", app.address);

    // A form posted from another site carries the cookie but not the token.
    let forged = app
        .browser()
        .post(&logout)
        .header("cookie", &session.cookie)
        .form(&[("x", "y")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    // Another site's origin is refused even with the right token.
    let evil = app
        .browser()
        .post(&logout)
        .header("cookie", &session.cookie)
        .header("origin", "https://evil.example")
        .form(&[("csrf", session.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(evil.status(), 403);
    let fetch_site = app
        .browser()
        .post(&logout)
        .header("cookie", &session.cookie)
        .header("sec-fetch-site", "cross-site")
        .header("x-csrf-token", &session.csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(fetch_site.status(), 403);
    let wrong_token = app
        .browser()
        .post(&logout)
        .header("cookie", &session.cookie)
        .header("origin", app.origin())
        .header("x-csrf-token", "0".repeat(64))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_token.status(), 403);
    assert_eq!(
        me(&app, &session.cookie).await,
        200,
        "none of those signed the user out"
    );

    // htmx: same origin, the token in X-CSRF-Token.
    let htmx = app
        .as_user(&session, Method::POST, "/logout")
        .header("hx-request", "true")
        .send()
        .await
        .unwrap();
    assert_eq!(htmx.status(), 303);
    assert_eq!(me(&app, &session.cookie).await, 401);

    // A plain form from this site with the token in the `csrf` field.
    let other = app.sign_in(Some(Role::Viewer)).await;
    let form = app
        .browser()
        .post(&logout)
        .header("cookie", &other.cookie)
        .header("origin", app.origin())
        .form(&[("csrf", other.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 303);
    assert_eq!(me(&app, &other.cookie).await, 401);

    // API-token requests carry no cookie and are not subject to the check.
    let api = app
        .api(Method::POST, "/policies")
        .header("origin", "https://evil.example")
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_ne!(api.status(), 403);
}

// ---- A8 ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_account_change_and_sign_in_writes_exactly_one_audit_row() {
    let app = spawn_app(options(None)).await;
    let db = &app.state.db;
    let cli = Actor::cli();
    let mut seen = audit_rows(&app).await.len();
    let mut expect_one = |rows: Vec<audit_log::Model>, action: &str| {
        assert_eq!(rows.len(), seen + 1, "{action}: exactly one new row");
        let last = rows.last().unwrap();
        assert_eq!(last.action, action);
        seen = rows.len();
    };

    accounts::create_user(
        db,
        app.state.audit_key(),
        &cli,
        "ann",
        Some(TEST_PASSWORD.into()),
        Some(Role::Admin),
    )
    .await
    .unwrap();
    expect_one(audit_rows(&app).await, "user.created");
    accounts::create_user(
        db,
        app.state.audit_key(),
        &cli,
        "bob",
        Some(TEST_PASSWORD.into()),
        None,
    )
    .await
    .unwrap();
    expect_one(audit_rows(&app).await, "user.created");
    accounts::set_role(db, app.state.audit_key(), &cli, "bob", Some(Role::Viewer))
        .await
        .unwrap();
    expect_one(audit_rows(&app).await, "user.role_changed");
    accounts::set_password(
        db,
        app.state.audit_key(),
        &cli,
        "bob",
        "another long password".into(),
    )
    .await
    .unwrap();
    expect_one(audit_rows(&app).await, "user.password_changed");
    accounts::create_team(db, app.state.audit_key(), &cli, "ops")
        .await
        .unwrap();
    expect_one(audit_rows(&app).await, "team.created");
    accounts::add_member(db, app.state.audit_key(), &cli, "ops", "bob")
        .await
        .unwrap();
    expect_one(audit_rows(&app).await, "team.member_added");
    accounts::grant(
        db,
        app.state.audit_key(),
        &cli,
        "ops",
        "Acme/App",
        Some(Role::Maintainer),
    )
    .await
    .unwrap();
    expect_one(audit_rows(&app).await, "team.granted");
    let (token_id, _) = accounts::create_token(
        db,
        app.state.audit_key(),
        &cli,
        "ann",
        "ci",
        Role::Maintainer,
    )
    .await
    .unwrap();
    expect_one(audit_rows(&app).await, "token.created");
    accounts::revoke_token(db, app.state.audit_key(), &cli, token_id)
        .await
        .unwrap();
    expect_one(audit_rows(&app).await, "token.revoked");
    accounts::remove_member(db, app.state.audit_key(), &cli, "ops", "bob")
        .await
        .unwrap();
    expect_one(audit_rows(&app).await, "team.member_removed");
    accounts::set_disabled(db, app.state.audit_key(), &cli, "bob", true)
        .await
        .unwrap();
    expect_one(audit_rows(&app).await, "user.disabled");
    accounts::set_disabled(db, app.state.audit_key(), &cli, "bob", false)
        .await
        .unwrap();
    expect_one(audit_rows(&app).await, "user.enabled");
    accounts::end_sessions(db, app.state.audit_key(), &cli, "bob")
        .await
        .unwrap();
    expect_one(audit_rows(&app).await, "user.sessions_ended");

    assert_eq!(
        app.post_login("ann", "wrong password!!").await.status(),
        401
    );
    expect_one(audit_rows(&app).await, "auth.login_failed");
    let session = app.sign_in_as("ann").await;
    expect_one(audit_rows(&app).await, "auth.login");
    assert_eq!(
        app.as_user(&session, Method::POST, "/logout")
            .send()
            .await
            .unwrap()
            .status(),
        303
    );
    expect_one(audit_rows(&app).await, "auth.logout");

    // Refused changes are not recorded as done.
    assert!(accounts::create_token(
        db,
        app.state.audit_key(),
        &cli,
        "bob",
        "too-much",
        Role::Admin
    )
    .await
    .is_err());
    assert_eq!(audit_rows(&app).await.len(), seen);
    let failed = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("auth.login_failed"))
        .count(db)
        .await
        .unwrap();
    assert_eq!(failed, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disabled_user_cannot_sign_in_and_their_sessions_and_tokens_stop() {
    let app = spawn_app(options(None)).await;
    let db = &app.state.db;
    app.create_user("gone", Some(Role::Maintainer)).await;
    let session = app.sign_in_as("gone").await;
    let (_, token) = accounts::create_token(
        db,
        app.state.audit_key(),
        &Actor::cli(),
        "gone",
        "ci",
        Role::Viewer,
    )
    .await
    .unwrap();
    let with_token = || {
        app.http
            .get(format!("{}/api/v1/me", app.address))
            .bearer_auth(token.clone())
            .send()
    };
    assert_eq!(with_token().await.unwrap().status(), 200);
    accounts::set_disabled(db, app.state.audit_key(), &Actor::cli(), "gone", true)
        .await
        .unwrap();
    assert_eq!(me(&app, &session.cookie).await, 401);
    assert_eq!(with_token().await.unwrap().status(), 401);
    assert_eq!(app.post_login("gone", TEST_PASSWORD).await.status(), 401);
    accounts::set_disabled(db, app.state.audit_key(), &Actor::cli(), "gone", false)
        .await
        .unwrap();
    assert_eq!(app.post_login("gone", TEST_PASSWORD).await.status(), 303);
}

// ---- API tokens ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_tokens_act_with_their_scope_and_stop_when_revoked() {
    let app = spawn_app(options(None)).await;
    let db = &app.state.db;
    let cli = Actor::cli();
    accounts::create_user(
        db,
        app.state.audit_key(),
        &cli,
        "robot",
        None,
        Some(Role::Admin),
    )
    .await
    .unwrap();
    let (viewer_id, viewer) = accounts::create_token(
        db,
        app.state.audit_key(),
        &cli,
        "robot",
        "read-only",
        Role::Viewer,
    )
    .await
    .unwrap();
    let (_, admin) = accounts::create_token(
        db,
        app.state.audit_key(),
        &cli,
        "robot",
        "full",
        Role::Admin,
    )
    .await
    .unwrap();
    let get = |t: &str| {
        app.http
            .get(format!("{}/api/v1/policies", app.address))
            .bearer_auth(t.to_owned())
            .send()
    };
    let post = |t: &str| {
        app.http.post(format!("{}/api/v1/policies", app.address)).bearer_auth(t.to_owned()).json(&serde_json::json!({ "scope": "global", "capability": "issues:write", "effect": "allow" })).send()
    };
    assert_eq!(get(&viewer).await.unwrap().status(), 200);
    assert_eq!(
        post(&viewer).await.unwrap().status(),
        403,
        "a viewer token cannot write"
    );
    assert_eq!(post(&admin).await.unwrap().status(), 201);
    accounts::revoke_token(db, app.state.audit_key(), &cli, viewer_id)
        .await
        .unwrap();
    assert_eq!(get(&viewer).await.unwrap().status(), 401, "a revoked token");
    assert_eq!(get("gantry_not-a-real-token").await.unwrap().status(), 401);
    // A token never exceeds its user's own role.
    accounts::create_user(
        db,
        app.state.audit_key(),
        &cli,
        "reader",
        None,
        Some(Role::Viewer),
    )
    .await
    .unwrap();
    assert!(accounts::create_token(
        db,
        app.state.audit_key(),
        &cli,
        "reader",
        "sneaky",
        Role::Maintainer
    )
    .await
    .is_err());
}

// ---- A9 ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_is_stored_in_plaintext() {
    let app = spawn_app(options(None)).await;
    let db = &app.state.db;
    let key = Secret::new(TEST_KEY);
    let webhook_secret = "webhook-secret-plaintext-8d1f-long-enough";
    let app_key = "-----BEGIN RSA PRIVATE KEY-----app-key-plaintext-77c2";
    let password = "password-plaintext-3e9a-long";
    gantry_server::secrets::webhook::add(
        db,
        Some(&key),
        &SecretScope::parse("repo:acme/app").unwrap(),
        None,
        webhook_secret,
    )
    .await
    .unwrap();
    let binding =
        gantry_server::secrets::plugin::Binding::new(&["api.example.com".into()], &[]).unwrap();
    let id = gantry_server::secrets::plugin::SecretId {
        plugin: "releases",
        scope: "*",
        name: "github-app-key",
    };
    gantry_server::secrets::plugin::set(db, Some(&key), id, &binding, app_key)
        .await
        .unwrap();
    accounts::create_user(
        db,
        app.state.audit_key(),
        &Actor::cli(),
        "keeper",
        Some(password.into()),
        Some(Role::Admin),
    )
    .await
    .unwrap();
    let signed_in = app.post_login("keeper", password).await;
    assert_eq!(signed_in.status(), 303);
    let (_, token) = accounts::create_token(
        db,
        app.state.audit_key(),
        &Actor::cli(),
        "keeper",
        "ci",
        Role::Viewer,
    )
    .await
    .unwrap();
    assert_eq!(
        app.http
            .get(format!("{}/api/v1/me", app.address))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    let secrets = [
        webhook_secret,
        app_key,
        password,
        token.as_str(),
        SESSION_KEY,
    ];
    match db.get_database_backend() {
        sea_orm::DbBackend::Postgres => {
            let tables = db
                .query_all_raw(Statement::from_string(
                    sea_orm::DbBackend::Postgres,
                    "SELECT table_name::text AS name FROM information_schema.tables WHERE table_schema = 'public'",
                ))
                .await
                .unwrap();
            assert!(tables.len() > 10);
            for row in tables {
                let table: String = row.try_get("", "name").unwrap();
                let sql = format!(
                    "SELECT coalesce(string_agg(t::text, ' '), '') AS dump FROM \"{table}\" t"
                );
                let dump: String = db
                    .query_one_raw(Statement::from_string(sea_orm::DbBackend::Postgres, sql))
                    .await
                    .unwrap()
                    .unwrap()
                    .try_get("", "dump")
                    .unwrap();
                for secret in secrets {
                    assert!(!dump.contains(secret), "a secret in plaintext in {table}");
                }
            }
        }
        _ => {
            for file in ["gantry.db", "gantry.db-wal"] {
                let bytes = std::fs::read(app.dir.path().join(file)).unwrap_or_default();
                for secret in secrets {
                    assert!(
                        !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                        "a secret in plaintext in {file}"
                    );
                }
            }
        }
    }
}

/// Runs the `gantry` binary with `args` on `database_url`, feeding `stdin`; returns
/// (stdout, stderr), which must show success.
fn gantry(
    database_url: &str,
    data_dir: &std::path::Path,
    args: &[&str],
    stdin: &str,
) -> (String, String) {
    use std::io::Write;
    let mut child = std::process::Command::new(crate::process::gantry_bin())
        .args(args)
        .env("GANTRY_DATABASE__URL", database_url)
        .env("GANTRY_DATA_DIR", data_dir)
        .env("RUST_LOG", "trace")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert!(out.status.success(), "gantry {args:?} failed: {stderr}");
    (stdout, stderr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passwords_and_tokens_never_reach_the_logs() {
    use crate::process::{free_port, ServerProcess};
    let dir = tempfile::tempdir().unwrap();
    let database = crate::helpers::fresh_database_url(&dir).await;
    let database_url = database.url.clone();
    let password = "log-leak-password-5b7e-long";
    let (out, err) = gantry(
        &database_url,
        dir.path(),
        &["admin", "create", "--login", "keeper", "--password-stdin"],
        &format!("{password}\n"),
    );
    assert!(out.contains("created admin keeper"));
    let (token_out, token_err) = gantry(
        &database_url,
        dir.path(),
        &[
            "token", "create", "--user", "keeper", "--name", "ci", "--role", "admin",
        ],
        "",
    );
    let token = token_out.trim().to_owned();
    assert!(token.starts_with("gantry_"), "{token_out}");
    let (listed, _) = gantry(&database_url, dir.path(), &["token", "list"], "");
    assert!(listed.contains("ci") && !listed.contains(&token));

    let sim = gantry_simulator::Simulator::new(gantry_simulator::SimulatorOptions {
        allow_anonymous: false,
    });
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let sim_url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(sim.serve(listener).unwrap());
    let plugins = ServerProcess::plugin_dir(dir.path(), &[]);
    let port = free_port();
    let mut server =
        ServerProcess::start(port, &database_url, &sim_url, dir.path(), &plugins).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let login = |p: &'static str| {
        client
            .post(format!("{base}/login"))
            .header("origin", base.clone())
            .form(&[("login", "keeper"), ("password", p)])
            .send()
    };
    assert_eq!(
        login("log-leak-password-5b7e-long").await.unwrap().status(),
        303
    );
    assert_eq!(
        login("log-leak-password-5b7e-lonG").await.unwrap().status(),
        401
    );
    assert_eq!(
        client
            .get(format!("{base}/api/v1/me"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        client
            .get(format!("{base}/api/v1/me"))
            .bearer_auth(format!("{token}x"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    server.terminate(Duration::from_secs(10)).await;

    let server_log =
        std::fs::read_to_string(dir.path().join(format!("server-{port}.log"))).unwrap_or_default();
    for (name, text) in [
        ("admin create log", &err),
        ("token create log", &token_err),
        ("server log", &server_log),
    ] {
        assert!(
            !text.contains("log-leak-password-5b7e"),
            "the password is in the {name}"
        );
        assert!(!text.contains(&token[7..]), "the token is in the {name}");
    }
}
