//! git pushes held for approval keep no state on a replica's disk: the held action
//! in the database carries the refs and a pack of their objects, the workspace is
//! gone when the invocation ends, and another replica on the same database (with a
//! data directory of its own) pushes it once when approved, a forced mirror with
//! its `+` over a diverged destination. A pack over
//! `approvals.max_held_push_bytes` is refused and nothing is held. Approvals held
//! before packs (a kept directory) still push while the directory exists and fail
//! clearly once it is gone.
use std::path::Path;
use std::time::Duration;

use gantry_server::config::Settings;
use gantry_server::db::approvals::{self, NewApproval};
use gantry_server::{Application, Extras};
use reqwest::Method;

use crate::git::{clone_from_data_dir, clone_from_simulator, git, seed_repository};
use crate::helpers::{
    corpus_payload, delivery_id, spawn_app, AppOptions, Plugins, TestApp, API_TOKEN,
};

/// Opens an issue (the gitter fixture clones, commits, tags `v0.1.0` and pushes);
/// returns the run's outcome, message and log.
async fn open_issue(app: &TestApp) -> (String, String, String) {
    let id = delivery_id();
    assert_eq!(
        app.post_webhook("issues", &id, &corpus_payload("issues/opened.payload.json"))
            .await
            .status(),
        202
    );
    app.wait_for_idle_queue(Duration::from_secs(60)).await;
    let run = app.runs_of(&id).await.pop().expect("the plugin ran");
    (
        run.outcome,
        run.message.unwrap_or_default(),
        run.log.unwrap_or_default(),
    )
}

/// What follows `prefix` in `log`, up to the next blank.
fn after<'a>(log: &'a str, prefix: &str) -> &'a str {
    log.split(prefix)
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_else(|| panic!("no `{prefix}` in:\n{log}"))
}

/// Entries under `dir`, 0 when it does not exist.
fn entries(dir: &Path) -> usize {
    std::fs::read_dir(dir).map(Iterator::count).unwrap_or(0)
}

