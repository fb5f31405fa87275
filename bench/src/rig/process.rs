//! One `gantry serve` process, as an operator runs it: the built binary, configured
//! only through `GANTRY_*` environment variables, its output in a log file, stopped
//! with SIGTERM. Also what `/proc` says about it: resident memory and open files.
//!
//! The child gets none of the bench's own `GANTRY_*` variables or `RUST_LOG`, and
//! runs in its data directory, so no stray configuration file or filter changes what
//! is measured: it logs with its default filter.
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

/// How long `gantry serve` may take to migrate, install plugins and answer `/health/ready`.
const READY_TIMEOUT: Duration = Duration::from_secs(120);

/// Waits until `url` answers 2xx, for a server the bench started as `child` (named
/// `what` in errors); fails at once if the child exits, or after `timeout`, with
/// what `log` says about it.
///
/// # Errors
/// When the child exits first or the server is not ready in time.
pub(crate) async fn wait_until_healthy(
    child: &mut Child,
    url: &str,
    what: &str,
    timeout: Duration,
    log: impl Fn() -> String,
) -> anyhow::Result<()> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()?;
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if client
            .get(url)
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return Ok(());
        }
        if let Some(status) = child.try_wait()? {
            bail!("{what} exited with {status} before it was ready; {}", log());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bail!(
        "{what} was not ready within {} s; {}",
        timeout.as_secs(),
        log()
    )
}

/// SIGTERM to `child`, then up to `within` for it to exit; killed after that. True
/// when it exited cleanly in time.
///
/// # Errors
/// When the signal cannot be sent or the process cannot be waited for.
pub(crate) async fn terminate(child: &mut Child, within: Duration) -> anyhow::Result<bool> {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .context("running kill -TERM")?;
    if !status.success() {
        bail!("kill -TERM {} failed", child.id());
    }
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if let Some(exit) = child.try_wait()? {
            return Ok(exit.success());
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    child.kill()?;
    child.wait()?;
    Ok(false)
}

/// The last 20 lines of the log file at `path`.
fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

/// The `gantry` binary beside this bench's own executable: `target/<profile>/gantry`,
/// built with the same profile by `cargo build --bin gantry` (add `--release` for
/// a release bench).
///
/// # Errors
/// When this executable's directory cannot be found.
pub fn default_binary() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe().context("finding the bench's own executable")?;
    let dir = exe
        .parent()
        .context("the bench's executable has no directory")?;
    Ok(dir.join("gantry"))
}

/// What the build profile of a binary at `target/<profile>/gantry` is called.
#[must_use]
pub fn profile_of(binary: &Path) -> String {
    match binary
        .parent()
        .and_then(Path::file_name)
        .and_then(|n| n.to_str())
    {
        Some("debug") => "dev".to_owned(),
        Some(other) => other.to_owned(),
        None => "unknown".to_owned(),
    }
}

/// A running `gantry serve`.
#[derive(Debug)]
pub struct GantryProcess {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub address: String,
    /// Where its stdout and stderr go.
    pub log: PathBuf,
}

impl GantryProcess {
    /// Starts `binary serve` with `env` (besides `GANTRY_SERVER__LISTEN` on a free
    /// port) in `data_dir`, and waits until it answers `/health/ready`.
    ///
    /// # Errors
    /// When the binary is missing, does not start, exits, or is not ready in time;
    /// the error carries the end of its log.
    pub async fn start(
        binary: &Path,
        data_dir: &Path,
        env: &[(String, String)],
    ) -> anyhow::Result<Self> {
        if !binary.exists() {
            bail!("{} is missing: build it first with `cargo build --bin gantry` (same profile as the bench)", binary.display());
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .context("finding a free port")?
            .port();
        let log = data_dir.join("gantry.log");
        // Appended to, so a server started again keeps the log of the one before.
        let out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .with_context(|| format!("opening {}", log.display()))?;
        let mut command = Command::new(binary);
        command
            .arg("serve")
            .current_dir(data_dir)
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out);
        for (key, _) in std::env::vars_os() {
            if key
                .to_str()
                .is_some_and(|k| k.starts_with("GANTRY_") || k == "RUST_LOG")
            {
                command.env_remove(key);
            }
        }
        command
            .env("GANTRY_SERVER__LISTEN", format!("127.0.0.1:{port}"))
            .env("GANTRY_DATA_DIR", data_dir)
            .env("NO_COLOR", "1");
        command.envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let child = command
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let mut process = Self {
            child,
            address: format!("http://127.0.0.1:{port}"),
            log,
        };
        process.wait_ready().await?;
        Ok(process)
    }

    async fn wait_ready(&mut self) -> anyhow::Result<()> {
        let url = format!("{}/health/ready", self.address);
        let path = &self.log;
        let log = || format!("end of its log:\n{}", tail(path));
        wait_until_healthy(&mut self.child, &url, "gantry", READY_TIMEOUT, log).await
    }

