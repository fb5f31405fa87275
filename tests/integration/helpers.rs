//! Test helpers: `spawn_app` (a server on port 0 with its own database and its own
//! GitHub simulator), signed webhook posts, corpus access and polling.
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use gantry_server::config::Limits;
use gantry_server::domain::Secret;
use gantry_server::github::signature;
use gantry_server::services::dispatch::DeliveryObserver;
use gantry_server::wasm_host::{PluginRegistry, PluginRuntime};
use gantry_server::{AppState, Application, Extras, Settings};
use gantry_simulator::{Simulator, SimulatorOptions};
use sea_orm::{ConnectionTrait, Database, EntityTrait, PaginatorTrait};

/// The webhook secret every test app accepts.
pub const SECRET: &str = "test-webhook-secret-of-at-least-32-bytes";

/// The key test apps encrypt stored secrets with (32 bytes, base64).
pub const TEST_KEY: &str = "dGVzdC1rZXktdGhhdC1pcy0zMi1ieXRlcy1sb25nISE=";

/// The JSON API token of test apps (unless `AppOptions::api_token` says otherwise).
pub const API_TOKEN: &str = "test-api-token";

/// The fixture corpus in the repository: `tests/fixtures` (`webhooks/`, `hmac-vectors.tsv`).
pub fn corpus_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures"))
}

/// Reads a corpus webhook payload, such as `issues/opened.payload.json`.
pub fn corpus_payload(relative: &str) -> Vec<u8> {
    let path = corpus_dir().join("webhooks").join(relative);
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// The corpus `pull_request` payload for PR `number` with `action`; the hooks plugin
/// greets an opened one with exactly one comment.
pub fn pull_request(number: u64, action: &str) -> Vec<u8> {
    let mut v: serde_json::Value =
        serde_json::from_slice(&corpus_payload("pull_request/opened.payload.json")).unwrap();
    v["number"] = number.into();
    v["pull_request"]["number"] = number.into();
    v["action"] = action.into();
    serde_json::to_vec(&v).unwrap()
}

/// A component built by `scripts/build-plugins.sh`: `dir` is `plugins` or `test-plugins`.
pub fn built_wasm(dir: &str, name: &str) -> Vec<u8> {
    let path = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../target"))
        .join(dir)
        .join(format!("{name}.wasm"));
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "reading {}: {e}. Build the plugins first: ./dev build (or scripts/build-plugins.sh)",
            path.display()
        )
    })
}

/// A component checked in under `tests/fixtures/`, such as
/// `plugins-v0.1/asker.wasm` (built against an older WIT version; see the README
/// there).
pub fn fixture_component(relative: &str) -> Vec<u8> {
    let path = corpus_dir().join(relative);
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// Which plugins a test app loads.
#[derive(Clone, Copy)]
pub enum Plugins {
    /// None at all.
    None,
    /// Bundled plugins (a crate under `plugins/`) and fixtures by name, in this order;
    /// a name ending in `.wasm` is a component checked in under `tests/fixtures/`.
    Named(&'static [&'static str]),
}

