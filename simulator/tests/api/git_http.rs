//! git over HTTP with the real `git` command: a clone authenticated with an
//! installation token sees what the REST API wrote, a commit and an annotated tag
//! pushed back show in the refs, tags, branches and commits routes (read into
//! octocrab's models), a push to a pull request's branch moves its head, clones
//! without a usable token are refused with a Basic challenge, and faults apply.

use std::{
    path::{Path, PathBuf},
    process::Output,
};

use gantry_simulator::{Fault, FaultKind, Simulator, SimulatorOptions};
use octocrab::{
    models::{apps::CreateInstallationAccessToken, repos::Object, InstallationId},
    params::repos::Reference,
};

use crate::{
    apps::{app_jwt, with_app, INSTALLATION},
    helpers::{payload, serve, with_pull, Served, OWNER, REPO},
};

/// Runs `git args...` in `dir` off the async thread, with no system or user
/// configuration, no credential helper and never a prompt.
async fn git(dir: &Path, args: &[&str]) -> Output {
    let dir = dir.to_owned();
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    actix_web::rt::task::spawn_blocking(move || {
        std::process::Command::new("git")
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
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

/// Runs git and insists it succeeds; its standard output, trimmed.
async fn git_ok(dir: &Path, args: &[&str]) -> String {
    let out = git(dir, args).await;
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// The clone URL of Codertocat/Hello-World with `token` as password, if any.
fn clone_url(served: &Served, token: Option<&str>) -> String {
    let host = served.base.trim_start_matches("http://");
    match token {
        Some(token) => format!("http://x-access-token:{token}@{host}/{OWNER}/{REPO}.git"),
        None => format!("http://{host}/{OWNER}/{REPO}.git"),
    }
}

/// An installation token, asked for with an App JWT as the platform would.
async fn installation_token(served: &Served) -> String {
    served
        .with_token(&app_jwt())
        .apps()
        .create_installation_access_token(
            InstallationId(INSTALLATION),
            &CreateInstallationAccessToken::default(),
        )
        .await
        .unwrap()
        .token
}

/// Clones into `work/clone` and returns that directory.
async fn clone(work: &Path, url: &str) -> PathBuf {
    git_ok(work, &["clone", "--quiet", url, "clone"]).await;
    work.join("clone")
}

#[actix_web::test]
async fn a_tagged_push_over_http_shows_in_the_refs_api() {
    let served = serve(with_app());
    let token = installation_token(&served).await;
    let api = served.with_token(&token);
    let repos = api.repos(OWNER, REPO);
    repos
        .create_file("notes.txt", "Add notes", "written through the API\n")
        .branch("master")
        .send()
        .await
        .unwrap();

    let work = tempfile::tempdir().unwrap();
    let repo = clone(work.path(), &clone_url(&served, Some(&token))).await;
    let notes = std::fs::read_to_string(repo.join("notes.txt")).unwrap();
    assert_eq!(notes, "written through the API\n");
    let first = git_ok(&repo, &["rev-parse", "HEAD"]).await;
    let via_api = repos.get_ref(&Reference::Branch("master".to_owned())).await;
    assert!(
        matches!(via_api.unwrap().object, Object::Commit { sha, .. } if sha == first),
        "after a clone the REST API reports git's ids"
    );

    std::fs::write(repo.join("CHANGELOG.md"), "# 1.0.0\n").unwrap();
    git_ok(&repo, &["add", "CHANGELOG.md"]).await;
    git_ok(&repo, &["commit", "--quiet", "-m", "Release 1.0.0"]).await;
    git_ok(&repo, &["tag", "-a", "v1.0.0", "-m", "Version 1.0.0"]).await;
    git_ok(&repo, &["push", "--quiet", "origin", "master", "v1.0.0"]).await;
    let head = git_ok(&repo, &["rev-parse", "HEAD"]).await;
    let tag_object = git_ok(&repo, &["rev-parse", "v1.0.0"]).await;

    let tag_ref = repos
        .get_ref(&Reference::Tag("v1.0.0".to_owned()))
        .await
        .unwrap();
    assert_eq!(tag_ref.ref_field, "refs/tags/v1.0.0");
    assert!(matches!(&tag_ref.object, Object::Tag { sha, .. } if *sha == tag_object));
    let matching = repos.list_matching_refs("tags/").await.unwrap();
    assert_eq!(matching.len(), 1);
    let tag = repos.get_tag(&tag_object).await.unwrap();
    assert_eq!(tag.tag, "v1.0.0");
    assert_eq!(tag.message, "Version 1.0.0");
    assert_eq!(tag.object.unwrap().sha, head);
    let tags = repos.list_tags().send().await.unwrap();
    assert_eq!(tags.items[0].name, "v1.0.0");
    assert_eq!(tags.items[0].commit.sha, head, "annotated tags are peeled");
    let commit = api.commits(OWNER, REPO).get(&head).await.unwrap();
    assert_eq!(commit.commit.message, "Release 1.0.0");
    assert_eq!(commit.commit.author.unwrap().name, "Mona Lisa");
    assert_eq!(commit.parents[0].sha.as_deref(), Some(first.as_str()));
    let branches = repos.list_branches().send().await.unwrap();
    let master = branches.items.iter().find(|b| b.name == "master").unwrap();
    assert_eq!(master.commit.sha, head);
    let changelog = repos
        .get_content()
        .path("CHANGELOG.md")
        .send()
        .await
        .unwrap();
    assert_eq!(changelog.items[0].decoded_content().unwrap(), "# 1.0.0\n");
    assert_eq!(served.sim.write_count(), 1, "only the API write counts");

    let later = repos
        .create_file("later.txt", "Add later", "after the push\n")
        .branch("master")
        .send()
        .await
        .unwrap()
        .commit
        .sha
        .unwrap();
    git_ok(&repo, &["pull", "--quiet", "--ff-only"]).await;
    let later_text = std::fs::read_to_string(repo.join("later.txt")).unwrap();
    assert_eq!(later_text, "after the push\n");
    assert_eq!(git_ok(&repo, &["rev-parse", "HEAD~1"]).await, head);
    assert_eq!(
        git_ok(&repo, &["log", "-1", "--format=%s"]).await,
        "Add later"
    );
    let now_head = git_ok(&repo, &["rev-parse", "HEAD"]).await;
    assert_ne!(
        now_head, later,
        "written into git, the API's commit got git's id"
    );
    let master = repos.get_ref(&Reference::Branch("master".to_owned())).await;
    assert!(matches!(master.unwrap().object, Object::Commit { sha, .. } if sha == now_head));
    served.stop().await;
}

#[actix_web::test]
async fn a_clone_without_a_usable_token_is_refused() {
    let served = serve(with_app());
    let work = tempfile::tempdir().unwrap();
    let refused = git(work.path(), &["clone", &clone_url(&served, None), "a"]).await;
    assert!(!refused.status.success());
    let info_refs = format!("/{OWNER}/{REPO}.git/info/refs");
    assert!(served.sim.request_count("GET", &info_refs) >= 1);

    let made_up = clone_url(&served, Some("ghs_made-up"));
    let refused = git(work.path(), &["clone", &made_up, "b"]).await;
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("Authentication failed"), "{stderr}");
    assert!(!work.path().join("b").exists());

    let unknown = clone_url(&served, Some("x")).replace(REPO, "nope");
    served.sim.add_personal_token("x");
    let missing = git(work.path(), &["clone", &unknown, "c"]).await;
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("not found"));
    served.stop().await;
}

#[actix_web::test]
async fn anonymous_clones_follow_the_sandbox_setting_but_pushes_need_a_token() {
    let sim = Simulator::new(SimulatorOptions {
        allow_anonymous: true,
    });
    sim.learn("issues", &payload("issues/opened.payload.json"));
    let served = serve(sim);
    let work = tempfile::tempdir().unwrap();
    let repo = clone(work.path(), &clone_url(&served, None)).await;
    git_ok(&repo, &["commit", "--quiet", "--allow-empty", "-m", "x"]).await;
    let push = git(&repo, &["push", "origin", "master"]).await;
    assert!(!push.status.success());
    let with_token = clone_url(&served, Some("anything"));
    git_ok(&repo, &["push", "--quiet", &with_token, "master"]).await;
    let head = git_ok(&repo, &["rev-parse", "HEAD"]).await;
    assert_eq!(
        served.sim.branch_head(OWNER, REPO, "master").as_deref(),
        Some(head.as_str())
    );
    served.stop().await;
}

#[actix_web::test]
async fn a_push_to_a_pull_requests_branch_moves_its_head() {
    let served = serve(with_pull());
    let work = tempfile::tempdir().unwrap();
    let repo = clone(work.path(), &clone_url(&served, Some("t"))).await;
    git_ok(&repo, &["checkout", "--quiet", "changes"]).await;
    std::fs::write(repo.join("fix.txt"), "fixed\n").unwrap();
    git_ok(&repo, &["add", "fix.txt"]).await;
    git_ok(&repo, &["commit", "--quiet", "-m", "Fix it"]).await;
    git_ok(&repo, &["push", "--quiet", "origin", "changes"]).await;
    let head = git_ok(&repo, &["rev-parse", "HEAD"]).await;
    let pull = served.octo.pulls(OWNER, REPO).get(2).await.unwrap();
    assert_eq!(pull.head.sha, head);

    git_ok(&repo, &["push", "--quiet", "origin", "--delete", "changes"]).await;
    let branches = served
        .octo
        .repos(OWNER, REPO)
        .list_branches()
        .send()
        .await
        .unwrap();
    let names: Vec<&str> = branches.items.iter().map(|b| b.name.as_str()).collect();
    assert_eq!(names, ["master"]);
    served.stop().await;
}

#[actix_web::test]
async fn a_fault_on_the_git_route_fails_the_clone_once() {
    let served = serve(with_pull());
    served.sim.inject(Fault {
        method: Some("GET".to_owned()),
        path: "/*/*/info/refs".to_owned(),
        kind: FaultKind::Status(500),
        times: Some(1),
    });
    let work = tempfile::tempdir().unwrap();
    let url = clone_url(&served, Some("t"));
    let failed = git(work.path(), &["clone", &url, "a"]).await;
    assert!(!failed.status.success());
    assert!(String::from_utf8_lossy(&failed.stderr).contains("500"));
    clone(work.path(), &url).await;
    served.stop().await;
}

#[actix_web::test]
async fn pushed_commits_survive_a_restart_of_a_persistent_simulator() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("github.json");
    let open = || Simulator::with_persistence(SimulatorOptions::default(), file.clone()).unwrap();
    let sim = open();
    sim.learn("issues", &payload("issues/opened.payload.json"));
    assert_eq!(sim.git_root(), dir.path().join("github-repos"));
    let served = serve(sim);
    let work = tempfile::tempdir().unwrap();
    let repo = clone(work.path(), &clone_url(&served, Some("t"))).await;
    git_ok(&repo, &["commit", "--quiet", "--allow-empty", "-m", "Kept"]).await;
    git_ok(&repo, &["push", "--quiet", "origin", "master"]).await;
    let head = git_ok(&repo, &["rev-parse", "HEAD"]).await;
    served.stop().await;

    let served = serve(open());
    assert_eq!(
        served.sim.branch_head(OWNER, REPO, "master").as_deref(),
        Some(head.as_str())
    );
    let again = tempfile::tempdir().unwrap();
    let copy = clone(again.path(), &clone_url(&served, Some("t"))).await;
    assert_eq!(git_ok(&copy, &["rev-parse", "HEAD"]).await, head);
    assert_eq!(git_ok(&copy, &["log", "-1", "--format=%s"]).await, "Kept");
    served.stop().await;
}

#[actix_web::test]
async fn a_large_push_is_taken_and_its_file_read_back() {
    let served = serve(with_pull());
    let work = tempfile::tempdir().unwrap();
    let repo = clone(work.path(), &clone_url(&served, Some("t"))).await;
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let noise: Vec<u8> = (0..3 * 1024 * 1024)
        .map(|_| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            (seed >> 56) as u8
        })
        .collect();
    std::fs::write(repo.join("noise.bin"), &noise).unwrap();
    git_ok(&repo, &["add", "noise.bin"]).await;
    git_ok(&repo, &["commit", "--quiet", "-m", "Add noise"]).await;
    git_ok(&repo, &["push", "--quiet", "origin", "master"]).await;
    let content = served
        .octo
        .repos(OWNER, REPO)
        .get_content()
        .path("noise.bin")
        .send()
        .await
        .unwrap();
    assert_eq!(content.items[0].size, noise.len() as i64);
    served.stop().await;
}
