//! Which database a `gantry` command opens, and saying so. The settings choose it
//! (`--config`, `GANTRY_DATABASE__URL`, `GANTRY_DATA_DIR`); `--sandbox [DIR]` picks
//! a sandbox's data folder (its database and its `secrets.key`); and when nothing
//! chose one, the folder has no `.gantry/gantry.db` but holds a sandbox's
//! (`.gantry/sandbox/gantry.db`), that one is used. Every command opening a database
//! names it on standard error and in its errors, a SQLite file that is not there is
//! not created by a command that only reads, and a database that was never
//! initialised is reported as such, with the fix.
use std::path::{Path, PathBuf};

use anyhow::Context;
use sea_orm::DatabaseConnection;

use crate::config::Settings;
use crate::crypto::AuditKey;
use crate::db;
use crate::domain::Secret;

/// `gantry sandbox`'s default data folder (its `--data-dir`), relative to where it runs.
pub const SANDBOX_DIR: &str = ".gantry/sandbox";

/// The settings of a command that opens the database, and that database's name.
#[derive(Debug)]
pub(super) struct CliDatabase {
    pub settings: Settings,
    name: String,
}

impl CliDatabase {
    /// Loads the settings (`config`, then the environment), applies `--sandbox DIR`
    /// or a sandbox found in the working folder, and says on standard error which
    /// database the command will open.
    ///
    /// # Errors
    /// When the settings do not load, or `--sandbox` names a folder holding no
    /// sandbox database.
    pub fn resolve(config: Option<&Path>, sandbox: Option<&Path>) -> anyhow::Result<Self> {
        let settings = Settings::load(config)?;
        let db = Self::choose(settings, config.is_some(), sandbox, Path::new("."))?;
        announce(&format!("using the {}", db.name));
        Ok(db)
    }

    /// [`CliDatabase::resolve`] without reading the process's settings or printing:
    /// `settings` as loaded, `from_file` whether a settings file was given, `cwd` the
    /// folder relative paths start from.
    fn choose(
        mut settings: Settings,
        from_file: bool,
        sandbox: Option<&Path>,
        cwd: &Path,
    ) -> anyhow::Result<Self> {
        let found = || {
            let chose_nothing = !from_file
                && settings.database.url.is_empty()
                && settings.data_dir == Settings::default().data_dir;
            let sandbox_db = cwd.join(SANDBOX_DIR).join("gantry.db");
            let default_db = cwd.join(&settings.data_dir).join("gantry.db");
            chose_nothing && !default_db.exists() && sandbox_db.exists()
        };
        let sandbox_dir = match sandbox {
            Some(dir) => Some((dir.to_path_buf(), "--sandbox")),
            None if found() => Some((
                PathBuf::from(SANDBOX_DIR),
                "the sandbox's, found in this folder (--config or GANTRY_DATA_DIR choose another)",
            )),
            None => None,
        };
        let Some((dir, why)) = sandbox_dir else {
            let name = describe(&settings.database_url());
            return Ok(Self { settings, name });
        };
        let db_file = dir.join("gantry.db");
        if !cwd.join(&db_file).exists() {
            anyhow::bail!(
                "no sandbox database at {}: start the sandbox first (`gantry sandbox`, or \
                 ./dev sandbox), or give --sandbox the folder it was started with (its \
                 --data-dir)",
                db_file.display()
            );
        }
        settings.database.url.clear();
        settings.data_dir = dir.clone();
        if settings.secrets.key.is_none() {
            // The key `gantry sandbox` made there when no key was configured: commands
            // that write audit rows must extend the sandbox's keyed chain.
            let key_file = cwd.join(&dir).join("secrets.key");
            if let Ok(key) = std::fs::read_to_string(&key_file) {
                settings.secrets.key = Some(Secret::new(key.trim()));
            }
        }
        let name = format!("{} ({why})", describe(&settings.database_url()));
        Ok(Self { settings, name })
    }

    /// Opens the database, creating it and applying pending migrations as needed.
    ///
    /// # Errors
    /// When the database cannot be opened or migrated; the error names it.
    pub async fn open(&self) -> anyhow::Result<DatabaseConnection> {
        let conn = self.connect().await?;
        db::migrate(&conn)
            .await
            .with_context(|| format!("migrating the {}", self.name))?;
        Ok(conn)
    }

    /// Opens a database that must exist already (for commands that only read or
    /// replay): a SQLite file that is not there is an error, not a new empty file.
    ///
    /// # Errors
    /// When the file is missing or the database cannot be opened; the error names it.
    pub async fn open_existing(&self) -> anyhow::Result<DatabaseConnection> {
        if let Some(path) = db::sqlite_path(&self.settings.database_url()) {
            if !Path::new(path).exists() {
                anyhow::bail!("there is no database at {path}: {}", NOT_INITIALISED_FIX);
            }
        }
        self.connect().await
    }

    async fn connect(&self) -> anyhow::Result<DatabaseConnection> {
        db::connect(&self.settings.database_url(), 2)
            .await
            .with_context(|| format!("opening the {}", self.name))
    }

    /// The audit chain's key, from the same settings.
    ///
    /// # Errors
    /// When `secrets.key` is set but too short to derive a key from.
    pub fn audit_key(&self) -> anyhow::Result<AuditKey> {
        AuditKey::derive(self.settings.secrets.key.as_ref())
            .context("deriving the audit chain's key from secrets.key")
    }

    /// A command's error, naming the database, and saying so when the database was
    /// never initialised (a table is missing).
    #[must_use]
    pub fn explain(&self, err: anyhow::Error) -> anyhow::Error {
        let text = format!("{err:#}");
        let missing_table = text.contains("no such table")
            || (text.contains("relation \"") && text.contains("does not exist"));
        if missing_table {
            err.context(format!(
                "the {} is not initialised (a table is missing): {NOT_INITIALISED_FIX}",
                self.name
            ))
        } else if text.contains(&self.name) {
            err
        } else {
            err.context(format!("in the {}", self.name))
        }
    }
}

/// How to reach the right database, for errors about a missing or empty one.
const NOT_INITIALISED_FIX: &str = "is this the database the server uses? Point gantry at \
     it with --config FILE, GANTRY_DATABASE__URL or GANTRY_DATA_DIR (a sandbox's with \
     --sandbox); to start a new one here, run `gantry migrate`";

/// A database URL as people read it: the SQLite file, or the PostgreSQL URL without
/// its password.
#[must_use]
pub fn describe(url: &str) -> String {
    match db::sqlite_path(url) {
        Some(path) => format!("SQLite database {path}"),
        None => format!("PostgreSQL database {}", db::redact_url(url)),
    }
}

/// One line on standard error, apart from the command's own output on standard
/// output (which scripts read).
#[allow(clippy::print_stderr)]
fn announce(line: &str) {
    eprintln!("gantry: {line}");
}

#[cfg(test)]
#[path = "database_tests.rs"]
mod tests;
