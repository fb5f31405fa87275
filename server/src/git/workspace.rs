//! One git working copy on the host's disk, driven with git2: clone, read and write
//! files inside it (never outside: no absolute paths, no `..`, nothing under `.git`,
//! no symbolic links followed), commit, tag, walk the log and push. Every call is
//! blocking; callers run it off the async threads. The directory is removed when
//! the workspace is dropped: a push held for approval takes a pack of its commits
//! into the database instead (`super::held`). The pushing itself ([`push_refspecs`])
//! serves both a workspace and a held push.
use std::path::{Component, Path, PathBuf};

use git2::{
    build::RepoBuilder, Cred, FetchOptions, IndexAddOption, PushOptions, RemoteCallbacks,
    Repository, Signature,
};

use super::GitError;
use crate::domain::Secret;

/// Where a workspace pushes and fetches, with what credentials.
#[derive(Debug, Clone)]
pub struct Remote {
    /// The repository's clone URL (`https://github.com/owner/name.git`).
    pub url: String,
    /// The installation token, sent as the password of `x-access-token` over HTTPS.
    pub token: Option<Secret>,
}

impl Remote {
    /// Callbacks answering the credential request once with the token, and only
    /// for the remote's own host (scheme, host and port): a redirect or anything
    /// else libgit2 asks about gets no token.
    pub(super) fn callbacks(&self) -> RemoteCallbacks<'_> {
        let mut callbacks = RemoteCallbacks::new();
        let token = self.token.clone();
        let configured = origin(&self.url);
        let mut tried = false;
        callbacks.credentials(move |url, _user, _allowed| {
            if configured.is_none() || origin(url) != configured {
                return Err(git2::Error::from_str(
                    "credentials are only sent to the configured git host",
                ));
            }
            // One attempt: a wrong token must fail, not loop.
            if tried {
                return Err(git2::Error::from_str("the installation token was refused"));
            }
            tried = true;
            match &token {
                Some(t) => Cred::userpass_plaintext("x-access-token", t.expose()),
                None => Err(git2::Error::from_str("no GitHub token is configured")),
            }
        });
        callbacks
    }
}

/// The scheme, host and port of a URL, lower case; `None` when it has no host.
fn origin(url: &str) -> Option<(String, String, Option<u16>)> {
    let parsed = url::Url::parse(url).ok()?;
    Some((
        parsed.scheme().to_owned(),
        parsed.host_str()?.to_ascii_lowercase(),
        parsed.port_or_known_default(),
    ))
}

/// A cloned repository in a directory of its own.
#[derive(Debug)]
pub struct Workspace {
    dir: Option<tempfile::TempDir>,
    kept: Option<PathBuf>,
    remote: Remote,
    max_bytes: u64,
}

/// The identity commits and tags are made with when the plugin names none.
pub const BOT_NAME: &str = "gantry[bot]";
/// The bot's e-mail address.
pub const BOT_EMAIL: &str = "gantry-bot@users.noreply.github.com";

impl Workspace {
    /// Clones `remote` at `branch` (the default branch when `None`) into a new
    /// directory under `root`; refuses a clone larger than `max_bytes`, stopping the
    /// transfer as soon as more than that has arrived, and checking the checkout.
    ///
    /// # Errors
    /// [`GitError`] saying what failed.
    pub fn clone(
        root: &Path,
        remote: Remote,
        branch: Option<&str>,
        max_bytes: u64,
    ) -> Result<Self, GitError> {
        std::fs::create_dir_all(root)
            .map_err(|e| GitError::Io(format!("creating {}: {e}", root.display())))?;
        let dir = tempfile::Builder::new()
            .prefix("ws-")
            .tempdir_in(root)
            .map_err(|e| GitError::Io(e.to_string()))?;
        {
            let over = std::cell::Cell::new(false);
            let mut callbacks = remote.callbacks();
            callbacks.transfer_progress(|progress| {
                let too_big =
                    u64::try_from(progress.received_bytes()).unwrap_or(u64::MAX) > max_bytes;
                over.set(too_big);
                !too_big
            });
            let mut fetch = FetchOptions::new();
            fetch.remote_callbacks(callbacks);
            let mut builder = RepoBuilder::new();
            builder.fetch_options(fetch);
            if let Some(branch) = branch {
                builder.branch(branch);
            }
            let cloned = builder.clone(&remote.url, dir.path());
            if over.get() {
                return Err(GitError::TooLarge(format!(
                    "the clone was stopped after more than {max_bytes} bytes arrived; the cap is {max_bytes}"
                )));
            }
            cloned.map_err(GitError::from_git)?;
        }
        let workspace = Self {
            dir: Some(dir),
            kept: None,
            remote,
            max_bytes,
        };
        workspace.check_size()?;
        Ok(workspace)
    }

