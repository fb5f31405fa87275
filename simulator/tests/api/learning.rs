//! Learning from webhook payloads: the whole corpus, and the events with side effects.

use serde_json::json;

use crate::helpers::{get, learned, payload, repo_path, send, CORPUS};

#[test]
fn learning_every_payload_in_the_corpus_does_not_panic() {
    let sim = gantry_simulator::Simulator::new(Default::default());
    let mut seen = 0;
    for event in std::fs::read_dir(CORPUS).unwrap() {
        let event = event.unwrap().path();
        if !event.is_dir() {
            continue; // the corpus LICENSE
        }
        let name = event.file_name().unwrap().to_string_lossy().into_owned();
        for file in std::fs::read_dir(&event).unwrap() {
            let text = std::fs::read_to_string(file.unwrap().path()).unwrap();
            let value: serde_json::Value = serde_json::from_str(&text).unwrap();
            sim.learn(&name, &value);
            seen += 1;
        }
    }
    assert!(seen > 150, "only {seen} payloads found under {CORPUS}");
}

#[test]
fn learning_oddly_typed_payloads_does_not_panic() {
    let sim = gantry_simulator::Simulator::new(Default::default());
    for value in [
        json!(null),
        json!([1, 2]),
        json!("text"),
        json!({"repository": 5}),
        json!({"repository": {"name": 1, "owner": "x"}}),
        json!({"repository": {"name": "r", "owner": {"login": "o"}}, "issue": {"number": -1}}),
        json!({"repository": {"name": "r", "owner": {"login": "o"}, "id": "x"}, "issue": {"number": 3, "labels": "bug", "user": 7, "body": 5}}),
        json!({"repository": {"name": "r", "owner": {"login": "o"}}, "pull_request": {"number": 4, "head": null, "id": 1.5}}),
        json!({"repository": {"name": "r", "owner": {"login": "o"}}, "label": {"name": null}, "member": []}),
    ] {
        for event in ["issues", "pull_request", "label", "member", "push"] {
            sim.learn(event, &value);
        }
    }
    assert_eq!(sim.issue_labels("o", "r", 3).unwrap(), Vec::<String>::new());
}

#[actix_web::test]
async fn a_member_added_event_makes_the_member_a_collaborator() {
    let sim = learned("member", "member/added.payload.json");
    let reply = send(&sim, get(&repo_path("/collaborators/hacktocat/permission"))).await;
    assert_eq!(reply.json["permission"], "write");
}

#[actix_web::test]
async fn a_deleted_issue_is_forgotten() {
    let sim = learned("issues", "issues/opened.payload.json");
    sim.learn("issues", &payload("issues/deleted.payload.json"));
    assert_eq!(send(&sim, get(&repo_path("/issues/1"))).await.status, 404);
}

#[actix_web::test]
async fn an_issue_comment_event_teaches_the_issue_but_not_the_comment() {
    let sim = learned("issue_comment", "issue_comment/created.payload.json");
    assert_eq!(send(&sim, get(&repo_path("/issues/1"))).await.status, 200);
    assert_eq!(
        sim.issue_comments("Codertocat", "Hello-World", 1).unwrap(),
        Vec::<String>::new()
    );
}
