//! Issue 6's full scenario with the bundled plugins together (commands, ci,
//! releases): a pull request is opened and CI runs through workflow dispatch and
//! check runs; `/lgtm` and `/approve` label it; `@gantry release v0.1.0` is held
//! until another maintainer approves (who asked for it may not); the release exists
//! with notes and an asset; and the audit log holds every step and verifies.
use std::time::Duration;

use gantry_server::services::policies::{self, RuleForm};
use gantry_simulator::RunOutcome;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{
    corpus_payload, delivery_id, spawn_app, wait_until, AppOptions, Plugins, TestApp,
};

const REPO: &str = "Codertocat/Hello-World";
/// The corpus pull request (#2, by Codertocat, who owns the repository).
const PR: u64 = 2;

async fn scenario_app() -> TestApp {
    let app = spawn_app(AppOptions {
        plugins: Plugins::Named(&["commands", "ci", "releases"]),
        configs: vec![
            (
                "ci",
                json!({ "jobs": [{ "name": "unit", "workflow": "unit.yml" }] }),
            ),
            (
                "releases",
                json!({ "artifacts_workflow": "build.yml", "artifact_names": ["dist"] }),
            ),
        ],
        tweak: Some(crate::git::clone_from_simulator),
        ..AppOptions::default()
    })
    .await;
    // The operator lets CI run on its own, as docs/plugins/ci.md shows.
    app.allow("ci", &["checks:write", "actions:write"]).await;
    app.sim.learn(
        "pull_request",
        &serde_json::from_slice(&corpus_payload("pull_request/opened.payload.json")).unwrap(),
    );
    app.sim.learn(
        "issue_comment",
        &serde_json::from_slice(&corpus_payload("issue_comment/created.payload.json")).unwrap(),
    );
    app
}