    /// Opens a workspace kept on disk by an approval held before pushes were packed
    /// into the database (only such old approvals still name a directory).
    ///
    /// # Errors
    /// When the directory is not a repository.
    pub fn reopen(path: PathBuf, remote: Remote) -> Result<Self, GitError> {
        Repository::open(&path).map_err(GitError::from_git)?;
        Ok(Self {
            dir: None,
            kept: Some(path),
            remote,
            max_bytes: u64::MAX,
        })
    }

    /// The working copy's root.
    #[must_use]
    pub fn path(&self) -> &Path {
        match (&self.dir, &self.kept) {
            (Some(d), _) => d.path(),
            (None, Some(p)) => p,
            (None, None) => Path::new("/nonexistent"),
        }
    }

    pub(super) fn repo(&self) -> Result<Repository, GitError> {
        Repository::open(self.path()).map_err(GitError::from_git)
    }

    /// Bytes under the working copy, `.git` included.
    fn size(&self) -> u64 {
        fn walk(path: &Path) -> u64 {
            let Ok(entries) = std::fs::read_dir(path) else {
                return 0;
            };
            entries
                .filter_map(Result::ok)
                .map(|e| match e.file_type() {
                    Ok(t) if t.is_dir() => walk(&e.path()),
                    Ok(_) => e.metadata().map(|m| m.len()).unwrap_or(0),
                    Err(_) => 0,
                })
                .sum()
        }
        walk(self.path())
    }

    fn check_size(&self) -> Result<(), GitError> {
        let size = self.size();
        if size > self.max_bytes {
            return Err(GitError::TooLarge(format!(
                "the workspace holds {size} bytes; the cap is {}",
                self.max_bytes
            )));
        }
        Ok(())
    }

    /// A path inside the working copy, refusing anything that could leave it.
    fn inside(&self, relative: &str) -> Result<PathBuf, GitError> {
        let rel = Path::new(relative);
        let mut clean = PathBuf::new();
        for part in rel.components() {
            match part {
                Component::Normal(p) if p != ".git" => clean.push(p),
                Component::CurDir => {}
                _ => {
                    return Err(GitError::Invalid(format!(
                        "`{relative}` must be a relative path inside the repository, outside .git"
                    )))
                }
            }
        }
        if clean.as_os_str().is_empty() {
            return Err(GitError::Invalid("the path is empty".into()));
        }
        // No component may be a symbolic link, so nothing resolves outside.
        let mut at = self.path().to_path_buf();
        for part in clean.components() {
            at.push(part);
            if at
                .symlink_metadata()
                .is_ok_and(|m| m.file_type().is_symlink())
            {
                return Err(GitError::Invalid(format!(
                    "`{relative}` goes through a symbolic link"
                )));
            }
        }
        Ok(at)
    }

    /// The checked-out commit's SHA.
    ///
    /// # Errors
    /// When the repository has no commit.
    pub fn head(&self) -> Result<String, GitError> {
        let repo = self.repo()?;
        let commit = repo
            .head()
            .and_then(|h| h.peel_to_commit())
            .map_err(GitError::from_git)?;
        Ok(commit.id().to_string())
    }

    /// A file's bytes, `None` when it does not exist.
    ///
    /// # Errors
    /// For a path outside the repository or an I/O failure.
    pub fn read_file(&self, relative: &str, max: usize) -> Result<Option<Vec<u8>>, GitError> {
        let path = self.inside(relative)?;
        match std::fs::metadata(&path) {
            Err(_) => Ok(None),
            Ok(m) if m.is_dir() => Err(GitError::Invalid(format!("`{relative}` is a directory"))),
            Ok(m) if m.len() > max as u64 => Err(GitError::TooLarge(format!(
                "`{relative}` is {} bytes; the output cap is {max}",
                m.len()
            ))),
            Ok(_) => std::fs::read(&path)
                .map(Some)
                .map_err(|e| GitError::Io(e.to_string())),
        }
    }

