//! The bundled `sync` plugin end to end, with local bare repositories standing in
//! for GitHub's git (`<data_dir>/repos/...`, see `git.rs`): a push event on the
//! source mirrors the matching branches to a destination the plugin is enabled on; a
//! diverged destination branch is refused and recorded unless the mirror allows
//! force; `@gantry sync` by a maintainer runs now and replies with the status; and a
//! scheduled tick runs the mirror whose cron matches and not the other.
use std::path::PathBuf;
use std::time::Duration;

use gantry_server::config::Settings;
use gantry_server::db::kv::{self, KvScope};
use gantry_server::services::policies::{self, RuleForm};
use reqwest::Method;
use serde_json::{json, Value};

use crate::git::{clone_from_data_dir, git, seed_repository};
use crate::helpers::{
    corpus_payload, delivery_id, spawn_app, wait_until, AppOptions, Plugins, TestApp,
};

const SOURCE: &str = "Codertocat/Hello-World";
const MAINTAINER: &str = "maintainer";

fn every_second_from_data_dir(settings: &mut Settings) {
    clone_from_data_dir(settings);
    settings.schedule.interval_secs = 1;
}

/// A source with `main`, `release/1` and `feature` and tag `v1`; empty bare
/// destinations `mirror` and `other`, both with the plugin enabled on them by name,
/// accepting mirrors from the source and with pushes allowed there. Returns the app
/// and the `mirror` destination.
async fn sync_app(config: Value, tweak: fn(&mut Settings)) -> (TestApp, PathBuf) {
    sync_app_accepting(config, tweak, &[SOURCE]).await
}

/// [`sync_app`] with destinations that accept mirrors from `sources` only.
async fn sync_app_accepting(
    config: Value,
    tweak: fn(&mut Settings),
    sources: &[&str],
) -> (TestApp, PathBuf) {
    let app = spawn_app(AppOptions {
        plugins: Plugins::Named(&["sync"]),
        configs: vec![("sync", config)],
        tweak: Some(tweak),
        ..AppOptions::default()
    })
    .await;
    let source = seed_repository(&app);
    let work = app.dir.path().join("seed");
    for branch in ["release/1", "feature"] {
        git(&["checkout", "-q", "-b", branch, "main"], &work);
        std::fs::write(
            work.join(format!("{}.txt", branch.replace('/', "-"))),
            "work\n",
        )
        .unwrap();
        git(&["add", "."], &work);
        git(&["commit", "-q", "-m", &format!("{branch} work")], &work);
    }
    git(&["checkout", "-q", "main"], &work);
    git(&["tag", "v1", "main"], &work);
    git(
        &[
            "push",
            "-q",
            source.to_str().unwrap(),
            "release/1",
            "feature",
            "v1",
        ],
        &work,
    );
    for name in ["mirror", "other"] {
        let bare = app.dir.path().join(format!("repos/Codertocat/{name}.git"));
        std::fs::create_dir_all(&bare).unwrap();
        git(&["init", "--bare", "-q"], &bare);
        let enable = app
            .api(Method::POST, "/plugins/sync/enable")
            .json(&json!({ "project": format!("Codertocat/{name}") }))
            .send()
            .await
            .unwrap();
        assert_eq!(enable.status(), 200);
        if !sources.is_empty() {
            accept_mirrors(&app, name, sources).await;
        }
        let rule = RuleForm {
            scope: format!("repo:codertocat/{}", name),
            plugin: Some("sync".into()),
            capability: "git:push".into(),
            effect: "allow".into(),
            ..RuleForm::default()
        };
        policies::add(
            &app.state.db,
            app.state.audit_key(),
            &gantry_server::domain::Actor::user("test", None),
            rule,
        )
        .await
        .unwrap();
    }
    let mirror = app.dir.path().join("repos/Codertocat/mirror.git");
    (app, mirror)
}

/// The destination `Codertocat/NAME`'s own configuration (set as its maintainers
/// would) accepts mirrors from `sources`.
async fn accept_mirrors(app: &TestApp, name: &str, sources: &[&str]) {
    let answer = app
        .api(
            Method::PUT,
            &format!("/plugins/sync/projects/Codertocat/{name}"),
        )
        .json(&json!({ "accept_mirrors_from": sources }))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200, "{}", answer.text().await.unwrap());
}

fn one_mirror(extra: Value) -> Value {
    let mut mirror = json!({ "name": "backup", "destination": "Codertocat/mirror", "branches": ["main", "release/*"] });
    if let (Some(m), Some(e)) = (mirror.as_object_mut(), extra.as_object()) {
        m.extend(e.clone());
    }
    json!({ "mirrors": [mirror] })
}

