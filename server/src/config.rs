//! Settings: the TOML file, `GANTRY_*` environment overrides and their defaults.
//!
//! This is the only module that reads the environment. A setting is named by its path
//! in the TOML file; the environment overrides it as `GANTRY_<SECTION>__<KEY>`, for
//! example `GANTRY_DATABASE__URL` or `GANTRY_WORKER__CONCURRENCY`. Two shortcuts exist:
//! `GANTRY_WEBHOOK_SECRET` adds one webhook secret, `GANTRY_DATA_DIR` sets `data_dir`.
//! The file is checked strictly: an unknown key is an error, not silently ignored.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};

use crate::domain::Secret;

pub mod model_spending;
pub mod models;
pub mod production;

pub use model_spending::{BudgetLimit, ModelBudgetSettings, ModelPrice, ModelSettings};

/// All of Gantry's settings. Every field has a default, so an empty file is valid.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Where Gantry keeps its SQLite database and caches.
    pub data_dir: PathBuf,
    /// The HTTP listener.
    pub server: ServerSettings,
    /// The database connection.
    pub database: DatabaseSettings,
    /// Webhook intake.
    pub webhook: WebhookSettings,
    /// How Gantry talks to GitHub.
    pub github: GitHubSettings,
    /// The background workers that process jobs.
    pub worker: WorkerSettings,
    /// Plugins and their sandbox limits.
    pub plugins: PluginSettings,
    /// The JSON API.
    pub api: ApiSettings,
    /// Encryption of stored secrets.
    pub secrets: SecretsSettings,
    /// Actions held for approval.
    pub approvals: ApprovalSettings,
    /// Comment commands.
    pub commands: CommandSettings,
    /// Scheduled ticks for plugins.
    pub schedule: ScheduleSettings,
    /// Span export over OpenTelemetry.
    pub telemetry: TelemetrySettings,
    /// The dashboard: sign-in, sessions and cookies.
    pub web: WebSettings,
    /// The Prometheus endpoint.
    pub metrics: MetricsSettings,
    /// The sweep recovering deliveries GitHub could not make.
    pub recovery: RecoverySettings,
    /// Language model providers plugins may ask (`model:<name>`), by name; the
    /// built-in `rule-based` exists without being configured.
    pub models: BTreeMap<String, models::ProviderSettings>,
    /// `.github/gantry.yml`: plugin configuration read from repositories, and its
    /// ceilings (docs/repository-config.md).
    pub repository_config: RepositoryConfigSettings,
    /// What model calls may spend: budgets, the per-person rate limit and prices
    /// (`[model_spending]`, `model::budget`).
    pub model_spending: ModelSettings,
}

/// Configuration as code (`services::repo_config`): what a repository's
/// `.github/gantry.yml` may set. The file only ever configures plugins enabled on
/// the repository, within these ceilings; it never enables a plugin, touches a
/// policy, grants a capability or names a secret.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RepositoryConfigSettings {
    /// Read repositories' `.github/gantry.yml` at all (off: Gantry's configuration
    /// alone, and no `gantry/config` check run).
    pub enabled: bool,
    /// A repository's file is read again when this process last read it longer ago
    /// than this, in case a push was missed (a push touching it reads it at once).
    pub refresh_secs: u64,
    /// The plugins a repository's file may configure; `*` for every plugin enabled
    /// on it.
    pub plugins: Vec<String>,
    /// Per plugin, the keys that are the admin's alone: top-level keys or JSON
    /// pointers (`/rules`, `/title_check/enabled`). A file setting, replacing or
    /// removing one of them (or anything under it) is refused.
    pub admin_keys: BTreeMap<String, Vec<String>>,
    /// When a repository with no file is added to an installation, propose one in
    /// a pull request from `gantry/onboarding` (every enabled plugin's options as
    /// comments), through the policy like any write: held for approval unless a
    /// rule for plugin `gantry` allows `contents:write`. Needs `enabled`.
    pub onboarding: bool,
}

impl Default for RepositoryConfigSettings {
    fn default() -> Self {
        Self {
            enabled: false,
            refresh_secs: 300,
            plugins: vec!["*".into()],
            admin_keys: BTreeMap::new(),
            onboarding: false,
        }
    }
}

impl RepositoryConfigSettings {
    /// Whether a repository's file may configure `plugin`.
    #[must_use]
    pub fn may_configure(&self, plugin: &str) -> bool {
        self.plugins.iter().any(|p| p == "*" || p == plugin)
    }

