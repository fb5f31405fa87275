//! Paginated lists and redirects (TESTPLAN G7) on the real server's GitHub client: an
//! idempotency marker on the second page of an issue's comments is found by following
//! the `Link` headers, and requests to a renamed repository answered 301 or 307 reach
//! the real routes.
use gantry_server::domain::RepoRef;
use gantry_server::github::{GitHubClient, Method};
use gantry_simulator::{Fault, FaultKind, RunOutcome};
use serde_json::{json, Value};

use crate::helpers::{corpus_payload, spawn_app, AppOptions, Plugins, TestApp};

const OWNER: &str = "Codertocat";
const REPO: &str = "Hello-World";
const COMMENTS: &str = "/repos/Codertocat/Hello-World/issues/1/comments";
/// The repository's old name; the faults below move it to `Codertocat/Hello-World`.
const OLD: &str = "/repos/octo-old/hello-old";
const NEW: &str = "/repos/Codertocat/Hello-World";

/// A Gantry without plugins whose simulator knows issue 1 of Codertocat/Hello-World.
async fn app_with_issue() -> TestApp {
    let app = spawn_app(AppOptions {
        plugins: Plugins::None,
        ..AppOptions::default()
    })
    .await;
    let payload: Value =
        serde_json::from_slice(&corpus_payload("issues/opened.payload.json")).unwrap();
    app.sim.learn("issues", &payload);
    app
}

async fn client(app: &TestApp) -> GitHubClient {
    app.state.github.client(None, None).await.unwrap()
}

fn repo() -> RepoRef {
    RepoRef {
        owner: OWNER.into(),
        name: REPO.into(),
    }
}

/// Writes a comment through the simulator's REST API, as another user, and returns its id.
async fn seed_comment(app: &TestApp, body: &str) -> u64 {
    let url = format!("{}{COMMENTS}", app.state.settings.github.api_url);
    let res = app
        .http
        .post(url)
        .bearer_auth("test-token")
        .header("x-sim-user", "octocat")
        .json(&json!({"body": body}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    res.json::<Value>().await.unwrap()["id"].as_u64().unwrap()
}

/// Requests to `/repos/octo-old/hello-old/**` with `method` answered `status`,
/// pointing at the same path under the real name, as GitHub does for a rename.
fn moved(method: &str, status: u16) -> Fault {
    Fault {
        method: Some(method.into()),
        path: format!("{OLD}/**"),
        kind: FaultKind::Redirect {
            status,
            to: NEW.into(),
        },
        times: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn g7_a_marker_on_the_second_page_of_comments_is_found_and_nothing_is_written() {
    let app = app_with_issue().await;
    let marker = "<!-- gantry:g7-pagination -->";
    let mut earlier = None;
    // 130 comments: with 100 to a page the marker (the 121st) is on page 2.
    for i in 0..130 {
        let body = if i == 120 {
            format!("Already said.\n\n{marker}")
        } else {
            format!("comment {i}")
        };
        let id = seed_comment(&app, &body).await;
        if i == 120 {
            earlier = Some(id);
        }
    }
    let posts = app.sim.request_count("POST", COMMENTS);
    assert_eq!(app.sim.request_count("GET", COMMENTS), 0);

    let id = client(&app)
        .await
        .create_comment_once(&repo(), 1, "Already said.", marker, true)
        .await
        .unwrap();

    assert_eq!(Some(id), earlier, "the existing comment is returned");
    assert_eq!(
        app.sim.issue_comments(OWNER, REPO, 1).unwrap().len(),
        130,
        "no new comment"
    );
    assert_eq!(
        app.sim.request_count("POST", COMMENTS),
        posts,
        "nothing was posted"
    );
    let pages = app.sim.request_count("GET", COMMENTS);
    assert!(pages >= 2, "the comments were read from {pages} page(s)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn g7_a_get_answered_301_is_followed_to_the_real_route() {
    let app = app_with_issue().await;
    app.sim.inject(moved("GET", 301));
    let labels = client(&app)
        .await
        .rest(Method::GET, &format!("{OLD}/issues/1/labels"), None)
        .await
        .unwrap();
    let names: Vec<&str> = labels
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].as_str().unwrap())
        .collect();
    let expected = app.sim.issue_labels(OWNER, REPO, 1).unwrap();
    assert!(!expected.is_empty(), "the corpus issue has a label");
    assert_eq!(names, expected);
    assert_eq!(
        app.sim
            .request_count("GET", &format!("{OLD}/issues/1/labels")),
        1
    );
    assert_eq!(
        app.sim
            .request_count("GET", &format!("{NEW}/issues/1/labels")),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn g7_a_post_without_a_body_answered_307_is_followed_to_the_real_route() {
    let app = app_with_issue().await;
    app.sim
        .add_workflow(OWNER, REPO, ".github/workflows/ci.yml", "CI");
    let run = app
        .sim
        .trigger_workflow(OWNER, REPO, "ci.yml", "push", "master")
        .unwrap();
    assert!(app
        .sim
        .complete_run(OWNER, REPO, run, &RunOutcome::new("failure")));
    app.sim.inject(moved("POST", 307));
    let rerun = format!("/actions/runs/{run}/rerun");

    client(&app)
        .await
        .rest(Method::POST, &format!("{OLD}{rerun}"), None)
        .await
        .unwrap();

    assert_eq!(app.sim.request_count("POST", &format!("{OLD}{rerun}")), 1);
    assert_eq!(app.sim.request_count("POST", &format!("{NEW}{rerun}")), 1);
    assert_eq!(
        app.sim.write_count(),
        1,
        "the re-run happened once, at the real route"
    );
    let again = client(&app)
        .await
        .rest(Method::GET, &format!("{NEW}/actions/runs/{run}"), None)
        .await
        .unwrap();
    assert_eq!(again["status"], "queued");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn g7_a_post_with_a_body_answered_307_is_followed_to_the_real_route() {
    let app = app_with_issue().await;
    app.sim.inject(moved("POST", 307));
    let labels = format!("{OLD}/issues/1/labels");

    let answer = client(&app)
        .await
        .rest(Method::POST, &labels, Some(&json!({"labels": ["moved"]})))
        .await
        .unwrap();

    assert!(
        answer
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["name"] == "moved"),
        "{answer}"
    );
    assert!(app
        .sim
        .issue_labels(OWNER, REPO, 1)
        .unwrap()
        .contains(&"moved".to_owned()));
    assert_eq!(app.sim.request_count("POST", &labels), 1);
    assert_eq!(
        app.sim
            .request_count("POST", &format!("{NEW}/issues/1/labels")),
        1
    );
    assert_eq!(app.sim.write_count(), 1);
}
