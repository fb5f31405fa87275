//! JSON for releases (`models::repos::Release`) and their assets
//! (`models::repos::Asset`). `upload_url` points back at the simulator in GitHub's
//! URI-template form, so clients upload assets to the same server.

use serde_json::{json, Value};

use super::{git::path_url, login, repo_html_url, repo_url, seg};
use crate::state::{Asset, Release, Repo, State};

/// A release with its assets.
pub(crate) fn release(base: &str, state: &State, repo: &Repo, r: &Release) -> Value {
    let api = repo_url(base, repo);
    let url = format!("{api}/releases/{}", r.id);
    let html = repo_html_url(base, repo);
    json!({
        "url": url,
        "html_url": format!("{html}/releases/tag/{}", path_url(&r.tag_name)),
        "assets_url": format!("{url}/assets"),
        "upload_url": format!("{url}/assets{{?name,label}}"),
        "tarball_url": format!("{api}/tarball/{}", path_url(&r.tag_name)),
        "zipball_url": format!("{api}/zipball/{}", path_url(&r.tag_name)),
        "id": r.id,
        "node_id": r.node_id,
        "tag_name": r.tag_name,
        "target_commitish": r.target_commitish,
        "name": r.name,
        "body": r.body,
        "draft": r.draft,
        "prerelease": r.prerelease,
        "created_at": r.created_at.to_rfc3339(),
        "published_at": r.published_at.map(|t| t.to_rfc3339()),
        "author": login(base, state, &r.author),
        "assets": r.assets.iter().map(|a| asset(base, state, repo, r, a)).collect::<Vec<_>>(),
    })
}

/// An asset of release `r`.
pub(crate) fn asset(base: &str, state: &State, repo: &Repo, r: &Release, a: &Asset) -> Value {
    json!({
        "url": format!("{}/releases/assets/{}", repo_url(base, repo), a.id),
        "browser_download_url": format!(
            "{}/releases/download/{}/{}",
            repo_html_url(base, repo),
            path_url(&r.tag_name),
            seg(&a.name)
        ),
        "id": a.id,
        "node_id": a.node_id,
        "name": a.name,
        "label": a.label,
        "state": "uploaded",
        "content_type": a.content_type,
        "size": a.size,
        "digest": a.digest,
        "download_count": 0,
        "created_at": a.created_at.to_rfc3339(),
        "updated_at": a.updated_at.to_rfc3339(),
        "uploader": login(base, state, &a.uploader),
    })
}
