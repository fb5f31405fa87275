//! Gantry's side: a `PluginRuntime` with the default limits (its epoch ticker
//! running), the plugin loaded as the server loads it, and the `JobEnv` a job
//! worker hands it: a GitHub client pointed at a closed port (the plugin makes no
//! calls), a migrated SQLite database in a temporary directory, and no policy rules.
//! Also the two events, each as Gantry's `PluginEvent` and as the WIT `event`.
use std::sync::Arc;

use anyhow::{bail, Context};
use gantry_server::config::{GitHubSettings, Limits};
use gantry_server::db;
use gantry_server::domain::EventMeta;
use gantry_server::github::GitHubClient;
use gantry_server::wasm_host::bindings::{Event, Repo};
use gantry_server::wasm_host::{
    JobEnv, LoadedPlugin, Outcome, PluginEvent, PluginRuntime, ProcessServices,
};

/// Where the GitHub client points: the discard port, which nothing should reach.
const DUMMY_GITHUB: &str = "http://127.0.0.1:9";

/// The runtime, the loaded plugin and its environment.
#[derive(Debug)]
pub struct Gantry {
    runtime: PluginRuntime,
    plugin: LoadedPlugin,
    env: JobEnv,
    // Dropped last: the database file lives here.
    _dir: tempfile::TempDir,
}

impl Gantry {
    /// Builds the runtime, loads `wasm` and sets up the database. Call inside a tokio
    /// runtime (the database pool and the GitHub client need one).
    ///
    /// # Errors
    /// When the runtime, the plugin, the database or the client cannot be set up.
    pub async fn new(limits: Limits, wasm: &[u8]) -> anyhow::Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("gantry-bench-plugin-")
            .tempdir()
            .context("creating a temporary directory")?;
        let url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("bench.db").display()
        );
        let database = db::connect(&url, 2).await?;
        db::migrate(&database).await?;
        let github = GitHubClient::new(&GitHubSettings {
            api_url: DUMMY_GITHUB.into(),
            ..GitHubSettings::default()
        })?;
        let runtime = PluginRuntime::new(limits)?;
        let plugin = runtime.load(wasm, None)?;
        let services = Arc::new(ProcessServices::new(
            &gantry_server::config::Settings::default(),
            None,
        )?);
        let env = JobEnv {
            github,
            db: database,
            rules: Arc::new(vec![]),
            services,
            actors: Default::default(),
            stop: Default::default(),
        };
        Ok(Self {
            runtime,
            plugin,
            env,
            _dir: dir,
        })
    }

    /// The loaded plugin's name.
    #[must_use]
    pub fn plugin_name(&self) -> &str {
        &self.plugin.manifest.name
    }

    /// One `PluginRuntime::invoke`.
    ///
    /// # Errors
    /// When the outcome is not `ok`.
    pub async fn call(&self, event: &PluginEvent) -> anyhow::Result<()> {
        let report = self.runtime.invoke(&self.plugin, event, &self.env).await;
        if report.outcome != Outcome::Ok {
            bail!(
                "Gantry's invocation ended `{}`: {}",
                report.outcome.as_str(),
                report.message.unwrap_or_default()
            );
        }
        Ok(())
    }
}

/// One event in both forms.
#[derive(Debug, Clone)]
pub struct BenchEvent {
    /// What the report calls it.
    pub label: &'static str,
    /// The payload's size in bytes.
    pub bytes: usize,
    /// As a job worker builds it for `PluginRuntime::invoke`.
    pub gantry: PluginEvent,
    /// As `invoke` hands it to the guest.
    pub wit: Event,
}

impl BenchEvent {
    /// A `pull_request` event with `payload`, built as `services::dispatch` builds it.
    ///
    /// # Errors
    /// When `payload` is not UTF-8 or not a JSON object.
    pub fn pull_request(label: &'static str, payload: Vec<u8>) -> anyhow::Result<Self> {
        let meta =
            EventMeta::from_json(&payload).context("the payload is not a webhook payload")?;
        let payload = String::from_utf8(payload).context("the payload is not UTF-8")?;
        let gantry = PluginEvent {
            name: "pull_request".into(),
            action: meta.action.clone(),
            delivery_id: "7d3c0b1e-bench-0000-0000-000000000000".into(),
            repository: meta.repository.clone(),
            payload,
            generation: 0,
            is_retry: false,
            branch: meta.branch.clone(),
            config: None,
            invocation: None,
            cause: gantry_server::domain::Cause::default(),
        };
        let wit = Event {
            name: gantry.name.clone(),
            action: gantry.action.clone(),
            delivery_id: gantry.delivery_id.clone(),
            repository: gantry.repository.as_ref().map(|r| Repo {
                owner: r.owner.clone(),
                name: r.name.clone(),
            }),
            payload: gantry.payload.clone(),
        };
        Ok(Self {
            label,
            bytes: gantry.payload.len(),
            gantry,
            wit,
        })
    }
}
