//! Milestones through octocrab's `issues().milestones()`, and pagination of a new list
//! route with octocrab's `all_pages`.

use octocrab::{models::Milestone, params::State};
use serde_json::json;

use crate::helpers::{github_error, post, repo_path, send, serve, with_issue, OWNER, REPO};

#[actix_web::test]
async fn milestones_are_created_listed_by_state_and_read_by_number() {
    let served = serve(with_issue());
    let milestones = served.octo.issues(OWNER, REPO);
    let milestones = milestones.milestones();
    let due = chrono::DateTime::parse_from_rfc3339("2030-01-01T00:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let first = milestones
        .create("v1")
        .description("first")
        .due_on(due)
        .send()
        .await
        .unwrap();
    assert_eq!((first.number, first.title.as_str()), (1, "v1"));
    assert_eq!(first.due_on, Some(due));
    assert_eq!(first.open_issues, Some(0));
    let closed = milestones
        .create("v0")
        .state(State::Closed)
        .send()
        .await
        .unwrap();
    assert_eq!(closed.number, 2);
    assert_eq!(closed.state.as_deref(), Some("closed"));

    let open = milestones.list().send().await.unwrap();
    assert_eq!(open.items.len(), 1, "open ones by default");
    let all = milestones.list().state(State::All).send().await.unwrap();
    assert_eq!(all.items.len(), 2);

    served
        .octo
        .issues(OWNER, REPO)
        .update(1)
        .milestone(1u64)
        .send()
        .await
        .unwrap();
    let read = milestones.get(1).await.unwrap();
    assert_eq!(read.open_issues, Some(1));
    served.stop().await;
}

#[actix_web::test]
async fn a_milestone_without_a_title_or_with_a_taken_title_is_a_422() {
    let served = serve(with_issue());
    let milestones = served.octo.issues(OWNER, REPO);
    milestones.milestones().create("v1").send().await.unwrap();
    let error = milestones
        .milestones()
        .create("v1")
        .send()
        .await
        .unwrap_err();
    assert_eq!(github_error(error), (422, "Validation Failed".to_owned()));
    let missing = send(&served.sim, post(&repo_path("/milestones"), json!({}))).await;
    assert_eq!(missing.status, 422);
    assert_eq!(missing.json["errors"][0]["code"], "missing_field");
    served.stop().await;
}

#[actix_web::test]
async fn all_pages_follows_the_link_headers_of_a_new_list_route() {
    let served = serve(with_issue());
    for i in 1..=7 {
        let body = json!({"title": format!("m{i}")});
        send(&served.sim, post(&repo_path("/milestones"), body)).await;
    }
    let first: octocrab::Page<Milestone> = served
        .octo
        .get(repo_path("/milestones?state=all&per_page=3"), None::<&()>)
        .await
        .unwrap();
    assert_eq!(first.items.len(), 3);
    let next = first.next.clone().unwrap();
    assert!(
        next.to_string().contains("state=all"),
        "filters survive in the links: {next}"
    );
    let everything = served.octo.all_pages(first).await.unwrap();
    let titles: Vec<String> = everything.into_iter().map(|m| m.title).collect();
    assert_eq!(titles, ["m1", "m2", "m3", "m4", "m5", "m6", "m7"]);
    served.stop().await;
}
