//! `gantry plugin test`: runs what the server runs, for one plugin, against a
//! private GitHub simulator and a database of its own. The plugin is installed,
//! upgraded and configured through the same functions as `gantry plugin install`
//! and `configure` (the same checks, the configuration merged over the defaults,
//! the same messages) and enabled on every repository; each event is then stored as
//! a delivery with its job and processed by the server's own job code
//! (`services::dispatch`), so subscriptions, manifest routes, comment commands with
//! the commenter's permission and `pull_requests_only`, and the policy all apply.
//! The report says, per event, what ran and with what outcome, what did not and
//! why, every policy decision, the actions held for approval, and what the
//! simulated GitHub looks like afterwards.
//!
//! With a state folder, the database (kv, held approvals, the installed plugin and
//! its configuration) and the simulator's state are kept there across runs; without
//! one, both live in a temporary folder removed afterwards. Several events in one
//! run share the state too, in order.
//!
//! `comment` builds the comment events of `--comment TEXT --on TARGET`.
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use gantry_simulator::{Simulator, SimulatorOptions};
use serde::Serialize;
use serde_json::{json, Value};

use crate::config::Settings;
use crate::db::deliveries::{NewDelivery, Stored};
use crate::db::{self, approvals, audit, jobs, runs, skips};
use crate::domain::{Actor, EventMeta, Project, Secret};
use crate::metrics::Metrics;
use crate::policy::Permission;
use crate::services::commands::CommentContext;
use crate::services::installed::{CompiledPlugins, PluginAdmin};
use crate::services::state::Parts;
use crate::services::AppState;
use crate::wasm_host::PluginRuntime;

pub mod comment;
pub use comment::TestEvent;

/// How a test run is set up.
#[derive(Debug, Default)]
pub struct TestOptions<'a> {
    /// Where the database and the simulator's state are kept across runs; `None`:
    /// a temporary folder.
    pub state_dir: Option<&'a Path>,
    /// Configuration applied over the manifest's defaults (as `gantry plugin
    /// configure NAME --repo '*'` does).
    pub config: Option<&'a Value>,
    /// Payloads the simulator learns before the events run (what a comment is on).
    pub context: Vec<TestEvent>,
    /// Who writes every comment event (its `comment.user.login`); `None`: as the
    /// payload says.
    pub commenter: Option<&'a str>,
    /// The commenter's permission on the repository, as the simulated GitHub
    /// answers it: `none`, `read`, `triage`, `write`, `maintain` or `admin`.
    pub permission: &'a str,
}

/// What one test run did.
#[derive(Debug, Serialize)]
pub struct TestReport {
    /// `name version`.
    pub plugin: String,
    /// The SDK the plugin was built with.
    pub sdk_version: Option<String>,
    /// Where the state is kept (`None`: nowhere, it was temporary).
    pub state: Option<PathBuf>,
    /// One report per event, in order.
    pub events: Vec<EventReport>,
}

/// What one event came to.
#[derive(Debug, Serialize)]
pub struct EventReport {
    /// `event.action`.
    pub event: String,
    /// For a comment: its author, the permission GitHub answers, and its body.
    pub comment: Option<(String, String, String)>,
    /// Each run of the plugin (`name` for the event, `name /verb #n` for a command).
    pub runs: Vec<RunReport>,
    /// What did not run, and why (`subject`, `reason`).
    pub skipped: Vec<(String, String)>,
    /// Why the job is not done when it is not (it would be retried).
    pub retry: Option<String>,
    /// Each policy decision: capability, effect and why.
    pub decisions: Vec<(String, String, String)>,
    /// Actions held for approval afterwards (from this run or earlier ones with the
    /// same state): id and what they would do.
    pub held: Vec<(String, String)>,
    /// Labels of the issue or pull request afterwards.
    pub labels: Vec<String>,
    /// Comments on it afterwards.
    pub comments: Vec<String>,
}

/// One invocation.
#[derive(Debug, Serialize)]
pub struct RunReport {
    /// The run's name: the plugin's for the event, `plugin /verb #n` for a command.
    pub name: String,
    /// `ok`, `error`, `trap`, `timeout` or `retry`.
    pub outcome: String,
    /// The error or trap.
    pub message: Option<String>,
    /// The plugin's log.
    pub log: String,
    /// Milliseconds, instantiation included.
    pub duration_ms: i64,
}

