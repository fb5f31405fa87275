//! Real `gantry serve` processes for durability tests: started with environment
//! settings, stopped with SIGTERM or killed with SIGKILL, restarted on the same port
//! and database.
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::helpers::SECRET;

/// The `gantry` binary next to this test binary (built by the workspace test build).
pub fn gantry_bin() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(|deps| deps.parent()).unwrap();
    let bin = dir.join("gantry");
    assert!(
        bin.exists(),
        "{} is missing: run the suite with `./dev test` (or cargo nextest run --workspace)",
        bin.display()
    );
    bin
}

/// A free port on the loopback interface.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One `gantry serve` process and what it needs to be started again.
pub struct ServerProcess {
    child: Option<Child>,
    pub port: u16,
    args: Vec<String>,
    env: Vec<(String, String)>,
    log: PathBuf,
}

impl ServerProcess {
    /// A directory holding the named plugin components (bundled or fixtures).
    pub fn plugin_dir(parent: &std::path::Path, names: &[&str]) -> PathBuf {
        let dir = parent.join("plugins");
        std::fs::create_dir_all(&dir).unwrap();
        let target = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../target"));
        for name in names {
            let file = format!("{name}.wasm");
            let source = [
                target.join("plugins").join(&file),
                target.join("test-plugins").join(&file),
            ]
            .into_iter()
            .find(|p| p.exists());
            std::fs::copy(
                source.unwrap_or_else(|| panic!("{file} is not built: ./dev build")),
                dir.join(&file),
            )
            .unwrap();
        }
        dir
    }

    /// Starts `gantry serve` on `port` with the database, simulator and plugin dir.
    pub async fn start(
        port: u16,
        database_url: &str,
        sim_url: &str,
        data_dir: &std::path::Path,
        plugins: &std::path::Path,
    ) -> Self {
        let env = vec![
            ("GANTRY_SERVER__LISTEN".into(), format!("127.0.0.1:{port}")),
            ("GANTRY_DATABASE__URL".into(), database_url.to_owned()),
            ("GANTRY_DATA_DIR".into(), data_dir.display().to_string()),
            ("GANTRY_WEBHOOK_SECRET".into(), SECRET.to_owned()),
            ("GANTRY_GITHUB__API_URL".into(), sim_url.to_owned()),
            ("GANTRY_GITHUB__TOKEN".into(), "test-token".to_owned()),
            ("GANTRY_PLUGINS__DIR".into(), plugins.display().to_string()),
            ("GANTRY_WORKER__POLL_INTERVAL_MS".into(), "50".into()),
            ("GANTRY_WORKER__LEASE_SECS".into(), "2".into()),
            ("GANTRY_WORKER__RETRY_BASE_MS".into(), "100".into()),
            ("GANTRY_WORKER__MAX_ATTEMPTS".into(), "20".into()),
            ("RUST_LOG".into(), "warn".into()),
        ];
        let log = data_dir.join(format!("server-{port}.log"));
        let mut server = Self {
            child: None,
            port,
            args: vec!["serve".into()],
            env,
            log,
        };
        server.spawn().await;
        server
    }

    /// Starts `gantry sandbox` with its own simulator on `sim_port`, with
    /// `extra_env` besides the webhook secret (kept across restarts).
    pub async fn sandbox(
        port: u16,
        sim_port: u16,
        data_dir: &std::path::Path,
        plugins: &std::path::Path,
        extra_env: &[(&str, &str)],
    ) -> Self {
        Self::sandbox_with(port, sim_port, data_dir, plugins, None, extra_env).await
    }

    /// [`ServerProcess::sandbox`] reading the settings file `config` (plugin
    /// configurations, for instance) when given.
    pub async fn sandbox_with(
        port: u16,
        sim_port: u16,
        data_dir: &std::path::Path,
        plugins: &std::path::Path,
        config: Option<&std::path::Path>,
        extra_env: &[(&str, &str)],
    ) -> Self {
        let mut args: Vec<String> = config
            .map(|c| vec!["--config".into(), c.display().to_string()])
            .unwrap_or_default();
        args.extend([
            "sandbox".into(),
            "--listen".into(),
            format!("127.0.0.1:{port}"),
            "--sim-listen".into(),
            format!("127.0.0.1:{sim_port}"),
            "--data-dir".into(),
            data_dir.display().to_string(),
            "--plugins-dir".into(),
            plugins.display().to_string(),
        ]);
        let mut env: Vec<(String, String)> = vec![
            ("GANTRY_WEBHOOK_SECRET".into(), SECRET.to_owned()),
            ("RUST_LOG".into(), "warn".into()),
        ];
        env.extend(
            extra_env
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        let log = data_dir.with_extension("log");
        let mut server = Self {
            child: None,
            port,
            args,
            env,
            log,
        };
        server.spawn().await;
        server
    }

    async fn spawn(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .unwrap();
        let child = Command::new(gantry_bin())
            .args(&self.args)
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        self.child = Some(child);
        self.wait_ready().await;
    }

    async fn wait_ready(&mut self) {
        let url = format!("http://127.0.0.1:{}/health/ready", self.port);
        // Bounded in time: a port another process took meanwhile may hold a request.
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while std::time::Instant::now() < deadline {
            let answer = reqwest::Client::new()
                .get(&url)
                .timeout(Duration::from_secs(2))
                .send()
                .await;
            if answer.is_ok_and(|r| r.status() == 200) {
                return;
            }
            if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().unwrap()) {
                panic!(
                    "gantry exited with {status}; log:\n{}",
                    std::fs::read_to_string(&self.log).unwrap_or_default()
                );
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!(
            "gantry did not become ready; log:\n{}",
            std::fs::read_to_string(&self.log).unwrap_or_default()
        );
    }

    /// SIGKILL: no chance to finish anything.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }

    /// SIGTERM, then waits up to `within` for the process to exit on its own (it stops
    /// taking work and finishes its current jobs). Returns whether it exited
    /// successfully in time; a process still running then is killed.
    pub async fn terminate(&mut self, within: Duration) -> bool {
        let Some(mut child) = self.child.take() else {
            return false;
        };
        let status = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill -TERM failed");
        let deadline = std::time::Instant::now() + within;
        while std::time::Instant::now() < deadline {
            if let Some(exit) = child.try_wait().unwrap() {
                return exit.success();
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        child.kill().unwrap();
        child.wait().unwrap();
        false
    }

    /// Starts again after a kill, on the same port and database.
    pub async fn restart(&mut self) {
        self.kill();
        self.spawn().await;
    }

    /// The webhook URL.
    pub fn webhook_url(&self) -> String {
        format!("http://127.0.0.1:{}/webhooks/github", self.port)
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}