    /// The keys of `plugin` only the admin sets.
    #[must_use]
    pub fn admin_keys(&self, plugin: &str) -> &[String] {
        self.admin_keys.get(plugin).map_or(&[], Vec::as_slice)
    }
}

/// Missed-delivery recovery (`services::recovery`): with a GitHub App, a sweep reads
/// the App's delivery log and asks GitHub to redeliver what Gantry never stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RecoverySettings {
    /// Run the sweep (only with a GitHub App: a token cannot read the log).
    pub enabled: bool,
    /// How often, across all replicas together (one sweeps at a time).
    pub interval_secs: u64,
    /// Attempts younger than this are left alone: they may be being stored now.
    pub grace_secs: u64,
    /// How far back the first sweep looks (GitHub keeps about three days).
    pub lookback_hours: u64,
    /// Times one event is asked for before the sweep gives up on it.
    pub max_attempts: i32,
}

impl Default for RecoverySettings {
    fn default() -> Self {
        Self {
            enabled: true,
            interval_secs: 300,
            grace_secs: 60,
            lookback_hours: 72,
            max_attempts: 3,
        }
    }
}

/// `GET /metrics`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsSettings {
    /// When set, `/metrics` answers only requests with `Authorization: Bearer
    /// <token>` (401 otherwise); unset, it is open to whoever reaches the listener.
    pub token: Option<Secret>,
}

/// The dashboard's accounts and sessions (see docs/accounts.md).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebSettings {
    /// The key that signs session tokens (at least 32 characters). When unset, a
    /// random key is made at first start and stored sealed with `secrets.key`
    /// (without `secrets.key`, a key that lasts until the process stops).
    pub session_key: Option<Secret>,
    /// Mark cookies `Secure` and name the session cookie `__Host-gantry_session`:
    /// turn on when the dashboard is served over TLS.
    pub secure_cookies: bool,
    /// Replaced by `trusted_proxies`: `true` is refused at start with a message
    /// saying so (it trusted forwarded headers from any client).
    pub trust_proxy_headers: bool,
    /// The reverse proxies in front of Gantry: addresses or CIDR blocks
    /// (`10.0.0.0/8`, `::1`). Only from these is `X-Forwarded-Proto: https` taken
    /// as TLS and `X-Forwarded-For` read, and the client is the right-most forwarded
    /// address that is not one of them.
    pub trusted_proxies: Vec<String>,
    /// How long a session lasts, in seconds.
    pub session_ttl_secs: u64,
    /// Origins besides the server's own (`https://gantry.example.com`) whose forms
    /// may post to the dashboard.
    pub allowed_origins: Vec<String>,
    /// Login throttling.
    pub login: LoginThrottleSettings,
}

impl Default for WebSettings {
    fn default() -> Self {
        Self {
            session_key: None,
            secure_cookies: false,
            trust_proxy_headers: false,
            trusted_proxies: Vec::new(),
            session_ttl_secs: 12 * 3600,
            allowed_origins: Vec::new(),
            login: LoginThrottleSettings::default(),
        }
    }
}

/// Failed sign-ins, counted per account and per client address. After
/// `free_failures` (per account) or `ip_free_failures` (per address) in a row, each
/// further attempt must wait `base_delay_ms`, doubled per failure up to
/// `max_delay_ms` (429 until then, without checking the password); after
/// `lockout_failures` the account or address is refused for `lockout_secs`, even
/// with the right password. Counts are forgotten `lockout_secs` after the last
/// failure, and an account's on a successful sign-in.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LoginThrottleSettings {
    /// Failures per account before delays start.
    pub free_failures: u32,
    /// Failures per client address before delays start.
    pub ip_free_failures: u32,
    /// The first delay, in milliseconds.
    pub base_delay_ms: u64,
    /// The longest delay, in milliseconds.
    pub max_delay_ms: u64,
    /// Failures after which the account or address is locked.
    pub lockout_failures: u32,
    /// How long a lock lasts, in seconds.
    pub lockout_secs: u64,
    /// Password checks (argon2id, about 19 MiB each) that may run at once; more
    /// sign-ins wait. Defaults to the number of CPUs.
    pub max_concurrent_verifications: usize,
}

