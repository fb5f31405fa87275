//! Host calls beyond GitHub, through the real `prober` fixture: outbound HTTP with
//! its address checks (TESTPLAN S7) and the deadline (S5), secret handles, the
//! per-repository KV store, and plugin metrics.
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gantry_server::config::{Limits, Settings};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use gantry_server::secrets::plugin::{self as plugin_secrets, Binding, SecretId};

use crate::helpers::{
    corpus_payload, delivery_id, spawn_app, AppOptions, Plugins, TestApp, TEST_KEY,
};

/// A loopback HTTP server that counts connections and keeps each request's head;
/// `stall` servers accept and never answer.
#[derive(Clone, Default)]
struct Probe {
    connections: Arc<AtomicUsize>,
    requests: Arc<Mutex<Vec<String>>>,
}

impl Probe {
    async fn start(addr: &str, stall: bool) -> Option<(Self, u16)> {
        let listener = TcpListener::bind(addr).await.ok()?;
        let port = listener.local_addr().unwrap().port();
        let probe = Self::default();
        let seen = probe.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                seen.connections.fetch_add(1, Ordering::SeqCst);
                let seen = seen.clone();
                tokio::spawn(async move {
                    if stall {
                        tokio::time::sleep(Duration::from_secs(120)).await;
                        return;
                    }
                    let mut head = Vec::new();
                    let mut buf = [0u8; 1024];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        match socket.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    seen.requests
                        .lock()
                        .unwrap()
                        .push(String::from_utf8_lossy(&head).into_owned());
                    let _ = socket
                        .write_all(
                            b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok",
                        )
                        .await;
                });
            }
        });
        Some((probe, port))
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

/// `allowed.test` and `stall.test` are names the operator pinned to loopback and
/// explicitly allowed; nothing else private is.
fn operator_allows_test_hosts(settings: &mut Settings) {
    settings.plugins.http.allow_private = vec!["allowed.test".into(), "stall.test".into()];
    settings
        .plugins
        .http
        .hosts
        .insert("allowed.test".into(), vec!["127.0.0.1".parse().unwrap()]);
    settings
        .plugins
        .http
        .hosts
        .insert("stall.test".into(), vec!["127.0.0.1".parse().unwrap()]);
}

/// The test hosts, and loopback by address too (for the secret binding tests: the
/// address checks let the request go, so only the binding can stop it).
fn operator_allows_test_hosts_and_loopback(settings: &mut Settings) {
    operator_allows_test_hosts(settings);
    settings.plugins.http.allow_private.push("127.0.0.1".into());
}

/// The prober, with the operator's consent to its declared hosts and secrets
/// (Gantry's defaults refuse both until a rule allows them).
async fn prober_app(config: serde_json::Value, limits: Limits) -> TestApp {
    prober_app_with(config, limits, operator_allows_test_hosts, true).await
}

async fn prober_app_with(
    config: serde_json::Value,
    limits: Limits,
    tweak: fn(&mut Settings),
    consent: bool,
) -> TestApp {
    let app = spawn_app(AppOptions {
        plugins: Plugins::Named(&["prober"]),
        configs: vec![("prober", config)],
        limits,
        tweak: Some(tweak),
        ..AppOptions::default()
    })
    .await;
    if consent {
        app.allow("prober", &["http:*", "secrets:*"]).await;
    }
    app
}

/// Stores `value` as the `token` secret of `plugin` for every repository, to be sent
/// only to `allowed.test` in `authorization`.
async fn store_token(app: &TestApp, plugin: &str, value: &str) {
    let key = gantry_server::domain::Secret::new(TEST_KEY);
    let binding = Binding::new(&["allowed.test".into()], &[]).unwrap();
    let id = SecretId {
        plugin,
        scope: "*",
        name: "token",
    };
    plugin_secrets::set(&app.state.db, Some(&key), id, &binding, value)
        .await
        .unwrap();
}

