//! Authentication: required unless the simulator allows anonymous requests.

use actix_web::test::TestRequest;
use gantry_simulator::{Simulator, SimulatorOptions};
use serde_json::json;

use crate::helpers::{payload, repo_path, send, with_issue};

#[actix_web::test]
async fn a_request_without_authorization_is_a_401_when_anonymous_access_is_off() {
    let sim = with_issue();
    let reply = send(&sim, TestRequest::get().uri(&repo_path(""))).await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.json["message"], "Requires authentication");
    assert!(reply.json["documentation_url"].is_string());
}

#[actix_web::test]
async fn an_unauthenticated_write_is_refused_and_not_counted() {
    let sim = with_issue();
    let req = TestRequest::post()
        .uri(&repo_path("/issues/1/comments"))
        .set_json(json!({"body": "x"}));
    assert_eq!(send(&sim, req).await.status, 401);
    assert_eq!(sim.write_count(), 0);
    assert_eq!(
        sim.issue_comments("Codertocat", "Hello-World", 1).unwrap(),
        Vec::<String>::new()
    );
}

#[actix_web::test]
async fn token_and_bearer_authorization_are_both_accepted() {
    let sim = with_issue();
    for value in ["token abc", "Bearer abc", "bearer abc"] {
        let req = TestRequest::get()
            .uri(&repo_path(""))
            .insert_header(("authorization", value));
        assert_eq!(send(&sim, req).await.status, 200, "{value}");
    }
    for value in ["Basic abc", "token", ""] {
        let req = TestRequest::get()
            .uri(&repo_path(""))
            .insert_header(("authorization", value));
        assert_eq!(send(&sim, req).await.status, 401, "{value:?}");
    }
}

#[actix_web::test]
async fn a_request_without_authorization_is_served_in_sandbox_mode() {
    let sim = Simulator::new(SimulatorOptions {
        allow_anonymous: true,
    });
    sim.learn("issues", &payload("issues/opened.payload.json"));
    let reply = send(&sim, TestRequest::get().uri(&repo_path(""))).await;
    assert_eq!(reply.status, 200);
}

#[actix_web::test]
async fn a_refused_anonymous_request_reports_githubs_anonymous_rate_limit() {
    let sim = crate::helpers::with_issue();
    let reply = send(
        &sim,
        TestRequest::get().uri("/repos/Codertocat/Hello-World"),
    )
    .await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.header("x-ratelimit-limit").as_deref(), Some("60"));
    assert_eq!(reply.header("x-ratelimit-remaining").as_deref(), Some("59"));
}
