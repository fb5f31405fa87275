//! Editing issues (`PATCH /issues/{n}`) and their assignees, through octocrab's typed
//! calls so every answer is parsed into `models::issues::Issue`.

use octocrab::models::{
    issues::{Issue, IssueStateReason},
    IssueState,
};
use serde_json::json;

use crate::helpers::{github_error, repo_path, serve, with_issue, OWNER, REPO};

async fn add_collaborators(octo: &octocrab::Octocrab, logins: &[&str]) {
    for login in logins {
        octo.repos(OWNER, REPO)
            .add_collaborator(*login)
            .send()
            .await
            .unwrap();
    }
}

#[actix_web::test]
async fn editing_an_issue_changes_title_body_state_labels_milestone_and_assignees() {
    let served = serve(with_issue());
    let octo = &served.octo;
    add_collaborators(octo, &["alice"]).await;
    let milestone = octo
        .issues(OWNER, REPO)
        .milestones()
        .create("v1.0")
        .send()
        .await
        .unwrap();
    let writes = served.sim.write_count();

    let issue = octo
        .issues(OWNER, REPO)
        .update(1)
        .title("A better title")
        .body("Now with details")
        .state(IssueState::Closed)
        .state_reason(IssueStateReason::NotPlanned)
        .milestone(u64::try_from(milestone.number).unwrap())
        .labels(&["triaged".to_owned(), "bug".to_owned()])
        .assignees(&["alice".to_owned()])
        .send()
        .await
        .unwrap();

    assert_eq!(issue.title, "A better title");
    assert_eq!(issue.body.as_deref(), Some("Now with details"));
    assert_eq!(issue.state, IssueState::Closed);
    assert_eq!(issue.state_reason, Some(IssueStateReason::NotPlanned));
    assert!(issue.closed_at.is_some());
    assert_eq!(issue.milestone.unwrap().title, "v1.0");
    assert_eq!(issue.assignees[0].login, "alice");
    assert_eq!(
        served.sim.issue_labels(OWNER, REPO, 1).unwrap(),
        ["triaged", "bug"]
    );
    assert_eq!(served.sim.write_count(), writes + 1);
    let label = octo.issues(OWNER, REPO).get_label("triaged").await.unwrap();
    assert_eq!(
        label.color, "ededed",
        "a new label is created in the repository"
    );
    served.stop().await;
}

#[actix_web::test]
async fn closing_defaults_to_completed_and_reopening_says_reopened() {
    let served = serve(with_issue());
    let issues = served.octo.issues(OWNER, REPO);
    let closed = issues
        .update(1)
        .state(IssueState::Closed)
        .send()
        .await
        .unwrap();
    assert_eq!(closed.state_reason, Some(IssueStateReason::Completed));
    let reopened = issues
        .update(1)
        .state(IssueState::Open)
        .send()
        .await
        .unwrap();
    assert_eq!(reopened.state, IssueState::Open);
    assert_eq!(reopened.state_reason, Some(IssueStateReason::Reopened));
    assert!(reopened.closed_at.is_none());
    served.stop().await;
}

#[actix_web::test]
async fn a_null_milestone_takes_the_issue_out_of_its_milestone() {
    let served = serve(with_issue());
    let octo = &served.octo;
    octo.issues(OWNER, REPO)
        .milestones()
        .create("v1")
        .send()
        .await
        .unwrap();
    octo.issues(OWNER, REPO)
        .update(1)
        .milestone(1u64)
        .send()
        .await
        .unwrap();
    let issue: Issue = octo
        .patch(repo_path("/issues/1"), Some(&json!({"milestone": null})))
        .await
        .unwrap();
    assert!(issue.milestone.is_none());
    served.stop().await;
}

#[actix_web::test]
async fn an_unknown_milestone_or_an_assignee_who_is_no_collaborator_is_a_422() {
    let served = serve(with_issue());
    let issues = served.octo.issues(OWNER, REPO);
    let error = issues.update(1).milestone(7u64).send().await.unwrap_err();
    assert_eq!(github_error(error), (422, "Validation Failed".to_owned()));
    let error = issues
        .update(1)
        .assignees(&["stranger".to_owned()])
        .send()
        .await
        .unwrap_err();
    assert_eq!(github_error(error).0, 422);
    let error = served
        .octo
        .issues(OWNER, REPO)
        .update(99)
        .title("x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(github_error(error).0, 404);
    assert_eq!(served.sim.write_count(), 0);
    served.stop().await;
}

#[actix_web::test]
async fn adding_assignees_ignores_non_collaborators_and_keeps_at_most_ten() {
    let served = serve(with_issue());
    let people: Vec<String> = (1..=11).map(|i| format!("dev{i}")).collect();
    let logins: Vec<&str> = people.iter().map(String::as_str).collect();
    add_collaborators(&served.octo, &logins).await;
    let mut wanted = vec!["stranger"];
    wanted.extend(logins.iter().copied());

    let issue = served
        .octo
        .issues(OWNER, REPO)
        .add_assignees(1, &wanted)
        .await
        .unwrap();

    let assigned: Vec<&str> = issue.assignees.iter().map(|a| a.login.as_str()).collect();
    let mut expected = vec!["Codertocat"];
    expected.extend(&logins[..9]);
    assert_eq!(
        assigned, expected,
        "the learned assignee counts towards the ten"
    );
    assert_eq!(issue.assignee.unwrap().login, "Codertocat");
    served.stop().await;
}

#[actix_web::test]
async fn adding_an_assignee_twice_keeps_one_and_removing_answers_without_them() {
    let served = serve(with_issue());
    add_collaborators(&served.octo, &["alice", "bob"]).await;
    let issues = served.octo.issues(OWNER, REPO);
    issues.add_assignees(1, &["alice"]).await.unwrap();
    let both = issues.add_assignees(1, &["ALICE", "bob"]).await.unwrap();
    let names: Vec<&str> = both.assignees.iter().map(|a| a.login.as_str()).collect();
    assert_eq!(names, ["Codertocat", "alice", "bob"]);

    let left = issues
        .remove_assignees(1, &["alice", "codertocat", "nobody"])
        .await
        .unwrap();
    let names: Vec<&str> = left.assignees.iter().map(|a| a.login.as_str()).collect();
    assert_eq!(names, ["bob"]);
    served.stop().await;
}
