//! JSON for pull request reviews (`models::pulls::Review`), their line comments and
//! changed files
//! (`models::repos::DiffEntry`).

use serde_json::{json, Value};

use super::{login, repo_html_url, repo_url, seg};
use crate::state::{Issue, LineComment, PullFileDef, Repo, Review, State};

/// A review of pull request `issue`.
pub(crate) fn review(base: &str, state: &State, repo: &Repo, issue: &Issue, r: &Review) -> Value {
    let pull_api = format!("{}/pulls/{}", repo_url(base, repo), issue.number);
    let html = format!(
        "{}/pull/{}#pullrequestreview-{}",
        repo_html_url(base, repo),
        issue.number,
        r.id
    );
    let mut out = json!({
        "id": r.id,
        "node_id": r.node_id,
        "user": login(base, state, &r.user),
        "body": r.body,
        "state": r.state,
        "html_url": html,
        "pull_request_url": pull_api,
        "author_association": repo.author_association(&r.user),
        "_links": {
            "html": {"href": html},
            "pull_request": {"href": pull_api},
        },
        "commit_id": r.commit_id,
    });
    // A pending review has no `submitted_at` key at all on GitHub.
    if let (Some(at), Some(map)) = (r.submitted_at, out.as_object_mut()) {
        map.insert("submitted_at".to_owned(), json!(at.to_rfc3339()));
    }
    out
}

/// A line comment `c` of review `r` on pull request `issue`, as
/// `GET /repos/{o}/{r}/pulls/{n}/comments` lists it.
pub(crate) fn line_comment(
    base: &str,
    state: &State,
    repo: &Repo,
    issue: &Issue,
    r: &Review,
    c: &LineComment,
) -> Value {
    let api = format!("{}/pulls/comments/{}", repo_url(base, repo), c.id);
    let pull_api = format!("{}/pulls/{}", repo_url(base, repo), issue.number);
    let html = format!(
        "{}/pull/{}#discussion_r{}",
        repo_html_url(base, repo),
        issue.number,
        c.id
    );
    let at = c.created_at.to_rfc3339();
    json!({
        "url": api,
        "id": c.id,
        "node_id": c.node_id,
        "pull_request_review_id": r.id,
        "diff_hunk": format!("@@ -{line},1 +{line},1 @@", line = c.line),
        "path": c.path,
        "commit_id": r.commit_id,
        "original_commit_id": r.commit_id,
        "user": login(base, state, &r.user),
        "body": c.body,
        "created_at": at,
        "updated_at": at,
        "html_url": html,
        "pull_request_url": pull_api,
        "author_association": repo.author_association(&r.user),
        "_links": {
            "self": {"href": api},
            "html": {"href": html},
            "pull_request": {"href": pull_api},
        },
        "line": c.line,
        "original_line": c.line,
        "side": c.side,
        "start_line": null,
        "start_side": null,
        "subject_type": "line",
    })
}

/// One changed file of a pull request whose head is `head_sha`.
pub(crate) fn file(base: &str, repo: &Repo, head_sha: &str, f: &PullFileDef) -> Value {
    let path: Vec<String> = f.filename.split('/').map(seg).collect();
    let path = path.join("/");
    let mut out = json!({
        "sha": null,
        "filename": f.filename,
        "status": f.status,
        "additions": f.additions,
        "deletions": f.deletions,
        "changes": f.additions.saturating_add(f.deletions),
        "blob_url": format!("{}/blob/{head_sha}/{path}", repo_html_url(base, repo)),
        "raw_url": format!("{}/raw/{head_sha}/{path}", repo_html_url(base, repo)),
        "contents_url": format!("{}/contents/{path}?ref={head_sha}", repo_url(base, repo)),
    });
    if let Some(map) = out.as_object_mut() {
        // GitHub leaves `patch` out for a file without one (binary, too large).
        if let Some(patch) = &f.patch {
            map.insert("patch".to_owned(), json!(patch));
        }
        if let Some(previous) = &f.previous_filename {
            map.insert("previous_filename".to_owned(), json!(previous));
        }
    }
    out
}
