//! git workspaces through the real `gitter` fixture: a clone of the event's
//! repository (a local bare repository standing in for GitHub), a commit and an
//! annotated tag, a push that is allowed or held for approval, and paths that would
//! leave the workspace refused; and the same over the simulator's git smart HTTP
//! with the API token, the pushed tag then visible through the refs API.
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use gantry_server::config::Settings;
use gantry_server::services::policies::{self, RuleForm};
use reqwest::Method;

use crate::helpers::{corpus_payload, delivery_id, spawn_app, AppOptions, Plugins, TestApp};

pub(crate) fn git(args: &[&str], dir: &Path) -> String {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=Test",
            "-c",
            "user.email=test@example.com",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Clones come from `<data_dir>/repos/{owner}/{name}.git`.
pub(crate) fn clone_from_data_dir(settings: &mut Settings) {
    settings.github.git_url = format!("file://{}/repos", settings.data_dir.display());
}

/// A bare `Codertocat/Hello-World` with one commit on `main`.
pub(crate) fn seed_repository(app: &TestApp) -> PathBuf {
    let bare = app.dir.path().join("repos/Codertocat/Hello-World.git");
    std::fs::create_dir_all(&bare).unwrap();
    git(&["init", "--bare", "-q"], &bare);
    let work = app.dir.path().join("seed");
    std::fs::create_dir_all(&work).unwrap();
    git(&["init", "-q"], &work);
    std::fs::write(work.join("CHANGELOG.md"), "# Changes\n").unwrap();
    git(&["add", "."], &work);
    git(&["commit", "-q", "-m", "Initial commit"], &work);
    git(&["push", "-q", bare.to_str().unwrap(), "main"], &work);
    bare
}

async fn gitter_app() -> (TestApp, PathBuf) {
    let app = spawn_app(AppOptions {
        plugins: Plugins::Named(&["gitter"]),
        tweak: Some(clone_from_data_dir),
        ..AppOptions::default()
    })
    .await;
    let bare = seed_repository(&app);
    (app, bare)
}

async fn open_issue(app: &TestApp) -> String {
    let id = delivery_id();
    assert_eq!(
        app.post_webhook("issues", &id, &corpus_payload("issues/opened.payload.json"))
            .await
            .status(),
        202
    );
    app.wait_for_idle_queue(Duration::from_secs(30)).await;
    let run = app.runs_of(&id).await.pop().unwrap();
    assert_eq!(run.outcome, "ok", "{run:?}");
    run.log.unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_allowed_push_lands_the_commit_and_tag_and_escapes_are_refused() {
    let (app, bare) = gitter_app().await;
    let rule = RuleForm {
        scope: "global".into(),
        plugin: Some("gitter".into()),
        capability: "git:push".into(),
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
    let log = open_issue(&app).await;
    for escape in ["../outside.txt", "/etc/passwd", ".git/config"] {
        assert!(
            log.contains(&format!("refused {escape}")),
            "{escape} was not refused:\n{log}"
        );
    }
    assert!(
        log.contains("pushed") && log.contains("tags: [\"v0.1.0\"]"),
        "{log}"
    );
    assert_eq!(git(&["tag"], &bare).trim(), "v0.1.0");
    let head = git(&["log", "-1", "--format=%s|%an|%cn", "main"], &bare);
    assert_eq!(head.trim(), "Release v0.1.0|Release Bot|gantry[bot]");
    assert_eq!(
        git(&["show", "main:CHANGELOG.md"], &bare),
        "# Changes\n- v0.1.0\n"
    );
    // The workspace is gone once the call ended.
    let left = std::fs::read_dir(app.dir.path().join("workspaces"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(left, 0, "workspaces left behind");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_under_the_default_ask_waits_for_approval_then_lands_once() {
    let (app, bare) = gitter_app().await;
    let log = open_issue(&app).await;
    let id = log
        .split("push held for approval: ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_else(|| panic!("not held:\n{log}"))
        .to_owned();
    assert_eq!(
        git(&["tag"], &bare).trim(),
        "",
        "nothing pushed before approval"
    );
    let approve = app
        .api(Method::POST, &format!("/approvals/{id}/approve"))
        .send()
        .await
        .unwrap();
    assert_eq!(approve.status(), 200, "{}", approve.text().await.unwrap());
    assert_eq!(git(&["tag"], &bare).trim(), "v0.1.0");
    assert_eq!(
        git(&["log", "-1", "--format=%s", "main"], &bare).trim(),
        "Release v0.1.0"
    );
    assert!(
        !app.dir.path().join("held-pushes").join(&id).exists(),
        "the kept workspace is removed after the push"
    );
    let again = app
        .api(Method::POST, &format!("/approvals/{id}/approve"))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 409);
}

/// Clones come from the simulator's git smart HTTP, with the API's token.
pub(crate) fn clone_from_simulator(settings: &mut Settings) {
    settings.github.git_url = settings.github.api_url.clone();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_over_smart_http_with_the_token_shows_the_tag_in_the_refs_api() {
    let app = spawn_app(AppOptions {
        plugins: Plugins::Named(&["gitter"]),
        tweak: Some(clone_from_simulator),
        ..AppOptions::default()
    })
    .await;
    let rule = RuleForm {
        scope: "global".into(),
        plugin: Some("gitter".into()),
        capability: "git:push".into(),
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
    let log = open_issue(&app).await;
    assert!(log.contains("pushed"), "{log}");
    let tag: serde_json::Value = app
        .http
        .get(format!(
            "{}/repos/Codertocat/Hello-World/git/ref/tags/v0.1.0",
            app.state.settings.github.api_url
        ))
        .bearer_auth("test-token")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(tag["ref"], "refs/tags/v0.1.0", "{tag}");
    let commit_sha = log
        .split("committed ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap();
    let branch: serde_json::Value = app
        .http
        .get(format!(
            "{}/repos/Codertocat/Hello-World/branches/master",
            app.state.settings.github.api_url
        ))
        .bearer_auth("test-token")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(branch["commit"]["sha"], commit_sha, "{branch}");
}

/// A source with `master`, `feature` and tag `v1`, and an empty bare mirror.
async fn mirror_app() -> (TestApp, PathBuf) {
    let app = spawn_app(AppOptions {
        plugins: Plugins::Named(&["mirrorer"]),
        tweak: Some(clone_from_data_dir),
        ..AppOptions::default()
    })
    .await;
    let source = seed_repository(&app);
    let work = app.dir.path().join("seed");
    git(&["checkout", "-q", "-b", "feature"], &work);
    std::fs::write(work.join("feature.txt"), "wip\n").unwrap();
    git(&["add", "."], &work);
    git(&["commit", "-q", "-m", "feature work"], &work);
    git(&["tag", "v1", "main"], &work);
    git(
        &["push", "-q", source.to_str().unwrap(), "feature", "v1"],
        &work,
    );
    let mirror = app.dir.path().join("repos/Codertocat/mirror.git");
    std::fs::create_dir_all(&mirror).unwrap();
    git(&["init", "--bare", "-q"], &mirror);
    (app, mirror)
}

fn allow_push(scope: &str) -> RuleForm {
    RuleForm {
        scope: scope.into(),
        plugin: Some("mirrorer".into()),
        capability: "git:push".into(),
        effect: "allow".into(),
        branch: None,
        event_branch: None,
        min_permission: None,
        enforced: false,
        approvals: None,
    }
}

/// The destination's own configuration accepts mirrors from the source.
async fn accept_source(app: &TestApp) {
    let answer = app
        .api(Method::PUT, "/plugins/mirrorer/projects/Codertocat/mirror")
        .json(&serde_json::json!({ "accept_mirrors_from": ["Codertocat/Hello-World"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
}

async fn configure_mirror(app: &TestApp, branches: &[&str]) {
    let config = serde_json::json!({ "destination": "Codertocat/mirror", "branches": branches, "tags": true, "force": false });
    assert_eq!(
        app.api(Method::PUT, "/plugins/mirrorer/config")
            .json(&config)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mirror_needs_the_plugin_enabled_on_the_destination_and_then_gets_branches_and_tags() {
    let (app, mirror) = mirror_app().await;
    configure_mirror(&app, &["main", "feature"]).await;
    let log = open_issue(&app).await;
    assert!(log.contains("branches: feature,main"), "{log}");
    assert!(log.contains("is not enabled on Codertocat/mirror"), "{log}");
    assert_eq!(git(&["for-each-ref"], &mirror).trim(), "", "nothing pushed");

    let enable = app
        .api(Method::POST, "/plugins/mirrorer/enable")
        .json(&serde_json::json!({ "project": "Codertocat/mirror" }))
        .send()
        .await
        .unwrap();
    assert_eq!(enable.status(), 200);
    policies::add(
        &app.state.db,
        app.state.audit_key(),
        &gantry_server::domain::Actor::user("test", None),
        allow_push("repo:codertocat/mirror"),
    )
    .await
    .unwrap();
    let log = open_issue(&app).await;
    assert!(
        log.contains("Codertocat/mirror does not accept mirrors from Codertocat/Hello-World"),
        "{log}"
    );
    assert_eq!(git(&["for-each-ref"], &mirror).trim(), "", "nothing pushed");
    accept_source(&app).await;
    let log = open_issue(&app).await;
    assert!(log.contains("mirrored"), "{log}");
    let refs = git(&["for-each-ref", "--format=%(refname)"], &mirror);
    assert_eq!(
        refs.lines().collect::<Vec<_>>(),
        ["refs/heads/feature", "refs/heads/main", "refs/tags/v1"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mirror_under_the_default_ask_waits_for_approval_and_the_policy_is_the_destinations() {
    let (app, mirror) = mirror_app().await;
    configure_mirror(&app, &["main"]).await;
    let enable = app
        .api(Method::POST, "/plugins/mirrorer/enable")
        .json(&serde_json::json!({ "project": "Codertocat/mirror" }))
        .send()
        .await
        .unwrap();
    assert_eq!(enable.status(), 200);
    accept_source(&app).await;
    // Allowing pushes on the source changes nothing: the destination's policy decides.
    policies::add(
        &app.state.db,
        app.state.audit_key(),
        &gantry_server::domain::Actor::user("test", None),
        allow_push("repo:codertocat/hello-world"),
    )
    .await
    .unwrap();
    let log = open_issue(&app).await;
    let id = log
        .split("mirror held for approval: ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_else(|| panic!("not held:\n{log}"))
        .to_owned();
    assert_eq!(git(&["for-each-ref"], &mirror).trim(), "");
    let approve = app
        .api(Method::POST, &format!("/approvals/{id}/approve"))
        .send()
        .await
        .unwrap();
    assert_eq!(approve.status(), 200, "{}", approve.text().await.unwrap());
    let refs = git(&["for-each-ref", "--format=%(refname)"], &mirror);
    assert_eq!(
        refs.lines().collect::<Vec<_>>(),
        ["refs/heads/main", "refs/tags/v1"]
    );
}

/// Pushes a commit holding `bytes` of incompressible data to the simulator's
/// `Codertocat/Hello-World` over its git smart HTTP.
fn push_big_commit(app: &TestApp, bytes: usize) {
    let work = app.dir.path().join("big");
    std::fs::create_dir_all(&work).unwrap();
    let url = format!(
        "{}/Codertocat/Hello-World.git",
        app.state
            .settings
            .github
            .api_url
            .replace("http://", "http://x-access-token:test-token@")
    );
    git(&["clone", "-q", &url, "."], &work);
    // A xorshift stream: no compression shrinks it.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let data: Vec<u8> = (0..bytes)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x.to_le_bytes()[0]
        })
        .collect();
    std::fs::write(work.join("big.bin"), data).unwrap();
    git(&["add", "."], &work);
    git(&["commit", "-q", "-m", "a big file"], &work);
    git(&["push", "-q", "origin", "HEAD"], &work);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clone_over_the_workspace_cap_is_stopped_while_it_downloads_not_after() {
    let app = spawn_app(AppOptions {
        plugins: Plugins::None,
        tweak: Some(clone_from_simulator),
        ..AppOptions::default()
    })
    .await;
    app.sim.learn(
        "issues",
        &serde_json::from_slice(&corpus_payload("issues/opened.payload.json")).unwrap(),
    );
    tokio::task::block_in_place(|| push_big_commit(&app, 4 * 1024 * 1024));
    let remote = gantry_server::git::Remote {
        url: format!(
            "{}/Codertocat/Hello-World.git",
            app.state.settings.github.api_url
        ),
        token: Some(gantry_server::domain::Secret::new("test-token")),
    };
    let root = app.dir.path().join("workspaces");
    let cap = 1024 * 1024;
    let cloned = tokio::task::spawn_blocking({
        let root = root.clone();
        move || gantry_server::git::Workspace::clone(&root, remote, None, cap)
    })
    .await
    .unwrap();
    let err = cloned.expect_err("a 4 MiB clone under a 1 MiB cap");
    assert!(
        matches!(&err, gantry_server::git::GitError::TooLarge(m) if m.contains("stopped after")),
        "{err}"
    );
    let left: Vec<_> = std::fs::read_dir(&root).unwrap().collect();
    assert!(left.is_empty(), "the partial clone was left on disk");
}

/// A git server that redirects every request to `target`, and one that asks for
/// credentials and records whether any came.
async fn redirect_then_challenge() -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let challenger = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let other = challenger.local_addr().unwrap().port();
    let heads = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = challenger.accept().await {
            let mut buf = vec![0u8; 8192];
            let n = socket.read(&mut buf).await.unwrap_or(0);
            heads
                .lock()
                .unwrap()
                .push(String::from_utf8_lossy(&buf[..n]).into_owned());
            let _ = socket
                .write_all(b"HTTP/1.1 401 Unauthorized\r\nwww-authenticate: Basic realm=\"git\"\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                .await;
        }
    });
    let redirector = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = redirector.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = redirector.accept().await {
            let mut buf = vec![0u8; 8192];
            let n = socket.read(&mut buf).await.unwrap_or(0);
            let head = String::from_utf8_lossy(&buf[..n]).into_owned();
            let path = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
            let answer = format!("HTTP/1.1 302 Found\r\nlocation: http://127.0.0.1:{other}{path}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
            let _ = socket.write_all(answer.as_bytes()).await;
        }
    });
    (format!("http://127.0.0.1:{port}/o/r.git"), seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_git_token_is_not_handed_to_a_host_a_redirect_leads_to() {
    let (url, seen) = redirect_then_challenge().await;
    let dir = tempfile::tempdir().unwrap();
    let remote = gantry_server::git::Remote {
        url,
        token: Some(gantry_server::domain::Secret::new("installation-token-x")),
    };
    let root = dir.path().to_path_buf();
    let cloned = tokio::task::spawn_blocking(move || {
        gantry_server::git::Workspace::clone(&root, remote, None, 1024 * 1024)
    })
    .await
    .unwrap();
    assert!(cloned.is_err());
    let heads = seen.lock().unwrap().clone();
    assert!(!heads.is_empty(), "the redirect was not followed");
    assert!(
        heads
            .iter()
            .all(|h| !h.to_ascii_lowercase().contains("authorization:")),
        "the token went to the other host: {heads:?}"
    );
}