/// Sends a push of `git_ref` on the source and waits for it to be handled; returns
/// the sync plugin's run log.
async fn push_event(app: &TestApp, git_ref: &str) -> String {
    let mut v: Value = serde_json::from_slice(&corpus_payload("push/payload.json")).unwrap();
    v["ref"] = git_ref.into();
    let id = delivery_id();
    assert_eq!(
        app.post_webhook("push", &id, &serde_json::to_vec(&v).unwrap())
            .await
            .status(),
        202
    );
    app.wait_for_idle_queue(Duration::from_secs(60)).await;
    let run = app
        .runs_of(&id)
        .await
        .pop()
        .unwrap_or_else(|| panic!("the sync plugin did not run for {git_ref}"));
    assert_eq!(run.outcome, "ok", "{run:?}");
    run.log.unwrap_or_default()
}

/// A mirror's status in the source's KV (ticks name the source in lower case).
async fn status(app: &TestApp, mirror: &str) -> Option<Value> {
    for project in [SOURCE, &SOURCE.to_lowercase()] {
        let scope = KvScope {
            plugin: "sync",
            project,
        };
        if let Some(v) = kv::get(&app.state.db, scope, &format!("status/{mirror}"))
            .await
            .unwrap()
        {
            return Some(serde_json::from_slice(&v).unwrap());
        }
    }
    None
}