/// How to build a test app.
#[derive(Clone)]
pub struct AppOptions {
    pub plugins: Plugins,
    pub limits: Limits,
    /// Configuration overrides by plugin name.
    pub configs: Vec<(&'static str, serde_json::Value)>,
    /// Jobs in flight at once in the server (`worker.in_flight`).
    pub workers: usize,
    /// The JSON API token; `None` leaves the API closed.
    pub api_token: Option<&'static str>,
    /// Changes to the settings after the test defaults are applied.
    pub tweak: Option<fn(&mut Settings)>,
    /// A database the test made itself (kept by the test), instead of a fresh one.
    pub database_url: Option<String>,
    /// Started as a sandbox (the dashboard offers its sandbox page), as `gantry
    /// sandbox` is; the simulator observes deliveries either way.
    pub sandbox: bool,
}

impl Default for AppOptions {
    fn default() -> Self {
        Self {
            plugins: Plugins::Named(&["hooks"]),
            limits: Limits::default(),
            configs: Vec::new(),
            workers: 2,
            api_token: Some(API_TOKEN),
            tweak: None,
            database_url: None,
            sandbox: true,
        }
    }
}

/// A running Gantry with its simulator.
pub struct TestApp {
    pub address: String,
    pub state: AppState,
    pub sim: Simulator,
    pub http: reqwest::Client,
    pub dir: tempfile::TempDir,
    /// Dropped with the app: its PostgreSQL database goes with it.
    pub _database: TestDatabase,
    /// How it was built, for [`TestApp::restart`].
    options: AppOptions,
    /// Stops its HTTP server (and then its workers).
    stop: actix_web::dev::ServerHandle,
    /// The task serving it, done once it stopped.
    running: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    /// Set once its parts moved to a restarted app.
    restarted: bool,
}

impl Drop for TestApp {
    /// Removes the simulator's temporary repositories, then the strict request
    /// check: a test whose Gantry sent the simulator a request GitHub's description
    /// or rules refuse fails here (unless it is failing already), listing them. A test
    /// that sends such a request on purpose clears them (`sim.clear_violations()`).
    fn drop(&mut self) {
        if self.restarted {
            return;
        }
        // The app runs on the test's runtime until that ends: stop it now (the command
        // is sent at once; the future only waits for it), then remove its data
        // directory before `TempDir` tries, with retries, as its workers may still be
        // writing into it for a moment.
        drop(self.stop.stop(false));
        remove_patiently(self.dir.path());
        self.sim.remove_temporary_repositories();
        let violations = self.sim.violations();
        if !violations.is_empty() && !std::thread::panicking() {
            let listed: Vec<String> = violations.iter().map(ToString::to_string).collect();
            panic!(
                "requests GitHub would refuse reached the simulator:\n{}",
                listed.join("\n")
            );
        }
    }
}

/// Removes `dir` and everything in it, retrying for up to 2 s: a removal that races a
/// process creating a file in it (SQLite's journal, a job's checkout) fails with
/// "directory not empty", and `TempDir`'s own removal would then leave it behind
/// silently.
pub fn remove_patiently(dir: &std::path::Path) {
    for _ in 0..100 {
        match std::fs::remove_dir_all(dir) {
            Ok(()) => return,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
            Err(_) => std::thread::sleep(std::time::Duration::from_millis(20)),
        }
    }
}

/// Starts a simulator and a Gantry server pointed at it, each on a free port.
pub async fn spawn_app(options: AppOptions) -> TestApp {
    gantry_server::telemetry::init(false);
    let dir = tempfile::tempdir().unwrap();
    let sim = Simulator::new(SimulatorOptions {
        allow_anonymous: false,
    });
    let sim_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let sim_addr = sim_listener.local_addr().unwrap();
    tokio::spawn(sim.serve(sim_listener).unwrap());
    let database = match &options.database_url {
        Some(url) => TestDatabase {
            url: url.clone(),
            postgres: None,
        },
        None => fresh_database_url(&dir).await,
    };
    start_app(options, dir, database, sim, sim_addr).await
}

impl TestApp {
    /// Stops this app cleanly (HTTP server, workers, then the database pool) and
    /// starts a new one on the same database, data directory and simulator, as an
    /// operator's restart would.
    pub async fn restart(mut self) -> TestApp {
        self.stop.stop(true).await;
        if let Some(running) = self.running.take() {
            let _ = running.await;
        }
        let _ = self.state.db.clone().close().await;
        let sim_addr = self
            .state
            .settings
            .github
            .api_url
            .trim_start_matches("http://")
            .parse()
            .unwrap();
        // The simulator lives on in the new app: this one must not clean it up.
        self.restarted = true;
        let dir = std::mem::replace(&mut self.dir, tempfile::tempdir().unwrap());
        let database = std::mem::replace(
            &mut self._database,
            TestDatabase {
                url: String::new(),
                postgres: None,
            },
        );
        start_app(
            self.options.clone(),
            dir,
            database,
            self.sim.clone(),
            sim_addr,
        )
        .await
    }
}

/// Starts a Gantry server on `database` and `dir`, pointed at the simulator `sim`
/// that serves on `sim_addr`.
async fn start_app(
    options: AppOptions,
    dir: tempfile::TempDir,
    database: TestDatabase,
    sim: Simulator,
    sim_addr: std::net::SocketAddr,
) -> TestApp {
    let mut settings = Settings {
        data_dir: dir.path().to_path_buf(),
        ..Settings::default()
    };
    settings.server.listen = "127.0.0.1:0".into();
    settings.database.url = database.url.clone();
    settings.webhook.secrets = vec![Secret::new(SECRET)];
    settings.github.api_url = format!("http://{sim_addr}");
    settings.github.token = Some(Secret::new("test-token"));
    settings.worker.poll_interval_ms = 50;
    settings.worker.retry_base_ms = 100;
    settings.worker.in_flight = options.workers;
    settings.api.token = options.api_token.map(Secret::new);
    settings.secrets.key = Some(Secret::new(TEST_KEY));
    settings.webhook.secret_cache_ms = 0;
    // Most tests post the same corpus body under several delivery ids; the replay
    // window (on by default) has tests of its own that turn it on (`tenants`).
    settings.webhook.replay_window_secs = 0;
    settings.plugins.limits = options.limits.clone();
    settings.approvals.sweep_interval_ms = 50;
    // The missed-delivery sweep reads the App's delivery log with the App's JWT;
    // tests that count the App's calls would see it. Its own tests turn it on.
    settings.recovery.enabled = false;
    if let Some(tweak) = options.tweak {
        tweak(&mut settings);
    }

    let runtime = PluginRuntime::new(options.limits.clone()).unwrap();
    let mut registry = PluginRegistry::default();
    if let Plugins::Named(names) = options.plugins {
        for name in names {
            let bundled = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../plugins"))
                .join(name)
                .is_dir();
            let bytes = if name.ends_with(".wasm") {
                fixture_component(name)
            } else if bundled {
                built_wasm("plugins", name)
            } else {
                built_wasm("test-plugins", name)
            };
            let config = options
                .configs
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, c)| c);
            registry.add(runtime.load(&bytes, config).unwrap()).unwrap();
        }
    }
    let observer: Arc<dyn DeliveryObserver> = Arc::new(sim.clone());
    let app = Application::build(
        settings,
        Extras {
            observer: Some(observer),
            sandbox: options.sandbox,
            plugins: Some((runtime, registry)),
        },
    )
    .await
    .unwrap();
    let address = format!("http://127.0.0.1:{}", app.port());
    let state = app.state().clone();
    let stop = app.server_handle();
    let running = tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        state,
        sim,
        http: reqwest::Client::new(),
        dir,
        _database: database,
        options,
        stop,
        running: Some(running),
        restarted: false,
    }
}