impl Default for LoginThrottleSettings {
    fn default() -> Self {
        Self {
            free_failures: 5,
            ip_free_failures: 20,
            base_delay_ms: 1_000,
            max_delay_ms: 60_000,
            lockout_failures: 100,
            lockout_secs: 15 * 60,
            max_concurrent_verifications: std::thread::available_parallelism()
                .map_or(2, std::num::NonZeroUsize::get),
        }
    }
}

/// Span export: when `otlp_endpoint` is set, every span (request, intake, job, plugin
/// invocation, policy decision, GitHub call) is also sent to an OpenTelemetry
/// collector over OTLP/HTTP with protobuf bodies.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TelemetrySettings {
    /// Base URL of the collector's OTLP/HTTP receiver, such as
    /// `http://collector:4318`; spans go to `<endpoint>/v1/traces`. Empty turns
    /// export off.
    pub otlp_endpoint: String,
    /// The `service.name` resource attribute on every exported span.
    pub service_name: String,
}

impl TelemetrySettings {
    /// Whether spans are exported at all.
    #[must_use]
    pub fn exports(&self) -> bool {
        !self.otlp_endpoint.trim().is_empty()
    }
}

impl Default for TelemetrySettings {
    fn default() -> Self {
        Self {
            otlp_endpoint: String::new(),
            service_name: "gantry".into(),
        }
    }
}

/// Scheduled ticks (`gantry_schedule` events) for plugins that subscribe to them.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScheduleSettings {
    /// Seconds between ticks; each repository a subscribed plugin is enabled on gets
    /// one tick per interval.
    pub interval_secs: u64,
}

impl Default for ScheduleSettings {
    fn default() -> Self {
        Self { interval_secs: 60 }
    }
}

/// Comment commands (`/verb` and `@bot verb`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CommandSettings {
    /// The name mentions address (`@gantry release v1.2.0`): the App's bot login
    /// without `[bot]`.
    pub bot_name: String,
}

impl Default for CommandSettings {
    fn default() -> Self {
        Self {
            bot_name: "gantry".into(),
        }
    }
}

/// Actions held by an `ask` decision.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ApprovalSettings {
    /// A held action nobody decides within this many seconds expires and never runs.
    pub expire_after_secs: u64,
    /// How often the server expires old approvals and tells plugins how their held
    /// actions ended, in milliseconds.
    pub sweep_interval_ms: u64,
    /// The largest pack of git objects a push held for approval may store in the
    /// database, in bytes; a larger one is refused rather than held.
    pub max_held_push_bytes: u64,
}

impl Default for ApprovalSettings {
    fn default() -> Self {
        Self {
            expire_after_secs: 7 * 24 * 3600,
            sweep_interval_ms: 1_000,
            max_held_push_bytes: 64 * 1024 * 1024,
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from(".gantry"),
            server: ServerSettings::default(),
            database: DatabaseSettings::default(),
            webhook: WebhookSettings::default(),
            github: GitHubSettings::default(),
            worker: WorkerSettings::default(),
            plugins: PluginSettings::default(),
            api: ApiSettings::default(),
            secrets: SecretsSettings::default(),
            approvals: ApprovalSettings::default(),
            commands: CommandSettings::default(),
            schedule: ScheduleSettings::default(),
            telemetry: TelemetrySettings::default(),
            web: WebSettings::default(),
            metrics: MetricsSettings::default(),
            recovery: RecoverySettings::default(),
            models: BTreeMap::new(),
            repository_config: RepositoryConfigSettings::default(),
            model_spending: ModelSettings::default(),
        }
    }
}

/// Encryption of secrets stored in the database.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SecretsSettings {
    /// 32 random bytes, base64 (`gantry secrets generate-key`). Needed to store or
    /// read webhook secrets kept in the database.
    pub key: Option<Secret>,
}

/// The JSON API under `/api/v1`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ApiSettings {
    /// Bearer token with admin rights on the JSON API. Without one the API is
    /// closed (every call answers 401 saying how to open it).
    pub token: Option<Secret>,
}

/// The HTTP listener.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSettings {
    /// Address to listen on; port 0 picks a free port.
    pub listen: String,
    /// Number of HTTP worker threads.
    pub http_workers: usize,
    /// `development` (the default) or `production`: in production `gantry serve`
    /// refuses to start while a production check fails (see [`production`]).
    pub environment: Environment,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            http_workers: 2,
            environment: Environment::Development,
        }
    }
}

