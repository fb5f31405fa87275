//! JSON for git data: refs (`models::repos::Ref`), commits (`models::repos::RepoCommit`
//! and the shorter `models::repos::Commit` of contents writes), annotated tags
//! (`models::repos::GitTag`), the tag list (`models::repos::Tag`), branches
//! (`models::repos::Branch`) and contents (`models::repos::Content`).

use base64::{engine::general_purpose::STANDARD, Engine as _};
use serde_json::{json, Value};

use super::{repo_html_url, repo_url, seg, user};
use crate::state::{GitCommit, GitTagObject, Repo, Signature, State};

/// Percent-encodes each segment of a slash-separated path.
pub(crate) fn path_url(path: &str) -> String {
    path.split('/').map(seg).collect::<Vec<_>>().join("/")
}

/// An author, committer or tagger: name, email and date.
fn signature(s: &Signature) -> Value {
    json!({"name": s.name, "email": s.email, "date": s.date.to_rfc3339()})
}

/// The `verification` of an unsigned object (`verified_at` is `null`: never verified).
fn unsigned() -> Value {
    json!({"verified": false, "reason": "unsigned", "signature": null, "payload": null,
        "verified_at": null})
}

/// A ref: `name` is the full name (`refs/heads/main`), `object_type` `commit` or `tag`.
pub(crate) fn git_ref(base: &str, repo: &Repo, name: &str, sha: &str, object_type: &str) -> Value {
    let short = name.strip_prefix("refs/").unwrap_or(name);
    let kind = if object_type == "tag" {
        "tags"
    } else {
        "commits"
    };
    json!({
        "ref": name,
        "node_id": format!("REF_sim{}", &sha[..sha.len().min(12)]),
        "url": format!("{}/git/refs/{}", repo_url(base, repo), path_url(short)),
        "object": {
            "type": object_type,
            "sha": sha,
            "url": format!("{}/git/{kind}/{sha}", repo_url(base, repo)),
        },
    })
}

/// The `commit` part of a contents write: a git commit object.
pub(crate) fn git_commit(base: &str, repo: &Repo, c: &GitCommit) -> Value {
    json!({
        "sha": c.sha,
        "node_id": format!("C_sim{}", c.sha),
        "url": format!("{}/git/commits/{}", repo_url(base, repo), c.sha),
        "html_url": format!("{}/commit/{}", repo_html_url(base, repo), c.sha),
        "author": signature(&c.author),
        "committer": signature(&c.committer),
        "message": c.message,
        "tree": {"sha": c.tree, "url": format!("{}/git/trees/{}", repo_url(base, repo), c.tree)},
        "parents": parents(base, repo, c),
        "verification": unsigned(),
    })
}

/// The `parents` of a commit: id and links.
fn parents(base: &str, repo: &Repo, c: &GitCommit) -> Vec<Value> {
    c.parents
        .iter()
        .map(|p| {
            json!({
                "sha": p,
                "url": format!("{}/commits/{p}", repo_url(base, repo)),
                "html_url": format!("{}/commit/{p}", repo_html_url(base, repo)),
            })
        })
        .collect()
}

/// A commit as `GET /repos/{o}/{r}/commits/{ref}` shows it; the GitHub user is filled
/// in when the author's name is a known login.
pub(crate) fn repo_commit(base: &str, state: &State, repo: &Repo, c: &GitCommit) -> Value {
    let url = format!("{}/commits/{}", repo_url(base, repo), c.sha);
    let account = |s: &Signature| {
        state
            .users
            .get(&s.name.to_lowercase())
            .map(|u| user(base, u))
    };
    json!({
        "url": url,
        "sha": c.sha,
        "node_id": format!("C_sim{}", c.sha),
        "html_url": format!("{}/commit/{}", repo_html_url(base, repo), c.sha),
        "comments_url": format!("{url}/comments"),
        "commit": {
            "url": format!("{}/git/commits/{}", repo_url(base, repo), c.sha),
            "author": signature(&c.author),
            "committer": signature(&c.committer),
            "message": c.message,
            "comment_count": 0,
            "tree": {"sha": c.tree, "url": format!("{}/git/trees/{}", repo_url(base, repo), c.tree)},
            "verification": unsigned(),
        },
        "author": account(&c.author),
        "committer": account(&c.committer),
        "parents": parents(base, repo, c),
        "stats": {"total": 0, "additions": 0, "deletions": 0},
        "files": [],
    })
}

