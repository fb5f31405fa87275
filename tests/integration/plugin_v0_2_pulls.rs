//! The v0.2 calls that read and edit a pull request, through a real plugin built
//! against `plugin-sdk/wit/v0.2` (the `surveyor` fixture) and the simulator: the
//! pull request's size, base commit and mergeable state, every page of its files
//! with their patches, and `update-pull-request` (title, body, base, state),
//! refused as GitHub refuses it, and held by an `ask` rule then run once on
//! approval.
use std::time::Duration;

use gantry_server::db::kv::{self, KvScope};
use gantry_server::domain::Actor;
use gantry_server::services::policies::{self, RuleForm};
use gantry_simulator::PullFile;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{
    corpus_payload, delivery_id, spawn_app, wait_until, AppOptions, Plugins, TestApp,
};

const OWNER: &str = "Codertocat";
const NAME: &str = "Hello-World";
const REPO: &str = "/repos/Codertocat/Hello-World";
const PULL: u64 = 2;
/// The base commit of the corpus pull request.
const BASE_SHA: &str = "f95f852bd8fca8fcc58a9a2d6c842781e32a215e";

async fn surveyor_app() -> TestApp {
    spawn_app(AppOptions {
        plugins: Plugins::Named(&["surveyor"]),
        ..AppOptions::default()
    })
    .await
}

/// What the fixture recorded under `key`.
async fn recorded(app: &TestApp, key: &str) -> Option<String> {
    let scope = KvScope {
        plugin: "surveyor",
        project: "Codertocat/Hello-World",
    };
    kv::get(&app.state.db, scope, key)
        .await
        .unwrap()
        .map(|v| String::from_utf8(v).unwrap())
}

/// Sends a request to the simulator as GitHub's API, with the test token.
async fn github(app: &TestApp, method: Method, path: &str, body: Option<Value>) -> Value {
    let url = format!("{}{path}", app.state.settings.github.api_url);
    let request = app.http.request(method, url).bearer_auth("test-token");
    let request = match body {
        Some(b) => request.json(&b),
        None => request,
    };
    let answer = request.send().await.unwrap();
    assert!(answer.status().is_success(), "{path}: {}", answer.status());
    answer.json().await.unwrap()
}

/// The corpus pull request, known to the simulator with `files`, and (when
/// `develop` is set) a `develop` branch at its base commit to move the base to.
async fn seed(app: &TestApp, files: &[PullFile], develop: bool) -> Vec<u8> {
    let payload = corpus_payload("pull_request/opened.payload.json");
    let pull: Value = serde_json::from_slice(&payload).unwrap();
    app.sim.learn("pull_request", &pull);
    assert!(app.sim.set_pull_files(OWNER, NAME, PULL, files));
    if develop {
        let branch = json!({"ref": "refs/heads/develop", "sha": BASE_SHA});
        github(app, Method::POST, &format!("{REPO}/git/refs"), Some(branch)).await;
    }
    payload
}

async fn deliver(app: &TestApp, body: &[u8]) {
    assert_eq!(
        app.post_webhook("pull_request", &delivery_id(), body)
            .await
            .status(),
        202
    );
    app.wait_for_idle_queue(Duration::from_secs(30)).await;
}