/// Where this Gantry runs, for the production checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    /// A developer's machine, a sandbox or a test: no production checks.
    Development,
    /// Serving real GitHub: `gantry serve` refuses to start while a check fails.
    Production,
}

/// The database connection.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseSettings {
    /// `sqlite://PATH` or `postgres://...`. Empty means SQLite at `<data_dir>/gantry.db`.
    pub url: String,
    /// Most connections in the pool.
    pub max_connections: u32,
    /// Run pending migrations at start.
    pub migrate_on_start: bool,
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            url: String::new(),
            max_connections: 20,
            migrate_on_start: true,
        }
    }
}

/// Webhook intake.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebhookSettings {
    /// Accepted webhook secrets; a delivery signed with any of them is accepted, so a
    /// secret can be rotated by adding the new one before removing the old.
    pub secrets: Vec<Secret>,
    /// Largest accepted body. GitHub caps payloads at 25 MB; the default is 25 MiB.
    pub max_body_bytes: usize,
    /// How long secrets read from the database are reused before being read again;
    /// a secret added or removed with `gantry secrets` takes effect within this.
    pub secret_cache_ms: u64,
    /// How long the whole body may take to arrive, in milliseconds; a slower one gets
    /// 408 and its connection is closed (GitHub itself gives up after 10 s).
    pub body_timeout_ms: u64,
    /// Deliveries being read, verified and stored at once; one more gets 503 with
    /// `Retry-After` instead of waiting.
    pub max_in_flight: usize,
    /// Seconds during which the same body is accepted once, whatever its delivery
    /// id (which the signature does not cover): a replayed body is answered as a
    /// duplicate. 0 turns this off (then only the delivery id deduplicates).
    pub replay_window_secs: u64,
    /// Every delivery is answered within this: one that cannot be stored in time is
    /// refused with 503 and `Retry-After` (GitHub gives up after 10 s).
    pub deadline_ms: u64,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            secrets: Vec::new(),
            max_body_bytes: 25 * 1024 * 1024,
            secret_cache_ms: 5_000,
            body_timeout_ms: 10_000,
            max_in_flight: 256,
            replay_window_secs: 7 * 24 * 3600,
            deadline_ms: 5_000,
        }
    }
}

impl WebhookSettings {
    /// The answer deadline as a duration.
    #[must_use]
    pub fn deadline(&self) -> Duration {
        Duration::from_millis(self.deadline_ms)
    }
}

/// How Gantry talks to GitHub.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GitHubSettings {
    /// REST API base URL: GitHub, GitHub Enterprise Server (`https://HOST/api/v3`) or the
    /// simulator.
    pub api_url: String,
    /// A personal access token, when Gantry does not run as a GitHub App.
    pub token: Option<Secret>,
    /// The GitHub App's id; with a private key, Gantry authenticates as the App and
    /// acts with each installation's token.
    pub app_id: Option<u64>,
    /// The App's private key, PEM (PKCS#1 or PKCS#8). Prefer `GANTRY_GITHUB__PRIVATE_KEY`
    /// or `private_key_file`.
    pub private_key: Option<Secret>,
    /// A file holding the App's private key.
    pub private_key_file: Option<PathBuf>,
    /// Connection timeout in milliseconds.
    pub connect_timeout_ms: u64,
    /// Read timeout per response in milliseconds.
    pub read_timeout_ms: u64,
    /// Where repositories are cloned from: `{git_url}/{owner}/{name}.git`.
    pub git_url: String,
    /// Calls to GitHub in flight at once per installation (per token); more wait.
    pub max_concurrent_calls: usize,
}

impl Default for GitHubSettings {
    fn default() -> Self {
        Self {
            api_url: "https://api.github.com".into(),
            token: None,
            app_id: None,
            private_key: None,
            private_key_file: None,
            connect_timeout_ms: 5_000,
            read_timeout_ms: 15_000,
            git_url: "https://github.com".into(),
            max_concurrent_calls: 8,
        }
    }
}

