//! The set-up the end-to-end (`e2e`, P3) and soak (`soak`, P4) runs share: the GitHub
//! simulator in this process, a real `gantry serve` process pointed at it with the
//! bundled `hooks` plugin alone, on SQLite in a temporary directory or on a fresh
//! PostgreSQL database; the events (`events`), a fixed-rate sender (`sender`), what
//! the server reports (`metrics`), what it stored (`store`) and the CPU of each party
//! (`cpu`). `process` runs the binary and reads `/proc` about it.
//!
//! Gantry keeps its default settings; only what a deployment must set is set: the
//! listener, data directory, database, webhook secret, GitHub API URL and token, and
//! the plugin directory (and how many jobs it keeps in flight, when asked to).
//!
//! `probot` is the same set-up with the Probot app of `bench/probot` in Gantry's
//! place, for the side-by-side run of issue 19.
pub mod cpu;
pub mod events;
pub mod metrics;
pub mod probot;
pub mod process;
pub mod sender;
pub mod store;

use std::net::TcpListener;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context};
use gantry_simulator::{Simulator, SimulatorOptions};

use self::events::IssueEvents;
use self::process::GantryProcess;
use crate::common::postgres::{self, PostgresDatabase};

/// The secret the server accepts and every event is signed with.
pub const SECRET: &str = "gantry-bench-webhook-secret-of-32-bytes-or-more";

/// The one plugin installed.
pub const PLUGIN: &str = "hooks";

/// The bundled plugins `scripts/build-plugins.sh` builds.
pub const DEFAULT_PLUGINS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../target/plugins");

/// Which database the server runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Backend {
    /// SQLite, Gantry's default, in the run's temporary directory.
    Sqlite,
    /// A fresh PostgreSQL database, dropped afterwards.
    Postgres,
}

impl Backend {
    /// The name reports use.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

/// Where the parts come from.
#[derive(Debug, Clone, clap::Args)]
pub struct RigArgs {
    /// The `gantry` binary; by default the one beside this bench (`cargo build --bin gantry`).
    #[arg(long)]
    pub gantry_bin: Option<PathBuf>,
    /// The directory holding the built bundled plugins (`hooks.wasm` is used).
    #[arg(long, default_value = DEFAULT_PLUGINS)]
    pub plugins_dir: PathBuf,
    /// A PostgreSQL database to connect to for creating (and dropping) each run's own database.
    #[arg(long, env = "GANTRY_TEST_POSTGRES_URL", hide_env_values = true, default_value = postgres::DEFAULT_URL)]
    pub postgres_url: String,
    /// The webhook corpus; events are `webhooks/issues/opened.payload.json`.
    #[arg(long, default_value = crate::common::DEFAULT_CORPUS)]
    pub corpus: PathBuf,
    /// Jobs in flight at once in the server (`worker.in_flight`); Gantry's default
    /// when not given.
    #[arg(long)]
    pub jobs_in_flight: Option<usize>,
    /// Milliseconds the simulator holds back every answer (a GitHub that answers in
    /// 100 to 500 ms); 0 answers at once.
    #[arg(long, default_value_t = 0)]
    pub github_latency_ms: u64,
    /// Calls in flight at once on the server's token (`github.max_concurrent_calls`);
    /// Gantry's default when not given.
    #[arg(long)]
    pub github_max_concurrent_calls: Option<usize>,
    /// The App installation every event names (`installation.id`), as GitHub's
    /// deliveries to an App do; `None` sends the corpus payload as it is. Set by the
    /// side-by-side run, whose Probot app needs it.
    #[arg(skip)]
    pub installation: Option<u64>,
}

impl RigArgs {
    /// The jobs in flight the server allows at once.
    #[must_use]
    pub fn jobs_in_flight(&self) -> usize {
        self.jobs_in_flight
            .unwrap_or_else(|| gantry_server::Settings::default().worker.in_flight)
    }

    /// The `gantry` binary to run.
    ///
    /// # Errors
    /// When no default can be found.
    pub fn binary(&self) -> anyhow::Result<PathBuf> {
        match &self.gantry_bin {
            Some(path) => Ok(path.clone()),
            None => process::default_binary(),
        }
    }
}

/// Starts the simulated GitHub on the current runtime, on a free port of loopback,
/// answering after `--github-latency-ms`; returns it, its URL and its server's handle.
///
/// # Errors
/// When it cannot listen.
pub fn start_simulator(
    args: &RigArgs,
) -> anyhow::Result<(Simulator, String, actix_web::dev::ServerHandle)> {
    let sim = Simulator::new(SimulatorOptions {
        allow_anonymous: false,
    });
    // The run sends far more than GitHub's 5000 calls an hour; the limit is not what is measured.
    sim.set_rate_limit(u64::from(u32::MAX));
    if args.github_latency_ms > 0 {
        sim.set_latency(gantry_simulator::Latency::everywhere(
            args.github_latency_ms,
        ));
    }
    let listener = TcpListener::bind("127.0.0.1:0").context("binding the simulator")?;
    let sim_url = format!("http://{}", listener.local_addr()?);
    let sim_server = sim.serve(listener)?;
    let sim_handle = sim_server.handle();
    tokio::spawn(sim_server);
    Ok((sim, sim_url, sim_handle))
}

/// A simulator and a Gantry process pointed at it.
#[derive(Debug)]
pub struct Rig {
    /// The database the server runs on.
    pub backend: Backend,
    /// The simulated GitHub.
    pub sim: Simulator,
    /// The server; `None` once stopped.
    pub gantry: Option<GantryProcess>,
    /// The events to send.
    pub events: IssueEvents,
    /// The server's database.
    pub database_url: String,
    /// For PostgreSQL, the server's settings, for the report.
    pub postgres_facts: Option<String>,
    postgres: Option<PostgresDatabase>,
    admin_url: String,
    /// How the server was started, to start it again.
    binary: PathBuf,
    env: Vec<(String, String)>,
    sim_handle: actix_web::dev::ServerHandle,
    // Dropped last: the SQLite file, the plugin and the log live here.
    dir: tempfile::TempDir,
}

impl Rig {
    /// Starts the simulator on the current runtime, then the server, and waits until
    /// it is ready.
    ///
    /// # Errors
    /// When a part is missing or does not start.
    pub async fn start(args: &RigArgs, backend: Backend) -> anyhow::Result<Self> {
        Self::start_with_sqlite_in(args, backend, None).await
    }