    /// Writes a file, creating its directories.
    ///
    /// # Errors
    /// For a path outside the repository, an I/O failure, or the disk cap.
    pub fn write_file(&self, relative: &str, content: &[u8]) -> Result<(), GitError> {
        let path = self.inside(relative)?;
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| GitError::Io(e.to_string()))?;
        }
        std::fs::write(&path, content).map_err(|e| GitError::Io(e.to_string()))?;
        if let Err(e) = self.check_size() {
            let _ = std::fs::remove_file(&path);
            return Err(e);
        }
        Ok(())
    }

    /// Deletes a file; returns whether it existed.
    ///
    /// # Errors
    /// For a path outside the repository or an I/O failure.
    pub fn remove_file(&self, relative: &str) -> Result<bool, GitError> {
        let path = self.inside(relative)?;
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(GitError::Io(e.to_string())),
        }
    }

    /// Creates `name` at the checked-out commit and checks it out.
    ///
    /// # Errors
    /// When the name is not a valid branch or exists already.
    pub fn create_branch(&self, name: &str) -> Result<(), GitError> {
        let repo = self.repo()?;
        let head = repo
            .head()
            .and_then(|h| h.peel_to_commit())
            .map_err(GitError::from_git)?;
        repo.branch(name, &head, false)
            .map_err(GitError::from_git)?;
        repo.set_head(&format!("refs/heads/{name}"))
            .map_err(GitError::from_git)?;
        Ok(())
    }

    /// Commits every change; returns the new SHA.
    ///
    /// # Errors
    /// When nothing changed or git fails.
    pub fn commit(&self, message: &str, author: Option<(&str, &str)>) -> Result<String, GitError> {
        let repo = self.repo()?;
        let mut index = repo.index().map_err(GitError::from_git)?;
        index
            .add_all(["*"], IndexAddOption::DEFAULT, None)
            .map_err(GitError::from_git)?;
        index.update_all(["*"], None).map_err(GitError::from_git)?;
        index.write().map_err(GitError::from_git)?;
        let tree_id = index.write_tree().map_err(GitError::from_git)?;
        let tree = repo.find_tree(tree_id).map_err(GitError::from_git)?;
        let parent = repo
            .head()
            .and_then(|h| h.peel_to_commit())
            .map_err(GitError::from_git)?;
        if parent.tree_id() == tree_id {
            return Err(GitError::Invalid("nothing to commit".into()));
        }
        let (name, email) = author.unwrap_or((BOT_NAME, BOT_EMAIL));
        let author = Signature::now(name, email).map_err(GitError::from_git)?;
        let committer = Signature::now(BOT_NAME, BOT_EMAIL).map_err(GitError::from_git)?;
        let id = repo
            .commit(
                Some("HEAD"),
                &author,
                &committer,
                message,
                &tree,
                &[&parent],
            )
            .map_err(GitError::from_git)?;
        Ok(id.to_string())
    }

    /// Creates an annotated tag at the checked-out commit.
    ///
    /// # Errors
    /// When the tag exists or the name is invalid.
    pub fn tag(&self, name: &str, message: &str) -> Result<(), GitError> {
        let repo = self.repo()?;
        let head = repo
            .head()
            .and_then(|h| h.peel(git2::ObjectType::Commit))
            .map_err(GitError::from_git)?;
        let tagger = Signature::now(BOT_NAME, BOT_EMAIL).map_err(GitError::from_git)?;
        repo.tag(name, &head, &tagger, message, false)
            .map_err(GitError::from_git)?;
        Ok(())
    }

    /// Commits from the head back to (not including) `since`, newest first, at most
    /// `limit`: `(sha, message, author)`.
    ///
    /// # Errors
    /// When `since` does not name a commit.
    pub fn log(
        &self,
        since: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(String, String, String)>, GitError> {
        let repo = self.repo()?;
        let mut walk = repo.revwalk().map_err(GitError::from_git)?;
        walk.push_head().map_err(GitError::from_git)?;
        if let Some(since) = since {
            let stop = repo
                .revparse_single(since)
                .and_then(|o| o.peel_to_commit())
                .map_err(GitError::from_git)?;
            walk.hide(stop.id()).map_err(GitError::from_git)?;
        }
        let mut out = Vec::new();
        for id in walk.take(limit) {
            let commit = repo
                .find_commit(id.map_err(GitError::from_git)?)
                .map_err(GitError::from_git)?;
            out.push((
                commit.id().to_string(),
                commit.message().unwrap_or_default().to_owned(),
                commit.author().name().unwrap_or_default().to_owned(),
            ));
        }
        Ok(out)
    }

    /// Tag names.
    ///
    /// # Errors
    /// When git fails.
    pub fn tags(&self) -> Result<Vec<String>, GitError> {
        let repo = self.repo()?;
        let names = repo.tag_names(None).map_err(GitError::from_git)?;
        Ok(names
            .iter()
            .filter_map(|n| n.ok().flatten().map(str::to_owned))
            .collect())
    }

    /// The checked-out branch's name.
    ///
    /// # Errors
    /// When the head is detached.
    pub fn branch(&self) -> Result<String, GitError> {
        let repo = self.repo()?;
        let head = repo.head().map_err(GitError::from_git)?;
        match head.shorthand() {
            Ok(name) if head.is_branch() => Ok(name.to_owned()),
            _ => Err(GitError::Invalid("the head is not on a branch".into())),
        }
    }

    /// The clone's branches as `origin` had them: `(name, sha)`, by name.
    ///
    /// # Errors
    /// When git fails.
    pub fn branches(&self) -> Result<Vec<(String, String)>, GitError> {
        let repo = self.repo()?;
        let mut out = Vec::new();
        for entry in repo
            .branches(Some(git2::BranchType::Remote))
            .map_err(GitError::from_git)?
        {
            let (branch, _) = entry.map_err(GitError::from_git)?;
            let Ok(Some(name)) = branch.name() else {
                continue;
            };
            let Some(short) = name.strip_prefix("origin/") else {
                continue;
            };
            if short == "HEAD" {
                continue;
            }
            if let Some(target) = branch.get().target() {
                out.push((short.to_owned(), target.to_string()));
            }
        }
        out.sort();
        Ok(out)
    }

    /// Pushes `refspecs` to another remote (a mirror); a rejected ref fails.
    ///
    /// # Errors
    /// [`GitError`] with git's or the server's reason.
    pub fn push_to(&self, remote: &Remote, refspecs: &[String]) -> Result<(), GitError> {
        push_refspecs(&self.repo()?, remote, refspecs)
    }

    /// Pushes the checked-out branch and `tags` to the remote; a rejected ref fails.
    ///
    /// # Errors
    /// [`GitError`] with git's or the server's reason.
    pub fn push(&self, tags: &[String]) -> Result<(), GitError> {
        self.push_to(&self.remote, &branch_refspecs(&self.branch()?, tags))
    }
}

