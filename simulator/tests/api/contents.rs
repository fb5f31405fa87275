//! Repository contents through octocrab: reading files and directories, and creating,
//! updating and deleting files with the blob-SHA checks GitHub makes.

use octocrab::models::repos::CommitAuthor;

use crate::helpers::{github_error, serve, with_pull, OWNER, REPO};

#[actix_web::test]
async fn a_file_is_created_read_updated_and_deleted_on_a_branch() {
    let served = serve(with_pull());
    let repos = served.octo.repos(OWNER, REPO);
    let created = repos
        .create_file("docs/guide.md", "Add the guide", "# Guide\n")
        .branch("changes")
        .author(CommitAuthor {
            name: "Ada".to_owned(),
            email: Some("ada@example.com".to_owned()),
            date: None,
        })
        .send()
        .await
        .unwrap();
    let first_sha = created.content.sha.clone();
    assert_eq!(created.content.path, "docs/guide.md");
    let commit = created.commit.sha.clone().unwrap();
    assert_eq!(created.commit.author.clone().unwrap().name, "Ada");
    assert_eq!(
        served.sim.branch_head(OWNER, REPO, "changes").as_deref(),
        Some(commit.as_str())
    );

    let mut read = repos
        .get_content()
        .path("docs/guide.md")
        .r#ref("changes")
        .send()
        .await
        .unwrap();
    let items = read.take_items();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].decoded_content().as_deref(), Some("# Guide\n"));
    assert_eq!(items[0].sha, first_sha);
    assert_eq!(items[0].r#type, "file");

    let mut dir = repos
        .get_content()
        .path("docs")
        .r#ref("changes")
        .send()
        .await
        .unwrap();
    let listing = dir.take_items();
    assert_eq!(listing.len(), 1);
    assert_eq!(listing[0].name, "guide.md");
    let root = repos.get_content().r#ref("changes").send().await.unwrap();
    assert_eq!(root.items[0].r#type, "dir");
    let elsewhere = repos
        .get_content()
        .path("docs/guide.md")
        .send()
        .await
        .unwrap_err();
    assert_eq!(github_error(elsewhere).0, 404, "master does not have it");

    let updated = repos
        .update_file("docs/guide.md", "Expand", "# Guide\nMore.\n", &first_sha)
        .branch("changes")
        .send()
        .await
        .unwrap();
    assert_ne!(updated.content.sha, first_sha);
    assert_eq!(updated.commit.sha.as_deref().map(str::len), Some(40));

    let deleted = repos
        .delete_file("docs/guide.md", "Drop it", &updated.content.sha)
        .branch("changes")
        .send()
        .await
        .unwrap();
    assert!(deleted.content.is_none());
    let gone = repos
        .get_content()
        .path("docs/guide.md")
        .r#ref("changes")
        .send()
        .await
        .unwrap_err();
    assert_eq!(github_error(gone).0, 404);
    served.stop().await;
}

#[actix_web::test]
async fn a_stale_sha_is_a_409_and_a_missing_sha_for_an_existing_file_a_422() {
    let served = serve(with_pull());
    let repos = served.octo.repos(OWNER, REPO);
    repos
        .create_file("README.md", "Add readme", "hello")
        .send()
        .await
        .unwrap();
    let missing = repos
        .create_file("README.md", "Again", "hello again")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        github_error(missing),
        (
            422,
            "Invalid request.\n\n\"sha\" wasn't supplied.".to_owned()
        )
    );
    let stale = repos
        .update_file("README.md", "Again", "x", "deadbeef")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        github_error(stale),
        (409, "README.md does not match deadbeef".to_owned())
    );
    let stale = repos
        .delete_file("README.md", "Drop", "deadbeef")
        .send()
        .await
        .unwrap_err();
    assert_eq!(github_error(stale).0, 409);
    let no_branch = repos
        .create_file("x.txt", "x", "x")
        .branch("nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        github_error(no_branch),
        (404, "Branch nope not found".to_owned())
    );
    let no_ref = repos
        .get_content()
        .path("README.md")
        .r#ref("nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        github_error(no_ref),
        (404, "No commit found for the ref nope".to_owned())
    );
    served.stop().await;
}
