//! `HeldAction`: exactly what a held write does, stored as JSON with its approval,
//! and how it runs once approved (REST calls, comments with their idempotency marker,
//! git pushes from stored packs, release assets).
use serde::{Deserialize, Serialize};

use crate::domain::RepoRef;
use crate::github::client::url_escape;
use crate::github::{GitHubClient, GitHubError};

/// Exactly what a held write would do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum HeldAction {
    /// Add labels to an issue or pull request.
    AddLabels {
        /// `owner`.
        owner: String,
        /// `name`.
        repo: String,
        /// Issue or PR number.
        number: u64,
        /// The labels.
        labels: Vec<String>,
    },
    /// Comment on an issue or pull request.
    CreateComment {
        /// `owner`.
        owner: String,
        /// `name`.
        repo: String,
        /// Issue or PR number.
        number: u64,
        /// The body.
        body: String,
        /// The idempotency marker appended to the body.
        marker: String,
    },
    /// Any other REST call, exactly as it will be sent.
    Rest {
        /// `POST`, `PATCH`, `PUT` or `DELETE`.
        method: String,
        /// The path below the API's base URL.
        path: String,
        /// The JSON body.
        body: Option<serde_json::Value>,
    },
    /// Push a branch and tags back to the repository they were cloned from, carried
    /// in the action itself so any replica can run it.
    GitPushPack {
        /// The repository's clone URL.
        url: String,
        /// The branch to push.
        branch: String,
        /// Tags to push with it.
        tags: Vec<String>,
        /// The refs and the objects the repository lacked when it was held.
        pack: HeldPack,
    },
    /// Push refs to a mirror repository, carried in the action itself.
    GitMirrorPack {
        /// The mirror's clone URL.
        url: String,
        /// What to push (`src:dst`, `+` to force).
        refspecs: Vec<String>,
        /// The refs and every object they reach.
        pack: HeldPack,
    },
    /// Push a git workspace kept on one replica's disk. Only approvals held before
    /// pushes were packed into the database (`GitPushPack`) have this kind; it is
    /// kept so they stay readable, and runs only where the directory still exists.
    GitPush {
        /// Where the workspace was kept.
        dir: String,
        /// The repository's clone URL.
        url: String,
        /// The branch to push.
        branch: String,
        /// Tags to push with it.
        tags: Vec<String>,
    },
    /// Push refs of a git workspace kept on one replica's disk to a mirror: like
    /// `GitPush`, only from approvals held before `GitMirrorPack`.
    GitMirror {
        /// Where the workspace was kept.
        dir: String,
        /// The mirror's clone URL.
        url: String,
        /// What to push (`src:dst`, `+` to force).
        refspecs: Vec<String>,
    },
    /// Copy a workflow run's artifact into a release as an asset.
    CopyArtifact {
        /// `owner`.
        owner: String,
        /// `name`.
        repo: String,
        /// The artifact.
        artifact_id: u64,
        /// The release.
        release_id: u64,
        /// The asset's file name.
        name: String,
    },
    /// Propose a file in a pull request (Gantry's own onboarding pull request): a
    /// branch at the base branch's head, one commit adding the file there, and the
    /// pull request from it. Run again (`look_first`), what is done is not redone:
    /// an existing branch or file is kept, and an open pull request from the branch
    /// is not opened twice.
    ProposeFile {
        /// `owner`.
        owner: String,
        /// `name`.
        repo: String,
        /// The branch the pull request goes into (the default branch).
        base: String,
        /// The new branch.
        branch: String,
        /// The file's path.
        path: String,
        /// Its text.
        content: String,
        /// The commit message, which is also the pull request's title.
        message: String,
        /// The pull request's body.
        body: String,
    },
    /// Upload a release asset.
    UploadAsset {
        /// `owner`.
        owner: String,
        /// `name`.
        repo: String,
        /// The release.
        release_id: u64,
        /// The asset's file name.
        name: String,
        /// Its media type.
        content_type: String,
        /// Its bytes, base64.
        data: String,
    },
}

impl HeldAction {
    /// GitHub's answer to this write read back when an earlier attempt may have
    /// sent it and its effect is already there (`github::reconcile`); `None` when it
    /// must be sent (again).
    pub async fn applied(&self, github: &GitHubClient) -> Option<serde_json::Value> {
        match self {
            Self::Rest { method, path, body } => {
                crate::github::reconcile::applied(github, method, path, body.as_ref()).await
            }
            _ => None,
        }
    }