/// The background workers.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WorkerSettings {
    /// Removed: jobs are no longer tied to worker tasks. Setting it is refused with
    /// a message naming [`WorkerSettings::in_flight`] and
    /// [`WorkerSettings::per_installation`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<usize>,
    /// Jobs in flight at once in this process (leased and not yet finished); a job
    /// waiting on GitHub holds one of these, not a thread. 0: this process leases
    /// no jobs (it only takes deliveries; other replicas run them).
    pub in_flight: usize,
    /// Jobs in flight at once in this process for one installation, counted by the
    /// repository owner (an installation belongs to one account). GitHub allows no
    /// more than 100 concurrent requests (its secondary rate limits).
    pub per_installation: usize,
    /// How often an idle worker looks for jobs (it is also woken on each delivery).
    pub poll_interval_ms: u64,
    /// How long a lease lasts before another worker may take the job over.
    pub lease_secs: u64,
    /// Attempts before a job is dead-lettered.
    pub max_attempts: i32,
    /// First retry delay; doubled per attempt, with jitter.
    pub retry_base_ms: u64,
    /// How many replicas of Gantry share this database, as the operator declares
    /// it (the production checks refuse SQLite with more than one).
    pub replicas: u32,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        Self {
            concurrency: None,
            in_flight: 256,
            per_installation: 100,
            poll_interval_ms: 500,
            lease_secs: 60,
            max_attempts: 5,
            retry_base_ms: 2_000,
            replicas: 1,
        }
    }
}

/// Plugins and their sandbox limits.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PluginSettings {
    /// Directory of `.wasm` components installed (or upgraded) at start.
    pub dir: PathBuf,
    /// Per-plugin configuration (JSON-shaped), by plugin name, for plugins installed
    /// from `dir`: applied over the manifest's defaults when the plugin is first
    /// installed; afterwards the stored configuration (`gantry plugin configure`)
    /// is used.
    pub config: BTreeMap<String, serde_json::Value>,
    /// Sandbox limits for every invocation.
    pub limits: Limits,
    /// A plugin that traps or times out this many times in a row is disabled until
    /// an operator enables it again (`gantry plugin enable NAME`).
    pub max_consecutive_crashes: i32,
    /// The largest plugin component `gantry plugin install` and the API accept.
    pub max_component_bytes: usize,
    /// Outbound HTTP from plugins.
    pub http: HttpSettings,
}

impl Default for PluginSettings {
    fn default() -> Self {
        Self {
            dir: PathBuf::from("target/plugins"),
            config: BTreeMap::new(),
            limits: Limits::default(),
            max_consecutive_crashes: 5,
            max_component_bytes: 32 * 1024 * 1024,
            http: HttpSettings::default(),
        }
    }
}

/// Outbound HTTP from plugins: which hosts may resolve to addresses that are
/// otherwise refused (loopback, private, link-local, metadata), and fixed name
/// resolutions. A plugin still needs its `http:<host>` capability and the policy.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpSettings {
    /// Host names whose private or loopback addresses are allowed, for services on
    /// the operator's own network. Empty by default: nothing private is reachable.
    pub allow_private: Vec<String>,
    /// Fixed addresses for host names, used instead of DNS (like `/etc/hosts`). The
    /// address checks still apply.
    pub hosts: BTreeMap<String, Vec<std::net::IpAddr>>,
    /// Connect timeout in milliseconds (the invocation's deadline bounds the rest).
    pub connect_timeout_ms: u64,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            allow_private: Vec::new(),
            hosts: BTreeMap::new(),
            connect_timeout_ms: 5_000,
        }
    }
}

/// Sandbox limits for one plugin invocation.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Wall-clock deadline around the whole call, host calls included.
    pub timeout_ms: u64,
    /// Epoch tick: how often running guest code checks the deadline.
    pub epoch_tick_ms: u64,
    /// Linear memory cap per instance.
    pub memory_mib: usize,
    /// WebAssembly stack cap.
    pub stack_kib: usize,
    /// Log lines kept per invocation; later lines are counted and dropped.
    pub max_log_lines: usize,
    /// Longest log line kept, in bytes; longer lines are cut.
    pub max_log_line_bytes: usize,
    /// GitHub calls one invocation may make.
    pub github_calls: u32,
    /// Largest output in bytes: an error message, a KV value, an HTTP body.
    pub max_output_bytes: usize,
    /// Disk one git workspace may use, in MiB.
    pub workspace_mib: u64,
    /// Plugin instances that can exist at once in this process (the pooling
    /// allocator's slots). Invocations beyond it wait for a slot.
    pub pool_instances: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            timeout_ms: 10_000,
            epoch_tick_ms: 10,
            memory_mib: 64,
            stack_kib: 512,
            max_log_lines: 200,
            max_log_line_bytes: 4096,
            github_calls: 50,
            max_output_bytes: 1024 * 1024,
            workspace_mib: 512,
            pool_instances: 64,
        }
    }
}

