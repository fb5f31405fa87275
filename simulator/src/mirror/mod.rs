//! Real git repositories behind the simulator's git smart HTTP: one bare repository per
//! simulated repository under a root directory ([`Mirrors`]), created the first time
//! git asks for it, and kept in step with the simulator's own git data both ways.
//! Before git serves a repository, the branches and tags the REST API changed since
//! the last sync are written into it with their commits, trees and blobs (`export`);
//! after a push, and right after an export, whatever the bare repository holds that
//! the state lacks is read back into the state (`import`). `cgi` runs `git
//! http-backend` for the routes in `routes::git_http`.
//!
//! Git computes its own object ids, so once a repository has been served over git its
//! branches and tags hold git's ids, in the REST API too: an exported commit gets a
//! new id (its files, message, author and dates are kept), and a pull request whose
//! head was the branch's old commit follows the branch. The state remembers which refs
//! the bare repository had at the last sync (`Git::mirrored`), which is how a change
//! is told to come from the REST API or from a push.
//!
//! Everything here is blocking (processes and files): callers run it off the async
//! threads.

mod cgi;
mod export;
mod import;

use std::{
    collections::BTreeMap,
    fmt,
    io::Write as _,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    sync::atomic::{AtomicU64, Ordering},
};

use parking_lot::Mutex;

pub(crate) use self::cgi::{CgiRequest, CgiResponse};
use crate::{state::State, Simulator};

/// Names of temporary roots handed out by this process so far.
static TEMPORARY_ROOTS: AtomicU64 = AtomicU64::new(0);

/// Where the bare repositories live, and the lock that keeps syncs apart.
#[derive(Debug)]
pub(crate) struct Mirrors {
    root: PathBuf,
    /// Whether the root belongs to this simulator and is removed with it.
    owned: bool,
    /// Held while a repository is brought in step with the state, and for the whole
    /// of a push, so that a push is read back before the next sync.
    sync: Mutex<()>,
}

impl Mirrors {
    /// A root of its own under the system's temporary directory, created when first
    /// needed and removed when the last clone of the simulator is dropped.
    pub fn temporary() -> Self {
        let n = TEMPORARY_ROOTS.fetch_add(1, Ordering::Relaxed);
        let name = format!("gantry-simulator-git-{}-{n}", std::process::id());
        Self {
            root: std::env::temp_dir().join(name),
            owned: true,
            sync: Mutex::new(()),
        }
    }

    /// Repositories kept under `root`, which outlives the simulator.
    pub fn at(root: PathBuf) -> Self {
        Self {
            root,
            owned: false,
            sync: Mutex::new(()),
        }
    }

    /// The directory holding every bare repository.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `PATH_INFO` of a repository's bare directory relative to the root, e.g.
    /// `/codertocat/hello-world.git` (names are lower-cased, as the state keys them).
    fn relative(owner: &str, repo: &str) -> String {
        format!("/{}/{}.git", owner.to_lowercase(), repo.to_lowercase())
    }
}

impl Mirrors {
    /// Removes the root when it belongs to this simulator (see `Simulator::remove_temporary_repositories`).
    pub(crate) fn remove_if_owned(&self) {
        let _held = self.sync.lock();
        if self.owned && self.root.exists() {
            if let Err(error) = std::fs::remove_dir_all(&self.root) {
                tracing::warn!(%error, root = %self.root.display(), "cannot remove the simulator's git repositories");
            }
        }
    }
}

impl Drop for Mirrors {
    fn drop(&mut self) {
        if self.owned && self.root.exists() {
            if let Err(error) = std::fs::remove_dir_all(&self.root) {
                tracing::warn!(%error, root = %self.root.display(), "cannot remove the simulator's git repositories");
            }
        }
    }
}

/// A git command that failed, or could not be run.
#[derive(Debug)]
pub(crate) struct GitError(String);

impl fmt::Display for GitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for GitError {}

impl GitError {
    fn new(what: impl Into<String>) -> Self {
        Self(what.into())
    }
}

/// A `git` command with an environment of its own: no system or user configuration,
/// no inherited repository variables, never a prompt.
pub(crate) fn git_command() -> Command {
    let mut command = Command::new("git");
    for name in [
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_OBJECT_DIRECTORY",
        "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        "GIT_NAMESPACE",
        "GIT_PROTOCOL",
        "GIT_CONFIG",
        "GIT_CONFIG_PARAMETERS",
        "GIT_CONFIG_COUNT",
    ] {
        command.env_remove(name);
    }
    command
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_TERMINAL_PROMPT", "0");
    command
}

