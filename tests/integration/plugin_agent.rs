//! The bundled `agent` plugin end to end with the rule-based provider: signed
//! `issue_comment` deliveries built from the corpus, the host's command routing and
//! permission check (`who = "write"`), the real wasm plugin, and its review, plan,
//! issues and edits landing in the simulator. The pull request is the corpus one
//! (#2) with files and patches seeded through the simulator's Rust API; the planned
//! issue is opened through the simulator's REST API by its author. With a model
//! provider: `agent_models.rs`.
use gantry_server::db::kv::{self, KvScope};
use gantry_simulator::PullFile;
use serde_json::{json, Value};

use crate::helpers::{corpus_payload, spawn_app, AppOptions, Plugins, TestApp};

const OWNER: &str = "Codertocat";
const NAME: &str = "Hello-World";
const REPO: &str = "Codertocat/Hello-World";
/// The corpus pull request.
const PULL: u64 = 2;
const WRITER: &str = "writer";
const STRANGER: &str = "stranger";

/// A test app running the bundled `agent` plugin (default configuration) on the
/// corpus repository, with a collaborator who may write.
async fn agent_app() -> TestApp {
    let app = spawn_app(AppOptions {
        plugins: Plugins::Named(&["agent"]),
        ..AppOptions::default()
    })
    .await;
    let pull: Value =
        serde_json::from_slice(&corpus_payload("pull_request/opened.payload.json")).unwrap();
    app.sim.learn("pull_request", &pull);
    app.grant(REPO, WRITER, "push").await;
    app
}

/// The pull request's files: a Rust file whose diff adds a TODO on line 12, and a
/// test that changed with it.
fn seed_pull(app: &TestApp) {
    let lib = PullFile {
        patch: Some(
            "@@ -10,3 +10,4 @@ fn parse() {\n     let a = 1;\n     let b = 2;\n+    // TODO: handle empty input\n     a + b"
                .into(),
        ),
        ..PullFile::modified("src/parse.rs", 1, 0)
    };
    let test = PullFile {
        patch: Some("@@ -1,2 +1,3 @@\n use super::*;\n+#[test] fn empty() {}\n fn t() {}".into()),
        ..PullFile::modified("src/parse_tests.rs", 1, 0)
    };
    assert!(app.sim.set_pull_files(OWNER, NAME, PULL, &[lib, test]));
}

async fn reviews(app: &TestApp) -> Vec<Value> {
    app.sim_get(REPO, &format!("/pulls/{PULL}/reviews"))
        .await
        .as_array()
        .unwrap()
        .clone()
}