/// A test's database: SQLite in the test's directory, or, when
/// `GANTRY_TEST_DATABASE=postgres`, a PostgreSQL database of its own that is dropped
/// (with its connections) when this value is dropped, so a run leaves none behind.
pub struct TestDatabase {
    pub url: String,
    /// The server's URL and this test's database name, on PostgreSQL.
    postgres: Option<(String, String)>,
}

impl Drop for TestDatabase {
    // A database left behind is worth a line on the test's output, not a panic.
    #[allow(clippy::print_stderr)]
    fn drop(&mut self) {
        let Some((base, name)) = self.postgres.take() else {
            return;
        };
        // Drop runs inside the test's runtime, which cannot be blocked on: a thread
        // of its own with a runtime of its own drops the database.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime to drop the test database");
            runtime.block_on(async {
                let admin = Database::connect(&base).await?;
                admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await?;
                admin.close().await
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            // scripts/test.sh also fails the run on leftovers.
            eprintln!("warning: the test database could not be dropped: {dropped:?}");
        }
    }
}

/// SQLite in the test's directory, or a fresh PostgreSQL database when
/// `GANTRY_TEST_DATABASE=postgres`; keep the value for as long as the database is used.
pub async fn fresh_database_url(dir: &tempfile::TempDir) -> TestDatabase {
    match std::env::var("GANTRY_TEST_DATABASE").as_deref() {
        Ok("postgres") => {
            let base = std::env::var("GANTRY_TEST_POSTGRES_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
            let name = format!("gantry_t_{}", uuid::Uuid::new_v4().simple());
            let admin = Database::connect(&base)
                .await
                .expect("PostgreSQL must be reachable for GANTRY_TEST_DATABASE=postgres");
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .unwrap();
            let _ = admin.close().await;
            let (prefix, _) = base.rsplit_once('/').unwrap();
            TestDatabase {
                url: format!("{prefix}/{name}"),
                postgres: Some((base, name)),
            }
        }
        _ => TestDatabase {
            url: format!(
                "sqlite://{}?mode=rwc",
                dir.path().join("gantry.db").display()
            ),
            postgres: None,
        },
    }
}

impl TestApp {
    /// Posts a delivery signed with the test secret.
    pub async fn post_webhook(
        &self,
        event: &str,
        delivery: &str,
        body: &[u8],
    ) -> reqwest::Response {
        self.post_signed(event, delivery, body, SECRET).await
    }

    /// Posts a delivery signed with any secret.
    pub async fn post_signed(
        &self,
        event: &str,
        delivery: &str,
        body: &[u8],
        secret: &str,
    ) -> reqwest::Response {
        self.http
            .post(format!("{}/webhooks/github", self.address))
            .header("content-type", "application/json")
            .header("x-github-event", event)
            .header("x-github-delivery", delivery)
            .header(
                "x-hub-signature-256",
                signature::sign(secret.as_bytes(), body),
            )
            .body(body.to_vec())
            .send()
            .await
            .unwrap()
    }

    /// The value of a metric line (`name{labels}`) from `/metrics`, 0 when absent.
    pub async fn metric(&self, series: &str) -> f64 {
        let text = self
            .http
            .get(format!("{}/metrics", self.address))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        text.lines()
            .find_map(|line| {
                line.strip_prefix(series)
                    .and_then(|rest| rest.strip_prefix(' '))
                    .map(|v| v.trim().parse::<f64>().unwrap())
            })
            .unwrap_or(0.0)
    }

    /// A request to the JSON API with the test token.
    pub fn api(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}/api/v1{path}", self.address))
            .bearer_auth(API_TOKEN)
    }

    /// Allows `plugin` each of `capabilities` everywhere, as an operator consents to
    /// what a manifest declares beyond Gantry's built-in defaults (check runs,
    /// statuses, workflow dispatches, HTTP and secrets ask by default).
    pub async fn allow(&self, plugin: &str, capabilities: &[&str]) {
        for capability in capabilities {
            let rule = gantry_server::services::policies::RuleForm {
                scope: "global".into(),
                plugin: Some(plugin.into()),
                capability: (*capability).into(),
                effect: "allow".into(),
                ..Default::default()
            };
            gantry_server::services::policies::add(
                &self.state.db,
                self.state.audit_key(),
                &gantry_server::domain::Actor::cli(),
                rule,
            )
            .await
            .unwrap();
        }
    }

    /// Number of stored deliveries.
    pub async fn delivery_count(&self) -> u64 {
        gantry_server::db::entities::deliveries::Entity::find()
            .count(&self.state.db)
            .await
            .unwrap()
    }

    /// Number of jobs.
    pub async fn job_count(&self) -> u64 {
        gantry_server::db::entities::jobs::Entity::find()
            .count(&self.state.db)
            .await
            .unwrap()
    }

    /// Waits until no job is queued or running.
    pub async fn wait_for_idle_queue(&self, timeout: Duration) {
        let db = self.state.db.clone();
        wait_until(timeout, "the job queue to drain", || {
            let db = db.clone();
            async move {
                let (queued, running) = gantry_server::db::jobs::pending_counts(&db).await.unwrap();
                queued == 0 && running == 0
            }
        })
        .await;
    }

    /// The plugin runs of the delivery with this id.
    pub async fn runs_of(
        &self,
        delivery: &str,
    ) -> Vec<gantry_server::db::entities::plugin_runs::Model> {
        let db = &self.state.db;
        let d = gantry_server::db::deliveries::find_by_delivery_id(db, delivery)
            .await
            .unwrap()
            .expect("delivery stored");
        let mut runs = Vec::new();
        for job in gantry_server::db::jobs::for_delivery(db, d.id)
            .await
            .unwrap()
        {
            runs.extend(gantry_server::db::runs::for_job(db, job.id).await.unwrap());
        }
        runs
    }
}

/// Polls `check` until it is true, failing the test after `timeout`.
pub async fn wait_until<F, Fut>(timeout: Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    loop {
        if check().await {
            return;
        }
        assert!(
            start.elapsed() < timeout,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// A fresh delivery id.
pub fn delivery_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Talking to the simulator as a test: GitHub's API with the test token.
impl TestApp {
    /// `{api}/repos/{owner}/{name}{path}` on the simulator.
    pub fn sim_repo_url(&self, repo: &str, path: &str) -> String {
        format!("{}/repos/{repo}{path}", self.state.settings.github.api_url)
    }

    /// GETs `path` of `repo` from the simulator, which must succeed.
    pub async fn sim_get(&self, repo: &str, path: &str) -> serde_json::Value {
        let answer = self
            .http
            .get(self.sim_repo_url(repo, path))
            .bearer_auth("test-token")
            .send()
            .await
            .unwrap();
        assert!(
            answer.status().is_success(),
            "GET {path}: {}",
            answer.status()
        );
        answer.json().await.unwrap()
    }

    /// Makes `user` a collaborator of `repo` with `permission` (`push`, `maintain`...).
    pub async fn grant(&self, repo: &str, user: &str, permission: &str) {
        let url = self.sim_repo_url(repo, &format!("/collaborators/{user}"));
        let answer = self
            .http
            .put(url)
            .bearer_auth("test-token")
            .json(&serde_json::json!({ "permission": permission }))
            .send()
            .await
            .unwrap();
        assert!(answer.status().is_success(), "{}", answer.status());
    }

    /// `user` comments `body` on issue or pull request `number` of `repo`: the comment
    /// is made on the simulator first (GitHub has it before it sends the webhook),
    /// then its `issue_comment.created` delivery, built from the corpus with the
    /// issue as the simulator has it (title, body, state, labels, ...), is sent and
    /// handled. Returns the delivery's id.
    pub async fn comment(&self, repo: &str, number: u64, user: &str, body: &str) -> String {
        let issue = self.sim_get(repo, &format!("/issues/{number}")).await;
        let url = self.sim_repo_url(repo, &format!("/issues/{number}/comments"));
        let created = self
            .http
            .post(url)
            .bearer_auth("test-token")
            .header("x-sim-user", user)
            .json(&serde_json::json!({ "body": body }))
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), 201);
        let comment_id = created.json::<serde_json::Value>().await.unwrap()["id"].clone();
        let mut v: serde_json::Value =
            serde_json::from_slice(&corpus_payload("issue_comment/created.payload.json")).unwrap();
        for key in [
            "number",
            "title",
            "body",
            "state",
            "labels",
            "assignees",
            "user",
            "pull_request",
        ] {
            v["issue"][key] = issue[key].clone();
        }
        v["comment"]["id"] = comment_id;
        v["comment"]["body"] = body.into();
        v["comment"]["user"]["login"] = user.into();
        v["comment"]["user"]["type"] = "User".into();
        v["sender"] = v["comment"]["user"].clone();
        let id = delivery_id();
        assert_eq!(
            self.post_webhook("issue_comment", &id, &serde_json::to_vec(&v).unwrap())
                .await
                .status(),
            202
        );
        self.wait_for_idle_queue(Duration::from_secs(60)).await;
        id
    }
}

/// A browser session of a test user: the cookie and the session's CSRF token.
#[derive(Debug, Clone)]
pub struct Session {
    /// The user's login.
    pub login: String,
    /// `name=value` of the session cookie, for a `Cookie` header.
    pub cookie: String,
    /// The session's CSRF token.
    pub csrf: String,
}

/// The password test users get (long enough for the strength check).
pub const TEST_PASSWORD: &str = "correct horse battery staple";

/// Accounts as a test: users, sign-in, requests as a signed-in browser.
impl TestApp {
    /// A client that does not follow redirects (to see a 303 and its cookies).
    pub fn browser(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    }

    /// This server's origin, for `Origin` headers.
    pub fn origin(&self) -> String {
        self.address.clone()
    }

    /// Creates a user with `role` on every project (`None`: only team grants) and
    /// the password [`TEST_PASSWORD`]; returns the id.
    pub async fn create_user(&self, login: &str, role: Option<gantry_server::auth::Role>) -> i64 {
        let actor = gantry_server::auth::accounts::Actor::cli();
        gantry_server::auth::accounts::create_user(
            &self.state.db,
            self.state.audit_key(),
            &actor,
            login,
            Some(TEST_PASSWORD.into()),
            role,
        )
        .await
        .unwrap()
    }

    /// Posts the sign-in form; returns the answer (not followed).
    pub async fn post_login(&self, login: &str, password: &str) -> reqwest::Response {
        self.browser()
            .post(format!("{}/login", self.address))
            .header("origin", self.origin())
            .form(&[("login", login), ("password", password)])
            .send()
            .await
            .unwrap()
    }

    /// Signs `login` in with [`TEST_PASSWORD`], which must succeed.
    pub async fn sign_in_as(&self, login: &str) -> Session {
        let answer = self.post_login(login, TEST_PASSWORD).await;
        assert_eq!(answer.status(), 303, "signing in {login}");
        let cookie = session_cookie_of(&answer).expect("a session cookie after signing in");
        let me: serde_json::Value = self
            .http
            .get(format!("{}/api/v1/me", self.address))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        Session {
            login: login.to_owned(),
            cookie,
            csrf: me["csrf_token"].as_str().unwrap().to_owned(),
        }
    }

    /// Creates a user with `role` everywhere (`None`: no role at all) and signs them in.
    pub async fn sign_in(&self, role: Option<gantry_server::auth::Role>) -> Session {
        let login = format!(
            "{}-{}",
            role.map_or("nobody", |r| r.as_str()),
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        );
        self.create_user(&login, role).await;
        self.sign_in_as(&login).await
    }

    /// A request as `session`'s browser: cookie, same-site `Origin`, and the CSRF
    /// header (as htmx sends it).
    pub fn as_user(
        &self,
        session: &Session,
        method: reqwest::Method,
        path: &str,
    ) -> reqwest::RequestBuilder {
        self.browser()
            .request(method, format!("{}{path}", self.address))
            .header("cookie", &session.cookie)
            .header("origin", self.origin())
            .header("x-csrf-token", &session.csrf)
    }
}

/// `name=value` of the session cookie an answer sets, if any.
pub fn session_cookie_of(answer: &reqwest::Response) -> Option<String> {
    answer
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("gantry_session=") || v.starts_with("__Host-gantry_session="))
        .and_then(|v| v.split(';').next())
        .filter(|v| !v.ends_with('='))
        .map(str::to_owned)
}
