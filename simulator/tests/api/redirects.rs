//! The `redirect` fault: a moved path answered 301 or 307 with an absolute `Location`
//! on the same host, as GitHub answers for a renamed repository; octocrab following
//! it for a GET and a body-less POST, and returning it for a POST with a body.

use gantry_simulator::{Fault, FaultKind, RunOutcome};
use octocrab::models::RunId;
use serde_json::json;

use crate::helpers::{get, github_error, post, send, serve, with_issue, with_pull, OWNER, REPO};

/// The repository's old name, which the fault moves to `Codertocat/Hello-World`.
const OLD: &str = "/repos/octo-old/hello-old";
const NEW: &str = "/repos/Codertocat/Hello-World";

/// Requests with `method` under the old name are answered `status`, pointing at the
/// same path under the real name.
fn moved(method: &str, status: u16) -> Fault {
    Fault {
        method: Some(method.to_owned()),
        path: format!("{OLD}/**"),
        kind: FaultKind::Redirect {
            status,
            to: NEW.to_owned(),
        },
        times: None,
    }
}

#[actix_web::test]
async fn a_redirect_answers_the_status_and_an_absolute_location_keeping_the_query() {
    let sim = with_issue();
    sim.inject(moved("GET", 301));
    let reply = send(
        &sim,
        get(&format!("{OLD}/issues/1/comments?per_page=5&page=2")),
    )
    .await;
    assert_eq!(reply.status, 301);
    let location = reply.header("location").unwrap();
    assert!(location.starts_with("http"), "absolute: {location}");
    assert!(
        location.ends_with(&format!("{NEW}/issues/1/comments?per_page=5&page=2")),
        "{location}"
    );
    assert_eq!(reply.json["message"], "Moved Permanently");
    assert_eq!(reply.json["url"], location.as_str());
    assert!(reply.header("x-ratelimit-remaining").is_none());
}

#[actix_web::test]
async fn a_redirected_write_applies_nothing_and_is_not_counted() {
    let sim = with_issue();
    sim.inject(moved("POST", 307));
    let reply = send(
        &sim,
        post(
            &format!("{OLD}/issues/1/labels"),
            json!({"labels": ["moved"]}),
        ),
    )
    .await;
    assert_eq!(reply.status, 307);
    assert_eq!(reply.json["message"], "Temporary Redirect");
    assert!(reply
        .header("location")
        .unwrap()
        .ends_with(&format!("{NEW}/issues/1/labels")));
    assert!(!sim
        .issue_labels(OWNER, REPO, 1)
        .unwrap()
        .contains(&"moved".to_owned()));
    assert_eq!(sim.write_count(), 0);
}

#[actix_web::test]
async fn a_redirect_without_a_trailing_double_star_sends_every_match_to_one_path() {
    let sim = with_issue();
    sim.inject(Fault {
        method: None,
        path: format!("{OLD}/issues/*"),
        kind: FaultKind::Redirect {
            status: 301,
            to: format!("{NEW}/issues/1"),
        },
        times: Some(1),
    });
    let reply = send(&sim, get(&format!("{OLD}/issues/7"))).await;
    assert!(reply
        .header("location")
        .unwrap()
        .ends_with(&format!("{NEW}/issues/1")));
    assert!(sim.faults().is_empty(), "times counts redirects down too");
}

#[test]
fn a_redirect_is_written_with_its_status_and_target() {
    let kind = FaultKind::Redirect {
        status: 307,
        to: NEW.to_owned(),
    };
    let written = json!({"redirect": {"status": 307, "to": NEW}});
    assert_eq!(serde_json::to_value(&kind).unwrap(), written);
    assert_eq!(serde_json::from_value::<FaultKind>(written).unwrap(), kind);
}

#[actix_web::test]
async fn a_redirect_that_is_not_a_redirect_status_or_path_is_refused_over_http() {
    let sim = with_issue();
    for kind in [
        json!({"redirect": {"status": 200, "to": NEW}}),
        json!({"redirect": {"status": 301, "to": "repos/o/r"}}),
    ] {
        let reply = send(
            &sim,
            actix_web::test::TestRequest::post()
                .uri("/_simulator/faults")
                .set_json(json!({"path": "/x", "kind": kind})),
        )
        .await;
        assert_eq!(reply.status, 422, "{kind}");
        assert_eq!(reply.json["errors"][0]["field"], "kind");
    }
    let accepted = send(
        &sim,
        actix_web::test::TestRequest::post()
            .uri("/_simulator/faults")
            .set_json(json!({"path": format!("{OLD}/**"), "kind": {"redirect": {"status": 301, "to": NEW}}})),
    )
    .await;
    assert_eq!(accepted.status, 201);
}

#[actix_web::test]
async fn octocrab_follows_a_301_on_a_get_to_the_real_route() {
    let served = serve(with_issue());
    served.sim.inject(moved("GET", 301));
    let issue = served
        .octo
        .issues("octo-old", "hello-old")
        .get(1)
        .await
        .unwrap();
    assert_eq!(issue.number, 1);
    assert_eq!(
        served.sim.request_count("GET", &format!("{OLD}/issues/1")),
        1
    );
    assert_eq!(
        served.sim.request_count("GET", &format!("{NEW}/issues/1")),
        1
    );
    served.stop().await;
}

#[actix_web::test]
async fn octocrab_follows_a_307_on_a_post_without_a_body_to_the_real_route() {
    let served = serve(with_pull());
    let sim = &served.sim;
    sim.add_workflow(OWNER, REPO, ".github/workflows/ci.yml", "CI");
    let run = sim
        .trigger_workflow(OWNER, REPO, "ci.yml", "push", "master")
        .unwrap();
    sim.complete_run(OWNER, REPO, run, &RunOutcome::new("failure"));
    sim.inject(moved("POST", 307));
    let writes = sim.write_count();
    served
        .octo
        .workflows("octo-old", "hello-old")
        .rerun_run(RunId(run))
        .await
        .unwrap();
    let rerun = format!("/actions/runs/{run}/rerun");
    assert_eq!(sim.request_count("POST", &format!("{OLD}{rerun}")), 1);
    assert_eq!(sim.request_count("POST", &format!("{NEW}{rerun}")), 1);
    let again = served
        .octo
        .workflows(OWNER, REPO)
        .get(RunId(run))
        .await
        .unwrap();
    assert_eq!(again.status, "queued", "the run was re-run");
    assert_eq!(sim.write_count(), writes + 1, "once, at the real route");
    served.stop().await;
}

/// octocrab 0.54's `follow-redirect` (tower-http's standard policy) cannot replay a
/// request body, so a 307 on a POST with one comes back as an error instead of being
/// followed. Callers that need it must follow such redirects themselves; this test
/// notices when octocrab starts doing it.
#[actix_web::test]
async fn octocrab_does_not_replay_a_post_body_on_a_307_and_reports_the_redirect() {
    let served = serve(with_issue());
    served.sim.inject(moved("POST", 307));
    let error = served
        .octo
        .issues("octo-old", "hello-old")
        .add_labels(1, &["moved".to_owned()])
        .await
        .unwrap_err();
    assert_eq!(github_error(error), (307, "Temporary Redirect".to_owned()));
    assert_eq!(
        served
            .sim
            .request_count("POST", &format!("{NEW}/issues/1/labels")),
        0
    );
    assert_eq!(served.sim.write_count(), 0);
    served.stop().await;
}
