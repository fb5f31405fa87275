//! Commits between two points: comparing two refs
//! (`GET /repos/{o}/{r}/compare/{base}...{head}`) and a pull request's commits
//! (`GET /repos/{o}/{r}/pulls/{n}/commits`), from the commits the contents API made.

use base64::{engine::general_purpose::STANDARD, Engine as _};
use serde_json::{json, Value};

use crate::helpers::{get, post, put, repo_path, send, with_pull};

/// Commits `content` as `path` on `branch`; the commit's SHA and the blob's.
async fn write(
    sim: &gantry_simulator::Simulator,
    branch: &str,
    path: &str,
    content: &str,
    sha: Option<&str>,
) -> (String, String) {
    let mut body = json!({"message": format!("Write {path}"), "content": STANDARD.encode(content),
        "branch": branch});
    if let Some(sha) = sha {
        body["sha"] = json!(sha);
    }
    let reply = send(sim, put(&repo_path(&format!("/contents/{path}")), body)).await;
    assert!(reply.status.is_success(), "{}", reply.json);
    (
        reply.json["commit"]["sha"].as_str().unwrap().to_owned(),
        reply.json["content"]["sha"].as_str().unwrap().to_owned(),
    )
}

fn shas(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|c| c["sha"].as_str().unwrap())
        .collect()
}

/// master: M1; topic from M1: T1, T2; master: M2.
async fn diverged() -> (gantry_simulator::Simulator, [String; 4]) {
    let sim = with_pull();
    let (m1, notes) = write(&sim, "master", "notes.txt", "a\nb\n", None).await;
    let topic = json!({"ref": "refs/heads/topic", "sha": m1});
    assert!(send(&sim, post(&repo_path("/git/refs"), topic))
        .await
        .status
        .is_success());
    let (t1, _) = write(&sim, "topic", "notes.txt", "a\nc\n", Some(&notes)).await;
    let (t2, _) = write(&sim, "topic", "logo.png", "\u{0}PNG", None).await;
    let (m2, _) = write(&sim, "master", "other.txt", "x\n", None).await;
    (sim, [m1, t1, t2, m2])
}

#[actix_web::test]
async fn a_diverged_branch_is_ahead_and_behind_with_its_commits_and_files() {
    let (sim, [m1, t1, t2, m2]) = diverged().await;
    let reply = send(&sim, get(&repo_path("/compare/master...topic"))).await;
    assert_eq!(reply.status.as_u16(), 200, "{}", reply.json);
    let c = reply.json;
    assert_eq!(c["status"], "diverged");
    assert_eq!(
        (c["ahead_by"].as_u64(), c["behind_by"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(c["total_commits"], 2);
    assert_eq!(shas(&c["commits"]), [t1.as_str(), t2.as_str()]);
    assert_eq!(c["base_commit"]["sha"], m2.as_str());
    assert_eq!(c["merge_base_commit"]["sha"], m1.as_str());
    let files = c["files"].as_array().unwrap();
    assert_eq!(files.len(), 2, "{files:?}");
    assert_eq!(files[0]["filename"], "logo.png");
    assert_eq!(files[0]["status"], "added");
    assert!(
        files[0].get("patch").is_none(),
        "a binary file has no patch"
    );
    assert_eq!(files[1]["filename"], "notes.txt");
    assert_eq!(
        (
            files[1]["additions"].as_u64(),
            files[1]["deletions"].as_u64()
        ),
        (Some(1), Some(1))
    );
    assert_eq!(files[1]["patch"], "@@ -1,2 +1,2 @@\n a\n-b\n+c");

    let back = send(&sim, get(&repo_path(&format!("/compare/{t2}...{m1}")))).await;
    assert_eq!(back.json["status"], "behind");
    assert_eq!(back.json["behind_by"], 2);
    let same = send(&sim, get(&repo_path("/compare/topic...Codertocat:topic"))).await;
    assert_eq!(same.json["status"], "identical");
    assert_eq!(same.json["files"], json!([]));
}

#[actix_web::test]
async fn paginated_commits_bring_the_files_on_the_first_page_only() {
    let (sim, [_, t1, t2, _]) = diverged().await;
    let first = send(&sim, get(&repo_path("/compare/master...topic?per_page=1"))).await;
    assert_eq!(shas(&first.json["commits"]), [t1.as_str()]);
    assert!(first.json["files"].is_array());
    let second = send(
        &sim,
        get(&repo_path("/compare/master...topic?per_page=1&page=2")),
    )
    .await;
    assert_eq!(shas(&second.json["commits"]), [t2.as_str()]);
    assert!(second.json.get("files").is_none());
}

#[actix_web::test]
async fn an_unknown_ref_or_another_owners_ref_is_a_404() {
    let (sim, _) = diverged().await;
    for path in [
        "/compare/master...nowhere",
        "/compare/someone:master...topic",
    ] {
        let reply = send(&sim, get(&repo_path(path))).await;
        assert_eq!(reply.status.as_u16(), 404, "{path}: {}", reply.json);
    }
}

#[actix_web::test]
async fn a_pull_requests_commits_are_those_its_head_has_and_its_base_has_not() {
    let sim = with_pull();
    // The corpus pull request's head is a commit the simulator only heard of.
    let listed = send(&sim, get(&repo_path("/pulls/2/commits"))).await;
    assert_eq!(listed.status.as_u16(), 200, "{}", listed.json);
    let pull = send(&sim, get(&repo_path("/pulls/2"))).await.json;
    assert_eq!(shas(&listed.json), [pull["head"]["sha"].as_str().unwrap()]);
    assert_eq!(pull["commits"], 1);
    let missing = send(&sim, get(&repo_path("/pulls/9/commits"))).await;
    assert_eq!(missing.status.as_u16(), 404);
}