    /// Performs the action; returns its result as JSON.
    ///
    /// # Errors
    /// The GitHub error.
    pub async fn run(
        &self,
        github: &GitHubClient,
        look_first: bool,
    ) -> Result<serde_json::Value, GitHubError> {
        match self {
            Self::AddLabels {
                owner,
                repo,
                number,
                labels,
            } => {
                let repo = RepoRef {
                    owner: owner.clone(),
                    name: repo.clone(),
                };
                Ok(
                    serde_json::json!({ "labels": github.add_labels(&repo, *number, labels).await? }),
                )
            }
            Self::CreateComment {
                owner,
                repo,
                number,
                body,
                marker,
            } => {
                let repo = RepoRef {
                    owner: owner.clone(),
                    name: repo.clone(),
                };
                Ok(
                    serde_json::json!({ "comment_id": github.create_comment_once(&repo, *number, body, marker, look_first).await? }),
                )
            }
            Self::Rest { method, path, body } => {
                github
                    .rest(crate::github::method(method)?, path, body.as_ref())
                    .await
            }
            Self::GitPushPack {
                url,
                branch,
                tags,
                pack,
            } => push_pack(github, url, crate::git::branch_refspecs(branch, tags), pack).await,
            Self::GitMirrorPack {
                url,
                refspecs,
                pack,
            } => push_pack(github, url, refspecs.clone(), pack).await,
            Self::GitPush { dir, url, tags, .. } => {
                let tags = tags.clone();
                push_kept(github, dir, url, move |w, _| w.push(&tags)).await
            }
            Self::GitMirror { dir, url, refspecs } => {
                let refspecs = refspecs.clone();
                push_kept(github, dir, url, move |w, remote| {
                    w.push_to(remote, &refspecs)
                })
                .await
            }
            Self::ProposeFile {
                owner,
                repo,
                base,
                branch,
                path,
                content,
                message,
                body,
            } => {
                let proposal = Proposal {
                    repo: format!("/repos/{}/{}", url_escape(owner), url_escape(repo)),
                    base,
                    branch,
                    path,
                    content,
                    message,
                    body,
                };
                proposal.open(github, look_first).await
            }
            Self::UploadAsset {
                owner,
                repo,
                release_id,
                name,
                content_type,
                data,
            } => {
                use base64::Engine as _;
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(data)
                    .map_err(|e| GitHubError::Rejected {
                        status: 0,
                        message: format!("unreadable held asset: {e}"),
                    })?;
                upload_to_release(github, owner, repo, *release_id, name, content_type, bytes).await
            }
            Self::CopyArtifact {
                owner,
                repo,
                artifact_id,
                release_id,
                name,
            } => {
                let bytes = github
                    .download(
                        &format!("/repos/{owner}/{repo}/actions/artifacts/{artifact_id}/zip"),
                        MAX_ARTIFACT_BYTES,
                    )
                    .await?;
                upload_to_release(
                    github,
                    owner,
                    repo,
                    *release_id,
                    name,
                    "application/zip",
                    bytes,
                )
                .await
            }
        }
    }
}

/// A held push's refs and objects: what `crate::git::PackedPush` holds, as JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldPack {
    /// The refs to create before pushing, as the workspace had them.
    pub refs: Vec<HeldRef>,
    /// Commits the pack builds on but leaves out (the repository had them); they
    /// are fetched from it again before pushing.
    #[serde(default)]
    pub based_on: Vec<String>,
    /// The packfile, base64.
    pub data: String,
}

/// One ref of a held push.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldRef {
    /// Its full name (`refs/heads/main`).
    pub name: String,
    /// The object it names.
    pub id: String,
}

impl From<crate::git::PackedPush> for HeldPack {
    fn from(packed: crate::git::PackedPush) -> Self {
        use base64::Engine as _;
        Self {
            refs: packed
                .refs
                .into_iter()
                .map(|(name, id)| HeldRef { name, id })
                .collect(),
            based_on: packed.based_on,
            data: base64::engine::general_purpose::STANDARD.encode(packed.pack),
        }
    }
}

impl TryFrom<&HeldPack> for crate::git::PackedPush {
    type Error = base64::DecodeError;

    fn try_from(held: &HeldPack) -> Result<Self, Self::Error> {
        use base64::Engine as _;
        Ok(Self {
            refs: held
                .refs
                .iter()
                .map(|r| (r.name.clone(), r.id.clone()))
                .collect(),
            based_on: held.based_on.clone(),
            pack: base64::engine::general_purpose::STANDARD.decode(&held.data)?,
        })
    }
}

/// Sorts a git failure of an approved push: the network may come back, the rest
/// will not.
fn push_failure(err: crate::git::GitError) -> GitHubError {
    match err {
        crate::git::GitError::Unavailable(m) | crate::git::GitError::Io(m) => {
            GitHubError::Transient(m)
        }
        other => GitHubError::Rejected {
            status: 0,
            message: other.to_string(),
        },
    }
}

/// Pushes a packed held push from a scratch repository, on whichever replica runs
/// the approval.
async fn push_pack(
    github: &GitHubClient,
    url: &str,
    refspecs: Vec<String>,
    pack: &HeldPack,
) -> Result<serde_json::Value, GitHubError> {
    let packed = crate::git::PackedPush::try_from(pack).map_err(|e| GitHubError::Rejected {
        status: 0,
        message: format!("unreadable held pack: {e}"),
    })?;
    let remote = crate::git::Remote {
        url: url.to_owned(),
        token: github.git_token(),
    };
    tokio::task::spawn_blocking(move || crate::git::push_packed(&remote, &packed, &refspecs))
        .await
        .map_err(|e| GitHubError::Transient(e.to_string()))?
        .map_err(push_failure)?;
    Ok(serde_json::json!({ "pushed": true }))
}

