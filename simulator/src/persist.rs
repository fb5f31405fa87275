//! Keeping the simulator's state in a JSON file across restarts: loading it at start,
//! and saving it atomically (temporary file in the same directory, fsync, rename,
//! fsync of the directory) so a process killed at any moment leaves either the old or
//! the new complete file. Faults and the request log are never saved.

use std::{
    fs::{self, File},
    io::{self, Write},
    path::{Path, PathBuf},
    sync::atomic::{AtomicU64, Ordering},
};

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

use crate::state::State;

/// The file format written by this version; a file with another is refused.
const FORMAT_VERSION: u32 = 1;

/// The file's top level: a format version around the state.
#[derive(Serialize)]
struct SnapshotRef<'a> {
    version: u32,
    state: &'a State,
}

/// The file's top level as read back.
#[derive(Deserialize)]
struct Snapshot {
    version: u32,
    state: State,
}

/// Where a simulator saves its state, and which revision of it is on disk.
#[derive(Debug)]
pub(crate) struct Store {
    path: PathBuf,
    /// Revision of the state last written; held while writing, so saves never
    /// interleave and an older snapshot never replaces a newer one.
    written: Mutex<u64>,
    /// Revisions handed out to snapshots so far.
    revisions: AtomicU64,
}

impl Store {
    /// The state saved at `path`, or an empty one when there is no file yet (its
    /// directory is created then, so a bad location fails now rather than at the
    /// first save).
    pub fn open(path: PathBuf) -> io::Result<(Self, State)> {
        let state = match fs::read(&path) {
            Ok(bytes) => decode(&path, &bytes)?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    fs::create_dir_all(dir).map_err(|e| {
                        with_context(e, format!("cannot create directory {}", dir.display()))
                    })?;
                }
                State::default()
            }
            Err(e) => {
                let what = format!("cannot read simulator state from {}", path.display());
                return Err(with_context(e, what));
            }
        };
        let store = Self {
            path,
            written: Mutex::new(0),
            revisions: AtomicU64::new(0),
        };
        Ok((store, state))
    }

    /// Serialises `state` and numbers the snapshot; called with the state locked, so
    /// a higher revision always holds every change a lower one does.
    pub fn snapshot(&self, state: &State) -> (u64, io::Result<Vec<u8>>) {
        let revision = self
            .revisions
            .fetch_add(1, Ordering::Relaxed)
            .saturating_add(1);
        let bytes = serde_json::to_vec(&SnapshotRef {
            version: FORMAT_VERSION,
            state,
        })
        .map_err(io::Error::other);
        (revision, bytes)
    }

    /// Writes `bytes`, the snapshot of revision `revision`, unless a newer revision is
    /// already on disk.
    pub fn write(&self, revision: u64, bytes: &[u8]) -> io::Result<()> {
        let mut written = self.written.lock();
        if *written >= revision {
            return Ok(());
        }
        write_atomically(&self.path, bytes)
            .map_err(|e| with_context(e, format!("cannot save {}", self.path.display())))?;
        *written = revision;
        Ok(())
    }
}

/// Parses a state file, naming it in the error when it is not one of ours.
fn decode(path: &Path, bytes: &[u8]) -> io::Result<State> {
    let invalid = |detail: String| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "simulator state file {} is not valid: {detail}",
                path.display()
            ),
        )
    };
    let snapshot: Snapshot = serde_json::from_slice(bytes).map_err(|e| invalid(e.to_string()))?;
    if snapshot.version != FORMAT_VERSION {
        return Err(invalid(format!(
            "format version {} is not supported (expected {FORMAT_VERSION})",
            snapshot.version
        )));
    }
    Ok(snapshot.state)
}

/// Replaces `path` with `bytes` so that readers see the old or the new file, never a
/// partial one, even if the process dies half-way.
fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no file name"))?;
    let mut temp_name = std::ffi::OsString::from(".");
    temp_name.push(name);
    temp_name.push(".tmp");
    let temp = dir.join(temp_name);
    let mut file = File::create(&temp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    fs::rename(&temp, path)?;
    // The rename itself is durable only once the directory entry is on disk.
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    Ok(())
}

/// `e` with `what` in front of its message, keeping its kind.
fn with_context(e: io::Error, what: String) -> io::Error {
    io::Error::new(e.kind(), format!("{what}: {e}"))
}
