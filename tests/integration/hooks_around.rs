//! Hooks around other plugins' runs end to end (Atlantis' pre and post workflow
//! hooks): the bundled `hooks` plugin with `around` rules wrapping the bundled
//! `commands` plugin's `/kind`, real signed `issue_comment` deliveries, and what
//! lands in the simulator, the job's runs and the audit log.
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{corpus_payload, spawn_app, AppOptions, Plugins, TestApp};

const REPO: &str = "Codertocat/Hello-World";
/// The corpus issue.
const ISSUE: u64 = 1;
/// A collaborator with triage access: enough for `/kind`, not for an admin-only hook.
const TRIAGER: &str = "tess";

/// The hooks and commands plugins, the hooks plugin with `around` rules and no
/// event rules, and a triager on the corpus repository.
async fn around_app(around: Value) -> TestApp {
    let configs = vec![("hooks", json!({ "rules": [], "around": around }))];
    let app = spawn_app(AppOptions {
        plugins: Plugins::Named(&["hooks", "commands"]),
        configs,
        ..AppOptions::default()
    })
    .await;
    app.sim.learn(
        "issue_comment",
        &serde_json::from_slice(&corpus_payload("issue_comment/created.payload.json")).unwrap(),
    );
    app.grant(REPO, TRIAGER, "triage").await;
    app
}

async fn labels(app: &TestApp) -> Vec<String> {
    let issue = app.sim_get(REPO, &format!("/issues/{ISSUE}")).await;
    issue["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].as_str().unwrap().to_owned())
        .collect()
}

/// Gantry's comments on the issue.
async fn bot_comments(app: &TestApp) -> Vec<String> {
    let comments = app
        .sim_get(REPO, &format!("/issues/{ISSUE}/comments?per_page=100"))
        .await;
    comments
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["user"]["login"] == "gantry[bot]")
        .map(|c| c["body"].as_str().unwrap().to_owned())
        .collect()
}

/// The delivery's runs: (name, outcome, message).
async fn runs(app: &TestApp, delivery: &str) -> Vec<(String, String, Option<String>)> {
    app.runs_of(delivery)
        .await
        .into_iter()
        .map(|r| (r.plugin, r.outcome, r.message))
        .collect()
}

/// The audit rows of `action`, after checking the chain still verifies.
async fn audited(
    app: &TestApp,
    action: &str,
) -> Vec<gantry_server::db::entities::audit_log::Model> {
    let answer = app.api(Method::GET, "/audit/verify").send().await.unwrap();
    assert_eq!(answer.status(), 200, "the audit chain verifies");
    gantry_server::db::audit::with_action(&app.state.db, action)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocking_pre_hook_stops_the_command_until_its_check_passes_and_the_post_hook_reports_the_outcome(
) {
    let app = around_app(json!([
        { "stage": "pre", "plugin": "commands", "command": "kind", "blocking": true, "require_labels": ["triaged"] },
        { "stage": "post", "plugin": "commands", "command": "kind", "comment": "post hook: /{command} {args} by @{author} ended {outcome}" },
    ]))
    .await;

    // Without the label, the blocking pre hook fails: /kind does not run, the hook
    // says why, the run is recorded as blocked and audited, and no post hook runs.
    let first = app.comment(REPO, ISSUE, TRIAGER, "/kind bug").await;
    assert!(
        !labels(&app).await.contains(&"kind/bug".to_owned()),
        "a blocked command must not act"
    );
    let said = bot_comments(&app).await;
    assert_eq!(said.len(), 1, "only the explanation: {said:?}");
    assert!(
        said[0].starts_with("`/kind bug` did not run") && said[0].contains("`triaged`"),
        "{}",
        said[0]
    );
    let first_runs = runs(&app, &first).await;
    let blocked = first_runs
        .iter()
        .find(|(name, ..)| name == "commands /kind #0")
        .expect("the command's run");
    assert_eq!(blocked.1, "blocked", "{first_runs:?}");
    assert!(
        blocked
            .2
            .as_deref()
            .unwrap_or_default()
            .contains("blocked by the pre hook hooks"),
        "{first_runs:?}"
    );
    assert!(
        first_runs
            .iter()
            .any(|(name, outcome, _)| name == "hooks pre commands /kind #0" && outcome == "error"),
        "{first_runs:?}"
    );
    assert!(
        !first_runs
            .iter()
            .any(|(name, ..)| name.starts_with("hooks post")),
        "a blocked run has no post hook: {first_runs:?}"
    );
    let blocks = audited(&app, "hook.blocked").await;
    assert_eq!(blocks.len(), 1, "{blocks:?}");
    assert_eq!(blocks[0].delivery_id.as_deref(), Some(first.as_str()));
    assert_eq!(blocks[0].actor, "commands");

    // With the label, the pre hook passes, /kind acts once, and the post hook
    // reports how it ended.
    let url = app.sim_repo_url(REPO, &format!("/issues/{ISSUE}/labels"));
    let added = app
        .http
        .post(url)
        .bearer_auth("test-token")
        .json(&json!({ "labels": ["triaged"] }))
        .send()
        .await
        .unwrap();
    assert!(added.status().is_success());
    let second = app.comment(REPO, ISSUE, TRIAGER, "/kind bug").await;
    assert!(
        labels(&app).await.contains(&"kind/bug".to_owned()),
        "{:?}",
        runs(&app, &second).await
    );
    let said = bot_comments(&app).await;
    assert_eq!(said.len(), 2, "{said:?}");
    assert!(
        said[1].starts_with(&format!("post hook: /kind bug by @{TRIAGER} ended ok\n")),
        "{}",
        said[1]
    );
    let names: Vec<String> = runs(&app, &second)
        .await
        .into_iter()
        .map(|(name, outcome, _)| format!("{name}={outcome}"))
        .collect();
    assert_eq!(
        names,
        [
            "hooks pre commands /kind #0=ok",
            "commands /kind #0=ok",
            "hooks post commands /kind #0=ok"
        ],
        "pre, run, post, in order"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_non_blocking_hook_only_logs_and_other_commands_are_not_wrapped() {
    let app = around_app(json!([
        { "stage": "pre", "plugin": "commands", "command": "kind", "require_permission": "admin" },
    ]))
    .await;
    let delivery = app
        .comment(REPO, ISSUE, TRIAGER, "/kind bug\n/priority high")
        .await;
    let labels = labels(&app).await;
    assert!(
        labels.contains(&"kind/bug".to_owned()) && labels.contains(&"priority/high".to_owned()),
        "{labels:?}"
    );
    let runs = app.runs_of(&delivery).await;
    let pre = runs
        .iter()
        .find(|r| r.plugin == "hooks pre commands /kind #0")
        .expect("the pre hook ran around /kind");
    assert_eq!(
        pre.outcome, "ok",
        "a non-blocking hook does not fail the run"
    );
    assert!(
        pre.log
            .as_deref()
            .unwrap_or_default()
            .contains(&format!("@{TRIAGER} has triage access; admin is needed")),
        "{:?}",
        pre.log
    );
    assert!(
        !runs
            .iter()
            .any(|r| r.plugin.contains("/priority") && r.plugin.starts_with("hooks")),
        "the rule names /kind only"
    );
    assert!(
        bot_comments(&app)
            .await
            .iter()
            .all(|c| !c.contains("did not run")),
        "nothing was blocked"
    );
}
