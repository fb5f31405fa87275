//! `.github/gantry.yml` end to end, through the real server, the bundled hooks
//! plugin and the simulator's contents API and check runs: a file on the default
//! branch takes effect once the push adding it is processed; the same file on
//! another branch has none; a pull request bringing an invalid file gets a failing
//! `gantry/config` check run on its head commit, with an annotation per problem; a
//! later bad push keeps the last valid configuration, and the project page and the
//! deliveries it affects show the error.
use std::time::Duration;

use base64::Engine as _;
use gantry_server::auth::Role;
use gantry_simulator::PullFile;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{corpus_payload, delivery_id, spawn_app, AppOptions, Plugins, TestApp};

const OWNER: &str = "Codertocat";
const NAME: &str = "Hello-World";
const REPO: &str = "/repos/Codertocat/Hello-World";
const FILE: &str = ".github/gantry.yml";
/// The label the repository's file makes the hooks plugin add to new issues.
const LABEL: &str = "from-repo-config";

/// A file setting the hooks plugin's rules: label new issues `LABEL`.
fn good_file() -> String {
    format!("# the team's own rules\nhooks:\n  rules:\n    - on: issues.opened\n      add_labels: [{LABEL}]\n")
}

/// A file with two problems: `add_labels` is not a list (line 4), and `nope` is no
/// plugin (line 5).
const BAD_FILE: &str =
    "hooks:\n  rules:\n    - on: issues.opened\n      add_labels: oops\nnope: {}\n";

/// Gantry with the hooks plugin whose admin-set rules are none, and repository
/// configuration on.
async fn app() -> TestApp {
    let app = spawn_app(AppOptions {
        plugins: Plugins::Named(&["hooks"]),
        configs: vec![("hooks", json!({ "rules": [] }))],
        tweak: Some(|s| s.repository_config.enabled = true),
        ..AppOptions::default()
    })
    .await;
    // The simulator knows the repository (default branch `master`).
    let issue: Value =
        serde_json::from_slice(&corpus_payload("issues/opened.payload.json")).unwrap();
    app.sim.learn("issues", &issue);
    app
}

/// A request to the simulator as GitHub's API.
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

/// Creates `branch` at the default branch's head.
async fn branch(app: &TestApp, name: &str) {
    let head = github(
        app,
        Method::GET,
        &format!("{REPO}/git/ref/heads/master"),
        None,
    )
    .await;
    let body = json!({"ref": format!("refs/heads/{name}"), "sha": head["object"]["sha"]});
    github(app, Method::POST, &format!("{REPO}/git/refs"), Some(body)).await;
}

/// Commits the file with `content` on `branch`; returns the commit.
async fn write_file(app: &TestApp, branch: &str, content: &str) -> String {
    write_file_in(app, REPO, branch, content).await
}

/// Commits the file with `content` on `branch` of `repo` (`/repos/OWNER/NAME`).
async fn write_file_in(app: &TestApp, repo: &str, branch: &str, content: &str) -> String {
    let existing = app
        .http
        .get(format!(
            "{}{repo}/contents/{FILE}?ref={branch}",
            app.state.settings.github.api_url
        ))
        .bearer_auth("test-token")
        .send()
        .await
        .unwrap();
    let mut body = json!({
        "message": "Configure Gantry",
        "content": base64::engine::general_purpose::STANDARD.encode(content),
        "branch": branch,
    });
    if existing.status().is_success() {
        body["sha"] = existing.json::<Value>().await.unwrap()["sha"].clone();
    }
    let answer = github(
        app,
        Method::PUT,
        &format!("{repo}/contents/{FILE}"),
        Some(body),
    )
    .await;
    answer["commit"]["sha"].as_str().unwrap().to_owned()
}

/// Delivers `payload` as `event` and waits for its job; returns the delivery id.
async fn deliver(app: &TestApp, event: &str, payload: &Value) -> String {
    let id = delivery_id();
    let answer = app
        .post_webhook(event, &id, &serde_json::to_vec(payload).unwrap())
        .await;
    assert_eq!(answer.status(), 202);
    app.wait_for_idle_queue(Duration::from_secs(30)).await;
    id
}

/// A push of `commit` to `branch` that modified the file.
fn push_payload(branch: &str, commit: &str) -> Value {
    let mut v: Value = serde_json::from_slice(&corpus_payload("push/payload.json")).unwrap();
    v["ref"] = format!("refs/heads/{branch}").into();
    v["after"] = commit.into();
    // The corpus push deletes a tag.
    v["deleted"] = false.into();
    v["created"] = false.into();
    v["commits"] = json!([{"id": commit, "added": [], "modified": [FILE], "removed": []}]);
    v
}