fn refs(bare: &std::path::Path) -> Vec<String> {
    git(&["for-each-ref", "--format=%(refname)"], bare)
        .lines()
        .map(str::to_owned)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plugin_sync_a_push_on_the_source_mirrors_the_matching_branches_and_tags() {
    let (app, mirror) = sync_app(one_mirror(json!({})), clone_from_data_dir).await;
    // A branch no pattern matches runs nothing.
    push_event(&app, "refs/heads/feature").await;
    assert!(refs(&mirror).is_empty(), "nothing mirrored for feature");
    assert_eq!(status(&app, "backup").await, None);

    let log = push_event(&app, "refs/heads/main").await;
    assert!(
        log.contains("mirror backup to Codertocat/mirror: ok"),
        "{log}"
    );
    assert_eq!(
        refs(&mirror),
        ["refs/heads/main", "refs/heads/release/1", "refs/tags/v1"]
    );
    let source = app.dir.path().join("repos/Codertocat/Hello-World.git");
    assert_eq!(
        git(&["rev-parse", "main"], &mirror),
        git(&["rev-parse", "main"], &source)
    );
    let s = status(&app, "backup").await.unwrap();
    assert_eq!(
        (s["outcome"].as_str(), s["trigger"].as_str()),
        (Some("ok"), Some("push")),
        "{s}"
    );
    assert_eq!(s["branches"], json!(["main", "release/1"]));
}

/// Mirrors `main`, then makes the destination's `main` diverge and moves the
/// source's on.
async fn diverge(app: &TestApp, mirror: &std::path::Path) -> String {
    push_event(app, "refs/heads/main").await;
    let other = app.dir.path().join("elsewhere");
    git(
        &[
            "clone",
            "-q",
            mirror.to_str().unwrap(),
            other.to_str().unwrap(),
        ],
        app.dir.path(),
    );
    std::fs::write(other.join("theirs.txt"), "theirs\n").unwrap();
    git(&["add", "."], &other);
    git(&["commit", "-q", "-m", "only on the mirror"], &other);
    git(&["push", "-q", "origin", "main"], &other);
    let work = app.dir.path().join("seed");
    std::fs::write(work.join("ours.txt"), "ours\n").unwrap();
    git(&["add", "."], &work);
    git(&["commit", "-q", "-m", "only on the source"], &work);
    let source = app.dir.path().join("repos/Codertocat/Hello-World.git");
    git(&["push", "-q", source.to_str().unwrap(), "main"], &work);
    git(&["rev-parse", "main"], &source)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plugin_sync_a_diverged_destination_is_refused_and_recorded_without_allow_force() {
    let (app, mirror) = sync_app(one_mirror(json!({})), clone_from_data_dir).await;
    let ours = diverge(&app, &mirror).await;
    let theirs_after = git(&["rev-parse", "main"], &mirror);
    push_event(&app, "refs/heads/main").await;
    assert_eq!(
        git(&["rev-parse", "main"], &mirror),
        theirs_after,
        "the mirror's own commit is kept"
    );
    assert_ne!(git(&["rev-parse", "main"], &mirror), ours);
    let s = status(&app, "backup").await.unwrap();
    assert_eq!(s["outcome"], "refused", "{s}");
    assert!(
        s["message"]
            .as_str()
            .unwrap()
            .starts_with("diverged, force-push not allowed"),
        "{s}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plugin_sync_a_diverged_destination_is_force_pushed_with_allow_force() {
    let (app, mirror) = sync_app(
        one_mirror(json!({ "allow_force": true })),
        clone_from_data_dir,
    )
    .await;
    let ours = diverge(&app, &mirror).await;
    push_event(&app, "refs/heads/main").await;
    assert_eq!(
        git(&["rev-parse", "main"], &mirror),
        ours,
        "the source's main replaced the mirror's"
    );
    let s = status(&app, "backup").await.unwrap();
    assert_eq!(s["outcome"], "ok", "{s}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plugin_sync_at_gantry_sync_by_a_maintainer_runs_now_and_replies_with_the_status() {
    let (app, mirror) = sync_app(one_mirror(json!({})), clone_from_data_dir).await;
    app.sim.learn(
        "issue_comment",
        &serde_json::from_slice(&corpus_payload("issue_comment/created.payload.json")).unwrap(),
    );
    app.grant(SOURCE, MAINTAINER, "maintain").await;

    app.comment(SOURCE, 1, MAINTAINER, "/sync status").await;
    assert!(refs(&mirror).is_empty(), "/sync status runs nothing");
    app.comment(SOURCE, 1, MAINTAINER, "@gantry sync").await;
    assert_eq!(
        refs(&mirror),
        ["refs/heads/main", "refs/heads/release/1", "refs/tags/v1"]
    );

    let comments = app.sim_get(SOURCE, "/issues/1/comments").await;
    let bodies: Vec<&str> = comments
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["body"].as_str())
        .filter(|b| b.starts_with("@maintainer"))
        .collect();
    assert_eq!(bodies.len(), 2, "{bodies:#?}");
    assert!(
        bodies[0].contains("| `backup` | Codertocat/mirror | never |"),
        "{}",
        bodies[0]
    );
    assert!(
        bodies[1].contains("ran 1 mirror(s)")
            && bodies[1].contains("(command) | **ok** | `main`, `release/1` |"),
        "{}",
        bodies[1]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plugin_sync_a_scheduled_tick_runs_the_mirror_whose_cron_matches_and_not_the_other() {
    let config = json!({ "mirrors": [
        { "name": "minutely", "destination": "Codertocat/mirror", "branches": ["main"], "schedule": "* * * * *" },
        { "name": "never", "destination": "Codertocat/other", "branches": ["main"], "schedule": "0 0 31 2 *" },
    ] });
    let (app, mirror) = sync_app(config, every_second_from_data_dir).await;
    // Ticks name the repository as it was enabled, lower case; GitHub's names are
    // case-insensitive, these directories are not.
    let repos = app.dir.path().join("repos");
    std::os::unix::fs::symlink("Codertocat", repos.join("codertocat")).unwrap();
    std::os::unix::fs::symlink("Hello-World.git", repos.join("Codertocat/hello-world.git"))
        .unwrap();
    let enable = app
        .api(Method::POST, "/plugins/sync/enable")
        .json(&json!({ "project": SOURCE }))
        .send()
        .await
        .unwrap();
    assert_eq!(enable.status(), 200);
    let db = app.state.db.clone();
    wait_until(Duration::from_secs(30), "the minutely mirror ran", || {
        let db = db.clone();
        async move {
            let mut found = false;
            for project in [SOURCE.to_owned(), SOURCE.to_lowercase()] {
                found |= kv::get(
                    &db,
                    KvScope {
                        plugin: "sync",
                        project: &project,
                    },
                    "status/minutely",
                )
                .await
                .unwrap()
                .is_some();
            }
            found
        }
    })
    .await;
    // A few more ticks for the other mirror to have had its chances.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let s = status(&app, "minutely").await.unwrap();
    assert_eq!(
        (s["outcome"].as_str(), s["trigger"].as_str()),
        (Some("ok"), Some("schedule")),
        "{s}"
    );
    assert_eq!(refs(&mirror), ["refs/heads/main", "refs/tags/v1"]);
    assert_eq!(status(&app, "never").await, None);
    assert!(refs(&app.dir.path().join("repos/Codertocat/other.git")).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_maintainer_of_one_repository_cannot_force_push_into_another_that_did_not_accept_it() {
    use gantry_server::auth::accounts::{self, Actor};
    use gantry_server::auth::Role;
    // Both repositories have sync enabled and pushes allowed on the destination, but
    // the destination's own configuration names no source.
    let (app, mirror) = sync_app_accepting(json!({}), clone_from_data_dir, &[]).await;
    let db = &app.state.db;
    let cli = Actor::cli();
    app.create_user("mallory", None).await;
    accounts::create_team(db, app.state.audit_key(), &cli, "source-maintainers")
        .await
        .unwrap();
    accounts::add_member(
        db,
        app.state.audit_key(),
        &cli,
        "source-maintainers",
        "mallory",
    )
    .await
    .unwrap();
    accounts::grant(
        db,
        app.state.audit_key(),
        &cli,
        "source-maintainers",
        "codertocat/hello-world",
        Some(Role::Maintainer),
    )
    .await
    .unwrap();
    let mallory = app.sign_in_as("mallory").await;

    // She configures, on the repository she maintains, a forced mirror into another.
    let configured = app
        .as_user(
            &mallory,
            Method::PUT,
            "/api/v1/plugins/sync/projects/Codertocat/Hello-World",
        )
        .json(&one_mirror(json!({ "allow_force": true })))
        .send()
        .await
        .unwrap();
    assert_eq!(
        configured.status(),
        200,
        "{}",
        configured.text().await.unwrap()
    );
    // She cannot make the destination accept it.
    let forged = app
        .as_user(
            &mallory,
            Method::PUT,
            "/api/v1/plugins/sync/projects/Codertocat/mirror",
        )
        .json(&json!({ "accept_mirrors_from": [SOURCE] }))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);

    push_event(&app, "refs/heads/main").await;
    assert!(refs(&mirror).is_empty(), "the destination was written");
    let s = status(&app, "backup").await.unwrap();
    assert_eq!(s["outcome"], "refused", "{s}");
    assert!(
        s["message"]
            .as_str()
            .unwrap()
            .contains("does not accept mirrors from Codertocat/Hello-World"),
        "{s}"
    );

    // Once the destination's maintainers accept the source, the same mirror runs.
    accept_mirrors(&app, "mirror", &[SOURCE]).await;
    push_event(&app, "refs/heads/main").await;
    assert_eq!(
        refs(&mirror),
        ["refs/heads/main", "refs/heads/release/1", "refs/tags/v1"]
    );
}

/// Denies pushes to the destination's `main`, over the allow [`sync_app`] adds.
async fn deny_main_on_the_mirror(app: &TestApp) {
    let rule = RuleForm {
        scope: "repo:codertocat/mirror".into(),
        plugin: Some("sync".into()),
        capability: "git:push".into(),
        effect: "deny".into(),
        branch: Some("main".into()),
        ..RuleForm::default()
    };
    policies::add(
        &app.state.db,
        app.state.audit_key(),
        &gantry_server::domain::Actor::cli(),
        rule,
    )
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deny_on_main_stops_a_forced_mirror_run_by_sync_from_a_comment_without_a_branch() {
    let (app, mirror) = sync_app(
        one_mirror(json!({ "allow_force": true })),
        clone_from_data_dir,
    )
    .await;
    let ours = diverge(&app, &mirror).await;
    let theirs = git(&["rev-parse", "main"], &mirror);
    deny_main_on_the_mirror(&app).await;
    app.sim.learn(
        "issue_comment",
        &serde_json::from_slice(&corpus_payload("issue_comment/created.payload.json")).unwrap(),
    );
    app.grant(SOURCE, MAINTAINER, "maintain").await;

    app.comment(SOURCE, 1, MAINTAINER, "@gantry sync").await;
    assert_eq!(
        git(&["rev-parse", "main"], &mirror),
        theirs,
        "main was force-pushed"
    );
    assert_ne!(theirs, ours);
    let s = status(&app, "backup").await.unwrap();
    assert_eq!(s["outcome"], "refused", "{s}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deny_on_main_stops_a_forced_mirror_run_by_a_push_to_another_branch() {
    let mirror_all = json!({ "mirrors": [{ "name": "backup", "destination": "Codertocat/mirror", "branches": ["main", "dev"], "allow_force": true }] });
    let (app, mirror) = sync_app(mirror_all, clone_from_data_dir).await;
    let ours = diverge(&app, &mirror).await;
    let theirs = git(&["rev-parse", "main"], &mirror);
    deny_main_on_the_mirror(&app).await;
    // A push to dev: the event's branch is dev, the mirror writes main too.
    let work = app.dir.path().join("seed");
    let source = app.dir.path().join("repos/Codertocat/Hello-World.git");
    git(&["checkout", "-q", "-b", "dev", "main"], &work);
    git(&["push", "-q", source.to_str().unwrap(), "dev"], &work);
    push_event(&app, "refs/heads/dev").await;
    assert_eq!(
        git(&["rev-parse", "main"], &mirror),
        theirs,
        "main was force-pushed"
    );
    assert_ne!(theirs, ours);
    let s = status(&app, "backup").await.unwrap();
    assert_eq!(s["outcome"], "refused", "{s}");
    assert!(
        s["message"].as_str().unwrap().contains("not allowed"),
        "{s}"
    );
}
