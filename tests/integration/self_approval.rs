//! H3: with a personal token, every comment Gantry makes (its own and its plugins')
//! is authored by the token's owner, usually an admin of the repository. Through the
//! real `selfapprover` fixture, which holds a write and then comments the line that
//! would approve it: such comments are never read as the owner's commands, while
//! the same line from a maintainer still decides.
use std::time::Duration;

use serde_json::Value;

use crate::helpers::{corpus_payload, delivery_id, spawn_app, AppOptions, Plugins, TestApp};

const REPO: &str = "Codertocat/Hello-World";
/// Who owns the test apps' personal token (`test-token`) on the simulator.
const TOKEN_OWNER: &str = "octo-admin";

/// An app with the fixture, whose token belongs to an admin of the repository;
/// an issue is opened and the fixture's write is held. Returns the approval id.
async fn held_by_selfapprover() -> (TestApp, String) {
    let app = spawn_app(AppOptions {
        plugins: Plugins::Named(&["selfapprover"]),
        ..AppOptions::default()
    })
    .await;
    app.sim.set_token_owner("test-token", TOKEN_OWNER);
    let opened = delivery_id();
    let status = app
        .post_webhook(
            "issues",
            &opened,
            &corpus_payload("issues/opened.payload.json"),
        )
        .await
        .status();
    assert_eq!(status, 202);
    app.wait_for_idle_queue(Duration::from_secs(30)).await;
    app.grant(REPO, TOKEN_OWNER, "admin").await;
    let log = app
        .runs_of(&opened)
        .await
        .pop()
        .unwrap()
        .log
        .unwrap_or_default();
    let held = log
        .split("held for approval: ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_else(|| panic!("not held: {log}"))
        .to_owned();
    assert!(log.contains("commented: "), "{log}");
    (app, held)
}

async fn status_of(app: &TestApp, id: &str) -> String {
    gantry_server::db::approvals::find(&app.state.db, id)
        .await
        .unwrap()
        .unwrap()
        .status
}

fn issue_number() -> u64 {
    let payload: Value =
        serde_json::from_slice(&corpus_payload("issues/opened.payload.json")).unwrap();
    payload["issue"]["number"].as_u64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_cannot_approve_its_own_held_write_by_commenting_with_the_personal_token() {
    let (app, held) = held_by_selfapprover().await;
    let number = issue_number();
    let own = app
        .sim
        .issue_comments("Codertocat", "Hello-World", number)
        .unwrap()
        .into_iter()
        .find(|c| c.contains(&format!("@gantry approve {held}")))
        .expect("the plugin's comment");
    // GitHub sends the plugin's comment back, authored by the token's owner.
    app.comment(REPO, number, TOKEN_OWNER, &own).await;
    assert_eq!(status_of(&app, &held).await, "pending");
    let replies = app
        .sim
        .issue_comments("Codertocat", "Hello-World", number)
        .unwrap();
    assert!(
        !replies.iter().any(|c| c.contains("Approved `")),
        "{replies:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_comment_by_gantrys_own_login_is_not_read_as_a_command_even_without_the_marker() {
    let (app, held) = held_by_selfapprover().await;
    app.comment(
        REPO,
        issue_number(),
        TOKEN_OWNER,
        &format!("@gantry approve {held}"),
    )
    .await;
    assert_eq!(status_of(&app, &held).await, "pending");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_comment_carrying_gantrys_marker_is_not_read_as_a_command_whoever_posts_it() {
    let (app, held) = held_by_selfapprover().await;
    app.grant(REPO, "lead", "maintain").await;
    let forged = format!("@gantry approve {held}\n<!-- gantry: plugin=selfapprover key=x -->");
    app.comment(REPO, issue_number(), "lead", &forged).await;
    assert_eq!(status_of(&app, &held).await, "pending");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_approve_line_from_a_maintainer_still_decides() {
    let (app, held) = held_by_selfapprover().await;
    app.grant(REPO, "lead", "maintain").await;
    app.comment(
        REPO,
        issue_number(),
        "lead",
        &format!("@gantry approve {held}"),
    )
    .await;
    // The fixture's tag names a commit the repository lacks, so GitHub refuses it:
    // it was decided, and ran (and failed), which is all this test needs.
    assert_ne!(status_of(&app, &held).await, "pending");
    let approvers = gantry_server::db::audit::with_action(&app.state.db, "approval.approved")
        .await
        .unwrap();
    assert_eq!(approvers.len(), 1);
    assert_eq!(
        (
            approvers[0].actor.as_str(),
            approvers[0].actor_kind.as_str()
        ),
        ("lead", "github")
    );
}