impl TestReport {
    /// Whether every run ended `ok`.
    #[must_use]
    pub fn all_ok(&self) -> bool {
        self.events
            .iter()
            .flat_map(|e| &e.runs)
            .all(|r| r.outcome == "ok")
    }

    /// The events for which the plugin did not run at all.
    pub fn not_run(&self) -> impl Iterator<Item = &EventReport> {
        self.events.iter().filter(|e| e.runs.is_empty())
    }
}

/// Runs `events` in order through the server's job processing with the plugin
/// `wasm` installed and enabled everywhere.
///
/// # Errors
/// When the plugin or its configuration is refused (with install's and configure's
/// messages), the permission is unknown, or the state, database or simulator cannot
/// be set up.
pub async fn run(
    wasm: &[u8],
    events: &[TestEvent],
    options: &TestOptions<'_>,
) -> anyhow::Result<TestReport> {
    let permission = Permission::parse(options.permission)
        .filter(|_| options.permission != "pull" && options.permission != "push")
        .with_context(|| {
            format!(
                "unknown permission `{}`: give none, read, triage, write, maintain or admin",
                options.permission
            )
        })?;
    let temporary = options.state_dir.is_none().then(|| {
        std::env::temp_dir().join(format!(
            "gantry-plugin-test-{}",
            uuid::Uuid::new_v4().simple()
        ))
    });
    let dir = options
        .state_dir
        .map_or_else(|| temporary.clone().unwrap_or_default(), Path::to_path_buf);
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("creating the state folder {}", dir.display()))?;
    let result = run_in(&dir, wasm, events, options, permission).await;
    if let Some(temporary) = temporary {
        let _ = std::fs::remove_dir_all(temporary);
    }
    let mut report = result?;
    report.state = options.state_dir.map(Path::to_path_buf);
    Ok(report)
}

async fn run_in(
    dir: &Path,
    wasm: &[u8],
    events: &[TestEvent],
    options: &TestOptions<'_>,
    permission: Permission,
) -> anyhow::Result<TestReport> {
    let sim_state = dir.join("simulator.json");
    let sim = Simulator::with_persistence(
        SimulatorOptions {
            allow_anonymous: true,
        },
        sim_state.clone(),
    )
    .with_context(|| format!("loading the simulator's state from {}", sim_state.display()))?;
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let sim_url = format!("http://{}", listener.local_addr()?);
    let server = sim.serve(listener)?;
    let handle = server.handle();
    tokio::spawn(server);
    let result = with_simulator(dir, &sim, &sim_url, wasm, events, options, permission).await;
    handle.stop(false).await;
    // The process may end before the simulator's last clone is dropped.
    sim.remove_temporary_repositories();
    result
}

async fn with_simulator(
    dir: &Path,
    sim: &Simulator,
    sim_url: &str,
    wasm: &[u8],
    events: &[TestEvent],
    options: &TestOptions<'_>,
    permission: Permission,
) -> anyhow::Result<TestReport> {
    let state = test_state(dir, sim_url).await?;
    let cli = Actor::cli();
    let admin = PluginAdmin::of(&state, &cli);
    let plugin = install(&admin, wasm, options.config).await?;
    for known in &options.context {
        sim.learn(&known.name, &known.payload);
    }
    let mut reports = Vec::new();
    for (n, event) in events.iter().enumerate() {
        let mut event = event.clone();
        let comment = as_commenter(&mut event, options.commenter, permission, sim);
        reports.push(process(&state, sim, &event, n, comment).await?);
    }
    Ok(TestReport {
        plugin: format!("{} {}", plugin.0, plugin.1),
        sdk_version: plugin.2,
        state: None,
        events: reports,
    })
}

/// The server's state on the database in `dir`, talking to the simulator.
async fn test_state(dir: &Path, sim_url: &str) -> anyhow::Result<AppState> {
    let mut settings = Settings {
        data_dir: dir.to_path_buf(),
        ..Settings::default()
    };
    settings.github.api_url = sim_url.to_owned();
    settings.github.git_url = sim_url.to_owned();
    settings.github.token = Some(Secret::new("plugin-test"));
    let db = db::connect(&settings.database_url(), 2).await?;
    db::migrate(&db)
        .await
        .with_context(|| format!("preparing the database in {}", dir.display()))?;
    let runtime = PluginRuntime::new(settings.plugins.limits.clone())?;
    let plugins = Arc::new(CompiledPlugins::new(runtime.clone()));
    AppState::assemble(
        settings,
        Parts {
            db,
            runtime,
            plugins,
            metrics: Metrics::new()?,
            observer: None,
            sandbox: true,
        },
    )
    .await
}

