//! The faults of the `faults` run, each started at a second of the load and ended
//! (where it lasts) some seconds later: PostgreSQL stopped or crashed, its backends
//! terminated, SQLite's write lock held by another connection, and SQLite's file
//! system full (a small tmpfs the run mounts, then fills).
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{bail, Context};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use tokio::sync::watch;

use super::own_postgres::OwnPostgres;
use crate::rig::Backend;

/// One fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Fault {
    /// PostgreSQL stopped (`pg_ctl stop -m fast`), then started.
    PostgresStopped,
    /// PostgreSQL crashed and recovered at once (`pg_ctl restart -m immediate`).
    PostgresRestartImmediate,
    /// Every backend of Gantry's database terminated once.
    BackendsTerminatedOnce,
    /// Every backend terminated every 0.2 s while the fault lasts.
    BackendsTerminatedLoop,
    /// Another connection holds SQLite's write lock (`BEGIN IMMEDIATE`).
    SqliteWriteLock,
    /// SQLite's file system full.
    SqliteDiskFull,
}

impl Fault {
    /// Every fault, in the order of issue 16's table.
    pub const ALL: [Self; 6] = [
        Self::PostgresStopped,
        Self::PostgresRestartImmediate,
        Self::BackendsTerminatedOnce,
        Self::BackendsTerminatedLoop,
        Self::SqliteWriteLock,
        Self::SqliteDiskFull,
    ];

    /// The database it happens to.
    #[must_use]
    pub fn backend(self) -> Backend {
        match self {
            Self::SqliteWriteLock | Self::SqliteDiskFull => Backend::Sqlite,
            _ => Backend::Postgres,
        }
    }

    /// Whether it lasts (`--fault-for`) rather than happening once.
    #[must_use]
    pub fn lasts(self) -> bool {
        !matches!(
            self,
            Self::PostgresRestartImmediate | Self::BackendsTerminatedOnce
        )
    }

    /// The table's words for it, given how long it lasts.
    #[must_use]
    pub fn describe(self, secs: u64) -> String {
        match self {
            Self::PostgresStopped => format!("PostgreSQL stopped for {secs} s, then started"),
            Self::PostgresRestartImmediate => "PostgreSQL `restart -m immediate`".to_owned(),
            Self::BackendsTerminatedOnce => "every backend terminated once".to_owned(),
            Self::BackendsTerminatedLoop => {
                format!("backends terminated every 0.2 s for {secs} s")
            }
            Self::SqliteWriteLock => {
                format!("SQLite write lock held by another connection for {secs} s")
            }
            Self::SqliteDiskFull => format!("SQLite disk full for {secs} s"),
        }
    }
}

/// What a fault acts on.
#[derive(Debug)]
pub struct Targets<'a> {
    /// The run's own PostgreSQL, for the PostgreSQL faults.
    pub postgres: Option<&'a OwnPostgres>,
    /// Gantry's database.
    pub database_url: &'a str,
    /// The small file system SQLite's file is on, for the disk-full fault.
    pub small_fs: Option<&'a SmallFs>,
}

/// A fault in progress, ended by [`Running::end`].
#[derive(Debug)]
pub enum Running {
    /// Nothing to end (it happened once).
    Done,
    /// PostgreSQL is stopped.
    Stopped,
    /// A loop runs until told to stop.
    Loop(watch::Sender<bool>, tokio::task::JoinHandle<()>),
    /// The connection holding the lock.
    Lock(DatabaseConnection),
    /// The file filling the file system.
    Filler(PathBuf),
}