/// An annotated tag object.
pub(crate) fn tag_object(base: &str, repo: &Repo, t: &GitTagObject) -> Value {
    let kind = if t.object_type == "tag" {
        "tags"
    } else {
        "commits"
    };
    json!({
        "node_id": format!("TAG_sim{}", t.sha),
        "tag": t.tag,
        "sha": t.sha,
        "url": format!("{}/git/tags/{}", repo_url(base, repo), t.sha),
        "message": t.message,
        "tagger": signature(&t.tagger),
        "object": {
            "sha": t.object,
            "type": t.object_type,
            "url": format!("{}/git/{kind}/{}", repo_url(base, repo), t.object),
        },
        "verification": unsigned(),
    })
}

/// One entry of `GET /repos/{o}/{r}/tags`.
pub(crate) fn tag(base: &str, repo: &Repo, name: &str, commit: &str) -> Value {
    let api = repo_url(base, repo);
    json!({
        "name": name,
        "commit": {"sha": commit, "url": format!("{api}/commits/{commit}")},
        "zipball_url": format!("{api}/zipball/refs/tags/{}", path_url(name)),
        "tarball_url": format!("{api}/tarball/refs/tags/{}", path_url(name)),
        "node_id": format!("REF_sim{}", seg(name)),
    })
}

/// A branch with its head commit.
pub(crate) fn branch(base: &str, state: &State, repo: &Repo, name: &str, c: &GitCommit) -> Value {
    let api = format!("{}/branches/{}", repo_url(base, repo), path_url(name));
    json!({
        "name": name,
        "commit": repo_commit(base, state, repo, c),
        "_links": {
            "self": api,
            "html": format!("{}/tree/{}", repo_html_url(base, repo), path_url(name)),
        },
        "protected": false,
        "protection": {
            "enabled": false,
            "required_status_checks": {"enforcement_level": "off", "contexts": [], "checks": []},
        },
        "protection_url": format!("{api}/protection"),
    })
}

/// What a contents entry is.
pub(crate) enum Entry<'a> {
    /// A file with its bytes, shown with its base64 `content`.
    File(&'a [u8]),
    /// A file in a directory listing (no content), with its size.
    Listed(usize),
    /// A directory in a listing.
    Dir,
}

/// A contents object for `path` (blob or listing id `sha`) read at `git_ref`.
pub(crate) fn content(
    base: &str,
    repo: &Repo,
    path: &str,
    sha: &str,
    git_ref: &str,
    entry: &Entry<'_>,
) -> Value {
    let api = format!(
        "{}/contents/{}?ref={}",
        repo_url(base, repo),
        path_url(path),
        seg(git_ref)
    );
    let (kind, git_kind, html_kind) = match entry {
        Entry::Dir => ("dir", "trees", "tree"),
        _ => ("file", "blobs", "blob"),
    };
    let git_url = format!("{}/git/{git_kind}/{sha}", repo_url(base, repo));
    let html_url = format!(
        "{}/{html_kind}/{}/{}",
        repo_html_url(base, repo),
        path_url(git_ref),
        path_url(path)
    );
    let size = match entry {
        Entry::File(bytes) => bytes.len(),
        Entry::Listed(size) => *size,
        Entry::Dir => 0,
    };
    let download = (kind == "file").then(|| {
        format!(
            "{}/raw/{}/{}",
            repo_html_url(base, repo),
            path_url(git_ref),
            path_url(path)
        )
    });
    let mut out = json!({
        "type": kind,
        "size": size,
        "name": path.rsplit('/').next().unwrap_or(path),
        "path": path,
        "sha": sha,
        "url": api,
        "git_url": git_url,
        "html_url": html_url,
        "download_url": download,
        "_links": {"self": api, "git": git_url, "html": html_url},
    });
    if let (Entry::File(bytes), Some(map)) = (entry, out.as_object_mut()) {
        map.insert("encoding".to_owned(), json!("base64"));
        map.insert("content".to_owned(), json!(wrapped_base64(bytes)));
    }
    out
}

/// Base64 with a newline after every 60 characters, as GitHub sends file contents.
fn wrapped_base64(bytes: &[u8]) -> String {
    let encoded = STANDARD.encode(bytes);
    let mut out = String::with_capacity(encoded.len() + encoded.len() / 60 + 1);
    for (i, c) in encoded.chars().enumerate() {
        if i > 0 && i % 60 == 0 {
            out.push('\n');
        }
        out.push(c);
    }
    out.push('\n');
    out
}
