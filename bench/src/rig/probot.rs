//! The Probot app of `bench/probot`, set up as the side-by-side run of issue 19 runs
//! it: installed with `npm ci` the first time (Probot from the npm registry, as its
//! lock file pins it), served by `node app.js` on a free port of loopback, pointed at
//! the simulator, and authenticated as a GitHub App the simulator knows (the test-only
//! key of the simulator's own tests, one installation on the events' account). The
//! events name that installation, so Probot fetches an installation token, as it does
//! against GitHub.
//!
//! Only `node` and `npm` must be on the machine; a missing one is a clear error.
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{bail, Context};
use gantry_simulator::{NewApp, NewInstallation, Simulator};

use super::events::IssueEvents;
use super::{start_simulator, RigArgs, SECRET};

/// The app's folder in the repository.
pub const DEFAULT_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/probot");

/// The App the simulator registers and Probot authenticates as.
pub const APP_ID: u64 = 1919;

/// The App's one installation, named by every event of a side-by-side run.
pub const INSTALLATION_ID: u64 = 19;

/// Where `app.js` takes webhooks (Probot's default path).
pub const WEBHOOK_PATH: &str = "/api/github/webhooks";

/// A key made for tests only, shared with the simulator's App tests.
const PRIVATE_KEY: &str =
    include_str!("../../../simulator/tests/api/keys/test-only-app.private.pem");

/// Written into `node_modules` after `npm ci`: the lock file it installed.
const INSTALLED: &str = "node_modules/.gantry-bench-installed";

