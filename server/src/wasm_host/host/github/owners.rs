//! `get-owners` (v0.2): who owns a set of paths, by the repository's ownership
//! files (`domain::owners`) on its DEFAULT branch only, never a pull request's:
//! the contents API is asked without a ref. What was read (or found missing) is
//! cached in `ownership_files` and read again once older than
//! `repository_config.refresh_secs`; a push to the default branch touching such a
//! file clears the repository's rows (`services::owners`). Needs `contents:read`;
//! each file read from GitHub counts as one call of the invocation's budget, a
//! cached one as none.
use std::collections::{BTreeMap, BTreeSet, HashMap};

use base64::Engine as _;
use chrono::Utc;

use super::super::super::bindings::gantry::plugin::github::PathOwners;
use super::super::super::bindings::{HostError, Repo};
use super::super::{CallData, CallState};
use super::{invalid, segments, text, HostResult};
use crate::db::ownership_files::{self, OwnershipFile};
use crate::domain::owners::{codeowners, prow, Ownership};
use crate::domain::{Capability, Project, RepoRef};

/// The most paths one call may ask about (GitHub lists at most 3,000 files of a
/// pull request).
pub const MAX_PATHS: usize = 3_000;
/// The most directories whose `OWNERS` one call may look at.
pub const MAX_DIRECTORIES: usize = 500;
/// The largest ownership file read; a larger one counts as missing.
const MAX_FILE_BYTES: usize = 256 * 1024;

/// The files known to this call: the cache's fresh rows, then what it read.
struct Files {
    fresh: HashMap<String, Option<String>>,
    project: String,
}

impl CallState {
    fn owners_cache_failed(&mut self, err: &sea_orm::DbErr) -> HostError {
        tracing::warn!(plugin = %self.plugin, error = %err, "the ownership files' cache failed");
        self.transient_failure = Some("the ownership files' cache failed".into());
        HostError::Unavailable("the ownership files' cache failed".into())
    }

    /// The text of `path` on the default branch (`None`: no such file), from the
    /// cache when fresh, else from GitHub (then cached).
    async fn ownership_file(
        &mut self,
        repo: &Repo,
        files: &mut Files,
        path: &str,
    ) -> Result<Option<String>, HostError> {
        if let Some(known) = files.fresh.get(path) {
            return Ok(known.clone());
        }
        let route = format!("/contents/{}", segments(path)?);
        let content = match self.find(repo, &Capability::CONTENTS_READ, &route).await? {
            Some(v) if v.is_object() => {
                let encoded: String = text(&v, "content").split_whitespace().collect();
                base64::engine::general_purpose::STANDARD
                    .decode(encoded)
                    .ok()
                    .filter(|bytes| bytes.len() <= MAX_FILE_BYTES)
                    .and_then(|bytes| String::from_utf8(bytes).ok())
            }
            // A directory of that name, or nothing.
            _ => None,
        };
        let row = OwnershipFile {
            path: path.to_owned(),
            content: content.clone(),
            read_at: Utc::now(),
        };
        if let Err(e) = ownership_files::put(&self.env.db, &files.project, &row).await {
            return Err(self.owners_cache_failed(&e));
        }
        files.fresh.insert(path.to_owned(), content.clone());
        Ok(content)
    }
}

/// A path as a plugin gives it, checked: relative, no `.`/`..` segment.
fn clean(path: &str) -> Result<String, HostError> {
    let trimmed = path.trim_matches('/');
    if trimmed.is_empty() || trimmed.len() > 4096 {
        return Err(HostError::Invalid(format!(
            "`{path}` is not a path in the repository"
        )));
    }
    segments(trimmed)?;
    Ok(trimmed.to_owned())
}

