//! The real server on a local port, driven by octocrab the way the platform drives it.

use std::net::TcpListener;

use gantry_simulator::{Simulator, SimulatorOptions};

use crate::helpers::{payload, OWNER, REPO};

#[actix_web::test]
async fn octocrab_can_label_comment_and_manage_collaborators_through_the_served_simulator() {
    let sim = Simulator::new(SimulatorOptions::default());
    sim.learn("issues", &payload("issues/opened.payload.json"));
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = sim.serve(listener).unwrap();
    let handle = server.handle();
    actix_web::rt::spawn(server);

    let octo = octocrab::Octocrab::builder()
        .base_uri(format!("http://{addr}"))
        .unwrap()
        .personal_token("test-token".to_owned())
        .build()
        .unwrap();
    let issues = octo.issues(OWNER, REPO);
    let labels = issues
        .add_labels(1, &["needs triage".to_owned()])
        .await
        .unwrap();
    assert_eq!(labels.len(), 2);
    let remaining = issues.remove_label(1, "needs triage").await.unwrap();
    assert_eq!(remaining.len(), 1);
    issues
        .create_comment(1, "Hello from octocrab")
        .await
        .unwrap();
    let page = issues.list_comments(1).send().await.unwrap();
    assert_eq!(page.items.len(), 1);
    let issue = issues.get(1).await.unwrap();
    assert_eq!(issue.comments, 1);
    let repo = octo.repos(OWNER, REPO).get().await.unwrap();
    assert_eq!(repo.name, REPO);

    let repos = octo.repos(OWNER, REPO);
    let invitation = repos
        .add_collaborator("alice")
        .permission(octocrab::params::teams::Permission::Push)
        .send()
        .await
        .unwrap();
    assert!(invitation.is_none(), "added at once, without an invitation");
    let people = repos.list_collaborators().send().await.unwrap();
    assert_eq!(people.items.len(), 2);
    assert!(people.items[1].permissions.push);
    let owner = repos
        .get_contributor_permission(OWNER)
        .send()
        .await
        .unwrap();
    assert_eq!(owner.role_name, "admin");

    assert_eq!(
        sim.issue_comments(OWNER, REPO, 1).unwrap(),
        ["Hello from octocrab"]
    );
    assert_eq!(sim.write_count(), 4);
    handle.stop(true).await;
}
