//! Why a plugin did not run, on the delivery's dashboard page (server-rendered, read
//! as a viewer's browser reads it): a command not on a pull request
//! (`pull_requests_only`, the bundled `commands` plugin's `/lgtm`), a commenter's
//! permission below `who` (the `asker` fixture's `/poke`), a verb no installed
//! plugin declares, a plugin switched off, and a manifest route whose paths did not
//! match (the `router` fixture).
use std::time::Duration;

use gantry_simulator::PullFile;
use reqwest::Method;
use serde_json::Value;

use crate::dashboard::{main_of, sign_in, Browser};
use crate::helpers::{corpus_payload, delivery_id, spawn_app, AppOptions, Plugins, TestApp};

const REPO: &str = "Codertocat/Hello-World";

/// The corpus comment (on issue #1, not a pull request) by `user` with `body`.
fn comment(user: &str, body: &str) -> Value {
    let mut v: Value =
        serde_json::from_slice(&corpus_payload("issue_comment/created.payload.json")).unwrap();
    v["comment"]["body"] = body.into();
    v["comment"]["user"]["login"] = user.into();
    v["issue"].as_object_mut().unwrap().remove("pull_request");
    v
}

async fn deliver(app: &TestApp, event: &str, payload: &Value) -> String {
    let id = delivery_id();
    let status = app
        .post_webhook(event, &id, &serde_json::to_vec(payload).unwrap())
        .await
        .status();
    assert_eq!(status, 202);
    app.wait_for_idle_queue(Duration::from_secs(30)).await;
    id
}

/// The delivery page's `<main>` as a viewer sees it, with HTML entities for `'`
/// and `/` turned back so reasons read as written.
async fn page(viewer: &Browser, id: &str) -> String {
    let (status, html) = viewer.get(&format!("/dashboard/deliveries/{id}")).await;
    assert_eq!(status, 200);
    main_of(&html)
        .replace("&#39;", "'")
        .replace("&#47;", "/")
        .replace("&#96;", "`")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_delivery_page_says_why_a_command_or_a_plugin_did_not_run() {
    let app = spawn_app(AppOptions {
        plugins: Plugins::Named(&["asker", "commands", "router"]),
        ..AppOptions::default()
    })
    .await;
    let viewer = sign_in(&app, "vera", "viewer").await;
    app.sim.learn("issue_comment", &comment("reader", ""));
    app.grant(REPO, "reader", "read").await;
    app.grant(REPO, "writer", "push").await;

    // Permission below `who`, and a pull-request command on an issue.
    let id = deliver(&app, "issue_comment", &comment("reader", "/poke\n/lgtm")).await;
    assert!(app.runs_of(&id).await.is_empty());
    let main = page(&viewer, &id).await;
    assert!(main.contains("Did not run"), "{main}");
    assert!(
        main.contains("asker /poke")
            && main.contains("permission: reader has read on the repository; /poke of asker needs triage or more"),
        "{main}"
    );
    assert!(
        main.contains("commands /lgtm")
            && main.contains("not a pull request: /lgtm of commands is for pull requests only"),
        "{main}"
    );

    // A verb nobody declares.
    let id = deliver(&app, "issue_comment", &comment("writer", "/frobnicate now")).await;
    let main = page(&viewer, &id).await;
    assert!(
        main.contains("/frobnicate")
            && main.contains("not installed: no installed plugin declares /frobnicate"),
        "{main}"
    );

    // The plugin switched off by an operator.
    let off = app
        .api(Method::POST, "/plugins/asker/disable")
        .send()
        .await
        .unwrap();
    assert_eq!(off.status(), 200, "{:?}", off.text().await);
    let id = deliver(&app, "issue_comment", &comment("writer", "/poke")).await;
    assert!(app.runs_of(&id).await.is_empty());
    let main = page(&viewer, &id).await;
    assert!(
        main.contains("disabled: /poke is declared by asker, which is switched off"),
        "{main}"
    );

    // A route whose paths did not match.
    let mut pull: Value =
        serde_json::from_slice(&corpus_payload("pull_request/opened.payload.json")).unwrap();
    pull["action"] = "opened".into();
    app.sim.learn("pull_request", &pull);
    let src_only = [PullFile::modified("src/main.rs", 1, 0)];
    assert!(app
        .sim
        .set_pull_files("Codertocat", "Hello-World", 2, &src_only));
    let id = deliver(&app, "pull_request", &pull).await;
    let main = page(&viewer, &id).await;
    assert!(
        main.contains("router")
            && main.contains("paths did not match: none of the 1 changed file(s) is in docs/**"),
        "{main}"
    );

    // A command that ran leaves no reason behind.
    let on = app
        .api(Method::POST, "/plugins/asker/enable")
        .send()
        .await
        .unwrap();
    assert_eq!(on.status(), 200);
    let id = deliver(&app, "issue_comment", &comment("writer", "/poke")).await;
    assert_eq!(app.runs_of(&id).await.len(), 1);
    let main = page(&viewer, &id).await;
    assert!(!main.contains("Did not run"), "{main}");
}