impl Limits {
    /// The wall-clock deadline as a duration.
    #[must_use]
    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms)
    }
}

impl Settings {
    /// Loads settings from an optional TOML file, then the process environment.
    ///
    /// # Errors
    /// When the file cannot be read or parsed, has unknown keys, or an environment
    /// override has the wrong type.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Self> {
        Self::load_from(file, std::env::vars())
    }

    /// Loads settings from an optional TOML file and the given environment.
    ///
    /// # Errors
    /// As [`Settings::load`].
    pub fn load_from(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> anyhow::Result<Self> {
        // The defaults as a tree (they hold no secret), the file's own tree merged
        // over it: serialising parsed settings would write each secret as "***".
        let mut tree =
            toml::Value::try_from(Settings::default()).context("serialising the defaults")?;
        if let Some(path) = file {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            // Parsed as settings first, for errors (unknown keys, types) naming the file.
            toml::from_str::<Settings>(&text)
                .with_context(|| format!("invalid settings in {}", path.display()))?;
            let given: toml::Value = toml::from_str(&text)
                .with_context(|| format!("invalid settings in {}", path.display()))?;
            merge(&mut tree, given);
        }
        let mut extra_secrets = Vec::new();
        for (key, value) in env {
            let Some(rest) = key.strip_prefix("GANTRY_") else {
                continue;
            };
            match rest {
                "WEBHOOK_SECRET" => extra_secrets.push(Secret::new(value)),
                "DATA_DIR" => set_path(&mut tree, &["data_dir"], &value, &key)?,
                _ if rest.contains("__") => {
                    let path: Vec<String> = rest.split("__").map(str::to_ascii_lowercase).collect();
                    let path: Vec<&str> = path.iter().map(String::as_str).collect();
                    set_path(&mut tree, &path, &value, &key)?;
                }
                _ => {}
            }
        }
        let mut settings: Settings = tree
            .try_into()
            .context("invalid settings from the environment")?;
        settings.webhook.secrets.extend(extra_secrets);
        settings.validate()?;
        Ok(settings)
    }

    /// The database URL, defaulting to SQLite under the data directory.
    #[must_use]
    pub fn database_url(&self) -> String {
        if self.database.url.is_empty() {
            format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("gantry.db").display()
            )
        } else {
            self.database.url.clone()
        }
    }

    fn validate(&self) -> anyhow::Result<()> {
        if self.worker.concurrency.is_some() {
            bail!("worker.concurrency (GANTRY_WORKER__CONCURRENCY) is removed: jobs waiting on GitHub no longer hold a worker. Set worker.in_flight (jobs in flight per process, default 256) and worker.per_installation (per installation, default 100) instead");
        }
        if self.worker.per_installation == 0 {
            bail!("worker.per_installation must be at least 1");
        }
        if self.plugins.limits.epoch_tick_ms == 0 || self.plugins.limits.timeout_ms == 0 {
            bail!("plugins.limits.timeout_ms and epoch_tick_ms must be positive");
        }
        if !(100..10_000).contains(&self.webhook.deadline_ms) {
            bail!("webhook.deadline_ms must be at least 100 and under 10000 (GitHub gives up after 10 s)");
        }
        if self.web.trust_proxy_headers {
            bail!("web.trust_proxy_headers is replaced by web.trusted_proxies: list your reverse proxies' addresses or CIDR blocks (forwarded headers from anyone else are ignored)");
        }
        for proxy in &self.web.trusted_proxies {
            crate::domain::ProxyNet::parse(proxy)
                .map_err(|e| anyhow::anyhow!("web.trusted_proxies: {e}"))?;
        }
        models::check(&self.models)?;
        self.model_spending.validate()?;
        let min = crate::domain::MIN_WEBHOOK_SECRET_BYTES;
        if self.webhook.secrets.iter().any(|s| s.expose().len() < min) {
            bail!("a webhook secret (webhook.secrets, GANTRY_WEBHOOK_SECRET) must be at least {min} bytes: make one with `openssl rand -hex 32`");
        }
        Ok(())
    }
}

/// The type of an optional setting the environment may set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A string.
    Text,
    /// A whole number.
    Integer,
    /// A number (money).
    Number,
}