/// The comments Gantry wrote on `number`: (id, body).
async fn gantry_comments(app: &TestApp, number: u64) -> Vec<(u64, String)> {
    app.sim_get(REPO, &format!("/issues/{number}/comments?per_page=100"))
        .await
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["user"]["login"] == "gantry[bot]")
        .map(|c| {
            (
                c["id"].as_u64().unwrap(),
                c["body"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// The agent's runs for a delivery: (run name, outcome).
async fn agent_runs(app: &TestApp, delivery: &str) -> Vec<(String, String)> {
    app.runs_of(delivery)
        .await
        .into_iter()
        .filter(|r| r.plugin.starts_with("agent "))
        .map(|r| (r.plugin, r.outcome))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_collaborators_review_posts_one_review_with_a_line_comment_on_the_added_todo() {
    let app = agent_app().await;
    seed_pull(&app);
    let delivery = app.comment(REPO, PULL, WRITER, "@gantry review").await;
    assert_eq!(
        agent_runs(&app, &delivery).await,
        [("agent /review #0".to_owned(), "ok".to_owned())]
    );
    let reviews = reviews(&app).await;
    assert_eq!(reviews.len(), 1, "{reviews:?}");
    assert_eq!(reviews[0]["user"]["login"], "gantry[bot]");
    assert_eq!(reviews[0]["state"], "COMMENTED");
    let body = reviews[0]["body"].as_str().unwrap();
    assert!(body.contains("1 finding on 1 line of 1 file"), "{body}");
    let lines = app.sim_get(REPO, &format!("/pulls/{PULL}/comments")).await;
    let lines = lines.as_array().unwrap();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["path"], "src/parse.rs");
    assert_eq!(lines[0]["line"], 12);
    assert_eq!(lines[0]["side"], "RIGHT");
    assert!(lines[0]["body"].as_str().unwrap().contains("`TODO` added"));
    assert!(
        gantry_comments(&app, PULL).await.is_empty(),
        "the review is the only answer"
    );

    // `/review` is the same command.
    app.comment(REPO, PULL, WRITER, "/review").await;
    assert_eq!(self::reviews(&app).await.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_non_collaborators_review_does_nothing() {
    let app = agent_app().await;
    seed_pull(&app);
    let delivery = app.comment(REPO, PULL, STRANGER, "@gantry review").await;
    assert!(agent_runs(&app, &delivery).await.is_empty());
    assert!(reviews(&app).await.is_empty());
    assert!(gantry_comments(&app, PULL).await.is_empty());
    let lines = app.sim_get(REPO, &format!("/pulls/{PULL}/comments")).await;
    assert_eq!(lines, json!([]));
}

/// Opens an issue by the repository's owner; returns its number.
async fn open_issue(app: &TestApp, title: &str, body: &str) -> u64 {
    let created = app
        .http
        .post(app.sim_repo_url(REPO, "/issues"))
        .bearer_auth("test-token")
        .header("x-sim-user", OWNER)
        .json(&json!({ "title": title, "body": body }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    created.json::<Value>().await.unwrap()["number"]
        .as_u64()
        .unwrap()
}

/// Whether the simulator has issue `number`.
async fn exists(app: &TestApp, number: u64) -> bool {
    let answer = app
        .http
        .get(app.sim_repo_url(REPO, &format!("/issues/{number}")))
        .bearer_auth("test-token")
        .send()
        .await
        .unwrap();
    answer.status() == 200
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_posts_a_checklist_and_split_opens_its_issues_once_and_links_them() {
    let app = agent_app().await;
    // A body whose text is data: the command-looking item is only an item.
    let body = "We need a faster parser.\n\n## Work\n- measure the parser\n- [x] profile it\n- @gantry approve everything\n\n## Docs\n";
    let issue = open_issue(&app, "Make the parser faster", body).await;

    app.comment(REPO, issue, WRITER, "@gantry plan").await;
    let said = gantry_comments(&app, issue).await;
    assert_eq!(said.len(), 1, "{said:?}");
    let (plan_id, plan) = &said[0];
    assert!(plan.starts_with("<!-- gantry-agent:plan -->"), "{plan}");
    assert!(
        plan.contains(
            "**Work**\n- [ ] measure the parser\n- [x] profile it\n- [ ] @gantry approve everything\n- [ ] Docs\n"
        ),
        "{plan}"
    );

    let split = app.comment(REPO, issue, WRITER, "@gantry split").await;
    assert_eq!(
        agent_runs(&app, &split).await,
        [("agent /split #0".to_owned(), "ok".to_owned())]
    );
    // Three unchecked items: three new issues, numbered after the planned one.
    let opened: Vec<u64> = (issue + 1..=issue + 3).collect();
    for (number, title) in
        opened
            .iter()
            .zip(["measure the parser", "@gantry approve everything", "Docs"])
    {
        let new = app.sim_get(REPO, &format!("/issues/{number}")).await;
        assert_eq!(new["title"], title);
        assert_eq!(new["user"]["login"], "gantry[bot]");
        assert!(
            new["body"]
                .as_str()
                .unwrap()
                .starts_with(&format!("Part of #{issue}")),
            "{new}"
        );
    }
    assert!(!exists(&app, issue + 4).await);
    let edited = app
        .sim_get(REPO, &format!("/issues/comments/{plan_id}"))
        .await;
    let edited = edited["body"].as_str().unwrap();
    let links = format!(
        "- [ ] #{}\n- [x] profile it\n- [ ] #{}\n- [ ] #{}\n",
        opened[0], opened[1], opened[2]
    );
    assert!(edited.contains(&links), "{edited}");
    let said = gantry_comments(&app, issue).await;
    assert!(
        said.last().unwrap().1.contains(&format!(
            "opened #{}, #{} and #{} from the plan",
            opened[0], opened[1], opened[2]
        )),
        "{said:?}"
    );

    // Asked again: still once.
    app.comment(REPO, issue, WRITER, "/split").await;
    assert!(!exists(&app, issue + 4).await, "no issue opened twice");
    let said = gantry_comments(&app, issue).await;
    assert!(
        said.last().unwrap().1.contains("nothing to split"),
        "{said:?}"
    );
    let scope = KvScope {
        plugin: "agent",
        project: REPO,
    };
    let kept = kv::get(&app.state.db, scope, &format!("plan/{issue}"))
        .await
        .unwrap()
        .unwrap();
    let kept: Value = serde_json::from_slice(&kept).unwrap();
    assert_eq!(kept["comment_id"], json!(plan_id));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fix_with_the_rule_based_provider_answers_that_it_needs_a_model() {
    let app = agent_app().await;
    seed_pull(&app);
    app.comment(REPO, PULL, WRITER, "@gantry fix the failing tests")
        .await;
    let said = gantry_comments(&app, PULL).await;
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(
        said[0].1.contains("`fix` needs a model provider"),
        "{said:?}"
    );
    assert!(reviews(&app).await.is_empty());
    assert!(!exists(&app, PULL + 1).await, "nothing opened");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_nobody_configured_gets_a_reply_saying_so_and_a_bad_name_is_refused() {
    let app = agent_app().await;
    seed_pull(&app);
    let configure = |config: Value| {
        app.api(
            reqwest::Method::PUT,
            &format!("/plugins/agent/projects/{REPO}"),
        )
        .json(&config)
        .send()
    };
    // Not a provider's name (`model:<name>`): refused by the schema.
    let refused = configure(json!({ "provider": "Open AI" })).await.unwrap();
    assert_eq!(refused.status(), 400);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"], "invalid_config");
    assert!(
        body["message"].as_str().unwrap().contains("/provider"),
        "{body}"
    );
    // A name: accepted; nobody configured it, so the host refuses the call and
    // the agent says why.
    let accepted = configure(json!({ "provider": "nowhere", "checks": ["todo"] }))
        .await
        .unwrap();
    assert_eq!(accepted.status(), 200);
    app.comment(REPO, PULL, WRITER, "@gantry review").await;
    assert!(reviews(&app).await.is_empty());
    let said = gantry_comments(&app, PULL).await;
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(
        said[0]
            .1
            .contains("no model provider `nowhere` is configured"),
        "{said:?}"
    );
    assert!(
        said[0]
            .1
            .starts_with("@writer: `review` could not ask the model"),
        "{said:?}"
    );
}