    /// [`Rig::start`], with SQLite's file in `sqlite_dir` (a small file system the
    /// `faults` run fills) instead of the run's temporary directory.
    ///
    /// # Errors
    /// When a part is missing or does not start.
    pub async fn start_with_sqlite_in(
        args: &RigArgs,
        backend: Backend,
        sqlite_dir: Option<&std::path::Path>,
    ) -> anyhow::Result<Self> {
        let events = IssueEvents::from_corpus(&args.corpus, SECRET)?.naming(args.installation)?;
        let wasm = args.plugins_dir.join(format!("{PLUGIN}.wasm"));
        if !wasm.exists() {
            bail!("{} is missing: build the plugins first with ./dev build (or scripts/build-plugins.sh)", wasm.display());
        }
        let dir = tempfile::Builder::new()
            .prefix("gantry-bench-rig-")
            .tempdir()
            .context("creating a temporary directory")?;
        let plugins = dir.path().join("plugins");
        std::fs::create_dir_all(&plugins)?;
        std::fs::copy(&wasm, plugins.join(format!("{PLUGIN}.wasm")))
            .with_context(|| format!("copying {}", wasm.display()))?;

        let (sim, sim_url, sim_handle) = start_simulator(args)?;

        let (database_url, postgres) = match backend {
            Backend::Sqlite => (
                format!(
                    "sqlite://{}?mode=rwc",
                    sqlite_dir.unwrap_or(dir.path()).join("gantry.db").display()
                ),
                None,
            ),
            Backend::Postgres => {
                let database = postgres::create_database(&args.postgres_url).await?;
                (database.url.clone(), Some(database))
            }
        };
        let mut rig = Self {
            backend,
            sim,
            gantry: None,
            events,
            database_url: database_url.clone(),
            postgres_facts: postgres.as_ref().map(|p| p.server.clone()),
            postgres,
            admin_url: args.postgres_url.clone(),
            binary: args.binary()?,
            env: Vec::new(),
            sim_handle,
            dir,
        };
        let mut env: Vec<(String, String)> = [
            ("GANTRY_DATABASE__URL", database_url),
            ("GANTRY_WEBHOOK_SECRET", SECRET.to_owned()),
            ("GANTRY_GITHUB__API_URL", sim_url),
            ("GANTRY_GITHUB__TOKEN", "gantry-bench-token".to_owned()),
            ("GANTRY_PLUGINS__DIR", plugins.display().to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        if let Some(calls) = args.github_max_concurrent_calls {
            env.push((
                "GANTRY_GITHUB__MAX_CONCURRENT_CALLS".to_owned(),
                calls.to_string(),
            ));
        }
        if let Some(in_flight) = args.jobs_in_flight {
            env.push(("GANTRY_WORKER__IN_FLIGHT".to_owned(), in_flight.to_string()));
        }
        rig.env.clone_from(&env);
        // On an error the rig is dropped, which drops the PostgreSQL database too.
        let gantry = GantryProcess::start(&rig.binary, rig.dir.path(), &env).await;
        match gantry {
            Ok(gantry) => rig.gantry = Some(gantry),
            Err(err) => {
                rig.cleanup().await;
                return Err(err);
            }
        }
        Ok(rig)
    }

    /// The running server.
    ///
    /// # Errors
    /// When it was stopped already.
    pub fn gantry(&self) -> anyhow::Result<&GantryProcess> {
        self.gantry
            .as_ref()
            .context("the gantry process was already stopped")
    }

    /// Stops the server (SIGTERM, up to 30 s to finish); true when it exited cleanly.
    ///
    /// # Errors
    /// When it cannot be signalled.
    pub async fn stop_gantry(&mut self) -> anyhow::Result<bool> {
        match self.gantry.take() {
            Some(gantry) => gantry.stop(Duration::from_secs(30)).await,
            None => Ok(true),
        }
    }

    /// SIGKILL: the server gets no chance to finish anything.
    pub fn kill_gantry(&mut self) {
        if let Some(gantry) = self.gantry.take() {
            gantry.kill();
        }
    }

    /// Starts the server again as it was started (on a new port), after a kill or a
    /// stop.
    ///
    /// # Errors
    /// When it does not start.
    pub async fn start_gantry_again(&mut self) -> anyhow::Result<()> {
        self.kill_gantry();
        self.gantry = Some(GantryProcess::start(&self.binary, self.dir.path(), &self.env).await?);
        Ok(())
    }

    /// Stops the server if it still runs, then the simulator, and drops the
    /// PostgreSQL database.
    pub async fn cleanup(&mut self) {
        if let Err(err) = self.stop_gantry().await {
            tracing::warn!(error = format!("{err:#}"), "could not stop gantry");
        }
        self.sim_handle.stop(false).await;
        if let Some(database) = self.postgres.take() {
            postgres::drop_quietly(&self.admin_url, &database.name).await;
        }
    }
}
