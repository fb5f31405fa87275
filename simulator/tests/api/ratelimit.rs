//! The rate-limit headers every answer carries, and the budget running out.

use crate::helpers::{get, repo_path, send, serve, with_issue};

#[actix_web::test]
async fn every_answer_reports_the_rate_limit_and_each_request_uses_one() {
    let sim = with_issue();
    let first = send(&sim, get(&repo_path(""))).await;
    assert_eq!(first.header("x-ratelimit-limit").as_deref(), Some("5000"));
    assert_eq!(
        first.header("x-ratelimit-remaining").as_deref(),
        Some("4999")
    );
    assert_eq!(first.header("x-ratelimit-used").as_deref(), Some("1"));
    assert_eq!(
        first.header("x-ratelimit-resource").as_deref(),
        Some("core")
    );
    let reset: u64 = first.header("x-ratelimit-reset").unwrap().parse().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(
        (now + 3590..=now + 3600).contains(&reset),
        "{reset} vs {now}"
    );

    let missing = send(&sim, get(&repo_path("/issues/99"))).await;
    assert_eq!(missing.status, 404);
    assert_eq!(
        missing.header("x-ratelimit-remaining").as_deref(),
        Some("4998")
    );
    assert_eq!(
        missing
            .header("x-ratelimit-reset")
            .unwrap()
            .parse::<u64>()
            .unwrap(),
        reset,
        "the window does not move"
    );
}

#[actix_web::test]
async fn a_used_up_budget_answers_githubs_primary_rate_limit_until_the_reset() {
    let served = serve(with_issue());
    served.sim.set_rate_limit(2);
    let issues = served
        .octo
        .issues(crate::helpers::OWNER, crate::helpers::REPO);
    issues.get(1).await.unwrap();
    issues.get(1).await.unwrap();
    let error = issues.get(1).await.unwrap_err();
    match error {
        octocrab::Error::GitHub { source, .. } => {
            assert_eq!(source.status_code.as_u16(), 403);
            assert_eq!(
                source.message,
                "API rate limit exceeded for installation ID 1."
            );
            let headers = source.headers.unwrap();
            assert_eq!(headers["x-ratelimit-remaining"], "0");
            assert!(source.rate_limit_reset.is_some());
        }
        other => panic!("{other}"),
    }
    served.sim.set_rate_limit(5000);
    issues.get(1).await.unwrap();
    served.stop().await;
}
