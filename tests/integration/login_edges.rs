//! Sign-in under load (security review M6): a burst of wrong passwords cannot race
//! past the throttle or lose counts, password checks run a bounded number at once,
//! and a flood of failed sign-ins writes few audit rows.
use gantry_server::auth::Role;
use gantry_server::db::entities::audit_log;
use gantry_server::db::sessions;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::helpers::{spawn_app, AppOptions, Plugins, TestApp, TEST_PASSWORD};

fn options(tweak: fn(&mut gantry_server::Settings)) -> AppOptions {
    AppOptions {
        plugins: Plugins::None,
        tweak: Some(tweak),
        ..AppOptions::default()
    }
}

fn behind_a_proxy(s: &mut gantry_server::Settings) {
    s.web.trusted_proxies = vec!["127.0.0.1".into()];
}

fn one_check_at_a_time(s: &mut gantry_server::Settings) {
    s.web.trusted_proxies = vec!["127.0.0.1".into()];
    s.web.login.max_concurrent_verifications = 1;
}

async fn login_from(app: &TestApp, address: &str, login: &str, password: &str) -> u16 {
    app.browser()
        .post(format!("{}/login", app.address))
        .header("origin", app.origin())
        .header("x-forwarded-for", address)
        .form(&[("login", login), ("password", password)])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn failed_login_rows(app: &TestApp) -> u64 {
    audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("auth.login_failed"))
        .count(&app.state.db)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_of_wrong_passwords_cannot_race_past_the_throttle() {
    let app = spawn_app(options(behind_a_proxy)).await;
    app.create_user("target", Some(Role::Viewer)).await;
    let free = app.state.settings.web.login.free_failures;
    let attempts = (0..100).map(|i| {
        let app = &app;
        async move {
            let address = format!("10.1.{}.{}", i / 200, i % 200 + 1);
            login_from(app, &address, "target", "wrong password!!").await
        }
    });
    let answers = futures::future::join_all(attempts).await;
    let checked = app.state.passwords.verifications();
    assert!(
        checked <= u64::from(free),
        "{checked} passwords were checked in the burst; the throttle allows {free}"
    );
    let wrong = answers.iter().filter(|s| **s == 401).count() as u64;
    assert_eq!(
        wrong, checked,
        "every checked attempt was answered 401: {answers:?}"
    );
    assert!(
        answers.iter().all(|s| *s == 401 || *s == 429),
        "{answers:?}"
    );
    let counted = sessions::throttle_state(&app.state.db, "login:target")
        .await
        .unwrap()
        .unwrap()
        .failures;
    assert_eq!(
        u64::try_from(counted).unwrap(),
        checked,
        "every checked failure is counted, none lost"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sign_ins_check_at_most_the_configured_number_of_passwords_at_once() {
    let app = spawn_app(options(one_check_at_a_time)).await;
    app.create_user("known", Some(Role::Viewer)).await;
    let attempts = (0..8).map(|i| {
        let app = &app;
        async move {
            let address = format!("10.2.0.{}", i + 1);
            let login = if i % 2 == 0 { "known" } else { "unknown" };
            let password = if i == 0 {
                TEST_PASSWORD
            } else {
                "wrong password!!"
            };
            login_from(app, &address, login, password).await
        }
    });
    let answers = futures::future::join_all(attempts).await;
    assert_eq!(
        answers.iter().filter(|s| **s == 303).count(),
        1,
        "{answers:?}"
    );
    assert_eq!(app.state.passwords.verifications(), 8);
    assert_eq!(app.state.passwords.peak(), 1, "checks ran side by side");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_failed_sign_ins_writes_a_bounded_number_of_audit_rows() {
    let app = spawn_app(options(behind_a_proxy)).await;
    for i in 0..1_000 {
        let status = login_from(
            &app,
            "10.3.0.1",
            &format!("guess{}", i % 50),
            "Winter2026!!!!",
        )
        .await;
        assert!(status == 401 || status == 429, "attempt {i}: {status}");
    }
    let rows = failed_login_rows(&app).await;
    assert!(
        rows <= 16,
        "1000 failed sign-ins from one address wrote {rows} audit rows"
    );
    assert!(rows >= 1, "failed sign-ins are still audited");
}
