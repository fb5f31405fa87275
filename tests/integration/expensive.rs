//! Expensive reads are bounded (security review L5): the whole audit chain is walked
//! only for admins, and approvals are listed a page at a time, without the packs of
//! held pushes.
use gantry_server::auth::Role;
use gantry_server::db::approvals::{self, NewApproval};
use reqwest::Method;
use serde_json::Value;

use crate::helpers::{spawn_app, AppOptions, Plugins};

fn options() -> AppOptions {
    AppOptions {
        plugins: Plugins::None,
        ..AppOptions::default()
    }
}

#[tokio::test]
async fn a_viewer_cannot_walk_the_whole_audit_chain() {
    let app = spawn_app(options()).await;
    app.create_user("val", Some(Role::Viewer)).await;
    let val = app.sign_in_as("val").await;
    for path in ["/api/v1/audit/verify", "/dashboard/audit/verify"] {
        let answer = app.as_user(&val, Method::GET, path).send().await.unwrap();
        assert_eq!(answer.status(), 403, "{path}");
    }
    let (_, page) = (
        (),
        app.as_user(&val, Method::GET, "/dashboard/audit")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    );
    assert!(
        !page.contains("/dashboard/audit/verify"),
        "a viewer is not offered the button"
    );
    app.create_user("ada", Some(Role::Admin)).await;
    let ada = app.sign_in_as("ada").await;
    for path in ["/api/v1/audit/verify", "/dashboard/audit/verify"] {
        let answer = app.as_user(&ada, Method::GET, path).send().await.unwrap();
        assert_eq!(answer.status(), 200, "{path}");
    }
}

#[tokio::test]
async fn approvals_are_listed_a_page_at_a_time_without_their_packs() {
    let app = spawn_app(options()).await;
    let pack = "UEFDSw".repeat(10_000);
    let action = serde_json::json!({
        "kind": "git_push_pack",
        "url": "https://github.example/acme/app.git",
        "branch": "main",
        "tags": [],
        "pack": { "refs": [], "based_on": [], "data": pack },
    })
    .to_string();
    for i in 0..5 {
        approvals::create(
            &app.state.db,
            NewApproval {
                public_id: &format!("ap_paged_{i}"),
                delivery_id: "d-paged",
                plugin: "sync",
                capability: "git:push",
                repository: "acme/app",
                action: &action,
                requested_by: &[],
                pull_number: None,
                head_sha: None,
                decided_on: None,
                approvals_required: 1,
            },
        )
        .await
        .unwrap();
    }
    let mut seen = Vec::new();
    let mut path = "/approvals?limit=2".to_owned();
    for _ in 0..5 {
        let page: Value = app
            .api(Method::GET, &path)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let items = page["approvals"].as_array().unwrap();
        assert!(items.len() <= 2, "{page}");
        for item in items {
            seen.push(item["id"].as_str().unwrap().to_owned());
            assert!(
                !item.to_string().contains("UEFDSwUEFDSw"),
                "the pack is left out of the listing"
            );
            assert_eq!(item["action"]["pack"]["data_bytes"], pack.len());
        }
        match page["next_before"].as_str() {
            Some(next) => path = format!("/approvals?limit=2&before={next}"),
            None => break,
        }
    }
    let expected: Vec<String> = (0..5).rev().map(|i| format!("ap_paged_{i}")).collect();
    assert_eq!(seen, expected, "newest first, each once");
    let too_many = app
        .api(Method::GET, "/approvals?limit=100000")
        .send()
        .await
        .unwrap();
    assert_eq!(too_many.status(), 200);
}
