//! A PostgreSQL instance of the run's own (`initdb` in a temporary directory, its own
//! port), so the `faults` run can stop, start and restart it without disturbing any
//! other user of the machine's PostgreSQL. Commands run as `postgres` when the bench
//! runs as root (initdb refuses root).
use std::path::PathBuf;
use std::process::Command;

use anyhow::{bail, Context};

/// A running instance, stopped (immediately) when dropped.
#[derive(Debug)]
pub struct OwnPostgres {
    dir: tempfile::TempDir,
    /// Its port on 127.0.0.1.
    pub port: u16,
    as_user: Option<&'static str>,
}

impl OwnPostgres {
    /// Initialises and starts one.
    ///
    /// # Errors
    /// When `initdb` or `pg_ctl` is missing or fails.
    pub fn start() -> anyhow::Result<Self> {
        for tool in ["initdb", "pg_ctl"] {
            let found = Command::new(tool)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success());
            if !found {
                bail!("{tool} is not on PATH: the PostgreSQL faults need PostgreSQL's server tools (Debian: add /usr/lib/postgresql/<version>/bin to PATH)");
            }
        }
        let root = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
        let this = Self {
            dir: tempfile::Builder::new()
                .prefix("gantry-bench-pg-")
                .tempdir()
                .context("creating a directory for PostgreSQL")?,
            port: std::net::TcpListener::bind("127.0.0.1:0")?
                .local_addr()?
                .port(),
            as_user: root.then_some("postgres"),
        };
        if root {
            let path = this.dir.path().display().to_string();
            this.run_plain("chown", &["-R", "postgres", &path])?;
        }
        let data = this.data();
        this.run(
            "initdb",
            &["-D", &data, "-U", "postgres", "--auth=trust", "--no-sync"],
        )?;
        this.start_server()?;
        Ok(this)
    }

    /// The URL of its `postgres` database, for creating the run's own.
    #[must_use]
    pub fn admin_url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn path(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    /// `pg_ctl start`, waiting until it accepts connections. PostgreSQL keeps its
    /// defaults (fsync on), as in production.
    ///
    /// # Errors
    /// When it does not start.
    pub fn start_server(&self) -> anyhow::Result<()> {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1",
            self.port,
            self.path().display()
        );
        let log = self.path().join("log").display().to_string();
        let data = self.data();
        self.run(
            "pg_ctl",
            &["-D", &data, "-o", &options, "-l", &log, "-w", "start"],
        )
    }

    /// `pg_ctl stop -m fast`: sessions are ended, the server shuts down cleanly.
    ///
    /// # Errors
    /// When it fails.
    pub fn stop_server(&self) -> anyhow::Result<()> {
        let data = self.data();
        self.run("pg_ctl", &["-D", &data, "-m", "fast", "-w", "stop"])
    }

    /// `pg_ctl restart -m immediate`: a crash and recovery, as after a power cut.
    ///
    /// # Errors
    /// When it fails.
    pub fn restart_immediate(&self) -> anyhow::Result<()> {
        let data = self.data();
        // With its log named, the new server does not hold pg_ctl's output open.
        let log = self.path().join("log").display().to_string();
        self.run(
            "pg_ctl",
            &["-D", &data, "-l", &log, "-m", "immediate", "-w", "restart"],
        )
    }

    fn command(&self, tool: &str, args: &[&str]) -> Command {
        match self.as_user {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--", tool]).args(args);
                c
            }
            None => {
                let mut c = Command::new(tool);
                c.args(args);
                c
            }
        }
    }

    fn run(&self, tool: &str, args: &[&str]) -> anyhow::Result<()> {
        check(tool, args, self.command(tool, args).output())
    }

    fn run_plain(&self, tool: &str, args: &[&str]) -> anyhow::Result<()> {
        check(tool, args, Command::new(tool).args(args).output())
    }
}

fn check(
    tool: &str,
    args: &[&str],
    output: std::io::Result<std::process::Output>,
) -> anyhow::Result<()> {
    let out = output.with_context(|| format!("running {tool}"))?;
    if !out.status.success() {
        bail!(
            "{tool} {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

impl Drop for OwnPostgres {
    fn drop(&mut self) {
        let data = self.data();
        let _ = self
            .command("pg_ctl", &["-D", &data, "-m", "immediate", "stop"])
            .output();
    }
}
