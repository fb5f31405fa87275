//! The simulator refuses what GitHub refuses: request bodies checked against GitHub's
//! description (required fields, types, enums, lengths, item counts) and GitHub's
//! rules the description leaves out (label name and description lengths), each with
//! GitHub's `422 Validation Failed` naming the resource, field and code, each refusal
//! recorded as a violation for the strict request check. One test per rule.

use actix_web::test::TestRequest;
use serde_json::{json, Value};

use crate::helpers::{authed, post, repo_path, send, with_pull, Reply};

/// Checks a refusal: 422, GitHub's body, one error naming `field` with `code`, and
/// the request recorded as a violation.
fn assert_refused(
    sim: &gantry_simulator::Simulator,
    reply: &Reply,
    resource: &str,
    field: &str,
    code: &str,
) {
    assert_eq!(reply.status.as_u16(), 422, "{}", reply.json);
    assert_eq!(reply.json["message"], "Validation Failed");
    assert!(reply.json["documentation_url"].is_string());
    let errors = reply.json["errors"].as_array().unwrap();
    assert!(
        errors
            .iter()
            .any(|e| e["resource"] == resource && e["field"] == field && e["code"] == code),
        "no {resource}.{field} {code} in {errors:?}"
    );
    let violations = sim.violations();
    assert!(
        violations
            .iter()
            .any(|v| v.problems.iter().any(|p| p.starts_with(field))),
        "not recorded: {violations:?}"
    );
}

async fn send_json(
    sim: &gantry_simulator::Simulator,
    method: &str,
    path: &str,
    body: Value,
) -> Reply {
    let req = match method {
        "POST" => TestRequest::post(),
        "PATCH" => TestRequest::patch(),
        "PUT" => TestRequest::put(),
        "DELETE" => TestRequest::delete(),
        other => panic!("no method {other}"),
    };
    send(sim, authed(req.uri(path)).set_json(body)).await
}

fn head(sim: &gantry_simulator::Simulator) -> String {
    sim.branch_head("Codertocat", "Hello-World", "changes")
        .unwrap_or_else(|| "ec26c3e57ca3a959ca5aad62de7213c562f8c821".to_owned())
}

#[actix_web::test]
async fn a_label_name_over_50_characters_is_refused_when_created() {
    let sim = with_pull();
    let name = "x".repeat(51);
    let reply = send(&sim, post(&repo_path("/labels"), json!({"name": name}))).await;
    assert_refused(&sim, &reply, "Label", "name", "invalid");
    let fine = send(
        &sim,
        post(&repo_path("/labels"), json!({"name": "x".repeat(50)})),
    )
    .await;
    assert_eq!(fine.status.as_u16(), 201, "{}", fine.json);
}

#[actix_web::test]
async fn a_label_name_over_50_characters_is_refused_when_added_to_an_issue() {
    let sim = with_pull();
    let before = sim.issue_labels("Codertocat", "Hello-World", 2);
    let reply = send(
        &sim,
        post(
            &repo_path("/issues/2/labels"),
            json!({"labels": ["y".repeat(51)]}),
        ),
    )
    .await;
    assert_refused(&sim, &reply, "Label", "labels[0]", "invalid");
    assert_eq!(sim.issue_labels("Codertocat", "Hello-World", 2), before);
}

#[actix_web::test]
async fn a_label_description_over_100_characters_is_refused() {
    let sim = with_pull();
    let body = json!({"name": "ok", "description": "d".repeat(101)});
    let reply = send(&sim, post(&repo_path("/labels"), body)).await;
    assert_refused(&sim, &reply, "Label", "description", "invalid");
}

#[actix_web::test]
async fn an_empty_labels_list_is_refused() {
    let sim = with_pull();
    let reply = send(
        &sim,
        post(&repo_path("/issues/2/labels"), json!({"labels": []})),
    )
    .await;
    assert_refused(&sim, &reply, "Label", "labels", "invalid");
}

#[actix_web::test]
async fn removing_assignees_needs_assignees() {
    let sim = with_pull();
    let reply = send_json(&sim, "DELETE", &repo_path("/issues/2/assignees"), json!({})).await;
    assert_refused(&sim, &reply, "Issue", "assignees", "missing_field");
}

#[actix_web::test]
async fn a_check_run_output_needs_a_summary() {
    let sim = with_pull();
    let body = json!({"name": "ci", "head_sha": head(&sim), "output": {"title": "t"}});
    let reply = send(&sim, post(&repo_path("/check-runs"), body)).await;
    assert_refused(&sim, &reply, "CheckRun", "output.summary", "missing_field");
}

