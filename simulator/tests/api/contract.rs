//! The contract test: the simulator held to GitHub's OpenAPI description
//! (`simulator/openapi/`). Every route it serves is an operation GitHub documents
//! (the route table is enumerated, so a route added without one fails here), every
//! documented operation it was extracted for is served, one scenario drives every
//! route at least once, and each answer's status and JSON body are checked against
//! the description (`gantry_simulator::contract::check_exchange`). Every other
//! simulator test checks its answers the same way (`helpers::send`).

use actix_web::test::TestRequest;
use base64::{engine::general_purpose::STANDARD, Engine as _};
use gantry_simulator::{
    contract::{self, check_exchange},
    NewHookDelivery, PullFile, RunOutcome, Simulator,
};
use serde_json::{json, Value};

use crate::{
    apps::{app_jwt, with_app, APP_ID, APP_PRIVATE_KEY, INSTALLATION},
    helpers::{authed, payload, repo_path, send, Reply, OWNER, REPO},
};

#[test]
fn every_route_is_an_operation_github_documents() {
    let routes = contract::routes();
    assert!(
        routes.len() > 80,
        "the route table lists {} routes",
        routes.len()
    );
    let missing: Vec<String> = routes
        .iter()
        .filter(|r| r.operation.is_none())
        .map(|r| format!("{} {}", r.method, r.template))
        .collect();
    assert!(
        missing.is_empty(),
        "routes GitHub's description has no operation for: {missing:#?}"
    );
    let spec = contract::spec().expect("the extract parses");
    let served: Vec<&str> = routes
        .iter()
        .filter_map(|r| r.operation.as_deref())
        .collect();
    let unserved: Vec<&str> = spec
        .operations()
        .map(|op| op.key.as_str())
        .filter(|key| !served.contains(key))
        .collect();
    assert!(
        unserved.is_empty(),
        "extracted but not served: {unserved:#?}"
    );
}

#[test]
fn the_two_routes_github_does_not_have_are_gone() {
    let routes = contract::routes();
    let has = |method: &str, template: &str| {
        routes
            .iter()
            .any(|r| r.method == method && r.template == template)
    };
    assert!(!has("POST", "/repos/{owner}/{repo}/issues/comments/{id}"));
    assert!(!has("GET", "/repos/{owner}/{repo}/git/refs/{ref:.+}"));
}

/// Sends one request with a JSON body (or none) and returns the reply.
async fn call(sim: &Simulator, method: &str, path: &str, body: Option<Value>) -> Reply {
    let req = match method {
        "GET" => TestRequest::get(),
        "POST" => TestRequest::post(),
        "PUT" => TestRequest::put(),
        "PATCH" => TestRequest::patch(),
        "DELETE" => TestRequest::delete(),
        other => panic!("no method {other}"),
    }
    .uri(path);
    let req = if path.starts_with("/app") || path.ends_with("/installation") {
        req.insert_header(("authorization", format!("Bearer {}", app_jwt())))
    } else {
        authed(req)
    };
    let req = match body {
        Some(body) => req.set_json(body),
        None => req,
    };
    send(sim, req).await
}

async fn ok(sim: &Simulator, method: &str, path: &str, body: Option<Value>) -> Value {
    let reply = call(sim, method, path, body).await;
    assert!(
        reply.status.is_success() || reply.status.is_redirection(),
        "{method} {path}: {} {}",
        reply.status,
        reply.json
    );
    reply.json
}

