//! A push held for approval, carried in the database rather than on a replica's
//! disk: [`Workspace::pack`] takes what the push needs out of the working copy (the
//! refs to create and a packfile of the objects the remote lacks), and
//! [`push_packed`] pushes it later, on any replica, from a scratch bare repository
//! under the system's temporary directory that is removed afterwards.
use std::io::Write as _;

use git2::{AutotagOption, FetchOptions, ObjectType, Oid, Repository};

use super::workspace::{push_refspecs, Remote, Workspace};
use super::GitError;

/// Everything a held push needs, with no working copy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PackedPush {
    /// The refspecs' sources, `(ref name, object id)`, as the workspace had them.
    pub refs: Vec<(String, String)>,
    /// Commits the pack builds on but leaves out because the remote had them when
    /// it was packed; they are fetched from the remote again before pushing.
    pub based_on: Vec<String>,
    /// The packfile.
    pub pack: Vec<u8>,
}

/// What a pack leaves out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leave {
    /// Whatever the clone's `refs/remotes/origin/*` reach: for a push back to the
    /// repository it was cloned from.
    Origin,
    /// Nothing: for a push to another repository (a mirror).
    Nothing,
}

/// The source ref of a refspec (`[+]src:dst`).
fn source(refspec: &str) -> Result<&str, GitError> {
    let spec = refspec.strip_prefix('+').unwrap_or(refspec);
    match spec.split_once(':') {
        Some((src, _)) if !src.is_empty() => Ok(src),
        _ => Err(GitError::Invalid(format!(
            "`{refspec}` is not a `src:dst` refspec"
        ))),
    }
}

fn git<T>(result: Result<T, git2::Error>) -> Result<T, GitError> {
    result.map_err(GitError::from_git)
}

impl Workspace {
    /// Packs what pushing `refspecs` needs: the source refs and every object they
    /// reach, less what `leave` says the remote has. Refuses a pack over
    /// `max_bytes` ([`GitError::TooLarge`]).
    ///
    /// # Errors
    /// When a source ref does not exist, git fails, or the pack is too large.
    pub fn pack(
        &self,
        refspecs: &[String],
        leave: Leave,
        max_bytes: u64,
    ) -> Result<PackedPush, GitError> {
        let repo = self.repo()?;
        let mut builder = git(repo.packbuilder())?;
        let mut walk = git(repo.revwalk())?;
        let mut refs = Vec::new();
        let mut commits = Vec::new();
        for spec in refspecs {
            let name = source(spec)?;
            let mut id = git(repo.refname_to_id(name))?;
            refs.push((name.to_owned(), id.to_string()));
            // An annotated tag goes in itself; what it names goes in like any ref.
            while let Ok(tag) = repo.find_tag(id) {
                git(builder.insert_object(id, None))?;
                id = tag.target_id();
            }
            if git(repo.find_object(id, None))?.kind() == Some(ObjectType::Commit) {
                git(walk.push(id))?;
                commits.push(id);
            } else {
                git(builder.insert_recursive(id, None))?;
            }
        }
        let mut based_on = Vec::new();
        if leave == Leave::Origin {
            for reference in git(repo.references_glob("refs/remotes/origin/*"))? {
                let Some(tip) = git(reference)?.resolve().ok().and_then(|r| r.target()) else {
                    continue;
                };
                git(walk.hide(tip))?;
                let builds_on = commits
                    .iter()
                    .any(|&c| c == tip || repo.graph_descendant_of(c, tip).unwrap_or(false));
                if builds_on && !based_on.contains(&tip) {
                    based_on.push(tip);
                }
            }
        }
        git(builder.insert_walk(&mut walk))?;
        let mut buf = git2::Buf::new();
        git(builder.write_buf(&mut buf))?;
        let size = buf.len() as u64;
        if size > max_bytes {
            return Err(GitError::TooLarge(format!("the push needs a pack of {size} bytes; the cap for held pushes is {max_bytes} bytes")));
        }
        Ok(PackedPush {
            refs,
            based_on: based_on.iter().map(Oid::to_string).collect(),
            pack: buf.to_vec(),
        })
    }
}

/// Pushes a packed push to `remote`: a scratch bare repository gets what the pack
/// builds on (fetched from `remote`), the pack and the refs, then pushes `refspecs`
/// exactly as a workspace would. The scratch repository is removed afterwards.
///
/// # Errors
/// [`GitError`]: [`GitError::Rejected`] when the remote no longer has a commit the
/// pack builds on (force-pushed away or deleted since), else git's or the server's
/// reason.
pub fn push_packed(
    remote: &Remote,
    packed: &PackedPush,
    refspecs: &[String],
) -> Result<(), GitError> {
    let scratch = tempfile::Builder::new()
        .prefix("gantry-held-push-")
        .tempdir()
        .map_err(|e| GitError::Io(format!("creating a scratch repository: {e}")))?;
    let repo = git(Repository::init_bare(scratch.path()))?;
    if !packed.based_on.is_empty() {
        fetch_heads(&repo, remote)?;
        let odb = git(repo.odb())?;
        for base in &packed.based_on {
            if !odb.exists(git(Oid::from_str(base))?) {
                return Err(GitError::Rejected(format!(
                    "the held push builds on commit {base}, which {} no longer has (force-pushed away or deleted since the push was held); run the plugin again",
                    remote.url
                )));
            }
        }
    }
    {
        let odb = git(repo.odb())?;
        let mut writer = git(odb.packwriter())?;
        writer
            .write_all(&packed.pack)
            .map_err(|e| GitError::Invalid(format!("the held pack is unreadable: {e}")))?;
        git(writer.commit())?;
    }
    for (name, id) in &packed.refs {
        git(repo.reference(name, git(Oid::from_str(id))?, true, "gantry: held push"))?;
    }
    let pushed = push_refspecs(&repo, remote, refspecs);
    drop(repo);
    drop(scratch);
    pushed
}

/// Fetches the remote's branches (no tags) into `refs/gantry/base/*`.
fn fetch_heads(repo: &Repository, remote: &Remote) -> Result<(), GitError> {
    let mut options = FetchOptions::new();
    options.remote_callbacks(remote.callbacks());
    options.download_tags(AutotagOption::None);
    let mut origin = git(repo.remote_anonymous(&remote.url))?;
    git(origin.fetch(
        &["+refs/heads/*:refs/gantry/base/*"],
        Some(&mut options),
        None,
    ))
}

#[cfg(test)]
mod tests {
    use super::source;

    #[test]
    fn a_refspecs_source_drops_the_force_mark_and_odd_refspecs_are_refused() {
        assert_eq!(
            source("+refs/remotes/origin/main:refs/heads/main").ok(),
            Some("refs/remotes/origin/main")
        );
        assert_eq!(
            source("refs/tags/v1:refs/tags/v1").ok(),
            Some("refs/tags/v1")
        );
        assert!(source("refs/heads/main").is_err());
        assert!(source(":refs/heads/main").is_err());
    }
}