/// How long `node app.js` may take to answer `/health`.
const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// `node --version` (`v20.11.1`), or `None` when `node` cannot be run.
#[must_use]
pub fn node_version() -> Option<String> {
    let output = Command::new("node").arg("--version").output().ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// The Probot version installed in `dir`, from its `package.json`.
#[must_use]
pub fn probot_version(dir: &Path) -> Option<String> {
    let text = std::fs::read(dir.join("node_modules/probot/package.json")).ok()?;
    let value: serde_json::Value = serde_json::from_slice(&text).ok()?;
    value.get("version")?.as_str().map(str::to_owned)
}

/// Checks that `node` runs, then runs `npm ci` in `dir` unless its `node_modules`
/// already holds what `package-lock.json` pins.
///
/// # Errors
/// When `node` or `npm` is missing, or `npm ci` fails (its output is in the error).
pub fn ensure_installed(dir: &Path) -> anyhow::Result<()> {
    if node_version().is_none() {
        bail!("`node` cannot be run: the Probot side needs Node.js 20 or later and npm (apt-get install nodejs npm)");
    }
    let lock_path = dir.join("package-lock.json");
    let lock =
        std::fs::read(&lock_path).with_context(|| format!("reading {}", lock_path.display()))?;
    if std::fs::read(dir.join(INSTALLED)).is_ok_and(|installed| installed == lock) {
        return Ok(());
    }
    tracing::info!(dir = %dir.display(), "installing the Probot app (npm ci)");
    let output = match Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
    {
        Ok(output) => output,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            bail!("`npm` is not installed: the Probot side needs it to install Probot (apt-get install npm)")
        }
        Err(err) => return Err(err).context("running npm ci"),
    };
    if !output.status.success() {
        bail!(
            "`npm ci` in {} failed ({}):\n{}{}",
            dir.display(),
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    std::fs::write(dir.join(INSTALLED), lock).context("marking the Probot app installed")
}

/// Registers the App and its installation on `owner`'s account with the simulator.
///
/// # Errors
/// When the simulator refuses the key or the installation.
pub fn register_app(sim: &Simulator, owner: &str) -> anyhow::Result<()> {
    sim.register_app(&NewApp::new(APP_ID, PRIVATE_KEY))
        .context("registering the Probot app with the simulator")?;
    if !sim.add_installation(&NewInstallation::new(INSTALLATION_ID, APP_ID, owner)) {
        bail!("the simulator did not take the app's installation");
    }
    Ok(())
}

/// A running `node app.js`.
#[derive(Debug)]
pub struct ProbotProcess {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub address: String,
    /// Where its stdout and stderr go.
    pub log: PathBuf,
}

impl ProbotProcess {
    /// Starts the app of `dir` (installed) against the GitHub API at `github_url`,
    /// logging into `log_dir`, and waits until it answers `/health`.
    ///
    /// # Errors
    /// When `node` does not start, exits, or is not ready in time; the error carries
    /// the end of its log.
    pub async fn start(dir: &Path, log_dir: &Path, github_url: &str) -> anyhow::Result<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .context("finding a free port")?
            .port();
        let log = log_dir.join("probot.log");
        let out =
            std::fs::File::create(&log).with_context(|| format!("creating {}", log.display()))?;
        // Nothing of the bench's environment (NODE_OPTIONS, LOG_LEVEL, ...) reaches
        // it: it runs with Probot's defaults and what it must be told.
        let child = Command::new("node")
            .arg("app.js")
            .current_dir(dir)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("NODE_ENV", "production")
            .env("APP_ID", APP_ID.to_string())
            .env("PRIVATE_KEY", PRIVATE_KEY)
            .env("WEBHOOK_SECRET", SECRET)
            .env("GITHUB_API_URL", github_url)
            .env("PORT", port.to_string())
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .spawn()
            .context("starting node app.js (is Node.js installed?)")?;
        let mut process = Self {
            child,
            address: format!("http://127.0.0.1:{port}"),
            log,
        };
        process.wait_ready().await?;
        Ok(process)
    }

    async fn wait_ready(&mut self) -> anyhow::Result<()> {
        let url = format!("{}/health", self.address);
        let path = &self.log;
        let log = || {
            format!(
                "its log:\n{}",
                std::fs::read_to_string(path).unwrap_or_default()
            )
        };
        super::process::wait_until_healthy(&mut self.child, &url, "node app.js", READY_TIMEOUT, log)
            .await
    }

    /// Where it takes webhooks.
    #[must_use]
    pub fn webhook_url(&self) -> String {
        format!("{}{WEBHOOK_PATH}", self.address)
    }

    /// Its process id (`node` itself: `npm` is not in between).
    #[must_use]
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGTERM, then up to `within` for it to exit; killed after that. True when it
    /// exited cleanly in time.
    ///
    /// # Errors
    /// When the signal cannot be sent or the process cannot be waited for.
    pub async fn stop(mut self, within: Duration) -> anyhow::Result<bool> {
        super::process::terminate(&mut self.child, within).await
    }
}

impl Drop for ProbotProcess {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A simulator and the Probot app pointed at it.
#[derive(Debug)]
pub struct ProbotRig {
    /// The simulated GitHub.
    pub sim: Simulator,
    /// The app; `None` once stopped.
    pub probot: Option<ProbotProcess>,
    /// The events to send: the corpus payload naming the App's installation.
    pub events: IssueEvents,
    sim_handle: actix_web::dev::ServerHandle,
    // Dropped last: the app's log lives here.
    dir: tempfile::TempDir,
}

impl ProbotRig {
    /// Installs the app of `app_dir` if needed, starts the simulator on the current
    /// runtime with the App registered, then the app, and waits until it is ready.
    ///
    /// # Errors
    /// When `node` or `npm` is missing, or a part does not start.
    pub async fn start(args: &RigArgs, app_dir: &Path) -> anyhow::Result<Self> {
        let dir_owned = app_dir.to_owned();
        tokio::task::spawn_blocking(move || ensure_installed(&dir_owned))
            .await
            .context("the npm ci task failed")??;
        let events =
            IssueEvents::from_corpus(&args.corpus, SECRET)?.naming(Some(INSTALLATION_ID))?;
        let dir = tempfile::Builder::new()
            .prefix("gantry-bench-probot-")
            .tempdir()
            .context("creating a temporary directory")?;
        let (sim, sim_url, sim_handle) = start_simulator(args)?;
        let mut rig = Self {
            sim,
            probot: None,
            events,
            sim_handle,
            dir,
        };
        let started = match register_app(&rig.sim, &rig.events.owner) {
            Ok(()) => ProbotProcess::start(app_dir, rig.dir.path(), &sim_url).await,
            Err(err) => Err(err),
        };
        match started {
            Ok(probot) => rig.probot = Some(probot),
            Err(err) => {
                rig.cleanup().await;
                return Err(err);
            }
        }
        Ok(rig)
    }

    /// The running app.
    ///
    /// # Errors
    /// When it was stopped already.
    pub fn probot(&self) -> anyhow::Result<&ProbotProcess> {
        self.probot
            .as_ref()
            .context("the probot process was already stopped")
    }

    /// Stops the app (SIGTERM, up to 10 s); true when it exited cleanly.
    ///
    /// # Errors
    /// When it cannot be signalled.
    pub async fn stop_probot(&mut self) -> anyhow::Result<bool> {
        match self.probot.take() {
            Some(probot) => probot.stop(Duration::from_secs(10)).await,
            None => Ok(true),
        }
    }

    /// Stops the app if it still runs, then the simulator.
    pub async fn cleanup(&mut self) {
        if let Err(err) = self.stop_probot().await {
            tracing::warn!(error = format!("{err:#}"), "could not stop probot");
        }
        self.sim_handle.stop(false).await;
    }
}
