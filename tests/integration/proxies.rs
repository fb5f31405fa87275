//! Behind reverse proxies (security review L3): `X-Forwarded-For` and
//! `X-Forwarded-Proto` count only when the TCP peer is one of `web.trusted_proxies`,
//! and the client is the right-most address a trusted proxy did not add, so a client
//! cannot pick its own throttle key; cookies are `Secure` (and HSTS is sent) over
//! TLS or through a trusted proxy that says `https`.
use crate::helpers::{session_cookie_of, spawn_app, AppOptions, Plugins, TestApp, TEST_PASSWORD};
use gantry_server::auth::Role;

fn options(tweak: fn(&mut gantry_server::Settings)) -> AppOptions {
    AppOptions {
        plugins: Plugins::None,
        tweak: Some(tweak),
        ..AppOptions::default()
    }
}

/// The test client (127.0.0.1) is the proxy.
fn behind_local_proxy(s: &mut gantry_server::Settings) {
    s.web.trusted_proxies = vec!["127.0.0.0/8".into(), "10.20.0.0/16".into()];
}

/// Another address is the proxy: the test client is a stranger.
fn behind_another_proxy(s: &mut gantry_server::Settings) {
    s.web.trusted_proxies = vec!["192.0.2.10".into()];
}

async fn login(
    app: &TestApp,
    headers: &[(&str, String)],
    login: &str,
    password: &str,
) -> reqwest::Response {
    let mut request = app
        .browser()
        .post(format!("{}/login", app.address))
        .header("origin", app.origin())
        .form(&[("login", login), ("password", password)]);
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    request.send().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_cannot_dodge_the_address_throttle_by_forging_x_forwarded_for() {
    let app = spawn_app(options(behind_local_proxy)).await;
    let free = app.state.settings.web.login.ip_free_failures;
    for i in 0..free {
        // The client forges a first hop; the proxy (trusted, and one more trusted hop
        // inside) appends the address it saw.
        let forwarded = format!("198.51.100.{i}, 203.0.113.7, 10.20.0.5");
        let answer = login(
            &app,
            &[("x-forwarded-for", forwarded)],
            &format!("sprayed{i}"),
            "Winter2026!!!!",
        )
        .await;
        assert_eq!(answer.status(), 401, "attempt {}", i + 1);
    }
    let next = login(
        &app,
        &[("x-forwarded-for", "198.51.100.250, 203.0.113.7".into())],
        "sprayed-last",
        "Winter2026!!!!",
    )
    .await;
    assert_eq!(
        next.status(),
        429,
        "203.0.113.7 is throttled whatever it puts in front"
    );
    let elsewhere = login(
        &app,
        &[("x-forwarded-for", "203.0.113.8".into())],
        "sprayed-other",
        "Winter2026!!!!",
    )
    .await;
    assert_eq!(elsewhere.status(), 401, "another client is not");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_headers_from_a_peer_that_is_not_a_trusted_proxy_are_ignored() {
    let app = spawn_app(options(behind_another_proxy)).await;
    app.create_user("ada", Some(Role::Viewer)).await;
    let free = app.state.settings.web.login.ip_free_failures;
    for i in 0..free {
        let answer = login(
            &app,
            &[("x-forwarded-for", format!("198.51.100.{i}"))],
            &format!("sprayed{i}"),
            "Winter2026!!!!",
        )
        .await;
        assert_eq!(answer.status(), 401, "attempt {}", i + 1);
    }
    let next = login(
        &app,
        &[("x-forwarded-for", "198.51.100.250".into())],
        "sprayed-last",
        "Winter2026!!!!",
    )
    .await;
    assert_eq!(next.status(), 429, "the peer's own address is throttled");

    let app = spawn_app(options(behind_another_proxy)).await;
    app.create_user("ada", Some(Role::Viewer)).await;
    let answer = login(
        &app,
        &[("x-forwarded-proto", "https".into())],
        "ada",
        TEST_PASSWORD,
    )
    .await;
    assert_eq!(answer.status(), 303);
    let cookie = session_cookie_of(&answer).unwrap();
    assert!(cookie.starts_with("gantry_session="), "{cookie}");
    assert!(answer.headers().get("strict-transport-security").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trusted_proxy_saying_https_gets_secure_cookies_and_hsts() {
    let app = spawn_app(options(behind_local_proxy)).await;
    app.create_user("ada", Some(Role::Viewer)).await;
    let answer = login(
        &app,
        &[("x-forwarded-proto", "https".into())],
        "ada",
        TEST_PASSWORD,
    )
    .await;
    assert_eq!(answer.status(), 303);
    let set_cookie = answer
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|v| v.starts_with("__Host-gantry_session="))
        .expect("the __Host- cookie over TLS");
    assert!(
        set_cookie.to_ascii_lowercase().contains("secure"),
        "{set_cookie}"
    );
    assert!(answer.headers().get("strict-transport-security").is_some());
}