/// Pushes from a workspace kept on disk by an approval held before pushes were
/// packed (`GitPush`, `GitMirror`), then removes it. Where the directory is gone (another
/// replica kept it, or the pod was replaced) the push fails and says so.
async fn push_kept(
    github: &GitHubClient,
    dir: &str,
    url: &str,
    push: impl FnOnce(&crate::git::Workspace, &crate::git::Remote) -> Result<(), crate::git::GitError>
        + Send
        + 'static,
) -> Result<serde_json::Value, GitHubError> {
    let remote = crate::git::Remote {
        url: url.to_owned(),
        token: github.git_token(),
    };
    let dir = std::path::PathBuf::from(dir);
    if !dir.is_dir() {
        return Err(GitHubError::Rejected {
            status: 0,
            message: format!(
                "this push was held before held pushes were stored in the database, and its workspace ({}) is not on this replica's disk (another replica kept it, or it was replaced); deny it and run the plugin again",
                dir.display()
            ),
        });
    }
    tokio::task::spawn_blocking(move || {
        let workspace = crate::git::Workspace::reopen(dir.clone(), remote.clone())?;
        push(&workspace, &remote)?;
        let _ = std::fs::remove_dir_all(&dir);
        Ok::<_, crate::git::GitError>(())
    })
    .await
    .map_err(|e| GitHubError::Transient(e.to_string()))?
    .map_err(push_failure)?;
    Ok(serde_json::json!({ "pushed": true }))
}

/// The largest artifact copied into a release.
const MAX_ARTIFACT_BYTES: usize = 512 * 1024 * 1024;

/// Uploads `bytes` to the release's `upload_url`.
async fn upload_to_release(
    github: &GitHubClient,
    owner: &str,
    repo: &str,
    release_id: u64,
    name: &str,
    content_type: &str,
    bytes: Vec<u8>,
) -> Result<serde_json::Value, GitHubError> {
    let release = github
        .rest(
            http::Method::GET,
            &format!("/repos/{owner}/{repo}/releases/{release_id}"),
            None,
        )
        .await?;
    let upload_url = release["upload_url"]
        .as_str()
        .ok_or_else(|| GitHubError::Rejected {
            status: 200,
            message: "the release has no upload_url".into(),
        })?;
    github.upload(upload_url, name, content_type, bytes).await
}

/// A [`HeldAction::ProposeFile`] being run.
struct Proposal<'a> {
    /// `/repos/{owner}/{name}`, escaped.
    repo: String,
    base: &'a str,
    branch: &'a str,
    path: &'a str,
    content: &'a str,
    message: &'a str,
    body: &'a str,
}

impl Proposal<'_> {
    /// The branch, the commit and the pull request; returns the pull request
    /// (`number`, `html_url`).
    async fn open(
        &self,
        github: &GitHubClient,
        look_first: bool,
    ) -> Result<serde_json::Value, GitHubError> {
        use base64::Engine as _;
        use http::Method;
        let repo = &self.repo;
        let base = github
            .rest(
                Method::GET,
                &format!("{repo}/git/ref/heads/{}", escape_ref(self.base)),
                None,
            )
            .await?;
        let sha = base["object"]["sha"].clone();
        let made = github
            .rest(
                Method::POST,
                &format!("{repo}/git/refs"),
                Some(&serde_json::json!({ "ref": format!("refs/heads/{}", self.branch), "sha": sha })),
            )
            .await;
        match made {
            Ok(_) => {}
            // "Reference already exists": an earlier run made it.
            Err(GitHubError::Rejected { status: 422, .. }) if look_first => {}
            Err(err) => return Err(err),
        }
        let file = format!("{repo}/contents/{}", escape_ref(self.path));
        let there = github
            .rest(
                Method::GET,
                &format!("{file}?ref={}", url_escape(self.branch)),
                None,
            )
            .await;
        match there {
            // An earlier run committed it.
            Ok(_) => {}
            Err(GitHubError::NotFound(_)) => {
                let put = serde_json::json!({
                    "message": self.message,
                    "content": base64::engine::general_purpose::STANDARD.encode(self.content),
                    "branch": self.branch,
                });
                github.rest(Method::PUT, &file, Some(&put)).await?;
            }
            Err(err) => return Err(err),
        }
        let pull = serde_json::json!({
            "title": self.message,
            "head": self.branch,
            "base": self.base,
            "body": self.body,
        });
        match github
            .rest(Method::POST, &format!("{repo}/pulls"), Some(&pull))
            .await
        {
            Ok(pr) => Ok(serde_json::json!({ "number": pr["number"], "html_url": pr["html_url"] })),
            // "A pull request already exists": an earlier run opened it.
            Err(GitHubError::Rejected {
                status: 422,
                message,
            }) if look_first => Ok(serde_json::json!({ "already": message })),
            Err(err) => Err(err),
        }
    }
}

/// A ref or path with each segment escaped, the `/` kept.
fn escape_ref(text: &str) -> String {
    text.split('/')
        .map(url_escape)
        .collect::<Vec<_>>()
        .join("/")
}