/// Runs `command` with `input` on its standard input and returns its standard output;
/// an error holding its standard error when it fails. The input is written from
/// another thread so a command answering while it reads cannot deadlock.
pub(crate) fn run(mut command: Command, input: &[u8]) -> Result<Vec<u8>, GitError> {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| GitError::new(format!("cannot run git: {e}")))?;
    let stdin = child.stdin.take();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        if let Some(mut stdin) = stdin {
            // A command that stops reading early reports its own error below.
            let _ = stdin.write_all(&input);
        }
    });
    let output = child
        .wait_with_output()
        .map_err(|e| GitError::new(format!("git did not finish: {e}")))?;
    let _ = writer.join();
    if !output.status.success() {
        return Err(GitError::new(format!(
            "git failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    Ok(output.stdout)
}

/// Runs `git --git-dir=<dir> args...` with `input`.
pub(crate) fn git_in(dir: &Path, args: &[&str], input: &[u8]) -> Result<Vec<u8>, GitError> {
    let mut command = git_command();
    command.arg("--git-dir").arg(dir).args(args);
    run(command, input)
}

/// The branches and tags of a bare repository: full name to object id.
fn bare_refs(dir: &Path) -> Result<BTreeMap<String, String>, GitError> {
    let out = git_in(
        dir,
        &[
            "for-each-ref",
            "--format=%(objectname) %(refname)",
            "refs/heads/",
            "refs/tags/",
        ],
        b"",
    )?;
    Ok(String::from_utf8_lossy(&out)
        .lines()
        .filter_map(|line| line.split_once(' '))
        .map(|(id, name)| (name.to_owned(), id.to_owned()))
        .collect())
}

/// What git serves a request with, once its repository is in step with the state;
/// `None` when the simulator does not know the repository. A push (`receive_pack`)
/// is read back into the state, and saved, before this returns.
pub(crate) fn serve(
    sim: &Simulator,
    owner: &str,
    repo: &str,
    request: &CgiRequest,
    receive_pack: bool,
) -> Result<Option<CgiResponse>, GitError> {
    let mirrors = sim.mirrors();
    let guard = mirrors.sync.lock();
    let relative = Mirrors::relative(owner, repo);
    let dir = mirrors.root.join(relative.trim_start_matches('/'));
    if !prepare(sim, owner, repo, &dir)? {
        return Ok(None);
    }
    if !receive_pack {
        drop(guard);
        return cgi::run_cgi(mirrors.root(), &relative, request).map(Some);
    }
    let response = cgi::run_cgi(mirrors.root(), &relative, request)?;
    import::sync(sim, owner, repo, &dir)?;
    drop(guard);
    sim.save();
    Ok(Some(response))
}

/// Creates the bare repository if needed and writes into it what the REST API changed;
/// `false` when the simulator does not know the repository.
fn prepare(sim: &Simulator, owner: &str, repo: &str, dir: &Path) -> Result<bool, GitError> {
    let default_branch = {
        let mut state = sim.lock();
        let Some(known) = state.repo_mut(owner, repo) else {
            return Ok(false);
        };
        known.git_mut();
        known.default_branch.clone()
    };
    if !dir.join("HEAD").exists() {
        create(dir, &default_branch)?;
        forget_mirror(&mut sim.lock(), owner, repo);
    }
    if export::sync(sim, owner, repo, dir)? {
        import::sync(sim, owner, repo, dir)?;
        sim.save();
    }
    Ok(true)
}

/// Creates an empty bare repository whose `HEAD` is the default branch.
fn create(dir: &Path, default_branch: &str) -> Result<(), GitError> {
    std::fs::create_dir_all(dir)
        .map_err(|e| GitError::new(format!("cannot create {}: {e}", dir.display())))?;
    let mut command = git_command();
    command
        .arg("init")
        .arg("--quiet")
        .arg("--bare")
        .arg(format!("--initial-branch={default_branch}"))
        .arg(dir);
    run(command, b"")?;
    tracing::debug!(dir = %dir.display(), "simulator created a bare git repository");
    Ok(())
}

/// Forgets what a repository's bare repository held: everything is written anew.
fn forget_mirror(state: &mut State, owner: &str, repo: &str) {
    if let Some(known) = state.repo_mut(owner, repo) {
        known.git.mirrored = None;
    }
}
