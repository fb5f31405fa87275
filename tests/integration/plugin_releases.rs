//! The bundled `releases` plugin end to end: a repository whose history is pushed to
//! the simulator over git smart HTTP (a `v0.0.1` tag, then a `feat:` and a `fix:`
//! commit), a build workflow run with artifacts seeded through the simulator's Rust
//! API, `@gantry release ...` comments delivered from the corpus, and the release,
//! its notes, its asset and its tag landing in the simulator once the held steps are
//! approved through `/api/v1/approvals/{id}/approve`.
use std::path::{Path, PathBuf};
use std::time::Duration;

use gantry_server::config::Settings;
use gantry_server::services::policies::{self, RuleForm};
use gantry_simulator::RunOutcome;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{
    corpus_payload, delivery_id, spawn_app, wait_until, AppOptions, Plugins, TestApp,
};

const OWNER: &str = "Codertocat";
const NAME: &str = "Hello-World";
const REPO: &str = "Codertocat/Hello-World";
/// The corpus comment's issue.
const ISSUE: u64 = 1;
const MAINTAINER: &str = "maintainer";
const WRITER: &str = "writer";

/// Clones come from the simulator's git smart HTTP, with the API's token.
fn clone_from_simulator(settings: &mut Settings) {
    settings.github.git_url = settings.github.api_url.clone();
}