/// Installs the plugin as `gantry plugin install` does (or upgrades the one a kept
/// state holds, as `upgrade` does), enables it on every repository, and sets
/// `config` as `configure NAME --repo '*'` does. Answers its name, version and SDK.
async fn install(
    admin: &PluginAdmin<'_>,
    wasm: &[u8],
    config: Option<&Value>,
) -> anyhow::Result<(String, String, Option<String>)> {
    let (manifest, _) =
        crate::wasm_host::Manifest::from_component(wasm).map_err(|e| anyhow::anyhow!("{e:#}"))?;
    let installed = crate::db::plugins::find(admin.db, &manifest.name).await?;
    let detail = if installed.is_some() {
        admin.upgrade(wasm.to_vec(), None).await?.plugin
    } else {
        admin.install(wasm.to_vec()).await?
    };
    let name = detail.status.name.clone();
    admin.enable(&name, None).await?;
    admin.enable(&name, Some(&Project::All)).await?;
    if let Some(config) = config {
        admin
            .configure(&name, &Project::All, config.clone())
            .await?;
    }
    Ok((name, detail.status.version, detail.status.sdk_version))
}

/// For a comment event: writes it as `commenter` when given, and makes the
/// simulated GitHub answer `permission` for its author. Answers the author, the
/// permission and the body.
fn as_commenter(
    event: &mut TestEvent,
    commenter: Option<&str>,
    permission: Permission,
    sim: &Simulator,
) -> Option<(String, String, String)> {
    let action = event.payload["action"].as_str().map(str::to_owned);
    CommentContext::of(&event.name, action.as_deref(), &event.payload)?;
    let field = if event.name == "pull_request_review" {
        "review"
    } else {
        "comment"
    };
    if let Some(login) = commenter {
        event.payload[field]["user"]["login"] = login.into();
        event.payload["sender"]["login"] = login.into();
    }
    let author = event.payload[field]["user"]["login"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    sim.learn(&event.name, &event.payload);
    let (action, role) = match permission {
        Permission::None => ("removed", "read"),
        Permission::Read => ("added", "read"),
        Permission::Triage => ("added", "triage"),
        Permission::Write => ("added", "write"),
        Permission::Maintain => ("added", "maintain"),
        Permission::Admin => ("added", "admin"),
    };
    sim.learn(
        "member",
        &json!({
            "action": action,
            "member": {"login": author, "type": "User"},
            "changes": {"permission": {"to": role}},
            "repository": event.payload["repository"],
        }),
    );
    let owner = event.payload["repository"]["owner"]["login"]
        .as_str()
        .unwrap_or_default();
    let answered = if owner.eq_ignore_ascii_case(&author) {
        "admin (the repository's owner)".to_owned()
    } else if permission == Permission::None {
        "none".to_owned()
    } else {
        role.to_owned()
    };
    let body = event.payload[field]["body"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    Some((author, answered, body))
}

/// Stores the event as a delivery with its job and runs the job as a worker does.
async fn process(
    state: &AppState,
    sim: &Simulator,
    event: &TestEvent,
    n: usize,
    comment: Option<(String, String, String)>,
) -> anyhow::Result<EventReport> {
    let payload = serde_json::to_vec(&event.payload)?;
    let meta = EventMeta::from_value(&event.payload)
        .context("the event payload is not a webhook payload")?;
    if comment.is_none() {
        sim.learn(&event.name, &event.payload);
    }
    let delivery_id = format!("plugin-test-{}-{n}", uuid::Uuid::new_v4().simple());
    let new = NewDelivery {
        delivery_id: &delivery_id,
        event: &event.name,
        meta: &meta,
        payload: &payload,
        trace_parent: None,
        replay: None,
    };
    let Stored::New { job_id, .. } = db::deliveries::store_with_job(&state.db, new).await? else {
        anyhow::bail!("the delivery {delivery_id} was stored already");
    };
    let lease = std::time::Duration::from_secs(state.settings.worker.lease_secs);
    let job = jobs::lease_batch(&state.db, "plugin-test", lease, 1, |id, _| {
        if id == job_id {
            jobs::Candidate::Take
        } else {
            jobs::Candidate::Wait
        }
    })
    .await?
    .jobs
    .into_iter()
    .next()
    .context("the event's job could not be leased")?;
    crate::services::dispatch::process(state, job, crate::wasm_host::StopSignal::default()).await?;
    report(state, sim, event, job_id, &delivery_id, comment).await
}

async fn report(
    state: &AppState,
    sim: &Simulator,
    event: &TestEvent,
    job_id: i64,
    delivery_id: &str,
    comment: Option<(String, String, String)>,
) -> anyhow::Result<EventReport> {
    let db = &state.db;
    let runs = runs::for_job(db, job_id)
        .await?
        .into_iter()
        .map(|r| RunReport {
            name: r.plugin,
            outcome: r.outcome,
            message: r.message,
            log: r.log.unwrap_or_default(),
            duration_ms: r.duration_ms,
        })
        .collect::<Vec<_>>();
    let mut skipped: Vec<(String, String)> = skips::for_job(db, job_id)
        .await?
        .into_iter()
        .map(|s| (s.subject, s.reason))
        .collect();
    let action = event.payload["action"].as_str();
    if runs.is_empty() && skipped.is_empty() {
        skipped.push(nothing_matched(state, event, action).await?);
    }
    let job = {
        use sea_orm::EntityTrait;
        crate::db::entities::jobs::Entity::find_by_id(job_id)
            .one(db)
            .await?
            .context("the event's job is gone")?
    };
    let retry = (job.status != jobs::JobStatus::Done.as_str())
        .then(|| job.last_error.unwrap_or_else(|| job.status.clone()));
    let decisions = audit::with_action(db, "policy.decision")
        .await?
        .into_iter()
        .filter(|r| r.delivery_id.as_deref() == Some(delivery_id))
        .map(|r| {
            (
                r.capability.unwrap_or_default(),
                r.decision.unwrap_or_default(),
                r.details.unwrap_or_default(),
            )
        })
        .collect();
    let held = approvals::list(db, Some(crate::domain::ApprovalStatus::Pending))
        .await?
        .into_iter()
        .rev()
        .map(|a| (a.public_id, a.action))
        .collect();
    let meta = EventMeta::from_value(&event.payload).unwrap_or_default();
    let (labels, comments) = match (&meta.repository, meta.number) {
        (Some(repo), Some(n)) => (
            sim.issue_labels(&repo.owner, &repo.name, n)
                .unwrap_or_default(),
            sim.issue_comments(&repo.owner, &repo.name, n)
                .unwrap_or_default(),
        ),
        _ => (Vec::new(), Vec::new()),
    };
    Ok(EventReport {
        event: match action {
            Some(a) => format!("{}.{a}", event.name),
            None => event.name.clone(),
        },
        comment,
        runs,
        skipped,
        retry,
        decisions,
        held,
        labels,
        comments,
    })
}

/// Why nothing ran when the server recorded no reason: the plugin does not
/// subscribe to the event, and the event carries no command.
async fn nothing_matched(
    state: &AppState,
    event: &TestEvent,
    action: Option<&str>,
) -> anyhow::Result<(String, String)> {
    let kind = match action {
        Some(a) => format!("{}.{a}", event.name),
        None => event.name.clone(),
    };
    let names: Vec<String> = crate::db::plugins::list(&state.db)
        .await?
        .into_iter()
        .map(|p| p.name)
        .collect();
    let subject = names.join(", ");
    let reason = match CommentContext::of(&event.name, action, &event.payload) {
        Some(c) => {
            let bot = state.settings.commands.bot_name.as_str();
            if gantry_commands::parse(&c.body, Some(bot)).is_empty() {
                format!("not subscribed: the manifest's events do not include {kind}, and the comment carries no command")
            } else {
                format!("not subscribed: the manifest's events do not include {kind}, and the comment's commands are Gantry's own (help, approve, deny), answered by the host")
            }
        }
        None if !crate::domain::is_known_event(&event.name)
            || !crate::domain::is_known_action(&event.name, action) =>
        {
            format!("unknown event: {kind} is not an event GitHub sends; the server runs no plugin for it")
        }
        None => format!("not subscribed: the manifest's events do not include {kind}"),
    };
    Ok((subject, reason))
}