/// Optional settings that the environment may set though the file did not, and
/// their types.
const OPTIONAL_PATHS: &[(&[&str], Kind)] = &[
    (&["github", "token"], Kind::Text),
    (&["worker", "concurrency"], Kind::Integer),
    (&["github", "app_id"], Kind::Integer),
    (&["github", "private_key"], Kind::Text),
    (&["github", "private_key_file"], Kind::Text),
    (&["api", "token"], Kind::Text),
    (&["secrets", "key"], Kind::Text),
    (&["web", "session_key"], Kind::Text),
    (&["metrics", "token"], Kind::Text),
    (
        &["model_spending", "budgets", "per_person_per_hour"],
        Kind::Integer,
    ),
    (
        &["model_spending", "budgets", "invocation", "tokens"],
        Kind::Integer,
    ),
    (
        &["model_spending", "budgets", "invocation", "dollars"],
        Kind::Number,
    ),
    (
        &["model_spending", "budgets", "repository_per_day", "tokens"],
        Kind::Integer,
    ),
    (
        &["model_spending", "budgets", "repository_per_day", "dollars"],
        Kind::Number,
    ),
    (
        &[
            "model_spending",
            "budgets",
            "organisation_per_month",
            "tokens",
        ],
        Kind::Integer,
    ),
    (
        &[
            "model_spending",
            "budgets",
            "organisation_per_month",
            "dollars",
        ],
        Kind::Number,
    ),
    (
        &["model_spending", "budgets", "overall", "tokens"],
        Kind::Integer,
    ),
    (
        &["model_spending", "budgets", "overall", "dollars"],
        Kind::Number,
    ),
];

/// Merges `given` over `base`: tables key by key, anything else replaced.
fn merge(base: &mut toml::Value, given: toml::Value) {
    match (base, given) {
        (toml::Value::Table(base), toml::Value::Table(given)) => {
            for (key, value) in given {
                match base.get_mut(&key) {
                    Some(existing) => merge(existing, value),
                    None => {
                        base.insert(key, value);
                    }
                }
            }
        }
        (base, given) => *base = given,
    }
}