/// Delivers an `issues` event for `owner/name` and returns the prober's run.
async fn run_prober(
    app: &TestApp,
    owner: &str,
    name: &str,
) -> gantry_server::db::entities::plugin_runs::Model {
    let mut payload: serde_json::Value =
        serde_json::from_slice(&corpus_payload("issues/opened.payload.json")).unwrap();
    payload["repository"]["name"] = name.into();
    payload["repository"]["full_name"] = format!("{owner}/{name}").into();
    payload["repository"]["owner"]["login"] = owner.into();
    let id = delivery_id();
    assert_eq!(
        app.post_webhook("issues", &id, &serde_json::to_vec(&payload).unwrap())
            .await
            .status(),
        202
    );
    app.wait_for_idle_queue(Duration::from_secs(30)).await;
    app.runs_of(&id)
        .await
        .into_iter()
        .find(|r| r.plugin == "prober")
        .expect("the prober ran")
}

fn log_line<'a>(log: &'a str, url: &str) -> &'a str {
    log.lines()
        .find(|l| l.contains(&format!("probe {url} ")))
        .unwrap_or_else(|| panic!("no line for {url} in:\n{log}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_allowed_host_is_reached_and_no_private_address_is_connected() {
    let (v4, port) = Probe::start("127.0.0.1:0", false).await.unwrap();
    let v6 = Probe::start("[::1]:0", false).await;
    let v6_port = v6.as_ref().map_or(1, |(_, p)| *p);
    let refused = [
        format!("http://127.0.0.1:{port}/"),
        format!("http://localhost:{port}/"),
        format!("http://[::1]:{v6_port}/"),
        "http://10.0.0.1/".to_owned(),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        format!("http://undeclared.test:{port}/"),
    ];
    let allowed = format!("http://allowed.test:{port}/hello");
    let mut urls = refused.to_vec();
    urls.push(allowed.clone());
    let app = prober_app(serde_json::json!({ "urls": urls }), Limits::default()).await;

    let run = run_prober(&app, "Codertocat", "Hello-World").await;
    assert_eq!(run.outcome, "ok", "{run:?}");
    let log = run.log.unwrap_or_default();
    for url in &refused {
        assert!(
            log_line(&log, url).contains("error HostError::Denied("),
            "{url} was not refused:\n{log}"
        );
    }
    assert!(log_line(&log, &allowed).contains("status 200"), "{log}");
    assert_eq!(
        v4.connections(),
        1,
        "only the allowed host's request reached loopback"
    );
    assert_eq!(
        v4.requests.lock().unwrap()[0].lines().next().unwrap(),
        "GET /hello HTTP/1.1"
    );
    if let Some((v6, _)) = v6 {
        assert_eq!(v6.connections(), 0, "nothing reached [::1]");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_server_is_cancelled_at_the_deadline_and_the_worker_goes_on() {
    let (stall, port) = Probe::start("127.0.0.1:0", true).await.unwrap();
    let limits = Limits {
        timeout_ms: 1_500,
        ..Limits::default()
    };
    let app = prober_app(
        serde_json::json!({ "urls": [format!("http://stall.test:{port}/")] }),
        limits,
    )
    .await;

    let started = Instant::now();
    let run = run_prober(&app, "Codertocat", "Hello-World").await;
    assert!(
        stall.connections() >= 1,
        "the request reached the stalling server"
    );
    assert!(
        run.duration_ms < 2_500,
        "the call took {} ms for a 1500 ms deadline",
        run.duration_ms
    );
    let log = run.log.clone().unwrap_or_default();
    let cut_by_deadline =
        run.outcome == "timeout" || (run.outcome == "ok" && log.contains("ran out of time"));
    assert!(cut_by_deadline, "{run:?}");
    // The worker is free: the next delivery runs too.
    let next = run_prober(&app, "Codertocat", "Hello-World").await;
    assert!(next.started_at > run.started_at);
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_handle_reaches_the_allowed_host_but_never_the_plugin_log_or_the_database() {
    let (server, port) = Probe::start("127.0.0.1:0", false).await.unwrap();
    let app = prober_app(
        serde_json::json!({ "secret_url": format!("http://allowed.test:{port}/secret") }),
        Limits::default(),
    )
    .await;
    let value = "s3cr3t-plugin-token-value";
    store_token(&app, "prober", value).await;

    let run = run_prober(&app, "Codertocat", "Hello-World").await;
    assert_eq!(run.outcome, "ok", "{run:?}");
    let log = run.log.unwrap_or_default();
    assert!(
        log.contains("opened secret token") && log.contains("status 200"),
        "{log}"
    );
    assert!(!log.contains(value));
    let requests = server.requests.lock().unwrap().clone();
    assert!(
        requests[0]
            .to_ascii_lowercase()
            .contains(&format!("authorization: bearer {value}")),
        "{requests:?}"
    );
    for row in gantry_server::db::plugin_secrets::all(&app.state.db)
        .await
        .unwrap()
    {
        assert!(
            !String::from_utf8_lossy(&row.ciphertext).contains(value),
            "stored in plaintext"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_the_plugin_did_not_declare_or_that_is_missing_is_refused() {
    let (_server, port) = Probe::start("127.0.0.1:0", false).await.unwrap();
    let app = prober_app(
        serde_json::json!({ "secret_url": format!("http://allowed.test:{port}/") }),
        Limits::default(),
    )
    .await;
    // `token` is declared but not stored.
    let run = run_prober(&app, "Codertocat", "Hello-World").await;
    assert_eq!(run.outcome, "error");
    assert!(run.message.unwrap_or_default().contains("NotFound"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kv_keeps_a_note_per_repository_and_metrics_count_runs() {
    let app = prober_app(serde_json::json!({ "note": "first" }), Limits::default()).await;
    let first = run_prober(&app, "Codertocat", "Hello-World").await;
    assert!(first.log.unwrap_or_default().contains("note before: None"));
    let again = run_prober(&app, "Codertocat", "Hello-World").await;
    let log = again.log.unwrap_or_default();
    assert!(
        log.contains("note before: Some(\"first\")") && log.contains("keys: [\"note\"]"),
        "{log}"
    );
    // Another repository starts empty: one store per plugin per repository.
    let other = run_prober(&app, "octo-org", "other-repo").await;
    assert!(other.log.unwrap_or_default().contains("note before: None"));
    let series = r#"gantry_plugin_counter_total{label="runs",name="probes",plugin="prober"}"#;
    assert_eq!(app.metric(series).await, 3.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_cannot_send_its_secret_to_a_host_the_secret_is_not_bound_to() {
    // The plugin may reach 127.0.0.1 (declared, allowed by the operator), but the
    // secret is bound to allowed.test only.
    let (listener, port) = Probe::start("127.0.0.1:0", false).await.unwrap();
    let app = prober_app_with(
        serde_json::json!({ "secret_url": format!("http://127.0.0.1:{port}/collect") }),
        Limits::default(),
        operator_allows_test_hosts_and_loopback,
        true,
    )
    .await;
    let value = "s3cr3t-bound-to-allowed-test";
    store_token(&app, "prober", value).await;

    let run = run_prober(&app, "Codertocat", "Hello-World").await;
    let log = run.log.unwrap_or_default();
    assert!(log.contains("opened secret token"), "{log}");
    assert!(
        log.contains("error HostError::Denied(")
            && log.contains("may be sent only to allowed.test"),
        "{log}"
    );
    assert_eq!(listener.connections(), 0, "the listener was reached");
    assert!(!log.contains(value));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_cannot_open_a_secret_stored_for_another_plugin() {
    let (listener, port) = Probe::start("127.0.0.1:0", false).await.unwrap();
    let app = prober_app(
        serde_json::json!({ "secret_url": format!("http://allowed.test:{port}/") }),
        Limits::default(),
    )
    .await;
    // Same name, same hosts, but stored for the releases plugin.
    store_token(&app, "releases", "s3cr3t-of-the-releases-plugin").await;

    let run = run_prober(&app, "Codertocat", "Hello-World").await;
    assert_eq!(run.outcome, "error", "{run:?}");
    assert!(
        run.message.unwrap_or_default().contains("NotFound"),
        "the prober opened another plugin's secret"
    );
    assert_eq!(listener.connections(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn declaring_a_host_and_a_secret_is_not_enough_without_an_operator_rule() {
    let (listener, port) = Probe::start("127.0.0.1:0", false).await.unwrap();
    let url = format!("http://allowed.test:{port}/hello");
    let app = prober_app_with(
        serde_json::json!({ "urls": [url.clone()], "secret_url": url.clone() }),
        Limits::default(),
        operator_allows_test_hosts,
        false,
    )
    .await;
    store_token(&app, "prober", "s3cr3t-never-opened").await;
    let run = run_prober(&app, "Codertocat", "Hello-World").await;
    let log = run.log.clone().unwrap_or_default();
    assert!(
        log_line(&log, &url).contains("error HostError::Denied("),
        "{log}"
    );
    assert!(
        run.message.unwrap_or_default().contains("Denied"),
        "the secret opened without a rule"
    );
    assert_eq!(listener.connections(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_port_other_than_80_or_443_is_refused_unless_the_capability_names_it() {
    // localhost is declared but not allowed on the private network by name, so only
    // the ports 80 and 443 are open to it (and its addresses are refused anyway).
    let urls = ["http://localhost:6379/", "http://localhost:22/"];
    let app = prober_app(serde_json::json!({ "urls": urls }), Limits::default()).await;
    let run = run_prober(&app, "Codertocat", "Hello-World").await;
    let log = run.log.unwrap_or_default();
    for url in urls {
        assert!(
            log_line(&log, url).contains("is not allowed: plugins reach ports 80 and 443"),
            "{log}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repository_secret_is_found_whatever_the_case_and_the_global_one_does_not_stand_in() {
    let (server, port) = Probe::start("127.0.0.1:0", false).await.unwrap();
    let app = prober_app(
        serde_json::json!({ "secret_url": format!("http://allowed.test:{port}/secret") }),
        Limits::default(),
    )
    .await;
    let key = gantry_server::domain::Secret::new(TEST_KEY);
    let binding = Binding::new(&["allowed.test".into()], &[]).unwrap();
    for (scope, value) in [
        ("Codertocat/Hello-World", "repository-token"),
        ("*", "broader-global-token"),
    ] {
        let id = SecretId {
            plugin: "prober",
            scope,
            name: "token",
        };
        plugin_secrets::set(&app.state.db, Some(&key), id, &binding, value)
            .await
            .unwrap();
    }
    // The event spells the repository in lower case.
    let run = run_prober(&app, "codertocat", "hello-world").await;
    assert_eq!(run.outcome, "ok", "{run:?}");
    let requests = server.requests.lock().unwrap().clone();
    let sent = requests[0].to_ascii_lowercase();
    assert!(sent.contains("bearer repository-token"), "{requests:?}");
    assert!(!sent.contains("broader-global-token"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_stored_before_secrets_were_bound_opens_for_nobody_until_bound_to_a_plugin() {
    use gantry_server::db::entities::plugin_secrets as rows;
    use sea_orm::{ActiveModelTrait, ActiveValue::Set};
    let (server, port) = Probe::start("127.0.0.1:0", false).await.unwrap();
    let app = prober_app(
        serde_json::json!({ "secret_url": format!("http://allowed.test:{port}/secret") }),
        Limits::default(),
    )
    .await;
    // A row as the previous version stored it: no plugin, sealed for scope and name.
    let key = gantry_server::domain::Secret::new(TEST_KEY);
    let sealer = gantry_server::crypto::SecretBox::from_key(&key).unwrap();
    let value = "legacy-token-value";
    let (nonce, ciphertext) = sealer
        .seal(value.as_bytes(), b"gantry-plugin-secret:*:token")
        .unwrap();
    rows::ActiveModel {
        plugin: Set(String::new()),
        scope: Set("*".into()),
        name: Set("token".into()),
        nonce: Set(nonce),
        ciphertext: Set(ciphertext),
        hosts: Set(String::new()),
        headers: Set(String::new()),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    }
    .insert(&app.state.db)
    .await
    .unwrap();

    let run = run_prober(&app, "Codertocat", "Hello-World").await;
    assert!(run.message.unwrap_or_default().contains("NotFound"));
    assert_eq!(server.connections(), 0);

    let binding = Binding::new(&["allowed.test".into()], &[]).unwrap();
    let id = SecretId {
        plugin: "prober",
        scope: "*",
        name: "token",
    };
    assert!(
        plugin_secrets::bind_unbound(&app.state.db, Some(&key), id, &binding)
            .await
            .unwrap()
    );
    let run = run_prober(&app, "Codertocat", "Hello-World").await;
    assert_eq!(run.outcome, "ok", "{run:?}");
    let requests = server.requests.lock().unwrap().clone();
    assert!(
        requests[0]
            .to_ascii_lowercase()
            .contains(&format!("bearer {value}")),
        "{requests:?}"
    );
    let listed = plugin_secrets::list(&app.state.db).await.unwrap();
    assert_eq!(listed.len(), 1, "the unbound row is gone");
    assert_eq!(listed[0].plugin, "prober");
}
