//! Commands in edited comments, opt-in per command (`edited = true` in the
//! manifest): the `asker` fixture's `/repoke` opts in, its `/poke` does not. An
//! `issue_comment.edited` delivery shaped as the corpus one runs only the command
//! lines the edit added (from `changes.body.from`), with the editor's permission;
//! a line the comment already had does not run again, and a command that did not
//! opt in is skipped with its reason.
use std::time::Duration;

use gantry_server::db::kv::{self, KvScope};
use serde_json::{json, Value};

use crate::commands::grant;
use crate::helpers::{corpus_payload, delivery_id, spawn_app, AppOptions, Plugins, TestApp};

/// The corpus `issue_comment.edited` payload: `author`'s comment edited by
/// `editor` from `before` to `after`.
fn edit(author: &str, editor: &str, before: &str, after: &str) -> Vec<u8> {
    let mut payload: Value =
        serde_json::from_slice(&corpus_payload("issue_comment/edited.payload.json")).unwrap();
    payload["comment"]["body"] = after.into();
    payload["comment"]["user"]["login"] = author.into();
    payload["sender"]["login"] = editor.into();
    payload["changes"] = json!({"body": {"from": before}});
    serde_json::to_vec(&payload).unwrap()
}

/// Delivers `body` as `issue_comment` and waits for its job; returns the delivery id.
async fn deliver(app: &TestApp, body: &[u8]) -> String {
    let id = delivery_id();
    assert_eq!(
        app.post_webhook("issue_comment", &id, body).await.status(),
        202
    );
    app.wait_for_idle_queue(Duration::from_secs(30)).await;
    id
}

/// The last command `asker` recorded.
async fn poked(app: &TestApp) -> Option<String> {
    let scope = KvScope {
        plugin: "asker",
        project: "Codertocat/Hello-World",
    };
    kv::get(&app.state.db, scope, "command")
        .await
        .unwrap()
        .map(|v| String::from_utf8(v).unwrap())
}

/// What did not run for the delivery, as `subject: reason`.
async fn skips_of(app: &TestApp, delivery: &str) -> Vec<String> {
    let db = &app.state.db;
    let d = gantry_server::db::deliveries::find_by_delivery_id(db, delivery)
        .await
        .unwrap()
        .expect("delivery stored");
    let mut out = Vec::new();
    for job in gantry_server::db::jobs::for_delivery(db, d.id)
        .await
        .unwrap()
    {
        for skip in gantry_server::db::skips::for_job(db, job.id).await.unwrap() {
            out.push(format!("{}: {}", skip.subject, skip.reason));
        }
    }
    out
}

async fn asker_app() -> TestApp {
    let app = spawn_app(AppOptions {
        plugins: Plugins::Named(&["asker"]),
        ..AppOptions::default()
    })
    .await;
    grant(&app, "triager", "triage").await;
    grant(&app, "reader", "read").await;
    app
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_runs_the_opted_in_command_lines_it_adds_once() {
    let app = asker_app().await;
    let id = deliver(
        &app,
        &edit(
            "triager",
            "triager",
            "Thanks!",
            "Thanks!\n/repoke after all",
        ),
    )
    .await;
    assert_eq!(
        poked(&app).await.as_deref(),
        Some("repoke after all by triager as Triage on #1")
    );
    let runs = app.runs_of(&id).await;
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0].plugin, "asker /repoke #0");

    // Fixing a typo elsewhere keeps the command line: it does not run again.
    let id = deliver(
        &app,
        &edit(
            "triager",
            "triager",
            "Thanks!\n/repoke after all",
            "Thanks a lot!\n/repoke after all",
        ),
    )
    .await;
    assert!(app.runs_of(&id).await.is_empty());
    assert!(skips_of(&app, &id).await.is_empty());

    // The same line written a second time is a new one: it runs once.
    let id = deliver(
        &app,
        &edit(
            "triager",
            "triager",
            "/repoke again",
            "/repoke again\n/repoke again",
        ),
    )
    .await;
    assert_eq!(
        poked(&app).await.as_deref(),
        Some("repoke again by triager as Triage on #1")
    );
    assert_eq!(app.runs_of(&id).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_does_not_run_a_command_that_did_not_opt_in_or_one_the_editor_may_not_use() {
    let app = asker_app().await;
    let id = deliver(&app, &edit("triager", "triager", "Thanks!", "/poke now")).await;
    assert_eq!(poked(&app).await, None);
    assert!(app.runs_of(&id).await.is_empty());
    let skips = skips_of(&app, &id).await;
    assert_eq!(
        skips,
        ["asker /poke: edited: /poke of asker runs from new comments only (its manifest does not set `edited = true`)"],
    );

    // A reader editing a triager's comment runs nothing with the triager's rights.
    let id = deliver(&app, &edit("triager", "reader", "Thanks!", "/repoke")).await;
    assert_eq!(poked(&app).await, None);
    let skips = skips_of(&app, &id).await;
    assert_eq!(skips.len(), 1, "{skips:?}");
    assert!(
        skips[0].contains("permission: reader has read on the repository"),
        "{skips:?}"
    );

    // The host's own commands do not run from edits either.
    let id = deliver(&app, &edit("triager", "triager", "Thanks!", "/help")).await;
    let comments = app
        .sim
        .issue_comments("Codertocat", "Hello-World", 1)
        .unwrap();
    assert!(
        !comments
            .iter()
            .any(|c| c.contains("Commands on this repository")),
        "{comments:?}"
    );
    assert_eq!(
        skips_of(&app, &id).await,
        ["/help: edited: the host's /help runs from new comments only"]
    );
}