impl CallData {
    pub(super) async fn get_owners(
        &mut self,
        repo: Repo,
        paths: Vec<String>,
    ) -> HostResult<Vec<PathOwners>> {
        if paths.len() > MAX_PATHS {
            return invalid(format!("at most {MAX_PATHS} paths at once"));
        }
        let paths = match paths
            .iter()
            .map(|p| clean(p))
            .collect::<Result<Vec<_>, _>>()
        {
            Ok(paths) => paths,
            Err(e) => return Ok(Err(e)),
        };
        let inv = &mut self.invocation;
        let target = RepoRef {
            owner: repo.owner.clone(),
            name: repo.name.clone(),
        };
        if inv.repository.as_ref() != Some(&target) {
            return Ok(Err(HostError::Denied(format!(
                "plugin `{}` may only read the owners of the event's repository, not {}",
                inv.plugin,
                target.full_name()
            ))));
        }
        if let Err(e) = inv.check(&Capability::CONTENTS_READ).await {
            return Ok(Err(e));
        }
        let directories: BTreeSet<String> =
            paths.iter().flat_map(|p| prow::directories(p)).collect();
        if directories.len() > MAX_DIRECTORIES {
            return invalid(format!(
                "the paths span more than {MAX_DIRECTORIES} directories"
            ));
        }
        let project = Project::of_repo(&target).as_str().to_owned();
        let rows = match ownership_files::of_project(&inv.env.db, &project).await {
            Ok(rows) => rows,
            Err(e) => return Ok(Err(inv.owners_cache_failed(&e))),
        };
        let every = chrono::Duration::from_std(inv.env.services.ownership_refresh)
            .unwrap_or(chrono::Duration::MAX);
        let now = Utc::now();
        let mut files = Files {
            fresh: rows
                .into_iter()
                .filter(|r| now.signed_duration_since(r.read_at) < every)
                .map(|r| (r.path, r.content))
                .collect(),
            project,
        };
        let ownership = match read_all(inv, &repo, &mut files, &directories).await {
            Ok(ownership) => ownership,
            Err(e) => return Ok(Err(e)),
        };
        for error in &ownership.errors {
            tracing::info!(plugin = %inv.plugin, repository = %target.full_name(), %error, "an ownership file has an error; it is skipped");
        }
        Ok(Ok(paths
            .into_iter()
            .map(|path| {
                let owners = ownership.of(&path);
                PathOwners {
                    path,
                    approvers: owners.approvers,
                    reviewers: owners.reviewers,
                    decided_by: owners.sources,
                }
            })
            .collect()))
    }
}

/// Reads the first `CODEOWNERS`, the root's `OWNERS_ALIASES` and the `OWNERS` of
/// each of `directories`.
async fn read_all(
    inv: &mut CallState,
    repo: &Repo,
    files: &mut Files,
    directories: &BTreeSet<String>,
) -> Result<Ownership, HostError> {
    let mut found_codeowners = None;
    for location in codeowners::LOCATIONS {
        if let Some(text) = inv.ownership_file(repo, files, location).await? {
            found_codeowners = Some((location, text));
            break;
        }
    }
    let aliases = inv.ownership_file(repo, files, prow::ALIASES).await?;
    let mut owners = BTreeMap::new();
    for dir in directories {
        if let Some(text) = inv
            .ownership_file(repo, files, &prow::owners_path(dir))
            .await?
        {
            owners.insert(dir.clone(), text);
        }
    }
    Ok(Ownership::from_texts(
        found_codeowners.as_ref().map(|(p, t)| (*p, t.as_str())),
        &owners,
        aliases.as_deref(),
    ))
}

#[cfg(test)]
mod tests {
    use super::clean;

    #[test]
    fn paths_are_relative_and_never_leave_the_repository() {
        assert_eq!(clean("/web/app.ts").unwrap(), "web/app.ts");
        assert_eq!(clean("OWNERS").unwrap(), "OWNERS");
        assert!(clean("").is_err());
        assert!(clean("/").is_err());
        assert!(clean("a/../../etc/passwd").is_err());
        assert!(clean("./a").is_err());
    }
}
