//! Reading `.github/gantry.yml` from GitHub: a repository's default branch (`GET
//! /repos/{o}/{r}`), the file at a ref through the contents API (`GET
//! /repos/{o}/{r}/contents/.github/gantry.yml?ref=`), the bases of a chain through
//! the repository's own installation only (`BaseReader`), and what a `push` payload
//! says about it.
use base64::Engine as _;
use sea_orm::DatabaseConnection;
use serde_json::Value;

use super::chain::Unread;
use super::file;
use crate::db::entities::installations::Model as Installation;
use crate::domain::RepoRef;
use crate::github::client::url_escape;
use crate::github::{GitHubAccess, GitHubClient, GitHubError};

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
        Err(err) => return Err(Unread::Failed(err.to_string())),
    };
    read_file(github, repo, &branch)
        .await
        .map_err(|e| Unread::Failed(e.to_string()))
}

/// Reads the bases of one repository's chain. With a personal token, with that
/// token. As a GitHub App, only through the repository's own installation: a base
/// of another account (Gantry's record of the installation says so before anything
/// is asked), or one the installation does not cover (GitHub refuses the token for
/// it), is "not readable", and no other installation's token is ever asked for.
#[derive(Debug, Clone)]
pub struct BaseReader {
    access: GitHubAccess,
    db: DatabaseConnection,
    installation: Option<i64>,
}

/// Why a base outside the installation reads as missing.
const OUTSIDE: &str = "it is not in this repository's installation of Gantry's App (the App is not installed there, or another account installed it)";

impl BaseReader {
    /// The reader for a repository of `installation` (the event's).
    #[must_use]
    pub fn new(access: GitHubAccess, db: DatabaseConnection, installation: Option<i64>) -> Self {
        Self {
            access,
            db,
            installation,
        }
    }

    /// `base`'s file from its default branch.
    ///
    /// # Errors
    /// [`Unread::NotReadable`] outside the installation, [`Unread::Failed`] when
    /// GitHub or the database fails.
    pub async fn read(&self, base: String) -> super::chain::Read {
        let client = self.client(&base).await?;
        read_base(&client, &base).await
    }

    async fn client(&self, base: &str) -> Result<GitHubClient, Unread> {
        let app = match &self.access {
            GitHubAccess::Token(client) => return Ok(client.clone()),
            GitHubAccess::App(app) => app,
        };
        let outside = || Unread::NotReadable(OUTSIDE.to_owned());
        let Some((installation, id)) = self
            .installation
            .and_then(|i| u64::try_from(i).ok().map(|id| (i, id)))
        else {
            return Err(outside());
        };
        let Some((owner, name)) = base.split_once('/') else {
            return Err(outside());
        };
        let known = crate::db::installations::find(&self.db, installation)
            .await
            .map_err(|e| Unread::Failed(format!("the database failed: {e}")))?;
        if known.as_ref().is_some_and(|i| !covers(i, owner, name)) {
            return Err(outside());
        }
        let repo = RepoRef {
            owner: owner.to_owned(),
            name: name.to_owned(),
        };
        match app.client(id, Some(&repo)).await {
            Ok(client) => Ok(client),
            // GitHub will not give this installation a token for it.
            Err(GitHubError::NotFound(_) | GitHubError::Rejected { status: 422, .. }) => {
                Err(outside())
            }
            Err(err) => Err(Unread::Failed(err.to_string())),
        }
    }
}

/// Whether Gantry's record of an installation covers `owner/name`: the account's,
/// and among its selected repositories when it has a selection.
fn covers(installation: &Installation, owner: &str, name: &str) -> bool {
    if !installation.account.eq_ignore_ascii_case(owner) {
        return false;
    }
    let Some(selected) = installation.repositories.as_deref() else {
        return true;
    };
    let wanted = format!("{owner}/{name}");
    serde_json::from_str::<Vec<String>>(selected)
        .unwrap_or_default()
        .iter()
        .any(|r| r.eq_ignore_ascii_case(&wanted))
}

/// A push to a repository's default branch, and whether it touched the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefaultBranchPush {
    /// The default branch.
    pub branch: String,
    /// Whether a commit added, modified or removed a file looked for
    /// (`.github/gantry.yml` for [`pushed_default_branch`]), or the payload lists
    /// no commits, as for a force push: read it to be sure.
    pub touches_file: bool,
}

/// What a `push` payload says, when it pushed the repository's default branch.
#[must_use]
pub fn pushed_default_branch(payload: &Value) -> Option<DefaultBranchPush> {
    pushed_default_branch_touching(payload, |f| f == file::PATH)
}

/// What a `push` payload says, when it pushed the repository's default branch,
/// with `touches_file` for the files `looked_for` picks (the ownership files'
/// cache asks this too).
#[must_use]
pub fn pushed_default_branch_touching(
    payload: &Value,
    looked_for: impl Fn(&str) -> bool,
) -> Option<DefaultBranchPush> {
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
                .is_some_and(|files| files.iter().filter_map(Value::as_str).any(&looked_for))
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