/// A second server on the first one's database and simulator, with a data
/// directory of its own and the plugins it finds installed in the database.
async fn second_replica(first: &TestApp) -> (String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut settings: Settings = (*first.state.settings).clone();
    settings.data_dir = dir.path().to_path_buf();
    settings.server.listen = "127.0.0.1:0".into();
    settings.plugins.dir = dir.path().join("no-plugins-here");
    let app = Application::build(
        settings,
        Extras {
            observer: None,
            sandbox: false,
            plugins: None,
        },
    )
    .await
    .unwrap();
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    (address, dir)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_push_leaves_no_directory_and_another_replica_pushes_it_once_when_approved() {
    let app = spawn_app(AppOptions {
        plugins: Plugins::Named(&["gitter"]),
        tweak: Some(clone_from_simulator),
        ..AppOptions::default()
    })
    .await;
    let (outcome, message, log) = open_issue(&app).await;
    assert_eq!(outcome, "ok", "{message}\n{log}");
    let id = after(&log, "push held for approval: ").to_owned();
    let commit = after(&log, "committed ").to_owned();

    // Nothing of the push is left on this replica's disk once the invocation ended.
    assert_eq!(
        entries(&app.dir.path().join("workspaces")),
        0,
        "a workspace was left behind"
    );
    assert!(
        !app.dir.path().join("held-pushes").exists(),
        "a held push was kept on disk"
    );
    let receive_pack = "/Codertocat/Hello-World.git/git-receive-pack";
    assert_eq!(
        app.sim.request_count("POST", receive_pack),
        0,
        "pushed before approval"
    );
    let tag_url = app.sim_repo_url("Codertocat/Hello-World", "/git/ref/tags/v0.1.0");
    assert_eq!(
        app.http
            .get(&tag_url)
            .bearer_auth("test-token")
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    // The database holds the push: its refs, what it builds on, and only the objects
    // GitHub lacked (the commit, its tree, the changed file and the tag object).
    let bare = app.sim.git_root().join("codertocat/hello-world.git");
    let base = git(&["rev-parse", "master"], &bare).trim().to_owned();
    let stored = approvals::find(&app.state.db, &id)
        .await
        .unwrap()
        .expect("the approval is stored");
    let action: serde_json::Value = serde_json::from_str(&stored.action).unwrap();
    assert_eq!(action["kind"], "git_push_pack", "{action}");
    let names: Vec<&str> = action["pack"]["refs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["refs/heads/master", "refs/tags/v0.1.0"]);
    assert_eq!(action["pack"]["refs"][0]["id"], commit.as_str());
    assert_eq!(action["pack"]["based_on"], serde_json::json!([base]));
    use base64::Engine as _;
    let pack = base64::engine::general_purpose::STANDARD
        .decode(action["pack"]["data"].as_str().unwrap())
        .unwrap();
    assert_eq!(&pack[..4], b"PACK");
    assert_eq!(
        u32::from_be_bytes(pack[8..12].try_into().unwrap()),
        4,
        "objects in the pack"
    );
    // Even the workspace root goes: the approval must not need it.
    let _ = std::fs::remove_dir_all(app.dir.path().join("workspaces"));

    let (replica, _replica_dir) = second_replica(&app).await;
    let approve = app
        .http
        .post(format!("{replica}/api/v1/approvals/{id}/approve"))
        .bearer_auth(API_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(approve.status(), 200, "{}", approve.text().await.unwrap());

    assert_eq!(
        git(&["rev-parse", "master"], &bare).trim(),
        commit,
        "the branch is at the plugin's commit"
    );
    assert_eq!(
        git(&["rev-parse", "v0.1.0^{commit}"], &bare).trim(),
        commit,
        "the tag names the plugin's commit"
    );
    assert_eq!(
        git(&["cat-file", "-t", "v0.1.0"], &bare).trim(),
        "tag",
        "the annotated tag object was pushed"
    );
    let subjects = git(&["log", "--format=%s", "master"], &bare);
    assert_eq!(
        subjects.lines().filter(|s| *s == "Release v0.1.0").count(),
        1,
        "{subjects}"
    );
    let branch = app
        .sim_get("Codertocat/Hello-World", "/branches/master")
        .await;
    assert_eq!(branch["commit"]["sha"], commit.as_str(), "{branch}");
    assert_eq!(
        app.sim.request_count("POST", receive_pack),
        1,
        "pushed exactly once"
    );

    // Approved is done: neither replica runs it again.
    assert_eq!(
        app.api(Method::POST, &format!("/approvals/{id}/approve"))
            .send()
            .await
            .unwrap()
            .status(),
        409
    );
    assert_eq!(app.sim.request_count("POST", receive_pack), 1);
}

fn tiny_cap(settings: &mut Settings) {
    clone_from_data_dir(settings);
    settings.approvals.max_held_push_bytes = 64;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_push_over_the_pack_cap_is_refused_clearly_and_nothing_is_held() {
    let app = spawn_app(AppOptions {
        plugins: Plugins::Named(&["gitter"]),
        tweak: Some(tiny_cap),
        ..AppOptions::default()
    })
    .await;
    let bare = seed_repository(&app);
    let (_, message, log) = open_issue(&app).await;
    let said = format!("{message}\n{log}");
    assert!(
        said.contains("cannot be held for approval")
            && said.contains("max_held_push_bytes")
            && said.contains("allow `git:push`"),
        "{said}"
    );
    assert!(!said.contains("push held for approval"), "{said}");
    let held: serde_json::Value = app
        .api(Method::GET, "/approvals")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        held["approvals"].as_array().map(Vec::len),
        Some(0),
        "{held}"
    );
    assert_eq!(git(&["tag"], &bare).trim(), "", "nothing pushed");
    assert_eq!(
        entries(&app.dir.path().join("workspaces")),
        0,
        "a workspace was left behind"
    );
    let refused = gantry_server::db::audit::with_action(&app.state.db, "approval.refused")
        .await
        .unwrap();
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!(refused[0].outcome.as_deref(), Some("too_large"));
}

/// Stores an approval as servers before packed pushes did: a `git_push` naming a
/// kept directory.
async fn legacy_approval(app: &TestApp, id: &str, dir: &Path) {
    let url = format!(
        "file://{}/repos/Codertocat/Hello-World.git",
        app.dir.path().display()
    );
    let action = serde_json::json!({ "kind": "git_push", "dir": dir.display().to_string(), "url": url, "branch": "main", "tags": [] });
    let new = NewApproval {
        public_id: id,
        delivery_id: "legacy-delivery",
        plugin: "gitter",
        capability: "git:push",
        repository: "Codertocat/Hello-World",
        action: &action.to_string(),
        requested_by: &[],
        pull_number: None,
        head_sha: None,
        decided_on: None,
        approvals_required: 1,
    };
    approvals::create(&app.state.db, new).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approval_held_before_packs_pushes_from_its_directory_and_fails_clearly_without_it() {
    let app = spawn_app(AppOptions {
        plugins: Plugins::Named(&["gitter"]),
        tweak: Some(clone_from_data_dir),
        ..AppOptions::default()
    })
    .await;
    let bare = seed_repository(&app);
    let kept = app.dir.path().join("held-pushes/ap_legacy");
    git(
        &[
            "clone",
            "-q",
            bare.to_str().unwrap(),
            kept.to_str().unwrap(),
        ],
        app.dir.path(),
    );
    std::fs::write(kept.join("CHANGELOG.md"), "# Changes\n- legacy\n").unwrap();
    git(&["commit", "-q", "-am", "legacy change"], &kept);
    let commit = git(&["rev-parse", "HEAD"], &kept).trim().to_owned();

    legacy_approval(&app, "ap_legacy", &kept).await;
    let approve = app
        .api(Method::POST, "/approvals/ap_legacy/approve")
        .send()
        .await
        .unwrap();
    assert_eq!(approve.status(), 200, "{}", approve.text().await.unwrap());
    assert_eq!(git(&["rev-parse", "main"], &bare).trim(), commit);
    assert!(
        !kept.exists(),
        "the kept directory is removed after the push"
    );

    legacy_approval(&app, "ap_gone", &app.dir.path().join("held-pushes/ap_gone")).await;
    let approve = app
        .api(Method::POST, "/approvals/ap_gone/approve")
        .send()
        .await
        .unwrap();
    assert_eq!(approve.status(), 502);
    let body: serde_json::Value = approve.json().await.unwrap();
    let message = body["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("not on this replica's disk") && message.contains("run the plugin again"),
        "{body}"
    );
    assert_eq!(
        git(&["rev-parse", "main"], &bare).trim(),
        commit,
        "nothing else pushed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_forced_mirror_is_pushed_by_another_replica_over_a_diverged_destination() {
    let app = spawn_app(AppOptions {
        plugins: Plugins::Named(&["mirrorer"]),
        tweak: Some(clone_from_data_dir),
        ..AppOptions::default()
    })
    .await;
    let source = seed_repository(&app);
    let work = app.dir.path().join("seed");
    git(&["tag", "-a", "v1", "-m", "one"], &work);
    git(&["push", "-q", source.to_str().unwrap(), "v1"], &work);
    // The destination's main has a commit the source never had.
    let mirror = app.dir.path().join("repos/Codertocat/mirror.git");
    git(
        &[
            "clone",
            "-q",
            "--bare",
            source.to_str().unwrap(),
            mirror.to_str().unwrap(),
        ],
        app.dir.path(),
    );
    let other = app.dir.path().join("other");
    git(
        &[
            "clone",
            "-q",
            mirror.to_str().unwrap(),
            other.to_str().unwrap(),
        ],
        app.dir.path(),
    );
    std::fs::write(other.join("stray.txt"), "not in the source\n").unwrap();
    git(&["add", "."], &other);
    git(&["commit", "-q", "-m", "diverged"], &other);
    git(&["push", "-q", "origin", "main"], &other);
    git(&["tag", "-d", "v1"], &mirror);

    let config = serde_json::json!({ "destination": "Codertocat/mirror", "branches": ["main"], "tags": true, "force": true });
    assert_eq!(
        app.api(Method::PUT, "/plugins/mirrorer/config")
            .json(&config)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let enable = app
        .api(Method::POST, "/plugins/mirrorer/enable")
        .json(&serde_json::json!({ "project": "Codertocat/mirror" }))
        .send()
        .await
        .unwrap();
    assert_eq!(enable.status(), 200);
    let accept = app
        .api(Method::PUT, "/plugins/mirrorer/projects/Codertocat/mirror")
        .json(&serde_json::json!({ "accept_mirrors_from": ["Codertocat/Hello-World"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(accept.status(), 200);
    let (outcome, message, log) = open_issue(&app).await;
    assert_eq!(outcome, "ok", "{message}\n{log}");
    let id = after(&log, "mirror held for approval: ").to_owned();
    assert_eq!(
        entries(&app.dir.path().join("workspaces")),
        0,
        "a workspace was left behind"
    );
    let stored = approvals::find(&app.state.db, &id)
        .await
        .unwrap()
        .expect("the approval is stored");
    let action: serde_json::Value = serde_json::from_str(&stored.action).unwrap();
    assert_eq!(action["kind"], "git_mirror_pack", "{action}");
    assert_eq!(
        action["refspecs"],
        serde_json::json!([
            "+refs/remotes/origin/main:refs/heads/main",
            "+refs/tags/v1:refs/tags/v1"
        ])
    );

    let (replica, _replica_dir) = second_replica(&app).await;
    let approve = app
        .http
        .post(format!("{replica}/api/v1/approvals/{id}/approve"))
        .bearer_auth(API_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(approve.status(), 200, "{}", approve.text().await.unwrap());
    assert_eq!(
        git(&["rev-parse", "main"], &mirror),
        git(&["rev-parse", "main"], &source),
        "the diverged main was forced to the source's"
    );
    assert_eq!(
        git(&["rev-parse", "v1"], &mirror),
        git(&["rev-parse", "v1"], &source),
        "the annotated tag came along"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_push_whose_base_was_force_pushed_away_fails_saying_so() {
    let app = spawn_app(AppOptions {
        plugins: Plugins::Named(&["gitter"]),
        tweak: Some(clone_from_data_dir),
        ..AppOptions::default()
    })
    .await;
    let bare = seed_repository(&app);
    let (outcome, message, log) = open_issue(&app).await;
    assert_eq!(outcome, "ok", "{message}\n{log}");
    let id = after(&log, "push held for approval: ").to_owned();
    // Before anyone approves, main is replaced by an unrelated history.
    let other = app.dir.path().join("rewritten");
    std::fs::create_dir_all(&other).unwrap();
    git(&["init", "-q"], &other);
    std::fs::write(other.join("README.md"), "rewritten\n").unwrap();
    git(&["add", "."], &other);
    git(&["commit", "-q", "-m", "a new root"], &other);
    git(
        &["push", "-q", "--force", bare.to_str().unwrap(), "main"],
        &other,
    );
    let rewritten = git(&["rev-parse", "main"], &bare);

    let approve = app
        .api(Method::POST, &format!("/approvals/{id}/approve"))
        .send()
        .await
        .unwrap();
    assert_eq!(approve.status(), 502);
    let body: serde_json::Value = approve.json().await.unwrap();
    let said = body["message"].as_str().unwrap_or_default();
    assert!(
        said.contains("builds on commit")
            && said.contains("no longer has")
            && said.contains("run the plugin again"),
        "{body}"
    );
    assert_eq!(
        git(&["rev-parse", "main"], &bare),
        rewritten,
        "nothing pushed"
    );
    assert_eq!(git(&["tag"], &bare).trim(), "");
}