    /// Its process id.
    #[must_use]
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Lines of its log at `WARN` or `ERROR`, counted.
    #[must_use]
    pub fn log_problems(&self) -> (usize, usize) {
        count_levels(&std::fs::read_to_string(&self.log).unwrap_or_default())
    }

    /// SIGKILL, and waits for it to be gone.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, then up to `within` for it to finish its jobs and exit; killed after
    /// that. True when it exited cleanly in time.
    ///
    /// # Errors
    /// When the signal cannot be sent or the process cannot be waited for.
    pub async fn stop(mut self, within: Duration) -> anyhow::Result<bool> {
        terminate(&mut self.child, within).await
    }
}

impl Drop for GantryProcess {
    fn drop(&mut self) {
        // Never leave a server behind (an early error, a panic): it would keep the
        // port, the database and a core busy.
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// `(WARN, ERROR)` lines of a log written by `tracing`'s default format, colours or not.
fn count_levels(text: &str) -> (usize, usize) {
    // A record starts with its timestamp; a message's own lines do not.
    let level = |line: &str| {
        let line = strip_ansi(line);
        let mut words = line.split_whitespace();
        let stamped = words
            .next()
            .is_some_and(|w| w.starts_with(|c: char| c.is_ascii_digit()) && w.contains('T'));
        words.next().filter(|_| stamped).map(str::to_owned)
    };
    let levels: Vec<Option<String>> = text.lines().map(level).collect();
    let count = |name: &str| levels.iter().filter(|l| l.as_deref() == Some(name)).count();
    (count("WARN"), count("ERROR"))
}

/// `line` without ANSI colour sequences (`ESC [ ... m`).
fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Resident memory of a process, KiB, from `/proc/PID/status`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Memory {
    /// `VmRSS`: all of it.
    pub rss: u64,
    /// `RssAnon`: heap, stacks and anonymous mappings.
    pub anon: u64,
    /// `RssFile`: pages of mapped files (the binary's code and data, shared libraries).
    pub file: u64,
    /// `RssShmem`: shared memory.
    pub shmem: u64,
}

/// Resident memory of `pid`; `None` once it is gone.
#[must_use]
pub fn memory(pid: u32) -> Option<Memory> {
    parse_memory(&std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?)
}

fn parse_memory(status: &str) -> Option<Memory> {
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse::<u64>().ok())
    };
    Some(Memory {
        rss: field("VmRSS:")?,
        anon: field("RssAnon:").unwrap_or(0),
        file: field("RssFile:").unwrap_or(0),
        shmem: field("RssShmem:").unwrap_or(0),
    })
}

/// The peak resident memory of `pid` so far, KiB (`VmHWM` of `/proc/PID/status`);
/// `None` once it is gone.
#[must_use]
pub fn peak_rss(pid: u32) -> Option<u64> {
    parse_peak(&std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?)
}

fn parse_peak(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

/// Open file descriptors of `pid` (entries of `/proc/PID/fd`).
#[must_use]
pub fn open_files(pid: u32) -> Option<usize> {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .ok()
        .map(Iterator::count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resident_memory_is_read_from_the_status_file() {
        let status = "Name:\tgantry\nVmPeak:\t 999 kB\nVmRSS:\t   45312 kB\nRssAnon:\t 30000 kB\nRssFile:\t 15000 kB\nRssShmem:\t 312 kB\n";
        assert_eq!(
            parse_memory(status),
            Some(Memory {
                rss: 45_312,
                anon: 30_000,
                file: 15_000,
                shmem: 312
            })
        );
        assert_eq!(parse_memory("Name:\tx\n"), None);
        assert_eq!(
            parse_peak("VmPeak:\t 999 kB\nVmHWM:\t   51200 kB\n"),
            Some(51_200)
        );
        assert_eq!(parse_peak(status), None);
        assert!(peak_rss(std::process::id()).is_some_and(|kib| kib > 0));
    }

    #[test]
    fn this_process_has_memory_and_open_files() {
        let me = std::process::id();
        assert!(memory(me).is_some_and(|m| m.rss > 0 && m.anon > 0));
        assert!(open_files(me).is_some_and(|n| n >= 3));
        assert_eq!(open_files(u32::MAX), None);
    }

    #[test]
    fn warnings_and_errors_are_counted_with_or_without_colours() {
        let log = "2026-11-21T05:00:00.1Z  INFO gantry is serving\n2026-11-21T05:00:01.2Z  WARN slow\n\
                   \u{1b}[2m2026-11-21T05:00:02.3Z\u{1b}[0m \u{1b}[31mERROR\u{1b}[0m broke\nan ERROR in a message\n";
        assert_eq!(count_levels(log), (1, 1));
    }

    #[test]
    fn the_profile_is_named_after_the_target_directory() {
        assert_eq!(profile_of(Path::new("/t/debug/gantry")), "dev");
        assert_eq!(profile_of(Path::new("/t/release/gantry")), "release");
    }
}