async fn audit_actions(app: &TestApp) -> Vec<(String, Option<String>, Option<String>)> {
    use sea_orm::{EntityTrait, QueryOrder};
    let rows = gantry_server::db::entities::audit_log::Entity::find()
        .order_by_asc(gantry_server::db::entities::audit_log::Column::Id)
        .all(&app.state.db)
        .await
        .unwrap();
    rows.into_iter()
        .map(|r| (r.action, r.capability, r.decision))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pull_request_goes_through_ci_review_and_a_held_release() {
    let app = scenario_app().await;
    let head = crate::plugin_releases::seed_history(&app).await;
    let (owner, name) = REPO.split_once('/').unwrap();
    app.sim
        .add_workflow(owner, name, ".github/workflows/unit.yml", "Unit");
    app.sim
        .add_workflow(owner, name, ".github/workflows/build.yml", "build");
    let build = app
        .sim
        .trigger_workflow(owner, name, "build.yml", "push", "master")
        .expect("a build run");
    assert!(app.sim.complete_run(
        owner,
        name,
        build,
        &RunOutcome::new("success").artifact("dist", 3000)
    ));
    app.grant(REPO, "reviewer", "triage").await;
    app.grant(REPO, "lead", "maintain").await;

    // 1. The pull request opens: CI dispatches its workflow with a check run.
    let opened = delivery_id();
    assert_eq!(
        app.post_webhook(
            "pull_request",
            &opened,
            &corpus_payload("pull_request/opened.payload.json")
        )
        .await
        .status(),
        202
    );
    app.wait_for_idle_queue(Duration::from_secs(30)).await;
    let runs = app
        .sim_get(REPO, "/actions/runs?event=workflow_dispatch")
        .await;
    assert_eq!(runs["total_count"], 1, "{runs}");
    assert!(runs["workflow_runs"][0]["path"]
        .as_str()
        .unwrap()
        .ends_with("unit.yml"));
    let pull = app.sim_get(REPO, &format!("/pulls/{PR}")).await;
    let sha = pull["head"]["sha"].as_str().unwrap();
    let checks = app
        .sim_get(REPO, &format!("/commits/{sha}/check-runs"))
        .await;
    assert_eq!(
        checks["check_runs"][0]["name"], "gantry/ci: unit",
        "{checks}"
    );

    // 2. Review: /lgtm from a reviewer, /approve from the maintainer.
    app.comment(REPO, PR, "reviewer", "/lgtm").await;
    app.comment(REPO, PR, "lead", "Looks right.\n/approve")
        .await;
    let labels: Vec<String> = app.sim.issue_labels(owner, name, PR).unwrap();
    assert!(
        labels.contains(&"lgtm".to_owned()) && labels.contains(&"approved".to_owned()),
        "{labels:?}"
    );

    // 3. The release is held until a maintainer approves; the follow-up steps of the
    //    releases plugin are allowed by the operator (docs/plugins/releases.md).
    app.comment(REPO, 1, "lead", "@gantry release v0.1.0").await;
    let pending: Value = app
        .api(Method::GET, "/approvals?status=pending")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let held = pending["approvals"].as_array().unwrap();
    assert_eq!(held.len(), 1, "{pending}");
    assert!(
        app.sim_get(REPO, "/releases")
            .await
            .as_array()
            .unwrap()
            .is_empty(),
        "nothing released before the approval"
    );
    let follow_ups = RuleForm {
        scope: format!("repo:{}", REPO.to_lowercase()),
        plugin: Some("releases".into()),
        capability: "contents:write".into(),
        effect: "allow".into(),
        branch: None,
        event_branch: None,
        min_permission: None,
        enforced: false,
        approvals: None,
    };
    policies::add(
        &app.state.db,
        app.state.audit_key(),
        &gantry_server::domain::Actor::user("lead", None),
        follow_ups,
    )
    .await
    .unwrap();
    let id = held[0]["id"].as_str().unwrap();
    // Whoever asked for the release cannot approve it; a second maintainer does.
    app.comment(REPO, 1, "lead", &format!("@gantry approve {id}"))
        .await;
    let still: Value = app
        .api(Method::GET, "/approvals?status=pending")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(still["approvals"].as_array().unwrap().len(), 1, "{still}");
    app.grant(REPO, "second", "maintain").await;
    app.comment(REPO, 1, "second", &format!("@gantry approve {id}"))
        .await;

    // 4. The release exists, published, with notes and the build's asset.
    wait_until(
        Duration::from_secs(30),
        "the release to be published",
        || async {
            app.sim_get(REPO, "/releases")
                .await
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["draft"] == false)
        },
    )
    .await;
    let release = app.sim_get(REPO, "/releases").await[0].clone();
    assert_eq!(release["tag_name"], "v0.1.0");
    assert!(
        release["body"].as_str().unwrap().contains("### Bug fixes"),
        "{release}"
    );
    let assets = app
        .sim_get(REPO, &format!("/releases/{}/assets", release["id"]))
        .await;
    assert_eq!(assets[0]["name"], "dist.zip");
    assert_eq!(
        app.sim_get(REPO, "/git/ref/tags/v0.1.0").await["object"]["sha"],
        head
    );

    // 5. Every step is in the audit log, and the chain verifies.
    let actions = audit_actions(&app).await;
    let has = |action: &str, capability: &str| {
        actions
            .iter()
            .any(|(a, c, _)| a == action && c.as_deref() == Some(capability))
    };
    assert!(
        has("policy.decision", "actions:write"),
        "the dispatch was decided"
    );
    assert!(
        has("policy.decision", "checks:write"),
        "the check run was decided"
    );
    assert!(
        has("policy.decision", "issues:write"),
        "the labels were decided"
    );
    assert!(
        has("approval.requested", "contents:write")
            && has("approval.approved", "contents:write")
            && has("action.executed", "contents:write")
    );
    assert!(
        actions.iter().any(|(a, _, _)| a == "policy.created"),
        "the operator's rule: {actions:?}"
    );
    let verify: Value = app
        .api(Method::GET, "/audit/verify")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(verify["intact"], true, "{verify}");
}
