//! Releases and their assets through octocrab's `repos().releases()`; assets are
//! uploaded to the `upload_url` the simulator hands out, on the same server.

use actix_web::web::Bytes;
use octocrab::params::repos::Reference;

use crate::helpers::{github_error, serve, with_pull, OWNER, REPO};

const BASE: &str = "f95f852bd8fca8fcc58a9a2d6c842781e32a215e";

#[actix_web::test]
async fn a_published_release_creates_its_tag_and_is_found_by_id_tag_and_as_latest() {
    let served = serve(with_pull());
    let releases = served.octo.repos(OWNER, REPO);
    let releases = releases.releases();
    let created = releases
        .create("v1.0.0")
        .target_commitish("master")
        .name("One")
        .body("First release")
        .send()
        .await
        .unwrap();
    assert_eq!(created.tag_name, "v1.0.0");
    assert!(!created.draft);
    assert!(created.published_at.is_some());
    assert_eq!(created.author.unwrap().login, "gantry[bot]");
    assert_eq!(
        created.upload_url,
        format!(
            "{}/repos/{OWNER}/{REPO}/releases/{}/assets{{?name,label}}",
            served.base, created.id
        )
    );
    let tag = served
        .octo
        .repos(OWNER, REPO)
        .get_ref(&Reference::Tag("v1.0.0".to_owned()))
        .await
        .unwrap();
    match tag.object {
        octocrab::models::repos::Object::Commit { sha, .. } => assert_eq!(sha, BASE),
        other => panic!("{other:?}"),
    }

    assert_eq!(
        releases.get(created.id.0).await.unwrap().name.as_deref(),
        Some("One")
    );
    assert_eq!(releases.get_by_tag("v1.0.0").await.unwrap().id, created.id);
    assert_eq!(releases.get_latest().await.unwrap().id, created.id);
    let listed = releases.list().send().await.unwrap();
    assert_eq!(listed.items.len(), 1);
    served.stop().await;
}

#[actix_web::test]
async fn a_draft_has_no_tag_until_it_is_published_by_an_update() {
    let served = serve(with_pull());
    let repos = served.octo.repos(OWNER, REPO);
    let draft = repos
        .releases()
        .create("v2.0.0")
        .draft(true)
        .send()
        .await
        .unwrap();
    assert!(draft.published_at.is_none());
    let hidden = repos.releases().get_by_tag("v2.0.0").await.unwrap_err();
    assert_eq!(github_error(hidden).0, 404);
    let untagged = repos
        .get_ref(&Reference::Tag("v2.0.0".to_owned()))
        .await
        .unwrap_err();
    assert_eq!(github_error(untagged).0, 404);

    let published = repos
        .releases()
        .update(draft.id.0)
        .draft(false)
        .name("Two")
        .prerelease(true)
        .send()
        .await
        .unwrap();
    assert!(!published.draft && published.prerelease);
    assert!(published.published_at.is_some());
    repos
        .get_ref(&Reference::Tag("v2.0.0".to_owned()))
        .await
        .unwrap();
    let latest = repos.releases().get_latest().await.unwrap_err();
    assert_eq!(
        github_error(latest).0,
        404,
        "a prerelease is never the latest"
    );
    served.stop().await;
}

#[actix_web::test]
async fn a_second_release_for_a_tag_is_a_422_and_a_deleted_release_is_gone() {
    let served = serve(with_pull());
    let repos = served.octo.repos(OWNER, REPO);
    let first = repos.releases().create("v1").send().await.unwrap();
    let error = repos.releases().create("v1").send().await.unwrap_err();
    match error {
        octocrab::Error::GitHub { source, .. } => {
            assert_eq!(source.status_code.as_u16(), 422);
            assert_eq!(source.errors.unwrap()[0]["code"], "already_exists");
        }
        other => panic!("{other}"),
    }
    let error = repos
        .releases()
        .create("v9")
        .target_commitish("no-such-branch")
        .send()
        .await
        .unwrap_err();
    assert_eq!(github_error(error).0, 422);
    repos.releases().delete(first.id.0).await.unwrap();
    let gone = repos.releases().get(first.id.0).await.unwrap_err();
    assert_eq!(github_error(gone).0, 404);
    repos
        .get_ref(&Reference::Tag("v1".to_owned()))
        .await
        .unwrap();
    served.stop().await;
}

#[actix_web::test]
async fn assets_are_uploaded_to_the_upload_url_and_listed() {
    let served = serve(with_pull());
    let repos = served.octo.repos(OWNER, REPO);
    let release = repos.releases().create("v1").send().await.unwrap();
    let asset = repos
        .releases()
        .upload_asset(
            release.id.0,
            "app.tar.gz",
            Bytes::from_static(b"not really a tarball"),
        )
        .label("App")
        .send()
        .await
        .unwrap();
    assert_eq!(asset.name, "app.tar.gz");
    assert_eq!(asset.label.as_deref(), Some("App"));
    assert_eq!(asset.size, 20);
    assert_eq!(asset.content_type, "application/octet-stream");
    assert!(asset.digest.unwrap().starts_with("sha256:"));

    let listed = repos.releases().assets(release.id.0).send().await.unwrap();
    assert_eq!(listed.items.len(), 1);
    let read = repos.release_assets().get(asset.id.0).await.unwrap();
    assert_eq!(read.id, asset.id);
    let with_assets = repos.releases().get(release.id.0).await.unwrap();
    assert_eq!(with_assets.assets.len(), 1);

    let duplicate = repos
        .releases()
        .upload_asset(release.id.0, "app.tar.gz", Bytes::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(github_error(duplicate).0, 422);
    served.stop().await;
}
