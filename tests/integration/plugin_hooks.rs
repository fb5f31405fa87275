//! The bundled `hooks` plugin's newer hooks end to end: signed `pull_request`,
//! `issues` and `release` deliveries built from the corpus, the real wasm plugin,
//! and the check runs and comments it makes landing in the simulator. The default
//! rules (`needs-triage`, the pull request greeting) are covered in `plugins.rs`.
use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::{corpus_payload, delivery_id, spawn_app, AppOptions, Plugins, TestApp};

const OWNER: &str = "Codertocat";
const NAME: &str = "Hello-World";
/// The corpus pull request: #2, head commit `HEAD`.
const PULL: u64 = 2;
const HEAD: &str = "ec26c3e57ca3a959ca5aad62de7213c562f8c821";
/// The corpus issue.
const ISSUE: u64 = 1;
const TITLE_CHECK: &str = "gantry/hooks: title";

/// A test app running only the hooks plugin with `config` applied over its defaults
/// (as a merge patch, like an operator's), without the default rules, so the only
/// comments and check runs are those of the hooks under test; the operator allows
/// its check runs (Gantry's defaults hold them for approval).
async fn hooks_app(mut config: Value) -> TestApp {
    config["rules"] = json!([]);
    let app = spawn_app(AppOptions {
        plugins: Plugins::Named(&["hooks"]),
        configs: vec![("hooks", config)],
        ..AppOptions::default()
    })
    .await;
    app.allow("hooks", &["checks:write"]).await;
    app
}

fn corpus(relative: &str) -> Value {
    serde_json::from_slice(&corpus_payload(relative)).unwrap()
}

/// The corpus pull request #2 with `action`, `title` and the author's association.
fn pull_payload(action: &str, title: &str, association: &str) -> Value {
    let mut v = corpus("pull_request/opened.payload.json");
    v["action"] = action.into();
    v["pull_request"]["title"] = title.into();
    v["pull_request"]["author_association"] = association.into();
    v
}

/// The corpus issue opened as issue `number` by `author` with `association`.
fn issue_payload(number: u64, author: &str, association: &str) -> Value {
    let mut v = corpus("issues/opened.payload.json");
    v["issue"]["number"] = number.into();
    v["issue"]["user"]["login"] = author.into();
    v["issue"]["author_association"] = association.into();
    v
}

/// The corpus release published with `body`, as a pre-release or not.
fn release_payload(tag: &str, body: &str, prerelease: bool) -> Value {
    let mut v = corpus("release/published.with-discussion-url.payload.json");
    v["release"]["tag_name"] = tag.into();
    v["release"]["name"] = format!("Hello-World {tag}").into();
    v["release"]["html_url"] =
        format!("https://github.com/{OWNER}/{NAME}/releases/tag/{tag}").into();
    v["release"]["body"] = body.into();
    v["release"]["prerelease"] = prerelease.into();
    v
}

/// Delivers `payload` as `event`, waits for its job and checks every plugin run
/// ended well; returns the hooks run's log.
async fn deliver(app: &TestApp, event: &str, payload: &Value) -> String {
    let delivery = delivery_id();
    let answer = app
        .post_webhook(event, &delivery, &serde_json::to_vec(payload).unwrap())
        .await;
    assert_eq!(answer.status(), 202);
    app.wait_for_idle_queue(Duration::from_secs(30)).await;
    let runs = app.runs_of(&delivery).await;
    assert!(
        runs.iter().all(|r| r.outcome == "ok"),
        "{:?}",
        runs.iter()
            .map(|r| (&r.plugin, &r.outcome, &r.message, &r.log))
            .collect::<Vec<_>>()
    );
    runs.iter()
        .filter_map(|r| r.log.clone())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every check run on the corpus pull request's head commit, oldest first.
async fn check_runs(app: &TestApp) -> Vec<Value> {
    let url = format!(
        "{}/repos/{OWNER}/{NAME}/commits/{HEAD}/check-runs?filter=all",
        app.state.settings.github.api_url
    );
    let answer = app
        .http
        .get(url)
        .bearer_auth("test-token")
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_success(), "{}", answer.status());
    let mut runs = answer.json::<Value>().await.unwrap()["check_runs"]
        .as_array()
        .unwrap()
        .clone();
    runs.sort_by_key(|r| r["id"].as_u64());
    runs
}

