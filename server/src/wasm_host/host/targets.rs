//! What a GitHub write changes, for the policy's branch conditions
//! ([`Target`]): the branch a write names or the repository's default branch, the
//! tag and branch a release makes, and, for a release being published, its target
//! as GitHub has it.
use super::super::bindings::Repo;
use super::CallState;
use crate::github::client::url_escape;
use crate::policy::Target;

impl CallState {
    /// The branch `name` a write names, or the repository's default branch when it
    /// names none (unknown when the event does not say which that is).
    pub(super) fn branch_or_default(&self, name: &str) -> Target {
        match (name.trim(), &self.default_branch) {
            ("", Some(default)) => Target::of_ref(default),
            ("", None) => Target::Unknown,
            (name, _) => Target::of_ref(name),
        }
    }

    /// What creating a release changes: its tag, made from `target` (a branch or a
    /// commit; the default branch when empty) when it does not exist.
    pub(super) fn release_target(&self, tag: &str, target: Option<&str>) -> Target {
        let tag = format!("refs/tags/{}", tag.trim_start_matches("refs/tags/"));
        match self.branch_or_default(target.unwrap_or_default()) {
            Target::Refs(mut refs) => {
                refs.push(tag);
                Target::Refs(refs)
            }
            Target::Nothing => Target::of_ref(&tag),
            Target::Unknown => Target::Unknown,
        }
    }

    /// What publishing release `id` changes: its tag from its `target_commitish`.
    /// Read from GitHub only when a rule has a branch condition; unknown otherwise
    /// or when it cannot be read (so a branch-conditioned deny or ask applies).
    pub(super) async fn published_target(&self, repo: &Repo, id: u64) -> Target {
        if !self.env.rules.iter().any(|r| r.conditions.branch.is_some())
            || self.repository.as_ref().map(|r| (&r.owner, &r.name))
                != Some((&repo.owner, &repo.name))
        {
            return Target::Unknown;
        }
        let path = format!(
            "/repos/{}/{}/releases/{id}",
            url_escape(&repo.owner),
            url_escape(&repo.name)
        );
        match self.env.github.rest(http::Method::GET, &path, None).await {
            Ok(release) => self.release_target(
                release["tag_name"].as_str().unwrap_or_default(),
                release["target_commitish"].as_str(),
            ),
            Err(err) => {
                tracing::info!(plugin = %self.plugin, error = %err, "the release's target could not be read");
                Target::Unknown
            }
        }
    }
}
