//! The policy's inputs about who acts and what the event is: the acting person (the
//! commenter of a command, the sender of an event) and their permission on the
//! repository written to, for `min_permission` conditions; and the facts of the
//! event the host reads once (its sender, the repository's default branch).
//!
//! A command's permission comes with it (the host asked GitHub before routing it).
//! Otherwise the permission is asked of GitHub's collaborator-permission API only
//! when some rule has a `min_permission` condition, once per job and repository for
//! each person ([`ActorPermissions`] lives in the job's `JobEnv`).
use std::collections::HashMap;
use std::sync::Arc;

use serde::Deserialize;

use super::super::bindings::HostError;
use super::CallState;
use crate::domain::RepoRef;
use crate::github::{GitHubClient, GitHubError};
use crate::policy::Permission;

/// Who acts in an invocation.
#[derive(Debug, Clone, Default)]
pub struct ActingPerson {
    /// Their GitHub login; `None` for scheduled ticks and approval notices.
    pub login: Option<String>,
    /// Their permission on the event's repository, when the host already knows it
    /// (a command's author).
    pub permission: Option<Permission>,
}

/// Collaborator permissions looked up during one job, by repository and login
/// (both lower case), so every plugin of the job sees the same answer.
#[derive(Debug, Clone, Default)]
pub struct ActorPermissions(Arc<tokio::sync::Mutex<HashMap<(String, String), Permission>>>);

/// What the host reads from an event's payload for the policy.
#[derive(Debug, Default, Deserialize)]
pub struct EventFacts {
    #[serde(default)]
    sender: Option<Login>,
    #[serde(default)]
    repository: Option<RepositoryFacts>,
}

#[derive(Debug, Default, Deserialize)]
struct Login {
    #[serde(default)]
    login: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct RepositoryFacts {
    #[serde(default)]
    default_branch: Option<String>,
}

impl EventFacts {
    /// The facts of `payload`; none when it is not a JSON object.
    #[must_use]
    pub fn of(payload: &str) -> Self {
        serde_json::from_str(payload).unwrap_or_default()
    }

    /// The event's sender.
    #[must_use]
    pub fn sender(&self) -> Option<String> {
        self.sender
            .as_ref()
            .and_then(|s| s.login.clone())
            .filter(|l| !l.is_empty())
    }

    /// The repository's default branch.
    #[must_use]
    pub fn default_branch(&self) -> Option<String> {
        self.repository
            .as_ref()
            .and_then(|r| r.default_branch.clone())
            .filter(|b| !b.is_empty())
    }
}

/// `user`'s permission on `repo` from GitHub (`role_name`, else the classic
/// `permission`); `none` for someone who is not a collaborator.
///
/// # Errors
/// GitHub's error when it could not answer.
pub async fn collaborator_permission(
    github: &GitHubClient,
    repo: &RepoRef,
    user: &str,
) -> Result<Permission, GitHubError> {
    use crate::github::client::url_escape;
    let path = format!(
        "/repos/{}/{}/collaborators/{}/permission",
        url_escape(&repo.owner),
        url_escape(&repo.name),
        url_escape(user)
    );
    match github.rest(http::Method::GET, &path, None).await {
        Ok(answer) => Ok(Permission::of_answer(&answer)),
        Err(GitHubError::NotFound(_)) => Ok(Permission::None),
        Err(e) => Err(e),
    }
}

impl CallState {
    /// The acting person's permission on `repo`, for the policy: known for a
    /// command's author on the event's repository, otherwise asked of GitHub once per
    /// job when a rule needs it; `None` when nobody acts or no rule needs it.
    ///
    /// # Errors
    /// `Unavailable` (and the job is retried) when GitHub could not answer for now;
    /// when it refuses for good the permission stays unknown (conditions on it fail
    /// closed).
    pub(crate) async fn actor_permission(
        &mut self,
        repo: &RepoRef,
    ) -> Result<Option<Permission>, HostError> {
        if let (Some(known), true) = (
            self.actor.permission,
            self.repository.as_ref() == Some(repo),
        ) {
            return Ok(Some(known));
        }
        let Some(login) = self.actor.login.clone() else {
            return Ok(None);
        };
        if !self
            .env
            .rules
            .iter()
            .any(|r| r.conditions.min_permission.is_some())
        {
            return Ok(None);
        }
        let key = (
            repo.full_name().to_ascii_lowercase(),
            login.to_ascii_lowercase(),
        );
        let cache = self.env.actors.0.clone();
        let mut known = cache.lock().await;
        if let Some(p) = known.get(&key) {
            return Ok(Some(*p));
        }
        match collaborator_permission(&self.env.github, repo, &login).await {
            Ok(p) => {
                known.insert(key, p);
                Ok(Some(p))
            }
            Err(err @ (GitHubError::Transient(_) | GitHubError::RateLimited { .. })) => {
                drop(known);
                Err(self.host_error(err))
            }
            Err(err) => {
                // Refused for good: the permission stays unknown, and conditions on it
                // fail closed.
                tracing::warn!(plugin = %self.plugin, %login, error = %err, "the actor's permission could not be read");
                Ok(None)
            }
        }
    }
}