/// Sets `path` in `tree` to `raw`, converted to the type the default already has.
/// Paths that name no setting are ignored, so unrelated `GANTRY_*` variables are fine.
fn set_path(tree: &mut toml::Value, path: &[&str], raw: &str, key: &str) -> anyhow::Result<()> {
    let Some((last, parents)) = path.split_last() else {
        return Ok(());
    };
    let mut node = tree;
    for part in parents {
        match node.get_mut(*part) {
            Some(child) => node = child,
            None => return Ok(()),
        }
    }
    let Some(table) = node.as_table_mut() else {
        return Ok(());
    };
    let Some(current) = table.get(*last) else {
        // Optional settings (tokens, the App's id and key) are absent from the tree
        // until set.
        if let Some((_, kind)) = OPTIONAL_PATHS.iter().find(|(p, _)| *p == path) {
            let value = match kind {
                Kind::Integer => toml::Value::Integer(
                    raw.parse()
                        .with_context(|| format!("{key} must be an integer"))?,
                ),
                Kind::Number => toml::Value::Float(
                    raw.parse()
                        .with_context(|| format!("{key} must be a number"))?,
                ),
                Kind::Text => toml::Value::String(raw.to_owned()),
            };
            table.insert((*last).to_owned(), value);
        }
        return Ok(());
    };
    let value = match current {
        toml::Value::Integer(_) => toml::Value::Integer(
            raw.parse()
                .with_context(|| format!("{key} must be an integer"))?,
        ),
        toml::Value::Boolean(_) => toml::Value::Boolean(
            raw.parse()
                .with_context(|| format!("{key} must be true or false"))?,
        ),
        toml::Value::Float(_) => toml::Value::Float(
            raw.parse()
                .with_context(|| format!("{key} must be a number"))?,
        ),
        toml::Value::Array(_) => toml::Value::Array(
            raw.split(',')
                .map(|s| toml::Value::String(s.trim().to_owned()))
                .collect(),
        ),
        _ => toml::Value::String(raw.to_owned()),
    };
    table.insert((*last).to_owned(), value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn environment_overrides_nested_settings_with_their_types() {
        let s = Settings::load_from(
            None,
            env(&[
                ("GANTRY_WORKER__IN_FLIGHT", "7"),
                ("GANTRY_DATABASE__URL", "postgres://x/y"),
                (
                    "GANTRY_WEBHOOK_SECRET",
                    "s3-that-is-long-enough-for-hmac-32",
                ),
            ]),
        )
        .unwrap();
        assert_eq!(s.worker.in_flight, 7);
        assert_eq!(s.database_url(), "postgres://x/y");
        assert_eq!(s.webhook.secrets.len(), 1);
        assert_eq!(
            s.webhook.secrets[0].expose(),
            "s3-that-is-long-enough-for-hmac-32"
        );
    }

    #[test]
    fn a_webhook_secret_shorter_than_32_bytes_is_refused_with_a_clear_error() {
        let err = Settings::load_from(None, env(&[("GANTRY_WEBHOOK_SECRET", "short-secret")]))
            .unwrap_err();
        let message = format!("{err:#}");
        assert!(message.contains("at least 32 bytes"), "{message}");
        assert!(!message.contains("short-secret"), "{message}");
    }

    #[test]
    fn a_badly_typed_override_is_a_clear_error() {
        let err =
            Settings::load_from(None, env(&[("GANTRY_WORKER__IN_FLIGHT", "many")])).unwrap_err();
        assert!(format!("{err:#}").contains("GANTRY_WORKER__IN_FLIGHT must be an integer"));
    }

    #[test]
    fn the_removed_worker_concurrency_is_refused_naming_its_replacements() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gantry.toml");
        std::fs::write(&path, "[worker]\nconcurrency = 4\n").unwrap();
        for err in [
            Settings::load_from(Some(&path), env(&[])).unwrap_err(),
            Settings::load_from(None, env(&[("GANTRY_WORKER__CONCURRENCY", "4")])).unwrap_err(),
        ] {
            let message = format!("{err:#}");
            assert!(
                message.contains("worker.concurrency")
                    && message.contains("worker.in_flight")
                    && message.contains("worker.per_installation"),
                "{message}"
            );
        }
        assert!(Settings::load_from(None, env(&[])).is_ok());
    }

    #[test]
    fn the_github_app_can_be_configured_from_the_environment_alone() {
        let s = Settings::load_from(
            None,
            env(&[
                ("GANTRY_GITHUB__APP_ID", "123456"),
                ("GANTRY_GITHUB__PRIVATE_KEY_FILE", "/etc/gantry/app.pem"),
            ]),
        )
        .unwrap();
        assert_eq!(s.github.app_id, Some(123_456));
        assert_eq!(
            s.github.private_key_file.as_deref(),
            Some(std::path::Path::new("/etc/gantry/app.pem"))
        );
        let s = Settings::load_from(
            None,
            env(&[(
                "GANTRY_GITHUB__PRIVATE_KEY",
                "-----BEGIN RSA PRIVATE KEY-----",
            )]),
        )
        .unwrap();
        assert!(s.github.private_key.is_some());
        let err =
            Settings::load_from(None, env(&[("GANTRY_GITHUB__APP_ID", "notanumber")])).unwrap_err();
        assert!(
            format!("{err:#}").contains("GANTRY_GITHUB__APP_ID must be an integer"),
            "{err:#}"
        );
    }

    #[test]
    fn unknown_keys_in_the_file_are_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gantry.toml");
        std::fs::write(&path, "[worker]\nconcurency = 3\n").unwrap();
        let err = Settings::load_from(Some(&path), env(&[])).unwrap_err();
        assert!(format!("{err:#}").contains("concurency"), "{err:#}");
    }

    #[test]
    fn sqlite_under_the_data_dir_is_the_default_database() {
        let s = Settings::load_from(None, env(&[("GANTRY_DATA_DIR", "/tmp/g")])).unwrap();
        assert_eq!(s.database_url(), "sqlite:///tmp/g/gantry.db?mode=rwc");
    }

    #[test]
    fn a_webhook_deadline_github_would_not_wait_for_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gantry.toml");
        std::fs::write(&path, "[webhook]\ndeadline_ms = 10000\n").unwrap();
        let err = Settings::load_from(Some(&path), env(&[])).unwrap_err();
        assert!(format!("{err:#}").contains("deadline_ms"), "{err:#}");
        std::fs::write(&path, "[webhook]\ndeadline_ms = 3000\n").unwrap();
        let s = Settings::load_from(Some(&path), env(&[])).unwrap();
        assert_eq!(s.webhook.deadline(), Duration::from_secs(3));
    }
}
