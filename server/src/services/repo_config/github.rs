//! Reading `.github/gantry.yml` from GitHub: a repository's default branch (`GET
//! /repos/{o}/{r}`), the file at a ref through the contents API (`GET
//! /repos/{o}/{r}/contents/.github/gantry.yml?ref=`), and what a `push` payload says
//! about it.
use base64::Engine as _;
use serde_json::Value;

use super::file;
use crate::github::client::url_escape;
use crate::github::{GitHubClient, GitHubError};

/// The default branch of `repo` (`owner/name`).
///
/// # Errors
/// GitHub's answer when it is not a repository.
pub async fn default_branch(github: &GitHubClient, repo: &str) -> Result<String, GitHubError> {
    let answer = github
        .rest(http::Method::GET, &format!("/repos/{}", path(repo)), None)
        .await?;
    answer["default_branch"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| GitHubError::Transient(format!("{repo} has no default_branch")))
}

/// The file's text at `git_ref` of `repo`, or `None` when there is none.
///
/// # Errors
/// When GitHub cannot answer, or the file is not UTF-8 text.
pub async fn read_file(
    github: &GitHubClient,
    repo: &str,
    git_ref: &str,
) -> Result<Option<String>, GitHubError> {
    let url = format!(
        "/repos/{}/contents/{}?ref={}",
        path(repo),
        file::PATH,
        url_escape(git_ref)
    );
    let answer = match github.rest(http::Method::GET, &url, None).await {
        Ok(answer) => answer,
        Err(GitHubError::NotFound(_)) => return Ok(None),
        Err(err) => return Err(err),
    };
    // A directory answers with a list: there is no file.
    let Some(content) = answer["content"].as_str() else {
        return Ok(None);
    };
    let cleaned: String = content.split_whitespace().collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(cleaned)
        .map_err(|e| GitHubError::Rejected {
            status: 0,
            message: format!("{} of {repo}: content is not base64: {e}", file::PATH),
        })?;
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|_| GitHubError::Rejected {
            status: 0,
            message: format!("{} of {repo} is not UTF-8 text", file::PATH),
        })
}

/// A base's file from its default branch, as `chain::load` reads it.
///
/// # Errors
/// Why it could not be read (a missing repository or file is `Ok(None)`).
pub async fn read_base(github: &GitHubClient, repo: &str) -> super::chain::Read {
    let branch = match default_branch(github, repo).await {
        Ok(branch) => branch,
        Err(GitHubError::NotFound(_)) => return Ok(None),
        Err(err) => return Err(err.to_string()),
    };
    read_file(github, repo, &branch)
        .await
        .map_err(|e| e.to_string())
}

/// A push to a repository's default branch, and whether it touched the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefaultBranchPush {
    /// The default branch.
    pub branch: String,
    /// Whether a commit added, modified or removed `.github/gantry.yml` (or the
    /// payload lists no commits, as for a force push: read it to be sure).
    pub touches_file: bool,
}

/// What a `push` payload says, when it pushed the repository's default branch.
#[must_use]
pub fn pushed_default_branch(payload: &Value) -> Option<DefaultBranchPush> {
    let branch = payload["repository"]["default_branch"].as_str()?;
    if payload["ref"].as_str()? != format!("refs/heads/{branch}") {
        return None;
    }
    let commits = payload["commits"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let touches = |c: &Value| {
        ["added", "modified", "removed"].iter().any(|k| {
            c[*k]
                .as_array()
                .is_some_and(|files| files.iter().any(|f| f.as_str() == Some(file::PATH)))
        })
    };
    let touches_file = commits.is_empty() || commits.iter().any(touches);
    Some(DefaultBranchPush {
        branch: branch.to_owned(),
        touches_file,
    })
}

/// `owner/name` with each part escaped.
fn path(repo: &str) -> String {
    repo.split('/')
        .map(url_escape)
        .collect::<Vec<_>>()
        .join("/")
}
