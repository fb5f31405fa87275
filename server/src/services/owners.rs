//! Keeping the ownership files' cache (`ownership_files`, filled by the plugins'
//! `get-owners` call) true to the repository's default branch: a `push` to the
//! default branch that adds, changes or removes a `CODEOWNERS`, `OWNERS` or
//! `OWNERS_ALIASES` file (or lists no commits, as a force push does) forgets what
//! was read, before the job's plugins run, so they read the new files. Rows older
//! than `repository_config.refresh_secs` are read again anyway, in case a push was
//! missed.
use serde_json::Value;

use crate::db::ownership_files;
use crate::domain::owners::{codeowners, prow};
use crate::domain::{Project, RepoRef};
use crate::services::repo_config::github::pushed_default_branch_touching;

/// Whether `path` is an ownership file Gantry reads.
#[must_use]
pub fn is_ownership_file(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name == prow::OWNERS
        || (name == prow::ALIASES && !path.contains('/'))
        || codeowners::LOCATIONS.contains(&path)
}

/// Whether `payload`, a `push`, changed ownership files on the default branch.
#[must_use]
pub fn push_touches_ownership(payload: &Value) -> bool {
    pushed_default_branch_touching(payload, is_ownership_file).is_some_and(|p| p.touches_file)
}

/// Before a job's plugins run: forgets `repo`'s cached ownership files when the
/// event is a push to its default branch touching them.
///
/// # Errors
/// When the database fails.
pub async fn before_job(
    db: &impl sea_orm::ConnectionTrait,
    event: &str,
    payload: Option<&Value>,
    repo: Option<&RepoRef>,
) -> Result<(), sea_orm::DbErr> {
    let (Some(payload), Some(repo)) = (payload, repo) else {
        return Ok(());
    };
    if event == "push" && push_touches_ownership(payload) {
        let project = Project::of_repo(repo);
        let forgotten = ownership_files::clear(db, project.as_str()).await?;
        tracing::debug!(project = %project.as_str(), forgotten, "a push changed ownership files; they are read again");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{is_ownership_file, push_touches_ownership};

    #[test]
    fn ownership_files_are_known_by_name_and_place() {
        assert!(is_ownership_file("OWNERS"));
        assert!(is_ownership_file("pkg/api/OWNERS"));
        assert!(is_ownership_file("OWNERS_ALIASES"));
        assert!(!is_ownership_file("pkg/OWNERS_ALIASES"));
        assert!(is_ownership_file(".github/CODEOWNERS"));
        assert!(is_ownership_file("docs/CODEOWNERS"));
        assert!(!is_ownership_file("src/CODEOWNERS"));
        assert!(!is_ownership_file("OWNERS.md"));
    }

    #[test]
    fn only_a_push_to_the_default_branch_touching_them_counts() {
        let push = |git_ref: &str, files: &[&str]| {
            json!({
                "ref": git_ref,
                "repository": { "default_branch": "main" },
                "commits": [{ "added": [], "modified": files, "removed": [] }],
            })
        };
        assert!(push_touches_ownership(&push(
            "refs/heads/main",
            &["a/OWNERS"]
        )));
        assert!(!push_touches_ownership(&push(
            "refs/heads/main",
            &["a/b.rs"]
        )));
        assert!(!push_touches_ownership(&push(
            "refs/heads/topic",
            &["a/OWNERS"]
        )));
        let forced = json!({
            "ref": "refs/heads/main",
            "repository": { "default_branch": "main" },
            "commits": [],
        });
        assert!(push_touches_ownership(&forced));
    }
}
