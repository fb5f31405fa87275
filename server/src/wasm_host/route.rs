//! Routing in the manifest: a `[[routes]]` table subscribes a plugin to events only
//! when a delivery's changed files match its `paths` globs and its branch (a pull
//! request's base, or the pushed branch) matches its `branches` globs. Pure: the
//! checks made at install, and matching against facts the host gathered
//! (`services::routing` reads the changed files and the branch).
//!
//! Globs are `glob::Pattern`s matched with `/` literal: `*` stays within a path
//! segment, `**` spans segments (`docs/**`), `?` and `[abc]` as in a shell.
use anyhow::{anyhow, bail};
use glob::{MatchOptions, Pattern};
use serde::{Deserialize, Serialize};

/// One filtered subscription.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// Events, as `event` (any action) or `event.action`, as in `events`.
    pub events: Vec<String>,
    /// Globs on the files a pull request or push changes: the route matches when
    /// at least one changed file matches one of them. Empty: any files.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<String>,
    /// Globs on the branch: a pull request's base branch, or the branch a push
    /// updated (a tag push has none). Empty: any branch.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub branches: Vec<String>,
}

/// The events whose deliveries say which files changed and on which branch.
const ROUTED_EVENTS: &[&str] = &[
    "pull_request",
    "pull_request_target",
    "pull_request_review",
    "pull_request_review_comment",
    "pull_request_review_thread",
    "push",
];

/// Whether a delivery of `event` carries a pull request (its files come from GitHub).
#[must_use]
pub fn is_pull_request_event(event: &str) -> bool {
    event != "push" && ROUTED_EVENTS.contains(&event)
}

/// Why a route did not admit a delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mismatch {
    /// No changed file matches the route's `paths`.
    Paths(String),
    /// The branch does not match the route's `branches`.
    Branch(String),
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Paths(why) => write!(f, "paths did not match: {why}"),
            Self::Branch(why) => write!(f, "branch did not match: {why}"),
        }
    }
}

const OPTIONS: MatchOptions = MatchOptions {
    case_sensitive: true,
    require_literal_separator: true,
    require_literal_leading_dot: false,
};

fn compile(glob: &str) -> Option<Pattern> {
    Pattern::new(glob).ok()
}

fn matches_any(globs: &[String], text: &str) -> bool {
    globs
        .iter()
        .filter_map(|g| compile(g))
        .any(|p| p.matches_with(text, OPTIONS))
}

impl Route {
    /// Whether this route names the event and action.
    #[must_use]
    pub fn names(&self, event: &str, action: Option<&str>) -> bool {
        self.events
            .iter()
            .any(|e| super::manifest::event_matches(e, event, action))
    }

    /// Whether a delivery with these changed `files` (`None` when the route has no
    /// `paths`, so they were not read) on `branch` passes the route.
    ///
    /// # Errors
    /// The first filter that refused it.
    pub fn admits(&self, files: Option<&[String]>, branch: Option<&str>) -> Result<(), Mismatch> {
        if !self.branches.is_empty() {
            match branch {
                Some(b) if matches_any(&self.branches, b) => {}
                Some(b) => {
                    return Err(Mismatch::Branch(format!(
                        "`{b}` is not {}",
                        self.branches.join(", ")
                    )))
                }
                None => return Err(Mismatch::Branch("the delivery names no branch".into())),
            }
        }
        if !self.paths.is_empty() {
            let files = files.unwrap_or_default();
            if !files.iter().any(|f| matches_any(&self.paths, f)) {
                return Err(Mismatch::Paths(format!(
                    "none of the {} changed file(s) is in {}",
                    files.len(),
                    self.paths.join(", ")
                )));
            }
        }
        Ok(())
    }

    /// The install-time checks: events that say which files and branch changed,
    /// globs that compile, something to filter on.
    ///
    /// # Errors
    /// What is wrong, naming the route (1-based) and the value.
    pub fn validate(&self, index: usize) -> anyhow::Result<()> {
        let n = index + 1;
        if self.events.is_empty() {
            bail!("route {n}: `events` is empty; name the events this route filters");
        }
        for event in &self.events {
            super::manifest::validate_event(event).map_err(|e| anyhow!("route {n}: {e}"))?;
            let name = event.split_once('.').map_or(event.as_str(), |(e, _)| e);
            if !ROUTED_EVENTS.contains(&name) {
                bail!(
                    "route {n}: `{event}` carries no changed files or branch; routes apply to {}",
                    ROUTED_EVENTS.join(", ")
                );
            }
        }
        if self.paths.is_empty() && self.branches.is_empty() {
            bail!(
                "route {n}: give `paths` or `branches` (without them, list the events in `events`)"
            );
        }
        for (key, globs) in [("paths", &self.paths), ("branches", &self.branches)] {
            for glob in globs {
                if glob.is_empty() {
                    bail!("route {n}: an empty glob in `{key}`");
                }
                if let Err(e) = Pattern::new(glob) {
                    bail!("route {n}: `{glob}` in `{key}` is not a valid glob: {e}");
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(paths: &[&str], branches: &[&str]) -> Route {
        Route {
            events: vec!["pull_request.opened".into()],
            paths: paths.iter().map(|s| (*s).to_owned()).collect(),
            branches: branches.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    fn files(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn paths_match_any_changed_file_with_double_star_across_folders() {
        let r = route(&["docs/**"], &[]);
        assert!(r
            .admits(Some(&files(&["src/a.rs", "docs/x.md"])), None)
            .is_ok());
        assert!(r.admits(Some(&files(&["docs/a/b/c.md"])), None).is_ok());
        let refused = r.admits(Some(&files(&["src/a.rs", "README.md"])), None);
        assert!(matches!(&refused, Err(Mismatch::Paths(_))), "{refused:?}");
        assert!(refused
            .unwrap_err()
            .to_string()
            .starts_with("paths did not match"));
        let star = route(&["*.md"], &[]);
        assert!(star.admits(Some(&files(&["README.md"])), None).is_ok());
        assert!(
            star.admits(Some(&files(&["docs/x.md"])), None).is_err(),
            "`*` stays within a segment"
        );
    }

    #[test]
    fn branches_match_the_base_or_pushed_branch() {
        let r = route(&[], &["main", "release/*"]);
        assert!(r.admits(None, Some("main")).is_ok());
        assert!(r.admits(None, Some("release/1.0")).is_ok());
        let refused = r.admits(None, Some("feature/x")).unwrap_err();
        assert!(
            refused.to_string().starts_with("branch did not match"),
            "{refused}"
        );
        assert!(r.admits(None, None).is_err(), "no branch, no match");
    }

    #[test]
    fn install_refuses_bad_globs_events_without_files_and_empty_routes() {
        assert!(route(&["docs/**"], &["main"]).validate(0).is_ok());
        let bad = route(&["docs/[x"], &[]).validate(0).unwrap_err();
        assert!(
            bad.to_string()
                .contains("`docs/[x` in `paths` is not a valid glob"),
            "{bad}"
        );
        let bad = route(&[], &["***"]).validate(1).unwrap_err();
        assert!(bad.to_string().starts_with("route 2:"), "{bad}");
        let mut issues = route(&["docs/**"], &[]);
        issues.events = vec!["issues.opened".into()];
        let bad = issues.validate(0).unwrap_err();
        assert!(
            bad.to_string().contains("carries no changed files"),
            "{bad}"
        );
        assert!(route(&[], &[]).validate(0).is_err());
    }
}
