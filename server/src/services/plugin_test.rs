//! `gantry plugin test`: runs one plugin once on one event against a private GitHub
//! simulator and a scratch database, and reports what it did: its outcome and log,
//! every policy decision, the actions it left waiting for approval, and what the
//! simulated GitHub looks like afterwards.
use std::net::TcpListener;
use std::sync::Arc;

use anyhow::Context;
use gantry_simulator::{Simulator, SimulatorOptions};
use serde::Serialize;

use crate::config::{GitHubSettings, Limits};
use crate::db::{self, approvals, audit};
use crate::domain::{EventMeta, Secret};
use crate::github::GitHubClient;
use crate::policy::store as policies;
use crate::wasm_host::{JobEnv, PluginEvent, PluginRuntime, ProcessServices};

/// What one test run did.
#[derive(Debug, Serialize)]
pub struct TestReport {
    /// `name version`.
    pub plugin: String,
    /// The SDK the plugin was built with.
    pub sdk_version: Option<String>,
    /// `event.action`.
    pub event: String,
    /// Whether the plugin subscribes to the event (it runs either way).
    pub subscribed: bool,
    /// `ok`, `error`, `trap`, `timeout` or `retry`.
    pub outcome: String,
    /// The error or trap.
    pub message: Option<String>,
    /// The plugin's log.
    pub log: String,
    /// Milliseconds, instantiation included.
    pub duration_ms: u128,
    /// Each policy decision: capability, effect and why.
    pub decisions: Vec<(String, String, String)>,
    /// Actions held for approval: id and what they would do.
    pub held: Vec<(String, String)>,
    /// Labels of the issue or pull request afterwards.
    pub labels: Vec<String>,
    /// Comments on it afterwards.
    pub comments: Vec<String>,
}

/// Runs `wasm` on `payload` as event `event_name`, with `config` overriding the
/// manifest's default configuration.
///
/// # Errors
/// When the payload is not JSON, the plugin does not load, or the scratch database
/// or simulator cannot be set up.
pub async fn run(
    wasm: &[u8],
    event_name: &str,
    payload: &[u8],
    config: Option<&serde_json::Value>,
) -> anyhow::Result<TestReport> {
    let dir = std::env::temp_dir().join(format!(
        "gantry-plugin-test-{}",
        uuid::Uuid::new_v4().simple()
    ));
    let result = run_in(&dir, wasm, event_name, payload, config).await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn run_in(
    dir: &std::path::Path,
    wasm: &[u8],
    event_name: &str,
    payload: &[u8],
    config: Option<&serde_json::Value>,
) -> anyhow::Result<TestReport> {
    let value: serde_json::Value =
        serde_json::from_slice(payload).context("the event payload is not JSON")?;
    let meta =
        EventMeta::from_json(payload).context("the event payload is not a webhook payload")?;
    let sim = Simulator::new(SimulatorOptions {
        allow_anonymous: true,
    });
    sim.learn(event_name, &value);
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let sim_url = format!("http://{}", listener.local_addr()?);
    let server = sim.serve(listener)?;
    let handle = server.handle();
    tokio::spawn(server);

    let db = db::connect(
        &format!("sqlite://{}?mode=rwc", dir.join("test.db").display()),
        2,
    )
    .await?;
    db::migrate(&db).await?;
    let runtime = PluginRuntime::new(Limits::default())?;
    let plugin = runtime.load(wasm, config)?;
    let github = GitHubClient::new(&GitHubSettings {
        api_url: sim_url,
        token: Some(Secret::new("plugin-test")),
        ..GitHubSettings::default()
    })?;
    let services = Arc::new(ProcessServices::new(
        &crate::config::Settings::default(),
        None,
    )?);
    let env = JobEnv {
        github,
        db: db.clone(),
        rules: Arc::new(policies::all(&db).await?),
        services,
        actors: Default::default(),
    };
    let event = PluginEvent {
        name: event_name.to_owned(),
        action: meta.action.clone(),
        delivery_id: format!("plugin-test-{}", uuid::Uuid::new_v4()),
        repository: meta.repository.clone(),
        payload: String::from_utf8_lossy(payload).into_owned(),
        generation: 0,
        is_retry: false,
        branch: meta.branch.clone(),
        config: None,
        invocation: None,
        cause: serde_json::from_slice::<serde_json::Value>(payload)
            .map(|p| crate::domain::Cause::of(event_name, &p))
            .unwrap_or_default(),
    };
    let report = runtime.invoke(&plugin, &event, &env).await;
    let decisions = audit::with_action(&db, "policy.decision")
        .await?
        .into_iter()
        .map(|r| {
            (
                r.capability.unwrap_or_default(),
                r.decision.unwrap_or_default(),
                r.details.unwrap_or_default(),
            )
        })
        .collect();
    let held = approvals::list(&db, Some(crate::domain::ApprovalStatus::Pending))
        .await?
        .into_iter()
        .map(|a| (a.public_id, a.action))
        .collect();
    let (labels, comments) = match (&meta.repository, meta.number) {
        (Some(repo), Some(n)) => (
            sim.issue_labels(&repo.owner, &repo.name, n)
                .unwrap_or_default(),
            sim.issue_comments(&repo.owner, &repo.name, n)
                .unwrap_or_default(),
        ),
        _ => (Vec::new(), Vec::new()),
    };
    handle.stop(false).await;
    // The process may end before the simulator's last clone is dropped.
    sim.remove_temporary_repositories();
    Ok(TestReport {
        plugin: format!("{} {}", plugin.manifest.name, plugin.manifest.version),
        sdk_version: plugin.sdk_version.clone(),
        event: event_kind(event_name, meta.action.as_deref()),
        subscribed: plugin
            .manifest
            .subscribes_to(event_name, meta.action.as_deref()),
        outcome: report.outcome.as_str().to_owned(),
        message: report.message,
        log: report.log,
        duration_ms: report.duration.as_millis(),
        decisions,
        held,
        labels,
        comments,
    })
}

fn event_kind(name: &str, action: Option<&str>) -> String {
    match action {
        Some(a) => format!("{name}.{a}"),
        None => name.to_owned(),
    }
}