#[actix_web::test]
async fn every_route_answers_as_github_documents() {
    let sim = with_app();
    sim.set_token_checking(false);
    sim.learn("pull_request", &payload("pull_request/opened.payload.json"));
    sim.set_pull_files(
        OWNER,
        REPO,
        2,
        &[
            PullFile::modified("src/a.rs", 3, 1),
            PullFile::modified("logo.png", 0, 0),
        ],
    );
    sim.record_exchanges(true);
    let r = |rest: &str| repo_path(rest);

    // Apps.
    for path in [
        "/app".to_owned(),
        "/app/installations".to_owned(),
        format!("/app/installations/{INSTALLATION}"),
        r("/installation"),
        format!("/users/{OWNER}/installation"),
    ] {
        ok(&sim, "GET", &path, None).await;
    }
    call(&sim, "GET", &format!("/orgs/{OWNER}/installation"), None).await;
    let suspended = format!("/app/installations/{INSTALLATION}/suspended");
    ok(&sim, "PUT", &suspended, None).await;
    ok(&sim, "DELETE", &suspended, None).await;
    let tokens = format!("/app/installations/{INSTALLATION}/access_tokens");
    ok(&sim, "POST", &tokens, Some(json!({}))).await;
    // The App's webhook deliveries, and an App registered from a manifest.
    let logged = sim.record_hook_delivery(NewHookDelivery {
        app_id: APP_ID,
        guid: "contract-guid".into(),
        event: "issues".into(),
        payload: payload("issues/opened.payload.json"),
        status_code: 502,
    });
    ok(&sim, "GET", "/app/hook/deliveries?per_page=1", None).await;
    let attempts = format!("/app/hook/deliveries/{}/attempts", logged.id);
    ok(&sim, "POST", &attempts, None).await;
    let manifest = json!({
        "name": "Contract",
        "hook_attributes": {"url": "https://gantry.example.com/webhooks/github"},
        "default_permissions": {"issues": "write"},
        "default_events": ["issues"]
    });
    let approved = sim
        .approve_manifest(&manifest, OWNER, APP_PRIVATE_KEY)
        .unwrap();
    let conversion = format!("/app-manifests/{}/conversions", approved.code);
    ok(&sim, "POST", &conversion, None).await;

    // Repository, user, collaborators.
    let repo = ok(&sim, "GET", &r(""), None).await;
    let main = repo["default_branch"].as_str().unwrap().to_owned();
    ok(&sim, "GET", "/user", None).await;
    ok(&sim, "GET", &r("/collaborators"), None).await;
    ok(
        &sim,
        "PUT",
        &r("/collaborators/octocat"),
        Some(json!({"permission": "push"})),
    )
    .await;
    ok(&sim, "GET", &r("/collaborators/octocat"), None).await;
    ok(&sim, "GET", &r("/collaborators/octocat/permission"), None).await;

    // Issues, comments, reactions.
    ok(&sim, "GET", &r("/issues/1"), None).await;
    ok(
        &sim,
        "PATCH",
        &r("/issues/1"),
        Some(json!({"title": "Renamed"})),
    )
    .await;
    let assignees = Some(json!({"assignees": [OWNER]}));
    ok(&sim, "POST", &r("/issues/1/assignees"), assignees.clone()).await;
    ok(&sim, "DELETE", &r("/issues/1/assignees"), assignees).await;
    ok(&sim, "GET", &r("/issues/1/comments"), None).await;
    let comment = ok(
        &sim,
        "POST",
        &r("/issues/1/comments"),
        Some(json!({"body": "hi"})),
    )
    .await;
    let comment = format!("/issues/comments/{}", comment["id"]);
    ok(&sim, "GET", &r(&comment), None).await;
    ok(&sim, "PATCH", &r(&comment), Some(json!({"body": "edited"}))).await;
    let reactions = format!("{comment}/reactions");
    let reaction = ok(&sim, "POST", &r(&reactions), Some(json!({"content": "+1"}))).await;
    ok(&sim, "GET", &r(&reactions), None).await;
    let reaction = format!("{reactions}/{}", reaction["id"]);
    ok(&sim, "DELETE", &r(&reaction), None).await;
    ok(&sim, "DELETE", &r(&comment), None).await;

    // Labels and milestones.
    let label = json!({"name": "triage", "color": "ff0000", "description": "To sort"});
    ok(&sim, "POST", &r("/labels"), Some(label)).await;
    ok(&sim, "GET", &r("/labels"), None).await;
    ok(&sim, "GET", &r("/labels/triage"), None).await;
    ok(
        &sim,
        "PATCH",
        &r("/labels/triage"),
        Some(json!({"color": "00ff00"})),
    )
    .await;
    let labels = Some(json!({"labels": ["triage"]}));
    ok(&sim, "POST", &r("/issues/1/labels"), labels.clone()).await;
    ok(&sim, "PUT", &r("/issues/1/labels"), labels).await;
    ok(&sim, "GET", &r("/issues/1/labels"), None).await;
    ok(&sim, "DELETE", &r("/issues/1/labels/triage"), None).await;
    ok(&sim, "DELETE", &r("/issues/1/labels"), None).await;
    ok(&sim, "DELETE", &r("/labels/triage"), None).await;
    let milestone = ok(
        &sim,
        "POST",
        &r("/milestones"),
        Some(json!({"title": "v1"})),
    )
    .await;
    ok(&sim, "GET", &r("/milestones"), None).await;
    ok(
        &sim,
        "GET",
        &r(&format!("/milestones/{}", milestone["number"])),
        None,
    )
    .await;

    // Pull requests and reviews.
    let pull = ok(&sim, "GET", &r("/pulls/2"), None).await;
    let head = pull["head"]["sha"].as_str().unwrap().to_owned();
    ok(&sim, "GET", &r("/pulls/2/files"), None).await;
    let edit = json!({"title": "Renamed pull", "body": "Edited"});
    ok(&sim, "PATCH", &r("/pulls/2"), Some(edit)).await;
    ok(&sim, "GET", &r("/pulls/2/commits"), None).await;
    let reviewers = Some(json!({"reviewers": ["octocat"]}));
    ok(
        &sim,
        "POST",
        &r("/pulls/2/requested_reviewers"),
        reviewers.clone(),
    )
    .await;
    ok(
        &sim,
        "DELETE",
        &r("/pulls/2/requested_reviewers"),
        reviewers,
    )
    .await;
    ok(
        &sim,
        "POST",
        &r("/pulls/2/reviews"),
        Some(json!({"body": "draft"})),
    )
    .await;
    ok(&sim, "GET", &r("/pulls/2/reviews"), None).await;
    // A review GitHub refuses: its validation errors are strings.
    let refused = call(
        &sim,
        "POST",
        &r("/pulls/2/reviews"),
        Some(json!({"event": "COMMENT"})),
    )
    .await;
    assert_eq!(refused.status.as_u16(), 422, "{}", refused.json);

    // Checks and statuses.
    let run = json!({"name": "ci", "head_sha": head, "output": {"title": "t", "summary": "s"}});
    let run = ok(&sim, "POST", &r("/check-runs"), Some(run)).await;
    let run = format!("/check-runs/{}", run["id"]);
    ok(&sim, "GET", &r(&run), None).await;
    ok(
        &sim,
        "PATCH",
        &r(&run),
        Some(json!({"conclusion": "success"})),
    )
    .await;
    ok(
        &sim,
        "GET",
        &r(&format!("/commits/{head}/check-runs")),
        None,
    )
    .await;
    ok(
        &sim,
        "POST",
        &r(&format!("/statuses/{head}")),
        Some(json!({"state": "success"})),
    )
    .await;
    ok(&sim, "GET", &r(&format!("/commits/{head}/statuses")), None).await;
    ok(&sim, "GET", &r(&format!("/commits/{head}/status")), None).await;

    // Actions.
    let workflow = sim.add_workflow(OWNER, REPO, ".github/workflows/ci.yml", "CI");
    ok(&sim, "GET", &r("/actions/workflows"), None).await;
    ok(
        &sim,
        "GET",
        &r(&format!("/actions/workflows/{workflow}")),
        None,
    )
    .await;
    let dispatch = format!("/actions/workflows/{workflow}/dispatches");
    ok(&sim, "POST", &r(&dispatch), Some(json!({"ref": main}))).await;
    let runs = ok(&sim, "GET", &r("/actions/runs"), None).await;
    let run_id = runs["workflow_runs"][0]["id"].as_u64().unwrap();
    ok(
        &sim,
        "GET",
        &r(&format!("/actions/workflows/{workflow}/runs")),
        None,
    )
    .await;
    let outcome = RunOutcome::new("failure")
        .job("test", "failure")
        .artifact("coverage", 64);
    assert!(sim.complete_run(OWNER, REPO, run_id, &outcome));
    let run_path = format!("/actions/runs/{run_id}");
    ok(&sim, "GET", &r(&run_path), None).await;
    let jobs = ok(&sim, "GET", &r(&format!("{run_path}/jobs")), None).await;
    let job = jobs["jobs"][0]["id"].as_u64().unwrap();
    ok(&sim, "GET", &r(&format!("/actions/jobs/{job}/logs")), None).await;
    let artifacts = ok(&sim, "GET", &r(&format!("{run_path}/artifacts")), None).await;
    let artifact = artifacts["artifacts"][0]["id"].as_u64().unwrap();
    ok(
        &sim,
        "GET",
        &r(&format!("/actions/artifacts/{artifact}/zip")),
        None,
    )
    .await;
    ok(
        &sim,
        "POST",
        &r(&format!("{run_path}/rerun-failed-jobs")),
        Some(json!({})),
    )
    .await;
    assert!(sim.complete_run(OWNER, REPO, run_id, &RunOutcome::new("success")));
    ok(
        &sim,
        "POST",
        &r(&format!("{run_path}/rerun")),
        Some(json!({})),
    )
    .await;

    // Releases and assets.
    let release = json!({"tag_name": "v1.0.0", "name": "One"});
    let release = ok(&sim, "POST", &r("/releases"), Some(release)).await;
    let release = format!("/releases/{}", release["id"]);
    ok(&sim, "GET", &r("/releases"), None).await;
    ok(&sim, "GET", &r("/releases/latest"), None).await;
    ok(&sim, "GET", &r("/releases/tags/v1.0.0"), None).await;
    ok(&sim, "GET", &r(&release), None).await;
    ok(&sim, "PATCH", &r(&release), Some(json!({"body": "Notes"}))).await;
    let upload = authed(TestRequest::post().uri(&r(&format!("{release}/assets?name=a.txt"))))
        .insert_header(("content-type", "text/plain"))
        .set_payload("hello");
    let asset = send(&sim, upload).await;
    assert_eq!(asset.status.as_u16(), 201, "{}", asset.json);
    ok(&sim, "GET", &r(&format!("{release}/assets")), None).await;
    ok(
        &sim,
        "GET",
        &r(&format!("/releases/assets/{}", asset.json["id"])),
        None,
    )
    .await;
    ok(&sim, "DELETE", &r(&release), None).await;

    // Contents, and comparing the commit that added a file with its parent.
    let file = json!({"message": "Add", "content": STANDARD.encode("hello\n")});
    let written = ok(&sim, "PUT", &r("/contents/docs/a.md"), Some(file)).await;
    let added = written["commit"]["sha"].as_str().unwrap().to_owned();
    let before = written["commit"]["parents"][0]["sha"].as_str().unwrap();
    let compared = ok(
        &sim,
        "GET",
        &r(&format!("/compare/{before}...{added}")),
        None,
    )
    .await;
    assert_eq!(compared["files"][0]["filename"], "docs/a.md", "{compared}");
    let blob = written["content"]["sha"].as_str().unwrap().to_owned();
    ok(&sim, "GET", &r("/contents"), None).await;
    ok(&sim, "GET", &r("/contents/docs/a.md"), None).await;
    let remove = json!({"message": "Remove", "sha": blob});
    ok(&sim, "DELETE", &r("/contents/docs/a.md"), Some(remove)).await;

    // Git data, tags, branches, commits.
    let main_ref = ok(&sim, "GET", &r(&format!("/git/ref/heads/{main}")), None).await;
    let tip = main_ref["object"]["sha"].as_str().unwrap().to_owned();
    ok(&sim, "GET", &r("/git/matching-refs/heads"), None).await;
    let branch = json!({"ref": "refs/heads/feature", "sha": tip});
    ok(&sim, "POST", &r("/git/refs"), Some(branch)).await;
    ok(
        &sim,
        "PATCH",
        &r("/git/refs/heads/feature"),
        Some(json!({"sha": tip})),
    )
    .await;
    ok(&sim, "DELETE", &r("/git/refs/heads/feature"), None).await;
    let tag = json!({"tag": "v2", "message": "Two", "object": tip, "type": "commit",
        "tagger": {"name": "Mona", "email": "mona@example.com", "date": "2024-01-01T00:00:00Z"}});
    let tag = ok(&sim, "POST", &r("/git/tags"), Some(tag)).await;
    ok(
        &sim,
        "GET",
        &r(&format!("/git/tags/{}", tag["sha"].as_str().unwrap())),
        None,
    )
    .await;
    ok(&sim, "GET", &r("/tags"), None).await;
    ok(&sim, "GET", &r("/branches"), None).await;
    ok(&sim, "GET", &r(&format!("/branches/{main}")), None).await;
    ok(&sim, "GET", &r(&format!("/commits/{tip}")), None).await;

    // A review with a line comment, and the line comments listed.
    let review = json!({"event": "COMMENT", "body": "Two notes.", "comments": [
        {"path": "src/a.rs", "line": 2, "side": "RIGHT", "body": "Why?"}]});
    ok(&sim, "POST", &r("/pulls/2/reviews"), Some(review)).await;
    ok(&sim, "GET", &r("/pulls/2/comments"), None).await;

    // Opening an issue, and a pull request from a new branch at #2's head.
    let issue = json!({"title": "Found a bug", "body": "It breaks.", "labels": ["bug"]});
    ok(&sim, "POST", &r("/issues"), Some(issue)).await;
    let pull = ok(&sim, "GET", &r("/pulls/2"), None).await;
    let topic = json!({"ref": "refs/heads/topic", "sha": pull["head"]["sha"]});
    ok(&sim, "POST", &r("/git/refs"), Some(topic)).await;
    let opened =
        json!({"title": "Topic", "head": "topic", "base": pull["base"]["ref"], "draft": true});
    ok(&sim, "POST", &r("/pulls"), Some(opened)).await;

    // Searching issues and pull requests.
    let found = ok(
        &sim,
        "GET",
        "/search/issues?q=is%3Aopen+repo%3ACodertocat%2FHello-World",
        None,
    )
    .await;
    assert!(found["total_count"].as_u64() > Some(0), "{found}");

    // The merge last: it moves the base branch.
    ok(
        &sim,
        "PUT",
        &r("/pulls/2/merge"),
        Some(json!({"merge_method": "squash"})),
    )
    .await;
    ok(&sim, "DELETE", &r("/collaborators/octocat"), None).await;

    let exchanges = sim.exchanges();
    let unvisited: Vec<String> = contract::routes()
        .into_iter()
        .filter(|route| {
            !exchanges
                .iter()
                .any(|e| e.method == route.method && e.route == route.template)
        })
        .map(|route| format!("{} {}", route.method, route.template))
        .collect();
    assert!(
        unvisited.is_empty(),
        "routes the scenario never drove: {unvisited:#?}"
    );
    let failures: Vec<String> = exchanges.iter().flat_map(check_exchange).collect();
    assert!(
        failures.is_empty(),
        "answers GitHub's description refuses: {failures:#?}"
    );
}
