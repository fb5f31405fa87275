//! Collaborators and their permissions.

use octocrab::models::Collaborator;
use serde_json::json;

use crate::helpers::{delete, get, put, repo_path, send, with_issue};

#[actix_web::test]
async fn a_collaborator_added_with_push_has_write_permission_at_once() {
    let sim = with_issue();
    let added = send(
        &sim,
        put(
            &repo_path("/collaborators/alice"),
            json!({"permission": "push"}),
        ),
    )
    .await;
    assert_eq!(added.status, 204);
    let reply = send(&sim, get(&repo_path("/collaborators/alice/permission"))).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json["permission"], "write");
    assert_eq!(reply.json["role_name"], "write");
    assert_eq!(reply.json["user"]["login"], "alice");
    assert_eq!(reply.json["user"]["permissions"]["push"], true);
    assert_eq!(sim.write_count(), 1);
}

#[actix_web::test]
async fn a_collaborator_added_without_a_body_gets_push() {
    let sim = with_issue();
    let req = crate::helpers::authed(
        actix_web::test::TestRequest::put().uri(&repo_path("/collaborators/bob")),
    );
    assert_eq!(send(&sim, req).await.status, 204);
    let reply = send(&sim, get(&repo_path("/collaborators/bob/permission"))).await;
    assert_eq!(reply.json["role_name"], "write");
}

#[actix_web::test]
async fn maintain_maps_to_write_and_triage_to_read_in_the_legacy_permission() {
    let sim = with_issue();
    for (user, role, legacy) in [
        ("m", "maintain", "write"),
        ("t", "triage", "read"),
        ("p", "pull", "read"),
        ("a", "admin", "admin"),
    ] {
        send(
            &sim,
            put(
                &repo_path(&format!("/collaborators/{user}")),
                json!({"permission": role}),
            ),
        )
        .await;
        let reply = send(
            &sim,
            get(&repo_path(&format!("/collaborators/{user}/permission"))),
        )
        .await;
        assert_eq!(reply.json["permission"], legacy, "{role}");
        let fine = if role == "pull" { "read" } else { role };
        assert_eq!(reply.json["role_name"], fine, "{role}");
    }
}

#[actix_web::test]
async fn the_repository_owner_is_admin() {
    let sim = with_issue();
    let reply = send(
        &sim,
        get(&repo_path("/collaborators/codertocat/permission")),
    )
    .await;
    assert_eq!(reply.json["permission"], "admin");
    assert_eq!(reply.json["user"]["login"], "Codertocat");
}

#[actix_web::test]
async fn an_unknown_user_has_permission_none() {
    let sim = with_issue();
    let reply = send(&sim, get(&repo_path("/collaborators/stranger/permission"))).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json["permission"], "none");
    assert_eq!(reply.json["role_name"], "none");
    assert_eq!(
        send(&sim, get(&repo_path("/collaborators/stranger")))
            .await
            .status,
        404
    );
}

#[actix_web::test]
async fn a_removed_collaborator_loses_their_permission() {
    let sim = with_issue();
    send(
        &sim,
        put(
            &repo_path("/collaborators/alice"),
            json!({"permission": "admin"}),
        ),
    )
    .await;
    assert_eq!(
        send(&sim, get(&repo_path("/collaborators/alice")))
            .await
            .status,
        204
    );
    assert_eq!(
        send(&sim, delete(&repo_path("/collaborators/alice")))
            .await
            .status,
        204
    );
    let reply = send(&sim, get(&repo_path("/collaborators/alice/permission"))).await;
    assert_eq!(reply.json["permission"], "none");
    assert_eq!(sim.write_count(), 2);
}

#[actix_web::test]
async fn the_collaborator_list_holds_the_owner_and_collaborators_as_octocrab_reads_them() {
    let sim = with_issue();
    send(
        &sim,
        put(
            &repo_path("/collaborators/alice"),
            json!({"permission": "triage"}),
        ),
    )
    .await;
    let reply = send(&sim, get(&repo_path("/collaborators"))).await;
    assert_eq!(reply.json[1]["role_name"], "triage");
    let people: Vec<Collaborator> = serde_json::from_value(reply.json).unwrap();
    let logins: Vec<&str> = people.iter().map(|c| c.author.login.as_str()).collect();
    assert_eq!(logins, ["Codertocat", "alice"]);
    assert!(people[0].permissions.admin);
    assert!(people[1].permissions.triage && !people[1].permissions.push);
}

#[actix_web::test]
async fn an_unknown_permission_is_a_422() {
    let sim = with_issue();
    let reply = send(
        &sim,
        put(
            &repo_path("/collaborators/alice"),
            json!({"permission": "owner"}),
        ),
    )
    .await;
    assert_eq!(reply.status, 422);
    assert_eq!(sim.write_count(), 0);
}

#[actix_web::test]
async fn collaborators_of_an_unknown_repository_are_a_404() {
    let sim = with_issue();
    let reply = send(
        &sim,
        put("/repos/nobody/nothing/collaborators/alice", json!({})),
    )
    .await;
    assert_eq!(reply.status, 404);
}
