//! The answers that once differed from GitHub's description, one test each: every
//! one fails on the old behaviour, both by its own assertion and by the contract
//! check `helpers::send` runs on each answer.

use actix_web::test::TestRequest;
use gantry_simulator::{PullFile, RunOutcome};
use serde_json::json;

use crate::helpers::{authed, get, post, repo_path, send, with_pull, OWNER, REPO};

const HEAD: &str = "ec26c3e57ca3a959ca5aad62de7213c562f8c821";

#[actix_web::test]
async fn a_repository_has_discussions_network_and_subscribers_counts() {
    let sim = with_pull();
    let repo = send(&sim, get(&repo_path(""))).await.json;
    assert_eq!(repo["has_discussions"], false);
    assert_eq!(repo["network_count"], 0);
    assert_eq!(repo["subscribers_count"], 0);
}

#[actix_web::test]
async fn a_pull_request_has_links_auto_merge_and_its_counts() {
    let sim = with_pull();
    let files = [
        PullFile::modified("a.rs", 3, 1),
        PullFile::modified("b.rs", 2, 0),
    ];
    assert!(sim.set_pull_files(OWNER, REPO, 2, &files));
    for reply in [
        send(&sim, get(&repo_path("/pulls/2"))).await,
        send(
            &sim,
            post(
                &repo_path("/pulls/2/requested_reviewers"),
                json!({"reviewers": []}),
            ),
        )
        .await,
        send(
            &sim,
            authed(TestRequest::delete().uri(&repo_path("/pulls/2/requested_reviewers")))
                .set_json(json!({"reviewers": []})),
        )
        .await,
    ] {
        let pull = reply.json;
        assert_eq!(
            pull["_links"]["self"]["href"]
                .as_str()
                .map(|h| h.ends_with("/pulls/2")),
            Some(true)
        );
        assert!(pull["auto_merge"].is_null() && pull.get("auto_merge").is_some());
        assert_eq!(
            (pull["additions"].as_u64(), pull["deletions"].as_u64()),
            (Some(5), Some(1))
        );
        assert_eq!(
            (pull["changed_files"].as_u64(), pull["commits"].as_u64()),
            (Some(2), Some(1))
        );
    }
}

#[actix_web::test]
async fn a_pull_request_file_without_a_patch_has_no_patch_key() {
    let sim = with_pull();
    let mut patched = PullFile::modified("a.rs", 1, 0);
    patched.patch = Some("@@ -0,0 +1 @@\n+x".to_owned());
    let files = [patched, PullFile::modified("logo.png", 0, 0)];
    assert!(sim.set_pull_files(OWNER, REPO, 2, &files));
    let listed = send(&sim, get(&repo_path("/pulls/2/files"))).await.json;
    assert!(listed[0]["patch"].is_string());
    assert!(listed[1].get("patch").is_none(), "{}", listed[1]);
}

#[actix_web::test]
async fn a_pending_review_has_no_submitted_at_key() {
    let sim = with_pull();
    let pending = send(
        &sim,
        post(&repo_path("/pulls/2/reviews"), json!({"body": "draft"})),
    )
    .await;
    assert_eq!(pending.json["state"], "PENDING");
    assert!(
        pending.json.get("submitted_at").is_none(),
        "{}",
        pending.json
    );
    let req = post(
        &repo_path("/pulls/2/reviews"),
        json!({"body": "ok", "event": "COMMENT"}),
    )
    .insert_header(("x-sim-user", "octocat"));
    let submitted = send(&sim, req).await;
    assert!(
        submitted.json["submitted_at"].is_string(),
        "{}",
        submitted.json
    );
}

#[actix_web::test]
async fn review_refusals_are_sentences() {
    let sim = with_pull();
    let refused = send(
        &sim,
        post(&repo_path("/pulls/2/reviews"), json!({"event": "COMMENT"})),
    )
    .await;
    assert_eq!(refused.status.as_u16(), 422);
    assert_eq!(refused.json["message"], "Unprocessable Entity");
    assert!(refused.json["errors"][0].is_string(), "{}", refused.json);
}

#[actix_web::test]
async fn tags_branches_and_commits_carry_verification_verified_at() {
    let sim = with_pull();
    let tag = json!({"tag": "v1", "message": "One", "object": HEAD, "type": "commit",
        "tagger": {"name": "Mona", "email": "mona@example.com", "date": "2024-01-01T00:00:00Z"}});
    let tag = send(&sim, post(&repo_path("/git/tags"), tag)).await.json;
    let verifications = [
        tag["verification"].clone(),
        send(
            &sim,
            get(&repo_path(&format!(
                "/git/tags/{}",
                tag["sha"].as_str().unwrap()
            ))),
        )
        .await
        .json["verification"]
            .clone(),
        send(&sim, get(&repo_path("/branches/changes"))).await.json["commit"]["commit"]
            ["verification"]
            .clone(),
        send(&sim, get(&repo_path(&format!("/commits/{HEAD}"))))
            .await
            .json["commit"]["verification"]
            .clone(),
    ];
    for verification in verifications {
        assert!(
            verification
                .get("verified_at")
                .is_some_and(serde_json::Value::is_null),
            "{verification}"
        );
    }
}

#[actix_web::test]
async fn an_artifact_download_redirects_to_storage_and_is_gone_once_expired() {
    let sim = with_pull();
    let workflow = sim.add_workflow(OWNER, REPO, ".github/workflows/ci.yml", "CI");
    let run = sim
        .trigger_workflow(OWNER, REPO, &workflow.to_string(), "push", "master")
        .unwrap();
    assert!(sim.complete_run(
        OWNER,
        REPO,
        run,
        &RunOutcome::new("success").artifact("dist", 10)
    ));
    let listed = send(
        &sim,
        get(&repo_path(&format!("/actions/runs/{run}/artifacts"))),
    )
    .await
    .json;
    let id = listed["artifacts"][0]["id"].as_u64().unwrap();
    let zip = repo_path(&format!("/actions/artifacts/{id}/zip"));
    let found = send(&sim, get(&zip)).await;
    assert_eq!(found.status.as_u16(), 302);
    let location = found.header("location").unwrap();
    assert!(
        location.ends_with(&format!("/_artifact-storage/{OWNER}/{REPO}/{id}")),
        "{location}"
    );
    let path = location
        .split_once("/_artifact-storage")
        .map(|(_, rest)| format!("/_artifact-storage{rest}"))
        .unwrap();
    let bytes = actix_web::test::call_and_read_body(
        &actix_web::test::init_service(actix_web::App::new().configure(|cfg| sim.configure(cfg)))
            .await,
        TestRequest::get().uri(&path).to_request(),
    )
    .await;
    assert_eq!(
        bytes.as_ref(),
        gantry_simulator::artifact_bytes("dist", id, 10).as_slice()
    );
    assert_eq!(sim.storage_requests().len(), 1);
    assert!(!sim.storage_requests()[0].authorization);

    assert!(sim.expire_artifact(OWNER, REPO, id));
    let gone = send(&sim, get(&zip)).await;
    assert_eq!(gone.status.as_u16(), 410, "{}", gone.json);
    let listed = send(
        &sim,
        get(&repo_path(&format!("/actions/runs/{run}/artifacts"))),
    )
    .await
    .json;
    assert_eq!(listed["artifacts"][0]["expired"], true);
}