/// The comments on issue `number`, without the host's idempotency marker.
fn comments(app: &TestApp, number: u64) -> Vec<String> {
    let all = app
        .sim
        .issue_comments(OWNER, NAME, number)
        .unwrap_or_default();
    all.into_iter()
        .map(|c| {
            c.split("\n\n<!-- gantry:")
                .next()
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_conventional_pull_request_title_gets_a_successful_title_check_on_the_head_commit() {
    let app = hooks_app(json!({ "title_check": { "enabled": true } })).await;
    deliver(
        &app,
        "pull_request",
        &pull_payload("opened", "feat(readme)!: describe the project", "OWNER"),
    )
    .await;

    let runs = check_runs(&app).await;
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0]["name"], TITLE_CHECK);
    assert_eq!(runs[0]["head_sha"], HEAD);
    assert_eq!(
        (runs[0]["status"].as_str(), runs[0]["conclusion"].as_str()),
        (Some("completed"), Some("success"))
    );
    let summary = runs[0]["output"]["summary"].as_str().unwrap();
    assert!(
        summary.contains("`feat` in `readme`, a breaking change"),
        "{summary}"
    );
    let said = comments(&app, PULL);
    assert!(
        said.is_empty(),
        "the rules are off, so no greeting: {said:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_title_fails_the_check_with_the_expected_form_and_passes_once_edited() {
    let app = hooks_app(json!({ "title_check": { "enabled": true } })).await;
    // The corpus title, "Update the README with new information.", is not conventional.
    let corpus_title = corpus("pull_request/opened.payload.json")["pull_request"]["title"]
        .as_str()
        .unwrap()
        .to_owned();
    deliver(
        &app,
        "pull_request",
        &pull_payload("opened", &corpus_title, "OWNER"),
    )
    .await;
    let runs = check_runs(&app).await;
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0]["conclusion"], "failure");
    assert_eq!(
        runs[0]["output"]["title"],
        "The title is not a conventional commit"
    );
    let summary = runs[0]["output"]["summary"].as_str().unwrap();
    for needle in ["type(scope)!: subject", "`feat`", "`chore`", &corpus_title] {
        assert!(
            summary.contains(needle),
            "{needle:?} missing from {summary}"
        );
    }

    // Retitled: the newest check run on the same commit passes.
    deliver(
        &app,
        "pull_request",
        &pull_payload("edited", "docs: update the README", "OWNER"),
    )
    .await;
    let runs = check_runs(&app).await;
    assert_eq!(runs.len(), 2, "{runs:?}");
    assert_eq!(
        (runs[1]["name"].as_str(), runs[1]["conclusion"].as_str()),
        (Some(TITLE_CHECK), Some("success"))
    );

    // Actions that change neither title nor head are not checked.
    deliver(
        &app,
        "pull_request",
        &pull_payload("labeled", "wip", "OWNER"),
    )
    .await;
    assert_eq!(check_runs(&app).await.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_title_check_takes_its_types_from_the_configuration() {
    let app = hooks_app(json!({ "title_check": { "enabled": true, "types": ["hotfix"] } })).await;
    deliver(
        &app,
        "pull_request",
        &pull_payload(
            "synchronize",
            "fix: a default type that is not configured",
            "OWNER",
        ),
    )
    .await;
    deliver(
        &app,
        "pull_request",
        &pull_payload("reopened", "hotfix: the configured type", "OWNER"),
    )
    .await;
    let conclusions: Vec<Value> = check_runs(&app)
        .await
        .iter()
        .map(|r| r["conclusion"].clone())
        .collect();
    assert_eq!(conclusions, [json!("failure"), json!("success")]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_default_configuration_titles_are_not_checked_and_first_timers_get_only_the_usual_greeting(
) {
    let app = spawn_app(AppOptions::default()).await;
    deliver(
        &app,
        "pull_request",
        &pull_payload("opened", "not conventional", "FIRST_TIME_CONTRIBUTOR"),
    )
    .await;
    assert!(check_runs(&app).await.is_empty());
    let said = comments(&app, PULL);
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(
        said[0].starts_with("Thanks for opening this pull request"),
        "{said:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_time_contributors_are_greeted_by_name_and_others_are_not() {
    let config = json!({ "first_time_greeting": { "enabled": true, "message": "Welcome to {repo}, @{author}!" } });
    let app = hooks_app(config).await;

    let log = deliver(
        &app,
        "issues",
        &issue_payload(ISSUE, "newcomer", "FIRST_TIME_CONTRIBUTOR"),
    )
    .await;
    assert_eq!(
        comments(&app, ISSUE),
        [format!("Welcome to {OWNER}/{NAME}, @newcomer!")]
    );
    assert!(
        log.contains("greeted first-time contributor @newcomer"),
        "{log}"
    );

    let mut pull = pull_payload("opened", "Update the README", "FIRST_TIMER");
    pull["pull_request"]["user"]["login"] = "octonaut".into();
    deliver(&app, "pull_request", &pull).await;
    assert_eq!(
        comments(&app, PULL),
        [format!("Welcome to {OWNER}/{NAME}, @octonaut!")]
    );

    deliver(
        &app,
        "issues",
        &issue_payload(ISSUE + 100, "regular", "CONTRIBUTOR"),
    )
    .await;
    assert!(comments(&app, ISSUE + 100).is_empty());
    // Only an opened issue is greeted, not an edit by the same first-timer.
    let mut edited = issue_payload(ISSUE + 101, "newcomer", "FIRST_TIME_CONTRIBUTOR");
    edited["action"] = "edited".into();
    deliver(&app, "issues", &edited).await;
    assert!(comments(&app, ISSUE + 101).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_published_release_is_announced_on_the_configured_issue_and_the_issues_its_notes_mention()
{
    const ANNOUNCEMENTS: u64 = 10;
    let config = json!({
        "release_announcement": { "issues": [ANNOUNCEMENTS], "mentioned": true, "message": "{name} shipped: {url}" }
    });
    let app = hooks_app(config).await;
    // The simulator knows issues #1 and #10 and pull request #2, as GitHub would.
    app.sim
        .learn("issues", &issue_payload(ISSUE, "Codertocat", "OWNER"));
    app.sim.learn(
        "issues",
        &issue_payload(ANNOUNCEMENTS, "Codertocat", "OWNER"),
    );
    app.sim
        .learn("pull_request", &pull_payload("opened", "feat: x", "OWNER"));

    let notes = "## What's changed\n* Fix the spelling (fixes #1) by @Codertocat in \
                 https://github.com/Codertocat/Hello-World/pull/2\n* Unknown #999, elsewhere other/repo#3";
    let log = deliver(&app, "release", &release_payload("v1.0.0", notes, false)).await;

    let expected =
        "Hello-World v1.0.0 shipped: https://github.com/Codertocat/Hello-World/releases/tag/v1.0.0";
    for number in [ANNOUNCEMENTS, ISSUE, PULL] {
        assert_eq!(comments(&app, number), [expected], "#{number}");
    }
    assert!(
        comments(&app, 3).is_empty(),
        "another repository's #3 is not this one's"
    );
    // #999 does not exist: logged, and the run still succeeded (checked in `deliver`).
    assert!(log.contains("could not announce v1.0.0 on #999"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prerelease_is_announced_only_when_the_configuration_asks() {
    const ANNOUNCEMENTS: u64 = 10;
    let quiet = hooks_app(json!({ "release_announcement": { "issues": [ANNOUNCEMENTS] } })).await;
    quiet.sim.learn(
        "issues",
        &issue_payload(ANNOUNCEMENTS, "Codertocat", "OWNER"),
    );
    deliver(&quiet, "release", &release_payload("v2.0.0-rc.1", "", true)).await;
    assert!(comments(&quiet, ANNOUNCEMENTS).is_empty());
    deliver(&quiet, "release", &release_payload("v2.0.0", "", false)).await;
    assert_eq!(comments(&quiet, ANNOUNCEMENTS), ["Hello-World v2.0.0 is out: https://github.com/Codertocat/Hello-World/releases/tag/v2.0.0"]);

    let eager = hooks_app(
        json!({ "release_announcement": { "issues": [ANNOUNCEMENTS], "prereleases": true } }),
    )
    .await;
    eager.sim.learn(
        "issues",
        &issue_payload(ANNOUNCEMENTS, "Codertocat", "OWNER"),
    );
    deliver(&eager, "release", &release_payload("v2.0.0-rc.1", "", true)).await;
    assert_eq!(comments(&eager, ANNOUNCEMENTS).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pull_request_is_labelled_by_the_paths_it_changes() {
    use gantry_simulator::PullFile;
    let config = json!({ "path_labels": [
        { "label": "area/docs", "paths": ["docs/", "**/*.md"] },
        { "label": "area/server", "paths": ["server/**"] },
        { "label": "area/ci", "paths": [".github/**"] },
    ] });
    let app = hooks_app(config).await;
    app.sim
        .learn("pull_request", &pull_payload("opened", "feat: x", "MEMBER"));
    let files: Vec<PullFile> = (0..150)
        .map(|n| PullFile::modified(&format!("server/src/m{n}.rs"), 1, 0))
        .chain([PullFile::modified("docs/guide.md", 3, 1)])
        .collect();
    assert!(app.sim.set_pull_files(OWNER, NAME, PULL, &files));
    let log = deliver(
        &app,
        "pull_request",
        &pull_payload("opened", "feat: x", "MEMBER"),
    )
    .await;
    let labels = app.sim.issue_labels(OWNER, NAME, PULL).unwrap();
    // The docs file is on the second page of files: every page was read.
    assert!(
        labels.contains(&"area/docs".to_owned()) && labels.contains(&"area/server".to_owned()),
        "{labels:?}\n{log}"
    );
    assert!(!labels.contains(&"area/ci".to_owned()));
    assert_eq!(
        app.sim
            .request_count("GET", &format!("/repos/{OWNER}/{NAME}/pulls/{PULL}/files")),
        2
    );
}
