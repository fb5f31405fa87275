//! Routing before instantiation: whether a plugin subscribed through manifest
//! `[[routes]]` (`wasm_host::route`) runs for a delivery, from the delivery's
//! branch (a pull request's base, or the pushed branch) and the files it changes
//! (a pull request's from GitHub, `GET /repos/{o}/{r}/pulls/{n}/files`, every page;
//! a push's from its payload's commits). The files are read at most once per
//! delivery, and only when a plugin's route has `paths`.
use std::collections::BTreeSet;

use serde_json::Value;

use crate::domain::RepoRef;
use crate::github::client::url_escape;
use crate::github::GitHubClient;
use crate::wasm_host::manifest::{Manifest, Subscription};
use crate::wasm_host::route::{is_pull_request_event, Mismatch};

/// GitHub lists at most 3000 files of a pull request, 100 a page.
const MAX_PAGES: u32 = 30;
const PER_PAGE: usize = 100;

/// What routes are matched against, gathered once for one delivery.
pub(super) struct DeliveryFacts<'a> {
    event: &'a str,
    action: Option<&'a str>,
    payload: Option<&'a Value>,
    repository: Option<&'a RepoRef>,
    branch: Option<String>,
    /// The changed files, or why they could not be read; read on first need.
    files: Option<Result<Vec<String>, String>>,
}

impl<'a> DeliveryFacts<'a> {
    pub(super) fn new(
        event: &'a str,
        action: Option<&'a str>,
        payload: Option<&'a Value>,
        repository: Option<&'a RepoRef>,
    ) -> Self {
        let branch = payload.and_then(|p| branch_of(event, p));
        Self {
            event,
            action,
            payload,
            repository,
            branch,
            files: None,
        }
    }

    /// Why `manifest`'s plugin does not run for this delivery (`Ok(None)`: it
    /// runs). Only a route's filters refuse; a plain subscription always runs.
    ///
    /// # Errors
    /// When GitHub could not list the pull request's files (the job is retried).
    pub(super) async fn refusal(
        &mut self,
        github: &GitHubClient,
        manifest: &Manifest,
    ) -> Result<Option<String>, String> {
        let routes = match manifest.subscription(self.event, self.action) {
            Subscription::Always => return Ok(None),
            Subscription::None => return Ok(Some("not subscribed to this event".into())),
            Subscription::Routed(routes) => routes,
        };
        let branch = self.branch.clone();
        let mut first: Option<Mismatch> = None;
        for route in routes {
            let files = if route.paths.is_empty() {
                None
            } else {
                Some(self.files(github).await?)
            };
            match route.admits(files, branch.as_deref()) {
                Ok(()) => return Ok(None),
                Err(mismatch) => {
                    first.get_or_insert(mismatch);
                }
            }
        }
        Ok(first.map(|m| m.to_string()))
    }

    async fn files(&mut self, github: &GitHubClient) -> Result<&[String], String> {
        if self.files.is_none() {
            self.files = Some(self.read_files(github).await);
        }
        match &self.files {
            Some(Ok(files)) => Ok(files),
            Some(Err(e)) => Err(e.clone()),
            None => Ok(&[]),
        }
    }

    async fn read_files(&self, github: &GitHubClient) -> Result<Vec<String>, String> {
        let Some(payload) = self.payload else {
            return Ok(Vec::new());
        };
        if self.event == "push" {
            return Ok(pushed_files(payload));
        }
        let number = payload["pull_request"]["number"].as_u64();
        let (true, Some(number), Some(repo)) =
            (is_pull_request_event(self.event), number, self.repository)
        else {
            return Ok(Vec::new());
        };
        let mut files = BTreeSet::new();
        for page in 1..=MAX_PAGES {
            let path = format!(
                "/repos/{}/{}/pulls/{number}/files?per_page={PER_PAGE}&page={page}",
                url_escape(&repo.owner),
                url_escape(&repo.name)
            );
            let answer = github
                .rest(http::Method::GET, &path, None)
                .await
                .map_err(|e| format!("listing the files of pull request #{number}: {e}"))?;
            let batch = answer.as_array().cloned().unwrap_or_default();
            for file in &batch {
                // A rename changes both places.
                for key in ["filename", "previous_filename"] {
                    if let Some(name) = file[key].as_str() {
                        files.insert(name.to_owned());
                    }
                }
            }
            if batch.len() < PER_PAGE {
                break;
            }
        }
        Ok(files.into_iter().collect())
    }
}

/// The branch a delivery is about: a pull request's base, or the branch a push
/// updated (`None` for a tag).
fn branch_of(event: &str, payload: &Value) -> Option<String> {
    if event == "push" {
        return payload["ref"]
            .as_str()
            .and_then(|r| r.strip_prefix("refs/heads/"))
            .map(str::to_owned);
    }
    payload["pull_request"]["base"]["ref"]
        .as_str()
        .map(str::to_owned)
}

/// The files a push changed, from its commits' `added`, `modified` and `removed`.
fn pushed_files(payload: &Value) -> Vec<String> {
    let mut files = BTreeSet::new();
    for commit in payload["commits"].as_array().into_iter().flatten() {
        for key in ["added", "modified", "removed"] {
            for file in commit[key].as_array().into_iter().flatten() {
                if let Some(f) = file.as_str() {
                    files.insert(f.to_owned());
                }
            }
        }
    }
    files.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_push_changes_the_files_of_its_commits_on_its_branch() {
        let push = json!({
            "ref": "refs/heads/main",
            "commits": [
                {"added": ["docs/new.md"], "modified": ["src/a.rs"], "removed": []},
                {"added": [], "modified": ["src/a.rs"], "removed": ["old.txt"]},
            ],
        });
        assert_eq!(pushed_files(&push), ["docs/new.md", "old.txt", "src/a.rs"]);
        assert_eq!(branch_of("push", &push).as_deref(), Some("main"));
        let tag = json!({"ref": "refs/tags/v1.0"});
        assert_eq!(branch_of("push", &tag), None);
        let pull = json!({"pull_request": {"base": {"ref": "release/2"}}});
        assert_eq!(
            branch_of("pull_request", &pull).as_deref(),
            Some("release/2")
        );
    }
}