#[actix_web::test]
async fn a_check_run_summary_or_text_over_65535_characters_is_refused() {
    let sim = with_pull();
    let long = "s".repeat(65_536);
    for (field, output) in [
        ("output.summary", json!({"title": "t", "summary": long})),
        (
            "output.text",
            json!({"title": "t", "summary": "s", "text": long}),
        ),
    ] {
        let body = json!({"name": "ci", "head_sha": head(&sim), "output": output});
        let reply = send(&sim, post(&repo_path("/check-runs"), body)).await;
        assert_refused(&sim, &reply, "CheckRun", field, "invalid");
    }
    let fine = json!({"name": "ci", "head_sha": head(&sim),
        "output": {"title": "t", "summary": "s".repeat(65_535)}});
    let reply = send(&sim, post(&repo_path("/check-runs"), fine)).await;
    assert_eq!(reply.status.as_u16(), 201, "{}", reply.json);
}

#[actix_web::test]
async fn a_check_run_takes_at_most_50_annotations_a_request() {
    let sim = with_pull();
    let annotation = json!({"path": "a.rs", "start_line": 1, "end_line": 1,
        "annotation_level": "warning", "message": "m"});
    let body = |n: usize| {
        json!({"name": "ci", "head_sha": head(&sim), "output": {"title": "t", "summary": "s",
            "annotations": vec![annotation.clone(); n]}})
    };
    let reply = send(&sim, post(&repo_path("/check-runs"), body(51))).await;
    assert_refused(&sim, &reply, "CheckRun", "output.annotations", "invalid");
    let reply = send(&sim, post(&repo_path("/check-runs"), body(50))).await;
    assert_eq!(reply.status.as_u16(), 201, "{}", reply.json);
}

#[actix_web::test]
async fn a_check_run_takes_at_most_3_actions() {
    let sim = with_pull();
    let action = json!({"label": "Fix", "description": "Fix it", "identifier": "fix"});
    let body = json!({"name": "ci", "head_sha": head(&sim), "actions": vec![action; 4]});
    let reply = send(&sim, post(&repo_path("/check-runs"), body)).await;
    assert_refused(&sim, &reply, "CheckRun", "actions", "invalid");
}

#[actix_web::test]
async fn workflow_dispatch_inputs_must_be_an_object_of_at_most_25() {
    let sim = with_pull();
    let id = sim.add_workflow(
        "Codertocat",
        "Hello-World",
        ".github/workflows/ci.yml",
        "CI",
    );
    let path = repo_path(&format!("/actions/workflows/{id}/dispatches"));
    let reply = send(&sim, post(&path, json!({"ref": "master", "inputs": ["a"]}))).await;
    assert_refused(&sim, &reply, "WorkflowDispatch", "inputs", "invalid");
    let many: serde_json::Map<String, Value> =
        (0..26).map(|i| (format!("i{i}"), json!("v"))).collect();
    let reply = send(&sim, post(&path, json!({"ref": "master", "inputs": many}))).await;
    assert_refused(&sim, &reply, "WorkflowDispatch", "inputs", "invalid");
}

#[actix_web::test]
async fn a_null_where_github_wants_a_string_is_refused() {
    // Gantry once sent `"target_commitish": null`; GitHub answers 422.
    let sim = with_pull();
    let body = json!({"tag_name": "v9", "target_commitish": null});
    let reply = send(&sim, post(&repo_path("/releases"), body)).await;
    assert_refused(&sim, &reply, "Release", "target_commitish", "invalid");
}

#[actix_web::test]
async fn an_accepted_request_records_no_violation() {
    let sim = with_pull();
    let reply = send(&sim, post(&repo_path("/labels"), json!({"name": "fine"}))).await;
    assert_eq!(reply.status.as_u16(), 201);
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
}

#[actix_web::test]
async fn a_dispatch_may_give_only_the_inputs_the_workflow_declares() {
    let sim = with_pull();
    let id = sim.add_workflow(
        "Codertocat",
        "Hello-World",
        ".github/workflows/ci.yml",
        "CI",
    );
    let path = repo_path(&format!("/actions/workflows/{id}/dispatches"));
    let body = json!({"ref": "master", "inputs": {"pr": "2", "sha": "abc"}});
    let reply = send(&sim, post(&path, body.clone())).await;
    assert_eq!(reply.status.as_u16(), 422, "{}", reply.json);
    assert_eq!(
        reply.json["message"],
        r#"Unexpected inputs provided: ["pr", "sha"]"#
    );
    assert_eq!(sim.violations().len(), 1, "{:?}", sim.violations());

    assert!(sim.set_workflow_inputs("Codertocat", "Hello-World", id, &["pr", "sha"]));
    let reply = send(&sim, post(&path, body)).await;
    assert_eq!(reply.status.as_u16(), 204, "{}", reply.json);
    let none = send(&sim, post(&path, json!({"ref": "master"}))).await;
    assert_eq!(none.status.as_u16(), 204, "{}", none.json);
}
