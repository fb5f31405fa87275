//! The JSON API: token checks, listing, showing and replaying deliveries, and the
//! OpenAPI document.
use std::time::Duration;

use reqwest::Method;
use serde_json::Value;

use crate::helpers::{corpus_payload, delivery_id, spawn_app, wait_until, AppOptions};
use gantry_simulator::{Fault, FaultKind};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_refuses_missing_or_wrong_tokens_and_says_when_it_is_closed() {
    let app = spawn_app(AppOptions::default()).await;
    let url = format!("{}/api/v1/deliveries", app.address);
    let none = app.http.get(&url).send().await.unwrap();
    assert_eq!(none.status(), 401);
    let wrong = app.http.get(&url).bearer_auth("nope").send().await.unwrap();
    assert_eq!(wrong.status(), 401);
    assert_eq!(
        wrong.json::<Value>().await.unwrap()["error"],
        "unauthorized"
    );
    assert_eq!(
        app.api(Method::GET, "/deliveries")
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    // Without api.token only tokens made with `gantry token create` open the API.
    let closed = spawn_app(AppOptions {
        api_token: None,
        ..AppOptions::default()
    })
    .await;
    let response = closed
        .http
        .get(format!("{}/api/v1/deliveries", closed.address))
        .bearer_auth("anything")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(
        response.json::<Value>().await.unwrap()["error"],
        "unauthorized"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_deliveries_are_listed_shown_and_replayed_through_the_api() {
    let app = spawn_app(AppOptions::default()).await;
    app.sim.inject(Fault {
        method: Some("POST".into()),
        path: "/repos/*/*/issues/*/comments".into(),
        kind: FaultKind::Status(500),
        times: None,
    });
    let (failing, fine) = (delivery_id(), delivery_id());
    app.post_webhook(
        "pull_request",
        &failing,
        &corpus_payload("pull_request/opened.payload.json"),
    )
    .await;
    app.post_webhook(
        "issues",
        &fine,
        &corpus_payload("issues/opened.payload.json"),
    )
    .await;
    wait_until(Duration::from_secs(30), "a dead delivery", || {
        let request = app.api(Method::GET, "/deliveries?status=dead");
        async move {
            request.send().await.unwrap().json::<Value>().await.unwrap()["deliveries"]
                .as_array()
                .unwrap()
                .len()
                == 1
        }
    })
    .await;
    let dead: Value = app
        .api(Method::GET, "/deliveries?status=dead")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(dead["deliveries"][0]["delivery_id"], failing.as_str());
    assert_eq!(dead["deliveries"][0]["job"]["status"], "dead");
    let all: Value = app
        .api(Method::GET, "/deliveries")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(all["deliveries"].as_array().unwrap().len(), 2);
    assert!(
        all["deliveries"][0].get("payload").is_none(),
        "listings carry no payloads"
    );

    let detail: Value = app
        .api(Method::GET, &format!("/deliveries/{failing}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let runs = detail["jobs"][0]["runs"].as_array().unwrap();
    assert!(runs.iter().all(|r| r["outcome"] == "retry"), "{runs:?}");

    app.sim.clear_faults();
    let replay = app
        .api(Method::POST, &format!("/deliveries/{failing}/replay"))
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), 202);
    assert_eq!(replay.json::<Value>().await.unwrap()["replay"], "requeued");
    app.wait_for_idle_queue(Duration::from_secs(20)).await;
    assert_eq!(
        app.sim
            .issue_comments("Codertocat", "Hello-World", 2)
            .unwrap()
            .len(),
        1
    );

    let missing = app
        .api(Method::POST, "/deliveries/no-such-id/replay")
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let bad = app
        .api(Method::GET, "/deliveries?status=exploded")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
}

/// The keys of a JSON object, sorted.
fn keys(value: &Value) -> Vec<String> {
    let mut keys: Vec<String> = value.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    keys
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_is_served_without_a_token_and_describes_the_answers() {
    let app = spawn_app(AppOptions::default()).await;
    let response = app
        .http
        .get(format!("{}/api/v1/openapi.json", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    let doc: Value = response.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert!(doc["paths"]["/api/v1/approvals/{id}/approve"]["post"].is_object());

    // A live answer has exactly the properties its schema documents.
    let me: Value = app
        .api(Method::GET, "/me")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        keys(&me),
        keys(&doc["components"]["schemas"]["MeResponse"]["properties"])
    );
    let page: Value = app
        .api(Method::GET, "/deliveries")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        keys(&page),
        keys(&doc["components"]["schemas"]["DeliveriesResponse"]["properties"])
    );

    // An error answer carries a code the document lists for that operation and
    // status.
    let bad = app
        .api(Method::GET, "/deliveries?status=exploded")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let error: Value = bad.json().await.unwrap();
    assert_eq!(error["error"], "bad_status");
    let listed = &doc["paths"]["/api/v1/deliveries"]["get"]["responses"]["400"]["content"]
        ["application/json"]["schema"]["properties"]["error"]["enum"];
    assert!(listed
        .as_array()
        .unwrap()
        .iter()
        .any(|c| *c == error["error"]));
    // So does a query string that does not parse, in the same shape.
    let unreadable = app
        .api(Method::GET, "/deliveries?limit=many")
        .send()
        .await
        .unwrap();
    assert_eq!(unreadable.status(), 400);
    assert_eq!(
        unreadable.json::<Value>().await.unwrap()["error"],
        "invalid_query"
    );
}