/// Runs git in `dir` off the async threads, without the user's configuration.
async fn git(dir: &Path, args: &[&str]) -> String {
    let dir = dir.to_owned();
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    tokio::task::spawn_blocking(move || {
        let out = std::process::Command::new("git")
            .args([
                "-c",
                "credential.helper=",
                "-c",
                "user.name=Mona Lisa",
                "-c",
                "user.email=mona@example.com",
            ])
            .args(&args)
            .current_dir(&dir)
            .env("HOME", &dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_TERMINAL_PROMPT", "0")
            .output()
            .expect("git runs");
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    })
    .await
    .unwrap()
}

/// Pushes a history to the simulator: `v0.0.1` on the initial commit, then a
/// feature and a fix on `master`. Returns the new head.
pub(crate) async fn seed_history(app: &TestApp) -> String {
    let host = app
        .state
        .settings
        .github
        .api_url
        .trim_start_matches("http://")
        .to_owned();
    let url = format!("http://x-access-token:test-token@{host}/{OWNER}/{NAME}.git");
    let work: PathBuf = app.dir.path().join("seed");
    std::fs::create_dir_all(&work).unwrap();
    git(&work, &["clone", "-q", &url, "."]).await;
    git(&work, &["tag", "-a", "v0.0.1", "-m", "v0.0.1"]).await;
    std::fs::write(work.join("greeting.txt"), "hello\n").unwrap();
    git(&work, &["add", "."]).await;
    git(&work, &["commit", "-q", "-m", "feat: add greeting"]).await;
    std::fs::write(work.join("greeting.txt"), "hello, you\n").unwrap();
    git(
        &work,
        &["commit", "-q", "-am", "fix: handle empty names (#12)"],
    )
    .await;
    git(&work, &["push", "-q", "origin", "master", "v0.0.1"]).await;
    git(&work, &["rev-parse", "HEAD"]).await
}

/// A test app running the releases plugin with `build.yml`'s `dist` artifact as the
/// asset; the repository has the seeded history, a successful build run on its head
/// with `dist` and `coverage`, a maintainer and a writer.
async fn releases_app() -> (TestApp, String) {
    let config = json!({ "artifacts_workflow": "build.yml", "artifact_names": ["dist"] });
    let app = spawn_app(AppOptions {
        plugins: Plugins::Named(&["releases"]),
        configs: vec![("releases", config)],
        tweak: Some(clone_from_simulator),
        ..AppOptions::default()
    })
    .await;
    app.sim.learn(
        "issue_comment",
        &serde_json::from_slice(&corpus_payload("issue_comment/created.payload.json")).unwrap(),
    );
    let head = seed_history(&app).await;
    app.sim
        .add_workflow(OWNER, NAME, ".github/workflows/build.yml", "build");
    let run = app
        .sim
        .trigger_workflow(OWNER, NAME, "build.yml", "push", "master")
        .expect("a run");
    assert!(app.sim.complete_run(
        OWNER,
        NAME,
        run,
        &RunOutcome::new("success")
            .artifact("dist", 3000)
            .artifact("coverage", 100)
    ));
    app.grant(REPO, MAINTAINER, "maintain").await;
    app.grant(REPO, WRITER, "push").await;
    (app, head)
}

/// `user` comments `body` on the issue (created on the simulator first), and the
/// delivery is handled. Returns the delivery's id.
async fn say(app: &TestApp, user: &str, body: &str) -> String {
    let created = app
        .http
        .post(app.sim_repo_url(REPO, &format!("/issues/{ISSUE}/comments")))
        .bearer_auth("test-token")
        .header("x-sim-user", user)
        .json(&json!({ "body": body }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let comment_id = created.json::<Value>().await.unwrap()["id"]
        .as_u64()
        .unwrap();
    let mut v: Value =
        serde_json::from_slice(&corpus_payload("issue_comment/created.payload.json")).unwrap();
    v["comment"]["id"] = comment_id.into();
    v["comment"]["body"] = body.into();
    v["comment"]["user"]["login"] = user.into();
    v["comment"]["user"]["type"] = "User".into();
    v["sender"] = v["comment"]["user"].clone();
    let delivery = delivery_id();
    assert_eq!(
        app.post_webhook("issue_comment", &delivery, &serde_json::to_vec(&v).unwrap())
            .await
            .status(),
        202
    );
    app.wait_for_idle_queue(Duration::from_secs(60)).await;
    delivery
}

/// The releases plugin's runs of a delivery: (outcome, log).
async fn release_runs(app: &TestApp, delivery: &str) -> Vec<(String, String)> {
    app.runs_of(delivery)
        .await
        .into_iter()
        .filter(|r| r.plugin.starts_with("releases"))
        .map(|r| (r.outcome, r.log.unwrap_or_default()))
        .collect()
}

/// What Gantry replied on the issue, oldest first.
async fn replies(app: &TestApp) -> Vec<String> {
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

/// Waits for the `n`th reply and returns it.
async fn reply_number(app: &TestApp, n: usize) -> String {
    wait_until(Duration::from_secs(30), &format!("reply {n}"), || async {
        replies(app).await.len() >= n
    })
    .await;
    replies(app).await[n - 1].clone()
}

/// The approval id a reply says the release waits for.
fn held_by(reply: &str) -> Option<String> {
    reply
        .split("approval: `")
        .nth(1)
        .and_then(|r| r.split('`').next())
        .map(str::to_owned)
}

async fn pending_approvals(app: &TestApp) -> usize {
    let body: Value = app
        .api(Method::GET, "/approvals?status=pending")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["approvals"].as_array().unwrap().len()
}

async fn approve(app: &TestApp, id: &str) {
    let answer = app
        .api(Method::POST, &format!("/approvals/{id}/approve"))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200, "{}", answer.text().await.unwrap());
}

async fn releases(app: &TestApp) -> Vec<Value> {
    app.sim_get(REPO, "/releases")
        .await
        .as_array()
        .unwrap()
        .clone()
}

/// Checks the published release `v0.1.0`: notes, the `dist` asset, the tag at `head`.
async fn assert_released(app: &TestApp, head: &str) {
    let all = releases(app).await;
    assert_eq!(all.len(), 1, "{all:?}");
    let release = &all[0];
    assert_eq!(release["tag_name"], "v0.1.0");
    assert_eq!(release["draft"], false, "published");
    let notes = release["body"].as_str().unwrap();
    assert!(notes.contains("Changes since v0.0.1"), "{notes}");
    assert!(
        notes.contains("### Features\n\n- add greeting ("),
        "{notes}"
    );
    assert!(notes.contains("### Bug fixes\n\n- handle empty names ([#12](https://github.com/Codertocat/Hello-World/pull/12)) ("), "{notes}");
    assert!(
        notes.contains("by Mona Lisa") && notes.contains("### Contributors\n\nMona Lisa"),
        "{notes}"
    );
    assert!(
        !notes.contains("Initial commit"),
        "commits before the previous tag are left out: {notes}"
    );
    let assets = app
        .sim_get(REPO, &format!("/releases/{}/assets", release["id"]))
        .await;
    let names: Vec<&str> = assets
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["dist.zip"], "only the configured artifact");
    assert_eq!(assets[0]["size"], 3000);
    let tag = app.sim_get(REPO, "/git/ref/tags/v0.1.0").await;
    assert_eq!(
        tag["object"]["sha"], head,
        "the tag is at the released head: {tag}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_maintainers_release_is_held_then_each_approved_step_goes_on_until_it_is_published() {
    let (app, head) = releases_app().await;
    let delivery = say(&app, MAINTAINER, "@gantry release v0.1.0").await;
    let runs = release_runs(&app, &delivery).await;
    assert!(
        !runs.is_empty() && runs.iter().all(|(outcome, _)| outcome == "ok"),
        "{runs:?}"
    );
    let first = reply_number(&app, 1).await;
    let mut approval = held_by(&first).unwrap_or_else(|| panic!("not held: {first}"));
    assert!(
        first.contains("release `v0.1.0`") && first.contains("### Bug fixes"),
        "the reply shows the notes: {first}"
    );
    assert!(
        releases(&app).await.is_empty(),
        "nothing is created before the approval"
    );
    assert_eq!(pending_approvals(&app).await, 1);

    // Under the default policy every contents write asks: create, attach, publish.
    let mut steps = 0;
    loop {
        steps += 1;
        assert!(
            steps <= 3,
            "more held steps than create, attach and publish"
        );
        approve(&app, &approval).await;
        let next = reply_number(&app, steps + 1).await;
        match held_by(&next) {
            Some(id) => approval = id,
            None => {
                assert!(
                    next.contains("released [`v0.1.0`]") && next.contains("`dist.zip`"),
                    "{next}"
                );
                break;
            }
        }
    }
    assert_eq!(steps, 3, "create, attach dist.zip, publish");
    assert_released(&app, &head).await;
    assert_eq!(pending_approvals(&app).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_contents_write_allowed_for_the_follow_up_one_approval_makes_the_whole_release() {
    let (app, head) = releases_app().await;
    say(&app, MAINTAINER, "@gantry release v0.1.0").await;
    let first = reply_number(&app, 1).await;
    let approval = held_by(&first).unwrap_or_else(|| panic!("not held: {first}"));
    // The operator lets the releases plugin write contents on its own once a
    // maintainer has approved the release (see docs/plugins/releases.md).
    let rule = RuleForm {
        scope: format!("repo:{OWNER}/{NAME}"),
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
        &gantry_server::domain::Actor::user("test", None),
        rule,
    )
    .await
    .unwrap();
    approve(&app, &approval).await;
    let done = reply_number(&app, 2).await;
    assert!(
        done.contains("released [`v0.1.0`]") && done.contains("`dist.zip`"),
        "{done}"
    );
    assert_released(&app, &head).await;
    assert_eq!(replies(&app).await.len(), 2, "no further step was held");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_from_someone_below_maintain_is_ignored() {
    let (app, _) = releases_app().await;
    let delivery = say(&app, WRITER, "@gantry release v0.1.0").await;
    assert!(
        release_runs(&app, &delivery).await.is_empty(),
        "the plugin is not called"
    );
    assert!(replies(&app).await.is_empty());
    assert_eq!(pending_approvals(&app).await, 0);
    assert!(releases(&app).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_existing_tag_is_refused_with_a_reply() {
    let (app, _) = releases_app().await;
    say(&app, MAINTAINER, "@gantry release v0.0.1").await;
    let reply = reply_number(&app, 1).await;
    assert!(
        reply.contains("tag `v0.0.1` already exists") && reply.contains("no release was made"),
        "{reply}"
    );
    assert_eq!(pending_approvals(&app).await, 0);
    assert!(releases(&app).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_version_that_is_not_semver_is_refused_with_a_reply() {
    let (app, _) = releases_app().await;
    say(&app, MAINTAINER, "/release v1.2").await;
    let reply = reply_number(&app, 1).await;
    assert!(
        reply.contains("`v1.2` is not a semantic version"),
        "{reply}"
    );
    assert_eq!(pending_approvals(&app).await, 0);
    assert!(releases(&app).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_denied_release_is_not_made_and_the_reply_says_so() {
    let (app, _) = releases_app().await;
    say(&app, MAINTAINER, "@gantry release v0.1.0").await;
    let approval = held_by(&reply_number(&app, 1).await).expect("held");
    let deny = app
        .api(Method::POST, &format!("/approvals/{approval}/deny"))
        .send()
        .await
        .unwrap();
    assert_eq!(deny.status(), 200);
    let reply = reply_number(&app, 2).await;
    assert!(
        reply.contains("Release `v0.1.0` was not made") && reply.contains("was denied"),
        "{reply}"
    );
    assert!(releases(&app).await.is_empty());
}