/// Starts `fault`.
///
/// # Errors
/// When it cannot be caused.
pub async fn start(fault: Fault, on: &Targets<'_>) -> anyhow::Result<Running> {
    let postgres = || {
        on.postgres
            .context("this fault needs the run's own PostgreSQL")
    };
    Ok(match fault {
        Fault::PostgresStopped => {
            postgres()?.stop_server()?;
            Running::Stopped
        }
        Fault::PostgresRestartImmediate => {
            postgres()?.restart_immediate()?;
            Running::Done
        }
        Fault::BackendsTerminatedOnce => {
            terminate_backends(&postgres()?.admin_url(), on.database_url).await?;
            Running::Done
        }
        Fault::BackendsTerminatedLoop => {
            let (admin, url) = (postgres()?.admin_url(), on.database_url.to_owned());
            let (stop, mut stopped) = watch::channel(false);
            let task = tokio::spawn(async move {
                while !*stopped.borrow() {
                    if let Err(err) = terminate_backends(&admin, &url).await {
                        tracing::warn!(error = format!("{err:#}"), "terminating backends");
                    }
                    let wait = tokio::time::timeout(Duration::from_millis(200), stopped.changed());
                    let _ = wait.await;
                }
            });
            Running::Loop(stop, task)
        }
        Fault::SqliteWriteLock => {
            let db = gantry_server::db::connect(on.database_url, 1).await?;
            db.execute_unprepared("BEGIN IMMEDIATE")
                .await
                .context("taking SQLite's write lock")?;
            Running::Lock(db)
        }
        Fault::SqliteDiskFull => {
            let fs = on
                .small_fs
                .context("the disk-full fault needs the small file system")?;
            Running::Filler(fs.fill()?)
        }
    })
}

impl Running {
    /// Ends the fault.
    ///
    /// # Errors
    /// When it cannot be undone.
    pub async fn end(self, on: &Targets<'_>) -> anyhow::Result<()> {
        match self {
            Self::Done => {}
            Self::Stopped => on
                .postgres
                .context("PostgreSQL to start again")?
                .start_server()?,
            Self::Loop(stop, task) => {
                let _ = stop.send(true);
                task.await.context("the terminating loop")?;
            }
            Self::Lock(db) => {
                db.execute_unprepared("ROLLBACK").await?;
                db.close().await?;
            }
            Self::Filler(path) => std::fs::remove_file(&path)
                .with_context(|| format!("removing {}", path.display()))?,
        }
        Ok(())
    }
}

async fn terminate_backends(admin_url: &str, database_url: &str) -> anyhow::Result<()> {
    let name = database_url
        .rsplit('/')
        .next()
        .and_then(|n| n.split('?').next())
        .context("the database's name")?;
    let admin = gantry_server::db::connect(admin_url, 1).await?;
    let sql = format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = '{name}' AND pid <> pg_backend_pid()"
    );
    let result = admin.execute_unprepared(&sql).await;
    admin.close().await?;
    result.context("pg_terminate_backend")?;
    Ok(())
}

/// A tmpfs of a few hundred MiB mounted for SQLite's file, unmounted when dropped.
/// Mounting needs root (or CAP_SYS_ADMIN); without it the disk-full fault says so.
#[derive(Debug)]
pub struct SmallFs {
    dir: tempfile::TempDir,
}

impl SmallFs {
    /// Mounts one of `mib` MiB.
    ///
    /// # Errors
    /// When it cannot be mounted.
    pub fn mount(mib: u64) -> anyhow::Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("gantry-bench-fs-")
            .tempdir()
            .context("creating a mount point")?;
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mib}m"), "tmpfs"])
            .arg(dir.path())
            .output()
            .context("running mount")?;
        if !out.status.success() {
            bail!(
                "mounting a {mib} MiB tmpfs for the disk-full fault failed (it needs root): {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(Self { dir })
    }

    /// Where SQLite's file goes.
    #[must_use]
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a file until the file system is full; returns its path.
    fn fill(&self) -> anyhow::Result<PathBuf> {
        use std::io::Write as _;
        let path = self.dir.path().join("filler");
        let mut file = std::fs::File::create(&path).context("creating the filler")?;
        let block = vec![0u8; 64 * 1024];
        loop {
            match file.write(&block) {
                Ok(0) => break,
                Ok(_) => {}
                Err(err) if err.raw_os_error() == Some(28) => break, // ENOSPC
                Err(err) => return Err(err).context("filling the file system"),
            }
        }
        // The last partial blocks: byte by byte would be slow; 4 KiB is a page.
        let small = [0u8; 4096];
        while file.write(&small).is_ok_and(|n| n > 0) {}
        let _ = file.flush();
        Ok(path)
    }
}

impl Drop for SmallFs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).output();
    }
}