/// What pushing `branch` and `tags` sends: each to the same name, never forced.
#[must_use]
pub fn branch_refspecs(branch: &str, tags: &[String]) -> Vec<String> {
    let mut refspecs = vec![format!("refs/heads/{branch}:refs/heads/{branch}")];
    refspecs.extend(tags.iter().map(|t| format!("refs/tags/{t}:refs/tags/{t}")));
    refspecs
}

/// Pushes `refspecs` of `repo` to `remote` with its token; a ref the server refuses
/// fails the push.
///
/// # Errors
/// [`GitError`] with git's or the server's reason.
pub(super) fn push_refspecs(
    repo: &Repository,
    remote: &Remote,
    refspecs: &[String],
) -> Result<(), GitError> {
    let rejected = std::cell::RefCell::new(Vec::new());
    let mut callbacks = remote.callbacks();
    callbacks.push_update_reference(|name, status| {
        if let Some(why) = status {
            rejected.borrow_mut().push(format!("{name}: {why}"));
        }
        Ok(())
    });
    let mut options = PushOptions::new();
    options.remote_callbacks(callbacks);
    let mut target = repo
        .remote_anonymous(&remote.url)
        .map_err(GitError::from_git)?;
    target
        .push(refspecs, Some(&mut options))
        .map_err(GitError::from_git)?;
    drop(options);
    let rejected = rejected.into_inner();
    if !rejected.is_empty() {
        return Err(GitError::Rejected(rejected.join("; ")));
    }
    Ok(())
}

impl Drop for Workspace {
    fn drop(&mut self) {
        // A reopened old workspace belongs to its held action; a clone goes with us.
        self.dir.take();
    }
}