/// 150 modified files, one with a patch, then a renamed one and a binary one
/// without a patch: three pages of files' worth of cases on two pages.
fn many_files() -> Vec<PullFile> {
    let mut files: Vec<PullFile> = (0..150)
        .map(|n| PullFile::modified(&format!("src/m{n}.rs"), 2, 1))
        .collect();
    files[0].patch = Some("@@ -1 +1,2 @@\n-a\n+b\n+c".to_owned());
    let mut renamed = PullFile::modified("docs/new.md", 4, 0);
    renamed.status = "renamed".to_owned();
    renamed.previous_filename = Some("docs/old.md".to_owned());
    files.push(renamed);
    files.push(PullFile::modified("logo.png", 0, 0));
    files
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_reads_a_pull_requests_size_and_every_page_of_its_files_then_edits_it() {
    let app = surveyor_app().await;
    let payload = seed(&app, &many_files(), true).await;
    deliver(&app, &payload).await;

    // 150 files of +2 -1 and one of +4: the sums GitHub gives on the pull request.
    assert_eq!(
        recorded(&app, "pull").await.as_deref(),
        Some(format!("done:+304:-150:files=152:commits=1:base={BASE_SHA}:clean").as_str())
    );
    assert_eq!(recorded(&app, "files").await.as_deref(), Some("done:152"));
    assert_eq!(
        recorded(&app, "file:0").await.as_deref(),
        Some("src/m0.rs:modified:+2:-1:3:@@ -1 +1,2 @@\n-a\n+b\n+c:none")
    );
    assert_eq!(
        recorded(&app, "file:150").await.as_deref(),
        Some("docs/new.md:renamed:+4:-0:4:none:docs/old.md")
    );
    assert_eq!(
        recorded(&app, "file:151").await.as_deref(),
        Some("logo.png:modified:+0:-0:0:none:none")
    );
    assert_eq!(
        app.sim
            .request_count("GET", &format!("{REPO}/pulls/{PULL}/files")),
        2,
        "both pages were read"
    );

    assert_eq!(
        recorded(&app, "updated").await.as_deref(),
        Some("done:Surveyed:develop:closed")
    );
    let after = github(&app, Method::GET, &format!("{REPO}/pulls/{PULL}"), None).await;
    assert_eq!(after["title"], "Surveyed");
    assert_eq!(after["body"], "Read by the surveyor fixture.");
    assert_eq!(after["base"]["ref"], "develop");
    assert_eq!(after["state"], "closed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_github_refuses_answers_its_error_and_changes_nothing() {
    let app = surveyor_app().await;
    // No `develop` branch: GitHub refuses the new base (422) and applies nothing.
    let payload = seed(&app, &[PullFile::modified("a.rs", 1, 0)], false).await;
    deliver(&app, &payload).await;
    let updated = recorded(&app, "updated").await.unwrap();
    assert!(updated.starts_with("error:"), "{updated}");
    assert!(updated.contains("422"), "{updated}");
    let after = github(&app, Method::GET, &format!("{REPO}/pulls/{PULL}"), None).await;
    assert_eq!(after["base"]["ref"], "master");
    assert_eq!(after["state"], "open");
    assert_ne!(after["title"], "Surveyed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_held_by_an_ask_rule_answers_held_and_is_made_once_on_approval() {
    let app = surveyor_app().await;
    let form = RuleForm {
        scope: "global".into(),
        plugin: Some("surveyor".into()),
        capability: "pull_requests:write".into(),
        effect: "ask".into(),
        branch: None,
        event_branch: None,
        min_permission: None,
        enforced: false,
        approvals: None,
    };
    policies::add(&app.state.db, app.state.audit_key(), &Actor::cli(), form)
        .await
        .unwrap();
    let payload = seed(&app, &[PullFile::modified("a.rs", 1, 0)], true).await;
    deliver(&app, &payload).await;
    // Reads are not held.
    assert_eq!(recorded(&app, "files").await.as_deref(), Some("done:1"));
    let updated = recorded(&app, "updated").await.unwrap();
    assert!(updated.ends_with(":pull_requests:write"), "{updated}");
    let id = updated
        .strip_prefix("held:")
        .and_then(|rest| rest.split(':').next())
        .unwrap_or_else(|| panic!("not held: {updated}"))
        .to_owned();
    let before = github(&app, Method::GET, &format!("{REPO}/pulls/{PULL}"), None).await;
    assert_eq!(before["state"], "open", "nothing changed while held");

    let approve = || async {
        app.api(Method::POST, &format!("/approvals/{id}/approve"))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    };
    assert_eq!(approve().await, 200);
    let key = format!("resolved:{id}");
    wait_until(
        Duration::from_secs(10),
        "the plugin to hear the outcome",
        || async { recorded(&app, &key).await.is_some() },
    )
    .await;
    assert_eq!(
        recorded(&app, &key).await.as_deref(),
        Some("ApprovalOutcome::Executed")
    );
    let after = github(&app, Method::GET, &format!("{REPO}/pulls/{PULL}"), None).await;
    assert_eq!(after["title"], "Surveyed");
    assert_eq!(after["base"]["ref"], "develop");
    assert_eq!(after["state"], "closed");
    assert_eq!(approve().await, 409, "decided once");
    assert_eq!(
        app.sim
            .request_count("PATCH", &format!("{REPO}/pulls/{PULL}")),
        1,
        "edited exactly once"
    );
}

/// Commits `content` as `path` on `branch` (replacing blob `sha` when given) and
/// returns the new commit's SHA and the file's blob SHA.
async fn put(
    app: &TestApp,
    branch: &str,
    path: &str,
    content: &str,
    sha: Option<&str>,
) -> (String, String) {
    use base64::Engine as _;
    let mut body = json!({
        "message": format!("Write {path} on {branch}\n\nA second line."),
        "content": base64::engine::general_purpose::STANDARD.encode(content),
        "branch": branch,
    });
    if let Some(sha) = sha {
        body["sha"] = json!(sha);
    }
    let v = github(
        app,
        Method::PUT,
        &format!("{REPO}/contents/{path}"),
        Some(body),
    )
    .await;
    (
        v["commit"]["sha"].as_str().unwrap().to_owned(),
        v["content"]["sha"].as_str().unwrap().to_owned(),
    )
}

/// `sha|first line|author` as the fixture records a commit, the author as the
/// simulator's own commit API names it.
async fn commit_line(app: &TestApp, sha: &str) -> String {
    let c = github(app, Method::GET, &format!("{REPO}/commits/{sha}"), None).await;
    let first = c["commit"]["message"]
        .as_str()
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_owned();
    let author = c["author"]["login"].as_str().unwrap_or("none").to_owned();
    format!("{sha}|{first}|{author}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_lists_a_pull_requests_commits_and_compares_its_head_with_its_base() {
    let app = surveyor_app().await;
    let mut pull: Value =
        serde_json::from_slice(&corpus_payload("pull_request/opened.payload.json")).unwrap();
    // The simulator learns the repository (and its default branch) from it.
    app.sim.learn("pull_request", &pull);
    // master: M1 (notes.txt); feature from M1: F1 (notes.txt changed), F2 (new.txt);
    // then master moves on: M2 (other.txt). feature is 2 ahead and 1 behind.
    let (m1, notes) = put(&app, "master", "notes.txt", "one\ntwo\nthree\n", None).await;
    let branch = json!({"ref": "refs/heads/feature", "sha": m1});
    github(
        &app,
        Method::POST,
        &format!("{REPO}/git/refs"),
        Some(branch),
    )
    .await;
    let (f1, _) = put(
        &app,
        "feature",
        "notes.txt",
        "one\n2\nthree\nfour\n",
        Some(&notes),
    )
    .await;
    let (f2, _) = put(&app, "feature", "new.txt", "hello\n", None).await;
    let (m2, _) = put(&app, "master", "other.txt", "elsewhere\n", None).await;

    pull["pull_request"]["head"]["ref"] = json!("feature");
    pull["pull_request"]["head"]["sha"] = json!(f2);
    pull["pull_request"]["base"]["ref"] = json!("master");
    pull["pull_request"]["base"]["sha"] = json!(m2);
    app.sim.learn("pull_request", &pull);
    deliver(&app, &serde_json::to_vec(&pull).unwrap()).await;

    let (c1, c2) = (commit_line(&app, &f1).await, commit_line(&app, &f2).await);
    assert_eq!(
        recorded(&app, "commits").await,
        Some(format!("done:{c1},{c2}")),
        "the head's commits the base has not, oldest first"
    );
    assert_eq!(
        recorded(&app, "compare").await,
        Some(format!(
            "done:diverged:ahead=2:behind=1:commits={c1},{c2}:files=new.txt:added:+1:-0,notes.txt:modified:+2:-1"
        ))
    );
    assert_eq!(
        recorded(&app, "patch:notes.txt").await.as_deref(),
        Some("@@ -1,3 +1,4 @@\n one\n-two\n+2\n three\n+four")
    );
    let listed = github(&app, Method::GET, &format!("{REPO}/pulls/{PULL}"), None).await;
    assert_eq!(
        listed["commits"], 2,
        "the pull request counts the same commits"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_reads_the_combined_status_and_check_runs_of_the_head_commit() {
    let app = surveyor_app().await;
    let payload = seed(&app, &[PullFile::modified("a.rs", 1, 0)], false).await;
    let pull: Value = serde_json::from_slice(&payload).unwrap();
    let head = pull["pull_request"]["head"]["sha"]
        .as_str()
        .unwrap()
        .to_owned();
    for (context, state, description) in [
        ("ci/build", "success", Some("Built")),
        ("ci/lint", "pending", None),
        ("ci/lint", "failure", Some("2 warnings")),
    ] {
        let mut status = json!({"state": state, "context": context});
        if let Some(d) = description {
            status["description"] = json!(d);
            status["target_url"] = json!(format!("https://ci.example/{context}"));
        }
        github(
            &app,
            Method::POST,
            &format!("{REPO}/statuses/{head}"),
            Some(status),
        )
        .await;
    }
    let runs = [
        json!({"name": "unit", "head_sha": head, "status": "completed", "conclusion": "failure"}),
        json!({"name": "docs", "head_sha": head, "status": "in_progress"}),
    ];
    for run in runs {
        github(&app, Method::POST, &format!("{REPO}/check-runs"), Some(run)).await;
    }
    deliver(&app, &payload).await;

    // The latest status of each context: a failure makes the combination fail.
    let status = recorded(&app, "status").await.unwrap();
    assert!(
        status.starts_with(&format!("done:failure:{head}:2:")),
        "{status}"
    );
    assert!(
        status.contains("ci/lint=failure:2 warnings:https://ci.example/ci/lint")
            && status.contains("ci/build=success:Built:https://ci.example/ci/build")
            && !status.contains("pending"),
        "{status}"
    );
    let listed = github(
        &app,
        Method::GET,
        &format!("{REPO}/commits/{head}/check-runs"),
        None,
    )
    .await;
    let slug = listed["check_runs"][0]["app"]["slug"]
        .as_str()
        .unwrap_or("none")
        .to_owned();
    let checks = recorded(&app, "checks").await.unwrap();
    for run in [
        format!("unit:completed:failure:{slug}:true"),
        format!("docs:in_progress:none:{slug}:true"),
    ] {
        assert!(checks.contains(&run), "{run} in {checks}");
    }
    assert_eq!(checks.matches(":true").count(), 2, "{checks}");
}