/// Delivers a push of `commit` to `branch` that modified the file.
async fn push(app: &TestApp, branch: &str, commit: &str) -> String {
    deliver(app, "push", &push_payload(branch, commit)).await
}

/// The corpus `issues.opened` for issue `number`.
fn issue_payload(number: u64) -> Value {
    let mut v: Value =
        serde_json::from_slice(&corpus_payload("issues/opened.payload.json")).unwrap();
    v["issue"]["number"] = number.into();
    v
}

/// Opens issue `number`; returns its labels once its job is done, and the delivery.
async fn open_issue(app: &TestApp, number: u64) -> (Vec<String>, String) {
    let id = deliver(app, "issues", &issue_payload(number)).await;
    let labels = app
        .sim
        .issue_labels(OWNER, NAME, number)
        .unwrap_or_default();
    (labels, id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_default_branch_file_takes_effect_once_its_push_is_processed_and_another_branchs_never() {
    let app = app().await;
    let (labels, _) = open_issue(&app, 11).await;
    assert!(
        !labels.contains(&LABEL.to_owned()),
        "no file yet: {labels:?}"
    );

    branch(&app, "feature").await;
    let commit = write_file(&app, "feature", &good_file()).await;
    push(&app, "feature", &commit).await;
    let (labels, _) = open_issue(&app, 12).await;
    assert!(
        !labels.contains(&LABEL.to_owned()),
        "another branch's file has no effect: {labels:?}"
    );

    let commit = write_file(&app, "master", &good_file()).await;
    push(&app, "master", &commit).await;
    let (labels, _) = open_issue(&app, 13).await;
    assert!(
        labels.contains(&LABEL.to_owned()),
        "the default branch's file sets the rules: {labels:?}"
    );
    assert!(
        app.sim.violations().is_empty(),
        "{:?}",
        app.sim.violations()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pull_request_bringing_an_invalid_file_gets_a_failing_gantry_config_check_run() {
    let app = app().await;
    branch(&app, "bad-config").await;
    let head = write_file(&app, "bad-config", BAD_FILE).await;
    let mut pull: Value =
        serde_json::from_slice(&corpus_payload("pull_request/opened.payload.json")).unwrap();
    pull["pull_request"]["head"]["ref"] = "bad-config".into();
    pull["pull_request"]["head"]["sha"] = head.clone().into();
    app.sim.learn("pull_request", &pull);
    let number = pull["pull_request"]["number"].as_u64().unwrap();
    let file = PullFile {
        filename: FILE.into(),
        status: "added".into(),
        additions: 6,
        deletions: 0,
        patch: None,
        previous_filename: None,
    };
    assert!(app.sim.set_pull_files(OWNER, NAME, number, &[file]));
    deliver(&app, "pull_request", &pull).await;

    let runs = github(
        &app,
        Method::GET,
        &format!("{REPO}/commits/{head}/check-runs?check_name=gantry/config"),
        None,
    )
    .await;
    let runs = runs["check_runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1, "{runs:?}");
    let run = &runs[0];
    assert_eq!(run["name"], "gantry/config");
    assert_eq!(run["head_sha"], head.as_str());
    assert_eq!(run["conclusion"], "failure", "{run}");
    assert_eq!(run["output"]["annotations_count"], 2, "{run}");
    let summary = run["output"]["summary"].as_str().unwrap();
    assert!(
        summary.contains("line 4: `hooks` does not match the plugin's schema"),
        "{summary}"
    );
    assert!(
        summary.contains("line 5: `nope` is not a plugin installed in Gantry"),
        "{summary}"
    );

    // It never took effect: the default branch has no file.
    let (labels, _) = open_issue(&app, 21).await;
    assert!(!labels.contains(&LABEL.to_owned()), "{labels:?}");
    let audited = gantry_server::db::audit::with_action(&app.state.db, "repo_config.checked")
        .await
        .unwrap();
    assert_eq!(audited.len(), 1, "{audited:?}");
    assert_eq!(audited[0].outcome.as_deref(), Some("failure"));
    assert!(
        app.sim.violations().is_empty(),
        "{:?}",
        app.sim.violations()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_later_bad_push_keeps_the_last_valid_config_and_the_project_page_shows_the_error() {
    let app = app().await;
    let commit = write_file(&app, "master", &good_file()).await;
    push(&app, "master", &commit).await;
    let (labels, _) = open_issue(&app, 31).await;
    assert!(labels.contains(&LABEL.to_owned()), "{labels:?}");

    let commit = write_file(&app, "master", BAD_FILE).await;
    push(&app, "master", &commit).await;
    let (labels, delivery) = open_issue(&app, 32).await;
    assert!(
        labels.contains(&LABEL.to_owned()),
        "the last valid configuration stays in force: {labels:?}"
    );

    let detail: Value = app
        .api(Method::GET, &format!("/deliveries/{delivery}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let notes = detail["jobs"][0]["notes"].to_string();
    assert!(
        notes.contains("repository config error: line 4:")
            && notes.contains("(last valid config in force)"),
        "{detail}"
    );

    let session = app.sign_in(Some(Role::Viewer)).await;
    let page = app
        .as_user(
            &session,
            Method::GET,
            "/dashboard/projects/Codertocat/Hello-World",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains("repository config error: line 4:"), "{page}");
    assert!(page.contains("(last valid config in force)"), "{page}");
    let rules_row = page
        .lines()
        .find(|l| l.contains("<code>/rules</code>"))
        .unwrap_or_default();
    assert!(
        rules_row.contains("from-repo-config") && rules_row.contains("this repository"),
        "the rules come from the repository's file: {page}"
    );
    assert!(
        page.contains(
            "<code>/title_check/enabled</code></td><td><code>false</code></td><td>Gantry</td>"
        ),
        "the rest from Gantry: {page}"
    );
    let delivery_page = app
        .as_user(
            &session,
            Method::GET,
            &format!("/dashboard/deliveries/{delivery}"),
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        delivery_page.contains("repository config error: line 4:"),
        "{delivery_page}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storing_a_repositorys_patches_or_error_counts_up_config_version_and_a_plain_read_does_not()
{
    use gantry_server::db::config_version::current;
    use gantry_server::db::repo_configs::{self, RepoConfigRow};
    let app = app().await;
    let db = &app.state.db;
    let now = chrono::Utc::now();
    let mut row = RepoConfigRow {
        project: "octo/app".into(),
        patches: Some(r#"{"hooks":{"patch":{"rules":[]},"sources":{"/rules":"octo/app"}}}"#.into()),
        bases: r#"["octo/.github","octo/base_1"]"#.into(),
        valid_at: Some(now),
        error: None,
        error_at: None,
        checked_at: now,
    };
    let before = current(db).await.unwrap();
    repo_configs::put(db, &row).await.unwrap();
    let inserted = current(db).await.unwrap();
    assert!(inserted > before);
    repo_configs::touch(db, "octo/app", chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(
        current(db).await.unwrap(),
        inserted,
        "a read that changed nothing"
    );
    row.error = Some("line 1: nope".into());
    row.error_at = Some(now);
    repo_configs::put(db, &row).await.unwrap();
    assert!(current(db).await.unwrap() > inserted);
    let stored = repo_configs::get(db, "octo/app").await.unwrap().unwrap();
    assert_eq!(stored.error.as_deref(), Some("line 1: nope"));
    assert_eq!(stored.patches, row.patches);
    assert_eq!(
        repo_configs::extending(db, "octo/.github").await.unwrap(),
        ["octo/app"]
    );
    assert_eq!(
        repo_configs::extending(db, "octo/base_1").await.unwrap(),
        ["octo/app"]
    );
    assert!(
        repo_configs::extending(db, "octo/base11")
            .await
            .unwrap()
            .is_empty(),
        "`_` is not a wildcard"
    );
    assert!(repo_configs::extending(db, "octo")
        .await
        .unwrap()
        .is_empty());
}

/// Gantry as GitHub App 4242, installed (77) on Codertocat only; the App is also
/// installed (88) by another account, `other-org`. Both accounts have a
/// `.github` repository whose file sets the hooks rules.
async fn app_installed_on_codertocat() -> TestApp {
    use crate::github_app::{as_app, install_app};
    use gantry_simulator::NewInstallation;
    let app = spawn_app(AppOptions {
        plugins: Plugins::Named(&["hooks"]),
        configs: vec![("hooks", json!({ "rules": [] }))],
        tweak: Some(|s| {
            as_app(s);
            s.repository_config.enabled = true;
        }),
        ..AppOptions::default()
    })
    .await;
    install_app(&app, "test-only-app.public.pem");
    assert!(app.sim.add_installation(&NewInstallation::new(
        88,
        crate::github_app::APP_ID,
        "other-org"
    )));
    // The test itself writes files as a person with a token reaching everything.
    app.sim.add_personal_token("test-token");
    let issue = issue_payload(1);
    app.sim.learn("issues", &issue);
    for (id, owner) in [(9001, "Codertocat"), (9002, "other-org")] {
        let mut base = issue.clone();
        base["repository"]["id"] = id.into();
        base["repository"]["name"] = ".github".into();
        base["repository"]["full_name"] = format!("{owner}/.github").into();
        base["repository"]["owner"]["login"] = owner.into();
        base["repository"]["owner"]["id"] = (id + 100).into();
        app.sim.learn("issues", &base);
        let repo = format!("/repos/{owner}/.github");
        write_file_in(&app, &repo, "master", &good_file()).await;
    }
    app
}

/// `payload` as the App's installation 77 sends it.
fn from_installation(mut payload: Value) -> Value {
    payload["installation"] = json!({ "id": crate::github_app::INSTALLATION });
    payload
}

/// Commits `file` as `.github/gantry.yml` on the default branch, delivers its push
/// from installation 77 and returns what Gantry then holds for the repository.
async fn push_from_installation(
    app: &TestApp,
    file: &str,
) -> gantry_server::db::repo_configs::RepoConfigRow {
    let commit = write_file(app, "master", file).await;
    deliver(
        app,
        "push",
        &from_installation(push_payload("master", commit.as_str())),
    )
    .await;
    gantry_server::db::repo_configs::get(&app.state.db, "codertocat/hello-world")
        .await
        .unwrap()
        .expect("the file was read")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_base_in_another_installation_is_not_readable_and_never_fetched_with_its_token() {
    let app = app_installed_on_codertocat().await;
    let row = push_from_installation(&app, "extends: other-org/.github\n").await;
    let error = row.error.unwrap_or_default();
    assert!(
        error.contains("line 1: `extends`: base other-org/.github not readable")
            && error.contains("not in this repository's installation"),
        "{error}"
    );
    assert_eq!(row.patches, None, "nothing of the base is in force");
    assert_eq!(
        app.sim.token_requests(88),
        0,
        "other-org's installation is never asked for a token"
    );
    deliver(&app, "issues", &from_installation(issue_payload(41))).await;
    let labels = app.sim.issue_labels(OWNER, NAME, 41).unwrap_or_default();
    assert!(!labels.contains(&LABEL.to_owned()), "{labels:?}");

    // Once Gantry knows installation 77 (its account, Codertocat), another account's
    // base is refused before GitHub is asked for anything.
    let created = json!({
        "action": "created",
        "installation": { "id": crate::github_app::INSTALLATION, "account": { "login": OWNER } },
        "repositories": [{ "full_name": "Codertocat/Hello-World" }],
        "sender": { "login": OWNER }
    });
    deliver(&app, "installation", &created).await;
    let asked = app.sim.token_requests(crate::github_app::INSTALLATION);
    let row = push_from_installation(&app, "extends: other-org/.github\nhooks: {}\n").await;
    assert!(
        row.error
            .as_deref()
            .unwrap_or_default()
            .contains("base other-org/.github not readable"),
        "{row:?}"
    );
    assert_eq!(app.sim.token_requests(88), 0);
    // The push's repository's token is cached: no token was asked for at all.
    assert_eq!(
        app.sim.token_requests(crate::github_app::INSTALLATION),
        asked,
        "no token was asked for other-org/.github"
    );
    assert!(
        app.sim.violations().is_empty(),
        "{:?}",
        app.sim.violations()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_base_in_the_repositorys_own_installation_is_read_with_a_token_for_it() {
    let app = app_installed_on_codertocat().await;
    let row = push_from_installation(&app, "extends: Codertocat/.github\n").await;
    assert_eq!(row.error, None, "{row:?}");
    assert_eq!(row.bases, r#"["codertocat/.github"]"#);
    deliver(&app, "issues", &from_installation(issue_payload(42))).await;
    let labels = app.sim.issue_labels(OWNER, NAME, 42).unwrap_or_default();
    assert!(
        labels.contains(&LABEL.to_owned()),
        "the organisation's rules apply: {labels:?}"
    );
}
