//! Git data through octocrab: refs (read, match, create, move, delete), annotated tags,
//! the tag list, branches and commits.

use octocrab::{
    models::repos::{Object, Ref},
    params::repos::Reference,
};
use serde_json::json;

use crate::helpers::{github_error, repo_path, serve, with_pull, OWNER, REPO};

const HEAD: &str = "ec26c3e57ca3a959ca5aad62de7213c562f8c821";
const BASE: &str = "f95f852bd8fca8fcc58a9a2d6c842781e32a215e";

fn sha_of(reference: &Ref) -> &str {
    match &reference.object {
        Object::Commit { sha, .. } | Object::Tag { sha, .. } => sha,
        other => panic!("{other:?}"),
    }
}

#[actix_web::test]
async fn the_branches_of_a_learned_pull_request_are_refs() {
    let served = serve(with_pull());
    let repos = served.octo.repos(OWNER, REPO);
    let head = repos
        .get_ref(&Reference::Branch("changes".to_owned()))
        .await
        .unwrap();
    assert_eq!(head.ref_field, "refs/heads/changes");
    assert_eq!(sha_of(&head), HEAD);
    let heads = repos.list_matching_refs("heads/").await.unwrap();
    let names: Vec<&str> = heads.iter().map(|r| r.ref_field.as_str()).collect();
    assert_eq!(names, ["refs/heads/changes", "refs/heads/master"]);
    let missing = repos
        .get_ref(&Reference::Branch("nope".to_owned()))
        .await
        .unwrap_err();
    assert_eq!(github_error(missing).0, 404);
    served.stop().await;
}

#[actix_web::test]
async fn a_ref_is_created_moved_forward_only_unless_forced_and_deleted() {
    let served = serve(with_pull());
    let repos = served.octo.repos(OWNER, REPO);
    let feature = Reference::Branch("feature".to_owned());
    let created = repos.create_ref(&feature, BASE).await.unwrap();
    assert_eq!(sha_of(&created), BASE);
    let twice = repos.create_ref(&feature, BASE).await.unwrap_err();
    assert_eq!(
        github_error(twice),
        (422, "Reference already exists".to_owned())
    );

    let commit = repos
        .create_file("a.txt", "Add a", "a")
        .branch("feature")
        .send()
        .await
        .unwrap()
        .commit
        .sha
        .unwrap();
    let back = repos.update_ref(&feature, BASE).send().await.unwrap_err();
    assert_eq!(
        github_error(back),
        (422, "Update is not a fast forward".to_owned())
    );
    let forced = repos
        .update_ref(&feature, BASE)
        .force(true)
        .send()
        .await
        .unwrap();
    assert_eq!(sha_of(&forced), BASE);
    let forward = repos.update_ref(&feature, &commit).send().await.unwrap();
    assert_eq!(sha_of(&forward), commit);

    repos.delete_ref(&feature).await.unwrap();
    let again = repos.delete_ref(&feature).await.unwrap_err();
    assert_eq!(
        github_error(again),
        (422, "Reference does not exist".to_owned())
    );
    let bad: Result<Ref, _> = served
        .octo
        .post(
            repo_path("/git/refs"),
            Some(&json!({"ref": "feature", "sha": BASE})),
        )
        .await;
    assert_eq!(
        github_error(bad.unwrap_err()),
        (422, "Reference name is invalid".to_owned())
    );
    served.stop().await;
}

#[actix_web::test]
async fn an_annotated_tag_is_listed_once_its_ref_exists() {
    let served = serve(with_pull());
    let repos = served.octo.repos(OWNER, REPO);
    let tag = repos
        .create_tag("v1.0.0", "Version one", HEAD, "commit")
        .send()
        .await
        .unwrap();
    assert_eq!(tag.tag, "v1.0.0");
    assert_eq!(tag.object.as_ref().unwrap().sha, HEAD);
    assert_eq!(
        repos.get_tag(&tag.sha).await.unwrap().message,
        "Version one"
    );
    assert!(repos.list_tags().send().await.unwrap().items.is_empty());

    let reference = repos
        .create_ref(&Reference::Tag("v1.0.0".to_owned()), &tag.sha)
        .await
        .unwrap();
    assert!(matches!(reference.object, Object::Tag { .. }));
    let tags = repos.list_tags().send().await.unwrap();
    assert_eq!(tags.items.len(), 1);
    assert_eq!(tags.items[0].name, "v1.0.0");
    assert_eq!(tags.items[0].commit.sha, HEAD, "annotated tags are peeled");
    let commit = served
        .octo
        .commits(OWNER, REPO)
        .get("v1.0.0")
        .await
        .unwrap();
    assert_eq!(commit.sha, HEAD);
    served.stop().await;
}

#[actix_web::test]
async fn a_branch_and_a_commit_are_read_by_name_or_sha_prefix() {
    let served = serve(with_pull());
    let repos = served.octo.repos(OWNER, REPO);
    let written = repos
        .create_file("notes.txt", "Write notes\n\nwith a body", "n")
        .send()
        .await
        .unwrap()
        .commit
        .sha
        .unwrap();
    let branch = repos.branches().get("master").await.unwrap();
    assert_eq!(branch.name, "master");
    assert_eq!(branch.commit.sha, written);
    assert!(!branch.protected);
    let missing = repos.branches().get("nope").await.unwrap_err();
    assert_eq!(github_error(missing), (404, "Branch not found".to_owned()));

    let commits = served.octo.commits(OWNER, REPO);
    let commit = commits.get(&written[..10]).await.unwrap();
    assert_eq!(commit.sha, written);
    assert_eq!(commit.commit.message, "Write notes\n\nwith a body");
    assert_eq!(commit.parents[0].sha.as_deref(), Some(BASE));
    let unknown = commits.get("nope").await.unwrap_err();
    assert_eq!(
        github_error(unknown),
        (422, "No commit found for SHA: nope".to_owned())
    );
    let listed = repos.list_branches().send().await.unwrap();
    assert_eq!(listed.items.len(), 2);
    served.stop().await;
}

#[actix_web::test]
async fn learned_pushes_and_pull_requests_move_branches_the_simulator_made_up() {
    let sim = crate::helpers::with_issue();
    let made_up = sim.branch_head(OWNER, REPO, "master").unwrap();
    sim.learn(
        "push",
        &crate::helpers::payload("push/with-new-branch.payload.json"),
    );
    let pushed = "6113728f27ae82c7b1a177c8d03f9e96e0adf246";
    assert_ne!(made_up, pushed);
    assert_eq!(
        sim.branch_head(OWNER, REPO, "master").as_deref(),
        Some(pushed)
    );
    let served = serve(sim);
    let commit = served
        .octo
        .commits(OWNER, REPO)
        .get("master")
        .await
        .unwrap();
    assert_eq!(commit.commit.message, "Initial commit");
    served.stop().await;

    let sim = crate::helpers::with_issue();
    sim.branch_head(OWNER, REPO, "master").unwrap();
    sim.learn(
        "pull_request",
        &crate::helpers::payload("pull_request/opened.payload.json"),
    );
    assert_eq!(
        sim.branch_head(OWNER, REPO, "master").as_deref(),
        Some(BASE)
    );
    assert_eq!(
        sim.branch_head(OWNER, REPO, "changes").as_deref(),
        Some(HEAD)
    );
}
